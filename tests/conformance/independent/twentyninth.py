"""The twenty-ninth blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b29) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … twenty-seventh, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. ``TwentyNinthBatch`` is mixed into ``Adapter``; its ``_twentyninth_*`` hooks are
called where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store, inbox and notice-mapper hooks are in twentyninth_store.py.

Committed as b37cc8c (on 729ecee, written at the same time as the twenty-eighth batch, neither
author seeing the other's). Measured once, blind, on main (the suite of 08332c6, unchanged since:
rounds 26b and 27b in) + the twenty-eighth and this batch (`python -m
tests.conformance.independent_runs TWENTYNINTH_BATCH`, 2026-12-06 03:04:42Z, 2 min 18 s, two at a
time, load ~4 beside a slow-tier run): 21/23 caught = 91.3 %. Per class: 1 (one message shape)
8/8, 2 (inputs rarely sent) 5/5, 3 (characters) 2/3, 4 (time) 4/4, 5 (durability) 2/3. Per role:
provider 9/9, subscriber 12/14. No variant crashed or failed to start. One variant,
``removal-reason-status-cross-checked``, breaks a rule docs/notices.md gained on 729ecee (a 消除
with 住民状態 1 is applied), which the author read. Missed (TWENTYNINTH_MEASURED_MISSES; no variant
was changed after the measurement):
- stores-original-when-text-has-geta (subscriber): a name whose Text holds 〓 (a 縮退 with no
  candidate) is held as its Original — the suite sends Original beside Texts without 〓 only.
- seen-ids-migration-rerun-keeps-uuid4 (subscriber): a migration re-run at every start keeps the
  seen MessageIds of UUID version 4 only — every MessageId the suite sent was of version 4
  (header-v1.xsd admits 1–8).
"""

from __future__ import annotations

import datetime as dt
import re

from lxml import etree

from .standard import CMN, CODELISTS, JST, JUKI, PFF, PFH, Refusal
from .twentyninth_store import TwentyNinthStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
EXTRACT = f"{{{JUKI}}}ResidentFullExtractRequest"

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYNINTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one change kind, one binding or one page only
    "duplicate-receipt-request-hash-of-first": (
        1, S, "the inbox row keeps the RequestHash of the notice's first delivery, and the "
              "duplicate receipt is written from that row: a notice delivered again with other "
              "bytes (another SentAt, the other SOAP version) gets a duplicate receipt whose "
              "RequestHash is the first delivery's, not the digest of the bytes it answers; "
              "applied receipts are right [README: RequestHash, base64 SHA-256 of the exact "
              "request bytes — a reply not bound to its request is refused; docs/notices.md: a "
              "notice delivered again under its MessageId may differ in SentAt, UserId, Sender "
              "SystemId, SOAP version]"),
    "rule-finding-line-of-pretty-copy": (
        1, BOTH, "the rules beyond XSD run on the indented copy of the request the vendor keeps "
                 "for its message log: every PF-RULE-VIOLATION finding (a check digit, a code "
                 "list) carries a pff:Line of that copy — line 27 of an inquiry, 34 of a notice "
                 "sent on one line; other faults carry no Line, as before [docs/faults.md: a finding's Line "
                 "is its line in the message as received — a Line, when given, must be a line "
                 "of the request; fault-v1.xsd Finding]"),
    "ex-officio-correction-id-not-recorded": (
        1, S, "the 職権修正 (C11) handler is the clerks' override path, which commits the "
              "resident's state itself and returns before the inbox records the MessageId: a "
              "notice holding a C11 change delivered again is receipted applied, not duplicate; "
              "other 異動事由 are right [docs/notices.md: the hub is an idempotent receiver, the "
              "notice applied and its ID recorded in one transaction; receipt-v1.xsd duplicate: "
              "this MessageId was received before]"),
    "extract-pages-labelled-application-xml": (
        1, P, "全件 pages are streamed by the vendor's batch exporter, a generic XML writer that "
              "labels them Content-Type application/xml; charset=utf-8 in both SOAP versions; "
              "inquiries and faults are right [SOAP 1.1 binding: text/xml; SOAP 1.2 Part 2 and "
              "RFC 3902: application/soap+xml; docs/adapter-sdk.md: SOAP 1.1 (text/xml) and "
              "1.2 (application/soap+xml) each answered in its own version; README]"),
    "household-number-of-requested-key": (
        1, P, "the 住民照会 writer fills the Household's cmn:HouseholdNumber from the variable "
              "holding the request's key (both are the handler's `number`): an inquiry by "
              "宛名番号 0000010014 is answered HouseholdNumber 0000010014, not 0000050016; by "
              "個人番号, and the resident's own HouseholdNumber, right [common-v1.xsd "
              "HouseholdType HouseholdNumber: the household's number; juki-v1.xsd: the "
              "household the resident belonged to]"),
    "version-mismatch-fault-as-client": (
        1, BOTH, "the envelope check raises the vendor's generic 'bad envelope' error: a "
                 "well-formed request whose root is not the Envelope of SOAP 1.1 or 1.2 (a SOAP "
                 "1.2 draft's namespace) is answered PF-SOAP-ENVELOPE with the fault code "
                 "soap:Client / env:Sender (SOAP 1.2: HTTP 400, no Upgrade block) instead of "
                 "VersionMismatch [SOAP 1.1 4.1.2 and 4.4.1; SOAP 1.2 Part 1 5.4.7 and Part 2 "
                 "7.5.2.2; docs/faults.md: a version error is SOAP's VersionMismatch, HTTP 500]"),
    # 2 — inputs rarely sent: valid values at unusual places of their domain
    "reason-two-character-column-internal": (
        2, S, "the vendor keeps 異動事由 in a CHAR(2) column as the group letter and the number "
              "without its leading zero (A1 … C9): a change whose cmn:Reason is C10, C11 or C12 "
              "(軽微な修正, 職権修正, 誤記修正 — the end of the code list) fails PF-PROVIDER-INTERNAL "
              "(value too long), redelivered until dead [codelists change_reason C10–C12; "
              "docs/notices.md: a valid notice is applied, never answered PF-PROVIDER-INTERNAL "
              "for a value its type admits]"),
    "sender-unit-03-merged-refused": (
        2, BOTH, "the vendor's 業務ユニット table dropped 03 外国人 when that unit was merged into "
                 "住基: a message whose Sender BusinessUnit is 03 is refused PF-HEADER-INVALID "
                 "(codelist:business_unit); every other code is right [codelists business_unit "
                 "03 外国人; README: every 業務ユニット of the code list is answered as any other]"),
    "removal-reason-status-cross-checked": (
        2, S, "the vendor cross-checks 異動事由 against 住民状態: a 消除 (B..) must carry 住民状態 "
              "2, 3 or 4 and a 記載 (A..) 1 — a change B05 改製 with 住民状態 1 (its 記載 follows) "
              "is refused VENDOR-STATUS (client), redelivered until dead [docs/notices.md: "
              "異動事由 and 住民状態 are separate items, a change is applied whatever pairing it "
              "carries — a 消除 with 住民状態 1 among them]"),
    "last-page-limit-remainder": (
        2, P, "the last page's query has LIMIT TotalCount % PageSize (the rest after the full "
              "pages): when PageSize divides TotalCount (a 全件 in pages of 1, or of exactly its "
              "size) the last page is empty; other sizes are right [docs/notices.md and "
              "juki-v1.xsd: every page but the last holds PageSize residents, together the "
              "pages hold TotalCount distinct residents]"),
    # 3 — characters
    "name-uro-unicode-1-1-range-refused": (
        3, S, "the vendor's 漢字 check is the regex [一-龥] (U+4E00–U+9FA5, the URO of Unicode "
              "1.1) beside its kana, Latin and extension ranges: a change whose name holds a "
              "CJK Unified Ideograph added later (鿃 U+9FC3, 龴 U+9FB4, both MJ characters) is "
              "refused VENDOR-CHARACTER (client) [docs/characters.md: every block the MJ table "
              "draws from — the CJK Unified Ideographs among them — is a block a name may hold, "
              "no block refused; docs/notices.md: a valid notice is applied]"),
    "stores-original-when-text-has-geta": (
        3, S, "the name mapper takes a 縮退 holding 〓 (U+3013, no candidate found) for one that "
              "lost a character and stores cmn:Original instead: a change whose Text is 〓橋美咲 "
              "with Original 髙橋美咲 is held as 髙橋美咲 [docs/characters.md: a receiver that "
              "stores MJ holds the name as sent — the resident's name is Text exactly as sent, "
              "never replaced by Original]"),
    "extract-nonbmp-double-escaped": (
        3, P, "the 全件 exporter writes characters beyond the BMP as character references into "
              "the text (a habit of its Shift_JIS-era bridge), which the XML writer escapes once "
              "more: 𠮷田一郎 reaches the receiver as the literal text &#x20BB7;田一郎, and every "
              "IVS selector as &#xE0102; …; inquiries are right [docs/characters.md: names "
              "travel as UCS plus Moji_Joho IVS selectors, byte for byte, never changed]"),
    # 4 — time
    "sent-at-epoch-seconds-directive": (
        4, BOTH, "the reply header's SentAt is formatted with %s where %S was meant: its seconds "
                 "field is the Unix time (2026-12-09T15:20:1796797200+09:00), not a dateTime "
                 "[README: SentAt, the time sent, +09:00; header-v1.xsd SentAt xs:dateTime; "
                 "docs/faults.md: an answer whose header is not valid is "
                 "PF-PROVIDER-INVALID-RESPONSE]"),
    "dated-members-dates-as-timestamps": (
        4, P, "with a 基準日 the household is read from the vendor's history tables, whose date "
              "columns are TIMESTAMPs written with str(): the Members' DateOfBirth, "
              "BecameResidentOn and AddressFixedOn read 1987-11-23 00:00:00; answers without "
              "AsOf are right [common-v1.xsd ResidentType dates xs:date; juki-v1.xsd AsOf: the "
              "household as it was on that date]"),
    "seen-ids-expire-two-years-after-occurred-on": (
        4, S, "the inbox keeps a MessageId online until two years after its change's 異動年月日 "
              "(when the vendor's 異動履歴 rows go to the archive) and looks IDs up only among "
              "those still online: a notice about an older event (OccurredOn 2020-04-01, a "
              "誤記修正) delivered again is receipted applied, not duplicate [docs/notices.md: "
              "seen MessageIds are not partitioned by time — whatever period the 異動年月日 lies "
              "in, a MessageId received is a duplicate]"),
    # 5 — durability: state lost or altered by a restart, exactly once across crashes
    "seen-ids-rebuilt-from-receive-log-on-start": (
        5, S, "the vendor's inbox looks a MessageId up before the notice's rules, and the "
              "start-up job rebuilds it from the log of every MessageId received, refused ones "
              "included: a notice refused (PF-RULE-VIOLATION) and delivered again after a "
              "restart is receipted duplicate [docs/notices.md: a start-up records no refused "
              "MessageId — a refused notice delivered after a restart is refused again, never "
              "duplicate]"),
    "seen-ids-migration-rerun-keeps-uuid4": (
        5, S, "the inbox migration never sets PRAGMA user_version, so it runs at every start; "
              "its copy keeps the rows matching the vendor's own ID format (UUID version 4): "
              "after a restart a notice whose MessageId is of another version (1, 6, 7 …) is "
              "applied again when delivered, receipted applied [header-v1.xsd MessageIdType "
              "version [1-8]; docs/notices.md: seen MessageIds survive a restart, all of them]"),
    "first-notice-after-start-in-initial-load-mode": (
        5, S, "the subscriber starts in its 全件 initial-load mode (no 異動連番 check: a 全件 "
              "carries none) and reads its mode from the store only once the first notice has "
              "been handled: the first notice after every start is applied whatever its 異動連番 "
              "— an older change delivered after a restart overwrites the newer state [docs/"
              "notices.md: each resident's last 異動連番 survives a restart; the next notice gets "
              "after a restart the answer it would have got without one]"),
}

TWENTYNINTH_MEASURED_MISSES: dict[str, str] = {
    "stores-original-when-text-has-geta": "no case sends a Text holding 〓 beside an Original",
    "seen-ids-migration-rerun-keeps-uuid4": "every MessageId the suite sent was of version 4",
}

_NONBMP = re.compile("[\U00010000-\U0010FFFF]")
_MEMBER_DATES = ("DateOfBirth", "BecameResidentOn", "AddressFixedOn")
_RULE_ELEMENTS = {"addressee_number": "AddresseeNumber", "individual_number": "IndividualNumber",
                  **{f"codelist:{name}": local for local, name in CODELISTS.items()}}


def double_escaped(text: str) -> str:
    """extract-nonbmp-double-escaped: a text as the 全件 bridge writes it (before the XML
    writer escapes its ampersands)."""
    return _NONBMP.sub(lambda m: f"&#x{ord(m[0]):X};", text)


def pretty_line(root, rule: str) -> int | None:
    """rule-finding-line-of-pretty-copy: the line of the rule's element in the indented copy."""
    local = _RULE_ELEMENTS.get(rule)
    if root is None or local is None:
        return None
    copy = etree.fromstring(etree.tostring(root, pretty_print=True))
    el = next(copy.iter(f"{{*}}{local}"), None)
    return el.sourceline if el is not None else None


class TwentyNinthBatch(TwentyNinthStore):
    """Mixed into Adapter: the twenty-ninth batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentyninth: dict

    def _twentyninth_mine(self) -> bool:
        return self.defect in TWENTYNINTH_DEFECTS and \
            self.role in TWENTYNINTH_DEFECTS[self.defect or ""][1]

    # --- the platform's checks passed: the vendor's own --------------------------------------

    def _twentyninth_checks(self, header, body, mid) -> None:
        self.twentyninth["root"] = body.getroottree().getroot()
        self.twentyninth["key"] = body.findtext(f"{{{JUKI}}}AddresseeNumber")
        self.twentyninth["as_of"] = body.findtext(f"{{{JUKI}}}AsOf")
        if self.role == "subscriber":
            self._twentyninth_notice_begins(body, mid)
        if not self._twentyninth_mine():
            return
        unit = (header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}BusinessUnit") or "").strip()
        if self.defect == "sender-unit-03-merged-refused" and unit == "03":
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("codelist:business_unit", "03 is not a 業務ユニット")], mid)
        if self.role == "subscriber":
            self._twentyninth_notice_checks(body, mid)

    # --- the provider ------------------------------------------------------------------------

    def _twentyninth_slice(self, page: int, pages: int, count: int, size: int, start: int,
                           end: int) -> tuple[int, int]:
        if self._twentyninth_mine() and self.defect == "last-page-limit-remainder" and \
                page == pages and size:
            return start, start + count % size
        return start, end

    def _twentyninth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentyninth_mine() or self.role != "provider":
            return
        d = self.defect
        if d == "extract-nonbmp-double-escaped" and \
                response.tag == f"{{{JUKI}}}ResidentFullExtractResponse":
            for el in response.iterfind(f"{{{JUKI}}}Resident"):
                for t in el.iter():
                    if isinstance(t.tag, str) and t.text:
                        t.text = double_escaped(t.text)
        if response.tag != f"{{{JUKI}}}ResidentInquiryResponse":
            return
        if d == "household-number-of-requested-key" and self.twentyninth.get("key"):
            el = response.find(f"{{{JUKI}}}Household/{{{CMN}}}HouseholdNumber")
            if el is not None:
                el.text = self.twentyninth["key"]
        if d == "dated-members-dates-as-timestamps" and self.twentyninth.get("as_of"):
            for member in response.iterfind(f"{{{JUKI}}}Household/{{{CMN}}}Member"):
                for el in member.iter(*(f"{{{CMN}}}{n}" for n in _MEMBER_DATES)):
                    el.text = f"{el.text} 00:00:00"

    # --- the reply header ----------------------------------------------------------------------

    def _twentyninth_now(self) -> str | None:
        if not (self._twentyninth_mine() and self.defect == "sent-at-epoch-seconds-directive"):
            return None
        now = dt.datetime.now(JST)
        return f"{now:%Y-%m-%dT%H:%M:}{int(now.timestamp())}+09:00"

    def _twentyninth_reply_header(self, h, response) -> None:
        if self._twentyninth_mine():
            self._twentyninth_receipt_header(h, response)

    # --- faults and HTTP -------------------------------------------------------------------------

    def _twentyninth_fault(self, refusal: Refusal) -> None:
        if self._twentyninth_mine() and self.defect == "version-mismatch-fault-as-client" and \
                refusal.soap_code == "VersionMismatch":
            refusal.soap_code = None

    def _twentyninth_fault_detail(self, detail, refusal: Refusal) -> None:
        """The pff:FaultDetail as written, before its bytes."""
        if not (self._twentyninth_mine() and self.defect == "rule-finding-line-of-pretty-copy"
                and refusal.code == "PF-RULE-VIOLATION"):
            return
        for finding in detail.iterfind(f"{{{PFF}}}Finding"):
            line = pretty_line(self.twentyninth.get("root"), finding.findtext(f"{{{PFF}}}Rule"))
            if line is not None:
                etree.SubElement(finding, f"{{{PFF}}}Line").text = str(line)
                finding[0].addnext(finding[-1])  # Rule, Line, Message

    def _twentyninth_framing(self, body, answer) -> None:
        """An answer as the endpoint frames it (``body``: the request's body element)."""
        if self._twentyninth_mine() and self.defect == "extract-pages-labelled-application-xml" \
                and body is not None and body.tag == EXTRACT and answer.status == 200:
            answer.content_type = "application/xml; charset=utf-8"


__all__ = ["TWENTYNINTH_DEFECTS", "TWENTYNINTH_MEASURED_MISSES", "TwentyNinthBatch",
           "double_escaped", "pretty_line"]
