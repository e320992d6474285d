"""The fifteenth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/adapter-sdk.md, docs/characters.md, the XSDs and WSDLs, ../shared/docs/platform.md, and the
standards) by an engineer who has not read the suite, and committed (2c3e8b5, landed on main)
before the suite was run on it. ``FifteenthBatch`` is mixed into ``Adapter``; its
``_fifteenth_*`` hooks are called where each defect lives and change nothing when no defect of
this batch is selected. The HTTP front end's defect is ``chunk_size`` (called by __main__.py's
read_body).

Measured once, blind, on 2c3e8b5 (main at that moment, the suite included; `python -m
tests.conformance.independent_runs FIFTEENTH_BATCH`, 2026-12-05 00:31:46Z – 00:36:56Z, two at a
time, load average 3.5 before and 1.2–2.5 after, from other helpers' work): 36/40 caught =
90.0 %. Per class: 1 (one exchange only) 6/6, 2 (inputs rarely sent) 17/17, 3 (characters) 6/6,
4 (time) 3/6, 5 (durability) 4/5. Per role: provider 17/19, subscriber 19/21. No variant crashed
or failed to start. Missed:
- as-of-date-time-accepted (provider): a 基準日 sent as an xs:dateTime is answered, not refused
  PF-SCHEMA-INVALID — seemingly no case sends a 基準日 with a time;
- as-of-before-meiji-internal (provider): a 基準日 before 1873 fails PF-PROVIDER-INTERNAL instead
  of not-found — seemingly no case asks for a day that early;
- age-at-occurrence-leap-day-internal (subscriber): a change of a resident born on 02-29 with a
  異動 in a common year fails PF-PROVIDER-INTERNAL — seemingly no notice of such a resident;
- seen-ids-purged-with-removed-resident (subscriber): a redelivered notice holding a 消除 is
  receipted applied, not duplicate — seemingly redeliveries are judged on notices without
  a 消除 only.
These are FIFTEENTH_MEASURED_MISSES. No variant was changed after the measurement.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import threading
import unicodedata

from .fourteenth import answer_plain
from .standard import CMN, JST, JUKI, PFH, SOAP11, SOAP12, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
FIFTEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, binding, page, answer kind or field only
    "last-page-drops-final-resident": (
        1, P, "the last page's slice ends at TotalCount − 1 (an inclusive index taken for an "
              "exclusive one, on the last page only): one resident is never sent [docs/notices.md "
              "paging contract: together the pages hold TotalCount distinct residents]"),
    "extract-chome-kanji-numerals": (
        1, P, "the 全件 pages come from the batch exporter, which writes 丁目 in kanji numerals "
              "(二) as on its printed lists [common-v1.xsd Chome: xs:positiveInteger — each "
              "system writes it in its own numerals in its own store, the wire carries digits]"),
    "former-surname-kana-given-empty": (
        1, P, "a 旧氏's reading without a given name is written with an empty cmn:Given (the "
              "mapper writes both columns of its kana table) [common-v1.xsd KanaTextType: "
              "one or more katakana; Given is optional, not empty]"),
    "soap12-fault-detail-before-reason": (
        1, P, "the SOAP 1.2 fault writer puts env:Detail before env:Reason (children built from "
              "a dict in the 1.1 writer's order: code, detail, string) [SOAP 1.2 part 1 5.4: "
              "Code, Reason, Node?, Role?, Detail?, in this order]"),
    "soap11-fault-detail-capitalised": (
        1, S, "the SOAP 1.1 fault of the notice endpoint names its detail element Detail (the "
              "1.2 name) [SOAP 1.1 4.4: the unqualified detail element carries the "
              "application's fault information; docs/faults.md pff:FaultDetail]"),
    "foreigner-name-stored-kana": (
        1, S, "for a resident of 住民種別 2 (外国人) the subscriber stores the reading as the name "
              "(its legacy foreigner table has a katakana name column only) [docs/characters.md: "
              "a resident's registered name must reach every system exactly as registered]"),
    # 2 — inputs rarely sent: request and notice forms, values, HTTP forms, parties, sequences
    "addressee-number-long-internal": (
        2, P, "a 宛名番号 of 13 to 15 digits overflows the vendor's DECIMAL(12) key and the "
              "look-up fails with PF-PROVIDER-INTERNAL instead of answering not-found "
              "[common-v1.xsd AddresseeNumberType: 2 to 15 digits; juki-v1.xsd Status "
              "found|not-found]"),
    "must-understand-true-literal-only": (
        2, BOTH, "a header block's mustUnderstand counts as true only when it is \"1\" (the "
                 "SOAP 1.1 habit): a SOAP 1.2 block for this node with mustUnderstand=\"true\" is "
                 "ignored [SOAP 1.2 part 1 5.2.3: xs:boolean, true or 1; docs/adapter-sdk.md "
                 "PF-MUST-UNDERSTAND]"),
    "soap12-action-parameter-refused": (
        2, BOTH, "a SOAP 1.2 request whose Content-Type carries the optional action parameter is "
                 "refused PF-CONTENT-TYPE (the media type compared with its parameters) [SOAP "
                 "1.2 part 2 7.1.4, RFC 3902: application/soap+xml with an optional action "
                 "parameter; docs/faults.md PF-CONTENT-TYPE only for another media type]"),
    "reply-receiver-system-id-truncated-32": (
        2, P, "the reply's Receiver SystemId is cut to 32 characters (the routing column of the "
              "vendor's audit table) [header-v1.xsd SystemIdType: up to 64 characters; README: a "
              "reply swaps sender and receiver]"),
    "platform-header-attributes-refused": (
        2, P, "a pfh:PlatformHeader carrying SOAP's own attributes (mustUnderstand, actor/role, "
              "relay) is refused PF-HEADER-INVALID: validated with a copy of header-v1.xsd "
              "without its anyAttribute [header-v1.xsd: SOAP's attributes allowed on the "
              "header block; docs/faults.md Header blocks]"),
    "chunk-extension-refused": (
        2, BOTH, "a chunked request whose chunk-size line has a chunk extension (\"a;x=1\") is "
                 "answered 400 (the size parsed with int(line, 16)) [RFC 9112 7.1.1: a "
                 "recipient must ignore unrecognised chunk extensions]"),
    "addressee-numbers-9999-test-records": (
        2, P, "宛名番号 from 9999900000 on are taken for the vendor's 検証用 dummy records and "
              "left out of look-ups and extracts (WHERE 宛名番号 < '99999') [docs/notices.md "
              "paging contract: TotalCount residents; juki-v1.xsd: found when the registry "
              "holds the resident]"),
    "text-last-sax-chunk": (
        2, BOTH, "the vendor's SAX reader keeps the last characters() event of a text (= instead "
                 "of +=): a 宛名番号 or a name written with a character reference or a CDATA "
                 "section is read as its last piece [XML 1.0 4.1, 2.7: references and CDATA "
                 "are character data; README: every value is read as XML defines it]"),
    "user-id-at-sign-refused": (
        2, S, "a notice whose UserId holds '@' (tax-clerk@city) is refused PF-HEADER-INVALID by "
              "the audit writer's own pattern [header-v1.xsd UserIdType: letters, digits and "
              "._@-]"),
    "sequence-lexical-form-refused": (
        2, S, "a 異動連番 written with a '+' sign or leading zeros is refused PF-SCHEMA-INVALID "
              "(the vendor's own pattern [1-9][0-9]*) [XML Schema part 2 3.3.25: "
              "positiveInteger's lexical space has an optional '+' and leading zeros]"),
    "relationship-chain-codes-refused": (
        2, S, "a change whose 続柄 is 15 to 19 (子の子 … 同居人) fails the vendor's mapping "
              "table (KeyError) with PF-PROVIDER-INTERNAL [schemas/codelists/relationship.csv: "
              "01 to 19; docs/notices.md: the hub retries, the resident is never applied]"),
    "notice-body-prefixes-assumed": (
        2, S, "the notice's fields are read with XPath bound to the document's own prefixes "
              "(nsmap of the element): a notice whose common namespace is not bound to \"cmn\" "
              "fails PF-PROVIDER-INTERNAL [Namespaces in XML 1.0: a prefix is only a name for "
              "its namespace; README: a value is read as XML defines it]"),
    "notice-more-than-50-changes-refused": (
        2, S, "a notice of more than 50 changes is refused (the vendor's batch array of 50) "
              "[juki-v1.xsd ResidentChangeNotice: Change maxOccurs unbounded]"),
    # 3 — characters
    "head-name-half-width-widened": (
        3, P, "世帯主氏名 comes from the household table, which keeps half-width kana widened: "
              "神谷ﾏﾘｱ is answered 神谷マリア in HeadName only [docs/characters.md: names byte for "
              "byte, never normalised; HeadName is the head's registered name]"),
    "town-half-width-kana-widened": (
        3, P, "the 町名 passes the address matcher's normaliser, which widens half-width kana "
              "(福田ﾏﾁ → 福田マチ) [docs/characters.md: 住所 texts are validated, never "
              "substituted; exactly as recorded]"),
    "banchi-hyphen-notation": (
        3, P, "番地 is answered in the vendor's hyphen notation (1番2号 → 1-2, 3番地 → 3) "
              "[docs/characters.md: 住所 texts are left as they are; README: the registry's "
              "data travels unchanged, only adapters map layouts]"),
    "stores-name-variant-folded": (
        3, S, "the subscriber stores the 名寄せ key, which folds 異体字 (邉/邊 → 辺, 齋/齊 → 斉, 嶋 → "
              "島, 櫻 → 桜), as the name [docs/characters.md: a registered name depends on the "
              "exact glyph]"),
    "stores-name-iteration-mark-dropped": (
        3, S, "the name sanitiser keeps letters of category Lu/Ll/Lo only: 々 (Lm) is dropped, "
              "佐々木 becomes 佐木 [docs/characters.md: names never normalised; Unicode 々 "
              "U+3005 is a letter, Lm]"),
    "no-declaration-read-as-cp932": (
        3, S, "a notice without an XML declaration is decoded as Shift_JIS (the vendor's legacy "
              "default) [XML 1.0 4.3.3 and appendix F: without a declaration or BOM an entity "
              "is UTF-8]"),
    # 4 — time: clocks, time zones, dates, SentAt and 基準日
    "as-of-date-time-accepted": (
        4, P, "a 基準日 is cut to its first 10 characters before validation, so an xs:dateTime "
              "(2025-04-01T09:00:00) is answered instead of refused PF-SCHEMA-INVALID "
              "[juki-v1.xsd AsOf xs:date; docs/adapter-sdk.md: a body violating the XSDs is "
              "PF-SCHEMA-INVALID]"),
    "as-of-before-meiji-internal": (
        4, P, "a 基準日 before 1873-01-01 cannot be converted to 和暦 (JapaneseDate's first "
              "day) and the inquiry fails PF-PROVIDER-INTERNAL instead of not-found [juki-v1.xsd "
              "AsOf: any xs:date; found only if recorded by then]"),
    "occurred-on-with-offset-internal": (
        4, S, "a change's 異動年月日 with a time zone (2025-04-01+09:00) fails the vendor's date "
              "parser with PF-PROVIDER-INTERNAL [common-v1.xsd OccurredOn xs:date: a time zone "
              "is allowed]"),
    "birth-on-occurred-day-refused": (
        4, S, "the vendor's date rule wants the 異動年月日 after the 生年月日 (strictly): a 出生's "
              "change, which happens on the day of birth, is refused PF-RULE-VIOLATION "
              "[codelists change_reason A03 出生; docs/faults.md: rules beyond XSD are check "
              "digits and code lists]"),
    "age-at-occurrence-leap-day-internal": (
        4, S, "the age at the 異動 is computed with the birthday moved to the 異動's year: a "
              "birth on 02-29 and a 異動 in a common year raise (date(2025, 2, 29)) and the "
              "notice fails PF-PROVIDER-INTERNAL [juki-v1.xsd DateOfBirth xs:date; "
              "docs/notices.md: a valid notice is applied]"),
    "seen-ids-pruned-by-sent-at": (
        4, S, "the seen-MessageId housekeeping drops IDs whose notice's SentAt is older than "
              "24 h, so an outbox's resend of an old notice is taken for a new one and "
              "receipted applied [docs/faults.md: a notice is not held to max_age; "
              "docs/notices.md: a redelivery changes nothing, receipt duplicate]"),
    # 5 — durability: restarts, crashes, redelivery, idempotency, 全件
    "seen-id-kept-per-resident-row": (
        5, S, "the last MessageId is kept in each resident's row instead of an inbox: a notice "
              "redelivered after a later notice of the same resident is receipted applied, not "
              "duplicate [receipt-v1.xsd duplicate; docs/notices.md idempotent receiver]"),
    "seen-ids-read-back-uppercase": (
        5, S, "the inbox's GUID column hands MessageIds back in upper case and the check compares "
              "them case-sensitively; only the IDs seen by this process (a set in memory) are "
              "recognised, so after a restart a redelivery is taken for a new notice and "
              "receipted applied [docs/notices.md: a redelivery after a lost acknowledgement "
              "changes nothing; receipt-v1.xsd duplicate]"),
    "seen-ids-purged-with-removed-resident": (
        5, S, "a notice holding a 消除 does not keep its MessageId (purged with the removed "
              "resident's personal data), so its redelivery is receipted applied "
              "[docs/notices.md: a message ID seen before is answered duplicate]"),
    "extract-snapshots-one-per-sender": (
        5, P, "a new extract drops the Sender's earlier snapshots (\"one transfer per system\"), "
              "so the pages of a transfer still running become PF-EXTRACT-UNKNOWN "
              "[docs/notices.md: every page names the same ExtractId, a transfer resumes after "
              "a failure; juki-v1.xsd: an unknown ExtractId is the client's error]"),
    "later-pages-total-count-live": (
        5, P, "pages after the first count TotalCount on the live table (no 基準日, no snapshot) "
              "[docs/notices.md: the provider freezes one snapshot; every page carries its "
              "totals, TotalPages = ceil(TotalCount / PageSize)]"),
}

# The blind measurement's misses (name, role), as measured on 2c3e8b5: see the module docstring.
FIFTEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("as-of-date-time-accepted", "provider"),
    ("as-of-before-meiji-internal", "provider"),
    ("age-at-occurrence-leap-day-internal", "subscriber"),
    ("seen-ids-purged-with-removed-resident", "subscriber"),
})

_VARIANT_FOLD = str.maketrans("邉邊齋齊嶋櫻", "辺辺斎斉島桜")
_KANJI_DIGITS = "〇一二三四五六七八九"
_REFERENCE = re.compile(r"(&#x[0-9A-Fa-f]+;|&#[0-9]+;|&[A-Za-z]+;|<!\[CDATA\[.*?\]\]>|<!--.*?-->"
                        r"|<\?.*?\?>)", re.S)
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_KEY = re.compile(rb"<(?:[\w.-]+:)?AddresseeNumber(?:\s[^>]*)?>(.*?)</", re.S)
_NAME = re.compile(rb"<(?:[\w.-]+:)?Name(?:\s[^>]*)?>\s*<(?:[\w.-]+:)?Text(?:\s[^>]*)?>(.*?)"
                   rb"</(?:[\w.-]+:)?Text>", re.S)


def _widen_half_width(text: str) -> str:
    """Half-width katakana runs made full-width (NFKC on those runs only)."""
    return re.sub("[\uff61-\uff9f]+", lambda m: unicodedata.normalize("NFKC", m[0]), text)


def kanji_numeral(n: int) -> str:
    """丁目 as printed: 1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一〇五."""
    if n >= 100:
        return "".join(_KANJI_DIGITS[int(d)] for d in str(n))
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _KANJI_DIGITS[tens]) + "十" if tens else "") + \
        (_KANJI_DIGITS[ones] if ones else "")


def last_sax_chunk(content: str) -> str:
    """The last characters() event of an element's raw content: each reference and each CDATA
    section is an event of its own, comments and PIs split the text around them."""
    events = []
    for part in _REFERENCE.split(content):
        if not part or part.startswith(("<!--", "<?")):
            continue
        if part.startswith("<![CDATA["):
            events.append(part[9:-3])
        elif part.startswith("&#x"):
            events.append(chr(int(part[3:-1], 16)))
        elif part.startswith("&#"):
            events.append(chr(int(part[2:-1])))
        elif part.startswith("&"):
            events.append(_ENTITIES.get(part[1:-1], part))
        else:
            events.append(part)
    return events[-1] if events else ""


class BadChunk(ValueError):
    """chunk-extension-refused: the chunk-size line could not be read as hex."""


def chunk_size(line: bytes, defect: str | None) -> int:
    """The size of the next chunk (RFC 9112 7.1: extensions after ';' are ignored)."""
    if defect == "chunk-extension-refused":
        try:
            return int(line.strip() or b"0", 16)  # the whole line taken for the size
        except ValueError:
            raise BadChunk(line) from None
    return int(line.split(b";")[0].strip() or b"0", 16)


def answer_bad_chunk(handler) -> None:
    """The vendor front end's answer to a chunk it could not read: a bare 400."""
    answer_plain(handler, 400, b"Bad Request")


def _internal(what: str, mid) -> Refusal:
    return Refusal("PF-PROVIDER-INTERNAL", "provider", "the request could not be processed",
                   [("vendor:internal", what)], mid)


def _header_invalid(rule: str, what: str, mid) -> Refusal:
    return Refusal("PF-HEADER-INVALID", "client", "the header is invalid", [(rule, what)], mid)


class FifteenthBatch:
    """Mixed into Adapter: the fifteenth batch's hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    residents: dict
    extracts: dict
    extract_requests: dict
    fifteenth: dict
    conn: sqlite3.Connection
    lock: threading.Lock

    def _fifteenth_is(self, name: str, role: str | None = None) -> bool:
        return self.defect == name and (role is None or self.role == role)

    # --- HTTP in, the envelope ------------------------------------------------------------------

    def _fifteenth_content_type(self, content_type: str) -> None:
        if self._fifteenth_is("soap12-action-parameter-refused") and \
                content_type.lower().startswith("application/soap+xml") and \
                "action=" in content_type.lower():
            raise Refusal("PF-CONTENT-TYPE", "client", "unsupported media type",
                          [("http:content-type", "application/soap+xml; charset=utf-8 only")])

    def _fifteenth_parse_bytes(self, raw: bytes) -> bytes:
        if self._fifteenth_is("no-declaration-read-as-cp932", "subscriber") and \
                not raw.startswith((b"<?xml", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("cp932", "replace").encode("utf-8")
        return raw

    def _fifteenth_true(self, values: set[str]) -> set[str]:
        return {"1"} if self.defect == "must-understand-true-literal-only" else values

    # --- the platform's checks ------------------------------------------------------------------

    def _fifteenth_body(self, body) -> None:
        """Before the body's validation."""
        if self._fifteenth_is("as-of-date-time-accepted", "provider"):
            for el in body.iter(f"{{{JUKI}}}AsOf"):
                el.text = (el.text or "").strip()[:10]  # "tolerant" of a time

    def _fifteenth_checks(self, raw: bytes, header, body, mid) -> None:
        """After the header's and the body's validation, before the rules beyond XSD."""
        d = self.defect
        if d not in FIFTEENTH_DEFECTS or self.role not in FIFTEENTH_DEFECTS[d][1]:
            return
        if d == "platform-header-attributes-refused" and len(header.attrib):
            raise _header_invalid("xsd:attribute",
                                  f"unexpected attribute {header.attrib.keys()[0]}", mid)
        if d == "user-id-at-sign-refused" and "@" in header.findtext(f"{{{PFH}}}UserId"):
            raise _header_invalid("xsd:pattern", "UserId must match [A-Za-z0-9._-]+", mid)
        if d == "text-last-sax-chunk":
            self._fifteenth_sax(raw, body)
        changes = body.findall(f"{{{JUKI}}}Change")
        if d == "notice-more-than-50-changes-refused" and len(changes) > 50:
            raise Refusal("VENDOR-NOTICE-SIZE", "client", "too many changes in one notice",
                          [("vendor:changes", f"{len(changes)} > 50")], mid)
        for change in changes:
            self._fifteenth_change_checks(change, mid)

    def _fifteenth_change_checks(self, change, mid) -> None:
        d = self.defect
        resident = change.find(f"{{{JUKI}}}Resident")
        if d == "sequence-lexical-form-refused" and not re.fullmatch(
                "[1-9][0-9]*", change.findtext(f"{{{JUKI}}}Sequence") or ""):
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [("xsd:pattern", "Sequence must match [1-9][0-9]*")], mid)
        text = resident.find(f"{{{CMN}}}Name/{{{CMN}}}Text")
        if d == "notice-body-prefixes-assumed" and text.nsmap.get("cmn") != CMN:
            raise _internal("XPathEvalError: Undefined namespace prefix", mid)
        born, occurred = (change.findtext(f"{{{JUKI}}}{path}").strip()[:10] for path in
                          (f"Resident/{{{CMN}}}DateOfBirth", f"Event/{{{CMN}}}OccurredOn"))
        if d == "birth-on-occurred-day-refused" and occurred <= born:
            raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                          [("vendor:dates", "異動年月日 must be after 生年月日")], mid)
        if d == "relationship-chain-codes-refused" and \
                "15" <= resident.findtext(f"{{{CMN}}}Relationship") <= "19":
            raise _internal("KeyError: relationship", mid)
        if d == "occurred-on-with-offset-internal":
            for el in change.find(f"{{{JUKI}}}Event"):
                if isinstance(el.tag, str) and el.tag != f"{{{CMN}}}Reason" and \
                        len((el.text or "").strip()) != 10:
                    raise _internal("ValueError: Invalid isoformat string", mid)
        if d == "age-at-occurrence-leap-day-internal":
            try:
                dt.date.fromisoformat(born).replace(year=int(occurred[:4]))  # the birthday
            except ValueError:
                raise _internal("ValueError: day is out of range for month", mid) from None

    def _fifteenth_sax(self, raw: bytes, body) -> None:
        """text-last-sax-chunk: the values as the vendor's SAX reader sees them."""
        if self.role == "provider":
            key = body.find(f"{{{JUKI}}}AddresseeNumber")
            found = _KEY.search(raw)
            if key is not None and found:
                key.text = last_sax_chunk(found[1].decode("utf-8", "replace"))
            return
        texts = body.findall(f"{{{JUKI}}}Change/{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text")
        for el, found in zip(texts, _NAME.findall(raw), strict=False):
            el.text = last_sax_chunk(found.decode("utf-8", "replace"))

    # --- 住民照会 and 全件抽出 --------------------------------------------------------------------

    def _fifteenth_key(self, number: str | None, mid) -> None:
        if self._fifteenth_is("addressee-number-long-internal", "provider") and number and \
                len(number) > 12:  # DECIMAL(12)
            raise _internal("ArithmeticException: numeric overflow", mid)

    def _fifteenth_found(self, resident):
        if self._fifteenth_is("addressee-numbers-9999-test-records", "provider") and \
                resident is not None and \
                resident.findtext(f"{{{CMN}}}AddresseeNumber").startswith("99999"):
            return None
        return resident

    def _fifteenth_numbers(self, numbers: list[str]) -> list[str]:
        if self._fifteenth_is("addressee-numbers-9999-test-records", "provider"):
            return [n for n in numbers if not n.startswith("99999")]
        return numbers

    def _fifteenth_as_of(self, as_of: str) -> None:
        if self._fifteenth_is("as-of-before-meiji-internal", "provider") and \
                as_of.strip()[:10] < "1873-01-01":
            raise _internal("DateTimeException: a date before Meiji 6 is not supported", None)

    def _fifteenth_snapshot_made(self, extract_id: str, key) -> None:
        """Inside the provider's lock, once a snapshot is made."""
        if not self._fifteenth_is("extract-snapshots-one-per-sender", "provider"):
            return
        owners = self.fifteenth.setdefault("owners", {})
        for other in [e for e, sender in owners.items() if sender == key[0]]:
            self.extracts.pop(other, None)
            del owners[other]
            for k in [k for k, v in self.extract_requests.items() if v == other]:
                del self.extract_requests[k]
        owners[extract_id] = key[0]

    def _fifteenth_slice(self, start: int, end: int, page: int, pages: int,
                         total: int) -> tuple[int, int]:
        if self._fifteenth_is("last-page-drops-final-resident", "provider") and page == pages:
            end = min(end, total - 1)
        return start, end

    def _fifteenth_totals(self, page: int, pages: int, count: int, size: int) -> tuple[int, int]:
        if self._fifteenth_is("later-pages-total-count-live", "provider") and page > 1:
            count = len(self.residents)  # SELECT COUNT(*) FROM 住民
            return math.ceil(count / size), count
        return pages, count

    # --- 異動通知 -------------------------------------------------------------------------------

    def _fifteenth_store_opened(self, conn) -> None:
        if self.defect == "seen-id-kept-per-resident-row":
            conn.execute("CREATE TABLE IF NOT EXISTS fifteenth_last_mid "
                         "(number TEXT PRIMARY KEY, message_id TEXT)")
        if self.defect == "seen-ids-pruned-by-sent-at":
            conn.execute("CREATE TABLE IF NOT EXISTS fifteenth_sent "
                         "(message_id TEXT PRIMARY KEY, sent_at REAL)")

    def _fifteenth_duplicate(self, duplicate: bool, changes: list, mid: str) -> bool:
        """Under the store's lock, as the notice's duplicate check is made."""
        self.fifteenth["mid"] = mid
        if self.defect == "seen-id-kept-per-resident-row":
            numbers = {c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                       for c in changes}
            rows = [self.conn.execute("SELECT message_id FROM fifteenth_last_mid WHERE "
                                      "number = ?", (n,)).fetchone() for n in numbers]
            return bool(rows) and all(r is not None and r[0] == mid for r in rows)
        if self.defect == "seen-ids-read-back-uppercase":
            here = self.fifteenth.setdefault("seen_here", set())
            row = self.conn.execute("SELECT UPPER(message_id) FROM seen WHERE message_id = ?",
                                    (mid,)).fetchone()
            duplicate = mid in here or (row is not None and row[0] == mid)
            here.add(mid)
        return duplicate

    def _fifteenth_applied(self, number: str) -> None:
        if self.defect == "seen-id-kept-per-resident-row":
            self.conn.execute("INSERT OR REPLACE INTO fifteenth_last_mid VALUES (?, ?)",
                              (number, self.fifteenth["mid"]))

    def _fifteenth_name(self, change, name: str) -> str:
        d = self.defect
        resident = change.find(f"{{{JUKI}}}Resident")
        if d == "foreigner-name-stored-kana" and \
                resident.findtext(f"{{{CMN}}}ResidentKind") == "2":
            kana = resident.find(f"{{{CMN}}}Name/{{{CMN}}}Kana")
            if kana is not None:
                return "\u3000".join(t for t in (kana.findtext(f"{{{CMN}}}Family"),
                                                 kana.findtext(f"{{{CMN}}}Given")) if t)
        if d == "stores-name-variant-folded":
            return name.translate(_VARIANT_FOLD)
        if d == "stores-name-iteration-mark-dropped":
            return "".join(c for c in name if unicodedata.category(c) != "Lm")
        return name

    def _fifteenth_notice_done(self, header, changes: list, mid: str) -> None:
        """After the notice's transaction, before its receipt: the store's housekeeping."""
        if self.defect == "seen-ids-pruned-by-sent-at":
            sent = dt.datetime.fromisoformat(header.findtext(f"{{{PFH}}}SentAt").strip())
            cutoff = (dt.datetime.now(JST) - dt.timedelta(hours=24)).timestamp()
            with self.lock:
                self.conn.execute("INSERT OR IGNORE INTO fifteenth_sent VALUES (?, ?)",
                                  (mid, sent.timestamp()))
                self.conn.execute("DELETE FROM seen WHERE message_id IN (SELECT message_id "
                                  "FROM fifteenth_sent WHERE sent_at < ?)", (cutoff,))
        if self.defect == "seen-ids-purged-with-removed-resident" and any(
                (c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").startswith("B")
                for c in changes):
            with self.lock:
                self.conn.execute("DELETE FROM seen WHERE message_id = ?", (mid,))

    # --- answers --------------------------------------------------------------------------------

    def _fifteenth_reply_receiver(self, sender: list) -> list:
        if self._fifteenth_is("reply-receiver-system-id-truncated-32", "provider"):
            return [*sender[:2], sender[2][:32]]
        return sender

    def _fifteenth_answer(self, response) -> None:
        d = self.defect
        if self.role != "provider" or d not in FIFTEENTH_DEFECTS:
            return
        if d == "head-name-half-width-widened":
            for t in response.iter(f"{{{CMN}}}HeadName"):
                for el in t.iter(f"{{{CMN}}}Text"):
                    el.text = _widen_half_width(el.text)
        if d == "town-half-width-kana-widened":
            for el in response.iter(f"{{{CMN}}}Town"):
                el.text = _widen_half_width(el.text)
        if d == "banchi-hyphen-notation":
            for el in response.iter(f"{{{CMN}}}Banchi"):
                el.text = re.sub(r"^([0-9]+)番地?(?:([0-9]+)号?)?$",
                                 lambda m: m[1] + (f"-{m[2]}" if m[2] else ""), el.text)
        if d == "extract-chome-kanji-numerals" and \
                response.tag == f"{{{JUKI}}}ResidentFullExtractResponse":
            for el in response.iter(f"{{{CMN}}}Chome"):
                el.text = kanji_numeral(int(el.text))
        if d == "former-surname-kana-given-empty":
            for kana in response.iterfind(f".//{{{CMN}}}FormerSurname/{{{CMN}}}Kana"):
                if kana.find(f"{{{CMN}}}Given") is None:
                    given = kana.makeelement(f"{{{CMN}}}Given", {})
                    kana.append(given)

    def _fifteenth_fault(self, fault, soap: str) -> None:
        """The fault element, complete, before it is written."""
        if self._fifteenth_is("soap12-fault-detail-before-reason", "provider") and soap == SOAP12:
            detail = fault.find(f"{{{SOAP12}}}Detail")
            if detail is not None:
                fault.remove(detail)
                fault.insert(1, detail)
        if self._fifteenth_is("soap11-fault-detail-capitalised", "subscriber") and soap == SOAP11:
            detail = fault.find("detail")
            if detail is not None:
                detail.tag = "Detail"


__all__ = ["FIFTEENTH_DEFECTS", "FIFTEENTH_MEASURED_MISSES", "BadChunk", "FifteenthBatch",
           "answer_bad_chunk", "chunk_size", "last_sax_chunk"]
