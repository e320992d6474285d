"""The nineteenth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, the XSDs and WSDLs, the code lists, ../shared/docs/platform.md, and the
standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML Schema, HTTP/1.1, RFC 7303) and this
independent adapter's code, by a helper engineer (session b19) who has not read the suite, and
committed before the suite was run on it. None repeats a defect of the earlier batches (seventh
… eighteenth, and variants.py's DEFECTS), which were read for the mechanics and to stay clear of
them; none is a behaviour those documents permit or leave open.
``NineteenthBatch`` is mixed into ``Adapter``; its ``_nineteenth_*`` hooks are called where each
defect lives and change nothing when no defect of this batch is selected. The subscriber's store
and notice-mapper hooks are in nineteenth_store.py.

Measured once, blind, on 6c9fd4b (main at that moment: the suite with round 17 in — written for
the seventeenth batch by an author who had not seen this one — and neither round 16b's second part
nor round 18, both being written meanwhile without it;
`python -m tests.conformance.independent_runs NINETEENTH_BATCH`, 2026-12-05 09:00:35Z –
09:02:14Z, two at a time, load average 6.6 → 6.3 from other helpers' work): 26/36 caught =
72.2 %. Per class: 1 (one message shape) 7/7, 2 (inputs rarely sent) 5/12, 3 (characters) 5/6,
4 (time) 5/6, 5 (durability) 4/5. Per role: provider 13/18, subscriber 13/18. No variant crashed
or failed to start. Missed (NINETEENTH_MEASURED_MISSES; no variant was changed after the
measurement):
- xml-prefix-declared-refused (provider and subscriber): an explicit xmlns:xml declaration (bound
  to its own namespace, as Namespaces in XML allows) refused;
- default-namespace-undeclaration-refused (provider and subscriber): xmlns="" refused;
- unused-soap12-declaration-taken-for-version (provider and subscriber): a SOAP 1.1 message that
  also declares SOAP 1.2's namespace, unused, answered VersionMismatch;
- extract-id-over-36-internal (provider): an unknown ExtractId of 37–64 characters answered
  PF-PROVIDER-INTERNAL instead of the client's fault;
- nonbmp-character-reference-read-four-digits (subscriber): &#x20BB7; read as U+20BB and '7';
- household-as-of-resident-registration-day (provider): with a 基準日, household members filtered
  by the answered resident's 住民となった年月日 instead of the 基準日;
- stale-changes-parked-and-replayed-on-start (subscriber): stale changes parked and applied at
  the next start.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

from .nineteenth_store import NineteenthStore
from .standard import CMN, JST, JUKI, PFH, SOAP11, SOAP12, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
NINETEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, answer kind, page, change kind or field only
    "other-version-fault-rule-service-endpoint": (
        1, BOTH, "a message naming a Version the system does not serve is refused "
                 "PF-PROVIDER-MISROUTED with the rule of a wrong ServiceId, service:endpoint "
                 "(one branch for \"not our service\"); other misroutings are named right "
                 "[README: another Version is refused PF-PROVIDER-MISROUTED, rule "
                 "service:version; docs/faults.md: every Finding names its rule]"),
    "not-found-status-unqualified": (
        1, P, "a not-found answer is written from a separate literal template whose "
              "<Status>not-found</Status> carries no namespace; found answers are right "
              "[juki-v1.xsd: elementFormDefault qualified, juki:Status; docs/faults.md "
              "PF-PROVIDER-INVALID-RESPONSE: an answer not valid against its schema]"),
    "former-surname-written-as-second-name": (
        1, P, "the inquiry mapper writes every name row of the resident as a cmn:Name element: a "
              "旧氏 becomes a second cmn:Name after the first instead of cmn:FormerSurname; 全件 "
              "pages and residents without 旧氏 are right [common-v1.xsd ResidentType: Name, then "
              "FormerSurname (旧氏) once]"),
    "later-pages-total-count-omitted": (
        1, P, "pages after the first are written by the cursor writer, which knows TotalPages but "
              "not TotalCount and leaves it out: every later page lacks juki:TotalCount "
              "[juki-v1.xsd ResidentFullExtractResponse: TotalCount required; docs/notices.md: "
              "every page carries the totals]"),
    "extract-relates-to-request-id": (
        1, P, "the 全件 answer's header is written from the vendor's transfer record, whose "
              "correlation ID is the request's RequestId: the first page of a request carrying "
              "one says RelatesTo r1, not the request's MessageId; inquiries and requests "
              "without a RequestId are right [README: a reply sets RelatesTo to the request's "
              "MessageId; header-v1.xsd RelatesTo: a MessageIdType]"),
    "record-cancellation-deletes-resident": (
        1, S, "A07 取消し is read as \"the 記載 is cancelled\" and the resident's record deleted; "
              "other reasons are right — A07 is a 記載 (the 消除 undone: a resident restored) "
              "[codelists/change_reason.csv: A07 取消し, group 記載; docs/notices.md: a 記載 (a "
              "取消し) clears the removed mark, the record is kept in the state it carries]"),
    # 2 — inputs rarely sent: unusual but valid XML forms, keys, values and notices
    "namespace-redeclared-refused": (
        2, BOTH, "the front end's namespace guard refuses PF-SOAP-ENVELOPE a message in which "
                 "one prefix is declared twice (an inner element re-declaring xmlns:j with the "
                 "same URI, as streaming writers do) [Namespaces in XML §6.1: a declaration's "
                 "scope is its element; a nested re-declaration is allowed]"),
    "xml-prefix-declared-refused": (
        2, BOTH, "a message that declares the xml prefix explicitly, "
                 "xmlns:xml=\"http://www.w3.org/XML/1998/namespace\", is refused PF-SOAP-ENVELOPE "
                 "as \"a reserved prefix redefined\" [Namespaces in XML §3: the prefix xml MAY be "
                 "declared, bound to that name]"),
    "default-namespace-undeclaration-refused": (
        2, BOTH, "a message holding xmlns=\"\" (the default namespace undeclared on an element "
                 "whose names are all prefixed) is refused PF-SOAP-ENVELOPE as \"an empty "
                 "namespace name\" [Namespaces in XML §6.2: an empty default declaration "
                 "undeclares the default namespace; the message is namespace-well-formed]"),
    "unused-soap12-declaration-taken-for-version": (
        2, BOTH, "the SOAP version is sniffed by searching the bytes for SOAP 1.2's namespace: a "
                 "SOAP 1.1 message sent as text/xml that also declares it, unused (a gateway's "
                 "leftover xmlns:env), is refused as a version error, VersionMismatch [SOAP 1.1 "
                 "§4.1.2 and docs/faults.md: the version is the Envelope element's namespace; "
                 "Namespaces in XML: an unused declaration changes no name]"),
    "extract-id-over-36-internal": (
        2, P, "ExtractId is looked up in a CHAR(36) UUID column: a later request naming an "
              "unknown ExtractId of 37 to 64 characters is answered PF-PROVIDER-INTERNAL (party "
              "provider) instead of the client's unknown-extract fault [juki-v1.xsd "
              "ExtractIdType: 1–64 characters; docs/notices.md: an unknown ExtractId is the "
              "client's error]"),
    "fields-read-by-position": (
        2, BOTH, "the mappers read elements by position, as the vendor's own messages lay them "
                 "out, so an optional element the XSD allows shifts the rest: a notice whose "
                 "resident carries cmn:ResidentCode has its 世帯番号 stored as the name; a later "
                 "全件 request (with ExtractId) has its Page taken for the PageSize [common-v1.xsd "
                 "ResidentType: ResidentCode minOccurs 0; juki-v1.xsd: ExtractId minOccurs 0; "
                 "XML Schema: an element is known by its name, not its position]"),
    "kana-less-change-name-not-written": (
        2, S, "the mapper updates the name columns inside its `if kana:` branch: a change of a "
              "held resident without cmn:Kana (optional) records its 異動連番 and keeps the old "
              "name [common-v1.xsd NameType: Kana minOccurs 0; docs/notices.md: a change "
              "carries the resident's whole state and the subscriber applies it]"),
    # 3 — characters: encodings, repertoires, code pages
    "utf16be-request-read-as-le": (
        3, BOTH, "a request in UTF-16 is decoded as UTF-16LE whatever its byte order mark (the "
                 "vendor's Encoding.Unicode): a big-endian one (BOM FE FF) is read as garbage "
                 "and refused PF-SOAP-ENVELOPE [XML 1.0 §4.3.3 and Appendix F: UTF-16 in either "
                 "byte order, told by the BOM; every processor MUST read UTF-16]"),
    "names-json-unicode-escaped": (
        3, P, "the registry's names reach the SOAP writer through the vendor's JSON bridge, "
              "which escapes every non-ASCII character as \\uXXXX (a surrogate pair as two) and "
              "the escapes are written as text: 総務翔子 is answered as \\u7dcf\\u52d9… "
              "[docs/characters.md: a registered name reaches every system exactly as "
              "registered; XML 1.0 §2.2: the text is the characters, \\u is no escape in XML]"),
    "nonbmp-character-reference-read-four-digits": (
        3, S, "a pre-parser \"reference decoder\" for the vendor's legacy XML library turns "
              "&#xHHHH into the character with exactly four hex digits: &#x20BB7; (𠮷) becomes "
              "U+20BB and the text 7; and the name is stored as ₻7;田翔子 [XML 1.0 §4.1: a "
              "character reference names any Char, up to U+10FFFF; README: every value is read "
              "as XML defines it]"),
    "stores-name-cut-at-space": (
        3, S, "the name column is split into 氏 and 名 at the first space, ASCII or U+3000, and "
              "only 氏 is stored: ROSSI VIOLA is held as ROSSI [docs/characters.md: a registered "
              "name reaches every system exactly as registered; docs/notices.md: the subscriber "
              "applies the state]"),
    "utf16-notice-read-as-ucs2": (
        3, S, "a notice sent in UTF-16 is decoded as UCS-2: each surrogate pair becomes two "
              "U+FFFD, and 𠮷田一郎 is stored as \ufffd\ufffd田一郎; UTF-8 notices are right "
              "[XML 1.0 §2.2: a character is a code point up to U+10FFFF; UTF-16 (RFC 2781) "
              "encodes those above U+FFFF as surrogate pairs]"),
    # 4 — time: clocks, date formats, date relations
    "sent-at-two-digit-year": (
        4, BOTH, "the reply header's SentAt is formatted with %y for the year: "
                 "26-12-05T17:20:00+09:00 [header-v1.xsd JstDateTimeType: an xs:dateTime, "
                 "four-digit year, ending +09:00]"),
    "extract-dates-basic-format": (
        4, P, "the 全件 page writer copies the registry's CHAR(8) date columns as they are: "
              "DateOfBirth, BecameResidentOn and AddressFixedOn read 19900401; inquiries are "
              "right [common-v1.xsd: xs:date, YYYY-MM-DD]"),
    "as-of-compared-with-slashed-dates": (
        4, P, "住民となった年月日 is kept as text in the registry's display form 2015/04/01 and "
              "compared as text with the 基準日 2015-06-01: '/' sorts after '-', so a resident "
              "recorded earlier in the 基準日's year is not found [juki-v1.xsd AsOf: found if "
              "BecameResidentOn is on or before it]"),
    "household-as-of-resident-registration-day": (
        4, P, "with a 基準日 the household's members are filtered by the answered resident's "
              "住民となった年月日 instead of the 基準日 (a variable mix-up): members who came "
              "after the resident but by the 基準日 are missing [juki-v1.xsd AsOf: the household "
              "and its members as they were on that date]"),
    "change-history-keyed-by-occurred-on": (
        4, S, "the vendor's 異動履歴 is keyed by (宛名番号, 異動年月日): a second change of a "
              "resident on the same day (a 転居 and a 世帯変更, each its own 異動連番) is taken "
              "for one already applied and skipped, receipted applied [docs/notices.md: a "
              "change is applied exactly when its 異動連番 is greater than the last one applied]"),
    # 5 — durability: exactly once and order across redeliveries and restarts
    "stale-changes-parked-and-replayed-on-start": (
        5, S, "a stale change (異動連番 not above the last applied) is parked \"for when its "
              "predecessor arrives\" and the parked changes are applied at the next start: "
              "after a restart an older state overwrites the newer one [docs/notices.md: a "
              "later change never overtaken; the resident ends in the state of the highest "
              "異動連番]"),
    "seen-ids-group-committed-by-ten": (
        5, S, "seen MessageIds are buffered and written ten at a time (a group commit of the "
              "inbox table) while each notice's changes are committed at once: after a crash the "
              "buffered IDs are gone and a redelivered notice is receipted applied [docs/"
              "notices.md: the notice is applied and its ID recorded in one transaction, before "
              "the receipt]"),
    "own-undo-log-replayed-on-start": (
        5, S, "the vendor writes each row's before-image to its own undo table, which the "
              "commit hook never clears; the start-up recovery replays it: every resident "
              "loses its last applied change while its MessageId stays seen [docs/notices.md: "
              "a receipt means stored durably]"),
    "commit-failure-swallowed-for-new-household": (
        5, S, "the resident table has a deferred foreign key to the household table, which only "
              "全件 fills: the first change of a resident whose 世帯 is not held fails at COMMIT, "
              "the error is logged and the notice receipted applied — nothing stored, nothing "
              "recorded, never redelivered [docs/notices.md: a receipt means stored durably; "
              "a change of a resident not held makes the subscriber hold that resident]"),
    "request-id-recorded-on-completion": (
        5, P, "the RequestId → ExtractId map is written when the transfer's last page has been "
              "served (\"a finished transfer\"): a first request retried before that gets a "
              "second snapshot [docs/notices.md RQ-BEH-08: a first request sent again with the "
              "same RequestId is answered from the same snapshot, never from a second one]"),
}

# The blind measurement's misses (name, role): none until the lead measures the batch.
NINETEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("xml-prefix-declared-refused", "provider"),
    ("xml-prefix-declared-refused", "subscriber"),
    ("default-namespace-undeclaration-refused", "provider"),
    ("default-namespace-undeclaration-refused", "subscriber"),
    ("unused-soap12-declaration-taken-for-version", "provider"),
    ("unused-soap12-declaration-taken-for-version", "subscriber"),
    ("extract-id-over-36-internal", "provider"),
    ("nonbmp-character-reference-read-four-digits", "subscriber"),
    ("household-as-of-resident-registration-day", "provider"),
    ("stale-changes-parked-and-replayed-on-start", "subscriber"),
})

_EXTRACT = f"{{{JUKI}}}ResidentFullExtractResponse"
_INQUIRY = f"{{{JUKI}}}ResidentInquiryResponse"
_DECLARED_PREFIX = re.compile(rb"xmlns:([A-Za-z_][\w.\-]*)\s*=")
_REQUEST_ID = re.compile(rb"<(?:[\w.\-]+:)?RequestId>([^<]+)<")
_FOUR_DIGITS = re.compile(rb"&#x([0-9A-Fa-f]{4});?")
_DATES = tuple(f"{{{CMN}}}{n}" for n in ("DateOfBirth", "BecameResidentOn", "AddressFixedOn"))


def four_digit_references(raw: bytes) -> bytes:
    """Hexadecimal character references decoded with exactly four digits (UTF-8 bytes)."""
    return _FOUR_DIGITS.sub(lambda m: chr(int(m[1], 16)).encode(), raw)


def json_escaped(text: str) -> str:
    """``text`` as a JSON string's content: every non-ASCII character as \\uXXXX."""
    return json.dumps(text)[1:-1]


class NineteenthBatch(NineteenthStore):
    """Mixed into Adapter: the nineteenth batch's hooks (identity without one of its defects)."""

    role: str
    defect: str | None
    lock: threading.Lock
    nineteenth: dict
    extract_requests: dict

    def _nineteenth_is(self, name: str, role: str | None = None) -> bool:
        return self.defect == name and (role is None or self.role == role)

    def _nineteenth_mine(self) -> bool:
        return self.defect in NINETEENTH_DEFECTS and \
            self.role in NINETEENTH_DEFECTS[self.defect or ""][1]

    # --- HTTP in: the front end's filters, the bytes the parser gets -----------------------------

    def _nineteenth_raw(self, raw: bytes) -> None:
        if not self._nineteenth_mine():
            return
        d = self.defect
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = raw.decode("utf-16", "replace").encode("utf-8")
        else:
            text = raw
        if d == "namespace-redeclared-refused":
            prefixes = _DECLARED_PREFIX.findall(text)
            if len(prefixes) != len(set(prefixes)):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "a namespace prefix is declared twice",
                              [("xml:namespace", "duplicate namespace declaration")])
        if d == "xml-prefix-declared-refused" and b"xmlns:xml=" in text:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "a reserved prefix is redefined",
                          [("xml:namespace", "the prefix xml is reserved")])
        if d == "unused-soap12-declaration-taken-for-version" and SOAP12.encode() in text and \
                SOAP11.encode() in text:  # "the 1.2 namespace is there: a 1.2 message"
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not a SOAP 1.2 envelope",
                          [("soap:version", "the envelope is not SOAP 1.2's")],
                          soap_code="VersionMismatch")
        if d == "default-namespace-undeclaration-refused" and \
                re.search(rb"xmlns\s*=\s*(\"\"|'')", text):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "an empty namespace name",
                          [("xml:namespace", "xmlns=\"\" is not a namespace")])

    def _nineteenth_parse_bytes(self, raw: bytes) -> bytes:
        if self._nineteenth_is("utf16be-request-read-as-le") and raw.startswith(b"\xfe\xff"):
            return raw.decode("utf-16-le", "replace").encode("utf-8")  # Encoding.Unicode
        if self._nineteenth_is("utf16-notice-read-as-ucs2", "subscriber") and \
                raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = re.sub("[\U00010000-\U0010ffff]", "\ufffd\ufffd", raw.decode("utf-16"))
            return text.encode("utf-16")
        if self._nineteenth_is("nonbmp-character-reference-read-four-digits", "subscriber"):
            return four_digit_references(raw)
        return raw

    # --- 住民照会 and 全件抽出 ------------------------------------------------------------------

    def _nineteenth_lived_here(self, since: str | None, day: str) -> bool | None:
        if self._nineteenth_is("as-of-compared-with-slashed-dates", "provider"):
            return since is None or since.replace("-", "/") <= day  # text against text
        return None

    def _nineteenth_member_as_of(self, member_as_of: str | None, resident) -> str | None:
        if member_as_of and self._nineteenth_is("household-as-of-resident-registration-day",
                                                "provider"):
            return resident.findtext(f"{{{CMN}}}BecameResidentOn") or member_as_of
        return member_as_of

    def _nineteenth_page_size(self, body, size: int) -> int:
        if self._nineteenth_is("fields-read-by-position", "provider"):
            return int([el for el in body if isinstance(el.tag, str)][1].text)  # the 2nd: PageSize
        return size

    def _nineteenth_extract_id(self, extract_id: str | None, mid) -> None:
        if extract_id and len(extract_id) > 36 and \
                self._nineteenth_is("extract-id-over-36-internal", "provider"):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the extract cannot be read",
                          [("vendor:extract_id", "value too long for type character(36)")], mid)

    def _nineteenth_snapshot_made(self, key: tuple, extract_id: str) -> None:
        if self._nineteenth_is("request-id-recorded-on-completion", "provider") and \
                self.extract_requests.get(key) == extract_id:
            del self.extract_requests[key]  # written when the transfer is finished
            self.nineteenth.setdefault("unfinished", {})[extract_id] = key

    def _nineteenth_page_served(self, extract_id: str, page: int, pages: int) -> None:
        unfinished = self.nineteenth.get("unfinished", {})
        if extract_id in unfinished and page >= pages:
            self.extract_requests[unfinished.pop(extract_id)] = extract_id

    # --- answers ---------------------------------------------------------------------------

    def _nineteenth_reply_header(self, h, raw: bytes) -> None:
        if self._nineteenth_is("extract-relates-to-request-id", "provider") and \
                (found := _REQUEST_ID.search(raw)) is not None:
            h.find(f"{{{PFH}}}RelatesTo").text = found[1].decode()  # the transfer's ID

    def _nineteenth_now(self) -> str | None:
        if self._nineteenth_is("sent-at-two-digit-year"):
            return dt.datetime.now(JST).strftime("%y-%m-%dT%H:%M:%S+09:00")
        return None

    def _nineteenth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._nineteenth_mine() or self.role != "provider":
            return
        d = self.defect
        if d == "not-found-status-unqualified" and response.tag == _INQUIRY and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            response.find(f"{{{JUKI}}}Status").tag = "Status"
        if d == "former-surname-written-as-second-name" and response.tag == _INQUIRY:
            for former in response.iter(f"{{{CMN}}}FormerSurname"):
                former.tag = f"{{{CMN}}}Name"
        if d == "later-pages-total-count-omitted" and response.tag == _EXTRACT and \
                int(response.findtext(f"{{{JUKI}}}Page")) > 1:
            response.remove(response.find(f"{{{JUKI}}}TotalCount"))
        if d == "extract-dates-basic-format" and response.tag == _EXTRACT:
            for el in response.iter(*_DATES):
                el.text = el.text.replace("-", "")
        if d == "names-json-unicode-escaped":
            for text in response.iter(f"{{{CMN}}}Text"):
                text.text = json_escaped(text.text)

    def _nineteenth_refusal(self, refusal: Refusal) -> None:
        """A refusal, before its fault is written."""
        if self._nineteenth_is("other-version-fault-rule-service-endpoint"):
            refusal.findings = [("service:endpoint" if rule == "service:version" else rule, text)
                                for rule, text in refusal.findings]  # "not our service"


__all__ = ["NINETEENTH_DEFECTS", "NINETEENTH_MEASURED_MISSES", "NineteenthBatch",
           "four_digit_references", "json_escaped"]
