"""The sixteenth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/adapter-sdk.md, docs/characters.md, docs/security.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1) and this independent adapter's code, by an engineer who has not read the
suite, and committed (landed on main) before the suite was run on it. None repeats a defect of the
earlier batches (seventh … fifteenth, and variants.py's DEFECTS), which were read for the
mechanics and to stay clear of them. ``SixteenthBatch`` is mixed into ``Adapter``; its
``_sixteenth_*`` hooks are called where each defect lives and change nothing when no defect of
this batch is selected. The subscriber's store hooks are in sixteenth_store.py.

Measured once, blind, on 3d074b0 (main at that moment: neither round 16's cases nor the
settling of the four document disagreements, both written by authors who had not seen this
batch; `python -m tests.conformance.independent_runs SIXTEENTH_BATCH`, 2026-12-05
04:10:49Z – 04:12:18Z, two at a time, load average 9.7 from other helpers' work): 32/40 caught =
80.0 %. Per class: 1 (one exchange only) 9/9, 2 (inputs rarely sent) 5/10, 3 (characters) 7/7,
4 (time) 7/8, 5 (durability) 4/6. Per role: provider 16/20, subscriber 16/20. No variant
crashed or failed to start. Missed:
- request-id-numeric-normalised (provider): RequestIds 0042 and 42 of one Sender name one
  extract — seemingly no case sends two RequestIds equal as numbers;
- first-request-page-taken-as-1 (provider): a first request (no ExtractId) for Page 2 is
  answered page 1 — seemingly every first request asks for page 1;
- local-gov-check-digit-m11-convention (provider): a Sender 団体コード whose weighted sum is a
  multiple of 11 (check digit 1) is refused — seemingly no case's party has such a code;
- content-type-ows-refused (subscriber): "text/xml ; charset=utf-8" refused — seemingly no
  notice is sent with whitespace around the parameters' ';';
- body-sliced-as-text (subscriber): namespaces declared on the Envelope or Body are lost when
  the notice element is cut out as text — seemingly no notice declares the body's namespaces
  on an ancestor;
- changes-ordered-by-sent-at (subscriber): a newer 異動連番 in a notice with an earlier SentAt
  is dropped — seemingly SentAt always grows with 異動連番 in the suite's notices;
- watermark-restored-from-log-tail (subscriber): after a restart, the stale check reads the
  last change received (stale ones too) — seemingly no stale change is received before a
  restart;
- seen-ids-journal-rotated-on-start (subscriber): a redelivery is recognised after one restart
  but applied again after a second — seemingly no redelivery follows two restarts.
These are SIXTEENTH_MEASURED_MISSES. No variant was changed after the measurement.
processing-instruction-refused (both roles, caught by P-EQUIV-01's pi-in-payload over SOAP 1.2)
follows SOAP 1.2 Part 1 §5's SHOULD (a Sender fault for a processing instruction); the
documents, which required the normal answer when the batch was written and measured, were
settled afterwards to take either (ST-STD-22): judged no defect since, so 30/38 = 78.9 % of the
runs that are defects.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import threading
import time
from copy import deepcopy

from lxml import etree

from .sixteenth_store import DASHES_TO_CHOON, SixteenthStore
from .standard import CMN, JST, JUKI, PFH, PFR, SOAP11, Answer, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
SIXTEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, binding, page, answer kind or field only
    "soap11-fault-http-200": (
        1, BOTH, "the SOAP 1.1 fault writer keeps its framework's default status: every SOAP 1.1 "
                 "fault goes out with HTTP 200 OK (SOAP 1.2 faults are right) [SOAP 1.1 §6.2: a "
                 "SOAP fault in an HTTP response MUST use 500 Internal Server Error; "
                 "docs/faults.md: SOAP 1.1 faults are soap:Client or soap:Server with HTTP 500]"),
    "not-found-status-underscore": (
        1, P, "the 住民照会 mapper writes its enum constant's name lower-cased: a resident not "
              "held is answered Status not_found; found answers are right [common-v1.xsd "
              "InquiryStatusType: found | not-found; juki-v1.xsd ResidentInquiryResponse]"),
    "member-katagaki-dropped": (
        1, P, "household members are read from the 世帯 view, whose address columns stop at "
              "番地: every Member's Address lacks its 方書, while the answered Resident keeps it "
              "[common-v1.xsd HouseholdType: Member is a cmn:ResidentType whose Address has "
              "Katagaki; the member's record as registered]"),
    "inquiry-postal-code-hyphenated": (
        1, P, "住民照会 answers take 郵便番号 from the address master's display column "
              "(100-0013); 全件 pages are right [common-v1.xsd PostalCodeType: 7 digits, no "
              "hyphen]"),
    "multi-change-receipt-per-change": (
        1, S, "the receipt writer loops over the notice's changes: a notice of several changes "
              "is answered with one pfr:NoticeReceipt per change in soap:Body; a notice of one "
              "change is right [ResidentChangeNotice-v1.wsdl: the output message is one "
              "pfr:NoticeReceipt, document/literal; docs/faults.md PF-SOAP-ENVELOPE: a Body "
              "holds one element]"),
    "later-pages-extract-id-uppercase": (
        1, P, "pages after the first read the ExtractId back from the snapshot table's GUID "
              "column, which hands it out in upper case (page 1 names 3f2a…, page 2 3F2A…) "
              "[docs/notices.md paging contract: every page names the same ExtractId; "
              "juki-v1.xsd ExtractIdType: case-sensitive text]"),
    "new-resident-receipted-accepted": (
        1, S, "a notice about a resident the subscriber did not hold is receipted Status "
              "accepted (\"taken in, to be checked against 全件\") though it was applied; "
              "other notices are receipted applied [receipt-v1.xsd: accepted is the hub's, a "
              "subscriber answers applied or duplicate; docs/notices.md: a change of a resident "
              "not held makes the subscriber hold it]"),
    "page-past-end-http-204": (
        1, P, "a 全件 page past the end is answered HTTP 204 No Content with an empty body (the "
              "REST habit for \"no more\") [docs/notices.md paging contract: a page past the "
              "end is a normal answer with the same ExtractId, Page, TotalPages and TotalCount "
              "and no juki:Resident, not an error]"),
    # 2 — inputs rarely sent: request and notice forms, values, HTTP forms, parties, hostile XML
    "request-id-numeric-normalised": (
        2, P, "the RequestId passes the vendor's JSON job queue, where a RequestId of digits "
              "only becomes a number: 0042 and 42 from one Sender name one extract, the second "
              "gets the first's snapshot [juki-v1.xsd ExtractIdType: text [A-Za-z0-9-]{1,64}, "
              "the requester's own; docs/notices.md: made once per (Sender, RequestId)]"),
    "first-request-page-taken-as-1": (
        2, P, "a request without ExtractId is answered as page 1 whatever its Page (\"the first "
              "request starts the transfer\"): a receiver resuming with its RequestId and Page "
              "2 gets page 1 again [docs/notices.md: every page echoes its Page; a first request "
              "sent again with the same RequestId is answered from the same snapshot; a "
              "transfer resumes from the last confirmed page]"),
    "processing-instruction-refused": (
        2, BOTH, "a request holding a processing instruction (a gateway's <?trace …?>, one "
                 "inside a value) is refused PF-SOAP-ENVELOPE: the pre-filter applies SOAP "
                 "1.1's \"MUST NOT contain\" to both versions [SOAP 1.2 part 1 §5: a receiver "
                 "MUST ignore processing instruction information items; README: a value is its "
                 "text without the comments and processing instructions inside it]"),
    "content-type-ows-refused": (
        2, S, "the notice endpoint's front end matches the Content-Type with a regex that wants "
              "';' right after the media type: text/xml ; charset=utf-8 is refused "
              "PF-CONTENT-TYPE [RFC 9110 §5.6.6, §8.3.1: parameters = *( OWS \";\" OWS "
              "[ parameter ] ), whitespace around ';' allowed]"),
    "soap-action-quoted-refused": (
        2, P, "the SOAPAction header is compared with the WSDL's soapAction as received, quotes "
              "included: SOAPAction: \"urn:pfbus:service:juki.ResidentInquiry\" (quoted, as "
              "SOAP 1.1 and zeep write it) is refused PF-HEADER-INVALID soap:action; only \"\" "
              "and an unquoted value pass [SOAP 1.1 §6.1.1: the SOAPAction field value is a "
              "quoted URI reference; docs/security.md: a non-empty SOAPAction must be "
              "urn:pfbus:service:<ServiceId> of the header]"),
    "notice-resident-code-refused": (
        2, S, "a notice whose residents carry cmn:ResidentCode (住民票コード) is refused "
              "PF-RULE-VIOLATION: the tax system may not keep it and refuses the notice instead "
              "of leaving the item out [common-v1.xsd ResidentType: ResidentCode is optional; "
              "docs/faults.md: rules beyond XSD are check digits and code lists; "
              "docs/notices.md: a valid notice is applied]"),
    "local-gov-check-digit-m11-convention": (
        2, P, "the provider verifies the parties' 団体コード with its 宛名番号 routine (remainder "
              "0 or 1 → 0): a Sender whose weighted sum is a multiple of 11, check digit 1 "
              "(131041 新宿区, a system of another 団体 in a 自治体クラウド), is refused "
              "PF-RULE-VIOLATION local_gov_code [platform.md: 団体コード check = the last digit "
              "of (11 − S mod 11), so remainder 0 gives 1]"),
    "body-sliced-as-text": (
        2, S, "the notice mapper cuts the juki:ResidentChangeNotice element out of the request's "
              "text and parses it alone (its legacy parser takes one document): namespaces "
              "declared on soap:Envelope or soap:Body are lost and the notice fails "
              "PF-PROVIDER-INTERNAL [Namespaces in XML 1.0 §6.1: a declaration's scope is the "
              "element and its descendants; README: a value is read as XML defines it]"),
    "envelope-unprefixed-refused": (
        2, S, "the notice endpoint's splitter takes the SOAP prefix from the root's qualified "
              "name and looks for '<prefix>:Body': an envelope in the default namespace "
              "(<Envelope xmlns=\"…\">) is refused PF-SOAP-ENVELOPE [Namespaces in XML 1.0 "
              "§6.2: unprefixed names are in the default namespace; SOAP 1.1 §4, SOAP 1.2 part "
              "1 §5.1: the Envelope is known by its namespace name and local name]"),
    # 3 — characters: normalisation, legacy code pages, width, in names and addresses
    "dash-like-unified-to-choon": (
        3, BOTH, "the 名寄せ normaliser that unifies dash-like characters (‐ – — ― − － ｰ) into "
                 "the prolonged sound mark ー runs on the registered text — the provider's "
                 "names and 住所 texts (１２番地−3 → １２番地ー3), the subscriber's stored name "
                 "[docs/characters.md: never normalised; a registered name depends on the exact "
                 "character; 住所 texts are validated, never substituted]"),
    "sjis-5c-escape-eaten": (
        3, S, "the name column is written through a Shift_JIS layer that takes the byte 0x5C for "
              "an escape: the second byte of 十 ソ 表 能 申 (ダメ文字) is eaten and the name "
              "garbled (十河翔子 stored as another text) [docs/characters.md: a registered name "
              "must reach every system exactly as registered]"),
    "stores-name-whitespace-collapsed": (
        3, S, "the vendor's JAXB binding types NameText as xs:token (its own copy of the "
              "schema): a stored name loses leading and trailing spaces and runs of spaces "
              "become one (ROSSI  VIOLA → ROSSI VIOLA) [common-v1.xsd NameTextType: whiteSpace "
              "preserve; docs/characters.md: exactly as registered]"),
    "kana-yotsugana-folded": (
        3, P, "readings are written from the 名寄せ search key, which folds the 四つ仮名 (ヂ → "
              "ジ, ヅ → ズ): ツヅキ is answered ツズキ [common-v1.xsd KanaTextType: the "
              "reading in full-width katakana as registered; platform.md 氏名フリガナ]"),
    "stores-latin-upper-cased": (
        3, S, "the name column lives on the host, reached through an EBCDIC katakana code page "
              "that has no lower-case Latin letters: the gateway upper-cases them (McDonald "
              "Rose → MCDONALD ROSE) [docs/characters.md: exactly as registered; JIS X 0213 "
              "and MJ hold lower-case Latin]"),
    "kana-long-vowel-normalised": (
        3, P, "readings pass the 名寄せ long-vowel rule: ウ after an o- or u-row kana becomes ー "
              "(ショウコ → ショーコ, ユウコ → ユーコ, イチロウ → イチロー) [common-v1.xsd "
              "KanaTextType: the registered reading; ショウコ and ショーコ are two readings]"),
    # 4 — time: SentAt, 基準日, dates, time zones, clocks, expiry, calendars
    "as-of-after-2038-internal": (
        4, P, "the 基準日 is turned into a 32-bit time_t for the dated query: a 基準日 after "
              "2038-01-19 overflows and the inquiry fails PF-PROVIDER-INTERNAL instead of being "
              "answered as of that day [juki-v1.xsd AsOf: any xs:date; found only if recorded "
              "by then]"),
    "as-of-previous-business-day": (
        4, P, "the 基準日 is mapped to the vendor's daily snapshot, taken on business days "
              "only: a 基準日 on a Saturday, Sunday or 年末年始 (12-29 … 01-03) is read as the "
              "business day before — a resident who became one that weekend is not found "
              "[juki-v1.xsd AsOf: the state as of this date, inclusive]"),
    "notified-on-holiday-refused": (
        4, S, "the vendor's date rule wants 届出年月日 on a 開庁日 of its business calendar: a "
              "change notified on a Saturday, Sunday or 年末年始 is refused PF-RULE-VIOLATION "
              "[common-v1.xsd NotifiedOn: any xs:date — 休日窓口 and 届出 by post exist; "
              "docs/faults.md: rules beyond XSD are check digits and code lists]"),
    "changes-ordered-by-sent-at": (
        4, S, "the subscriber keeps the SentAt of the last notice applied to each resident and "
              "skips a change whose notice was sent earlier (last writer wins by timestamp): a "
              "newer 異動 in a notice with an earlier SentAt (a registry standby's slower "
              "clock, an outbox resend) is dropped and receipted applied [docs/notices.md: a "
              "change is applied exactly when its 異動連番 is greater than the last one applied "
              "to that resident; header-v1.xsd SentAt: the time sent]"),
    "birth-before-showa-refused": (
        4, S, "the 和暦 conversion of 生年月日 starts its era table at 昭和 (1926-12-25): a "
              "resident born in 大正 or 明治 makes the notice fail PF-PROVIDER-INTERNAL, "
              "redelivered until dead [common-v1.xsd DateOfBirth: any xs:date; platform.md: "
              "生年月日 kept in 和暦 too — 大正 births are residents today]"),
    "snapshot-lease-utc-vs-local": (
        4, P, "a snapshot's last read is stamped with utcnow() and its 6-hour lease checked "
              "against now() on the JST host: every snapshot looks 9 hours unread, is pruned "
              "when its next page is asked, and the page is answered PF-EXTRACT-UNKNOWN "
              "[docs/notices.md: every page names the same ExtractId, a transfer resumes from "
              "it; snapshots are pruned only after 6 hours unread]"),
    "sent-at-from-database-text": (
        4, BOTH, "the reply's SentAt is the database's text form of now() (SELECT now()::text "
                 "on a server in Asia/Tokyo): 2025-04-01 10:00:00.123456+09, a space for the T "
                 "and the offset in hours [header-v1.xsd SentAt: xs:dateTime "
                 "(yyyy-mm-ddThh:mm:ss, offset ±hh:mm) ending +09:00]"),
    # 5 — durability: acknowledging before storing, seen IDs across restarts, partial writes,
    # ordering after a crash, the 全件 snapshot
    "extract-page-served-before-copied": (
        5, P, "the snapshot is copied by a worker in batches of 5 residents, 3 s apart, its "
              "head (TotalCount) written first; a page asked before its residents are copied is "
              "answered with those copied so far instead of waiting for the builder "
              "[docs/notices.md paging contract: every page but the last holds PageSize "
              "residents, together TotalCount; a page not copied yet waits for the builder]"),
    "snapshot-list-filtered-in-place": (
        5, P, "an extract without 基準日 takes the provider's cached roster list itself as its "
              "snapshot, and a dated extract filters that list in place: an earlier transfer's "
              "snapshot shrinks under its later pages [docs/notices.md: the provider freezes "
              "one snapshot per ExtractId; together its pages hold TotalCount distinct "
              "residents]"),
    "seen-ids-read-from-start-snapshot": (
        5, S, "the seen-MessageId look-up runs on a reader connection whose read transaction "
              "was opened at start-up and never ended (a WAL snapshot): IDs committed since "
              "the start are invisible, so a redelivery is receipted applied (and applied "
              "again) until the next restart [docs/adapter-sdk.md: a redelivery after a lost "
              "acknowledgement changes nothing; receipt-v1.xsd duplicate]"),
    "watermark-restored-from-log-tail": (
        5, S, "the stale check reads a watermark kept in memory, restored at start-up from the "
              "applied log's LAST row per resident — and the log records every change "
              "received, stale ones too: after a crash an older change is applied over a newer "
              "one [docs/notices.md: a change is applied exactly when its 異動連番 is greater "
              "than the last one applied to that resident]"),
    "seen-ids-journal-rotated-on-start": (
        5, S, "seen MessageIds are appended (fsync'd) to a journal that start-up rotates "
              "(journal → journal.1, the older .1 dropped) before reading journal.1 back: a "
              "redelivery is recognised after one restart, but after a second restart it is "
              "receipted applied and applied again [docs/notices.md: the idempotent receiver "
              "for as long as it keeps the notice; docs/adapter-sdk.md: a redelivery changes "
              "nothing]"),
    "long-name-overflow-written-after-receipt": (
        5, S, "a name longer than 20 characters is committed cut to its first 20 in the "
              "resident row, the rest written to the overflow by a worker 1.5 s after the "
              "receipt: killed in between, the name stays cut though receipted applied "
              "[docs/notices.md: a receipt means stored; docs/adapter-sdk.md: applied is "
              "answered only after the commit; common-v1.xsd NameTextType: up to 100 "
              "characters]"),
}

# The blind measurement's misses (name, role), kept as measured (the docstring).
SIXTEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("request-id-numeric-normalised", "provider"),
    ("first-request-page-taken-as-1", "provider"),
    ("local-gov-check-digit-m11-convention", "provider"),
    ("content-type-ows-refused", "subscriber"),
    ("body-sliced-as-text", "subscriber"),
    ("changes-ordered-by-sent-at", "subscriber"),
    ("watermark-restored-from-log-tail", "subscriber"),
    ("seen-ids-journal-rotated-on-start", "subscriber"),
})

_PI = re.compile(rb"<\?(?!xml[\s?])")  # a processing instruction; not the XML declaration
_CONTENT_TYPE = re.compile(r"(text/xml|application/soap\+xml)(;\s*[^;]*)*")  # ';' right after
_YOTSUGANA = str.maketrans("ヂヅ", "ジズ")
_LONG_VOWEL = re.compile("(?<=[オコソトノホモヨロヲゴゾドボポョォウクスツヌフムユルグズヅブプュゥ])ウ")
_ADDRESS_TEXTS = ("Prefecture", "City", "Town", "Banchi", "Katagaki")
_INQUIRY = f"{{{JUKI}}}ResidentInquiryResponse"
_EXTRACT = f"{{{JUKI}}}ResidentFullExtractResponse"
_NOTICE = re.compile(rb"<((?:[\w.-]+:)?)ResidentChangeNotice[\s>/].*</\1ResidentChangeNotice\s*>",
                     re.S)


def business_day(day: dt.date) -> bool:
    """The vendor's business calendar: no weekends, no 年末年始 (12-29 … 01-03)."""
    return day.weekday() < 5 and not ((day.month, day.day) >= (12, 29)
                                      or (day.month, day.day) <= (1, 3))


def previous_business_day(text: str) -> str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:  # a year beyond 9999 or before 1: the vendor's query takes it as it is
        return text
    while not business_day(day):
        day -= dt.timedelta(days=1)
    return day.isoformat()


def vendor_local_gov_ok(code: str) -> bool:
    """団体コード checked with the 宛名番号 convention: remainder 0 or 1 → 0 (wrong for 0)."""
    r = sum(int(d) * w for d, w in zip(code[:5], (6, 5, 4, 3, 2), strict=True)) % 11
    return int(code[5]) == (0 if r <= 1 else 11 - r)


def long_vowels(text: str) -> str:
    return _LONG_VOWEL.sub("ー", text)


def _internal(what: str, mid) -> Refusal:
    return Refusal("PF-PROVIDER-INTERNAL", "provider", "the request could not be processed",
                   [("vendor:internal", what)], mid)


class SixteenthBatch(SixteenthStore):
    """Mixed into Adapter: the sixteenth batch's hooks (identity without one of its defects)."""

    residents: dict
    extracts: dict
    sixteenth: dict
    lock: threading.Lock
    conn: sqlite3.Connection

    def _sixteenth_is(self, name: str, role: str | None = None) -> bool:
        return self.defect == name and (role is None or self.role == role)

    # --- HTTP in, the envelope ------------------------------------------------------------------

    def _sixteenth_content_type(self, content_type: str) -> None:
        media = content_type.strip().lower()
        if self._sixteenth_is("content-type-ows-refused", "subscriber") and \
                media.startswith(("text/xml", "application/soap+xml")) and \
                not _CONTENT_TYPE.fullmatch(media):
            raise Refusal("PF-CONTENT-TYPE", "client", "unsupported media type",
                          [("http:content-type", content_type)])

    def _sixteenth_parse_bytes(self, raw: bytes) -> None:
        if self.defect == "processing-instruction-refused" and _PI.search(raw):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "a processing instruction is not allowed",
                          [("soap:processing-instruction", "the message holds one")])

    def _sixteenth_envelope(self, root) -> None:
        if self._sixteenth_is("envelope-unprefixed-refused", "subscriber") and root.prefix is None:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not a SOAP envelope",
                          [("soap:envelope", "no soap:Body")])

    def _sixteenth_soap_action(self, soap: str, action: str | None, header, mid) -> None:
        if not self._sixteenth_is("soap-action-quoted-refused", "provider") or soap != SOAP11 \
                or action in (None, "", '""') or header is None:
            return
        expected = f"urn:pfbus:service:{header.findtext(f'{{{PFH}}}Service/{{{PFH}}}ServiceId')}"
        if action != expected:  # the quotes never removed
            raise Refusal("PF-HEADER-INVALID", "client", "SOAPAction names another service",
                          [("soap:action", f"SOAPAction {action} is not {expected}")], mid)

    # --- the platform's checks ------------------------------------------------------------------

    def _sixteenth_checks(self, raw: bytes, header, body, mid) -> None:
        """After the header's and the body's validation, before the rules beyond XSD."""
        d = self.defect
        if d not in SIXTEENTH_DEFECTS or self.role not in SIXTEENTH_DEFECTS[d][1]:
            return
        if d == "local-gov-check-digit-m11-convention":
            for party in ("Sender", "Receiver"):
                code = header.findtext(f"{{{PFH}}}{party}/{{{PFH}}}LocalGovCode")
                if not vendor_local_gov_ok(code):
                    raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                                  [("local_gov_code", f"{code}: check digit")], mid)
        if d == "notice-resident-code-refused" and \
                next(body.iter(f"{{{CMN}}}ResidentCode"), None) is not None:
            raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                          [("vendor:resident_code", "住民票コード is not accepted")], mid)
        if d == "body-sliced-as-text" and (m := _NOTICE.search(raw)):
            try:
                etree.fromstring(m[0])
            except etree.XMLSyntaxError as exc:
                raise _internal(f"XMLSyntaxError: {exc}", mid) from None
        for change in body.iter(f"{{{JUKI}}}Change"):
            notified = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}NotifiedOn")
            if d == "notified-on-holiday-refused" and notified and \
                    re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", notified.strip()[:10]) and \
                    not business_day(dt.date.fromisoformat(notified.strip()[:10])):
                raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                              [("vendor:notified_on", f"{notified}: not a 開庁日")], mid)
            born = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}DateOfBirth").strip()[:10]
            if d == "birth-before-showa-refused" and born < "1926-12-25":
                raise _internal(f"ValueError: no era for {born}", mid)

    # --- 住民照会 and 全件抽出 --------------------------------------------------------------------

    def _sixteenth_as_of(self, as_of: str) -> None:
        if self._sixteenth_is("as-of-after-2038-internal", "provider") and \
                as_of.strip()[:10] > "2038-01-19":
            raise _internal("OverflowError: timestamp out of range for platform time_t", None)

    def _sixteenth_day(self, day: str) -> str:
        if self._sixteenth_is("as-of-previous-business-day", "provider"):
            return previous_business_day(day)
        return day

    def _sixteenth_page(self, body, page: int) -> int:
        if self._sixteenth_is("first-request-page-taken-as-1", "provider") and \
                body.find(f"{{{JUKI}}}ExtractId") is None:
            return 1
        return page

    def _sixteenth_request_key(self, key):
        if self._sixteenth_is("request-id-numeric-normalised", "provider") and \
                key[1] is not None and key[1].isdigit():
            return (key[0], str(int(key[1])))  # "0042" read back as 42
        return key

    def _sixteenth_numbers(self, numbers: list[str]) -> list[str]:
        """A new snapshot's 宛名番号 (under the provider's lock)."""
        if self._sixteenth_is("snapshot-list-filtered-in-place", "provider"):
            roster = self.sixteenth.setdefault("roster", sorted(self.residents))
            keep = set(numbers)
            roster[:] = [n for n in roster if n in keep]  # filtered in place, not copied
            return roster
        return numbers

    def _sixteenth_snapshot_made(self, extract_id: str) -> None:
        """Under the provider's lock, once a snapshot is made."""
        if self._sixteenth_is("snapshot-lease-utc-vs-local", "provider"):
            self.sixteenth.setdefault("read", {})[extract_id] = \
                dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # utcnow()
        if self._sixteenth_is("extract-page-served-before-copied", "provider"):
            full = self.extracts[extract_id]
            self.sixteenth.setdefault("totals", {})[extract_id] = len(full)
            copied = self.extracts[extract_id] = full[:5]
            threading.Thread(target=self._sixteenth_copy, args=(copied, full[5:]),
                             daemon=True).start()

    def _sixteenth_copy(self, copied: list, rest: list) -> None:
        """extract-page-served-before-copied: the builder, 5 residents per batch."""
        for i in range(0, len(rest), 5):
            time.sleep(3.0)
            with self.lock:
                copied.extend(rest[i:i + 5])

    def _sixteenth_expire(self, body, extract_id) -> None:
        """Under the provider's lock, before a request's snapshot is looked up."""
        if not self._sixteenth_is("snapshot-lease-utc-vs-local", "provider") or \
                body.find(f"{{{JUKI}}}ExtractId") is None:
            return
        read = self.sixteenth.setdefault("read", {})
        now = dt.datetime.now(JST).replace(tzinfo=None)  # now() on the JST host
        if extract_id in read and now - read[extract_id] > dt.timedelta(hours=6):
            self.extracts.pop(extract_id, None)  # pruned: unread past its lease
            del read[extract_id]
        elif extract_id in read:
            read[extract_id] = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    def _sixteenth_totals(self, extract_id, pages: int, count: int,
                          size: int) -> tuple[int, int]:
        if self._sixteenth_is("extract-page-served-before-copied", "provider") and \
                extract_id in self.sixteenth.get("totals", {}):
            count = self.sixteenth["totals"][extract_id]  # the head, written first
            return math.ceil(count / size), count
        return pages, count

    # --- answers --------------------------------------------------------------------------------

    def _sixteenth_now(self) -> str | None:
        if self.defect == "sent-at-from-database-text":
            return dt.datetime.now(JST).strftime("%Y-%m-%d %H:%M:%S.%f") + "+09"
        return None

    def _sixteenth_answer(self, response) -> None:
        """The answer's body element, in soap:Body, before it is written."""
        d = self.defect
        if d not in SIXTEENTH_DEFECTS or self.role not in SIXTEENTH_DEFECTS[d][1]:
            return
        if d == "multi-change-receipt-per-change" and response.tag == f"{{{PFR}}}NoticeReceipt":
            for _ in range(getattr(self._sixteenth_local(), "changes", 1) - 1):
                response.addnext(deepcopy(response))
        if self.role != "provider":
            return
        status = response.find(f"{{{JUKI}}}Status")
        if d == "not-found-status-underscore" and response.tag == _INQUIRY and \
                status is not None and status.text == "not-found":
            status.text = "not_found"
        if d == "member-katagaki-dropped":
            for member in response.iter(f"{{{CMN}}}Member"):
                for katagaki in member.findall(f"{{{CMN}}}Address/{{{CMN}}}Katagaki"):
                    katagaki.getparent().remove(katagaki)
        if d == "inquiry-postal-code-hyphenated" and response.tag == _INQUIRY:
            for el in response.iter(f"{{{CMN}}}PostalCode"):
                el.text = f"{el.text[:3]}-{el.text[3:]}"
        if d == "later-pages-extract-id-uppercase" and response.tag == _EXTRACT and \
                response.findtext(f"{{{JUKI}}}Page") != "1":
            el = response.find(f"{{{JUKI}}}ExtractId")
            el.text = el.text.upper()
        if d == "dash-like-unified-to-choon":
            for el in response.iter(f"{{{CMN}}}Text",
                                    *(f"{{{CMN}}}{n}" for n in _ADDRESS_TEXTS)):
                el.text = el.text.translate(DASHES_TO_CHOON)
        if d in ("kana-yotsugana-folded", "kana-long-vowel-normalised"):
            for kana in response.iter(f"{{{CMN}}}Kana"):
                for el in kana:
                    if isinstance(el.tag, str) and el.text:
                        el.text = el.text.translate(_YOTSUGANA) \
                            if d == "kana-yotsugana-folded" else long_vowels(el.text)

    def _sixteenth_answer_out(self, env, soap: str, response) -> Answer | None:
        if self._sixteenth_is("page-past-end-http-204", "provider") and \
                response.tag == _EXTRACT and int(response.findtext(f"{{{JUKI}}}Page")) > \
                int(response.findtext(f"{{{JUKI}}}TotalPages")):
            media = "text/xml" if soap == SOAP11 else "application/soap+xml"
            return Answer(204, b"", media)
        return None

    def _sixteenth_fault_answer(self, soap: str, answer: Answer) -> None:
        if self.defect == "soap11-fault-http-200" and soap == SOAP11:
            answer.status = 200  # the framework's default, never set on the 1.1 path


__all__ = ["SIXTEENTH_DEFECTS", "SIXTEENTH_MEASURED_MISSES", "SixteenthBatch", "business_day",
           "long_vowels", "previous_business_day", "vendor_local_gov_ok"]
