"""The twenty-fifth blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b25) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … twenty-fourth, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. ``TwentyFifthBatch`` is mixed into ``Adapter``; its ``_twentyfifth_*`` hooks are
called where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store and notice-mapper hooks are in twentyfifth_store.py.

Measured once, blind, on b877110 + this batch (main at that moment: rounds 23a–23c in; round 24,
written meanwhile by an author who had not seen this batch, not yet;
`python -m tests.conformance.independent_runs TWENTYFIFTH_BATCH`, 2026-12-05 19:21:23Z –
19:22:43Z, two at a time, load average 5.1–5.3 from a clean-clone CI run): 25/29 caught =
86.2 %. Per class: 1 (one message shape) 8/9, 2 (inputs rarely sent) 3/6, 3 (characters) 5/5,
4 (time) 5/5, 5 (durability) 4/4. Per role: provider 12/13, subscriber 13/16. No variant crashed
or failed to start. Missed (TWENTYFIFTH_MEASURED_MISSES; no variant was changed after the
measurement):
- multi-change-watermark-of-first-change (subscriber): a notice of several changes of one
  resident stores the last change's state with the first change's 異動連番;
- service-id-compared-case-insensitively (provider and subscriber): juki.residentinquiry served
  as juki.ResidentInquiry instead of refused;
- katagaki-without-banchi-internal (subscriber): an address with a Katagaki and no Banchi
  answered PF-PROVIDER-INTERNAL.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from .standard import CMN, JUKI, PFF, PFH, SOAP12, Refusal
from .twentyfifth_store import TwentyFifthStore, compatibility_as_svs, voiced_katakana_split

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")
EPOCH_DAY = ("1970-01-01", "1970-01-01Z", "1970-01-01+00:00", "1970-01-01-00:00")
DATES = ("DateOfBirth", "BecameResidentOn", "AddressFixedOn")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYFIFTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one change kind or one binding only
    "returnee-from-abroad-refused": (
        1, S, "the 国外転入 (A02) handler was written for the 外国人住民 registration screen and "
              "checks cmn:ResidentKind 2: a 日本人 returning from abroad (A02 with ResidentKind "
              "1) is refused VENDOR-KIND (client), redelivered until dead; other reasons, and "
              "an A02 of a 外国人, are right [codelists change_reason A02 国外転入, resident_kind "
              "1 日本人; docs/notices.md: a change is the resident's state whatever its 異動事由, "
              "a valid notice is applied]"),
    "alias-registration-without-former-surname-internal": (
        1, S, "the 旧氏・通称の記載 (C08) handler reads the new 旧氏 from cmn:FormerSurname "
              "without checking it is there: a C08 whose resident carries none (a 通称, which "
              "the schema has no element for) fails PF-PROVIDER-INTERNAL, redelivered until "
              "dead; other reasons, and a C08 with a 旧氏, are right [codelists change_reason "
              "C08 旧氏・通称の記載; common-v1.xsd ResidentType: FormerSurname minOccurs 0; "
              "docs/notices.md: a valid notice is applied]"),
    "kept-out-change-counted": (
        1, S, "the change counter is the vendor's 受信件数, incremented for every change "
              "received: a change kept out (its 異動連番 not greater than the last applied) "
              "leaves the resident's state as it was but counts as a change applied [docs/"
              "notices.md: a change is applied exactly when its 異動連番 is greater; what a "
              "subscriber holds of a resident includes the count of changes applied]"),
    "former-surname-appended-last": (
        1, P, "the 旧氏 was added to the vendor's answer mapper after the rest, which appends it: "
              "a resident or member with a 旧氏 is answered with cmn:FormerSurname after "
              "cmn:AddressFixedOn, the last child, in inquiries and 全件 pages alike; residents "
              "without one are right [common-v1.xsd ResidentType: a sequence, FormerSurname "
              "right after Name, before DateOfBirth]"),
    "total-count-rounded-up-to-pages": (
        1, P, "the 全件 writer computes TotalCount back from its pages, TotalPages × PageSize: "
              "an extract whose last page is not full says more residents than it holds (11 "
              "in pages of 3: TotalCount 12); extracts of whole pages are right [juki-v1.xsd "
              "ResidentFullExtractResponse, docs/notices.md paging contract: TotalPages = "
              "⌈TotalCount / PageSize⌉, the pages together hold TotalCount distinct residents]"),
    "not-found-answer-reuses-last-found": (
        1, P, "the 住民照会 handler keeps its response object in a field and only resets its "
              "Status: a not-found answer given after a found one still carries that answer's "
              "juki:Resident and juki:Household — another resident's record, under Status "
              "not-found; found answers, and a not-found one before any found, are right "
              "[juki-v1.xsd ResidentInquiryResponse: Status, then the resident and the "
              "household — the one asked for; cmn:InquiryStatusType not-found]"),
    "multi-change-watermark-of-first-change": (
        1, S, "a notice holding several changes of one resident is written as one resident row "
              "per notice: its state from the last change, its 異動連番 from the first — an "
              "older change delivered after the notice (between its first and last 異動連番) "
              "is applied over the newer state; notices of one change per resident are right "
              "[docs/notices.md: a notice may hold several changes of one resident; judge each "
              "change on its own; a change is applied exactly when its 異動連番 is greater than "
              "the last one applied]"),
    "soap12-fault-message-id-after-findings": (
        1, BOTH, "the SOAP 1.2 fault writer builds the pff:FaultDetail from its fault object in "
                 "the order code, party, findings, then adds the message ID: a SOAP 1.2 fault "
                 "with findings carries pff:MessageId after the last pff:Finding; SOAP 1.1 "
                 "faults are right [fault-v1.xsd FaultDetail: a sequence Code, Party, "
                 "MessageId?, Finding*; docs/faults.md: every fault carries a pff:FaultDetail]"),
    # 2 — inputs rarely sent: valid values at unusual places of their domain
    "sender-prefecture-code-internal": (
        2, BOTH, "the audit writer names the caller from the vendor's master of municipalities: a "
                 "Sender whose 団体コード is a prefecture's (130001 東京都, municipality part "
                 "000) is not in it, raises KeyError and is answered PF-PROVIDER-INTERNAL "
                 "[platform.md: 団体コード, 130001 東京都 among the examples; README: every "
                 "Sender the schema and its rules admit — any 団体コード with a valid check "
                 "digit — is answered as any other]"),
    "service-id-compared-case-insensitively": (
        2, BOTH, "the endpoint routes by ServiceId through a case-insensitive dictionary: a "
                 "message whose header names juki.residentinquiry (or juki.residentchangenotice) "
                 "is served as the catalog's juki.ResidentInquiry instead of being refused "
                 "[README: ServiceId and Version are compared as the characters they are; a "
                 "Service it does not serve is refused; header-v1.xsd ServiceIdType]"),
    "extract-id-looked-up-case-insensitively": (
        2, P, "snapshots are kept in a table whose ExtractId column has a case-insensitive "
              "collation: a later request naming an ExtractId the provider never gave, the "
              "given one in upper case, is answered with that snapshot's page instead of the "
              "unknown-extract client fault [juki-v1.xsd ExtractIdType: case-sensitive text; "
              "docs/notices.md: an unknown ExtractId is the client's error]"),
    "katagaki-without-banchi-internal": (
        2, S, "the 住所 mapper builds the vendor's 番地方書 column as Banchi + ' ' + Katagaki: a "
              "change whose address has a cmn:Katagaki but no cmn:Banchi (a building named "
              "without a 地番) raises TypeError, PF-PROVIDER-INTERNAL, redelivered until dead "
              "[common-v1.xsd AddressType: Banchi and Katagaki each minOccurs 0; "
              "docs/notices.md: a valid notice is applied]"),
    # 3 — characters
    "compatibility-ideographs-as-svs": (
        3, BOTH, "the vendor's name layer \"protects\" CJK compatibility ideographs from "
                 "normalisation by writing each as its unified base plus a standardized "
                 "variation selector: 神谷ﾏﾘｱ (神 U+FA19) is answered or stored as 神 U+795E "
                 "U+FE00 谷ﾏﾘｱ, 福 U+FA1B as U+798F U+FE00; 﨑 U+FA11 (a unified ideograph) is "
                 "left [docs/characters.md: names are UCS plus Moji_Joho IVS selectors, never "
                 "normalised, 神 U+FA19 is not 神 U+795E; a selector outside the Moji_Joho "
                 "collection is an unknown character]"),
    "katakana-via-host-half-width": (
        3, BOTH, "text goes through the host's JIS X 0201 katakana page and back with a "
                 "per-byte widening table: every voiced or semi-voiced full-width katakana comes "
                 "back as its base and the spacing mark — ガ as カ゛, ヴ as ウ゛, パ as ハ゜ — in "
                 "the provider's answers (readings: ヴィオラ → ウ゛ィオラ) and the subscriber's "
                 "stored names [docs/characters.md: ヴ is not written ウ゛, no katakana goes "
                 "through half-width forms; a registered name exactly as registered; common-"
                 "v1.xsd KanaTextType: U+30A1–U+30F6, U+30FB, U+30FC, U+3000]"),
    "name-ivs-selector-refused": (
        3, S, "the vendor's 文字チェック looks every code point of a name up in its MJ table, "
              "one by one: a variation selector is no MJ character on its own, so a name "
              "holding an IVS sequence (渡邉󠄟 — 邉 U+E011F, 葛󠄂 U+E0102) is refused "
              "VENDOR-CHARACTER (client), redelivered until dead [docs/characters.md: a text "
              "is read as graphemes, the selector belongs to its base, 葛 + U+E0102 is one "
              "character, MJ022335; platform.md: UCS plus Moji_Joho IVS selectors]"),
    # 4 — time
    "dates-written-unpadded": (
        4, P, "the answer writer formats the registry's dates from their parts with str(): "
              "DateOfBirth, BecameResidentOn and AddressFixedOn with a one-digit month or day "
              "are written 2015-4-1, 1975-2-28 (2-digit months and days are right) "
              "[common-v1.xsd: xs:date, whose lexical form is YYYY-MM-DD, month and day "
              "of two digits (XML Schema Part 2 §3.2.9)]"),
    "sent-at-regression-refused": (
        4, BOTH, "the vendor's replay guard keeps the latest SentAt received from each Sender "
                 "and refuses PF-MESSAGE-STALE a message stamped earlier: a notice of another "
                 "resident (or a request) that was sent before one already received — "
                 "different residents in parallel, a resend from an outbox with its original "
                 "SentAt — is refused [docs/faults.md: freshness is SentAt within clock_skew "
                 "ahead and, for a request, max_age behind, a notice is not held to max_age; "
                 "docs/notices.md: different residents flow in parallel]"),
    "notice-ahead-of-clock-deferred": (
        4, S, "a notice stamped ahead of the subscriber's clock (a publisher's clock a little "
              "fast, within the hub's clock_skew) is \"not yet due\": receipted applied at once "
              "and put on an in-memory timer that applies it at its SentAt — until then the "
              "resident keeps its earlier state, and a restart before it loses the notice "
              "[docs/faults.md: a SentAt up to clock_skew ahead is fresh; docs/notices.md: a "
              "receipt means stored durably; docs/adapter-sdk.md: applied is answered only "
              "after the commit]"),
    "as-of-epoch-day-taken-as-absent": (
        4, P, "the 基準日 is turned into Unix seconds and tested with `if as_of:`: 1970-01-01, "
              "second 0, is taken as no 基準日 and answered with today's state — a resident "
              "recorded later is found (inquiry) or listed (全件) [juki-v1.xsd AsOf: the state "
              "as of this date, found only if recorded by then; today only when absent]"),
    # 5 — durability: state lost or altered by a restart, exactly once across crashes
    "changes-count-rebuilt-on-start": (
        5, S, "the start script rebuilds the change counter from the vendor's 異動履歴, which "
              "keeps one row per resident (its latest): after a restart every resident held "
              "counts one change applied [docs/notices.md: a start-up restores every resident "
              "as it was — the count of changes applied among what it holds; every answer "
              "holds across a restart]"),
    "seen-key-with-sender-system": (
        5, S, "the inbox is kept per publisher, keyed by (Sender SystemId, MessageId): a "
              "notice delivered again under its MessageId with another Sender SystemId (a "
              "standby publisher resending it) is taken for a new notice and receipted "
              "applied, not duplicate [docs/notices.md: a notice's MessageId is its whole key, "
              "a duplicate whatever else differs — another Sender SystemId included; "
              "receipt-v1.xsd duplicate]"),
    "request-id-map-one-per-sender": (
        5, P, "the RequestId → ExtractId map keeps one entry per Sender (\"its current "
              "transfer\"): a second transfer's first request replaces the first's, so the "
              "first transfer's first request retried afterwards gets a second snapshot [docs/"
              "notices.md: made once per (Sender, RequestId), a retried first request is "
              "answered from the same snapshot, never from a second one]"),
    "catch-up-notices-applied-after-receipt": (
        5, S, "a notice sent more than 10 minutes before it arrives (an outbox's backlog, a "
              "hub's redelivery after an outage) goes to the vendor's catch-up queue, which a "
              "worker applies 0.5 s after the receipt: killed in between, the notice is lost "
              "though receipted applied [docs/notices.md: a receipt means stored durably; "
              "docs/adapter-sdk.md: applied is answered only after the commit]"),
}

# The blind measurement's misses (name, role), as measured on b877110.
TWENTYFIFTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("multi-change-watermark-of-first-change", "subscriber"),
    ("service-id-compared-case-insensitively", "provider"),
    ("service-id-compared-case-insensitively", "subscriber"),
    ("katagaki-without-banchi-internal", "subscriber"),
})


def unpadded_date(text: str) -> str:
    """dates-written-unpadded: 2015-04-01 written 2015-4-1 (a time zone, if any, kept)."""
    head, tail = text[:10], text[10:]
    parts = head.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return text
    return f"{int(parts[0]):04d}-{int(parts[1])}-{int(parts[2])}{tail}"


class TwentyFifthBatch(TwentyFifthStore):
    """Mixed into Adapter: the twenty-fifth batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentyfifth: dict
    extracts: dict
    extract_requests: dict

    def _twentyfifth_mine(self) -> bool:
        return self.defect in TWENTYFIFTH_DEFECTS and \
            self.role in TWENTYFIFTH_DEFECTS[self.defect or ""][1]

    # --- the platform's checks passed: the vendor's own --------------------------------------

    def _twentyfifth_checks(self, header, body, mid) -> None:
        if not self._twentyfifth_mine():
            return
        sender = tuple(header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}{n}") or ""
                       for n in ("LocalGovCode", "BusinessUnit", "SystemId"))
        if self.defect == "sender-prefecture-code-internal" and sender[0][2:5] == "000":
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request was not logged",
                          [("vendor:audit", f"KeyError: '{sender[0]}' (団体マスタ)")], mid)
        if self.defect == "sent-at-regression-refused":
            try:
                sent = dt.datetime.fromisoformat(
                    (header.findtext(f"{{{PFH}}}SentAt") or "").strip())
            except ValueError:
                sent = None
            latest = self.twentyfifth.setdefault("latest", {})
            if sent is not None and sender in latest and sent < latest[sender]:
                raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is older than the last",
                              [("vendor:replay", f"before {latest[sender].isoformat()}")], mid)
            if sent is not None:
                latest[sender] = max(sent, latest.get(sender, sent))
        if self.role == "subscriber":
            self._twentyfifth_notice_checks(body, mid)

    def _twentyfifth_service_id(self, named: str | None, served: str) -> str | None:
        """The header's ServiceId as the endpoint compares it with the one it serves."""
        if self._twentyfifth_mine() and self.defect == "service-id-compared-case-insensitively" \
                and named is not None and named.casefold() == served.casefold():
            return served
        return named

    # --- the provider ------------------------------------------------------------------------

    def _twentyfifth_as_of(self, as_of: str | None) -> str | None:
        if self._twentyfifth_mine() and self.defect == "as-of-epoch-day-taken-as-absent" and \
                as_of is not None and as_of.strip() in EPOCH_DAY:
            return None  # second 0 of the epoch: falsy
        return as_of

    def _twentyfifth_extract_id(self, extract_id: str | None) -> str | None:
        if self._twentyfifth_mine() and self.defect == "extract-id-looked-up-case-insensitively" \
                and extract_id is not None and extract_id not in self.extracts:
            return next((k for k in self.extracts if str(k).casefold() == extract_id.casefold()),
                        extract_id)
        return extract_id

    def _twentyfifth_snapshot_made(self, key: tuple, request_id: str | None) -> None:
        if self._twentyfifth_mine() and self.defect == "request-id-map-one-per-sender" and \
                request_id is not None:
            for other in [k for k in self.extract_requests if k != key and k[0] == key[0]]:
                del self.extract_requests[other]  # the Sender's "current transfer" replaced

    def _twentyfifth_totals(self, pages: int, count: int, size: int) -> tuple[int, int]:
        if self._twentyfifth_mine() and self.defect == "total-count-rounded-up-to-pages" and \
                size and count % size:
            return pages, pages * size
        return pages, count

    def _twentyfifth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentyfifth_mine():
            return
        if self.defect == "not-found-answer-reuses-last-found" and \
                response.tag == f"{{{JUKI}}}ResidentInquiryResponse":
            record = [c for c in response if c.tag != f"{{{JUKI}}}Status"]
            if response.findtext(f"{{{JUKI}}}Status") == "found":
                self.twentyfifth["last"] = [etree.tostring(c) for c in record]
            elif not record:  # the field still holds the last found answer's children
                for kept in self.twentyfifth.get("last", []):
                    response.append(etree.fromstring(kept))
        if self.defect == "former-surname-appended-last":
            for former in list(response.iter(f"{{{CMN}}}FormerSurname")):
                parent = former.getparent()
                parent.remove(former)
                parent.append(former)
        if self.defect == "dates-written-unpadded":
            for el in response.iter(*(f"{{{CMN}}}{d}" for d in DATES)):
                el.text = unpadded_date(el.text or "")
        if self.defect == "compatibility-ideographs-as-svs":
            for el in response.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original"):
                el.text = compatibility_as_svs(el.text or "")
        if self.defect == "katakana-via-host-half-width":
            for el in response.iter():
                if isinstance(el.tag, str) and el.text:
                    el.text = voiced_katakana_split(el.text)

    def _twentyfifth_fault(self, detail, soap: str) -> None:
        """The fault's pff:FaultDetail, complete."""
        if self._twentyfifth_mine() and self.defect == "soap12-fault-message-id-after-findings" \
                and soap == SOAP12:
            message_id = detail.find(f"{{{PFF}}}MessageId")
            if message_id is not None and detail.find(f"{{{PFF}}}Finding") is not None:
                detail.remove(message_id)
                detail.append(message_id)


__all__ = ["DATES", "EPOCH_DAY", "TWENTYFIFTH_DEFECTS", "TWENTYFIFTH_MEASURED_MISSES",
           "TwentyFifthBatch", "unpadded_date"]
