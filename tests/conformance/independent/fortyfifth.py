"""The forty-fifth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/security.md, docs/glossary.md, the XSDs, the code
lists, the MJ table under schemas/characters, ../shared/docs/platform.md, and the standards: SOAP
1.1/1.2, XML 1.0, XML Schema Part 2, HTTP/1.1 (RFC 9110/9112), Unicode) and this independent
adapter's code, by a helper engineer (session b45) who has not read the suite, and committed
before the suite was run on it. None repeats a defect of the earlier batches (seventh …
forty-fourth, and variants.py's DEFECTS), whose names and descriptions were searched for each
candidate to stay clear of them; none is a behaviour those documents permit or leave open. Most
are combinations of two inputs a suite may well send apart (a message that is not well-formed ×
SOAP 1.2, a rule finding × its Path, a version error × SOAP 1.2's HTTP status, a retried first
全件 request × its totals, a redelivered notice × the other SOAP version, chunking × a chunk-size
in capitals, a page past the end × a large Page, an inquiry by 個人番号 × the Sender's 業務ユニット,
a RequestId × the ExtractId field, a 記載 × no 住民となった年月日, characters beyond the BMP × the
answer writer, a 旧氏 × CP932, no reading × a character beyond the BMP, a page past the end ×
time, answers in a burst × SentAt, SentAt ahead × the answer's time, a 修正 × a 除票, a 世帯員 × a
kill, a restart × the order of MessageIds). No variant reads the hour or the date.
``FortyfifthBatch`` is mixed into ``Adapter``; its ``_fortyfifth_*`` hooks are called where each
defect lives and change nothing when no defect of this batch is selected. The subscriber's store
hooks are in fortyfifth_store.py; the HTTP front end's one (a chunk-size line) is a module function
__main__.py calls.

The worktree was made with `git worktree add` from main's HEAD; no commit subject, log or diff was
read (its hash with `git rev-parse --short HEAD` only; `git diff --stat` of the uncommitted
worktree once, before the first commit). The batch's test uses tests/conformance/
variant_transcripts.py's helpers as the earlier batches' tests do (that file, tests/conformance/
conftest.py and test_independent_fortyfourth_batch.py were read). To stay clear of earlier
defects, the names and descriptions of variants.py's DEFECTS and of every batch in BATCHES_APART
were dumped to a file and searched by keyword for each candidate.

Committed as 756cac1 (on branch b45). Measured once, blind, on the suite of that commit
(`PYTHONPATH=. python -m tests.conformance.independent_runs FORTYFIFTH_BATCH`, 2026-12-07
19:57:53Z to 20:12:14Z — 2026-12-08 04:57:53 to 05:12:14 JST —, 14 min 21 s, 1-minute load 1.82 at
the start, after waiting 7 minutes for it to fall below 2.5, and 0.08 at the end, on two cores):
19/25 caught = 76.0 %. Per class: 1 (one message shape) 6/8, 2 (inputs rarely sent) 3/6, 3
(characters) 3/3, 4 (time) 5/5, 5 (durability) 2/3. Per role: provider 8/12, subscriber 11/13. No
variant failed to start, and every catch comes from the variant's own defect (the findings quote
what it writes wrong; one, kana-less-nonbmp-names-internal, on a notice the suite sent to be
refused for another rule, whose name had no reading and a character beyond the BMP: its server
fault came before the client fault expected); no variant reads the hour, so the night hours of the
run changed nothing: malformed-soap12-fault-in-soap11-envelope (provider, subscriber) by
P-HOST-04's SOAP 1.2 steps ("SOAP fault code is soap:Client, expected Sender");
version-mismatch-soap12-status-from-code-table (provider, subscriber) by P-SOAP-08 over SOAP 1.2
("HTTP status 400, expected 500"); retried-first-request-totals-of-head-row by J-FULL-03 ("the
answer to the resent request differs from the first answer"); duplicate-receipt-in-first-delivery-
soap-version by INV-SOAP-04 on S-GRID-01's resend #27 ("SOAP 1.1, then the same MessageId over SOAP
1.2"); chunk-size-lowercase-hex-only (subscriber) by P-WIRE-01's chunked body SOAP 1.1 (two chunks,
an extension, a trailer field); page-offset-int32-overflow by J-FULL-12 ("juki:Resident: 3 found,
expected 0"); registration-without-became-resident-on-refused by P-SOAP-01 on the notice ("a SOAP
Fault, expected an answer: VENDOR-DATE (client)"); nonbmp-references-capital-x by P-MSG-07 on a
全件 page ("the response is not a usable SOAP envelope: PF-XML-MALFORMED (xml:well-formed: CharRef
…"); former-surname-non-cp932-internal by S-ACK-02 ("a SOAP Fault, expected an answer:
PF-PROVIDER-INTERNAL (provider) … 旧氏: character conversion failed"); kana-less-nonbmp-names-internal
by P-FAULT-02 on the notice ("SOAP fault code is soap:Server, expected Client", and the pff:Code);
past-end-page-answered-late by INV-BEH-04 on J-FULL-01's pages[5] ("answered in 12.01 s, the limit
is 10 s"); sent-at-bumped-to-stay-unique (provider, subscriber) by P-MSG-11 ("SentAt
2026-12-08T05:09:55+09:00 is +642 s from the suite's clock at receipt"; +506 s for the subscriber);
answers-held-until-request-sent-at by P-MSG-11 (provider: "no complete answer within 15 s") and
S-GRID-01 (subscriber: "[SentAt #42: 60 s ahead of the clock (within the skew) …] notice 1 (SOAP
1.2): no complete answer within 15 s"); household-member-changes-applied-after-receipt by
S-MULTI-02's step[3] ("exit status 1, expected zero; changes_applied is absent, expected '1'": an
observation right after the receipt); seen-ids-restored-as-high-water-mark by S-DUR-01 over SOAP
1.2 ("pfr:Status is 'duplicate', expected 'applied'" for a new notice after the restart).
Disclosure: the measurement's output (its 26 lines: every variant's first catching case with its
finding, cut at about 400 characters by the reader, the misses and the score) was read whole;
nothing else of the suite was read on purpose. Before the measurement the adapter's own tests were
run once with `-n 2 -k "independent and not test_conformance"` (2,453 passed, 5 skipped; only the
tail of the output read), and tests/conformance/test_conformance_independent.py -k "not slow" was
run twice rather than once (the first run for its counts, 10 passed; the second only to filter
its output for failing tests' names, of which there were none). Of independent_runs.py a grep for
the lines resolving a batch's name also showed lines 4–5 of its docstring, a line of a helper's
docstring ("invariants last). ``cases``: only the case instances named") and the lines of its
pinpoint report's print and of its main. A listing of tests/conformance showed the names of the
suite's test modules and faulty-adapter files (none opened); conftest.py names conformance.model's
Suite (not opened). Missed (FORTYFIFTH_MEASURED_MISSES; no variant was changed after the
measurement), with why the suite did not see it as far as the documents and the output tell:
- finding-path-positions-on-every-step (provider, subscriber): the suite's judges of a finding's
  Path apparently accept a path whose every step carries a position ([1]) — it names the same
  element, as an XPath does — or compare it with the positions dropped; its Line is right.
- chunk-size-lowercase-hex-only (provider): caught on the notice by P-WIRE-01, missed on the
  inquiry: apparently no chunk-size of the chunked inquiries the suite sent held a capital hex
  digit (a size whose hex digits are all decimal ones), while the chunked notice's did.
- individual-number-inquiries-unit-allow-list (provider): the suite apparently sends its inquiries
  by 個人番号 from a Sender of a unit the vendor lists (07 and the like) and varies the Sender's
  業務ユニット with inquiries by 宛名番号 only.
- request-id-resolved-as-extract-id (provider): the suite apparently never names one of its
  RequestIds as a later request's ExtractId; its unknown ExtractIds are other values.
- removed-resident-corrections-applied-after-receipt (subscriber): apparently neither a kill nor
  an observation follows right after the receipt of a 修正 of a resident whose 住民状態 is 2, 3 or
  4; its pairings of 異動事由 and 住民状態 are observed after the worker wrote them, and its kills
  follow other changes.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

from .fifteenth import BadChunk
from .fortyfifth_store import FortyfifthStore
from .standard import CMN, CODELISTS, JST, JUKI, PFF, PFH, SOAP11, SOAP12, Refusal, m11_ok, \
    mynumber_ok

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
# past-end-page-answered-late: the seconds the export cursor waits for rows that never come
LATE = 12.0
# answers-held-until-request-sent-at: the longest a message is held (the hub's clock_skew)
HOLD_CAP = 300.0
# individual-number-inquiries-unit-allow-list: the units the vendor's table of 番号法's 別表
# (個人番号利用事務) names; any other 業務ユニット of the code list is refused an inquiry by 個人番号
MYNUMBER_UNITS = frozenset({"01", "04", "06", "07", "08", "09", "10", "11", "12", "13", "14",
                            "17", "18", "19", "25"})
INT32 = 2**31
_FOUR_BYTES = re.compile(rb"[\xf0-\xf4][\x80-\xbf]{3}")
_CAPITAL_HEX = re.compile(rb"[A-F]")
_REQUEST = threading.local()  # one request's own state (its thread's)
_CLOCK = threading.Lock()  # sent-at-bumped-to-stay-unique: the 送信記録's last stamp

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
FORTYFIFTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one fault kind or one answer only
    "malformed-soap12-fault-in-soap11-envelope": (
        1, BOTH, "a message its parser cannot read goes to the front end's generic error writer, "
                 "which knows one envelope, SOAP 1.1's: a request or notice sent as "
                 "application/soap+xml that is not well-formed is answered with a SOAP 1.1 fault "
                 "(soap:Client, text/xml, HTTP 500); the faults of well-formed SOAP 1.2 messages "
                 "and every SOAP 1.1 fault are right [docs/adapter-sdk.md: a SOAP Fault to a POST "
                 "in the version its Content-Type names; docs/faults.md: a fault in the request's "
                 "SOAP version, SOAP 1.2 Sender faults with HTTP 400; SOAP 1.2 Part 2 §7.5.2]"),
    "finding-path-positions-on-every-step": (
        1, BOTH, "the rule-violation fault names each finding's element with the XPath its DOM "
                 "library generates for a node, every step with its position: a check-digit or "
                 "code-list finding carries pff:Path /soap:Envelope[1]/soap:Body[1]/"
                 "j:ResidentInquiryRequest[1]/j:AddresseeNumber[1] (and the element's right "
                 "pff:Line); other faults carry no Path, as before [docs/faults.md: a finding about "
                 "an element names the element's path, prefixes as the message or the catalog "
                 "writes them, a position only where siblings share a name]"),
    "version-mismatch-soap12-status-from-code-table": (
        1, BOTH, "the HTTP status of a SOAP 1.2 fault is looked up by its pff:Code in the vendor's "
                 "copy of docs/faults.md's table: PF-SOAP-ENVELOPE is 400 there, so the "
                 "VersionMismatch fault (env:VersionMismatch, the Upgrade block, PF-SOAP-ENVELOPE) "
                 "to a request sent as application/soap+xml whose root is not a SOAP envelope goes "
                 "out with HTTP 400; every other fault's status is right [docs/faults.md: a "
                 "version error is SOAP's VersionMismatch, HTTP 500 in both versions; SOAP 1.2 "
                 "Part 2 §7.5.2.2]"),
    "retried-first-request-totals-of-head-row": (
        1, P, "the transfer table's row of a RequestId is written with the snapshot's head before "
              "the snapshot is counted (TotalPages 0, TotalCount 0) and never updated: a first "
              "全件 request retried with the same RequestId, answered from that row, says "
              "TotalPages 0 and TotalCount 0 while its page holds the snapshot's residents; first "
              "requests and later pages are right [docs/notices.md: every page carries the "
              "totals, TotalPages = ⌈TotalCount / PageSize⌉, together the pages hold TotalCount "
              "residents; a retried first request is answered from the same snapshot]"),
    "duplicate-receipt-in-first-delivery-soap-version": (
        1, S, "the inbox keeps each notice's binding with its MessageId and a duplicate receipt "
              "is written by that binding's writer: a notice delivered again over the other SOAP "
              "version (first SOAP 1.1, again SOAP 1.2, or the other way) is receipted duplicate "
              "in the first delivery's envelope and Content-Type; applied receipts, and "
              "duplicates over the same binding, are right [docs/adapter-sdk.md: SOAP 1.1 and "
              "SOAP 1.2 both answered, each in its own version; docs/notices.md: a notice "
              "delivered again over the other SOAP version is a duplicate]"),
    # 2 — inputs rarely sent: a chunk-size in capitals, a Page far past the end, a Sender's unit
    "chunk-size-lowercase-hex-only": (
        2, BOTH, "the front end's chunked decoder reads a chunk-size with a table of the digits "
                 "0-9 and a-f: a chunked request whose chunk-size holds a capital hex digit "
                 "(1F4, as Python's http.client and many others write them) is answered 400 Bad "
                 "Request, a bare text/plain page; sizes written in small letters or digits only "
                 "are right [RFC 9112 §7.1: chunk-size = 1*HEXDIG; RFC 5234: HEXDIG is DIGIT and "
                 "A-F, its strings case-insensitive — every HTTP/1.1 recipient parses the chunked "
                 "coding]"),
    "page-offset-int32-overflow": (
        2, P, "the page query's offset, (Page − 1) × PageSize, is computed in 64 bits and handed "
              "to the ORM's setFirstResult(int) through a cast to 32 bits: a page far past the "
              "end whose offset passes 2³¹ (Page 1000000000 of PageSize 3) wraps — negative, read "
              "as 0, it is answered with the first page's residents, or small, with another "
              "page's; pages whose offset fits are right [docs/notices.md: a page past the end is "
              "a normal answer with no juki:Resident; juki-v1.xsd Page: xs:positiveInteger]"),
    "individual-number-inquiries-unit-allow-list": (
        2, P, "the registry keeps its own table of the 業務ユニット that 番号法's 別表 lets use "
              "個人番号 and refuses VENDOR-MYNUMBER-ACCESS (client) an inquiry by 個人番号 from a "
              "Sender of any other unit of the code list (05 選挙人名簿管理, 16 就学, 22 財務会計, "
              "26 戸籍 …); inquiries by 宛名番号, and by 個人番号 from the units it lists, are right "
              "[README: every 業務ユニット of the code list is answered as any other; who may call is "
              "the hub's access rights, not a table of expected Senders in the product]"),
    "request-id-resolved-as-extract-id": (
        2, P, "the vendor keeps snapshots and transfer keys in one table of ids, a RequestId as an "
              "alias row of its snapshot: a later request naming as ExtractId a RequestId the "
              "provider never gave as an ExtractId is answered with that snapshot's page instead "
              "of the unknown-extract client fault; ExtractIds it gave, and unknown ones, are "
              "right [juki-v1.xsd: later requests name that ExtractId, the one the provider "
              "named; docs/notices.md: an unknown ExtractId is the client's error]"),
    "registration-without-became-resident-on-refused": (
        2, S, "the 記載 (A..) handler sets the tax system's 住民となった日, a NOT NULL column, from "
              "cmn:BecameResidentOn and refuses VENDOR-DATE (client) a 記載 without it, "
              "redelivered until dead; 記載 with it, and 修正 and 消除 without it, are right "
              "[common-v1.xsd ResidentType: BecameResidentOn minOccurs 0; docs/notices.md: a "
              "valid change is applied whichever optional elements it carries — an absent "
              "optional element is never a reason to refuse the notice]"),
    # 3 — characters: references beyond the BMP, a 旧氏 in CP932, a reading looked up
    "nonbmp-references-capital-x": (
        3, P, "the answer writer escapes each character beyond the BMP as a character reference "
              "(its Shift_JIS-era bridge cannot carry them), formatted '&#X%X;': a capital X, "
              "which XML does not read — every answer naming 𠮷 or an IVS selector (𠮷田一郎, "
              "葛󠄂西, 渡邉󠄟俞󠄀子) is not well-formed; answers of BMP text are right [XML 1.0 §4.1: "
              "CharRef is '&#' digits ';' or '&#x' hex digits ';'; docs/characters.md: names "
              "travel as UCS plus Moji_Joho IVS selectors]"),
    "former-surname-non-cp932-internal": (
        3, S, "the 旧氏 column added for 旧氏併記 is VARCHAR in the database's code page, CP932, "
              "with strict conversion: a change whose cmn:FormerSurname/cmn:Text holds a "
              "character outside CP932 (葛󠄂西's selector, 𠮷, 〜 U+301C, − U+2212) fails the insert "
              "and is answered PF-PROVIDER-INTERNAL, redelivered until dead; 旧氏 within CP932 "
              "and the names themselves are right [docs/characters.md: names (cmn:NameTextType, "
              "旧氏 too) are UCS plus Moji_Joho IVS, stored as sent; docs/notices.md: a valid "
              "notice is never answered PF-PROVIDER-INTERNAL for a value its type admits]"),
    "kana-less-nonbmp-names-internal": (
        3, S, "a change without a reading (cmn:Kana) gets one from the vendor's 漢字→カナ "
              "dictionary for its 名寄せ index, whose keys are UCS-2: a name holding a character "
              "beyond the BMP (𠮷, an IVS selector) and no cmn:Kana fails the lookup and is "
              "answered PF-PROVIDER-INTERNAL, redelivered until dead; names with a reading, and "
              "names of the BMP without one, are right [common-v1.xsd NameType: Kana minOccurs "
              "0; docs/notices.md: a name without Kana is applied; docs/characters.md: 𠮷 and "
              "IVS sequences are MJ characters, stored as sent]"),
    # 4 — time: a page past the end, a burst of answers, a SentAt ahead
    "past-end-page-answered-late": (
        4, P, "pages are read through the export's server cursor, which waits for PageSize rows "
              "until its fetch timeout (12 s) before answering what it has: a page past the end "
              "(Page > TotalPages, an empty extract's page 1 too) is answered, empty and right, "
              "12 s after the request, past the hub's 10 s; pages with residents are answered at "
              "once [docs/notices.md: a page past the end is a normal answer — a receiver that "
              "asks once more must not see an error; README: [[providers]] timeout, 10 s; "
              "docs/faults.md PF-PROVIDER-TIMEOUT]"),
    "sent-at-bumped-to-stay-unique": (
        4, BOTH, "the reply's SentAt is also the key of the vendor's 送信記録, unique to the "
                 "second: an answer in a second already used is stamped one second after the "
                 "last stamp — a burst of answers runs ahead of the clock by as many seconds as it "
                 "has answers beyond one a second, and stays ahead while they come faster; one "
                 "answer a second or slower is right [README: SentAt is the moment the answer is "
                 "sent, read from the system's clock in JST; the suite judges it within 120 s of "
                 "its clock and advancing as it does]"),
    "answers-held-until-request-sent-at": (
        4, BOTH, "the vendor's message layer takes SentAt for a 'not before' delivery time (JMS "
                 "2.0's delivery delay): a request or notice stamped ahead of the product's "
                 "clock — within the hub's clock_skew — is held in its queue until its SentAt "
                 "and answered then, up to 300 s late, past the hub's 10 s; messages stamped now "
                 "or earlier are answered at once [README: a request's SentAt up to clock_skew "
                 "(300 s) ahead of the system's clock is answered as any other; docs/notices.md: "
                 "a notice at most clock_skew ahead is applied and receipted like any other]"),
    # 5 — durability: receipts before storing, a restart
    "removed-resident-corrections-applied-after-receipt": (
        5, S, "a 修正 (C..) of a resident whose 住民状態 is not 1 (a 転出者's or a 死亡者's 除票 "
              "corrected) goes to the vendor's 除票 module, which writes it half a second after "
              "the receipt was sent: a kill in between loses a change receipted applied; 修正 of "
              "住民 and every 記載 and 消除 are stored before their receipt [docs/notices.md: a "
              "receipt means stored durably; a 修正 with 住民状態 2, 3 or 4 is applied like any "
              "other; docs/adapter-sdk.md: applied is answered only after the commit]"),
    "household-member-changes-applied-after-receipt": (
        5, S, "a change of a 世帯員 (cmn:Relationship other than 01 世帯主) is handed to the tax "
              "system's 扶養 worker, which writes it with the household's 扶養 half a second after "
              "the receipt was sent: a kill in between loses a change receipted applied; changes "
              "of 世帯主 are stored before their receipt [docs/notices.md: a receipt means stored "
              "durably; docs/adapter-sdk.md: applied is answered only after the commit]"),
    "seen-ids-restored-as-high-water-mark": (
        5, S, "the start script's recovery restores the inbox as its largest MessageId (its own "
              "publisher's IDs are time-ordered) and takes every MessageId at or below it for "
              "one received: after a restart a new notice whose MessageId sorts below the "
              "largest one received before is receipted duplicate and never applied; before a "
              "restart, and above the mark, duplicates are judged right [docs/notices.md: a "
              "MessageId seen before is a duplicate — its whole key, not its order; header-v1.xsd "
              "MessageId: a UUID; a start-up applies or loses nothing]"),
}


FORTYFIFTH_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (19/25 on 756cac1)
    "finding-path-positions-on-every-step": "provider, subscriber",
    "chunk-size-lowercase-hex-only": "provider",
    "individual-number-inquiries-unit-allow-list": "provider",
    "request-id-resolved-as-extract-id": "provider",
    "removed-resident-corrections-applied-after-receipt": "subscriber",
}


# --- the HTTP front end (__main__.py) -----------------------------------------------------------

def size_line_read(line: bytes, defect: str | None) -> bytes:
    """chunk-size-lowercase-hex-only: a chunk-size line whose size holds a capital hex digit is
    refused by the decoder's digit table (BadChunk: a bare 400)."""
    if defect == "chunk-size-lowercase-hex-only" and \
            _CAPITAL_HEX.search(line.split(b";")[0].strip()):
        raise BadChunk(line)
    return line


# --- helpers --------------------------------------------------------------------------------------

def capital_x_references(body: bytes) -> bytes:
    """nonbmp-references-capital-x: each character beyond the BMP (four UTF-8 bytes) written as
    '&#X…;'."""
    return _FOUR_BYTES.sub(lambda m: f"&#X{ord(m[0].decode()):X};".encode(), body)


def step_with_position(el) -> str:
    """finding-path-positions-on-every-step: one step of the DOM library's XPath, its position
    among the siblings of its name always written."""
    local = el.tag.split("}")[-1]
    name = f"{el.prefix}:{local}" if el.prefix else local
    parent = el.getparent()
    position = 1 if parent is None else [c for c in parent if c.tag == el.tag].index(el) + 1
    return f"{name}[{position}]"


def path_with_positions(el) -> str:
    """finding-path-positions-on-every-step: the element's whole path, every step positioned."""
    steps = [step_with_position(a) for a in reversed(list(el.iterancestors()))]
    return "/" + "/".join([*steps, step_with_position(el)])


def rule_elements(body, codes: dict) -> list:
    """The elements of the rules beyond XSD a body breaks, in the order Adapter._rules finds
    them (宛名番号, 個人番号, then each code list)."""
    out = [el for el in body.iter(f"{{{CMN}}}AddresseeNumber", f"{{{JUKI}}}AddresseeNumber")
           if not m11_ok(el.text or "0")]
    out += [el for el in body.iter(f"{{{CMN}}}IndividualNumber", f"{{{JUKI}}}IndividualNumber")
            if not mynumber_ok(el.text or "0" * 12)]
    for local, listname in CODELISTS.items():
        out += [el for el in body.iter(f"{{{CMN}}}{local}") if el.text not in codes[listname]]
    return out


def wrapped_offset(offset: int) -> int:
    """page-offset-int32-overflow: the offset cast to a 32-bit int; a negative one read as 0."""
    if offset < INT32:
        return offset
    return max(0, (offset + INT32) % (2 * INT32) - INT32)


def bumped(now: dt.datetime, last: dt.datetime | None) -> dt.datetime:
    """sent-at-bumped-to-stay-unique: the stamp of an answer — its second, or one second after
    the last stamp when that second is used already."""
    second = now.astimezone(JST).replace(microsecond=0)
    return second if last is None or second > last else last + dt.timedelta(seconds=1)


def seconds_ahead(sent_at: str | None, now: dt.datetime) -> float:
    """answers-held-until-request-sent-at: how far the message's SentAt lies ahead of ``now``
    (0 when it does not, or cannot be read)."""
    try:
        stamp = dt.datetime.fromisoformat((sent_at or "").strip())
    except ValueError:
        return 0.0
    if stamp.tzinfo is None:
        return 0.0
    return max(0.0, (stamp - now).total_seconds())


class FortyfifthBatch(FortyfifthStore):
    """Mixed into Adapter: the forty-fifth batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    codes: dict
    fortyfifth: dict

    def _fortyfifth_mine(self) -> bool:
        return self.defect in FORTYFIFTH_DEFECTS and \
            self.role in FORTYFIFTH_DEFECTS[self.defect or ""][1]

    def _fortyfifth_is(self, name: str) -> bool:
        return self.defect == name and self._fortyfifth_mine()

    # --- the request --------------------------------------------------------------------------

    def _fortyfifth_request(self, body) -> None:
        """Each request's own state: its body (for the fault writer), no RequestId reused yet."""
        _REQUEST.body, _REQUEST.reused = body, False

    def _fortyfifth_checks(self, header, body, mid) -> None:
        if self._fortyfifth_is("answers-held-until-request-sent-at"):
            ahead = seconds_ahead(header.findtext(f"{{{PFH}}}SentAt"), dt.datetime.now(JST))
            if ahead > 0:
                time.sleep(min(ahead, HOLD_CAP))  # held in the queue until its SentAt
        if self._fortyfifth_is("individual-number-inquiries-unit-allow-list") and \
                body.find(f"{{{JUKI}}}IndividualNumber") is not None:
            unit = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}BusinessUnit")
            if unit not in MYNUMBER_UNITS:
                raise Refusal("VENDOR-MYNUMBER-ACCESS", "client",
                              "this 業務ユニット may not use 個人番号",
                              [("vendor:mynumber_access", f"業務ユニット {unit}")], mid)
        if self.role == "subscriber":
            self._fortyfifth_notice_checks(body, mid)

    # --- the provider ----------------------------------------------------------------------------

    def _fortyfifth_extract_id(self, extract_id: str | None, extracts: dict,
                               requests: dict) -> str | None:
        """request-id-resolved-as-extract-id: an ExtractId not given looked up among the
        RequestIds of the one table of ids."""
        if self._fortyfifth_is("request-id-resolved-as-extract-id") and extract_id and \
                extract_id not in extracts:
            return next((v for k, v in requests.items() if k[1] == extract_id), extract_id)
        return extract_id

    def _fortyfifth_request_reused(self, extract_id: str | None) -> None:
        _REQUEST.reused = extract_id is not None  # a retried first request (its RequestId)

    def _fortyfifth_totals(self, pages: int, count: int) -> tuple[int, int]:
        if self._fortyfifth_is("retried-first-request-totals-of-head-row") and \
                getattr(_REQUEST, "reused", False):
            return 0, 0  # the transfer row's head, written before the count
        return pages, count

    def _fortyfifth_page(self, page: int, pages: int) -> None:
        if self._fortyfifth_is("past-end-page-answered-late") and page > pages:
            time.sleep(LATE)  # the cursor's fetch timeout: no row comes

    def _fortyfifth_slice(self, start: int, end: int) -> tuple[int, int]:
        if self._fortyfifth_is("page-offset-int32-overflow") and start >= INT32:
            first = wrapped_offset(start)
            return first, first + (end - start)
        return start, end

    # --- the answer ----------------------------------------------------------------------------

    def _fortyfifth_now(self) -> str | None:
        if not self._fortyfifth_is("sent-at-bumped-to-stay-unique"):
            return None
        with _CLOCK:
            stamp = bumped(dt.datetime.now(JST), self.fortyfifth.get("last_sent"))
            self.fortyfifth["last_sent"] = stamp
        return stamp.isoformat(timespec="seconds")

    def _fortyfifth_soap(self, soap: str, response) -> str:
        return self._fortyfifth_receipt_soap(soap, response)

    def _fortyfifth_answer_bytes(self, body: bytes) -> bytes:
        if self._fortyfifth_is("nonbmp-references-capital-x"):
            return capital_x_references(body)
        return body

    # --- faults ---------------------------------------------------------------------------------

    def _fortyfifth_fault_soap(self, soap: str, refusal: Refusal) -> str:
        if self._fortyfifth_is("malformed-soap12-fault-in-soap11-envelope") and \
                soap == SOAP12 and any(rule == "xml:well-formed" for rule, _ in refusal.findings):
            return SOAP11  # the generic error writer's one envelope
        return soap

    def _fortyfifth_fault_status(self, soap: str, refusal: Refusal, status: int) -> int:
        if self._fortyfifth_is("version-mismatch-soap12-status-from-code-table") and \
                soap == SOAP12 and refusal.soap_code == "VersionMismatch":
            return 400  # PF-SOAP-ENVELOPE's row of the table
        return status

    def _fortyfifth_fault(self, detail, refusal: Refusal) -> None:
        body = getattr(_REQUEST, "body", None)
        if not self._fortyfifth_is("finding-path-positions-on-every-step") or body is None or \
                refusal.code != "PF-RULE-VIOLATION":
            return
        findings = detail.findall(f"{{{PFF}}}Finding")
        for finding, el in zip(findings, rule_elements(body, self.codes), strict=False):
            path = finding.makeelement(f"{{{PFF}}}Path")
            path.text = path_with_positions(el)
            line = finding.makeelement(f"{{{PFF}}}Line")
            line.text = str(el.sourceline)
            finding.insert(1, path)
            finding.insert(2, line)


__all__ = ["FORTYFIFTH_DEFECTS", "FORTYFIFTH_MEASURED_MISSES", "FortyfifthBatch", "HOLD_CAP",
           "INT32", "LATE", "MYNUMBER_UNITS", "bumped", "capital_x_references",
           "path_with_positions", "rule_elements", "seconds_ahead", "size_line_read",
           "step_with_position", "wrapped_offset"]
