"""The thirty-second blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b32) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … thirty-first, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. ``ThirtysecondBatch`` is mixed into ``Adapter``; its ``_thirtysecond_*`` hooks are
called where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store and notice-mapper hooks are in thirtysecond_store.py.

Committed as 3000c02 (on branch b32). Measured once, blind, on the suite of that commit
(`python -m tests.conformance.independent_runs THIRTYSECOND_BATCH`, 2026-12-06 11:51:08Z to
11:52:37Z, 1 min 29 s, load ~2.7 at the start, ~2.9 at the end): 24/25 caught = 96.0 %. (The
commit message says 24 runs: a miscount — utf8-bom-written-after-declaration, which replaced a
subscriber-only defect before the commit, has both roles; the batch has 18 defects, 25 runs.)
Per class: 1 (one message shape) 8/8, 2 (inputs rarely sent) 5/5, 3 (characters) 5/5, 4 (time)
4/4, 5 (durability) 2/3. Per role: provider 12/12, subscriber 12/13. No variant failed to
start. One catch is not the defect's own: notice-far-ahead-refused-as-server-fault was caught by
P-LEX-01 with a transport failure (the connection closed without an answer) — the variant's
clock check reads the notice's SentAt with Python's datetime.fromisoformat, which raises on
lexical forms xs:dateTime admits (24:00:00, a year of five digits), and the uncaught error drops
the connection: an unintended second defect of this variant (class 2). Whether its intended
defect alone (a server fault for a notice more than 300 s ahead) is caught this measurement does
not tell; run afterwards on S-AHEAD-01 alone (the notice 3600 s ahead), the variant fails it with
soap:Server where Client is expected (lead session, 2026-12-06 ~12:15 UTC). Missed
(THIRTYSECOND_MEASURED_MISSES; no variant was changed after the measurement), with why the
suite did not see it as far as the documents tell:
- names-rebuilt-from-history-text-sequence-on-start (subscriber): the text order of the
  history's 異動連番 differs from the numeric one only when a resident's applied changes cross a
  power of ten (9 and 10, 99 and 100); the restart cases apparently restart after changes whose
  異動連番 have one number of digits (docs/notices.md sets the domain, 1 … 18 digits, and asks
  for exact comparison, but the large values seem to be sent without a restart between them).
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from .standard import CMN, JST, JUKI, PFF, PFH, PFR, SOAP12, Answer, Refusal
from .thirtysecond_store import ThirtysecondStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
EXTRACT_RESPONSE = f"{{{JUKI}}}ResidentFullExtractResponse"
CLOCK_SKEW = dt.timedelta(seconds=300)
# the eras of the vendor's 和暦 date column: (first day, 元号)
ERAS = ((dt.date(2019, 5, 1), "令和"), (dt.date(1989, 1, 8), "平成"), (dt.date(1926, 12, 25), "昭和"),
        (dt.date(1912, 7, 30), "大正"), (dt.date(1868, 10, 23), "明治"))
_DECLARED = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
THIRTYSECOND_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one fault kind or one page only
    "soap12-answer-header-after-body": (
        1, BOTH, "the SOAP 1.2 answer writer builds env:Body first and appends env:Header after "
                 "it: every SOAP 1.2 answer (not its faults) has its Header as the envelope's "
                 "second child; SOAP 1.1 answers are right [SOAP 1.2 Part 1 5.1: env:Envelope "
                 "holds an optional env:Header, then env:Body — the Header, if present, is the "
                 "first child; README: every message carries pfh:PlatformHeader in soap:Header]"),
    "later-pages-total-pages-remaining": (
        1, P, "全件 pages after the first are written by the vendor's paging handler, whose "
              "TotalPages is the number of pages left from this one (TotalPages − Page + 1): page "
              "2 of 4 says 3; the first page is right [docs/notices.md: every page carries the "
              "totals, TotalPages = ⌈TotalCount / PageSize⌉; juki-v1.xsd "
              "ResidentFullExtractResponse]"),
    "rule-fault-finding-children-unqualified": (
        1, BOTH, "a PF-RULE-VIOLATION fault's findings are written by the rule engine's own "
                 "formatter, which writes pff:Finding's children (Rule, Message) without a "
                 "namespace; the faults of every other code are right [fault-v1.xsd: "
                 "elementFormDefault qualified — Rule and Message are in urn:pfbus:platform:"
                 "fault:v1; docs/faults.md: every Finding names its rule]"),
    "duplicate-receipt-receiver-of-first-sender": (
        1, S, "a 'duplicate' receipt is built from the vendor's inbox row, which keeps the "
              "Sender SystemId of the notice's first delivery: a notice delivered again by "
              "another publisher system (a standby, tax-standby) is receipted to the first one "
              "(tax); 'applied' receipts are right [README: a reply's Receiver is the Sender "
              "character for character; docs/notices.md: a notice delivered again under its "
              "MessageId from another Sender SystemId is a duplicate]"),
    "version-mismatch-fault-always-soap12": (
        1, BOTH, "the VersionMismatch fault is written by the vendor's SOAP 1.2 fault writer "
                 "(the only one that knows env:Upgrade), whatever the request's Content-Type: a "
                 "request sent as text/xml whose root is not a SOAP envelope is answered a SOAP "
                 "1.2 fault labelled application/soap+xml; every other fault is in the request's "
                 "version [docs/faults.md: a VersionMismatch fault is a SOAP 1.1 fault to a "
                 "request sent as text/xml; every fault is in the request's SOAP version]"),
    # 2 — inputs rarely sent: odd-but-legal HTTP and XML forms, other inquiry keys
    "charset-parameter-name-case-sensitive": (
        2, BOTH, "the vendor decodes a request by its charset parameter, which it looks up by "
                 "the name 'charset' as written: a parameter named Charset or CHARSET is not "
                 "seen, the bytes are decoded as UTF-8 (its default), and a UTF-16 request "
                 "labelled 'Charset=UTF-16' is refused as not well-formed [README: parameter "
                 "names in any case (RFC 9110 §5.6.6); every product reads UTF-16 with its byte "
                 "order mark]"),
    "header-strings-collapsed-before-validation": (
        2, BOTH, "the vendor's header binding trims every text value (a collapsing string "
                 "adapter) before the header is validated: a ServiceId or Version with a space "
                 "at an end (' juki.ResidentInquiry', '1 ') is served as the service instead of "
                 "being refused as an invalid header [README: a spelling the schema's pattern "
                 "refuses — a space at an end — is no ServiceId or Version at all: refused "
                 "PF-HEADER-INVALID, never served; header-v1.xsd ServiceIdType]"),
    "by-individual-number-removed-resident-not-found": (
        2, P, "an inquiry by 個人番号 is answered from the vendor's 番号連携 view, which holds "
              "residents of 住民状態 1 only: a resident moved out (転出者, 2) asked by 個人番号 is "
              "answered not-found; by 宛名番号 the same resident is found [juki-v1.xsd: an "
              "inquiry by 宛名番号 or 個人番号 asks for the same resident; README: a product "
              "answers not-found only for a resident it does not hold; resident_status.csv]"),
    # 3 — characters
    "stores-name-nfd": (
        3, S, "the name is stored through the vendor's document archive, keyed by a file name on "
              "a file system that decomposes names (NFD): 福 U+FA1B is stored 福 U+798F, ガ as カ + "
              "U+3099 [docs/characters.md: names are never normalised, a compatibility ideograph "
              "is kept as sent; docs/notices.md: every value is stored as sent]"),
    "us-ascii-answer-references-per-utf8-byte": (
        3, P, "a request sent in US-ASCII (charset=us-ascii or an XML declaration naming it) is "
              "answered in US-ASCII by the vendor's escaping writer, which writes each byte of a "
              "character's UTF-8 form as its own reference: 総 is written &#xE7;&#xB7;&#x8F; "
              "instead of &#x7DCF; [XML 1.0 §4.1: a character reference names the "
              "character's ISO/IEC 10646 code point; README: US-ASCII with every other character "
              "as a character reference]"),
    "utf8-bom-written-after-declaration": (
        3, BOTH, "the answer writer writes the XML declaration itself, then hands the stream to "
                 "a UTF-8 writer that begins with a byte order mark (utf-8-sig): every answer "
                 "(its faults come from another writer) has EF BB BF after the declaration, a "
                 "U+FEFF before the root element [XML 1.0 §2.1 and §4.3.3: a byte order mark "
                 "may only begin the entity, character data before the root element is not "
                 "well-formed; README: UTF-8 with or without a byte order mark — at its start]"),
    "utf16be-answer-bom-echoed-body-little-endian": (
        3, P, "a request sent in UTF-16 is answered in UTF-16: the answer starts with the "
              "request's byte order mark, then the vendor's UTF-16 writer (little-endian, the "
              "platform's) writes the text: a big-endian request (FE FF) gets an answer whose "
              "BOM says big-endian and whose bytes are little-endian; little-endian requests are "
              "right [XML 1.0 §4.3.3 and RFC 2781 §3.2: the byte order mark gives the byte order "
              "of what follows; README: what a label and a declaration say agrees with the "
              "bytes]"),
    # 4 — time
    "notice-far-ahead-refused-as-server-fault": (
        4, S, "a notice whose SentAt is more than 300 s ahead of the subscriber's clock is "
              "refused PF-MESSAGE-STALE by the vendor's clock monitor as its own error (Party "
              "provider, soap:Server: 'our clock may be wrong') [docs/notices.md: such a notice "
              "may be refused with PF-MESSAGE-STALE as a client fault (the Sender's clock is "
              "wrong, freshness:clock_skew) or applied; a server fault is wrong]"),
    "sent-at-offset-and-z-suffix": (
        4, BOTH, "the reply's SentAt pattern was the vendor's UTC one, yyyy-MM-dd'T'HH:mm:ss'Z', "
                 "moved to JST by inserting the offset and keeping the literal Z: every answer's "
                 "SentAt ends +09:00Z [XML Schema 1.0 Part 2 3.2.7: a dateTime ends in at most "
                 "one time zone; header-v1.xsd JstDateTimeType: ending +09:00; README]"),
    "date-of-birth-written-as-era-year": (
        4, P, "生年月日 is kept in the vendor's 和暦 columns (元号, 年, 月日) and written to answers "
              "with the year of the era in place of the Gregorian year: 1990-04-01 (平成2年) is "
              "written 0002-04-01, for the resident and the household's members, in inquiries "
              "and 全件 [common-v1.xsd: DateOfBirth is an xs:date — a Gregorian date; "
              "../shared/docs/platform.md: identifiers and dates exchanged as the standard "
              "defines them]"),
    # 5 — durability: state lost or altered by a kill and a restart
    "seen-ids-of-multi-change-notices-in-memory": (
        5, S, "a notice with several changes goes through the vendor's batch importer, which "
              "de-duplicates by its own in-memory set of MessageIds instead of the inbox table: "
              "after a restart such a notice delivered again is applied again (its changes kept "
              "out) and receipted applied, not duplicate; single-change notices are right "
              "[docs/notices.md: the MessageIds received survive a restart, all of them; a "
              "notice delivered again is a duplicate]"),
    "names-rebuilt-from-history-text-sequence-on-start": (
        5, S, "at start-up the vendor rebuilds each held resident's name from its change history "
              "table, taking the row with the highest 異動連番 — a TEXT column, so '9' sorts "
              "after '10': a resident whose last changes were 9 and 10 shows the name of change "
              "9 after a restart [docs/notices.md: a start-up restores every resident as it was "
              "— the state its last applied change carried; a start-up changes no stored "
              "value]"),
    "watermarks-of-single-change-residents-cleared-on-start": (
        5, S, "the start-up job takes a resident with one change applied for a record of the "
              "initial load and clears its last 異動連番: after a restart an older change of such "
              "a resident is applied over the newer state [docs/notices.md: each resident's last "
              "異動連番 survives a restart; a start-up job that clears the watermark of some "
              "residents lets an older change overwrite the state]"),
}

THIRTYSECOND_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (24/25 on 3000c02)
    "names-rebuilt-from-history-text-sequence-on-start": "subscriber",
}


def era_year_date(text: str) -> str:
    """date-of-birth-written-as-era-year: the year of the era where the Gregorian one belongs."""
    day = dt.date.fromisoformat(text.strip()[:10])
    start = next((s for s, _ in ERAS if day >= s), None)
    if start is None:  # before 明治: the column holds none
        return text
    return f"{day.year - start.year + 1:04d}{text.strip()[4:]}"


def utf8_byte_references(text: str) -> str:
    """us-ascii-answer-references-per-utf8-byte: each UTF-8 byte of a non-ASCII character as its
    own character reference."""
    return "".join(c if ord(c) < 0x80 else "".join(f"&#x{b:02X};" for b in c.encode("utf-8"))
                   for c in text)


def charset_seen(content_type: str) -> str | None:
    """charset-parameter-name-case-sensitive: the charset the vendor's parser sees (by its name
    as written, 'charset' only)."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip() == "charset":
            return value.strip().strip('"')
    return None


def us_ascii_request(raw: bytes, content_type: str) -> bool:
    """A request labelled or declared US-ASCII (what us-ascii-answer-references-per-utf8-byte
    answers in US-ASCII)."""
    label = next((p.partition("=")[2].strip().strip('"') for p in content_type.split(";")[1:]
                  if p.partition("=")[0].strip().lower() == "charset"), "")
    declared = _DECLARED.match(raw.lstrip(b"\xef\xbb\xbf"))
    return label.lower() == "us-ascii" or (
        declared is not None and declared[1].decode().lower() == "us-ascii")


class ThirtysecondBatch(ThirtysecondStore):
    """Mixed into Adapter: the thirty-second batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    thirtysecond: dict

    def _thirtysecond_mine(self) -> bool:
        return self.defect in THIRTYSECOND_DEFECTS and \
            self.role in THIRTYSECOND_DEFECTS[self.defect or ""][1]

    # --- HTTP in ---------------------------------------------------------------------------------

    def _thirtysecond_http(self, raw: bytes, content_type: str) -> None:
        self.thirtysecond["content_type"] = content_type
        if not (self._thirtysecond_mine() and
                self.defect == "charset-parameter-name-case-sensitive"):
            return
        charset = charset_seen(content_type) or "utf-8"
        try:
            raw.decode(charset)
        except (UnicodeDecodeError, LookupError) as exc:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not well-formed XML",
                          [("xml:well-formed", f"the bytes are not {charset}: {exc.reason}")]
                          ) from None

    # --- the platform's checks ------------------------------------------------------------------

    def _thirtysecond_header(self, header) -> None:
        if not (self._thirtysecond_mine() and
                self.defect == "header-strings-collapsed-before-validation"):
            return
        for el in header.iter():
            if isinstance(el.tag, str) and len(el) == 0 and el.text:
                el.text = " ".join(el.text.split())

    def _thirtysecond_checks(self, header, body, mid) -> None:
        self.thirtysecond["several"] = len(body.findall(f"{{{JUKI}}}Change")) > 1
        if self.role == "subscriber" and self._thirtysecond_mine():
            self._thirtysecond_notice_checks(header, mid)
            if self.defect == "notice-far-ahead-refused-as-server-fault":
                sent_at = dt.datetime.fromisoformat(
                    (header.findtext(f"{{{PFH}}}SentAt") or "").strip())
                now = dt.datetime.now(JST)
                if sent_at - now > CLOCK_SKEW:
                    raise Refusal("PF-MESSAGE-STALE", "provider", "SentAt is ahead of our clock",
                                  [("freshness:clock_skew", f"ahead of {now.isoformat()}")], mid)

    # --- 住民照会 ------------------------------------------------------------------------------

    def _thirtysecond_found(self, resident, by_individual_number: bool):
        if self._thirtysecond_mine() and \
                self.defect == "by-individual-number-removed-resident-not-found" and \
                by_individual_number and resident is not None and \
                resident.findtext(f"{{{CMN}}}ResidentStatus") != "1":
            return None  # the 番号連携 view: WHERE 住民状態 = '1'
        return resident

    # --- the reply header -------------------------------------------------------------------------

    def _thirtysecond_reply_header(self, h, response, request_header) -> None:
        if not self._thirtysecond_mine():
            return
        q = lambda n: f"{{{PFH}}}{n}"  # noqa: E731
        if self.defect == "sent-at-offset-and-z-suffix":
            h.find(q("SentAt")).text += "Z"
        if self.defect == "duplicate-receipt-receiver-of-first-sender" and \
                response.findtext(f"{{{PFR}}}Status") == "duplicate":
            first = self._thirtysecond_first_sender(request_header.findtext(q("MessageId")))
            if first is not None:
                h.find(f"{q('Receiver')}/{q('SystemId')}").text = first

    # --- the answer's body, envelope and bytes ----------------------------------------------------

    def _thirtysecond_answer(self, response) -> None:
        if not self._thirtysecond_mine():
            return
        if self.defect == "date-of-birth-written-as-era-year":
            for el in response.iter(f"{{{CMN}}}DateOfBirth"):
                el.text = era_year_date(el.text or "")
        if self.defect == "later-pages-total-pages-remaining" and \
                response.tag == EXTRACT_RESPONSE:
            page = int(response.findtext(f"{{{JUKI}}}Page") or "1")
            total = response.find(f"{{{JUKI}}}TotalPages")
            if 1 < page <= int(total.text):
                total.text = str(int(total.text) - page + 1)

    def _thirtysecond_envelope(self, env, soap) -> None:
        if self._thirtysecond_mine() and self.defect == "soap12-answer-header-after-body" and \
                soap == SOAP12:
            head = env.find(f"{{{soap}}}Header")
            if head is not None:
                env.remove(head)
                env.append(head)

    def _thirtysecond_out(self, answer: Answer, env, raw: bytes) -> Answer:
        if not self._thirtysecond_mine():
            return answer
        media = answer.content_type.split(";")[0]
        if self.defect == "utf8-bom-written-after-declaration" and \
                answer.body.startswith(b"<?xml"):
            declaration, _, rest = answer.body.partition(b"?>")
            return Answer(answer.status, declaration + b"?>\xef\xbb\xbf" + rest,
                          answer.content_type, answer.content_length)
        if self.defect == "us-ascii-answer-references-per-utf8-byte" and \
                us_ascii_request(raw, self.thirtysecond.get("content_type", "")):
            text = utf8_byte_references(etree.tostring(env, encoding="unicode"))
            body = ('<?xml version="1.0" encoding="US-ASCII"?>' + text).encode("ascii")
            return Answer(answer.status, body, f"{media}; charset=us-ascii")
        if self.defect == "utf16be-answer-bom-echoed-body-little-endian" and \
                raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = '<?xml version="1.0" encoding="UTF-16"?>' + etree.tostring(
                env, encoding="unicode")
            return Answer(answer.status, raw[:2] + text.encode("utf-16-le"),
                          f"{media}; charset=utf-16")
        return answer

    # --- faults ---------------------------------------------------------------------------------

    def _thirtysecond_fault_soap(self, soap: str, refusal: Refusal) -> str:
        if self._thirtysecond_mine() and self.defect == "version-mismatch-fault-always-soap12" \
                and refusal.soap_code == "VersionMismatch":
            return SOAP12
        return soap

    def _thirtysecond_fault(self, detail, refusal: Refusal) -> None:
        if self._thirtysecond_mine() and \
                self.defect == "rule-fault-finding-children-unqualified" and \
                refusal.code == "PF-RULE-VIOLATION":
            for finding in detail.iter(f"{{{PFF}}}Finding"):
                for child in finding:
                    child.tag = etree.QName(child).localname


__all__ = ["THIRTYSECOND_DEFECTS", "THIRTYSECOND_MEASURED_MISSES", "ThirtysecondBatch",
           "charset_seen", "era_year_date", "us_ascii_request", "utf8_byte_references"]
