"""The eighteenth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, the XSDs and WSDLs, the code lists, ../shared/docs/platform.md, and the
standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML Schema, HTTP/1.1, RFC 7303) and this
independent adapter's code, by a helper engineer (session b18) who has not read the suite, and
committed before the suite was run on it. None repeats a defect of the earlier batches (seventh
… seventeenth, and variants.py's DEFECTS), which were read for the mechanics and to stay clear of
them; none is a behaviour those documents permit or leave open.
``EighteenthBatch`` is mixed into ``Adapter``; its ``_eighteenth_*`` hooks are called where each
defect lives and change nothing when no defect of this batch is selected. The subscriber's store
and notice-mapper hooks are in eighteenth_store.py.

Measured once, blind, on aca08cd (main at that moment: the suite of 265e7bf — rounds 15b, 16 and
16b's HTTP and XML forms in; none written with this batch; the rounds being written meanwhile, 16b's
second part and 17, by authors who had not seen it, not yet in;
`python -m tests.conformance.independent_runs EIGHTEENTH_BATCH`, 2026-12-05 08:34:31Z –
08:35:47Z, two at a time, load average 5.4 → 4.7 from other helpers' work): 37/43 caught =
86.0 %. Per class: 1 (one message shape) 11/11, 2 (inputs rarely sent) 8/10, 3 (characters) 5/7,
4 (time) 8/9, 5 (durability) 5/6. Per role: provider 18/20, subscriber 19/23. No variant crashed
or failed to start. Missed (EIGHTEENTH_MEASURED_MISSES; no variant was changed after the
measurement):
- request-element-matched-by-local-name (provider and subscriber): the body's element matched by
  its local name — a message of another namespace (juki v2) answered or applied as v1;
- utf16-answer-without-bom (provider and subscriber): a UTF-16 request answered in UTF-16LE
  without a byte order mark, labelled charset=utf-16;
- occurred-before-became-resident-refused (subscriber): a change whose 異動年月日 precedes the
  resident's 住民となった年月日 refused by a date rule of the vendor's;
- in-doubt-last-request-marked-seen-on-start (subscriber): a notice refused before a restart is
  receipted duplicate when delivered again after it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html.entities
import math
import re
import threading
import time

from lxml import etree

from .eighteenth_store import EighteenthStore
from .standard import CMN, JST, JUKI, SERVICES, SOAP11, SOAP12, Answer, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
EIGHTEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, answer kind, page, change kind or field only
    "soap12-reply-must-understand-yes": (
        1, BOTH, "the SOAP 1.2 reply template marks the platform header env:mustUnderstand=\"yes\" "
                 "(the SOAP 1.1 writer's was \"1\"): every SOAP 1.2 answer and receipt carries "
                 "an attribute value SOAP 1.2 does not define; SOAP 1.1 replies are right [SOAP "
                 "1.2 part 1 §5.2.3: mustUnderstand is an xs:boolean, \"true\" / \"1\" or "
                 "\"false\" / \"0\"; header-v1.xsd: SOAP's own attributes]"),
    "soap11-answer-body-trace-entry": (
        1, P, "the SOAP 1.1 endpoint's framework appends its trace entry to soap:Body after the "
              "answer (SOAP 1.1 §4.3 allows several body entries): every SOAP 1.1 answer's Body "
              "holds two elements; SOAP 1.2 answers and faults are right [docs/faults.md "
              "PF-SOAP-ENVELOPE: one Header and one Body holding one element; the WSDLs' "
              "document/literal binding: one part, the response element]"),
    "extract-pages-stylesheet-pi": (
        1, P, "the 全件 page writer, shared with the vendor's export viewer, puts an "
              "<?xml-stylesheet …?> processing instruction after the XML declaration of every "
              "page; inquiries are right [SOAP 1.1 §3 and SOAP 1.2 part 1 §5: a SOAP message "
              "must not contain processing instructions; docs/faults.md]"),
    "head-name-original-copied": (
        1, P, "the household's HeadName is written by the 住民票 printer's template, which fills "
              "both name columns: cmn:Original carries a copy of cmn:Text although nothing was "
              "shrunk; the resident's and the members' names are right [common-v1.xsd NameType: "
              "Original only where Text is a 縮退, the name exactly as registered; "
              "docs/characters.md: 縮退 only for a receiver that declares JIS X 0213]"),
    "later-pages-page-echoed-zero-based": (
        1, P, "pages after the first are written by the cursor's page writer, which echoes its "
              "0-based page index: the answer to Page 2 says Page 1, to Page 3 Page 2 (the "
              "residents are the right ones) [docs/notices.md, the paging contract: every page "
              "names the same ExtractId and echoes its Page]"),
    "dated-extract-total-count-undated": (
        1, P, "the totals of a 全件 with a 基準日 come from the registry's COUNT query, which has "
              "no 基準日 filter: TotalCount (and TotalPages from it) counts every resident while "
              "the pages hold those recorded by the 基準日; undated extracts are right "
              "[docs/notices.md: TotalPages = ⌈TotalCount / PageSize⌉ and the pages together "
              "hold TotalCount distinct residents]"),
    "by-individual-number-key-as-addressee-number": (
        1, P, "an inquiry by 個人番号 is answered by a mapper that writes the request's key into "
              "the answer's key column: juki:Resident/cmn:AddresseeNumber carries the 個人番号; "
              "inquiries by 宛名番号 are right [common-v1.xsd ResidentType: AddresseeNumber is "
              "the resident's 宛名番号, IndividualNumber the 個人番号; juki-v1.xsd: the answer is "
              "the resident]"),
    "finding-path-first-change": (
        1, S, "the fault writer names a code-list finding's element by a path template that "
              "always says juki:Change[1]: a bad code in the second or a later change of a "
              "notice is placed in the first change [docs/faults.md: a Finding about a place "
              "names the element's path, a position where siblings share a name; RQ-FAULT-13: "
              "a Path, when given, must name the element]"),
    "household-reasons-name-not-written": (
        1, S, "the mapper of the 世帯 changes (C02 世帯分離 … C05 世帯主変更) updates the household "
              "columns only: the name such a change carries is not written (its 異動連番 is) "
              "[docs/notices.md: a change carries the resident's whole state after it and the "
              "subscriber applies the state, not a difference]"),
    "removal-name-cleared": (
        1, S, "a 消除 (B..) marks the record removed and clears its personal columns as the "
              "vendor's 除票 view does: the name is stored empty [docs/notices.md: after a 消除 "
              "the record is kept, marked removed, in the state the change carries (the 除票 is "
              "for taxation of the year, 資格喪失)]"),
    # 2 — inputs rarely sent: hostile or unusual but valid XML forms, values, notice shapes
    "character-references-refused": (
        2, BOTH, "an input filter against \"entity injection\" refuses PF-SOAP-ENVELOPE any "
                 "message holding &#: a value written with a character reference (&#x30;, "
                 "&#x9AD9;) is refused [XML 1.0 §4.1: a character reference is character data; "
                 "README: every value is read as XML defines it]"),
    "cdata-refused-as-dtd": (
        2, BOTH, "the DTD guard looks for the bytes <! other than a comment: a CDATA section "
                 "(<![CDATA[…]]>) is refused PF-XML-DTD as a markup declaration [XML 1.0 §2.7: "
                 "a CDATA section is character data in content; docs/faults.md PF-XML-DTD: a "
                 "document type declaration only]"),
    "xsi-type-in-request-refused": (
        2, BOTH, "the deserialiser's hardening refuses PF-SCHEMA-INVALID every xsi:type "
                 "attribute (a gadget vector in its binding framework): a message whose "
                 "宛名番号 carries xsi:type naming its declared type (cmn:AddresseeNumberType) is "
                 "refused [XML Schema part 1 §3.3.4 cvc-elt.4.3: an xsi:type naming the declared "
                 "type is valid; the message is schema-valid]"),
    "request-element-matched-by-local-name": (
        2, BOTH, "the dispatcher matches the body's element by its local name: a message of "
                 "another namespace (a juki v2 peer's urn:pfbus:unit:juki:v2 "
                 "ResidentInquiryRequest or ResidentChangeNotice) is answered (applied) as v1 "
                 "[docs/faults.md PF-SCHEMA-INVALID: the body is not the service's request "
                 "element; Namespaces in XML: an element's name is its namespace and local "
                 "name]"),
    "notice-changes-deduplicated-by-sequence": (
        2, S, "the notice mapper drops a change whose 異動連番 equals an earlier change's in the "
              "same notice (\"a resend inside the batch\"): a notice about two residents whose "
              "changes both carry 異動連番 1 applies the first resident only [juki-v1.xsd "
              "ChangeType: 異動連番 is per resident; docs/notices.md: per change, per resident]"),
    "stale-change-ends-notice": (
        2, S, "the notice loop returns where it should continue: after a stale change (異動連番 "
              "not above the last applied) the rest of the notice is skipped — a later change of "
              "another resident is receipted applied and not applied [docs/notices.md: per "
              "change, per resident; judge each change on its own]"),
    # 3 — characters: escapes, encodings, repertoires
    "cdata-wrapped-character-references": (
        3, P, "the answer writer both escapes every non-ASCII character as a character "
              "reference and wraps non-ASCII text in CDATA, where a reference is not one: the "
              "names read &#x7DCF;&#x52D9;… literally [XML 1.0 §2.7: inside a CDATA section "
              "markup is not recognised; docs/characters.md: the registered name exactly]"),
    "text-escaped-with-html4-entities": (
        3, P, "text values are escaped with an HTML 4 escaper (escapeHtml4): every character "
              "that has an HTML entity name is written as one — &minus; &cent; &pound; &not; — "
              "which XML does not define: answers naming such a character are not well-formed "
              "[XML 1.0 §4.1 WFC: Entity Declared (only amp, lt, gt, apos, quot without a DTD); "
              "SOAP: no DTD]"),
    "utf16-answer-without-bom": (
        3, BOTH, "a request sent in UTF-16 is answered in UTF-16 the way .NET's "
                 "Encoding.Unicode.GetBytes writes it: little-endian without a byte order mark, "
                 "labelled charset=utf-16 [XML 1.0 §4.3.3: an entity in UTF-16 MUST begin with "
                 "the byte order mark; RFC 2781 §4.3: UTF-16 without one is big-endian]"),
    "no-charset-read-as-latin1": (
        3, S, "a notice whose Content-Type names no charset is decoded by the HTTP layer with "
              "the old text/* default, ISO-8859-1, and handed to the parser re-encoded: its "
              "text is read as mojibake (総務翔子 → ç·å\u008b\u0099…): the readings break "
              "their katakana pattern and the valid notice is refused PF-SCHEMA-INVALID (one "
              "without readings would be stored garbled) [RFC 7303 §3.2, XML 1.0 §4.3.3 and "
              "Appendix F: without a charset the XML declaration and BOM decide (UTF-8 here); "
              "RFC 9110 removed the ISO-8859-1 default]"),
    "jisx0213-name-refused": (
        3, S, "the subscriber validates names with its own JIS X 0213 repertoire and refuses "
              "PF-RULE-VIOLATION (jisx0213_characters) a notice whose name holds an MJ "
              "character outside it (髙, 𠮷, an IVS sequence) instead of storing it or its "
              "縮退 [docs/characters.md: a receiver that stores only JIS X 0213 applies the 縮退 "
              "with the registered name kept; the rule is the hub's, bound per tenant]"),
    "name-half-width-kana-refused": (
        3, S, "the vendor's 半角カナ禁止 input rule refuses PF-RULE-VIOLATION a notice whose name "
              "holds half-width katakana (神谷ﾏﾘｱ, registered so) [docs/characters.md: a "
              "registered name reaches every system exactly as registered; the hub's character "
              "rules accept JIS X 0201 kana]"),
    # 4 — time: clocks, formats, calendars, ages, date rules
    "sent-at-http-date-format": (
        4, BOTH, "the reply header's SentAt is written by the HTTP Date helper "
                 "(email.utils.format_datetime): Sat, 05 Dec 2026 17:20:00 +0900 [header-v1.xsd "
                 "JstDateTimeType: an xs:dateTime ending +09:00]"),
    "sent-at-from-monotonic-clock": (
        4, P, "the reply's SentAt is made from the monotonic clock the vendor times its "
              "requests with (time.monotonic() taken for seconds since the epoch): SentAt is "
              "the host's uptime after 1970-01-01 [README: SentAt is the time sent, +09:00]"),
    "as-of-ordinal-month-table-without-leap": (
        4, P, "基準日 is converted to the registry's ordinal date (year, day of year) with a "
              "month table of a common year and back with the calendar: in a leap year every "
              "基準日 from 1 March on is read one day early (2024-05-01 as 2024-04-30) "
              "[juki-v1.xsd AsOf: the state as of this date, inclusive]"),
    "extract-as-of-snapped-to-assessment-date": (
        4, P, "a dated 全件 is built as of the 賦課期日 of the 基準日's year (1 January), as the "
              "vendor's tax-side extract always was: residents recorded after 1 January and by "
              "the 基準日 are missing [juki-v1.xsd AsOf: the state as of this date; "
              "docs/notices.md: one snapshot as of the request's 基準日]"),
    "as-of-compared-by-month": (
        4, P, "住民となった年月日 is compared with the 基準日 through a YYYYMM index column: a "
              "resident recorded later in the 基準日's month is found (AsOf 2023-01-05, "
              "BecameResidentOn 2023-01-10) [juki-v1.xsd AsOf: found only if BecameResidentOn "
              "is on or before it]"),
    "minor-resident-not-held": (
        4, S, "the tax subscriber holds residents aged 16 and over (its age: this year minus "
              "the year of birth): a change of a younger resident it does not hold is receipted "
              "applied and not stored [docs/notices.md: a change of a resident the subscriber "
              "does not hold makes it hold that resident in the state it carries]"),
    "receipt-sent-at-dated-occurred-on": (
        4, S, "the receipt header is built from the vendor's 異動履歴 row, whose 処理日時 is the "
              "change's 異動年月日 with the time of day: SentAt is 2025-04-01T<now>+09:00 "
              "[README: SentAt is the time sent]"),
    "occurred-before-became-resident-refused": (
        4, S, "a date rule of the vendor's refuses PF-RULE-VIOLATION a change whose 異動年月日 "
              "precedes the resident's 住民となった年月日 (a 職権修正 dated back) [common-v1.xsd "
              "ChangeEventType and ResidentType: independent xs:date values; docs/faults.md: "
              "rules beyond XSD are check digits and code lists]"),
    # 5 — durability: exactly once across redeliveries and restarts
    "resident-table-unlogged": (
        5, S, "the resident table is an UNLOGGED table (the vendor's PostgreSQL tuning, mirrored "
              "here): after a start that follows a crash or a kill it is emptied, while the seen "
              "MessageIds survive — every resident applied before is gone, and a redelivery is "
              "receipted duplicate, so nothing brings them back [docs/notices.md: a receipt "
              "means stored durably; never lost]"),
    "request-id-map-per-endpoint": (
        5, P, "the SOAP 1.1 and SOAP 1.2 endpoints each keep their own RequestId → ExtractId map: "
              "a first 全件 request retried over the other binding (a retry after a failover "
              "to the other endpoint) gets a second snapshot [docs/notices.md "
              "RQ-BEH-08: a first request sent again with the same RequestId is answered from "
              "the same snapshot, never from a second one; the key is (Sender, RequestId)]"),
    "seen-key-process-salted-hash": (
        5, S, "seen MessageIds are stored as a keyed hash whose key is drawn at start-up (a "
              "hash-flooding defence): after a restart no stored key matches, a redelivered "
              "notice is applied again [docs/notices.md: a redelivery is applied only once; "
              "the receipt says stored durably]"),
    "seen-id-recorded-as-reply-id": (
        5, S, "the seen table is written with the exchange's own ID, the receipt's MessageId, "
              "and looked up with the notice's: every redelivery is applied again and receipted "
              "applied [receipt-v1.xsd: duplicate — this MessageId was received before; "
              "docs/notices.md: exactly once]"),
    "seen-cache-not-updated-on-insert": (
        5, S, "seen MessageIds are looked up in a cache loaded from the table at start-up; a new "
              "ID goes to the table only: a redelivery before the next restart is applied again "
              "(after one it is a duplicate) [docs/notices.md: exactly once, the SDK's "
              "IdempotentReceiver]"),
    "in-doubt-last-request-marked-seen-on-start": (
        5, S, "at start-up the recovery takes the last notice of the request log as in doubt "
              "and marks it seen: a notice refused before the restart (a bad code) is receipted "
              "duplicate when the hub redelivers it, never refused again nor applied "
              "[docs/notices.md: a notice refused with a fault records no MessageId — delivered "
              "again it is refused again]"),
}

# The blind measurement's misses (name, role), kept as measured (the docstring).
EIGHTEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("request-element-matched-by-local-name", "provider"),
    ("request-element-matched-by-local-name", "subscriber"),
    ("utf16-answer-without-bom", "provider"),
    ("utf16-answer-without-bom", "subscriber"),
    ("occurred-before-became-resident-refused", "subscriber"),
    ("in-doubt-last-request-marked-seen-on-start", "subscriber"),
})

XSI = "http://www.w3.org/2001/XMLSchema-instance"
TRACE = "urn:example:vendor:trace"
STYLESHEET_PI = b'\n<?xml-stylesheet type="text/xsl" href="/viewer/extract.xsl"?>'
_EXTRACT = f"{{{JUKI}}}ResidentFullExtractResponse"
_INQUIRY = f"{{{JUKI}}}ResidentInquiryResponse"
_LOCAL_SERVICES = {tag.split("}")[1] for tag in SERVICES}
_COMMON_YEAR = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_UTF8_DECLARATION = re.compile(r"\A<\?xml([^>]*?)encoding=(['\"])UTF-8\2", re.I)


def ordinal_round_trip(day: str) -> str:
    """A date to (year, day of year) with a common year's month table, and back."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:  # not a date the converter reads: left as it was
        return day
    ordinal = _COMMON_YEAR[date.month - 1] + date.day
    return (dt.date(date.year, 1, 1) + dt.timedelta(days=ordinal - 1)).isoformat()


def html4_escaped(text: str) -> str:
    """Every character with an HTML 4 entity name written as that entity (escapeHtml4)."""
    return "".join(f"&{html.entities.codepoint2name[ord(c)]};"
                   if not c.isascii() and ord(c) in html.entities.codepoint2name else c
                   for c in text)


def character_references(text: str) -> str:
    """Every non-ASCII character as a hexadecimal character reference."""
    return "".join(c if c.isascii() else f"&#x{ord(c):X};" for c in text)


class EighteenthBatch(EighteenthStore):
    """Mixed into Adapter: the eighteenth batch's hooks (identity without one of its defects)."""

    role: str
    residents: dict
    eighteenth: dict
    lock: threading.Lock

    def _eighteenth_is(self, name: str, role: str | None = None) -> bool:
        return self.defect == name and (role is None or self.role == role)

    def _eighteenth_mine(self) -> bool:
        return self.defect in EIGHTEENTH_DEFECTS and \
            self.role in EIGHTEENTH_DEFECTS[self.defect or ""][1]

    # --- HTTP in, the body element ----------------------------------------------------------

    def _eighteenth_raw(self, raw: bytes) -> None:
        """The front end's filters, before the parser."""
        if not self._eighteenth_mine():
            return
        text = raw.decode("utf-16", "replace") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") \
            else raw.decode("utf-8", "replace")
        if self.defect == "character-references-refused" and "&#" in text:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "the message is refused",
                          [("xml:character-reference", "character references are not allowed")])
        if self.defect == "cdata-refused-as-dtd" and "<![" in text:
            raise Refusal("PF-XML-DTD", "client", "a DTD is not allowed in SOAP",
                          [("soap:no-dtd", "a markup declaration (<![) in the message")])

    def _eighteenth_parse_bytes(self, raw: bytes, content_type: str) -> bytes:
        """The bytes the parser gets (the request's own bytes are kept for its RequestHash)."""
        if self._eighteenth_is("no-charset-read-as-latin1", "subscriber") and \
                "charset=" not in content_type.lower():
            return raw.decode("iso-8859-1").encode("utf-8")
        return raw

    def _eighteenth_body(self, body) -> None:
        """request-element-matched-by-local-name: the body's namespace read past."""
        if self.defect != "request-element-matched-by-local-name" or body.tag in SERVICES:
            return
        local = etree.QName(body).localname
        if local in _LOCAL_SERVICES:
            namespace = etree.QName(body).namespace
            for el in body.iter():
                if isinstance(el.tag, str) and etree.QName(el).namespace == namespace:
                    el.tag = f"{{{JUKI}}}{etree.QName(el).localname}"

    # --- the platform's checks ---------------------------------------------------------------

    def _eighteenth_checks(self, header, body, mid):
        """After the header's and the body's validation, before the rules beyond XSD: None, or
        the receipt the idempotent receiver answers before them."""
        if not self._eighteenth_mine():
            return None
        self._eighteenth_local().body = body
        if self.defect == "xsi-type-in-request-refused" and \
                any(el.get(f"{{{XSI}}}type") is not None for el in body.iter()
                    if isinstance(el.tag, str)):
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [("xsd:attribute", "xsi:type is not allowed")], mid)
        if self.role == "subscriber":
            return self._eighteenth_notice_checks(body, mid)
        return None

    # --- 住民照会 and 全件抽出 ------------------------------------------------------------------

    def _eighteenth_lived_here(self, since: str | None, day: str) -> bool | None:
        """Whether a resident recorded since ``since`` lived here on ``day``; None: not this
        batch's to say."""
        if self._eighteenth_is("as-of-compared-by-month", "provider"):
            return since is None or since[:7] <= day[:7]
        if self._eighteenth_is("as-of-ordinal-month-table-without-leap", "provider"):
            return since is None or since <= ordinal_round_trip(day)
        return None

    def _eighteenth_extract_as_of(self, as_of: str | None) -> str | None:
        if as_of and self._eighteenth_is("extract-as-of-snapped-to-assessment-date", "provider"):
            return f"{as_of.strip()[:4]}-01-01"
        return as_of

    def _eighteenth_request_key(self, key: tuple, soap: str) -> tuple:
        if self._eighteenth_is("request-id-map-per-endpoint", "provider"):
            return (*key, soap)  # one map per endpoint
        return key

    def _eighteenth_snapshot_made(self, extract_id: str, body) -> None:
        if self._eighteenth_is("dated-extract-total-count-undated", "provider") and \
                body.find(f"{{{JUKI}}}AsOf") is not None:
            self.eighteenth.setdefault("dated", set()).add(extract_id)

    def _eighteenth_totals(self, extract_id: str, pages: int, count: int,
                           size: int) -> tuple[int, int]:
        if extract_id in self.eighteenth.get("dated", ()):
            count = len(self.residents)  # SELECT COUNT(*) FROM 住民: no 基準日
            pages = math.ceil(count / size)
        return pages, count

    # --- answers ---------------------------------------------------------------------------

    def _eighteenth_now(self) -> str | None:
        if not self._eighteenth_mine():
            return None
        now = dt.datetime.now(JST)
        if self.defect == "sent-at-http-date-format":
            return email.utils.format_datetime(now.replace(microsecond=0))
        if self.defect == "sent-at-from-monotonic-clock":
            return dt.datetime.fromtimestamp(time.monotonic(), JST).isoformat(
                timespec="seconds")
        occurred = getattr(self._eighteenth_local(), "occurred", None)
        if self.defect == "receipt-sent-at-dated-occurred-on" and occurred:
            return f"{occurred}T{now:%H:%M:%S}+09:00"
        return None

    def _eighteenth_reply_header(self, h, soap: str) -> None:
        if self.defect == "soap12-reply-must-understand-yes" and soap == SOAP12:
            h.set(f"{{{SOAP12}}}mustUnderstand", "yes")

    def _eighteenth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._eighteenth_mine() or self.role != "provider":
            return
        d = self.defect
        if d == "head-name-original-copied":
            for head in response.iter(f"{{{CMN}}}HeadName"):
                text = head.find(f"{{{CMN}}}Text")
                original = etree.Element(f"{{{CMN}}}Original")
                original.text = text.text
                text.addnext(original)
        if d == "later-pages-page-echoed-zero-based" and response.tag == _EXTRACT:
            page = response.find(f"{{{JUKI}}}Page")
            if int(page.text) > 1:
                page.text = str(int(page.text) - 1)
        body = getattr(self._eighteenth_local(), "body", None)
        if d == "by-individual-number-key-as-addressee-number" and response.tag == _INQUIRY \
                and body is not None and body.find(f"{{{JUKI}}}IndividualNumber") is not None:
            for el in response.findall(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber"):
                el.text = body.findtext(f"{{{JUKI}}}IndividualNumber")

    def _eighteenth_envelope_out(self, env, soap: str) -> None:
        """The envelope, its text final, before it is serialised."""
        if self._eighteenth_is("soap11-answer-body-trace-entry", "provider") and soap == SOAP11:
            trace = etree.SubElement(env.find(f"{{{soap}}}Body"), f"{{{TRACE}}}Trace",
                                     nsmap={"t": TRACE})
            trace.text = "indie-1"
        if self._eighteenth_is("cdata-wrapped-character-references", "provider"):
            for el in env.iter():
                if isinstance(el.tag, str) and len(el) == 0 and el.text and \
                        not el.text.isascii():
                    el.text = etree.CDATA(character_references(el.text))

    def _eighteenth_out(self, answer: Answer, raw: bytes) -> Answer:
        """The answer's bytes (faults excluded)."""
        if not self._eighteenth_mine():
            return answer
        if self.defect == "extract-pages-stylesheet-pi" and \
                b"ResidentFullExtractResponse" in answer.body:
            declaration, _, rest = answer.body.partition(b"?>")
            answer.body = declaration + b"?>" + STYLESHEET_PI + rest
        if self.defect == "text-escaped-with-html4-entities":
            answer.body = html4_escaped(answer.body.decode("utf-8")).encode("utf-8")
        if self.defect == "utf16-answer-without-bom" and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = _UTF8_DECLARATION.sub(r'<?xml\1encoding=\2UTF-16\2', answer.body.decode(),
                                         count=1)
            answer.body = text.encode("utf-16-le")  # no BOM
            answer.content_type = re.sub("charset=[^;]+", "charset=utf-16",
                                         answer.content_type)
        return answer


__all__ = ["EIGHTEENTH_DEFECTS", "EIGHTEENTH_MEASURED_MISSES", "EighteenthBatch",
           "character_references", "html4_escaped", "ordinal_round_trip"]
