"""The thirty-first blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b31) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … thirtieth, and variants.py's DEFECTS), which were read
for the mechanics and to stay clear of them; none is a behaviour those documents permit or leave
open. ``ThirtyfirstBatch`` is mixed into ``Adapter``; its ``_thirtyfirst_*`` hooks are called
where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store and notice-mapper hooks are in thirtyfirst_store.py.

Committed as 27a17e6 (on branch b31). Measured once, blind, on the suite of that commit
(`python -m tests.conformance.independent_runs THIRTYFIRST_BATCH`, 2026-12-06 11:13:01Z to
11:15:24Z, 2 min 23 s, load ~5.4 at the start, ~4.6 at the end): 21/24 caught = 87.5 %. Per
class: 1 (one message shape) 6/6, 2 (inputs rarely sent) 5/7, 3 (characters) 2/3, 4 (time)
5/5, 5 (durability) 3/3. Per role: provider 9/11, subscriber 12/13. No variant crashed or
failed to start. sent-at-minutes-as-month was caught at the edge: measured at minute 14 of the
hour in December, its SentAt lay 120–121 s behind the suite's clock (at minutes 11 to 13 it
would have been within the 120 s the suite allows — README's tolerance, not its rule). Missed
(THIRTYFIRST_MEASURED_MISSES; no variant was changed after the measurement), each with why the
suite did not see it as far as the documents tell:
- soap-version-from-action-parameter (provider, subscriber): no case seems to send a SOAP 1.1
  request labelled text/xml with an action parameter; README's Content-Type rules (parameters
  ignored unless charset or SOAP 1.2's action) are apparently exercised with action on
  application/soap+xml only, where taking it for SOAP 1.2 is right.
- utf16-answers-ucs2-encoded (provider): the UTF-16 requests the suite sends (README: every
  product reads UTF-16 with its byte order mark) apparently do not ask for a resident whose name
  lies beyond the BMP or carries an IVS selector, or their answer's names are not compared; the
  answer's own encoding (UTF-16 with a BOM, labelled utf-16) is one README allows.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

from lxml import etree

from .standard import CMN, JST, JUKI, PFH, PFR, SOAP12, Answer, Refusal
from .thirtyfirst_store import ThirtyfirstStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
EXTRACT_RESPONSE = f"{{{JUKI}}}ResidentFullExtractResponse"
INQUIRY_RESPONSE = f"{{{JUKI}}}ResidentInquiryResponse"
ULTIMATE_RECEIVER = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
PAGING_SERVICE_ID = "juki.ResidentFullExtractNext"  # the vendor's own paging handler
# service-id-matched-in-raw-bytes: the vendor's router reads the ServiceId off the bytes
_SERVICE_ID = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?ServiceId>([^<]*)<")
_IVS = re.compile("[\U000e0100-\U000e01ef]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
THIRTYFIRST_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one fault kind or one page only
    "soap12-fault-role-after-detail": (
        1, BOTH, "the SOAP 1.2 fault writer adds env:Role (…/role/ultimateReceiver, 'the node "
                 "that failed') after it has written env:Detail: every SOAP 1.2 fault's children "
                 "are Code, Reason, Detail, Role; SOAP 1.1 faults and answers are right [SOAP 1.2 "
                 "Part 1 5.4: env:Fault holds Code, Reason, Node?, Role?, Detail?, in this order; "
                 "docs/faults.md: a fault in the request's SOAP version]"),
    "later-pages-user-id-empty": (
        1, P, "全件 pages after the first are written by the vendor's export job, which runs under "
              "no account: their header's pfh:UserId is empty; the first page, inquiries and "
              "faults are right [header-v1.xsd UserIdType: 1 to 64 letters, digits, . _ @ -, a "
              "letter or digit first; README: every message carries the platform header]"),
    "not-found-message-id-is-request-id": (
        1, P, "a not-found answer is built from the request's header (a 'negative reply' "
              "template that only swaps the parties): its MessageId is the request's own "
              "MessageId, the same as its RelatesTo; found answers get a new MessageId [README: "
              "a reply's MessageId is its own, RelatesTo the request's; platform.md: a unique "
              "message ID]"),
    "duplicate-receipt-request-hash-hex": (
        1, S, "a 'duplicate' receipt is answered from the vendor's inbox table, which keeps the "
              "request digest as hex (sha256().hexdigest()): its RequestHash is the 64 hex digits, "
              "not the base64 of the SHA-256; 'applied' receipts are right [README: RequestHash "
              "— base64 SHA-256 of the exact request bytes; docs/faults.md binding:request_hash]"),
    "later-pages-service-id-of-paging-handler": (
        1, P, "全件 pages after the first are served by the vendor's paging handler, registered "
              "as its own service juki.ResidentFullExtractNext, whose name goes into the reply's "
              "Service/ServiceId; the first page and inquiries are right [README: a reply keeps "
              "the request's Service; docs/faults.md binding:service]"),
    # 2 — inputs rarely sent: odd-but-legal XML, HTTP and addressing edge cases, notices of
    # several residents
    "service-id-matched-in-raw-bytes": (
        2, BOTH, "the vendor's front router reads the ServiceId off the request bytes with a "
                 "regular expression (<…ServiceId>([^<]*)<) before the parser: a header whose "
                 "ServiceId holds a comment (juki.Resident<!-- -->Inquiry) or a character "
                 "reference (juki.&#x52;esidentInquiry) is answered PF-SERVICE-UNKNOWN [README: "
                 "every value is read as XML defines it, without the comments inside it; XML 1.0 "
                 "§4.1: a character reference is the character]"),
    "soap-version-from-action-parameter": (
        2, BOTH, "the SOAP version is taken from the Content-Type's action parameter ('only "
                 "SOAP 1.2 has one'): a SOAP 1.1 request sent as text/xml with an action "
                 "parameter is taken for SOAP 1.2 and refused as a version error "
                 "(VersionMismatch, soap:version) [README: text/xml is SOAP 1.1, a parameter "
                 "other than charset and SOAP 1.2's action is ignored; RFC 2045 §5.1: unknown "
                 "parameters are ignored]"),
    "reply-receiver-system-id-underscore-to-hyphen": (
        2, BOTH, "the vendor keeps its partners' SystemIds as host names and normalises them "
                 "(an underscore is not allowed in a DNS name): a request or notice from a "
                 "Sender SystemId holding '_' (tax_batch) is answered to tax-batch [README: a "
                 "reply's Receiver is the Sender character for character; header-v1.xsd "
                 "SystemIdType admits . _ -]"),
    "notice-addressee-number-of-first-change": (
        2, S, "the notice mapper reads the resident's key (宛名番号) once, from the notice's "
              "first change, and applies every change to it: a notice with changes of several "
              "residents applies the second resident's change to the first resident (kept out "
              "when its 異動連番 is not higher) and the second is never held [docs/notices.md: "
              "per change, per resident — a notice's subjects are each change's 宛名番号; a "
              "change is applied to the resident of exactly that number]"),
    # 3 — characters
    "by-individual-number-ivs-stripped": (
        3, P, "an inquiry by 個人番号 is answered from the vendor's 番号連携 table, whose copy of "
              "the names was loaded without IVS selectors: 渡邉󠄟俞󠄀子 (邉 U+E011F, 俞 U+E0100) is "
              "answered 渡邉俞子; answers by 宛名番号 are right [docs/characters.md: names are UCS "
              "plus Moji_Joho IVS selectors, never changed; a registered name reaches every "
              "system exactly as registered]"),
    "name-update-skipped-selector-insensitive": (
        3, S, "the name is updated with UPDATE … WHERE number = ? AND name <> ? on a collation "
              "that ignores variation selectors (SQL Server's Japanese_XJIS_140 without _VSS): a "
              "correction that adds, removes or changes only an IVS selector (葛西 → 葛󠄂西) "
              "matches no row, the old name stays [docs/characters.md: 葛 + U+E0102 is one "
              "character, MJ022335, different from 葛 alone; docs/notices.md: every value is "
              "stored as sent]"),
    "utf16-answers-ucs2-encoded": (
        3, P, "a request sent in UTF-16 is answered in UTF-16 (with its byte order mark, labelled "
              "charset=utf-16) through the vendor's UCS-2 writer: each character beyond the BMP "
              "(𠮷, the IVS selectors) is written '?'; UTF-8 requests are right [XML 1.0 §2.2: "
              "a character is a code point up to U+10FFFF; RFC 2781: UTF-16 encodes those "
              "above U+FFFF as surrogate pairs; docs/characters.md]"),
    # 4 — time
    "sent-at-minutes-as-month": (
        4, BOTH, "the reply's SentAt is formatted with the pattern yyyy-MM-dd'T'HH:MM:ss+09:00 "
                 "(MM, the month, where mm, the minute, was meant): in December every answer is "
                 "stamped at minute 12 of its hour, in January at minute 01 [README: SentAt is "
                 "the moment the answer is sent, read from the system's clock in JST; the suite "
                 "judges it within 120 s of its own clock]"),
    "sent-at-offset-hour-unpadded": (
        4, BOTH, "the reply's SentAt offset is formatted by hand as sign + hours + ':' + minutes "
                 "without zero-padding the hours: every answer's SentAt ends +9:00 [XML Schema "
                 "1.0 Part 2 3.2.7: a time zone is (+|-)hh:mm; header-v1.xsd JstDateTimeType; "
                 "README: always +09:00]"),
    "recorded-before-occurred-refused": (
        4, S, "the notice mapper's date check refuses a change whose 記録年月日 (RecordedOn) is "
              "before its 異動年月日 (OccurredOn) — 'nothing is recorded before it happens' — "
              "though a 転出予定 is recorded before the day it takes effect: such a notice is "
              "answered VENDOR-DATES (client) and redelivered until dead [docs/notices.md: the "
              "schema and the code lists are the whole of a change's validity, a valid notice is "
              "applied; common-v1.xsd ChangeEventType]"),
    # 5 — durability: state lost or altered by a kill and a restart
    "watermarks-read-from-main-file-on-start": (
        5, S, "at start-up the vendor fills its watermark cache (each resident's last 異動連番) "
              "from a copy of the database's main file, made without its -wal file: after a kill "
              "the changes committed since the last checkpoint are missing from it, and an older "
              "change delivered then is applied over the newer state; after a clean stop "
              "(checkpointed) it is right [docs/notices.md: each resident's last 異動連番 "
              "survives a restart; the next notice gets the answer it would have got without "
              "one]"),
    "watermark-trigger-created-with-table-only": (
        5, S, "each resident's last 異動連番 on an update is kept by a TEMP trigger that the "
              "set-up script creates together with the tables, in its 'tables missing' branch: "
              "from the first restart on the trigger is gone, the watermark of a held resident is "
              "no longer raised, and an older change delivered after a newer one is applied "
              "[docs/notices.md: a change is applied exactly when its 異動連番 is greater than "
              "the last one applied; a restart changes no answer]"),
    "watermark-rebuilt-from-receive-log-on-start": (
        5, S, "the vendor logs every change it receives (before its checks) and the start-up "
              "job rebuilds each held resident's last 異動連番 as the highest received: after a "
              "restart a change refused before it (a bad code) counts as applied, and the "
              "corrected change with that 異動連番 is kept out [docs/notices.md: a refused notice "
              "changes nothing, no 異動連番 of it recorded; a start-up adds nothing]"),
}

THIRTYFIRST_MEASURED_MISSES: dict[str, str] = {  # name → the roles missed (21/24 on 27a17e6)
    "soap-version-from-action-parameter": "provider, subscriber",
    "utf16-answers-ucs2-encoded": "provider",
}


def minutes_as_month(now: dt.datetime) -> str:
    """sent-at-minutes-as-month: the month written where the minute belongs."""
    return now.strftime("%Y-%m-%dT%H:%m:%S+09:00")


def offset_hour_unpadded(now: dt.datetime) -> str:
    """sent-at-offset-hour-unpadded: the offset's hours without their leading zero."""
    offset = now.utcoffset() or dt.timedelta()
    sign = "-" if offset < dt.timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{now:%Y-%m-%dT%H:%M:%S}{sign}{minutes // 60}:{minutes % 60:02d}"


def service_id_from_bytes(raw: bytes) -> str | None:
    """service-id-matched-in-raw-bytes: what the router's regular expression reads."""
    m = _SERVICE_ID.search(raw)
    if m is None:
        return None
    try:
        return m[1].decode("utf-8").strip()
    except UnicodeDecodeError:
        return None


def ucs2(text: str) -> str:
    """utf16-answers-ucs2-encoded: a character beyond the BMP through a UCS-2 writer."""
    return _ASTRAL.sub("?", text)


class ThirtyfirstBatch(ThirtyfirstStore):
    """Mixed into Adapter: the thirty-first batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    thirtyfirst: dict

    def _thirtyfirst_mine(self) -> bool:
        return self.defect in THIRTYFIRST_DEFECTS and \
            self.role in THIRTYFIRST_DEFECTS[self.defect or ""][1]

    # --- HTTP in ---------------------------------------------------------------------------------

    def _thirtyfirst_http(self, content_type: str) -> None:
        if not (self._thirtyfirst_mine() and self.defect == "soap-version-from-action-parameter"):
            return
        media, *params = content_type.split(";")
        if media.strip().lower() == "text/xml" and any(
                p.strip().lower().startswith("action=") for p in params):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "the envelope is not the Content-Type's "
                          "SOAP version", [("soap:version", "a SOAP 1.1 envelope sent as SOAP "
                                                            "1.2 (action parameter)")],
                          soap_code="VersionMismatch")

    # --- the platform's checks ------------------------------------------------------------------

    def _thirtyfirst_service_id(self, raw: bytes, named):
        if self._thirtyfirst_mine() and self.defect == "service-id-matched-in-raw-bytes":
            found = service_id_from_bytes(raw)
            if found is not None:
                return found
        return named

    def _thirtyfirst_checks(self, header, body, mid) -> None:
        self.thirtyfirst["by_individual_number"] = \
            body.find(f"{{{JUKI}}}IndividualNumber") is not None
        self.thirtyfirst["first_number"] = None
        if self.role == "subscriber":
            self._thirtyfirst_notice_checks(body, mid)

    # --- the reply header -------------------------------------------------------------------------

    def _thirtyfirst_reply_header(self, h, response, raw: bytes, request_header) -> None:
        if not self._thirtyfirst_mine():
            return
        d = self.defect
        q = lambda n: f"{{{PFH}}}{n}"  # noqa: E731
        later_page = response.tag == EXTRACT_RESPONSE and \
            (response.findtext(f"{{{JUKI}}}Page") or "1").strip() != "1"
        if d == "later-pages-user-id-empty" and later_page:
            h.find(q("UserId")).text = ""
        if d == "later-pages-service-id-of-paging-handler" and later_page:
            h.find(f"{q('Service')}/{q('ServiceId')}").text = PAGING_SERVICE_ID
        if d == "not-found-message-id-is-request-id" and response.tag == INQUIRY_RESPONSE and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            h.find(q("MessageId")).text = request_header.findtext(q("MessageId"))
        if d == "duplicate-receipt-request-hash-hex" and \
                response.findtext(f"{{{PFR}}}Status") == "duplicate" and \
                h.find(q("RequestHash")) is not None:
            h.find(q("RequestHash")).text = hashlib.sha256(raw).hexdigest()
        if d == "reply-receiver-system-id-underscore-to-hyphen":
            system = h.find(f"{q('Receiver')}/{q('SystemId')}")
            system.text = system.text.replace("_", "-")
        if d == "sent-at-minutes-as-month":
            h.find(q("SentAt")).text = minutes_as_month(dt.datetime.now(JST))
        if d == "sent-at-offset-hour-unpadded":
            h.find(q("SentAt")).text = offset_hour_unpadded(dt.datetime.now(JST))

    # --- the answer's body and bytes -------------------------------------------------------------

    def _thirtyfirst_answer(self, response) -> None:
        if self._thirtyfirst_mine() and self.defect == "by-individual-number-ivs-stripped" and \
                response.tag == INQUIRY_RESPONSE and self.thirtyfirst.get("by_individual_number"):
            for text in response.iter(f"{{{CMN}}}Text"):
                text.text = _IVS.sub("", text.text or "")

    def _thirtyfirst_out(self, answer: Answer, env, raw: bytes) -> Answer:
        if not (self._thirtyfirst_mine() and self.defect == "utf16-answers-ucs2-encoded"
                and raw[:2] in (b"\xff\xfe", b"\xfe\xff")):
            return answer
        text = ucs2(etree.tostring(env, encoding="unicode"))
        body = ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
        media = answer.content_type.split(";")[0]
        return Answer(answer.status, body, f"{media}; charset=utf-16")

    # --- faults ---------------------------------------------------------------------------------

    def _thirtyfirst_fault_envelope(self, env, soap) -> None:
        if self._thirtyfirst_mine() and self.defect == "soap12-fault-role-after-detail" and \
                soap == SOAP12:
            fault = env.find(f"{{{soap}}}Body/{{{soap}}}Fault")
            etree.SubElement(fault, f"{{{soap}}}Role").text = ULTIMATE_RECEIVER


def base64_hash(raw: bytes) -> str:
    """The RequestHash a right answer carries (the tests compare the hex one with it)."""
    return base64.b64encode(hashlib.sha256(raw).digest()).decode()


__all__ = ["THIRTYFIRST_DEFECTS", "THIRTYFIRST_MEASURED_MISSES", "ThirtyfirstBatch",
           "base64_hash", "minutes_as_month", "offset_hour_unpadded", "service_id_from_bytes",
           "ucs2"]
