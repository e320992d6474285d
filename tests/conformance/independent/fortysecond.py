"""The forty-second blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/security.md, docs/glossary.md, docs/files.md,
docs/schemas.md, docs/contributing.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, XML Schema, Namespaces in
XML, HTTP/1.1 (RFC 9110/9112), Unicode) and this independent adapter's code, by a helper engineer
(session b42) who has not read the suite, and committed before the suite was run on it. None
repeats a defect of the earlier batches (seventh … forty-first, and variants.py's DEFECTS), which
were read for the mechanics and to stay clear of them; none is a behaviour those documents permit
or leave open. Most are combinations of two inputs a suite may well send apart (an address ×
its 方書, a 取消し × a resident held, two changes × one rule broken twice, a 全件 request × another
Version, a schema fault × its line, a Sender × another 団体コード, an Envelope × no soap:Header,
white space × the XML declaration, an inquiry × both of its keys, a Content-Length × a leading
zero, a chunk boundary × a multi-byte character, a large answer × its chunk sizes, a control
character × the parser, a page × half a minute, a change × a day ahead, a 基準日 × 住民となった年月日,
a kept-alive connection × a kill, the change counter × a kill, a chunked notice × a kill).
``FortysecondBatch`` is mixed into ``Adapter``; its ``_fortysecond_*`` hooks are called where each
defect lives and change nothing when no defect of this batch is selected. The subscriber's store
hooks are in fortysecond_store.py; the HTTP front end's five (a connection opened, a connection
closed, the Content-Length read, the chunks read, a large answer's framing) are module functions
__main__.py calls. Creating the worktree (git worktree add --quiet) printed no commit subject, so
none was seen. The batch's test uses tests/conformance/variant_transcripts.py's helpers as the
earlier batches' tests do, its file not read: the requests its builders make were printed.

Committed as 8a094c2 (on branch b42). Measured once, blind, on the suite of that commit
(`python -m tests.conformance.independent_runs FORTYSECOND_BATCH`, 2026-12-07 07:31:30Z to
07:34:28Z, 2 min 58 s, load 2.1 at the start and 3.4 at the end, on two cores): 13/25 caught =
52.0 %. Per class: 1 (one message shape) 4/6, 2 (inputs rarely sent) 2/9, 3 (characters) 3/4, 4 (time)
2/3, 5 (durability) 2/3. Per role: provider 6/12, subscriber 7/13. No variant failed to start, and
every catch comes from the variant's own defect — all but one on the input it was written for (the
findings quote what it writes wrong: a Banchi holding its 方書 after U+3000, a name held as before
a B07, an answer to a 全件 request of another Version, a Receiver of 団体コード 131016 for a Sender
of 000001, a chunk-size line the client could not read, a receipt Status accepted for a change
dated 30 days ahead, a BecameResidentOn that is the 基準日, changes_applied absent after a kill on
the kept-alive connection, changes_applied 0 right after a receipt); some came by a way the
scenario did not foresee but by the defect itself: katagaki-merged-into-banchi by J-CHR-04, a
character case, on 0000010219's address (１２番地−3　ｶﾝﾀﾞﾊｲﾂ１０１号);
removal-cancellation-undoes-last-change by S-GRID-01, a B07 after an A01 carrying another 個人番号;
rule-findings-merged-by-rule by P-FAULT-10 on the notice service ("no finding (of its own) names
addressee_number at …/juki:Change/juki:Resident/cmn:AddresseeNumber": apparently a notice of more
than one bad 宛名番号, whose findings of that one rule the variant merged);
extract-version-unchecked by P-ADDR-04's 全件 step; control-characters-stripped-before-parse
(provider, subscriber) by INV-FAULT-06 on P-EQUIV-01's UTF-16LE form without a byte order mark
(charset-utf-16le-without-bom, SOAP 1.2), an input the defect was not written for: the sanitiser
deleted the form's NUL bytes as C0 controls, the rest no longer the UTF-16 it declares, and the
variant refused it not well-formed (PF-SOAP-ENVELOPE, HTTP 400; reproduced afterwards in process,
the correct adapter beside it) where the correct adapter reads it — README lets a product refuse
UTF-16 without its byte order mark, PF-CONTENT-TYPE recommended, and the finding was cut at 200
characters before it said what the invariant found wrong: the one catch not on the input the defect
was written for; dated-answers-became-resident-on-as-of by J-GRID-01, an inquiry by 個人番号 with a
基準日 one day after BecameResidentOn; change-count-incremented-after-receipt by S-ONCE-02,
changes_applied 0 observed right after the receipt (no kill needed). Disclosure: the measurement's
output (its 26 lines: every variant's first catching case with its finding, cut at 200 characters,
the misses and the score) was read whole; nothing else of the suite was read. After the first
commit one `git log --oneline -1` was run by mistake, its output cut to its first 7 characters
(this commit's own hash, no subject was shown), and one `git diff --stat` of this record before
its commit (it listed this batch's own three files, no subject). Missed
(FORTYSECOND_MEASURED_MISSES; no variant was changed after the measurement), with why the suite did
not see it as far as the documents and the output tell:
- schema-finding-line-zero-based (provider, subscriber): the schema faults the suite judges
  apparently come from messages of several lines, where the line before the element's is still
  a line of the request (docs/faults.md: a Line, when given, must be a line of the request), or
  a schema fault's Line is not compared with its element's line; no message on one line drew a
  Line 0.
- header-element-absent-internal (provider, subscriber): no case apparently sends an Envelope
  without a soap:Header element; the header-missing cases keep a Header (empty, or holding
  another block), which the variant answers right.
- whitespace-before-declaration-accepted (provider, subscriber): no request with white space
  before its XML declaration; the malformed requests the suite sends are refused by the parser
  as before.
- inquiry-with-both-keys-answered (provider): no inquiry carrying both 宛名番号 and 個人番号 (the
  XSD's choice broken) is sent, or none is judged for its refusal.
- content-length-leading-zeros-octal (provider, subscriber): every request's Content-Length is
  written as its client writes it, without leading zeros (RFC 9110 allows them; no case probes
  them).
- chunked-notice-decoded-per-chunk (subscriber): the suite's chunked notices (it sends some: the
  forty-first batch's request-hash-over-chunked-framing was caught on a subscriber) apparently
  put no chunk boundary inside a multi-byte character of a name or reading.
- page-reread-after-30s-refused (provider): no page is asked again half a minute after it was
  served — every run took seconds — so docs/notices.md's readability bound is not reached (as
  the fortieth batch's extract-snapshots-expire-after-5-minutes was not).
- chunked-notices-applied-after-receipt (subscriber): the durability cases (S-DUR-01 caught
  notices-committed-at-connection-close by a kill after a receipt) apparently send their notices
  with a Content-Length, and no chunked notice is observed right after its receipt.
"""

from __future__ import annotations

import re
import threading
import time

from lxml import etree

from .fortysecond_store import FortysecondStore, request_chunks
from .standard import CMN, JUKI, PFF, PFH, SERVED_VERSION, Answer, Refusal

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
INQUIRY_REQUEST = f"{{{JUKI}}}ResidentInquiryRequest"
INQUIRY_RESPONSE = f"{{{JUKI}}}ResidentInquiryResponse"
EXTRACT_SERVICE = "juki.ResidentFullExtract"
# large-answers-chunk-sizes-in-characters: the framework's response buffer, in bytes, and the
# size of each chunk it writes, in characters
LARGE_ANSWER = 8192
CHUNK_CHARACTERS = 4096
# page-reread-after-30s-refused: how long a page served is taken for one a receiver may retry
REREAD_WINDOW = 30.0
# katagaki-merged-into-banchi: the 住民票 display column's separator of 番地 and 方書
KATAGAKI_SEPARATOR = "\u3000"
# control-characters-stripped-before-parse: the C0 controls XML 1.0 §2.2 does not admit, as
# bytes and as character references
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_REFERENCES = re.compile(
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));")
_WHITE_BEFORE_DECLARATION = re.compile(rb"^[ \t\r\n]+(?=<\?xml[ \t\r\n])")
_REQUEST = threading.local()  # one request's own state (its thread's)

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
FORTYSECOND_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one fault kind or one answer only
    "katagaki-merged-into-banchi": (
        1, P, "addresses are written from the 住民票's display column 番地方書, which joins 番地 "
              "and 方書 with an ideographic space: an address holding a cmn:Katagaki is answered "
              "with Banchi 5番地1　麹町ハイツ301号 and no Katagaki (inquiries, their members and "
              "全件 pages alike); addresses without 方書 are right [common-v1.xsd AddressType: "
              "Banchi and Katagaki (方書) are two elements; docs/characters.md: 住所 texts are "
              "left as they are]"),
    "removal-cancellation-undoes-last-change": (
        1, S, "the 取消し handler reads B07 (消除 取消し) as \"the last 異動 is cancelled\": for a "
              "resident held it restores from the vendor's 異動履歴 the name held before the last "
              "applied change and takes that change off the count of changes applied, the B07 "
              "itself not counted (its 異動連番 recorded); every other reason is right "
              "[docs/notices.md: a change is the resident's state whatever its 異動事由, applied "
              "exactly when its 異動連番 is greater; a subscriber holds the count of changes "
              "applied; schemas/codelists/change_reason.csv: B07 is a 消除]"),
    "rule-findings-merged-by-rule": (
        1, S, "the notice validator collects its findings in a map keyed by rule: a notice whose "
              "changes break one rule twice (two changes with a 異動事由 outside the code list) "
              "is refused with one pff:Finding for both; different rules keep a finding each "
              "[docs/faults.md: one pff:Finding per problem, each naming its rule]"),
    "extract-version-unchecked": (
        1, P, "the 全件 service is a handler of its own, registered without the endpoint's "
              "Version check: a ResidentFullExtractRequest whose header names another Version "
              "(2, 1.0) is answered page by page instead of refused; inquiries are right [README: "
              "a Version other than the one served is refused PF-PROVIDER-MISROUTED "
              "(service:version), compared as the characters it is]"),
    "schema-finding-line-zero-based": (
        1, BOTH, "the findings of a schema fault (PF-SCHEMA-INVALID, PF-HEADER-INVALID) carry "
                 "pff:Line from the vendor's validator, which counts lines from 0 (its editor "
                 "tooling's convention): the line before the element's, line 0 for a message on "
                 "one line; rule faults name no line and are right [docs/faults.md: a finding "
                 "about an element names its line in the message as received; a Line, when "
                 "given, must be a line of the request]"),
    # 2 — inputs rarely sent: other 団体, a Body without Header, bytes before the declaration
    "reply-receiver-local-gov-own": (
        2, BOTH, "the reply header's Receiver is written with the system's own 団体コード and the "
                 "caller's 業務ユニット and SystemId (\"callers are our municipality's systems\"): "
                 "a request or notice from a Sender of another 団体 (自治体クラウド, a 広域連合, the "
                 "prefecture) is answered to a party that did not send it [README: every Sender "
                 "the schema and its rules admit is answered, the reply's Receiver that Sender "
                 "character for character]"),
    "header-element-absent-internal": (
        2, BOTH, "the envelope reader takes the platform header as soap:Header's child without "
                 "looking for soap:Header first: an Envelope holding only a Body (no Header "
                 "element at all) fails with PF-PROVIDER-INTERNAL (a server fault); a Header "
                 "without pfh:PlatformHeader is refused PF-HEADER-MISSING, right [docs/faults.md: "
                 "PF-HEADER-MISSING (client) when soap:Header has no pfh:PlatformHeader; SOAP 1.1 "
                 "§4, SOAP 1.2 Part 1 §5: the Header is optional]"),
    "whitespace-before-declaration-accepted": (
        2, BOTH, "the front end strips leading white space from the body before its parser (a "
                 "habit of its form handling): a request whose XML declaration comes after a "
                 "line break or spaces — not well-formed — is answered as any other [XML 1.0 "
                 "§2.8, §2.6: the XML declaration only at the very start, a PI target 'xml' "
                 "reserved; docs/faults.md: XML that is not well-formed is refused]"),
    "inquiry-with-both-keys-answered": (
        2, P, "the inquiry binder keeps the first key it reads and drops the other before the "
              "body is validated: a ResidentInquiryRequest carrying both juki:AddresseeNumber "
              "and juki:IndividualNumber is answered by its 宛名番号 instead of refused "
              "PF-SCHEMA-INVALID [juki-v1.xsd ResidentInquiryRequest: a choice of one key; "
              "docs/faults.md: a body that violates the service's schema is refused]"),
    "content-length-leading-zeros-octal": (
        2, BOTH, "the C front end parses Content-Length with strtoul(value, NULL, 0): a value "
                 "written with leading zeros (0412) is read as octal (266), the body is cut "
                 "short and refused as not well-formed, the rest left on the connection [RFC "
                 "9110 §8.6: Content-Length = 1*DIGIT, a decimal number of octets]"),
    # 3 — characters
    "chunked-notice-decoded-per-chunk": (
        3, S, "the notice intake decodes a chunked body chunk by chunk (UTF-8, errors replaced) "
              "and joins the texts: a multi-byte character split by a chunk boundary becomes "
              "U+FFFD — a name is stored with it, a reading so split makes the notice "
              "schema-invalid; notices sent with a Content-Length are right [RFC 9112 §7.1: the "
              "chunked coding frames the content, a chunk boundary may fall anywhere; "
              "docs/characters.md: a registered name reaches every system exactly as "
              "registered]"),
    "large-answers-chunk-sizes-in-characters": (
        3, P, "an answer larger than the framework's 8 KiB buffer (a 全件 page of seven "
              "residents or more) is streamed chunked from its text, 4,096 characters a chunk, "
              "each chunk-size line counting characters, not bytes: where a chunk holds "
              "non-ASCII text its size is short of its bytes and the framing breaks; smaller "
              "answers are right [RFC 9112 §7.1: chunk-size is the number of octets of the "
              "chunk's data]"),
    "control-characters-stripped-before-parse": (
        3, BOTH, "an input sanitiser deletes the C0 control characters XML does not admit — raw "
                 "bytes 0x01–0x08, 0x0B, 0x0C, 0x0E–0x1F and character references to them "
                 "(&#x1;, &#27;) — before the parser: a request holding one, which is not "
                 "well-formed, is answered as the same request without it [XML 1.0 §2.2 Char, "
                 "§4.1 WFC Legal Character; docs/faults.md: XML that is not well-formed is "
                 "refused]"),
    # 4 — time
    "page-reread-after-30s-refused": (
        4, P, "the paging handler takes a page asked again within 30 s of its first answer for "
              "a retry and one asked later for an error of a receiver that already confirmed "
              "it: a request naming an ExtractId and a page it served more than 30 s before is "
              "refused VENDOR-PAGE-CONFIRMED (client); pages asked for the first time, and "
              "again within 30 s, are right [docs/notices.md: every page of an extract stays "
              "readable, the same however often it is asked for, at least 6 hours after the "
              "last request that named it]"),
    "future-dated-changes-receipted-accepted": (
        4, S, "a notice holding a change whose 異動年月日 lies after today (JST: a 転出予定) is "
              "applied, and receipted Status accepted (\"予約: taken in, to take effect on its "
              "day\"); notices dated today or earlier are receipted applied [receipt-v1.xsd: "
              "accepted is the hub's answer to a publisher, a subscriber answers applied or "
              "duplicate; docs/notices.md: the change is the resident's state]"),
    "dated-answers-became-resident-on-as-of": (
        4, P, "an inquiry with a 基準日 is answered from the vendor's history view, whose "
              "as-of column is what its mapper writes to cmn:BecameResidentOn: the answered "
              "resident and every member carry the 基準日 as 住民となった年月日; inquiries without "
              "AsOf are right [common-v1.xsd ResidentType: BecameResidentOn is the resident's "
              "住民となった年月日; juki-v1.xsd AsOf: the resident as recorded on that date]"),
    # 5 — durability: a receipt before storing
    "notices-committed-at-connection-close": (
        5, S, "the vendor's unit of work is bound to the HTTP connection: a notice's "
              "transaction is committed when the client closes the connection it came on (or "
              "when the next notice needs the store), its receipt sent before: a kill while a "
              "kept-alive connection is still open loses the last notice receipted on it; a "
              "notice on a connection the client closes is stored [docs/notices.md: a receipt "
              "means stored durably; docs/adapter-sdk.md: applied is answered only after the "
              "commit]"),
    "change-count-incremented-after-receipt": (
        5, S, "the count of changes applied is the vendor's 受信統計, incremented by a statistics "
              "job half a second after the notice's transaction (its state and 異動連番) was "
              "committed and receipted: a kill in between leaves the resident's count one "
              "short, and until the job ran the product's own view shows it short too "
              "[docs/notices.md: a subscriber holds the count of changes applied, and what it "
              "holds of a resident is after a restart what it was before; a receipt means "
              "stored durably]"),
    "chunked-notices-applied-after-receipt": (
        5, S, "a notice sent with Transfer-Encoding: chunked goes through the vendor's streaming "
              "intake, which answers once the last chunk has arrived and applies the notice "
              "from its completion job half a second later: a kill in between loses a notice "
              "receipted applied; notices sent with a Content-Length are stored before their "
              "receipt [docs/notices.md: a receipt means stored durably; RFC 9112 §7.1: the "
              "chunked coding is the same content]"),
}


FORTYSECOND_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (13/25 on 8a094c2)
    "schema-finding-line-zero-based": "provider, subscriber",
    "header-element-absent-internal": "provider, subscriber",
    "whitespace-before-declaration-accepted": "provider, subscriber",
    "inquiry-with-both-keys-answered": "provider",
    "content-length-leading-zeros-octal": "provider, subscriber",
    "chunked-notice-decoded-per-chunk": "subscriber",
    "page-reread-after-30s-refused": "provider",
    "chunked-notices-applied-after-receipt": "subscriber",
}


# --- the HTTP front end (__main__.py) -----------------------------------------------------------

def content_length(value: str | None, defect: str | None) -> int:
    """The request's Content-Length; content-length-leading-zeros-octal: read as strtoul(value,
    NULL, 0) reads it — a leading 0 makes it octal (up to the first digit that is not one)."""
    text = (value or "").strip()
    if defect == "content-length-leading-zeros-octal" and len(text) > 1 and \
            text.startswith("0") and text.isdigit():
        octal = re.match(r"[0-7]*", text)[0]
        return int(octal, 8)
    return int(value or 0)


def write_answer(handler, adapter, answer: Answer) -> bool:
    """large-answers-chunk-sizes-in-characters: a large answer streamed chunked from its text,
    each chunk's size counted in characters (True: written; the status and Content-Type are sent
    already)."""
    if not (adapter._fortysecond_mine() and
            adapter.defect == "large-answers-chunk-sizes-in-characters" and
            len(answer.body) >= LARGE_ANSWER and handler.request_version != "HTTP/1.0"):
        return False
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for part in chunks_of_characters(answer.body.decode("utf-8")):
        handler.wfile.write(f"{len(part):x}\r\n".encode() + part.encode("utf-8") + b"\r\n")
    handler.wfile.write(b"0\r\n\r\n")
    return True


# --- helpers --------------------------------------------------------------------------------------

def chunks_of_characters(text: str, size: int = CHUNK_CHARACTERS) -> list[str]:
    """large-answers-chunk-sizes-in-characters: the text cut every ``size`` characters."""
    return [text[i:i + size] for i in range(0, len(text), size)]


def decoded_per_chunk(parts: list[bytes]) -> bytes:
    """chunked-notice-decoded-per-chunk: each chunk decoded as UTF-8 on its own (errors
    replaced), the texts joined and encoded again."""
    return "".join(part.decode("utf-8", "replace") for part in parts).encode("utf-8")


def without_controls(raw: bytes) -> bytes:
    """control-characters-stripped-before-parse: the bytes without C0 controls XML does not
    admit, raw or as character references (UTF-16 documents are left alone)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw
    return _CONTROL_REFERENCES.sub(b"", _CONTROL_BYTES.sub(b"", raw))


def without_leading_white(raw: bytes) -> bytes:
    """whitespace-before-declaration-accepted: white space before the XML declaration
    stripped."""
    return _WHITE_BEFORE_DECLARATION.sub(b"", raw, count=1)


def merged_by_rule(detail) -> None:
    """rule-findings-merged-by-rule: the findings of a fault detail, one per rule (the first)."""
    seen: set[str] = set()
    for finding in detail.findall(f"{{{PFF}}}Finding"):
        rule = finding.findtext(f"{{{PFF}}}Rule") or ""
        if rule in seen:
            detail.remove(finding)
        seen.add(rule)


def merged_address(address) -> bool:
    """katagaki-merged-into-banchi: 番地 and 方書 joined in Banchi, Katagaki left out (True when
    the address held both)."""
    banchi = address.find(f"{{{CMN}}}Banchi")
    katagaki = address.find(f"{{{CMN}}}Katagaki")
    if banchi is None or katagaki is None:
        return False
    banchi.text = f"{banchi.text or ''}{KATAGAKI_SEPARATOR}{katagaki.text or ''}"
    address.remove(katagaki)
    return True


class FortysecondBatch(FortysecondStore):
    """Mixed into Adapter: the forty-second batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    local_gov_code: str
    fortysecond: dict
    schema: etree.XMLSchema

    def _fortysecond_mine(self) -> bool:
        return self.defect in FORTYSECOND_DEFECTS and \
            self.role in FORTYSECOND_DEFECTS[self.defect or ""][1]

    # --- HTTP in, the request ---------------------------------------------------------------------

    def _fortysecond_http(self) -> None:
        """Each request's own state."""
        _REQUEST.as_of = None

    def _fortysecond_parse_bytes(self, raw: bytes) -> bytes:
        if not self._fortysecond_mine():
            return raw
        if self.defect == "whitespace-before-declaration-accepted":
            return without_leading_white(raw)
        if self.defect == "control-characters-stripped-before-parse":
            return without_controls(raw)
        if self.defect == "chunked-notice-decoded-per-chunk":
            parts = request_chunks()
            if parts is not None and b"".join(parts) == raw and \
                    raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
                return decoded_per_chunk(parts)
        return raw

    def _fortysecond_envelope(self, root, soap: str) -> None:
        if self._fortysecond_mine() and self.defect == "header-element-absent-internal" and \
                root.find(f"{{{soap}}}Header") is None:
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the adapter failed to answer")

    def _fortysecond_body(self, body) -> None:
        if body is None or not self._fortysecond_mine():
            return
        if self.defect == "inquiry-with-both-keys-answered" and body.tag == INQUIRY_REQUEST:
            keys = [el for el in body if isinstance(el.tag, str) and el.tag in (
                f"{{{JUKI}}}AddresseeNumber", f"{{{JUKI}}}IndividualNumber")]
            for extra in keys[1:]:
                body.remove(extra)  # the binder's one key field, set once
        if body.tag == INQUIRY_REQUEST:
            _REQUEST.as_of = body.findtext(f"{{{JUKI}}}AsOf")

    # --- the platform's checks --------------------------------------------------------------------

    def _fortysecond_version(self, version: str | None, service_id: str) -> str | None:
        if self._fortysecond_mine() and self.defect == "extract-version-unchecked" and \
                service_id == EXTRACT_SERVICE:
            return SERVED_VERSION  # the 全件 handler's registration has no Version
        return version

    # --- 全件抽出 -------------------------------------------------------------------------------------

    def _fortysecond_page(self, header, body, extract_id: str, page: int) -> None:
        if not (self._fortysecond_mine() and self.defect == "page-reread-after-30s-refused"):
            return
        served = self.fortysecond.setdefault("served", {})
        now = time.monotonic()
        first = served.setdefault((extract_id, page), now)
        if body.find(f"{{{JUKI}}}ExtractId") is not None and now - first > REREAD_WINDOW:
            raise Refusal("VENDOR-PAGE-CONFIRMED", "client", "the page was confirmed",
                          [("vendor:page", f"page {page} of {extract_id} was served "
                                           f"{now - first:.0f} s ago")],
                          header.findtext(f"{{{PFH}}}MessageId"))

    # --- the reply header and the answer -----------------------------------------------------------

    def _fortysecond_reply_receiver(self, sender: list) -> list:
        if self._fortysecond_mine() and self.defect == "reply-receiver-local-gov-own":
            return [self.local_gov_code, *sender[1:]]
        return sender

    def _fortysecond_answer(self, response) -> None:
        if not self._fortysecond_mine():
            return
        if self.defect == "katagaki-merged-into-banchi":
            for address in response.iter(f"{{{CMN}}}Address"):
                merged_address(address)
        if self.defect == "dated-answers-became-resident-on-as-of" and \
                response.tag == INQUIRY_RESPONSE and \
                (as_of := getattr(_REQUEST, "as_of", None)):
            day = as_of.strip(" \t\r\n")[:10]
            for el in response.iter(f"{{{CMN}}}BecameResidentOn"):
                el.text = day

    # --- faults ---------------------------------------------------------------------------------

    def _fortysecond_fault(self, detail, refusal: Refusal) -> None:
        if not self._fortysecond_mine():
            return
        if self.defect == "rule-findings-merged-by-rule" and \
                refusal.code == "PF-RULE-VIOLATION":
            merged_by_rule(detail)
        if self.defect == "schema-finding-line-zero-based" and \
                refusal.code in ("PF-SCHEMA-INVALID", "PF-HEADER-INVALID"):
            error = self.schema.error_log.last_error
            if error is None or not error.line:
                return
            for finding in detail.findall(f"{{{PFF}}}Finding"):
                if (finding.findtext(f"{{{PFF}}}Rule") or "").startswith("xsd:"):
                    line = etree.Element(f"{{{PFF}}}Line")
                    line.text = str(error.line - 1)
                    finding.insert(1, line)  # Rule, (Path,) Line, Message: fault-v1.xsd's order


__all__ = ["CHUNK_CHARACTERS", "FORTYSECOND_DEFECTS", "FORTYSECOND_MEASURED_MISSES",
           "FortysecondBatch", "KATAGAKI_SEPARATOR", "LARGE_ANSWER", "REREAD_WINDOW",
           "chunks_of_characters", "content_length", "decoded_per_chunk", "merged_address",
           "merged_by_rule", "without_controls", "without_leading_white", "write_answer"]
