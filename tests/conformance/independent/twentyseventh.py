"""The twenty-seventh blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b27) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … twenty-sixth, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. ``TwentySeventhBatch`` is mixed into ``Adapter``; its ``_twentyseventh_*`` hooks are
called where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store and notice-mapper hooks are in twentyseventh_store.py.

Committed as 55cd32c. Measured once, blind, on main a2c66e6 + this batch (rounds 26 and 26b in,
both written before this batch and unseen by its author; `python -m
tests.conformance.independent_runs TWENTYSEVENTH_BATCH`, 2026-12-05 23:41:03Z, 1 min 8 s, two at
a time, load average 1.4–2 beside a clean-clone CI run): 21/22 caught = 95.5 %. Per class: 1 (one
message shape) 6/6, 2 (inputs rarely sent) 6/6, 3 (characters) 3/3, 4 (time) 4/4, 5
(durability) 2/3. Per role: provider 9/9, subscriber 12/13. No variant crashed or failed to
start. The author read only the vendor documents (which name some cases, e.g. S-GRID-01, and
round 26's new rules) and the earlier batches' docstrings (which name cases that caught them).
Missed (TWENTYSEVENTH_MEASURED_MISSES; no variant was changed after the measurement):
- seen-id-of-kept-out-notice-uncommitted (subscriber): a notice whose changes are all kept out
  leaves its MessageId uncommitted until the next notice — a crash right after it, and its
  redelivery is receipted applied, not duplicate. Round 27b's S-DUR-11 (a notice of every
  outcome right before a crash, delivered again after it) catches it after the fact.
"""

from __future__ import annotations

import datetime as dt

from .standard import CMN, JST, JUKI, PFH, PFR, Refusal
from .twentyseventh_store import TwentySeventhStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
EXTRACT = "juki.ResidentFullExtract"

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYSEVENTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one change kind, one binding or one page only
    "member-gender-of-head": (
        1, P, "the 住民照会 answer's household members are read through a join whose 性別 column "
              "is the head's: every cmn:Member carries the head's cmn:Gender (総務大輔, 1, "
              "answered 2); the resident asked for and the head are right [common-v1.xsd "
              "HouseholdType: Member is cmn:ResidentType, each member's own record; codelists "
              "gender]"),
    "later-pages-offset-one-based": (
        1, P, "the 全件 page query computes OFFSET (Page − 1) × PageSize + 1 for pages after the "
              "first (the first page has its own query without OFFSET): page 2 starts one "
              "resident late, the resident between the pages is in none [docs/notices.md and "
              "juki-v1.xsd ResidentFullExtractResponse: every page but the last holds PageSize "
              "residents, together the pages hold TotalCount distinct residents]"),
    "later-pages-http-206": (
        1, P, "pages after the first of a 全件 are answered HTTP 206 Partial Content (\"a part "
              "of the extract\"), without Content-Range; the first page and inquiries are 200 "
              "[SOAP 1.1 6.2 and SOAP 1.2 Part 2 7.5: a SOAP response message is sent with "
              "200 OK; RFC 9110 15.3.7: 206 answers a Range request, with Content-Range]"),
    "misrouted-finding-rule-routing": (
        1, BOTH, "the routing check names its finding after the vendor's own module: a message "
                 "addressed to another system is refused PF-PROVIDER-MISROUTED with a finding "
                 "whose rule is routing:receiver; other faults, and PF-PROVIDER-MISROUTED for "
                 "another service or version, are right [docs/faults.md: every pff:Finding names "
                 "its rule, PF-PROVIDER-MISROUTED header:receiver; README: a system answers only "
                 "what is addressed to it, rules header:receiver, service:endpoint, "
                 "service:version; docs/notices.md: PF-PROVIDER-MISROUTED naming header:receiver]"),
    "receipt-linkage-kind-full": (
        1, S, "the receipt writer fills the reply header from the subscription's record, made "
              "when the subscriber loaded its 全件: every pfr:NoticeReceipt says LinkageKind full "
              "to a notice sent as delta; faults are right [README: a reply keeps the request's "
              "LinkageKind — the receipt of a notice (delta) is delta]"),
    # 2 — inputs rarely sent: valid values at unusual places of their domain
    "linkage-kind-full-refused-off-extract": (
        2, BOTH, "the vendor checks the LinkageKind against the service's catalog entry: an "
                 "inquiry (provider) or a notice (subscriber) sent with LinkageKind full is "
                 "refused PF-HEADER-INVALID; delta, and a 全件 sent as either, are right "
                 "[README: a request carrying the other LinkageKind is not refused for it — an "
                 "inquiry sent as full answered as the inquiry it is, a notice sent as full "
                 "applied and receipted, its reply echoing the LinkageKind sent]"),
    "sender-system-id-single-character-refused": (
        2, BOTH, "the audit writer's SystemId pattern is [A-Za-z0-9][A-Za-z0-9._-]+ (+ for *): "
                 "a Sender whose SystemId is one character (a, 7) is refused PF-HEADER-INVALID "
                 "[header-v1.xsd SystemIdType [A-Za-z0-9][A-Za-z0-9._\\-]{0,63}; README: a "
                 "SystemId of 1 to 64 characters is answered as any other]"),
    "address-fixed-before-became-resident-refused": (
        2, S, "the vendor checks that 住所を定めた年月日 is not before 住民となった年月日: a change "
              "carrying both optional dates, cmn:AddressFixedOn the earlier (an address fixed "
              "before the 届出 made the person a resident), is refused VENDOR-DATE (client), "
              "redelivered until dead [common-v1.xsd ResidentType: BecameResidentOn and "
              "AddressFixedOn, xs:date, minOccurs 0, no order between them; docs/notices.md: "
              "every value a field admits is stored as sent, a valid notice is applied]"),
    "relationship-gender-cross-checked": (
        2, S, "the vendor cross-checks 続柄 against 性別 (夫, 兄, 弟, 父 and 子の夫 male; 妻, 姉, 妹, "
              "母 and 子の妻 female): a change whose cmn:Relationship is 02 夫 with cmn:Gender 2 "
              "(or 03 妻 with 1) is refused VENDOR-RELATIONSHIP (client), redelivered until "
              "dead [codelists relationship and gender: two code lists, no rule between them; "
              "docs/notices.md: every value a field admits is stored as sent, a valid notice "
              "is applied]"),
    # 3 — characters
    "kana-wi-we-refused": (
        3, S, "the vendor's カナ table was built from 現代仮名遣い and lacks ヰ and ヱ (U+30F0, "
              "U+30F1): a change whose reading holds one (ヰ… , スヱ) is refused VENDOR-CHARACTER "
              "(client) [common-v1.xsd KanaTextType U+30A1–U+30F6; docs/characters.md: every "
              "kana of JIS X 0208 rows 4 and 5 is stored as sent, ヰ ヱ not modernised; "
              "docs/notices.md: a valid notice is applied]"),
    "cp932-ibm-extension-kanji-refused": (
        3, S, "the vendor's 機種依存文字 check refuses every character CP932 writes in its "
              "NEC-selected or IBM extension rows (lead byte ED, EE, FA … FC): a change whose "
              "name holds 髙, 﨑 or 神 U+FA19 is refused VENDOR-CHARACTER (client); JIS X 0208 "
              "names are right [docs/characters.md: 髙 U+9AD9 is MJ028902, the CJK Compatibility "
              "Ideographs a block a name may hold, no block refused; docs/notices.md: stored as "
              "sent, a valid notice is applied]"),
    "member-names-shift-jis-replaced": (
        3, P, "the household members of a 住民照会 answer are read from the vendor's 世帯 view, "
              "whose name columns are Shift_JIS (JIS X 0208): every character of a cmn:Member's "
              "names outside it is answered ? (髙橋美咲 as ?橋美咲); the resident asked for and "
              "the HeadName are right [docs/characters.md: names travel as UCS plus Moji_Joho "
              "selectors byte for byte, 髙 U+9AD9 an MJ character; common-v1.xsd HouseholdType "
              "Member cmn:ResidentType, NameTextType never normalised]"),
    # 4 — time
    "sent-at-month-zero-based": (
        4, BOTH, "the reply header's SentAt is formatted from a calendar whose month field counts "
                 "from 0 (Java's Calendar.MONTH): every reply's SentAt is a month early, and in "
                 "January its month is 00 [README: SentAt is the time sent, always +09:00; "
                 "header-v1.xsd SentAt; docs/faults.md: an answer whose header is not valid is "
                 "PF-PROVIDER-INVALID-RESPONSE]"),
    "as-of-today-refused": (
        4, P, "the 基準日 check refuses a future date with >= instead of >: an inquiry or a "
              "全件 whose juki:AsOf is today (JST) is refused VENDOR-AS-OF (client); earlier "
              "dates are right [juki-v1.xsd AsOf: the state as of this date, inclusive; today "
              "when absent — today is a 基準日 like any other]"),
    "birth-over-120-years-refused": (
        4, S, "the vendor's plausibility check refuses a 生年月日 more than 120 years before "
              "today (JST): a change of a resident born in 1890 (a 消除 of a 所在不明高齢者, a "
              "record kept since) is refused VENDOR-DATE (client), redelivered until dead "
              "[common-v1.xsd DateOfBirth xs:date; docs/notices.md: every value a field admits "
              "is stored as sent, never refused]"),
    # 5 — durability: state lost or altered by a restart, exactly once across crashes
    "new-resident-notice-id-kept-in-memory": (
        5, S, "the 新規 path (a change of a resident not held) records the notice's MessageId in "
              "a cache of the process, not in the seen table: delivered again after a restart, "
              "such a notice is receipted applied (its change kept out) instead of duplicate; "
              "notices of residents held are right [docs/notices.md: seen MessageIds survive a "
              "restart, all of them; what a notice got is what it gets after a restart]"),
    "change-count-rebuilt-from-sequence-on-start": (
        5, S, "the start-up consistency job sets each resident's count of changes applied to "
              "its last 異動連番 (\"連番 start at 1, one per change\"): after a restart a resident "
              "whose first change held was 異動連番 5 counts 5 changes [docs/notices.md: a "
              "start-up restores every resident as it was, the count of changes applied among "
              "what it holds; a start-up changes no stored value]"),
    "seen-id-of-kept-out-notice-uncommitted": (
        5, S, "a notice whose changes are all kept out goes down the \"nothing to apply\" branch, "
              "which records its MessageId and answers applied but whose commit is in the other "
              "branch: it stays uncommitted until the next notice — a crash before it loses the "
              "MessageId, and the notice delivered again is receipted applied, not duplicate "
              "[docs/notices.md: a notice whose changes are all kept out is received, its "
              "MessageId recorded like any other; every answer holds across a restart]"),
}

TWENTYSEVENTH_MEASURED_MISSES: frozenset[str] = frozenset(
    {"seen-id-of-kept-out-notice-uncommitted"})


def shift_jis_replaced(text: str) -> str:
    """member-names-shift-jis-replaced: a text through a Shift_JIS (JIS X 0208) column."""
    return text.encode("shift_jis", "replace").decode("shift_jis")


def _page(body) -> int:
    try:
        return int((body.findtext(f"{{{JUKI}}}Page") or "1").strip())
    except ValueError:
        return 1


class TwentySeventhBatch(TwentySeventhStore):
    """Mixed into Adapter: the twenty-seventh batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentyseventh: dict

    def _twentyseventh_mine(self) -> bool:
        return self.defect in TWENTYSEVENTH_DEFECTS and \
            self.role in TWENTYSEVENTH_DEFECTS[self.defect or ""][1]

    # --- the platform's checks passed: the vendor's own --------------------------------------

    def _twentyseventh_checks(self, header, body, service_id: str, mid) -> None:
        self._twentyseventh_notice_begins()
        if not self._twentyseventh_mine():
            return
        kind = (header.findtext(f"{{{PFH}}}LinkageKind") or "").strip()
        if self.defect == "linkage-kind-full-refused-off-extract" and kind == "full" and \
                service_id != EXTRACT:
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("vendor:linkage_kind", f"{service_id} is a delta service")], mid)
        system = (header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId") or "").strip()
        if self.defect == "sender-system-id-single-character-refused" and len(system) == 1:
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("vendor:system_id", f"{system} does not match "
                                                "[A-Za-z0-9][A-Za-z0-9._-]+")], mid)
        if self.role == "subscriber":
            self._twentyseventh_notice_checks(body, mid)

    # --- the provider ------------------------------------------------------------------------

    def _twentyseventh_as_of(self, as_of: str | None) -> None:
        if as_of and self._twentyseventh_mine() and self.defect == "as-of-today-refused" and \
                as_of.strip()[:10] >= dt.datetime.now(JST).date().isoformat():
            raise Refusal("VENDOR-AS-OF", "client", "基準日に未来日は指定できません",
                          [("vendor:as_of", f"{as_of.strip()} is not before today")])

    def _twentyseventh_slice(self, page: int, start: int, end: int) -> tuple[int, int]:
        if self._twentyseventh_mine() and self.defect == "later-pages-offset-one-based" and \
                page > 1:
            return start + 1, end + 1
        return start, end

    def _twentyseventh_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentyseventh_mine() or self.role != "provider":
            return
        if self.defect == "member-names-shift-jis-replaced":
            for text in response.iterfind(f"{{{JUKI}}}Household/{{{CMN}}}Member//{{{CMN}}}Text"):
                text.text = shift_jis_replaced(text.text or "")
        if self.defect == "member-gender-of-head" and \
                response.tag == f"{{{JUKI}}}ResidentInquiryResponse":
            members = response.findall(f"{{{JUKI}}}Household/{{{CMN}}}Member")
            head = next((m for m in members
                         if m.findtext(f"{{{CMN}}}Relationship") == "01"), None)
            gender = head.findtext(f"{{{CMN}}}Gender") if head is not None else None
            for member in members:
                el = member.find(f"{{{CMN}}}Gender")
                if gender is not None and el is not None:
                    el.text = gender

    # --- the reply header ----------------------------------------------------------------------

    def _twentyseventh_now(self) -> str | None:
        if not (self._twentyseventh_mine() and self.defect == "sent-at-month-zero-based"):
            return None
        now = dt.datetime.now(JST)
        return f"{now.year:04d}-{now.month - 1:02d}-{now.day:02d}T{now:%H:%M:%S}+09:00"

    def _twentyseventh_reply_header(self, h, response) -> None:
        if self._twentyseventh_mine() and self.defect == "receipt-linkage-kind-full" and \
                response.tag == f"{{{PFR}}}NoticeReceipt":
            kind = h.find(f"{{{PFH}}}LinkageKind")
            if kind is not None:
                kind.text = "full"

    # --- faults and HTTP -------------------------------------------------------------------------

    def _twentyseventh_fault(self, refusal: Refusal) -> None:
        if self._twentyseventh_mine() and self.defect == "misrouted-finding-rule-routing" and \
                refusal.code == "PF-PROVIDER-MISROUTED":
            refusal.findings = [("routing:receiver" if rule == "header:receiver" else rule, text)
                                for rule, text in refusal.findings]

    def _twentyseventh_framing(self, body, answer) -> None:
        """An answer as the endpoint frames it (``body``: the request's body element)."""
        if self._twentyseventh_mine() and self.defect == "later-pages-http-206" and \
                body is not None and body.tag == f"{{{JUKI}}}ResidentFullExtractRequest" and \
                answer.status == 200 and _page(body) > 1:
            answer.status = 206


__all__ = ["TWENTYSEVENTH_DEFECTS", "TWENTYSEVENTH_MEASURED_MISSES", "TwentySeventhBatch",
           "shift_jis_replaced"]
