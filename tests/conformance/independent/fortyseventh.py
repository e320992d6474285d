"""The forty-seventh blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/security.md, docs/glossary.md, the XSDs, the
code lists, the MJ table under schemas/characters, ../shared/docs/platform.md, and the
standards: SOAP 1.1/1.2, XML 1.0, XML Schema Part 2, HTTP/1.1 (RFC 9110/9112), Unicode) and
this independent adapter's code, by a helper engineer (session b47) who has not read the
suite, and committed before the suite was run on it. None repeats a defect of the earlier
batches (seventh … forty-sixth, and variants.py's DEFECTS), whose names and descriptions
were searched for each candidate to stay clear of them (some twenty candidates were dropped
on finding them there: a SOAP 1.2 AsOf dropped, a RequestId under 8 characters ignored, a
UTF-16 notice read as UCS-2, an address part beyond the BMP, a 記載 of a held resident, a
household member listed twice, …); none is a behaviour those documents permit or leave open
(two more were dropped for that: a 消除 of a resident never held, which docs/notices.md leaves
unjudged, and a WS-Addressing block processed and faulted, which SOAP lets an ultimate
receiver do). Most are combinations of two inputs a suite may well send apart (a rule
finding × a message whose XML declaration stands on a line of its own, a Host field × no
port, a persistent connection × a second request, UTF-16 × the time limit, a bad check digit
× a 基準日, a 個人番号 key × the 宛名番号 answered, a first 全件 request × a page past the end, a retried
first request × IVS, a 基準日 × half-width katakana, a 個人番号 key × compatibility ideographs, a
個人番号 key × a 基準日 × the time limit, a RequestId × the time limit, SOAP 1.2 × an older change,
a Receiver × the subscriber's own 業務ユニット, a 縮退 pair × the planes beyond the BMP, a held
resident × compatibility ideographs, a redelivery × the time limit, a 住民票コード, a 記録年月日 or a
丁目 × a kill, SOAP 1.2 × a restart). No variant reads the hour or the date.
``FortyseventhBatch`` is mixed into ``Adapter``; its ``_fortyseventh_*`` hooks are called where
each defect lives and change nothing when no defect of this batch is selected. The subscriber's
hooks are in fortyseventh_store.py; the HTTP front end's (the Host field, a persistent connection)
are module functions __main__.py calls.

The worktree was made with `git worktree add` from main's HEAD (029be47); no commit subject, log or
diff was read (its hash with `git rev-parse --short HEAD` only). The batch's test uses
tests/conformance/variant_transcripts.py's helpers as the earlier batches' tests do (that file,
tests/conformance/conftest.py and test_independent_fortysixth_batch.py were read). To stay clear
of earlier defects, the names and descriptions of variants.py's DEFECTS and of every batch in
BATCHES_APART were dumped to a file and searched by keyword for each candidate.

Committed as 401ed71 (on branch b47; the batch as first committed, 419609d, differed only in the
wording of six requirements), then merged with main's d65d85e — the commit the other engineer
named in /tmp/b47_go, which holds the newest suite — without conflict (git printed its diffstat's
last lines: names of test files, not read further), as 6e0bbef. Measured blind on that suite
(`PYTHONPATH=. timeout 2400 python -m tests.conformance.independent_runs FORTYSEVENTH_BATCH`,
2026-12-07 23:31:11Z to 2026-12-08 00:11:11Z — 08:31:11 to 09:11:11 JST —, 1-minute load 0.68 at
the start, 0.20 at the end): the run hit its 40-minute timeout with 15 of the 25 runs reported
(the tool prints in order, and the subscriber run of persistent-connection-later-requests-late,
whose every second request on a connection waits 12 s, held the rest back). The 10 runs it never
reported were then measured by a second invocation of the same function on them alone (a
throw-away script setting a batch of those names on the imported variants module and calling
independent_runs.measure, nothing in the repository changed, no variant changed; a first attempt
died at once in its process pool, 00:11:41Z, before any run, for want of a __main__ guard),
00:11:48Z to 00:56:48Z (09:11:48 to 09:56:48 JST, load 0.25 at the start, 0.00 at the end),
which also hit its timeout (2700 s) after reporting 4: duplicate-notice-answered-late, whose
every redelivery waits 12 s, held the others back. So 19 of the 25 runs are measured, 6 are not:
18/19 = 94.7 % of the runs measured; of the batch, 18/25 = 72.0 % at least, 24/25 at most.
Per class (measured): 1 (one message shape) 4/5, 2 (inputs rarely sent) 4/4, 3 (characters)
5/5, 4 (time) 1/1 (6 unmeasured), 5 (durability) 4/4. Per role: provider 8/9 (3 unmeasured),
subscriber 10/10 (3 unmeasured). No variant failed to start, and every catch comes from the
variant's own defect (the findings quote what it answers wrong or too late); no variant reads the
hour: finding-line-counted-from-envelope (provider, subscriber) by P-FAULT-02 on
juki.ResidentInquiry and on juki.ResidentChangeNotice ("the Finding of addressee_number names
line 1, before line 2, where …/juki:ResidentInquiryRequest/juki:AddresseeNumb[er begins]" / "the
Finding of codelist:change_reason names line 1, before line 2, where …/juki:Event/cmn:Reason
begins"); by-individual-number-addressee-number-unpadded by J-INQ-03 ("juki:Resident/
cmn:AddresseeNumber is '10022', expected '0000010022'"); soap12-notices-stale-check-skipped by
S-GRID-01 ("[異動連番 #11: 100 → 99; 宛名番号 4199684316] observed 4199684316: name is
'𠮷田花子二〇' …", the older change's name); host-field-without-port-refused (provider,
subscriber) by P-WIRE-01 on its HTTP/1.0 step ("http-1.0 SOAP 1.1 (RFC 9112 2.3, 3.2 (an HTTP/1.0
request, Host optional); RFC 9110 6.2): HTTP 400 …") — a request with no Host at all, which the
variant's split fails on as on a Host without a port; first-request-past-end-snapshot-not-kept by
J-GRID-03 ("[a first request past the end with a RequestId, then that first request retried for
page 1; PageSize 4, TotalCount 11] request 2 (first reques[t …]", cut by the reader);
notice-addressed-to-own-unit-accepted by S-ADDR-01 step[5] ("HTTP 200: an answer
(…NoticeReceipt), expected a SOAP Fault"); retried-first-request-names-ivs-stripped by J-GRID-03
("[a first request retried for another page: 1, 2, then the first request again for page 2 and
for page 1; PageSize 4, TotalCount 11] request 3 …", cut); dated-answers-half-width-kana-widened
by J-GRID-01 ("[個人番号 890123456780, 基準日 2024-05-01 (BecameResidentOn), SOAP 1.1] Resident:
cmn:Name/cmn:Text is '神谷マリア', the test data says '神谷ﾏﾘｱ'"); by-individual-number-names-nfc
by J-GRID-01 ("[個人番号 890123456780, SOAP 1.1] Resident: cmn:Name/cmn:Text is
'神谷ﾏﾘｱ', the test data says '神谷ﾏﾘｱ'": two names alike to the eye, 神 U+795E against
U+FA19); shrunk-name-length-compared-in-utf16-units by
S-GRID-01 ("[characters #101: 神 U+FA19 (NFC: U+795E) in Original, FormerSurname, Town, Banchi,
Katagaki; 宛名番号 5423484162] notice 1 (SOAP 1.2): HTTP …", cut) — a pair its length check
refused, by the rest of the finding not one beyond the BMP: the check refuses any Text and
Original of unequal length, which the description's examples did not say; held-resident-
updates-nfc by S-CHR-15 ("[同値の修正 #6: NFC: a compatibility ideograph (神 U+FA19 / U+795E):
'田中神花子' corrected to '田中神花子' …] observed …: name is '田中神…", cut);
persistent-connection-later-requests-late (provider) by P-BEH-04 on juki.ResidentInquiry ("no
complete answer within 10 s"); resident-code-changes-applied-after-receipt by S-IDCHG-01 ("[識別子
#1: a resident per 異動事由 (26 …): its 転入, then under its 異動事由 a new 住民票コード, …", cut);
recorded-on-changes-applied-after-receipt by S-OPT-01 ("[optional #1: cmn:ChangeEventType: each
of cmn:NotifiedOn, cmn:RecordedOn absent alone and present alone …", cut);
chome-changes-applied-after-receipt by S-ONCE-01 ("step[2]: pfr:Status is 'applied', expected
'duplicate'": a redelivery right after the receipt, before the worker wrote the change);
seen-ids-of-soap12-notices-in-memory by S-GRID-01 ("[resend #27: SOAP 1.1, then the same
MessageId over SOAP 1.2 …] notice 2 (notice 1 again, SOAP 1.2): Status is 'applied'") — without a
restart: the SOAP 1.2 endpoint looks a MessageId up in its own set only, so a notice first
received over SOAP 1.1 is new to it, which the description (right "without a restart") did not
say.
Not measured (FORTYSEVENTH_UNMEASURED; both invocations timed out before reporting them):
persistent-connection-later-requests-late (subscriber), utf16-messages-transcoded-late (provider,
subscriber), dated-individual-number-inquiry-late, first-request-with-request-id-late,
duplicate-notice-answered-late.
Disclosure: the measurements' output (the 15 lines of the first, the 4 of the second: every
variant's first catching case with its finding, cut at about 400 to 600 characters by the reader,
the miss; neither printed a score, both being killed; the tracebacks of the second and third
invocations' ends and a resource-tracker warning were skipped, not studied) was read whole;
nothing else of the suite was read on purpose. A `ps` listing during the runs showed the
database paths of the variants then running (their names only). The first 600 characters of
tests/conformance/independent/caught_by.json were printed once (earlier batches' variants and the
names of the cases that catch them) while looking for what the batch needed to register; nothing
else of it was read. Of independent_runs.py its docstring's first lines (how a batch is measured,
`--pinpoint`) and a grep of measure()'s lines resolving the batch were read, to write the second
invocation. Before the measurement the batch's own test file was run in two parts (48 passed;
after the merge 47, its 25 s process test left out) and
tests/conformance/test_conformance_independent.py -k "not slow" once (10 passed; only its count
line read). Missed (FORTYSEVENTH_MEASURED_MISSES; no variant was changed after the measurement),
with why the suite did not see it as far as the documents and the output tell:
- dated-inquiry-key-unchecked (provider): the key is checked wherever the inquiry has no 基準日;
  the suite apparently sends its bad check digits (P-FAULT-02, the 宛名番号 and 個人番号 rules) in
  inquiries without juki:AsOf, and its dated inquiries (J-GRID-01) with valid keys only.

Afterwards (by the suite's author, who had written round 47a meanwhile from the miss above): the
six runs of FORTYSEVENTH_UNMEASURED measured by ``independent_runs.first_failure`` on a tree of
e1b2c86 merged with this batch (775b2c2) — d65d85e's suite plus only the runner's change that
ends a run told to stop at its first failure at the first answer past the time limit (INV-BEH-04
judged then instead of after every other case; what is detected is unchanged) and a hub test —,
2026-12-08 00:59:09Z to 01:00:02Z, two at a time, load 0.20 at the start: 6/6 caught, each by
INV-BEH-04 ("answered in 12.00 s, the limit is 10 s": persistent-connection-later-requests-late
on P-MSG-01's notice, utf16-messages-transcoded-late on P-ENC-01 in both roles,
dated-individual-number-inquiry-late on J-INQ-09, first-request-with-request-id-late on J-FULL-04,
duplicate-notice-answered-late on S-ONCE-01's resend). The batch then stands at 24/25 = 96.0 %.
"""

from __future__ import annotations

import re
import time
import unicodedata

from . import fortyseventh_store as _store
from .fortyfifth import rule_elements
from .fortysixth import bad_request_after_body
from .fortyseventh_store import REQUEST, FortyseventhStore, without_selectors
from .standard import CMN, JUKI, PFF, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")
_DIGIT_RULES = {"addressee_number", "individual_number"}

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
FORTYSEVENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape only
    "finding-line-counted-from-envelope": (
        1, BOTH, "each rule finding (a check digit, a code list) carries the pff:Line the "
                 "vendor's SAX locator reports, which it resets at the root element: lines are "
                 "counted from the soap:Envelope's start tag, not from the message's first line — "
                 "right for a message on one line, one too few for every element of a message "
                 "whose XML declaration (or a comment) stands on a line of its own before the "
                 "Envelope [docs/faults.md: a finding's Line is its line in the message as "
                 "received, counted from 1, never before the line the element begins on]"),
    "dated-inquiry-key-unchecked": (
        1, P, "an inquiry with a 基準日 (juki:AsOf) goes to the vendor's 住民履歴 query, which "
              "was added after the key checks and bypasses them: a 宛名番号 or 個人番号 whose "
              "check digit is wrong is answered not-found instead of PF-RULE-VIOLATION; "
              "inquiries without AsOf are checked [docs/faults.md: PF-RULE-VIOLATION — a rule "
              "beyond XSD: check digit (addressee_number, individual_number), party client]"),
    "by-individual-number-addressee-number-unpadded": (
        1, P, "an inquiry by 個人番号 reads the resident's 宛名番号 from the vendor's 番号連携 "
              "table, whose column is NUMBER: the answered juki:Resident's cmn:AddresseeNumber "
              "loses its leading zeros (0000010014 answered 10014, another resident's key); the "
              "members' and answers by 宛名番号 are right [common-v1.xsd ResidentType: "
              "AddresseeNumber is the resident's 宛名番号 (AddresseeNumberType: a string of "
              "digits, its leading zeros part of it); juki-v1.xsd ResidentInquiryResponse: the "
              "resident]"),
    "soap12-notices-stale-check-skipped": (
        1, S, "the SOAP 1.2 notice endpoint (the vendor's newer stack) maps each change to an "
              "UPSERT without reading the resident's last 異動連番: an older change delivered "
              "over SOAP 1.2 after a newer one overwrites it (and records the older 異動連番); "
              "SOAP 1.1 notices are judged right [docs/notices.md: a change is applied exactly "
              "when its 異動連番 is greater than the last one applied to that resident, by an "
              "earlier notice or earlier in the same notice — one below it is kept out; README: "
              "both SOAP versions are served]"),
    # 2 — inputs a suite may rarely send
    "host-field-without-port-refused": (
        2, BOTH, "the front end takes the port for its endpoint URL from the Host field with "
                 "host.split(':')[1]: a request or notice whose Host has no port (Host: "
                 "indie.example, as a reverse proxy or a client on the default port writes it) "
                 "or is an IPv6 literal is answered 400 Bad Request in text/plain before its "
                 "body is read; a Host with a port is right [RFC 9110 §7.2: Host = uri-host "
                 "[\":\" port], the port optional; RFC 9112 §3.2: a server responds 400 to a "
                 "missing, repeated or invalid Host, not to a valid one]"),
    "first-request-past-end-snapshot-not-kept": (
        2, P, "the vendor writes a snapshot's head together with the first page's rows, and a "
              "first 全件 request for a page past the end (Page > TotalPages ≥ 1, no ExtractId) "
              "has none: its answer (right) names an ExtractId that is never stored, so every "
              "later request naming it is refused PF-EXTRACT-UNKNOWN; first requests within the "
              "extract are right [docs/notices.md: a page past the end is a normal answer; every "
              "page of an extract stays readable at least 6 hours after the last request that "
              "named it, its first request included]"),
    "notice-addressed-to-own-unit-accepted": (
        2, S, "the subscriber's receiver check takes (its 団体コード, the notice service's "
              "業務ユニット, hub) and also (its 団体コード, its own 業務ユニット, hub) — the "
              "vendor's template compared the BusinessUnit with either: a notice addressed to "
              "another 業務ユニット's hub (07, the subscriber's own) is applied and receipted "
              "[docs/notices.md: a subscriber accepts a notice only when its Receiver is (its own "
              "団体コード, the notice service's 業務ユニット, hub) and refuses any other — another "
              "業務ユニット's hub — with PF-PROVIDER-MISROUTED, header:receiver]"),
    # 3 — characters
    "retried-first-request-names-ivs-stripped": (
        3, P, "a first 全件 request retried with the same RequestId is answered from the "
              "transfer table's copy of the page, whose name columns were written without IVS "
              "selectors: 渡邉󠄟俞󠄀子 is answered 渡邉俞子, 葛󠄂西 葛西; the first answer and later "
              "pages are right [docs/notices.md: a retried first request is answered from the "
              "same snapshot; docs/characters.md: the selector belongs to its base, names are "
              "UCS plus Moji_Joho IVS selectors, never changed]"),
    "dated-answers-half-width-kana-widened": (
        3, P, "an inquiry with a 基準日 is answered from the 住民履歴 table, which the vendor's "
              "history loader filled through its 全角化 routine: half-width katakana in the "
              "answer's names (the resident's, the household's) are widened, 神谷ﾏﾘｱ answered "
              "神谷マリア; inquiries without AsOf are right [docs/characters.md: a registered "
              "name reaches every system exactly as registered, never normalised — nothing "
              "anywhere applies NFC/NFKC; juki-v1.xsd AsOf: the resident as it was then]"),
    "by-individual-number-names-nfc": (
        3, P, "an inquiry by 個人番号 is answered through the vendor's マイナンバー連携 module, "
              "whose XML binder NFC-normalises every text it writes: a CJK compatibility "
              "ideograph in the answer's names (神 U+FA19, 﨓 U+FA1B, 﨤 U+FA26) is answered as "
              "its unified ideograph; answers by 宛名番号 are right [docs/characters.md: nothing "
              "anywhere applies NFC/NFKC — normalisation would fold compatibility ideographs, "
              "and a registered name depends on the exact glyph]"),
    "shrunk-name-length-compared-in-utf16-units": (
        3, S, "the vendor checks that a 縮退 replaces character for character, comparing the "
              "lengths of cmn:Text and cmn:Original (selectors dropped) in UTF-16 code units: a "
              "name whose Original holds a character beyond the BMP (Text 吉田花子, Original "
              "𠮷田花子) is refused VENDOR-NAME (client), redelivered until dead; pairs within "
              "the BMP or differing by IVS only (高橋/髙橋, 葛西/葛󠄂西) are right "
              "[docs/characters.md: a system that cannot store MJ gets a 縮退 with the "
              "registered name kept beside it, 𠮷 U+20BB7 an MJ character; docs/notices.md: a "
              "valid notice is applied, a name with Original or without]"),
    "held-resident-updates-nfc": (
        3, S, "a change of a resident the subscriber holds is written by the vendor's UPDATE "
              "path, whose ORM string type normalises to NFC: a compatibility ideograph in the "
              "name of a second or later change (神 U+FA19, 﨑 stays) is stored as its unified "
              "ideograph (神 U+795E); a resident's first change (the INSERT path) is stored as "
              "sent [docs/characters.md: nothing anywhere applies NFC/NFKC; docs/notices.md: "
              "every value is stored as sent, the resident's state is the change's]"),
    # 4 — time: the time limit
    "persistent-connection-later-requests-late": (
        4, BOTH, "the front end hands a connection back to its worker pool after each answer "
                 "and reads the next request on it only after the pool's 12 s idle poll: the "
                 "second and later requests or notices on one persistent connection (HTTP/1.1's "
                 "default) are answered, right, 12 s late, past the hub's 10 s; the first "
                 "request of each connection is answered at once [RFC 9112 §9.3: HTTP/1.1 "
                 "connections are persistent unless closed; README: [[providers]] timeout, "
                 "10 s; docs/faults.md: PF-PROVIDER-TIMEOUT is the provider's]"),
    "utf16-messages-transcoded-late": (
        4, BOTH, "a request or notice in UTF-16 (a byte order mark, UTF-16 without one, or a "
                 "charset=utf-16 Content-Type) is sent through the vendor's transcoding "
                 "gateway, which answers, right, after its 12 s batch interval, past the hub's "
                 "10 s; UTF-8 messages are answered at once [README, Encodings: UTF-16 with its "
                 "byte order mark is read (WS-I BP R1012); [[providers]] timeout, 10 s; "
                 "docs/faults.md: PF-PROVIDER-TIMEOUT]"),
    "dated-individual-number-inquiry-late": (
        4, P, "an inquiry by 個人番号 with a 基準日 is looked up in the 番号履歴 archive over a "
              "linked server, which answers after its 12 s timeout: such inquiries are answered, "
              "right, past the hub's 10 s; by 個人番号 without AsOf and by 宛名番号 with or "
              "without are answered at once [juki-v1.xsd: AddresseeNumber or IndividualNumber, "
              "AsOf optional on either; README: [[providers]] timeout, 10 s; docs/faults.md: "
              "PF-PROVIDER-TIMEOUT is the provider's]"),
    "first-request-with-request-id-late": (
        4, P, "a first 全件 request carrying a RequestId (a first request or its retry) inserts "
              "the transfer's row under a table lock the snapshot builder holds until its 12 s "
              "commit interval: it is answered, right, past the hub's 10 s; first requests "
              "without a RequestId and later pages are answered at once [juki-v1.xsd: RequestId "
              "optional on a first request, the SDK sends one per transfer; README: "
              "[[providers]] timeout, 10 s; docs/faults.md: PF-PROVIDER-TIMEOUT]"),
    "duplicate-notice-answered-late": (
        4, S, "a notice whose MessageId was received before is answered duplicate only after "
              "the vendor's duplicate report is written to its audit share, whose lock wait is "
              "12 s: every redelivery is receipted, right, past the hub's 10 s, so the hub "
              "retries it until dead; new notices are answered at once [docs/notices.md: a "
              "notice delivered again is a duplicate, receipted; README: [[providers]] timeout, "
              "10 s]"),
    # 5 — durability: receipts before storing, state kept in memory
    "resident-code-changes-applied-after-receipt": (
        5, S, "a change carrying a 住民票コード (cmn:ResidentCode, optional) goes to the vendor's "
              "住基ネット照合 module, which writes the change half a second after the receipt was "
              "sent: a kill in between loses a change receipted applied; changes without one are "
              "stored before their receipt [docs/notices.md: a receipt means stored durably, an "
              "optional element is never a reason to treat a change otherwise; "
              "docs/adapter-sdk.md: applied is answered only after the commit]"),
    "recorded-on-changes-applied-after-receipt": (
        5, S, "a change whose event carries a 記録年月日 (cmn:RecordedOn, optional) goes to the "
              "vendor's 遡及 module, which writes it half a second after the receipt was sent: a "
              "kill in between loses a change receipted applied; changes without one are stored "
              "before their receipt [docs/notices.md: a receipt means stored durably, a valid "
              "change is applied whichever optional elements of its types it carries; "
              "docs/adapter-sdk.md: applied is answered only after the commit]"),
    "chome-changes-applied-after-receipt": (
        5, S, "a change whose address carries a 丁目 (cmn:Chome, optional) goes to the vendor's "
              "住所辞書 matcher, which writes it half a second after the receipt was sent: a kill "
              "in between loses a change receipted applied; changes without one are stored "
              "before their receipt [docs/notices.md: a receipt means stored durably, the "
              "optional address parts (Chome among them) present or absent; "
              "docs/adapter-sdk.md: applied is answered only after the commit]"),
    "seen-ids-of-soap12-notices-in-memory": (
        5, S, "the SOAP 1.2 notice endpoint keeps the MessageIds it received in its own "
              "in-memory set (the SOAP 1.1 endpoint's are stored with the changes): after a "
              "restart a SOAP 1.2 notice delivered again is taken for a new one — receipted "
              "applied, not duplicate (its changes, judged again, kept out by their 異動連番); "
              "without a restart, and SOAP 1.1 notices, are right [docs/notices.md: seen "
              "MessageIds survive a restart, all of them; a notice's MessageId is its whole key, "
              "whatever its SOAP version]"),
}


FORTYSEVENTH_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (18/19 measured runs)
    "dated-inquiry-key-unchecked": "provider",
}
# name → the roles the measurement never reported (both invocations timed out before them)
FORTYSEVENTH_UNMEASURED: dict[str, str] = {
    "persistent-connection-later-requests-late": "subscriber",
    "utf16-messages-transcoded-late": "provider, subscriber",
    "dated-individual-number-inquiry-late": "provider",
    "first-request-with-request-id-late": "provider",
    "duplicate-notice-answered-late": "subscriber",
}


# --- the HTTP front end (__main__.py) -----------------------------------------------------------

def port_of(host: str | None) -> int | None:
    """host-field-without-port-refused: the port as the vendor reads it (None: it fails)."""
    parts = (host or "").split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def host_refused(handler, defect: str | None) -> bool:
    """host-field-without-port-refused: the front end's 400 to a Host field it cannot split
    (True: answered). The body is read first, so that the answer is not lost to a reset."""
    if defect != "host-field-without-port-refused" or \
            port_of(handler.headers.get("Host")) is not None:
        return False
    bad_request_after_body(handler)
    return True


def later_request_late(handler, defect: str | None) -> None:
    """persistent-connection-later-requests-late: the second and later requests of a
    connection wait for the pool's idle poll (one handler object serves one connection)."""
    handler.fortyseventh_requests = getattr(handler, "fortyseventh_requests", 0) + 1
    if defect == "persistent-connection-later-requests-late" and \
            handler.fortyseventh_requests > 1:
        time.sleep(_store.LATE)


# --- helpers --------------------------------------------------------------------------------------

def utf16_message(raw: bytes, content_type: str) -> bool:
    """utf16-messages-transcoded-late: a message in UTF-16 (a byte order mark, UTF-16 without
    one, or a charset naming UTF-16)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or raw[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return True
    return any(p.strip().lower().replace('"', "").startswith("charset=utf-16")
               for p in content_type.split(";")[1:])


def envelope_line(el) -> int:
    """finding-line-counted-from-envelope: ``el``'s line counted from the root's start tag."""
    return el.sourceline - el.getroottree().getroot().sourceline + 1


def widened(text: str) -> str:
    """dated-answers-half-width-kana-widened: half-width katakana made full-width."""
    return _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)


def unpadded(number: str) -> str:
    """by-individual-number-addressee-number-unpadded: a NUMBER column's value."""
    return str(int(number)) if number.isdigit() else number


def _texts(el):
    return el.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original")


class FortyseventhBatch(FortyseventhStore):
    """Mixed into Adapter: the forty-seventh batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    codes: dict
    extracts: dict
    extract_requests: dict

    def _fortyseventh_mine(self) -> bool:
        return self.defect in FORTYSEVENTH_DEFECTS and \
            self.role in FORTYSEVENTH_DEFECTS[self.defect or ""][1]

    def _fortyseventh_is(self, name: str) -> bool:
        return self.defect == name and self._fortyseventh_mine()

    # --- HTTP in ----------------------------------------------------------------------------------

    def _fortyseventh_http(self, raw: bytes, content_type: str) -> None:
        if self._fortyseventh_is("utf16-messages-transcoded-late") and \
                utf16_message(raw, content_type):
            time.sleep(_store.LATE)  # the transcoding gateway's batch interval

    # --- the request --------------------------------------------------------------------------

    def _fortyseventh_request(self, body, soap: str) -> None:
        """Each request's own state: its body, its SOAP version, no retry found yet."""
        REQUEST.body, REQUEST.soap, REQUEST.retried = body, soap, False

    def _fortyseventh_checks(self, header, body, mid) -> None:
        if self.role == "subscriber":
            self._fortyseventh_notice_checks(body, mid)

    def _fortyseventh_problems(self, body, problems: list) -> list:
        """dated-inquiry-key-unchecked: the 住民履歴 query skips the key checks."""
        if self._fortyseventh_is("dated-inquiry-key-unchecked") and \
                body.tag == f"{{{JUKI}}}ResidentInquiryRequest" and \
                body.find(f"{{{JUKI}}}AsOf") is not None:
            return [p for p in problems if p[0] not in _DIGIT_RULES]
        return problems

    # --- the provider ----------------------------------------------------------------------------

    def _fortyseventh_inquiry(self, body) -> None:
        if self._fortyseventh_is("dated-individual-number-inquiry-late") and \
                body.find(f"{{{JUKI}}}IndividualNumber") is not None and \
                body.find(f"{{{JUKI}}}AsOf") is not None:
            time.sleep(_store.LATE)  # the 番号履歴 archive's linked server

    def _fortyseventh_inquiry_answer(self, body, out) -> None:
        by_number = body.find(f"{{{JUKI}}}IndividualNumber") is not None
        if self._fortyseventh_is("by-individual-number-addressee-number-unpadded") and by_number:
            for el in out.iterfind(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber"):
                el.text = unpadded(el.text or "")
        if self._fortyseventh_is("by-individual-number-names-nfc") and by_number:
            for el in _texts(out):
                el.text = unicodedata.normalize("NFC", el.text or "")
        if self._fortyseventh_is("dated-answers-half-width-kana-widened") and \
                body.find(f"{{{JUKI}}}AsOf") is not None:
            for el in _texts(out):
                el.text = widened(el.text or "")

    def _fortyseventh_extract(self, body) -> None:
        if self._fortyseventh_is("first-request-with-request-id-late") and \
                body.find(f"{{{JUKI}}}ExtractId") is None and \
                body.find(f"{{{JUKI}}}RequestId") is not None:
            time.sleep(_store.LATE)  # the transfer table's lock

    def _fortyseventh_request_reused(self, extract_id: str | None) -> None:
        REQUEST.retried = extract_id is not None

    def _fortyseventh_past_end(self, body, extract_id: str, page: int, pages: int) -> None:
        """first-request-past-end-snapshot-not-kept: a first request past the end stores no
        head (its snapshot and RequestId forgotten)."""
        if self._fortyseventh_is("first-request-past-end-snapshot-not-kept") and \
                body.find(f"{{{JUKI}}}ExtractId") is None and page > pages >= 1:
            with self.lock:
                self.extracts.pop(extract_id, None)
                for key in [k for k, v in self.extract_requests.items() if v == extract_id]:
                    del self.extract_requests[key]

    def _fortyseventh_page(self, out):
        if self._fortyseventh_is("retried-first-request-names-ivs-stripped") and \
                getattr(REQUEST, "retried", False):
            for resident in out.iterfind(f"{{{JUKI}}}Resident"):
                for el in _texts(resident):
                    el.text = without_selectors(el.text or "")
        return out

    # --- faults ---------------------------------------------------------------------------------

    def _fortyseventh_fault(self, detail, refusal: Refusal) -> None:
        body = getattr(REQUEST, "body", None)
        if not self._fortyseventh_is("finding-line-counted-from-envelope") or \
                body is None or refusal.code != "PF-RULE-VIOLATION":
            return
        findings = detail.findall(f"{{{PFF}}}Finding")
        for finding, el in zip(findings, rule_elements(body, self.codes), strict=False):
            line = finding.makeelement(f"{{{PFF}}}Line")
            line.text = str(envelope_line(el))
            finding.insert(1, line)


__all__ = ["FORTYSEVENTH_DEFECTS", "FORTYSEVENTH_MEASURED_MISSES", "FORTYSEVENTH_UNMEASURED",
           "FortyseventhBatch",
           "envelope_line", "host_refused", "later_request_late", "port_of", "unpadded",
           "utf16_message", "widened"]
