"""The thirteenth blind batch of the independent adapter: one deliberate defect per variant,
written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/adapter-sdk.md, docs/characters.md, docs/glossary.md, the XSDs' annotations, the WSDLs,
../shared/docs/platform.md, SOAP 1.1/1.2, HTTP) by an engineer who has not read the suite.

Each defect is one plausible mistake of a vendor's code path — an error mapper, a date column, a
code-page layer, a cache, a start-up script — and breaks a requirement a vendor can read (cited
in brackets in its description). ``ThirteenthBatch`` is mixed into ``Adapter``; its
``_thirteenth_*`` hooks are called where each defect lives and change nothing when no defect of
this batch is selected.

Measured once, blind, on f60f40e (`python -m tests.conformance.independent_runs THIRTEENTH_BATCH`,
2026-12-04 17:00:00Z – 17:07:19Z, two at a time): 33/40 caught = 82.5 %. Per class: 1 (one
exchange only) 10/10, 2 (inputs rarely sent) 6/10, 3 (characters) 6/7, 4 (time) 8/8,
5 (durability) 3/5. Per role: provider 14/18, subscriber 19/22. No variant crashed or failed to
start. Missed: request-sent-at-parsed-strictly (provider and subscriber: a SentAt with
surrounding whitespace or T24:00:00 answered PF-PROVIDER-INTERNAL), later-page-request-id-refused
(a later page carrying its RequestId refused), expect-100-continue-refused (417 to Expect:
100-continue), stores-ivs-e0100-dropped (U+E0100 dropped from a stored name),
locked-writes-dropped-under-concurrency (a notice written while another is lost, receipted
applied), request-id-map-ttl-60s (a first request retried after 60 s gets a second snapshot) —
THIRTEENTH_MEASURED_MISSES. No variant was changed after the measurement.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from lxml import etree

from .standard import CMN, JST, JUKI, PFH, PFR, SOAP11, SOAP12, Refusal

PROVIDER = ("provider",)
SUBSCRIBER = ("subscriber",)
BOTH = ("provider", "subscriber")

THIRTEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # --- 1. rules judged on one exchange only --------------------------------------------------
    "soap12-schema-fault-receiver": (
        1, PROVIDER,
        "the SOAP 1.2 fault writer maps PF-SCHEMA-INVALID to soap:Receiver with HTTP 500 (\"the "
        "server could not process it\"); its detail still says party client, and SOAP 1.1 is "
        "right [docs/faults.md: SOAP 1.2 faults are soap:Sender / soap:Receiver with the HTTP "
        "status of the table — PF-SCHEMA-INVALID client, 400; docs/adapter-sdk.md: SOAP 1.2 "
        "Sender with 400]"),
    "duplicate-receipt-parties-not-swapped": (
        1, SUBSCRIBER,
        "a duplicate receipt is written from the header stored with the first delivery: Sender "
        "and Receiver are the notice's own, not swapped; the applied receipt is right [README: "
        "a reply swaps sender and receiver; docs/notices.md: the subscriber answers like any "
        "provider]"),
    "reply-message-id-per-second": (
        1, PROVIDER,
        "the reply MessageId is a name-based UUID of the system ID and SentAt (to the second): "
        "two answers given in the same second carry the same MessageId [README: MessageId — "
        "UUID of this message; docs/glossary.md: message_id, UUID of one message]"),
    "former-surname-kana-from-current": (
        1, PROVIDER,
        "the mapper fills the second name field's reading from the wrong column: "
        "FormerSurname/Kana/Family is the current 氏カナ (髙橋美咲's 旧氏 葛󠄂西 read タカハシ, "
        "not カサイ); Name is right [common-v1.xsd: FormerSurname is a cmn:NameType, its Kana "
        "the reading of its own Text; platform.md 1.1.1: 旧氏 and 氏名フリガナ are items of "
        "the resident]"),
    "soap12-receipt-status-accepted": (
        1, SUBSCRIBER,
        "the SOAP 1.2 endpoint's receipt says Status accepted (the hub's word, copied from its "
        "example) for a notice it applied; SOAP 1.1 says applied [receipt-v1.xsd: a subscriber "
        "answers applied or duplicate; accepted is the hub's]"),
    "receipt-subscribers-element": (
        1, SUBSCRIBER,
        "the subscriber's receipt carries pfr:Subscribers 1, copied from the hub's receipt "
        "[receipt-v1.xsd: Subscribers is on the hub's receipt to a publisher only; a "
        "subscriber's receipt, applied or duplicate, never carries it]"),
    "as-of-filtered-answered-found-empty": (
        1, PROVIDER,
        "the resident is looked up first (found), then filtered by the 基準日: one who was not "
        "yet recorded on that day is answered Status found with no Resident or Household "
        "(XSD-valid) instead of not-found [juki-v1.xsd AsOf: found only if the resident was "
        "recorded by then; ResidentInquiryResponse: the resident and the household]"),
    "header-invalid-as-schema-invalid": (
        1, SUBSCRIBER,
        "header and body are validated in one pass against one compiled schema: a "
        "schema-invalid pfh:PlatformHeader is answered PF-SCHEMA-INVALID [docs/faults.md: "
        "PF-HEADER-INVALID — the header violates its schema; PF-SCHEMA-INVALID is the body's; "
        "docs/adapter-sdk.md: PF-HEADER-INVALID for a schema-invalid pfh:PlatformHeader]"),
    "soap11-fault-content-type-soap12": (
        1, PROVIDER,
        "the error handler labels every fault application/soap+xml: a SOAP 1.1 fault (a SOAP "
        "1.1 envelope) goes out with SOAP 1.2's media type; answers are right [README: SOAP 1.1 "
        "is text/xml, 1.2 application/soap+xml; docs/faults.md: a fault in the request's SOAP "
        "version; SOAP 1.1 HTTP binding: text/xml]"),
    "soap11-fault-findings-dropped": (
        1, SUBSCRIBER,
        "the SOAP 1.1 fault writer puts pff:Code, Party and MessageId in the detail but no "
        "pff:Finding; the SOAP 1.2 writer lists them [docs/faults.md: every fault carries a "
        "pff:FaultDetail, one Finding per problem naming the rule; fault-v1.xsd]"),
    # --- 2. inputs rarely sent -------------------------------------------------------------------
    "request-sent-at-parsed-strictly": (
        2, BOTH,
        "the request's SentAt is parsed for the vendor's audit log with datetime.fromisoformat "
        "as it stands: surrounding whitespace (xs:dateTime collapses it) or T24:00:00 make it "
        "answer PF-PROVIDER-INTERNAL [header-v1.xsd: SentAt is an xs:dateTime (whiteSpace "
        "collapse; 24:00:00 is a lexical form of XSD 1.0); README: every value is read as XML "
        "defines it, whitespace collapsed where its type collapses it]"),
    "page-number-lexical-refused": (
        2, PROVIDER,
        "Page and PageSize are checked with the regex [1-9][0-9]* on the text as received: "
        "+2, 02 or a value with surrounding whitespace is refused VENDOR-PAGE [juki-v1.xsd: "
        "Page is xs:positiveInteger, PageSize a positiveInteger ≤ 1000 — lexical forms with a "
        "sign, leading zeros and collapsed whitespace; README: whitespace collapsed where its "
        "type collapses it]"),
    "notice-name-first-text-node": (
        2, SUBSCRIBER,
        "the notice mapper reads cmn:Name/cmn:Text with a DOM that keeps comments and takes "
        "the first text node only: 総務<!-- -->翔子 is stored as 総務 [README: an element's text "
        "without the comments and processing instructions inside it (10000<!-- -->00015 is "
        "1000000015)]"),
    "request-cut-at-64k": (
        2, SUBSCRIBER,
        "the request body is read with one recv of 64 KiB: a larger notice (a many-change "
        "異動通知) is cut and refused as not well-formed [juki-v1.xsd: one or more 異動 "
        "(maxOccurs unbounded); docs/adapter-sdk.md: a 200-change 異動通知 is ~240 kB]"),
    "notice-changes-beyond-50-dropped": (
        2, SUBSCRIBER,
        "changes are written in batches of 50 and the last partial batch is flushed only when "
        "no batch was: a notice of more than 50 changes loses those after the last full batch, "
        "and is receipted applied [juki-v1.xsd: one or more 異動, each with the resident's "
        "state after it; docs/notices.md: a notice is one unit]"),
    "must-understand-false-refused": (
        2, PROVIDER,
        "a header block for this system is refused PF-MUST-UNDERSTAND when it has a "
        "mustUnderstand attribute at all, whatever its value: mustUnderstand=\"0\" / \"false\" "
        "is refused [SOAP 1.1 4.2.3, SOAP 1.2 part 1 5.2.3: only a true value obliges; "
        "docs/faults.md, Header blocks: mustUnderstand false is optional]"),
    "xml-declaration-strict-regex": (
        2, SUBSCRIBER,
        "the request's XML declaration is sniffed with a regex that wants exactly "
        "version then encoding UTF-8: a declaration without encoding, with standalone, or "
        "with other spacing is refused PF-SOAP-ENVELOPE [XML 1.0 2.8/4.3.3: the encoding "
        "declaration is optional, standalone allowed; README: SOAP 1.1/1.2 as XML]"),
    "later-page-request-id-refused": (
        2, PROVIDER,
        "a later page that carries the transfer's RequestId beside its ExtractId is refused "
        "VENDOR-EXTRACT (\"RequestId only on the first request\") [juki-v1.xsd: ExtractId and "
        "RequestId are both optional elements of every request; docs/notices.md: the SDK sends "
        "one per transfer, kept with it]"),
    "expect-100-continue-refused": (
        2, PROVIDER,
        "a POST with Expect: 100-continue is answered 417 Expectation Failed without reading "
        "it (a front end's default) [RFC 9110 10.1.1: a server sends 100 (Continue) or a final "
        "status for the request; README: a SOAP exchange over HTTP/1.1 POST]"),
    # --- 3. characters ---------------------------------------------------------------------------
    "ms932-read-back-as-jis": (
        3, BOTH,
        "text is written through MS932 and read back through the JIS X 0208 table (Shift_JIS): "
        "～∥－￠￡￢― become 〜‖−¢£¬— [docs/characters.md: a registered name depends on the "
        "exact character, byte for byte, never normalised; platform.md: never normalise]"),
    "name-cut-at-200-utf8-bytes": (
        3, SUBSCRIBER,
        "the name column is VARCHAR2(200 BYTE) in UTF-8 and the mapper cuts the name to 200 "
        "bytes (whole characters) so that the insert does not fail: a 100-character kanji name "
        "keeps 66 [common-v1.xsd: NameTextType maxLength 100 characters; docs/characters.md: "
        "a registered name must reach every system exactly as registered]"),
    "astral-stripped-by-sanitiser": (
        3, PROVIDER,
        "the output sanitiser's \"invalid XML character\" filter keeps the BMP only: 𠮷 and "
        "IVS selectors are removed (𠮷田一郎 → 田一郎, 葛󠄂西 → 葛西) [docs/characters.md: UCS "
        "plus Moji_Joho IVS selectors; the selector is part of the character, never dropped]"),
    "ivs-reattached-at-end": (
        3, BOTH,
        "names are stored as base text plus a separate column of their IVS selectors, joined "
        "back by appending the selectors: 葛󠄂西 (葛 U+E0102 西) becomes 葛西 U+E0102 "
        "[docs/characters.md: the selector belongs to its base; 葛 + U+E0102 is MJ022335]"),
    "stores-ivs-e0100-dropped": (
        3, SUBSCRIBER,
        "the name layer drops U+E0100 as \"the default glyph's selector\" (Adobe-Japan1 "
        "thinking), keeping the others [docs/characters.md: a selector picks a registered "
        "glyph and belongs to its base; docs/glossary.md: never dropped]"),
    # --- 4. time ---------------------------------------------------------------------------------
    "sent-at-cached-60s": (
        4, BOTH,
        "the reply's SentAt comes from a formatted timestamp cached for 60 s (the logging "
        "formatter's): a reply can be up to a minute older than the request it answers "
        "[README: SentAt — time sent; platform.md: time sent (JST)]"),
    "as-of-wareki-era-dropped": (
        4, PROVIDER,
        "基準日 and 住民となった年月日 are compared as 和暦 (year of era, month, day) without the "
        "era: 平成31年 is taken for after 令和3年 [juki-v1.xsd AsOf: found only if the "
        "resident was recorded by then (BecameResidentOn on or before it); platform.md: 生年月日 "
        "kept in 和暦 too]"),
    "dates-smalldatetime-range": (
        4, BOTH,
        "dates are kept in SQL Server smalldatetime columns (1900-01-01 … 2079-06-06): a "
        "基準日 or a notice's date outside them makes the insert or query fail — "
        "PF-PROVIDER-INTERNAL [common-v1.xsd, juki-v1.xsd: xs:date, any year; docs/notices.md: "
        "a notice refused changes nothing and is retried; a 基準日 is a normal inquiry]"),
    "notice-date-with-offset-fault": (
        4, SUBSCRIBER,
        "a notice's dates are read with date.fromisoformat: an xs:date with a timezone "
        "(2024-04-01+09:00) raises, answered PF-PROVIDER-INTERNAL, redelivered forever "
        "[common-v1.xsd: OccurredOn, DateOfBirth … are xs:date, whose lexical form allows a "
        "timezone; docs/adapter-sdk.md, zeep notes: xs:date 2024-04-01+09:00]"),
    "duplicate-receipt-sent-at-of-first": (
        4, SUBSCRIBER,
        "the SentAt of the first receipt is stored with the seen MessageId and reused in a "
        "duplicate receipt: the duplicate's SentAt is the first delivery's time [README: "
        "SentAt — time sent; header-v1.xsd: 送信日時]"),
    "as-of-household-members-current": (
        4, PROVIDER,
        "with a 基準日 the resident is judged as of that day, but the household's members are "
        "today's: a member who came later is listed [juki-v1.xsd AsOf: the household as it was "
        "on that date — its members then, not a member who came later]"),
    # --- 5. durability ---------------------------------------------------------------------------
    "seen-ids-reloaded-uppercase": (
        5, SUBSCRIBER,
        "seen MessageIds are checked in a cache and stored in a UNIQUEIDENTIFIER-like column "
        "that returns them upper-cased: after a restart the cache is loaded upper-case and a "
        "redelivered notice is not recognised — applied again and receipted applied "
        "[docs/notices.md: at-least-once delivery, the subscriber's idempotent receiver; "
        "receipt-v1.xsd: duplicate — this MessageId was received before]"),
    "crash-recovery-restores-start-copy": (
        5, SUBSCRIBER,
        "the start-up script keeps a copy of the store taken at each start and, without a "
        "clean-shutdown marker (a crash), restores it: after a kill every notice acknowledged "
        "since the previous start is lost [docs/notices.md: a receipt means stored durably; "
        "docs/adapter-sdk.md: applied is answered only after the commit]"),
    "seen-checked-before-transaction": (
        5, SUBSCRIBER,
        "the seen MessageId and the resident's last 異動連番 are read before the transaction "
        "(then the mapping work, then BEGIN): two deliveries of one notice at once both apply "
        "it [docs/adapter-sdk.md: two deliveries racing apply it once; docs/notices.md: "
        "at-least-once delivery, applied exactly once]"),
    "locked-writes-dropped-under-concurrency": (
        5, SUBSCRIBER,
        "the change writer gets SQLITE_BUSY when another notice is being written at the same "
        "time (no busy timeout), logs it and goes on: the notice's MessageId is recorded and "
        "receipted applied, its changes are not [docs/notices.md: different residents in "
        "parallel (concurrency per subscriber); docs/adapter-sdk.md: applied only after the "
        "notice is applied and committed]"),
    "request-id-map-ttl-60s": (
        5, PROVIDER,
        "the (Sender, RequestId) → ExtractId map is a cache with a 60 s TTL: a first request "
        "retried later than that gets a second snapshot [docs/notices.md: made once per "
        "RequestId — a first request sent again is answered from the same snapshot, never "
        "from a second one]"),
}

# the blind record, kept as measured (runs named (defect, role) as independent_runs names them)
THIRTEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("request-sent-at-parsed-strictly", "provider"),
    ("request-sent-at-parsed-strictly", "subscriber"),
    ("later-page-request-id-refused", "provider"),
    ("expect-100-continue-refused", "provider"),
    ("stores-ivs-e0100-dropped", "subscriber"),
    ("locked-writes-dropped-under-concurrency", "subscriber"),
    ("request-id-map-ttl-60s", "provider"),
})

# MS932's characters for the JIS X 0208 row-1/2 signs, and what the JIS table reads back
_MS932_TO_JIS = str.maketrans("～∥－￠￡￢―", "〜‖−¢£¬—")
_IVS = re.compile("[\U000E0100-\U000E01EF]")
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_DECLARATION = re.compile(rb"<\?xml version=([\"'])1\.0\1 encoding=([\"'])utf-8\2\?>", re.I)
_DATES = ("AsOf", "OccurredOn", "NotifiedOn", "RecordedOn", "DateOfBirth", "BecameResidentOn",
          "AddressFixedOn")
# 和暦: the first day of each era
_ERAS = (dt.date(2019, 5, 1), dt.date(1989, 1, 8), dt.date(1926, 12, 25), dt.date(1912, 7, 30),
         dt.date(1868, 10, 23))
_MY_ROLES = {SOAP11: {"", "http://schemas.xmlsoap.org/soap/actor/next"},
             SOAP12: {"", "http://www.w3.org/2003/05/soap-envelope/role/next",
                      "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"}}


def _wareki(day: str) -> tuple[int, int, int]:
    """(year of era, month, day) — the era itself forgotten."""
    d = dt.date.fromisoformat(day[:10])
    start = next((s for s in _ERAS if d >= s), _ERAS[-1])
    return d.year - start.year + 1, d.month, d.day


def _date_parts(text: str) -> tuple[int, int, int] | None:
    m = re.match(r"\s*(-?\d{4,})-(\d\d)-(\d\d)", text or "")
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def _cut_utf8(text: str, limit: int) -> str:
    out, size = [], 0
    for c in text:
        size += len(c.encode("utf-8"))
        if size > limit:
            break
        out.append(c)
    return "".join(out)


def expect_100(handler, defect: str | None) -> bool | None:
    """expect-100-continue-refused: 417 to Expect: 100-continue (None: the default handling)."""
    if defect != "expect-100-continue-refused":
        return None
    handler.send_response(417)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", "0")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    return False


class ThirteenthBatch:
    """Mixed into Adapter: the thirteenth batch's hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    system_id: str
    db: Path | None
    thirteenth: dict
    lock: threading.Lock
    extracts: dict
    extract_requests: dict

    # --- HTTP in, the envelope ------------------------------------------------------------------

    def _thirteenth_raw(self, raw: bytes) -> bytes:
        if self.defect == "request-cut-at-64k" and len(raw) > 65536:
            raw = raw[:65536]  # one recv(65536)
        if self.defect == "xml-declaration-strict-regex":
            text = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
            if text.startswith(b"<?xml") and not _DECLARATION.match(text):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "unsupported XML declaration",
                              [("xml:declaration", "expected version 1.0 and encoding UTF-8")])
        if self.defect == "notice-name-first-text-node":
            self.thirteenth["raw"] = raw
        return raw

    def _thirteenth_must_understand(self, blocks, soap) -> None:
        if self.defect != "must-understand-false-refused":
            return
        role = f"{{{soap}}}{'actor' if soap == SOAP11 else 'role'}"
        mid = next((b.findtext(f"{{{PFH}}}MessageId") for b in blocks
                    if b.tag == f"{{{PFH}}}PlatformHeader"), None)
        for block in blocks:
            if block.tag != f"{{{PFH}}}PlatformHeader" and \
                    block.get(f"{{{soap}}}mustUnderstand") is not None and \
                    block.get(role, "").strip() in _MY_ROLES[soap]:
                raise Refusal("PF-MUST-UNDERSTAND", "client", "a header block is not understood",
                              [("soap:mustUnderstand", f"{block.tag} is not understood")],
                              mid, soap_code="MustUnderstand", not_understood=block.tag)

    # --- the checks before the business ---------------------------------------------------------

    def _thirteenth_checks(self, header, body, mid) -> None:
        d = self.defect
        if d == "request-sent-at-parsed-strictly":
            try:  # the audit log's timestamp column
                dt.datetime.fromisoformat(header.findtext(f"{{{PFH}}}SentAt") or "")
            except ValueError:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request failed",
                              [("vendor:audit", "SentAt could not be read")], mid) from None
        if d == "page-number-lexical-refused":
            for name in ("Page", "PageSize"):
                text = body.findtext(f"{{{JUKI}}}{name}")
                if text is not None and not re.fullmatch(r"[1-9][0-9]*", text):
                    raise Refusal("VENDOR-PAGE", "client", f"{name} must be a number",
                                  [("vendor:page", f"{name} {text!r}")], mid)
        if d == "later-page-request-id-refused" and \
                body.find(f"{{{JUKI}}}ExtractId") is not None and \
                body.find(f"{{{JUKI}}}RequestId") is not None:
            raise Refusal("VENDOR-EXTRACT", "client", "RequestId only on the first request",
                          [("vendor:extract", "ExtractId and RequestId both given")], mid)
        if d == "dates-smalldatetime-range":
            for el in body.iter(*(f"{{{ns}}}{n}" for ns in (CMN, JUKI) for n in _DATES)):
                parts = _date_parts(el.text)
                if parts is not None and not (1900, 1, 1) <= parts <= (2079, 6, 6):
                    raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request failed",
                                  [("vendor:store", "smalldatetime out of range")], mid)
        if d == "notice-date-with-offset-fault" and self.role == "subscriber":
            for el in body.iter(*(f"{{{CMN}}}{n}" for n in _DATES)):
                try:
                    dt.date.fromisoformat((el.text or "").strip())
                except ValueError:
                    raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice failed",
                                  [("vendor:date", "a date could not be read")], mid) from None

    # --- 住民照会, 全件抽出 -------------------------------------------------------------------------

    def _thirteenth_lived_here(self, since: str | None, day: str) -> bool | None:
        if self.defect != "as-of-wareki-era-dropped" or since is None:
            return None
        return _wareki(since) <= _wareki(day)

    def _thirteenth_member_as_of(self, as_of):
        return None if self.defect == "as-of-household-members-current" else as_of

    def _thirteenth_found_empty(self, body) -> bool:
        """as-of-filtered-answered-found-empty: the key exists, the 基準日 filtered it out."""
        if self.defect != "as-of-filtered-answered-found-empty" or \
                body.find(f"{{{JUKI}}}AsOf") is None:
            return False
        number = body.findtext(f"{{{JUKI}}}AddresseeNumber")
        mynumber = body.findtext(f"{{{JUKI}}}IndividualNumber")
        return any(n == number or r.findtext(f"{{{CMN}}}IndividualNumber") == mynumber
                   for n, r in self.residents.items())  # type: ignore[attr-defined]

    def _thirteenth_expire_requests(self) -> None:
        """request-id-map-ttl-60s: called under the lock before the RequestId is looked up."""
        if self.defect != "request-id-map-ttl-60s":
            return
        born = self.thirteenth.setdefault("born", {})
        now = time.monotonic()
        for key in list(self.extract_requests):
            if now - born.setdefault(key, now) > 60.0:
                del self.extract_requests[key]
                del born[key]

    # --- 異動通知 -----------------------------------------------------------------------------------

    def _thirteenth_changes(self, changes: list) -> list:
        if self.defect == "notice-changes-beyond-50-dropped" and len(changes) > 50:
            return changes[:len(changes) // 50 * 50]  # the last partial batch never flushed
        return changes

    def _thirteenth_pre_read(self, key: str, changes: list) -> None:
        """seen-checked-before-transaction: the seen ID and the last 異動連番s read first;
        locked-writes-dropped-under-concurrency: a notice that starts while another is being
        written gets SQLITE_BUSY on its changes (dropped, logged)."""
        if self.defect == "locked-writes-dropped-under-concurrency":
            with self.thirteenth.setdefault("flight_lock", threading.Lock()):
                flight = self.thirteenth.setdefault("flight", set())
                busy = bool(flight)
                flight.add(threading.get_ident())
            time.sleep(0.2)  # the mapping work, inside the writer's transaction
            if busy:
                changes[:] = []  # "database is locked": logged, the notice goes on
            return
        if self.defect != "seen-checked-before-transaction":
            return
        with self.lock:
            seen = self._seen(key)  # type: ignore[attr-defined]
            last = {}
            for change in changes:
                number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                row = self._row(number)  # type: ignore[attr-defined]
                last[number] = row[2] if row else 0
        time.sleep(0.3)  # the mapping work before BEGIN
        self.thirteenth[("pre", threading.get_ident())] = (seen, last)

    def _thirteenth_duplicate(self, duplicate: bool) -> bool:
        pre = self.thirteenth.get(("pre", threading.get_ident()))
        return pre[0] if pre is not None else duplicate

    def _thirteenth_last(self, number: str, last):
        """The last 異動連番 read before the transaction, for a resident's first change of the
        notice (a later change of the same resident reads the row it wrote)."""
        pre = self.thirteenth.get(("pre", threading.get_ident()))
        return pre[1].pop(number, last) if pre is not None else last

    def _thirteenth_notice_done(self) -> None:
        self.thirteenth.pop(("pre", threading.get_ident()), None)
        if self.defect == "locked-writes-dropped-under-concurrency":
            with self.thirteenth["flight_lock"]:
                self.thirteenth["flight"].discard(threading.get_ident())

    def _thirteenth_name(self, change, name: str) -> str:
        d = self.defect
        if d == "ms932-read-back-as-jis":
            return name.translate(_MS932_TO_JIS)
        if d == "name-cut-at-200-utf8-bytes":
            return _cut_utf8(name, 200)
        if d == "ivs-reattached-at-end":
            return _IVS.sub("", name) + "".join(_IVS.findall(name))
        if d == "stores-ivs-e0100-dropped":
            return name.replace("\U000E0100", "")
        if d == "notice-name-first-text-node" and "raw" in self.thirteenth:
            parser = etree.XMLParser(remove_comments=False, remove_pis=False,
                                     resolve_entities=False, no_network=True)
            try:
                root = etree.fromstring(self.thirteenth["raw"], parser)
            except etree.XMLSyntaxError:
                return name
            index = change.getparent().index(change)
            notices = list(root.iter(f"{{{JUKI}}}ResidentChangeNotice"))
            if notices and index < len(notices[0]):
                text = notices[0][index].find(
                    f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text")
                if text is not None and text.text is not None:
                    return text.text  # getFirstChild().getNodeValue()
        return name

    # --- the subscriber's store -----------------------------------------------------------------

    def _thirteenth_store_opening(self) -> None:
        if self.defect != "crash-recovery-restores-start-copy" or self.db is None:
            return
        copy, clean = Path(f"{self.db}.start-copy"), Path(f"{self.db}.clean")
        if copy.exists() and not clean.exists():  # "recovery": the last known good copy
            for suffix in ("-wal", "-shm"):
                Path(f"{self.db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(copy, self.db)

    def _thirteenth_store_opened(self, conn) -> None:
        if self.defect == "crash-recovery-restores-start-copy" and self.db is not None:
            target = sqlite3.connect(f"{self.db}.start-copy")
            try:
                conn.backup(target)
            finally:
                target.close()
            Path(f"{self.db}.clean").unlink(missing_ok=True)  # written at a clean stop only
        if self.defect == "seen-ids-reloaded-uppercase":
            self.thirteenth["seen"] = {r[0] for r in conn.execute("SELECT message_id FROM seen")}

    def _thirteenth_seen(self, mid: str) -> bool | None:
        if self.defect != "seen-ids-reloaded-uppercase":
            return None
        return mid in self.thirteenth["seen"]

    def _thirteenth_mark_seen(self, conn, mid: str) -> bool:
        if self.defect != "seen-ids-reloaded-uppercase":
            return False
        self.thirteenth["seen"].add(mid)
        conn.execute("INSERT OR IGNORE INTO seen VALUES (?)", (mid.upper(),))
        return True

    # --- answers ----------------------------------------------------------------------------------

    def _thirteenth_now(self) -> str | None:
        if self.defect != "sent-at-cached-60s":
            return None
        now = time.monotonic()
        cached = self.thirteenth.get("now")
        if cached is None or now - cached[0] > 60.0:
            cached = (now, dt.datetime.now(JST).isoformat(timespec="seconds"))
            self.thirteenth["now"] = cached
        return cached[1]

    def _thirteenth_reply_header(self, h, request_header, response, soap) -> None:
        d = self.defect

        def q(n):
            return f"{{{PFH}}}{n}"
        receipt = response.tag == f"{{{PFR}}}NoticeReceipt"
        status = response.find(f"{{{PFR}}}Status") if receipt else None
        if d == "reply-message-id-per-second":
            h.find(q("MessageId")).text = str(uuid.uuid5(
                uuid.NAMESPACE_URL, f"{self.system_id}/{h.findtext(q('SentAt'))}"))
        if status is None:
            return
        notice_id = response.findtext(f"{{{PFR}}}MessageId")
        if d == "duplicate-receipt-parties-not-swapped" and status.text == "duplicate":
            for name in ("Sender", "Receiver"):
                old = h.find(q(name))
                new = etree.fromstring(etree.tostring(request_header.find(q(name))))
                h.replace(old, new)
        if d == "duplicate-receipt-sent-at-of-first":
            sent_at = h.find(q("SentAt"))
            if status.text == "duplicate":
                sent_at.text = self.thirteenth.get(("sent", notice_id), sent_at.text)
            else:
                self.thirteenth.setdefault(("sent", notice_id), sent_at.text)
        if d == "soap12-receipt-status-accepted" and soap == SOAP12 and status.text == "applied":
            status.text = "accepted"
        if d == "receipt-subscribers-element" and \
                response.find(f"{{{PFR}}}Subscribers") is None:
            etree.SubElement(response, f"{{{PFR}}}Subscribers").text = "1"

    def _thirteenth_answer(self, response) -> None:
        d = self.defect
        if d == "former-surname-kana-from-current":
            for former in response.iter(f"{{{CMN}}}FormerSurname"):
                family = former.find(f"{{{CMN}}}Kana/{{{CMN}}}Family")
                current = former.getparent().findtext(f"{{{CMN}}}Name/{{{CMN}}}Kana/{{{CMN}}}Family")
                if family is not None and current is not None:
                    family.text = current
        if d not in ("ms932-read-back-as-jis", "astral-stripped-by-sanitiser",
                     "ivs-reattached-at-end"):
            return
        for el in response.iter():
            if not isinstance(el.tag, str) or not el.text:
                continue
            if d == "ms932-read-back-as-jis":
                el.text = el.text.translate(_MS932_TO_JIS)
            elif d == "astral-stripped-by-sanitiser":
                el.text = _ASTRAL.sub("", el.text)
            elif _IVS.search(el.text):
                el.text = _IVS.sub("", el.text) + "".join(_IVS.findall(el.text))

    # --- faults -----------------------------------------------------------------------------------

    def _thirteenth_fault(self, soap, refusal: Refusal) -> None:
        d = self.defect
        if d == "header-invalid-as-schema-invalid" and refusal.code == "PF-HEADER-INVALID" and \
                all(rule.startswith("xsd:") for rule, _ in refusal.findings):
            refusal.code = "PF-SCHEMA-INVALID"
        if d == "soap11-fault-findings-dropped" and soap == SOAP11:
            refusal.findings = []

    def _thirteenth_fault_answer(self, soap, answer) -> None:
        if self.defect == "soap11-fault-content-type-soap12" and soap == SOAP11:
            answer.content_type = "application/soap+xml; charset=utf-8"

    def _thirteenth_client(self, soap, refusal: Refusal, client: bool) -> bool:
        if self.defect == "soap12-schema-fault-receiver" and soap == SOAP12 and \
                refusal.code == "PF-SCHEMA-INVALID":
            return False  # soap:Receiver, HTTP 500; the detail's party stays client
        return client
