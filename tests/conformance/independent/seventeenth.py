"""The seventeenth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/adapter-sdk.md, docs/characters.md, docs/security.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1) and this independent adapter's code, by a helper engineer (session b17) who has
not read the suite, and committed (landed on main) before the suite was run on it. None repeats a
defect of the earlier batches (seventh … sixteenth, and variants.py's DEFECTS), which were read
for the mechanics and to stay clear of them. Each was written against the documents as they
stand, the four points settled before this batch included (a notice's Receiver is (団体コード, the
service's 業務ユニット, hub); an envelope of another namespace gets VersionMismatch; a processing
instruction over SOAP 1.2 may be answered normally or with a Sender fault; a Finding's Path/Line
where it concerns a place in the message): none is a behaviour those documents permit.
``SeventeenthBatch``
is mixed into ``Adapter``; its ``_seventeenth_*`` hooks are called where each defect lives and
change nothing when no defect of this batch is selected. The subscriber's store and notice-mapper
hooks are in seventeenth_store.py.

Measured once, blind, on 47673a8 (main at that moment: the settled documents (round 15b) and
round 16b's HTTP and XML forms in, round 16's cases not yet; none written with this batch;
`python -m tests.conformance.independent_runs SEVENTEENTH_BATCH`, 2026-12-05 05:24:51Z –
05:26:53Z, two at a time, load average 4.1 → 12.4 from other helpers' work): 33/40 caught =
82.5 %. Per class: 1 (one exchange only) 10/10, 2 (inputs rarely sent) 10/12, 3 (characters)
4/5, 4 (time) 3/7, 5 (durability) 6/6. Per role: provider 16/20, subscriber 17/20. No variant
crashed or failed to start. Missed (SEVENTEENTH_MEASURED_MISSES; no variant was changed after
the measurement):
- envelope-attributes-refused (provider): a namespace-qualified attribute on soap:Envelope or
  soap:Body refused;
- sender-own-unit-refused (provider): a Sender of the provider's own 業務ユニット refused as a
  loop;
- name-update-skipped-width-insensitive (subscriber): a name correction equal under a width-,
  kana- and case-insensitive collation never written;
- as-of-week-based-year (provider): a 基準日 in the ISO week across a new year read a year off;
- request-id-keyed-by-sent-at-day (provider): a first 全件 request retried across midnight JST
  gets a second snapshot (shows only when a run crosses midnight);
- sequence-per-fiscal-year (subscriber): 異動連番 compared within a 年度 only;
- late-notification-refused (subscriber): a 届出 more than 14 days after its 異動 refused.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

from lxml import etree

from .fifteenth import kanji_numeral
from .seventeenth_store import SeventeenthStore
from .standard import CMN, JST, JUKI, PFH, PFR, SOAP11, SOAP12, XS, Answer, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
SEVENTEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, binding, page, answer kind or field only
    "extract-resident-in-common-namespace": (
        1, P, "the 全件 page writer appends the residents as its store keeps them, cmn:Resident, "
              "instead of the response's own juki:Resident; 住民照会 answers are right "
              "[juki-v1.xsd ResidentFullExtractResponse: Resident is a local element of the juki "
              "namespace (elementFormDefault qualified) of type cmn:ResidentType]"),
    "request-hash-base64url": (
        1, BOTH, "the reply's RequestHash is encoded with the vendor's token library: base64url "
                 "without padding (RFC 4648 §5: - and _ for + and /, no '=') [header-v1.xsd "
                 "RequestHashType: xs:base64Binary, the RFC 2045 alphabet with padding; README: "
                 "base64 SHA-256 of the exact request bytes]"),
    "chome-merged-into-town": (
        1, P, "addresses are written from the address master's 町字, which includes the 丁目: "
              "Town 霞が関二丁目 and no Chome (inquiries and 全件 alike) [common-v1.xsd "
              "AddressType: Town, then Chome, a number each system writes in its own numerals in "
              "its own store; README: adapters map their layout to the standard's items]"),
    "service-version-as-service-unknown": (
        1, BOTH, "a request naming another Version of a ServiceId served here is refused "
                 "PF-SERVICE-UNKNOWN (service:known), the hub's code for a version no catalog "
                 "defines, copied from docs/faults.md's first table [README: a Version other "
                 "than the one it serves is PF-PROVIDER-MISROUTED, rule service:version; "
                 "docs/adapter-sdk.md: the adapter's table]"),
    "duplicate-receipt-template-whitespace": (
        1, S, "the de-duplication filter answers from a canned, indented receipt template: "
              "pfr:MessageId and pfr:Status of a duplicate receipt carry the template's line "
              "breaks and indentation around their values; applied receipts are right "
              "[receipt-v1.xsd: MessageId and Status are xs:string restrictions (whiteSpace "
              "preserve) with a pattern / enumeration that white space breaks]"),
    "soap11-answers-xsi-typed": (
        1, P, "the SOAP 1.1 endpoint's serializer (an rpc/encoded habit, sendXsiTypes) puts "
              "xsi:type=\"xsd:string\" on every leaf of the answer's body; SOAP 1.2 answers are "
              "right [XML Schema part 1 §3.3.4 cvc-elt.4.3: an xsi:type must name the declared "
              "type or one derived from it; the WSDLs' binding is document/literal: the body is "
              "the element the XSD declares]"),
    "soap11-receipt-two-headers": (
        1, S, "the SOAP 1.1 notice endpoint's framework makes the envelope with an empty "
              "soap:Header and the receipt writer adds its own: receipts to SOAP 1.1 notices "
              "carry two soap:Header elements, the first empty [SOAP 1.1 §4: the Header, if "
              "present, is the Envelope's first child and the Body directly follows it; "
              "docs/faults.md PF-SOAP-ENVELOPE: one Header and one Body]"),
    "name-with-former-surname-bracketed": (
        1, P, "the name of a resident who has a 旧氏 is taken from the 住民票's display column, "
              "旧氏併記 in brackets (髙橋美咲（葛󠄂西）), for residents and members alike; others "
              "are right [common-v1.xsd ResidentType: Name is the registered name, the 旧氏 its "
              "own FormerSurname; docs/characters.md: a name exactly as registered]"),
    # 2 — inputs rarely sent: request and notice forms, values, HTTP forms, parties, hostile XML
    "header-block-taken-first": (
        2, BOTH, "the platform header is taken as the first child of soap:Header: a message "
                 "whose Header holds another block before pfh:PlatformHeader (a WS-Security or "
                 "trace block, mustUnderstand absent) is refused PF-HEADER-MISSING [SOAP 1.1 "
                 "§4.2, SOAP 1.2 part 1 §5.2: a Header holds any number of blocks in any order; "
                 "docs/faults.md Header blocks: the others pass through]"),
    "envelope-attributes-refused": (
        2, P, "the envelope validator (a copy of the SOAP schema without its anyAttribute) "
              "refuses PF-SOAP-ENVELOPE a request whose soap:Envelope or soap:Body carries an "
              "attribute — a wsu:Id a signature refers to [SOAP 1.1 §4 and SOAP 1.2 part 1 "
              "§5.1, §5.3: Envelope and Body may carry namespace-qualified attributes]"),
    "comment-after-envelope-refused": (
        2, S, "the notice front end wants the request to end with the envelope's end tag: a "
              "comment after </soap:Envelope> (a relay's <!-- via … -->) is refused "
              "PF-SOAP-ENVELOPE [XML 1.0 [1], [27]: document ::= prolog element Misc*, a comment "
              "is Misc; the envelope is the document element all the same]"),
    "namespace-single-quoted-refused": (
        2, P, "the front end recognises a SOAP message by the bytes ='http…envelope' in double "
              "quotes: an envelope whose namespace is declared in single quotes "
              "(xmlns:soap='…', as some XML writers emit) is refused PF-SOAP-ENVELOPE [XML 1.0 "
              "[10] AttValue: delimited by \" or '; Namespaces in XML: the declaration is an "
              "attribute like any other]"),
    "sender-own-unit-refused": (
        2, P, "a loop guard refuses PF-PROVIDER-MISROUTED a request whose Sender is of the "
              "provider's own 業務ユニット (01: the コンビニ交付 or 窓口 system of the 住基 unit "
              "asking the registry) as \"sent back to itself\" [README: a system refuses only a "
              "message whose Receiver is another system or whose Service it does not serve; "
              "access is the hub's, docs/security.md]"),
    "user-id-over-20-internal": (
        2, P, "every request's UserId is written to the 照会記録 (access journal), whose "
              "操作者ID column is VARCHAR(20): a longer UserId makes the request fail "
              "PF-PROVIDER-INTERNAL [header-v1.xsd UserIdType: up to 64 characters of "
              "[A-Za-z0-9._@-]; the request is valid]"),
    "standard-version-pinned-refused": (
        2, S, "a notice whose StandardVersion is not the one the vendor implements (1.0) is "
              "refused PF-HEADER-INVALID [README: a system refuses a message for its Receiver, "
              "ServiceId or Version only, and a reply keeps the request's StandardVersion; "
              "header-v1.xsd StandardVersion: any TokenType]"),
    "registration-of-held-resident-ignored": (
        2, S, "the mapper turns a 記載 (A..) into an INSERT OR IGNORE: a 記載 of a resident "
              "already held — a 転入 back after a 転出, a 取消し, a 再製 — is receipted applied "
              "and not applied [docs/notices.md: a subscriber applies the state each change "
              "carries; a 記載 (a 転入 back, a 取消し) clears the removal mark]"),
    "address-code-int32-internal": (
        2, S, "住所コード is kept in a 32-bit INTEGER column: a notice whose resident's "
              "AddressCode is above 2147483647 makes the notice fail PF-PROVIDER-INTERNAL, "
              "redelivered until dead [common-v1.xsd AddressCodeType: up to 16 digits, "
              "municipality-defined; docs/notices.md: a valid notice is applied]"),
    "same-name-and-birth-refused": (
        2, S, "the resident table has the 二重登録 index UNIQUE (氏名, 生年月日): a notice "
              "about a resident with the name and date of birth of another held resident "
              "(同姓同名 born the same day) fails PF-PROVIDER-INTERNAL [docs/notices.md: per "
              "resident, the subject cmn:AddresseeNumber; a change of a resident not held makes "
              "the subscriber hold that resident]"),
    "charset-value-case-sensitive": (
        2, S, "the notice front end compares the Content-Type's charset with utf-8 (or utf-16) "
              "as written: charset=UTF-8, as Java and .NET clients send it, is refused "
              "PF-CONTENT-TYPE [RFC 9110 §8.3.2: charset names are case-insensitive; "
              "docs/faults.md PF-CONTENT-TYPE: a POST whose media type is not text/xml or "
              "application/soap+xml]"),
    # 3 — characters: readings, code pages, collations, in names and addresses
    "kana-cleaned-to-a-n-range": (
        3, P, "readings pass a cleaner that keeps the katakana range ァ-ン (U+30A1–U+30F3): "
              "ヴ, ヵ, ヶ, ー, ・ and U+3000 are dropped (ヴィオラ → ィオラ) [common-v1.xsd "
              "KanaTextType: U+30A1–U+30F6, U+30FB, U+30FC, U+3000; the registered reading]"),
    "answer-declared-shift-jis": (
        3, P, "answers are written in UTF-8 (and labelled charset=utf-8) but the XML "
              "declaration comes from the Shift_JIS-era template: encoding=\"Shift_JIS\"; an XML "
              "reader of the bytes decodes the names as Shift_JIS [XML 1.0 §4.3.3: an entity "
              "must be in the encoding it declares; docs/characters.md: names travel as UTF-8 "
              "UCS, byte for byte]"),
    "extract-double-encoded-latin1": (
        3, P, "the 全件 exporter's database connection uses the client character set latin1 on "
              "utf8mb4 columns: every non-ASCII text of the pages is UTF-8 encoded twice (総務 → "
              "ç·å‹™, MySQL's double encoding); 住民照会 answers are right [docs/characters.md: "
              "names travel as UCS, exactly as registered; common-v1.xsd KanaTextType]"),
    "name-update-skipped-width-insensitive": (
        3, S, "the name is updated with UPDATE … WHERE number = ? AND name <> ? (no needless "
              "writes) on a case-, width- and kana-insensitive collation (Japanese_CI_AS): a "
              "correction between ﾏﾘｱ and マリア, まりあ and マリア or ROSSI and Rossi matches no "
              "row — its 異動連番 recorded, the name left as it was [docs/characters.md: a "
              "registered name depends on the exact character; docs/notices.md: the state after "
              "the change]"),
    "stores-kana-when-kanji-unstorable": (
        3, S, "the 氏名 column is JIS X 0208 (Shift_JIS): a name it cannot hold (髙, 𠮷, an IVS "
              "sequence, ～) is stored as its reading instead, ソウム　ショウコ, as the vendor's "
              "screens show unknown 外字 [docs/characters.md: a system that cannot store MJ gets "
              "a 縮退 with the registered name kept beside it; 縮退 never loses a registered "
              "form]"),
    # 4 — time: SentAt, 基準日, dates, time zones, clocks, calendars
    "as-of-week-based-year": (
        4, P, "the 基準日 is formatted for the dated query with 'YYYY-MM-dd' (the week-based "
              "year): a day of the last week of December that belongs to next year's first week "
              "is read a year late (2024-12-30 → 2025-12-30), one of the first days of January "
              "a year early [juki-v1.xsd AsOf: xs:date, the state as of that date; XML Schema "
              "part 2 §3.2.9: the calendar year]"),
    "request-id-keyed-by-sent-at-day": (
        4, P, "the (Sender, RequestId) → ExtractId map is partitioned by the day of the "
              "request's SentAt (the job table's daily partition): a first request retried after "
              "midnight (sent 23:59, retried 00:01) gets a second snapshot [docs/notices.md "
              "RQ-BEH-08: a first request sent again with the same RequestId is answered from "
              "the same snapshot, never a second]"),
    "sent-at-era-year": (
        4, P, "the reply's SentAt is formatted with the formatter of the vendor's screens, in "
              "the Japanese chronology: its year is the 和暦 year of the era (令和8年 → "
              "0008-…T…+09:00) [header-v1.xsd SentAt: xs:dateTime, a Gregorian year; README: "
              "time sent, +09:00]"),
    "sent-at-offset-sign-inverted": (
        4, P, "the reply's SentAt offset is made from time.timezone (seconds WEST of UTC, "
              "-32400 in Japan) and written -09:00 after the JST clock time [header-v1.xsd "
              "JstDateTimeType: …+09:00; README: SentAt always +09:00]"),
    "sent-at-zone-abbreviation": (
        4, S, "the receipt's SentAt is formatted with SimpleDateFormat's 'z': the zone's "
              "abbreviation after the time, 2025-04-01T10:00:00JST [header-v1.xsd "
              "JstDateTimeType: an xs:dateTime ending +09:00]"),
    "sequence-per-fiscal-year": (
        4, S, "the last 異動連番 is kept per (resident, 年度 of the change's 異動年月日), as the "
              "tax system keeps everything per 年度: an older change whose 異動年月日 falls in a "
              "年度 without a newer change (2025-03-31 after one of 2025-04-01) is applied over "
              "the newer state [docs/notices.md: a change is applied exactly when its 異動連番 "
              "is greater than the last one applied to that resident]"),
    "late-notification-refused": (
        4, S, "the vendor's date rule takes 住民基本台帳法's 14-day 届出 period for a validity "
              "rule: a change whose 届出年月日 is more than 14 days after its 異動年月日 (a late "
              "届出, recorded with a 過料 notice) is refused PF-RULE-VIOLATION [common-v1.xsd "
              "NotifiedOn: any xs:date; docs/faults.md: rules beyond XSD are check digits and "
              "code lists]"),
    # 5 — durability: seen IDs, partial writes, ordering after a restart, stores, retries
    "seen-ids-bloom-filter-trusted": (
        5, S, "seen MessageIds are looked up through a Bloom filter (1,024 bits, 3 hashes, "
              "rebuilt at start-up) and a positive is taken for seen without asking the table: "
              "once the filter fills, a new notice now and then is receipted duplicate and never "
              "applied [receipt-v1.xsd: duplicate — this MessageId was received before; "
              "docs/notices.md: never lost]"),
    "watermark-cached-before-rules": (
        5, S, "each change is judged against the vendor's cached resident objects as the notice "
              "is mapped, and the cache takes its 異動連番 there and then; a notice refused for "
              "one bad change is rolled back in the database, not in the cache: delivered again "
              "corrected, its changes are skipped as stale and it is receipted applied "
              "[docs/notices.md: a notice refused with a fault changes nothing — no 異動連番 of "
              "it recorded; once corrected it is applied whole]"),
    "resident-view-rebuilt-newest-first": (
        5, S, "the resident table is a view of the change journal, rebuilt at every start by "
              "reading the journal newest first and upserting each row: after a restart every "
              "resident holds its OLDEST applied state [docs/notices.md: a receipt means "
              "stored; the resident ends in the state of the highest 異動連番]"),
    "soap12-endpoint-store-default-memory": (
        5, S, "the SOAP 1.2 notice endpoint, added later, was configured with the store's "
              "default (\":memory:\"): its notices are applied, de-duplicated and receipted in a "
              "database of their own that the vendor's screens never read and a restart "
              "empties [docs/notices.md: applied to the subscriber's records, stored durably; "
              "docs/adapter-sdk.md: SOAP 1.1 and SOAP 1.2 are both answered]"),
    "extract-id-from-sender-and-minute": (
        5, P, "the ExtractId is the extract job's name, the Sender's SystemId and the "
              "request's SentAt to the minute (tax-202504011005): two first requests of one "
              "system in one minute (a dated and an undated extract) share it, the second "
              "snapshot replaces the first, and the first transfer's later pages come from the "
              "second [docs/notices.md: one snapshot per ExtractId; every page from it]"),
    "request-id-reply-replayed": (
        5, P, "retried first requests are answered from an idempotency-key store: the first "
              "answer, kept whole under (Sender, RequestId), is sent again — its reply "
              "MessageId, RelatesTo and RequestHash the first request's [README: a reply's "
              "RelatesTo is its request's MessageId, its RequestHash the digest of that "
              "request's exact bytes; docs/notices.md RQ-BEH-08: a retried first request is "
              "answered from the same snapshot]"),
}

# The blind measurement's misses (name, role), kept as measured (the docstring).
SEVENTEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("envelope-attributes-refused", "provider"),
    ("sender-own-unit-refused", "provider"),
    ("name-update-skipped-width-insensitive", "subscriber"),
    ("as-of-week-based-year", "provider"),
    ("request-id-keyed-by-sent-at-day", "provider"),
    ("sequence-per-fiscal-year", "subscriber"),
    ("late-notification-refused", "subscriber"),
})

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_EXTRACT_REQUEST = f"{{{JUKI}}}ResidentFullExtractRequest"
_EXTRACT = f"{{{JUKI}}}ResidentFullExtractResponse"
_NOT_A_TO_N = re.compile("[^\u30a1-\u30f3]")  # [^ァ-ン]
_ENVELOPE_END = re.compile(r"</(?:[^\s<>:]+:)?Envelope\s*>\s*\Z")
_UTF8_DECLARATION = re.compile(rb"\A(<\?xml[^>]*?encoding=)(['\"])UTF-8\2", re.I)
# the Japanese chronology's eras (JapaneseEra): first day, as the vendor's formatter counts them
_ERAS = ((dt.date(2019, 5, 1), "令和"), (dt.date(1989, 1, 8), "平成"),
         (dt.date(1926, 12, 25), "昭和"), (dt.date(1912, 7, 30), "大正"),
         (dt.date(1873, 1, 1), "明治"))


def week_based_year_day(day: str) -> str:
    """A date written with 'YYYY' (the week-based year, ISO weeks) for 'yyyy'."""
    try:
        date = dt.date.fromisoformat(day)
        return date.replace(year=date.isocalendar().year).isoformat()
    except ValueError:  # not a date its formatter reads, or 29 February of a common year
        return day


def era_year(day: dt.date) -> int:
    """The year of the era (令和1年 = 2019) of a day."""
    first = next((start for start, _ in _ERAS if day >= start), _ERAS[-1][0])
    return day.year - first.year + 1


def mysql_latin1(text: str) -> str:
    """UTF-8 bytes read back through MySQL's latin1 (cp1252, its 5 holes as C1 controls)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def _internal(what: str, mid) -> Refusal:
    return Refusal("PF-PROVIDER-INTERNAL", "provider", "the request could not be processed",
                   [("vendor:internal", what)], mid)


def _party(header, party: str) -> tuple[str | None, ...]:
    return tuple(header.findtext(f"{{{PFH}}}{party}/{{{PFH}}}{n}")
                 for n in ("LocalGovCode", "BusinessUnit", "SystemId"))


class SeventeenthBatch(SeventeenthStore):
    """Mixed into Adapter: the seventeenth batch's hooks (identity without one of its defects)."""

    role: str
    business_unit: str
    seventeenth: dict
    lock: threading.Lock

    def _seventeenth_is(self, name: str, role: str | None = None) -> bool:
        return self.defect == name and (role is None or self.role == role)

    def _seventeenth_mine(self) -> bool:
        return self.defect in SEVENTEENTH_DEFECTS and \
            self.role in SEVENTEENTH_DEFECTS[self.defect or ""][1]

    # --- HTTP in, the envelope ------------------------------------------------------------------

    def _seventeenth_raw(self, raw: bytes, content_type: str) -> None:
        """The front end, before the parser."""
        if not self._seventeenth_mine():
            return
        d = self.defect
        if d == "charset-value-case-sensitive":
            charset = next((p.split("=", 1)[1].strip().strip('"') for p in
                            content_type.split(";")[1:] if p.strip().lower().startswith(
                                "charset=")), None)
            if charset is not None and charset not in ("utf-8", "utf-16"):
                raise Refusal("PF-CONTENT-TYPE", "client", "unsupported charset",
                              [("http:content-type", f"charset {charset}")])
        text = raw.decode("utf-16", "replace") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") \
            else raw.decode("utf-8", "replace")
        if d == "namespace-single-quoted-refused" and \
                not any(f'="{ns}"' in text[:4096] for ns in (SOAP11, SOAP12)):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not a SOAP envelope",
                          [("soap:envelope", "no SOAP envelope namespace declared")])
        if d == "comment-after-envelope-refused" and not _ENVELOPE_END.search(text):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not a SOAP envelope",
                          [("soap:envelope", "content after the envelope")])

    def _seventeenth_envelope(self, root, soap: str) -> None:
        if self._seventeenth_is("envelope-attributes-refused", "provider"):
            body = root.find(f"{{{soap}}}Body")
            if len(root.attrib) or (body is not None and len(body.attrib)):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "not a valid SOAP envelope",
                              [("soap:envelope", "an attribute on soap:Envelope or soap:Body")])

    def _seventeenth_headers(self, blocks: list, headers: list) -> list:
        if self.defect == "header-block-taken-first" and blocks and \
                blocks[0].tag != f"{{{PFH}}}PlatformHeader":
            return []  # Header/*[1] is taken for the platform header
        return headers

    def _seventeenth_answer_kept(self, header, body, answer: Answer) -> Answer:
        """request-id-reply-replayed: the answer to a first request, kept under its key."""
        if not self._seventeenth_is("request-id-reply-replayed", "provider") or \
                body.tag != _EXTRACT_REQUEST or body.find(f"{{{JUKI}}}ExtractId") is not None:
            return answer
        request_id = body.findtext(f"{{{JUKI}}}RequestId")
        if request_id is None:
            return answer
        kept = self.seventeenth.setdefault("replies", {})
        return kept.setdefault((_party(header, "Sender"), request_id), answer)

    # --- the platform's checks ------------------------------------------------------------------

    def _seventeenth_checks(self, raw: bytes, header, body, mid) -> None:
        """After the header's and the body's validation, before the rules beyond XSD."""
        if not self._seventeenth_mine():
            return
        d = self.defect
        if d == "sender-own-unit-refused" and \
                header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}BusinessUnit") == self.business_unit:
            raise Refusal("PF-PROVIDER-MISROUTED", "client", "not for this system",
                          [("header:sender", "a request from this 業務ユニット: a routing loop")],
                          mid)
        if d == "user-id-over-20-internal" and \
                len((header.findtext(f"{{{PFH}}}UserId") or "").strip()) > 20:
            raise _internal("value too long for type character varying(20): 照会記録.操作者ID",
                            mid)
        if self.role == "subscriber":
            self._seventeenth_notice_checks(header, body, mid)

    # --- 住民照会 and 全件抽出 --------------------------------------------------------------------

    def _seventeenth_day(self, day: str) -> str:
        if self._seventeenth_is("as-of-week-based-year", "provider"):
            return week_based_year_day(day)
        return day

    def _seventeenth_request_key(self, key, header):
        if self._seventeenth_is("request-id-keyed-by-sent-at-day", "provider") and \
                key[1] is not None:
            return (*key, (header.findtext(f"{{{PFH}}}SentAt") or "").strip()[:10])
        return key

    def _seventeenth_extract_id(self, extract_id: str, header) -> str:
        if not self._seventeenth_is("extract-id-from-sender-and-minute", "provider"):
            return extract_id
        system = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId") or "extract"
        minute = re.sub("[^0-9]", "", header.findtext(f"{{{PFH}}}SentAt") or "")[:12]
        return re.sub("[^A-Za-z0-9-]", "-", f"{system}-{minute}")[:64]

    # --- answers --------------------------------------------------------------------------------

    def _seventeenth_now(self) -> str | None:
        if not self._seventeenth_mine():
            return None
        d, now = self.defect, dt.datetime.now(JST)
        if d == "sent-at-era-year":
            return f"{era_year(now.date()):04d}-{now:%m-%dT%H:%M:%S}+09:00"
        if d == "sent-at-offset-sign-inverted":
            return f"{now:%Y-%m-%dT%H:%M:%S}-09:00"
        if d == "sent-at-zone-abbreviation":
            return f"{now:%Y-%m-%dT%H:%M:%S}JST"
        return None

    def _seventeenth_reply_header(self, h) -> None:
        if self.defect == "request-hash-base64url":
            el = h.find(f"{{{PFH}}}RequestHash")
            if el is not None and el.text:
                el.text = el.text.replace("+", "-").replace("/", "_").rstrip("=")

    def _seventeenth_answer(self, response, soap: str) -> None:
        """The answer's body element, in soap:Body, before it is written."""
        if not self._seventeenth_mine() or self.role != "provider":
            return
        d = self.defect
        if d == "extract-resident-in-common-namespace" and response.tag == _EXTRACT:
            for el in response.findall(f"{{{JUKI}}}Resident"):
                el.tag = f"{{{CMN}}}Resident"
        if d == "chome-merged-into-town":
            for address in response.iter(f"{{{CMN}}}Address"):
                chome, town = address.find(f"{{{CMN}}}Chome"), address.find(f"{{{CMN}}}Town")
                if chome is not None and town is not None:
                    town.text = f"{town.text}{kanji_numeral(int(chome.text))}丁目"
                    address.remove(chome)
        if d == "name-with-former-surname-bracketed":
            for person in response.iter(f"{{{JUKI}}}Resident", f"{{{CMN}}}Member"):
                former = person.findtext(f"{{{CMN}}}FormerSurname/{{{CMN}}}Text")
                text = person.find(f"{{{CMN}}}Name/{{{CMN}}}Text")
                if former and text is not None:
                    text.text = f"{text.text}（{former}）"
        if d == "kana-cleaned-to-a-n-range":
            for kana in response.iter(f"{{{CMN}}}Kana"):
                for el in kana:
                    if isinstance(el.tag, str) and el.text:
                        el.text = _NOT_A_TO_N.sub("", el.text)
        if d == "extract-double-encoded-latin1" and response.tag == _EXTRACT:
            for el in response.iter():
                if isinstance(el.tag, str) and el.text and not el.text.isascii():
                    el.text = mysql_latin1(el.text)
        if d == "soap11-answers-xsi-typed" and soap == SOAP11:
            for el in response.iter():
                if isinstance(el.tag, str) and len(el) == 0 and el.text:
                    el.set(f"{{{XSI}}}type", "xsd:string")
            etree.cleanup_namespaces(response, top_nsmap={"xsi": XSI, "xsd": XS},
                                     keep_ns_prefixes=["xsd"])

    def _seventeenth_envelope_out(self, env, soap: str, response) -> None:
        if self._seventeenth_is("soap11-receipt-two-headers", "subscriber") and \
                soap == SOAP11 and response.tag == f"{{{PFR}}}NoticeReceipt":
            env.insert(0, etree.Element(f"{{{soap}}}Header"))  # the framework's own, empty

    def _seventeenth_out(self, answer: Answer) -> Answer:
        if self._seventeenth_is("answer-declared-shift-jis", "provider"):
            answer.body = _UTF8_DECLARATION.sub(rb"\1\2Shift_JIS\2", answer.body, count=1)
        return answer

    def _seventeenth_fault(self, refusal: Refusal) -> None:
        if self.defect == "service-version-as-service-unknown" and \
                refusal.code == "PF-PROVIDER-MISROUTED" and \
                any(rule == "service:version" for rule, _ in refusal.findings):
            refusal.code = "PF-SERVICE-UNKNOWN"
            refusal.findings = [("service:known" if rule == "service:version" else rule, text)
                                for rule, text in refusal.findings]


__all__ = ["SEVENTEENTH_DEFECTS", "SEVENTEENTH_MEASURED_MISSES", "SeventeenthBatch", "era_year",
           "mysql_latin1", "week_based_year_day"]
