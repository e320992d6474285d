"""The twelfth batch of single-defect variants of the independent adapter — blind.

Written by an engineer who had not read the conformance suite (conformance/, docs/conformance.md,
the faulty adapters, the earlier batches' defect lists), from the public documents only: README's
header rules, docs/notices.md, docs/faults.md, docs/adapter-sdk.md, docs/characters.md, the XSDs'
annotations (header-v1, receipt-v1, common-v1, juki-v1), ../shared/docs/platform.md and SOAP 1.1 /
1.2 themselves. Each variant is one defect a vendor could plausibly ship; each breaks a
requirement a vendor can read there (cited in brackets). It was committed before the suite was
first run on it, and measured once (below).

Classes (issue 11): 1 rules judged on one exchange only (one message shape or path: a SOAP 1.1
MustUnderstand fault, a duplicate receipt, a second change, a notice carrying RelatesTo, a repeated
inquiry, a later page, a page past the end, a misrouted message); 2 inputs rarely sent (lexical
forms the XSD allows, a default namespace, a large message, many changes); 3 characters (JIS
mapping tables, width, combining marks, iteration marks, byte-counted columns); 4 time (SentAt's
format and fractions, 和暦 leap days, dates with a timezone, 基準日 before 1970, SentAt-dated
de-duplication); 5 durability (receipts before the commit on one path, seen IDs lost or
overwritten, a race on one RequestId, a snapshot evicted mid-transfer).

Measured once, blind, on 56c0d32 (the batch's own commit, main 26b48f4 below it), 2026-12-04
13:19:53-13:24:21 UTC (`python -m tests.conformance.independent_runs TWELFTH_BATCH`, two variants
at a time): 30/36 caught = 83.3 %. Per class: 1 10/10, 2 4/7, 3 5/6, 4 7/7, 5 4/6. Per role:
provider 14/18, subscriber 16/18. Missed: a RelatesTo taken by a regex from a vendor header block
(both roles), a provider that cuts a request at 64 KiB (the subscriber's cut was caught by
S-MULTI-03), a subscriber that expands 々, two first 全件 requests with one RequestId at once
getting two snapshots, and a snapshot evicted by a third extract mid-transfer. No variant failed
to start or crashed the adapter. TWELFTH_MEASURED_MISSES lists the missed runs as measured.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import sqlite3
import threading
import time
import unicodedata
import uuid


from .standard import CMN, JST, JUKI, PFH, PFR, SOAP11, SOAP12, Refusal

PROVIDER = ("provider",)
SUBSCRIBER = ("subscriber",)
BOTH = ("provider", "subscriber")

TWELFTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # --- class 1: rules judged on one exchange only ------------------------------------------
    "mustunderstand-soap11-faultcode-client": (
        1, BOTH, "a header block it must understand but does not is refused in SOAP 1.1 with "
        "faultcode soap:Client (the SOAP 1.2 fault keeps MustUnderstand) [docs/faults.md: "
        "PF-MUST-UNDERSTAND uses SOAP's own fault code soap:MustUnderstand in both versions; "
        "SOAP 1.1 §4.4.1]"),
    "duplicate-receipt-soap12-as-text-xml": (
        1, SUBSCRIBER, "the duplicate receipt of a SOAP 1.2 notice (the inbox's early return) is "
        "labelled Content-Type text/xml, the applied one application/soap+xml [docs/adapter-"
        "sdk.md: SOAP 1.2 (application/soap+xml) answered in its own version; SOAP 1.2 part 2 "
        "§7.1.4 and RFC 3902]"),
    "rules-checked-on-first-change-only": (
        1, SUBSCRIBER, "the code lists and check digits are checked on a notice's first "
        "juki:Change only, so a notice whose second change has an unknown 異動事由 is applied and "
        "receipted [docs/notices.md: a notice is one unit — one change breaking a rule beyond "
        "XSD makes the whole notice a fault; catalog.toml rules bind every element of the type]"),
    "receipt-relates-to-notice-relates-to": (
        1, SUBSCRIBER, "a notice that itself carries RelatesTo (an asynchronous result) is "
        "receipted with RelatesTo = the notice's RelatesTo instead of its MessageId [README: a "
        "reply sets RelatesTo to the request's MessageId; docs/faults.md: a notice may name the "
        "request whose asynchronous result it carries]"),
    "inquiry-cache-ignores-as-of": (
        1, PROVIDER, "a resident found once is cached by its key, and a later inquiry for the "
        "same key with a 基準日 before the resident came is answered found from the cache [juki-"
        "v1.xsd ResidentInquiryRequest: AsOf — the state as of this date]"),
    "extract-later-pages-cached-by-page-number": (
        1, PROVIDER, "later pages of 全件抽出 are cached by (Page, PageSize) without the ExtractId, "
        "so a later page of another or an unknown extract is answered with the first extract's "
        "page [docs/notices.md paging contract: every page names the same ExtractId; an unknown "
        "ExtractId is a client fault]"),
    "last-page-filled-from-first": (
        1, PROVIDER, "the last page of 全件抽出 is filled up to PageSize from the start of the "
        "snapshot (a ring buffer), so residents of page 1 come again on the last page [juki-"
        "v1.xsd ResidentFullExtractResponse: every page but the last holds PageSize residents; "
        "all pages together hold TotalCount distinct residents]"),
    "misrouted-fault-message-id-omitted": (
        1, BOTH, "the PF-PROVIDER-MISROUTED fault (written by the routing layer, before the "
        "message's ID is kept) has no pff:MessageId although the header was read [docs/"
        "faults.md: pff:MessageId — when the header could be read]"),
    # --- class 2: inputs rarely sent ----------------------------------------------------------
    "page-lexical-forms-refused": (
        2, PROVIDER, "Page and PageSize are checked with the regex [1-9][0-9]*, so '+2', '02' or "
        "' 2 ' (valid xs:positiveInteger) are refused as a client fault [juki-v1.xsd Page: "
        "xs:positiveInteger; README: every value is read as XML defines it, whitespace collapsed "
        "where its type collapses it]"),
    "relates-to-read-by-regex": (
        2, BOTH, "the request's MessageId for the reply's RelatesTo is taken by the regex "
        "MessageId>([^<]+)< from the bytes, so a vendor header block before the platform header "
        "with its own MessageId element sets RelatesTo to that value [README: RelatesTo = the "
        "request's MessageId; docs/faults.md: every other header block passes through]"),
    "default-namespace-key-not-found": (
        2, PROVIDER, "the 宛名番号 is read with an XPath built from the body element's prefix, so "
        "a request in a default namespace (no prefix) is answered not-found [XML Namespaces 1.0 "
        "§6.2: a default namespace is the same name; docs/adapter-sdk.md: elementFormDefault "
        "qualified, any prefix]"),
    "request-cut-at-64-kib": (
        2, BOTH, "the request body is read into a 64 KiB buffer, so a valid message larger than "
        "that (many changes, a large vendor header block) is cut and refused as not well-formed "
        "[docs/security.md: messages up to [hub] max_message_bytes are forwarded whole; "
        "docs/adapter-sdk.md: 240 kB requests]"),
    "stores-addressee-number-as-integer": (
        2, SUBSCRIBER, "宛名番号 is kept in a BIGINT column, so 00000010014 and 0000010014 (two "
        "valid, different numbers) are one row: the second's changes overwrite the first's or are "
        "dropped as stale [common-v1.xsd AddresseeNumberType: a string of 2 to 15 digits]"),
    # --- class 3: characters ------------------------------------------------------------------
    "horizontal-bar-as-em-dash": (
        3, PROVIDER, "text goes through Java's Shift_JIS table, which maps JIS 1-29 to U+2014 "
        "EM DASH: a registered ― (U+2015) leaves as — [docs/characters.md: names travel as UCS, "
        "byte for byte, never rewritten; README: never normalised]"),
    "cp932-signs-to-jis": (
        3, PROVIDER, "text goes through an EUC-JP (JIS X 0208) table, so the registered CP932 "
        "forms ～ ∥ － become 〜 ‖ − [docs/characters.md: exactly as registered; README: the hub "
        "never rewrites a message, names byte for byte]"),
    "latin-name-space-widened": (
        3, PROVIDER, "the space of a Latin name (ROSSI VIOLA) is written as the ideographic "
        "space U+3000, as the registry separates 氏 and 名 [docs/characters.md: a registered name "
        "reaches every system exactly as registered; cmn:NameTextType whiteSpace preserve]"),
    "stores-combining-marks-stripped": (
        3, SUBSCRIBER, "combining marks (Unicode category Mn: U+309A of か゚, U+0301) are removed "
        "from a name before it is stored [docs/characters.md: a grapheme is a base character "
        "and the combining marks JIS X 0213 uses; never normalised]"),
    "stores-iteration-mark-expanded": (
        3, SUBSCRIBER, "the name column is written through a 名寄せ cleaner that expands the "
        "iteration mark 々 (佐々木 → 佐佐木) [docs/characters.md: a registered name must reach "
        "every system exactly as registered]"),
    "stores-name-utf8-100-bytes": (
        3, SUBSCRIBER, "the name column is VARCHAR2(100 BYTE) in UTF-8: a name of 100 characters "
        "(allowed) keeps only its first 100 bytes, about 33 kanji [common-v1.xsd NameTextType: "
        "maxLength 100 characters; docs/characters.md: exactly as registered]"),
    # --- class 4: time ------------------------------------------------------------------------
    "sent-at-12-hour-clock": (
        4, BOTH, "the reply's SentAt is formatted with 'hh' (12-hour clock, no AM/PM), so an "
        "answer made after noon JST is dated 12 hours early [README: SentAt, time sent, +09:00; "
        "docs/faults.md: PF-MESSAGE-STALE beyond clock_skew / max_age]"),
    "reiwa-leap-day-via-era-year": (
        4, PROVIDER, "dates kept in 和暦 are rebuilt through a lenient calendar with the era year "
        "as the year, so 令和2年2月29日 (2020-02-29; era year 2 is not a leap year) leaves as "
        "2020-03-01 [platform.md: 生年月日 kept in 和暦 too; common-v1.xsd DateOfBirth xs:date]"),
    "notice-dates-smalldatetime-range": (
        4, SUBSCRIBER, "the notice's dates go into SQL Server smalldatetime columns, so a 生年月日 "
        "before 1900-01-01 or a date after 2079-06-06 (valid xs:date) makes the subscriber "
        "answer PF-PROVIDER-INTERNAL [common-v1.xsd DateOfBirth, OccurredOn: xs:date]"),
    "as-of-leap-rule-without-400": (
        4, PROVIDER, "基準日 is validated with a leap-year rule that forgets the 400-year "
        "exception, so AsOf 2000-02-29 (a valid date) is refused as a client fault [juki-v1.xsd "
        "AsOf: xs:date (the Gregorian calendar of XSD part 2 §3.2.9)]"),
    "as-of-before-epoch-refused": (
        4, PROVIDER, "基準日 is converted to Unix seconds in an unsigned column, so an AsOf before "
        "1970-01-01 (valid; nobody lived here then) fails with PF-PROVIDER-INTERNAL instead of "
        "not-found [juki-v1.xsd AsOf: xs:date; ResidentInquiryResponse Status not-found]"),
    "seen-ids-by-sent-at-24h": (
        4, SUBSCRIBER, "the inbox consults only MessageIds whose notice SentAt is within 24 h (the "
        "hub's replay window copied), so a notice redelivered a day after it was sent is "
        "receipted applied again, not duplicate [docs/faults.md: a notice is not held to "
        "max_age, a resent outbox notice keeps its original SentAt; docs/adapter-sdk.md: a "
        "redelivery changes nothing]"),
    # --- class 5: durability ------------------------------------------------------------------
    "removal-applied-after-receipt": (
        5, SUBSCRIBER, "a notice holding a 消除 (B..) is applied by the 除票 worker after the "
        "receipt has been sent: killed in between, the 消除 is lost though receipted [docs/"
        "notices.md: applied is answered only after the commit; docs/adapter-sdk.md]"),
    "new-resident-applied-after-receipt": (
        5, SUBSCRIBER, "a notice about a resident not yet held is inserted by a background job "
        "after the receipt: killed in between, the resident is lost though receipted "
        "[docs/notices.md: a change of a resident not held makes the subscriber hold it; "
        "receipts after the commit]"),
    "seen-id-only-last-per-resident": (
        5, SUBSCRIBER, "de-duplication compares the MessageId with the last one applied to each "
        "resident (a column of the resident row), so an older notice redelivered after a newer "
        "one is receipted applied, not duplicate [docs/notices.md: the receiver is idempotent "
        "by message ID; receipt-v1.xsd duplicate: this MessageId was received before]"),
    "stale-notice-id-not-recorded": (
        5, SUBSCRIBER, "a notice whose changes were all older than those held changes no row, "
        "and its MessageId is not recorded, so its redelivery is receipted applied, not "
        "duplicate [docs/adapter-sdk.md: records the MessageId and commits; receipt-v1.xsd "
        "duplicate]"),
    "extract-request-id-race": (
        5, PROVIDER, "a first 全件 request looks its (Sender, RequestId) up, builds the snapshot "
        "outside the lock and then records it, so the same first request sent twice at once "
        "gets two snapshots [docs/notices.md: made once per RequestId — never a second "
        "snapshot; the same RequestId twice at once → one snapshot]"),
    "extract-snapshots-kept-two": (
        5, PROVIDER, "snapshots are kept in a cache of two, so a third 全件抽出 started while the "
        "first is being read evicts it and its later pages are refused as an unknown ExtractId "
        "[docs/notices.md: snapshots unread for 6 hours are pruned; a transfer resumes from the "
        "same snapshot]"),
}

# the blind measurement's MISSED runs (name, role), kept as measured
TWELFTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("relates-to-read-by-regex", "provider"),
    ("relates-to-read-by-regex", "subscriber"),
    ("request-cut-at-64-kib", "provider"),
    ("stores-iteration-mark-expanded", "subscriber"),
    ("extract-request-id-race", "provider"),
    ("extract-snapshots-kept-two", "provider"),
})

_POSITIVE = re.compile(r"[1-9][0-9]*")
_ERAS = ((dt.date(2019, 5, 1), 2018), (dt.date(1989, 1, 8), 1988), (dt.date(1926, 12, 25), 1925))
_JAVA_SJIS = str.maketrans({"\u2015": "\u2014"})
_EUC_JP = str.maketrans({"\uff5e": "\u301c", "\u2225": "\u2016", "\uff0d": "\u2212",
                         "\uffe0": "\u00a2", "\uffe1": "\u00a3", "\uffe2": "\u00ac"})
_DATES = ("OccurredOn", "NotifiedOn", "RecordedOn", "DateOfBirth", "BecameResidentOn",
          "AddressFixedOn")


def era_lenient(text: str) -> str:
    """reiwa-leap-day-via-era-year: a date through (era, era year, month, day) and back, the era
    year taken as a year of a lenient calendar (Feb 29 of a non-leap era year rolls to Mar 1)."""
    day = dt.date.fromisoformat(text)
    base = next((b for start, b in _ERAS if day >= start), None)
    if base is None:
        return text
    try:
        dt.date(day.year - base, day.month, day.day)
    except ValueError:
        return dt.date(day.year, 3, 1).isoformat()
    return text


def twelve_hour(now: dt.datetime) -> str:
    """sent-at-12-hour-clock: 'yyyy-MM-dd'T'hh:mm:ssXXX' — 13:05 is written 01:05."""
    return now.strftime("%Y-%m-%dT%I:%M:%S") + "+09:00"


def _utf8_bytes(text: str, limit: int) -> str:
    out = ""
    for c in text:
        if len((out + c).encode("utf-8")) > limit:
            break
        out += c
    return out


class TwelfthBatch:
    """Mixed into Adapter: each hook does the correct thing unless ``self.defect`` is its name."""

    defect: str | None
    role: str
    twelfth: dict
    conn: sqlite3.Connection
    extracts: dict
    extract_requests: dict
    residents: dict
    lock: threading.Lock

    # --- transport and checks -------------------------------------------------------------------

    def _twelfth_raw(self, raw: bytes) -> bytes:
        if self.defect == "request-cut-at-64-kib":
            return raw[:65536]  # rfile.read(65536): the rest of the body never read
        return raw

    def _twelfth_checks(self, header, body, mid) -> None:
        if self.defect == "as-of-leap-rule-without-400":
            as_of = body.findtext(f"{{{JUKI}}}AsOf") or ""
            year = int(as_of[:4]) if as_of[:4].isdigit() else 1
            if as_of[5:10] == "02-29" and not (year % 4 == 0 and year % 100 != 0):
                raise Refusal("VENDOR-DATE", "client", "基準日 is not a date",
                              [("vendor:as_of", f"{as_of[:10]} does not exist")], mid)
        if self.defect == "page-lexical-forms-refused":
            for name in ("Page", "PageSize"):
                text = body.findtext(f"{{{JUKI}}}{name}")
                if text is not None and not _POSITIVE.fullmatch(text):
                    raise Refusal("VENDOR-PAGE", "client", f"{name} is not a number",
                                  [("vendor:page", f"{name} must match [1-9][0-9]*")], mid)
        if self.defect == "as-of-before-epoch-refused":
            as_of = body.findtext(f"{{{JUKI}}}AsOf")
            if as_of and as_of[:10] < "1970-01-01":
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the provider failed",
                              [("provider:internal", "date out of range")], mid)
        if self.defect == "notice-dates-smalldatetime-range" and \
                body.tag == f"{{{JUKI}}}ResidentChangeNotice":
            for el in body.iter(*(f"{{{CMN}}}{n}" for n in _DATES)):
                if not "1900-01-01" <= (el.text or "").strip()[:10] <= "2079-06-06":
                    raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not "
                                  "be stored", [("provider:internal", "arithmetic overflow "
                                                 "converting to smalldatetime")], mid)

    def _twelfth_rules(self, body, problems: list) -> list:
        changes = body.findall(f"{{{JUKI}}}Change")
        if self.defect != "rules-checked-on-first-change-only" or len(changes) < 2:
            return problems
        first = copy.deepcopy(body)  # the validator is given changes[0] only
        for extra in first.findall(f"{{{JUKI}}}Change")[1:]:
            first.remove(extra)
        return self._rules(first)

    # --- provider ---------------------------------------------------------------------------------

    def _twelfth_key(self, body, number):
        if self.defect == "default-namespace-key-not-found" and number is not None and \
                body.prefix is None:  # f"{body.prefix}:AddresseeNumber" finds nothing
            return ""
        return number

    def _twelfth_find(self, body):
        if self.defect != "inquiry-cache-ignores-as-of":
            return self._find(body)
        key = body.findtext(f"{{{JUKI}}}AddresseeNumber") or \
            body.findtext(f"{{{JUKI}}}IndividualNumber")
        cached = self.twelfth.get(("inquiry", key))
        if cached is not None:
            return cached
        resident = self._find(body)
        if resident is not None:
            self.twelfth[("inquiry", key)] = resident
        return resident

    def _twelfth_cached_page(self, body):
        if self.defect != "extract-later-pages-cached-by-page-number" or \
                body.find(f"{{{JUKI}}}ExtractId") is None:
            return None
        cached = self.twelfth.get(("page", body.findtext(f"{{{JUKI}}}Page"),
                                   body.findtext(f"{{{JUKI}}}PageSize")))
        return None if cached is None else copy.deepcopy(cached)

    def _twelfth_page_cache(self, out, body):
        if self.defect == "extract-later-pages-cached-by-page-number" and \
                body.find(f"{{{JUKI}}}ExtractId") is not None:
            self.twelfth[("page", body.findtext(f"{{{JUKI}}}Page"),
                          body.findtext(f"{{{JUKI}}}PageSize"))] = copy.deepcopy(out)
        return out

    def _twelfth_slice(self, numbers: list, start: int, end: int, page: int, pages: int):
        part = numbers[start:end]
        if self.defect == "last-page-filled-from-first" and page == pages and pages > 1:
            part += numbers[:end - start - len(part)]  # the ring buffer wraps round
        return part

    def _twelfth_racy_first(self, header, body, extract_id):
        """extract-request-id-race: the look-up, the snapshot and the insert, not under one
        lock."""
        request_id = body.findtext(f"{{{JUKI}}}RequestId")
        if self.defect != "extract-request-id-race" or extract_id is not None or \
                request_id is None:
            return extract_id
        key = (tuple(header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}{n}")
                     for n in ("LocalGovCode", "BusinessUnit", "SystemId")), request_id)
        known = self.extract_requests.get(key)
        if known is not None:
            return known
        as_of = body.findtext(f"{{{JUKI}}}AsOf")
        self._check_as_of(as_of)
        time.sleep(0.2)  # the snapshot query
        numbers = sorted(n for n, r in self.residents.items()
                         if not as_of or self._lived_here(r, as_of))
        made = uuid.uuid4().hex
        with self.lock:
            self.extracts[made] = numbers
            self.extract_requests[key] = made
        return made

    def _twelfth_snapshot_made(self, extract_id: str) -> None:
        if self.defect == "extract-snapshots-kept-two":  # an LRU of two snapshots
            order = self.twelfth.setdefault("snapshots", [])
            order.append(extract_id)
            while len(order) > 2:
                self.extracts.pop(order.pop(0), None)

    def _twelfth_answer(self, response) -> None:
        if self.defect == "reiwa-leap-day-via-era-year":
            for el in response.iter(*(f"{{{CMN}}}{n}" for n in _DATES)):
                el.text = era_lenient(el.text)
        table = {"horizontal-bar-as-em-dash": _JAVA_SJIS,
                 "cp932-signs-to-jis": _EUC_JP}.get(self.defect or "")
        for el in response.iter():
            if table is not None and isinstance(el.tag, str) and el.text:
                el.text = el.text.translate(table)
            if self.defect == "latin-name-space-widened" and el.tag == f"{{{CMN}}}Text" and \
                    el.text and el.text.isascii():
                el.text = el.text.replace(" ", "\u3000")

    # --- answers (both roles) ---------------------------------------------------------------------

    def _twelfth_now(self) -> str | None:
        if self.defect == "sent-at-12-hour-clock":
            return twelve_hour(dt.datetime.now(JST))
        return None

    def _twelfth_fault(self, soap, refusal, message_id):
        if self.defect == "mustunderstand-soap11-faultcode-client" and soap == SOAP11 and \
                refusal.soap_code == "MustUnderstand":
            refusal.soap_code = None  # the 1.1 writer knows Client and Server only
        if self.defect == "misrouted-fault-message-id-omitted" and \
                refusal.code == "PF-PROVIDER-MISROUTED":
            return None
        return message_id

    def _twelfth_relates_to(self, request_header, raw: bytes, relates):
        if self.defect == "relates-to-read-by-regex":
            found = re.search(rb"MessageId>([^<]+)<", raw)
            return found[1].decode("utf-8", "replace") if found else relates
        if self.defect == "receipt-relates-to-notice-relates-to" and self.role == "subscriber":
            return request_header.findtext(f"{{{PFH}}}RelatesTo") or relates
        return relates

    # --- subscriber -------------------------------------------------------------------------------

    def _twelfth_name(self, name: str) -> str:
        if self.defect == "stores-combining-marks-stripped":
            return "".join(c for c in name if unicodedata.category(c) != "Mn")
        if self.defect == "stores-iteration-mark-expanded":
            return re.sub("(.)々", r"\1\1", name)
        if self.defect == "stores-name-utf8-100-bytes":
            return _utf8_bytes(name, 100)
        return name

    def _twelfth_duplicate(self, header, changes, mid: str, duplicate: bool) -> bool:
        if self.defect == "seen-ids-by-sent-at-24h" and duplicate:
            sent = dt.datetime.fromisoformat(header.findtext(f"{{{PFH}}}SentAt"))
            return dt.datetime.now(JST) - sent <= dt.timedelta(hours=24)
        if self.defect != "seen-id-only-last-per-resident":
            return duplicate
        conn: sqlite3.Connection = self.conn
        conn.execute("CREATE TABLE IF NOT EXISTS last_message (number TEXT PRIMARY KEY, "
                     "message_id TEXT)")
        numbers = {c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") for c in changes}
        last = {n: conn.execute("SELECT message_id FROM last_message WHERE number = ?",
                                (n,)).fetchone() for n in numbers}
        if all(row is not None and row[0] == mid for row in last.values()):
            return True
        for n in numbers:
            conn.execute("INSERT OR REPLACE INTO last_message VALUES (?, ?)", (n, mid))
        return False

    def _twelfth_in_background(self, mid: str, changes: list) -> bool:
        """removal-applied-after-receipt / new-resident-applied-after-receipt: that path's
        notices are applied by a worker once the receipt has left."""
        later = (self.defect == "removal-applied-after-receipt" and any(
            (c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").startswith("B")
            for c in changes)) or (self.defect == "new-resident-applied-after-receipt" and any(
                self._row(c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")) is None
                for c in changes))
        if later:
            threading.Thread(target=self._twelfth_apply_later, args=(mid, changes),
                             daemon=True).start()
        return later

    def _twelfth_apply_later(self, mid: str, changes: list) -> None:
        time.sleep(0.5)  # the worker's polling interval
        with self.lock:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                for change in changes:
                    self._apply(change)
                self._mark_seen(mid)
                conn.execute("COMMIT")
            except sqlite3.Error:  # the process was killed (a test's crash): nothing written
                pass

    def _twelfth_nothing_applied(self, before: int) -> bool:
        return self.defect == "stale-notice-id-not-recorded" and \
            self.conn.total_changes == before

    def _twelfth_number(self, number: str) -> str:
        if self.defect == "stores-addressee-number-as-integer" and number.isdigit():
            return str(int(number))  # a BIGINT column, shown without its zeros
        return number

    def _twelfth_answer_out(self, env, soap, response):
        if self.defect == "duplicate-receipt-soap12-as-text-xml" and soap == SOAP12 and \
                response.findtext(f"{{{PFR}}}Status") == "duplicate":
            answer = self._bytes(env, soap, 200)
            answer.content_type = "text/xml; charset=utf-8"  # the early return's constant
            return answer
        return None
