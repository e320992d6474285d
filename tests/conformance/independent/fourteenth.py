"""The fourteenth blind batch of the independent adapter: one deliberate defect per variant,
written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/adapter-sdk.md, docs/characters.md, docs/security.md, the XSDs' annotations, the WSDLs,
../shared/docs/platform.md, SOAP 1.1/1.2, HTTP) by an engineer who has not read the suite.

Each defect is one plausible mistake of a vendor's code path — an HTTP front end, a mapper, a
date parser, a lock file, a cursor, a reorder buffer — and breaks a requirement a vendor can read
(cited in brackets in its description). ``FourteenthBatch`` is mixed into ``Adapter``; its
``_fourteenth_*`` hooks are called where each defect lives and change nothing when no defect of
this batch is selected. The HTTP front end's defects are ``front_refused`` and ``write_chunked``
(called by __main__.py).

Measured once, blind, on c8abe9c (the suite of main 4c37c6e; `python -m
tests.conformance.independent_runs FOURTEENTH_BATCH`, 2026-12-04 20:39:20Z – 20:46:05Z, two at a
time, load average 5.5–10.6 from other helpers' work): 28/40 caught = 70.0 %. Per class: 1 (one
exchange only) 8/9, 2 (inputs rarely sent) 8/15, 3 (characters) 3/4, 4 (time) 5/6,
5 (durability) 4/6. Per role: provider 11/19, subscriber 17/21. No variant crashed or failed to
start. Missed: foreigner-name-order-swapped (a 外国人住民's name stored given name first),
trailing-content-accepted (provider and subscriber: bytes after </soap:Envelope> ignored, the
request answered), http10-request-answered-chunked (chunked to an HTTP/1.0 request),
receiver-compared-case-insensitively (a request for INDIE-JUKI answered by indie-juki),
sender-local-gov-pinned (a Sender of another 団体コード refused), absolute-form-target-404 (404 to
an absolute-form request target), request-id-keyed-with-page-size (a first request retried with
another PageSize gets a second snapshot), stores-latin-accents-folded (MÜLLER stored MULLER),
reply-sent-at-not-before-request (provider: a request's SentAt ahead of the clock copied into the
reply), sequence-keyed-by-sender (異動連番 per publishing system: an older change from a second
registry system applied), request-id-map-outlives-snapshots (after a restart a retried first
request answered PF-EXTRACT-UNKNOWN) — FOURTEENTH_MEASURED_MISSES. No variant was changed after
the measurement.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import re
import sqlite3
import threading
import unicodedata
from pathlib import Path

from .standard import CMN, JST, JUKI, PFH, PFR, SOAP12, Refusal

PROVIDER = ("provider",)
SUBSCRIBER = ("subscriber",)
BOTH = ("provider", "subscriber")

FOURTEENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # --- 1. rules judged on one exchange only --------------------------------------------------
    "inquiry-resident-status-defaulted": (
        1, PROVIDER,
        "the 住民照会 mapper reads 住民状態 from a view that has no such column and writes the "
        "default 1 (住民): a removed resident (除票, 住民状態 2) is answered as a resident; 全件 "
        "pages are right [common-v1.xsd: ResidentStatus, code list resident_status — the "
        "resident's record; platform.md 1.1.1: 住民状態 and 除票 are items of the resident]"),
    "member-relationship-of-requested": (
        1, PROVIDER,
        "the household query joins the members to the requested resident's row and takes 続柄 "
        "from the wrong alias: every Member carries the requested resident's Relationship (all "
        "02 when the 妻 is asked for) [common-v1.xsd: HouseholdType Member is a cmn:ResidentType, "
        "its Relationship the member's own 世帯主との続柄; platform.md 1.1.1]"),
    "foreigner-katagaki-dropped": (
        1, PROVIDER,
        "the address printer for 外国人住民 (ResidentKind 2) is a second template that has no "
        "方書 line: their Address/Katagaki is left out, in inquiries and 全件 pages alike "
        "[common-v1.xsd: AddressType Katagaki (方書); platform.md 1.1.1: 住所 (with 方書) is an "
        "item of every resident, 日本人 and 外国人]"),
    "notice-codelist-fault-as-internal": (
        1, SUBSCRIBER,
        "the notice mapper looks 異動事由 and the other codes up in a dict before the rules run: "
        "a code outside the code list raises KeyError, answered PF-PROVIDER-INTERNAL (party "
        "provider, soap:Server) instead of PF-RULE-VIOLATION; check digits are right "
        "[docs/faults.md: PF-RULE-VIOLATION, client — code list (codelist:NAME); "
        "docs/adapter-sdk.md: PF-RULE-VIOLATION for a body that breaks a rule beyond XSD]"),
    "foreigner-name-order-swapped": (
        1, SUBSCRIBER,
        "for 外国人住民 (ResidentKind 2) the mapper stores the name as its screens show it, "
        "given name first: ROSSI VIOLA is stored VIOLA ROSSI; 日本人's names are right "
        "[docs/characters.md: a registered name must reach every system exactly as registered; "
        "common-v1.xsd: NameTextType, whiteSpace preserve]"),
    "removal-receipted-duplicate": (
        1, SUBSCRIBER,
        "a notice of 消除 only (B..) is applied, but the handler's result \"nothing to add\" is "
        "mapped to the receipt Status duplicate [receipt-v1.xsd: duplicate — this MessageId "
        "was received before; applied — the subscriber applied it; docs/notices.md: after a 消除 "
        "the record is kept, marked removed]"),
    "notice-misrouted-as-header-invalid": (
        1, SUBSCRIBER,
        "a notice addressed to another 団体コード's hub is refused PF-HEADER-INVALID (the hub's "
        "code for a receiver of another 業務ユニット, copied from docs/faults.md's first table) "
        "instead of PF-PROVIDER-MISROUTED [README: a provider or subscriber refuses a message "
        "whose Receiver is another system with PF-PROVIDER-MISROUTED (header:receiver); "
        "docs/faults.md, the SDK's table]"),
    "soap12-must-understand-http-400": (
        1, BOTH,
        "the SOAP 1.2 fault writer sends every client-party fault with HTTP 400, the "
        "MustUnderstand fault too; SOAP 1.1 is right [docs/faults.md: PF-MUST-UNDERSTAND, HTTP "
        "500 (SOAP 1.2); SOAP 1.2 part 2, 7.5.2.2: env:MustUnderstand is 500]"),
    # --- 2. inputs rarely sent -------------------------------------------------------------------
    "content-type-without-charset-refused": (
        2, BOTH,
        "the front end wants a charset parameter: text/xml or application/soap+xml without one "
        "is refused PF-CONTENT-TYPE [RFC 3023 / RFC 3902: charset is optional, the XML "
        "declaration or UTF-8 then says the encoding; docs/faults.md: PF-CONTENT-TYPE only for "
        "a Content-Type that is not text/xml or application/soap+xml]"),
    "trailing-content-accepted": (
        2, BOTH,
        "the request is read with a pull parser that stops at the end of the root element: "
        "bytes after </soap:Envelope> (another element, text) are ignored and the request is "
        "answered [XML 1.0 2.1: a document is one element and Misc after it — anything else is "
        "not well-formed; docs/faults.md: not well-formed XML is refused; docs/security.md: "
        "every malformed input a fault]"),
    "reply-receiver-system-id-split-on-dot": (
        2, BOTH,
        "the party is kept as one dotted key (団体コード.業務ユニット.SystemId) and split on "
        "'.': a Sender SystemId with a dot (tax.batch-1) comes back as Receiver tax [header-v1.xsd "
        "SystemIdType: [A-Za-z0-9][A-Za-z0-9._-]{0,63}; README: a reply swaps sender and "
        "receiver]"),
    "http10-request-answered-chunked": (
        2, PROVIDER,
        "the web framework streams every answer with Transfer-Encoding: chunked, whatever the "
        "request's HTTP version: an HTTP/1.0 client reads the chunk framing as the body "
        "[RFC 9112 7.1: a server MUST NOT send chunked to an HTTP/1.0 request; README: SOAP "
        "over HTTP]"),
    "fault-template-unescaped": (
        2, PROVIDER,
        "faults are written from a text template: the finding's Message, which quotes the "
        "offending value, is put in unescaped — a value with & or < makes the fault not "
        "well-formed XML [docs/faults.md: every failure is a SOAP Fault with a pff:FaultDetail; "
        "docs/security.md: every input an accepted request or a schema-valid SOAP fault]"),
    "header-names-case-sensitive": (
        2, SUBSCRIBER,
        "the front end looks the request's header up as \"Content-Type\" exactly: a request "
        "whose header field is named content-type (HTTP/2 gateways, many clients) is answered "
        "415 [RFC 9110 5.1: field names are case-insensitive; docs/faults.md: PF-CONTENT-TYPE "
        "only for a Content-Type that is not SOAP's]"),
    "foreign-role-must-understand-refused": (
        2, SUBSCRIBER,
        "every header block with mustUnderstand true is refused PF-MUST-UNDERSTAND, whatever "
        "its actor/role: a block addressed to another node is taken for this one's [SOAP 1.1 "
        "4.2.2/4.2.3, SOAP 1.2 part 1 5.2.2/5.2.3: mustUnderstand obliges only the node the "
        "block is targeted at; docs/faults.md, Header blocks: another actor/role is not "
        "addressed to it]"),
    "receiver-compared-case-insensitively": (
        2, PROVIDER,
        "the receiver is checked by a query on a case-insensitive collation: a request for "
        "SystemId INDIE-JUKI (another system: SystemId is a case-sensitive string) is answered "
        "as if it were for indie-juki [README: a provider refuses a message whose Receiver is "
        "another system, PF-PROVIDER-MISROUTED (header:receiver); header-v1.xsd SystemIdType]"),
    "sender-local-gov-pinned": (
        2, PROVIDER,
        "the provider answers only Senders of its own 団体コード (\"our municipality's systems\"): "
        "a request from another 団体 (自治体クラウド, 広域連合, the prefecture) admitted by the "
        "hub's access rights is refused VENDOR-ACCESS [docs/security.md: access rights per "
        "(service, 団体コード) are the hub's, default deny; README: a system refuses only what "
        "is not addressed to it]"),
    "absolute-form-target-404": (
        2, PROVIDER,
        "the router matches the request target as a path: a POST whose target is in absolute "
        "form (http://host:port/soap, as sent through a forward proxy) is answered 404 [RFC "
        "9112 3.2.2: a server MUST accept the absolute-form in requests; README: a SOAP "
        "exchange over HTTP/1.1 POST]"),
    "rare-reason-codes-refused": (
        2, SUBSCRIBER,
        "the subscriber's 異動事由 mapping table was filled from the common cases and lacks "
        "改製, 再製 and 取消し (A05–A07, B05–B07): such a notice fails with KeyError, "
        "PF-PROVIDER-INTERNAL, and is redelivered until it is dead [schemas/codelists/"
        "change_reason.csv: every code valid; docs/notices.md: a subscriber applies each change's "
        "state; platform.md: 異動事由 groups]"),
    "request-id-keyed-with-page-size": (
        2, PROVIDER,
        "the (Sender, RequestId) → ExtractId map is keyed with the request's PageSize too: a "
        "first request retried with another PageSize (a receiver restarted with another "
        "setting) gets a second snapshot [docs/notices.md: made once per RequestId — the key "
        "is (Sender, RequestId); juki-v1.xsd RequestId]"),
    # --- 3. characters ---------------------------------------------------------------------------
    "stores-name-cut-at-first-astral": (
        3, SUBSCRIBER,
        "the name column is MySQL utf8mb3 with strict mode off: the stored name ends before its "
        "first character beyond the BMP (総務𠮷子 → 総務, 葛󠄂西花子 → 葛) without an error "
        "[docs/characters.md: UCS plus Moji_Joho IVS selectors (𠮷 U+20BB7 is MJ032129), a "
        "registered name exactly as registered]"),
    "stores-latin-accents-folded": (
        3, SUBSCRIBER,
        "Latin letters are folded to ASCII by the name cleaner (MÜLLER JOSÉ → MULLER JOSE) "
        "[docs/characters.md: never normalised, the exact character; JIS X 0213 itself holds "
        "Ü and É]"),
    "stores-name-hiragana-to-katakana": (
        3, SUBSCRIBER,
        "the reading normaliser (hiragana → katakana, for フリガナ) is applied to the 氏名 "
        "column too: 山田はな is stored 山田ハナ [docs/characters.md: a registered name depends "
        "on the exact character; common-v1.xsd: NameTextType, never normalised]"),
    "first-record-name-bom-kept": (
        3, PROVIDER,
        "the registry's data was imported from a UTF-8 CSV read as utf-8, not utf-8-sig: the "
        "first record's first field (氏名) keeps U+FEFF, and every answer naming that resident "
        "(inquiry, household, 全件) carries \\ufeff総務翔子 [docs/characters.md: the registered "
        "name exactly, nothing added; U+FEFF is no character of a name]"),
    # --- 4. time ---------------------------------------------------------------------------------
    "as-of-day-month-swapped": (
        4, PROVIDER,
        "基準日 is parsed with a lenient parser that tries yyyy-dd-MM first: a day ≤ 12 is "
        "read as the month (2015-04-03 → 2015-03-04); later days are right [juki-v1.xsd AsOf: "
        "xs:date, yyyy-mm-dd; found only if recorded by then]"),
    "as-of-two-digit-year-pivot": (
        4, PROVIDER,
        "基準日 goes through the legacy YYMMDD column with the pivot 50: 2050-01-01 is read as "
        "1950-01-01 (nobody recorded yet), 1949 as 2049 [juki-v1.xsd AsOf: xs:date, any year; "
        "found only if recorded by then]"),
    "future-changes-deferred": (
        4, SUBSCRIBER,
        "a change whose 異動年月日 lies in the future (a 転出予定) is parked in memory \"until "
        "the day\" and receipted applied; it is not applied now, and is lost at a restart "
        "[docs/notices.md: each change is the resident's state after it, applied exactly when "
        "its 異動連番 is greater; docs/adapter-sdk.md: applied only after it is committed]"),
    "old-occurred-on-ignored": (
        4, SUBSCRIBER,
        "changes whose 異動年月日 is more than five years back (the tax system's 時効) are "
        "skipped as history and receipted applied: a 誤記修正 of an old event carrying the "
        "resident's current state is lost [docs/notices.md: a change is applied exactly when "
        "its 異動連番 is greater; it carries the resident's whole current state]"),
    "reply-sent-at-not-before-request": (
        4, BOTH,
        "the reply's SentAt is made \"causal\": never earlier than the request's SentAt — a "
        "request from a fast clock (within the skew) is answered with the requester's future "
        "time instead of the adapter's own [README: SentAt — time sent; platform.md: time sent "
        "(JST)]"),
    # --- 5. durability ---------------------------------------------------------------------------
    "duplicate-refreshes-resident-row": (
        5, SUBSCRIBER,
        "a redelivered notice is receipted duplicate, but its resident state is first written "
        "over the row \"to refresh the view\" without the 異動連番 check: a redelivery after a "
        "newer change puts the older state back [docs/notices.md: a message ID seen before is "
        "never applied again; a later change is never overwritten by an older one]"),
    "stale-lock-file-after-crash": (
        5, SUBSCRIBER,
        "the store is guarded by a lock file written at start and removed at a clean exit: after "
        "a crash the restarted subscriber finds it, takes the store for another instance's and "
        "answers every notice PF-PROVIDER-INTERNAL [docs/notices.md: a subscriber down for "
        "hours receives everything once back; docs/adapter-sdk.md: a redelivery after a restart "
        "is applied once]"),
    "gap-changes-buffered-in-memory": (
        5, SUBSCRIBER,
        "a change whose 異動連番 is not the last one + 1 is held in an in-memory reorder buffer "
        "until the missing one arrives and receipted applied: a gap that is never filled (a "
        "異動 the subscriber does not receive) keeps the resident's newer state out, and a "
        "restart loses it [docs/notices.md: applied exactly when its 異動連番 is greater than "
        "the last one; a receipt means stored durably]"),
    "sequence-keyed-by-sender": (
        5, SUBSCRIBER,
        "the last 異動連番 is kept per (publishing SystemId, 宛名番号): notices of a resident "
        "from a second registry system (a vendor change, a standby) start from 0, and an older "
        "change overwrites a newer one [docs/notices.md: per resident, applied exactly when its "
        "異動連番 is greater than the last one applied to that resident]"),
    "extract-pages-from-server-cursor": (
        5, PROVIDER,
        "全件 pages are read from a server-side cursor on the snapshot: each request gets the "
        "next PageSize rows whatever its Page — a page asked again (a retry after a lost answer) "
        "gets the following residents [docs/notices.md: every page echoes its Page; after a "
        "failure the transfer resumes from the last confirmed page]"),
    "request-id-map-outlives-snapshots": (
        5, PROVIDER,
        "the (Sender, RequestId) → ExtractId map is saved to a file, the snapshots are not: "
        "after a restart a retried first request is answered PF-EXTRACT-UNKNOWN (a client "
        "fault to a request that named no ExtractId) [docs/notices.md: a first request sent "
        "again is answered from the same snapshot; an unknown ExtractId is the client's error "
        "— this request named none]"),
}

# the blind record, kept as measured (runs named (defect, role) as independent_runs names them)
FOURTEENTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("foreigner-name-order-swapped", "subscriber"),
    ("trailing-content-accepted", "provider"),
    ("trailing-content-accepted", "subscriber"),
    ("http10-request-answered-chunked", "provider"),
    ("receiver-compared-case-insensitively", "provider"),
    ("sender-local-gov-pinned", "provider"),
    ("absolute-form-target-404", "provider"),
    ("request-id-keyed-with-page-size", "provider"),
    ("stores-latin-accents-folded", "subscriber"),
    ("reply-sent-at-not-before-request", "provider"),
    ("sequence-keyed-by-sender", "subscriber"),
    ("request-id-map-outlives-snapshots", "provider"),
})

_HIRAGANA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_ENVELOPE_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?Envelope\s*>")
_MESSAGE = re.compile(rb"(<pff:Message>)(.*?)(</pff:Message>)", re.S)
_RARE_REASONS = {"A05", "A06", "A07", "B05", "B06", "B07"}


def _fold_latin(name: str) -> str:
    out = []
    for c in name:
        base = unicodedata.normalize("NFD", c)[0]
        out.append(base if "LATIN" in unicodedata.name(c, "") and base.isascii() else c)
    return "".join(out)


def answer_plain(handler, status: int, text: bytes) -> None:
    """The vendor front end's own bare answer: ``text`` in text/plain, the connection closed."""
    handler.send_response(status)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(text)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(text)
    handler.close_connection = True


def front_refused(handler, defect: str | None) -> bool:
    """The HTTP front end's own refusals, before the adapter reads the request (True: answered):
    absolute-form-target-404 and header-names-case-sensitive."""
    if defect == "absolute-form-target-404" and not handler.path.startswith("/"):
        answer_plain(handler, 404, b"Not Found")
        return True
    if defect == "header-names-case-sensitive" and "Content-Type" not in handler.headers.keys():
        answer_plain(handler, 415, b"Unsupported Media Type")
        return True
    return False


def write_chunked(handler, defect: str | None, answer) -> bool:
    """http10-request-answered-chunked: the answer streamed chunked whatever the request's HTTP
    version (True: written; the status and Content-Type are sent already)."""
    if defect != "http10-request-answered-chunked":
        return False
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for i in range(0, len(answer.body), 4096):
        part = answer.body[i:i + 4096]
        handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
    handler.wfile.write(b"0\r\n\r\n")
    return True


class FourteenthBatch:
    """Mixed into Adapter: the fourteenth batch's hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    local_gov_code: str
    business_unit: str
    system_id: str
    db: Path | None
    residents: dict
    fourteenth: dict
    extract_requests: dict
    conn: sqlite3.Connection

    def _mine(self) -> bool:
        return self.defect in FOURTEENTH_DEFECTS

    def _fourteenth_started(self) -> None:
        """At start: the imported data (first-record-name-bom-kept) and the RequestId map kept
        in a file (request-id-map-outlives-snapshots)."""
        if self.defect == "first-record-name-bom-kept":
            text = next(iter(self.residents.values())).find(f"{{{CMN}}}Name/{{{CMN}}}Text")
            text.text = "\ufeff" + text.text
        if self.defect == "request-id-map-outlives-snapshots" and self.db is not None:
            path = Path(f"{self.db}.requests.json")
            if path.exists():
                for sender, request_id, extract_id in json.loads(path.read_text()):
                    self.extract_requests[(tuple(sender), request_id)] = extract_id

    # --- HTTP in, the envelope ------------------------------------------------------------------

    def _fourteenth_content_type(self, content_type: str) -> None:
        if self.defect == "content-type-without-charset-refused" and \
                "charset=" not in content_type.lower():
            raise Refusal("PF-CONTENT-TYPE", "client", "a charset is required",
                          [("http:content-type", "no charset parameter")])

    def _fourteenth_parse_bytes(self, raw: bytes) -> bytes:
        if self.defect == "trailing-content-accepted" and (m := _ENVELOPE_END.search(raw)):
            return raw[:m.end()]  # the pull parser stops at the root's end tag
        return raw

    def _fourteenth_must_understand(self, blocks, soap) -> None:
        if self.defect != "foreign-role-must-understand-refused":
            return
        mid = next((b.findtext(f"{{{PFH}}}MessageId") for b in blocks
                    if b.tag == f"{{{PFH}}}PlatformHeader"), None)
        for block in blocks:  # the actor/role never looked at
            if block.tag != f"{{{PFH}}}PlatformHeader" and \
                    block.get(f"{{{soap}}}mustUnderstand", "").strip() in ("1", "true"):
                raise Refusal("PF-MUST-UNDERSTAND", "client", "a header block is not understood",
                              [("soap:mustUnderstand", f"{block.tag} is not understood")],
                              mid, soap_code="MustUnderstand", not_understood=block.tag)

    # --- the platform's checks ------------------------------------------------------------------

    def _fourteenth_mine(self, receiver: list, mine: bool) -> bool:
        if self.defect == "receiver-compared-case-insensitively" and self.role == "provider":
            own = [self.local_gov_code, self.business_unit, self.system_id]
            return [r.lower() for r in receiver] == [o.lower() for o in own]
        return mine

    def _fourteenth_checks(self, header, body, mid) -> None:
        if not self._mine():
            return
        t = threading.get_ident()  # what later hooks of this exchange read
        self.fourteenth[("sent", t)] = header.findtext(f"{{{PFH}}}SentAt")
        self.fourteenth[("sender", t)] = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId")
        self.fourteenth[("reasons", t)] = [r.text for r in body.iter(f"{{{CMN}}}Reason")]
        d = self.defect
        if d == "stale-lock-file-after-crash" and "locked" in self.fourteenth:
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the store is in use",
                          [("vendor:store", "locked by another instance")], mid)
        if d == "sender-local-gov-pinned" and self.role == "provider" and \
                header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}LocalGovCode") != self.local_gov_code:
            raise Refusal("VENDOR-ACCESS", "client", "not a system of this municipality",
                          [("vendor:sender", "another 団体コード")], mid)
        if d == "rare-reason-codes-refused" and self.role == "subscriber" and \
                _RARE_REASONS & set(self.fourteenth[("reasons", t)]):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice failed",
                          [("vendor:mapping", "KeyError")], mid)

    # --- 住民照会, 全件抽出 -------------------------------------------------------------------------

    def _fourteenth_day(self, day: str) -> str:
        if self.defect == "as-of-day-month-swapped" and day[8:10].isdigit() and \
                int(day[8:10]) <= 12:
            return f"{day[:4]}-{day[8:10]}-{day[5:7]}"  # yyyy-dd-MM tried first
        if self.defect == "as-of-two-digit-year-pivot" and day[:1].isdigit():
            yy = int(day[2:4])
            return f"{2000 + yy if yy < 50 else 1900 + yy}{day[4:]}"
        return day

    def _fourteenth_request_key(self, key, body):
        if self.defect == "request-id-keyed-with-page-size" and key[1] is not None:
            return (key[0], f"{key[1]}/{body.findtext(f'{{{JUKI}}}PageSize')}")
        return key

    def _fourteenth_request_kept(self) -> None:
        """request-id-map-outlives-snapshots: the map saved (under the lock) once an entry is
        added; the snapshots stay in memory."""
        if self.defect == "request-id-map-outlives-snapshots" and self.db is not None:
            Path(f"{self.db}.requests.json").write_text(json.dumps(
                [[list(sender), request_id, extract_id]
                 for (sender, request_id), extract_id in self.extract_requests.items()]))

    def _fourteenth_cursor(self, extract_id: str, start: int, end: int) -> tuple[int, int]:
        if self.defect != "extract-pages-from-server-cursor":
            return start, end
        at = self.fourteenth.get(("cursor", extract_id), 0)  # FETCH NEXT n ROWS
        self.fourteenth[("cursor", extract_id)] = at + end - start
        return at, at + end - start

    # --- 異動通知 -----------------------------------------------------------------------------------

    def _fourteenth_store_opened(self, conn) -> None:
        if self.defect == "stale-lock-file-after-crash" and self.db is not None:
            lock = Path(f"{self.db}.lock")
            if lock.exists():
                self.fourteenth["locked"] = lock.read_text()
            else:
                lock.write_text(str(os.getpid()))
                atexit.register(lock.unlink, missing_ok=True)  # a clean exit only
        if self.defect == "sequence-keyed-by-sender":
            conn.execute("CREATE TABLE IF NOT EXISTS sender_sequence (sender TEXT, number TEXT, "
                         "last INTEGER, PRIMARY KEY (sender, number))")

    def _fourteenth_duplicate(self, duplicate: bool, changes: list) -> None:
        if self.defect != "duplicate-refreshes-resident-row" or not duplicate:
            return
        for change in changes:  # "refresh the view": the state written again, unchecked
            resident = change.find(f"{{{JUKI}}}Resident")
            self.conn.execute("UPDATE resident SET name = ? WHERE number = ?",
                              (resident.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text"),
                               resident.findtext(f"{{{CMN}}}AddresseeNumber")))

    def _fourteenth_name(self, change, name: str) -> str:
        d = self.defect
        if d == "foreigner-name-order-swapped" and change.findtext(
                f"{{{JUKI}}}Resident/{{{CMN}}}ResidentKind") == "2" and " " in name:
            family, given = name.split(" ", 1)
            return f"{given} {family}"
        if d == "stores-name-cut-at-first-astral" and (m := _ASTRAL.search(name)):
            return name[:m.start()]
        if d == "stores-latin-accents-folded":
            return _fold_latin(name)
        if d == "stores-name-hiragana-to-katakana":
            return name.translate(_HIRAGANA)
        return name

    def _fourteenth_last(self, number: str, last):
        if self.defect != "sequence-keyed-by-sender":
            return last
        row = self.conn.execute("SELECT last FROM sender_sequence WHERE sender = ? AND number = ?",
                                (self.fourteenth.get(("sender", threading.get_ident())),
                                 number)).fetchone()
        return row[0] if row else 0

    def _fourteenth_skip(self, change, number: str, sequence: int, last) -> bool:
        """A change the defect does not apply now (receipted applied all the same)."""
        d = self.defect
        if d == "gap-changes-buffered-in-memory" and last and sequence > last + 1:
            self.fourteenth.setdefault(("held", number), {})[sequence] = change
            return True
        if d in ("future-changes-deferred", "old-occurred-on-ignored"):
            occurred = dt.date.fromisoformat(
                change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn").strip()[:10])
            today = dt.datetime.now(JST).date()
            if d == "future-changes-deferred" and occurred > today:
                self.fourteenth.setdefault("deferred", []).append(change)  # "until the day"
                return True
            if d == "old-occurred-on-ignored" and occurred < today - dt.timedelta(days=5 * 365 + 1):
                return True
        return False

    def _fourteenth_applied(self, number: str, sequence: int) -> None:
        if self.defect == "sequence-keyed-by-sender":
            self.conn.execute("INSERT OR REPLACE INTO sender_sequence VALUES (?, ?, ?)",
                              (self.fourteenth.get(("sender", threading.get_ident())), number,
                               sequence))
        if self.defect == "gap-changes-buffered-in-memory":
            held = self.fourteenth.get(("held", number), {}).pop(sequence + 1, None)
            if held is not None:  # the missing one came: the next one follows
                self._apply(held)  # type: ignore[attr-defined]

    # --- answers and faults ---------------------------------------------------------------------

    def _fourteenth_now(self) -> str | None:
        if self.defect != "reply-sent-at-not-before-request":
            return None
        try:
            request = dt.datetime.fromisoformat(
                (self.fourteenth.get(("sent", threading.get_ident())) or "").strip())
        except ValueError:
            return None
        return request.isoformat(timespec="seconds") if request > dt.datetime.now(JST) else None

    def _fourteenth_reply_header(self, h) -> None:
        if self.defect == "reply-receiver-system-id-split-on-dot":
            system_id = h.find(f"{{{PFH}}}Receiver/{{{PFH}}}SystemId")
            system_id.text = system_id.text.split(".")[0]

    def _fourteenth_answer(self, response) -> None:
        d = self.defect
        if d == "inquiry-resident-status-defaulted" and \
                response.tag == f"{{{JUKI}}}ResidentInquiryResponse":
            status = response.find(f"{{{JUKI}}}Resident/{{{CMN}}}ResidentStatus")
            if status is not None:
                status.text = "1"
        if d == "member-relationship-of-requested":
            asked = response.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Relationship")
            for member in response.iter(f"{{{CMN}}}Member"):
                member.find(f"{{{CMN}}}Relationship").text = asked
        if d == "foreigner-katagaki-dropped":
            for kind in list(response.iter(f"{{{CMN}}}ResidentKind")):
                katagaki = kind.getparent().find(f"{{{CMN}}}Address/{{{CMN}}}Katagaki")
                if kind.text == "2" and katagaki is not None:
                    katagaki.getparent().remove(katagaki)
        if d == "removal-receipted-duplicate" and response.tag == f"{{{PFR}}}NoticeReceipt":
            reasons = self.fourteenth.get(("reasons", threading.get_ident())) or []
            status = response.find(f"{{{PFR}}}Status")
            if status.text == "applied" and reasons and all(r.startswith("B") for r in reasons):
                status.text = "duplicate"  # "nothing to add"

    def _fourteenth_fault(self, refusal: Refusal) -> None:
        if self.role != "subscriber":
            return
        if self.defect == "notice-codelist-fault-as-internal" and \
                refusal.code == "PF-RULE-VIOLATION" and \
                any(rule.startswith("codelist") for rule, _ in refusal.findings):
            refusal.code, refusal.party = "PF-PROVIDER-INTERNAL", "provider"
            refusal.findings = [("vendor:mapping", "KeyError")]
        if self.defect == "notice-misrouted-as-header-invalid" and \
                refusal.code == "PF-PROVIDER-MISROUTED":
            refusal.code = "PF-HEADER-INVALID"

    def _fourteenth_fault_answer(self, soap, refusal: Refusal, answer) -> None:
        if self.defect == "soap12-must-understand-http-400" and soap == SOAP12 and \
                refusal.soap_code == "MustUnderstand":
            answer.status = 400
        if self.defect == "fault-template-unescaped":
            answer.body = _MESSAGE.sub(
                lambda m: m[1] + m[2].replace(b"&lt;", b"<").replace(b"&gt;", b">")
                .replace(b"&amp;", b"&") + m[3], answer.body)
