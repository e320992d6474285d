"""The twenty-second blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, the XSDs and WSDLs, the code lists, ../shared/docs/platform.md, and the
standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML Schema, HTTP/1.1) and this independent
adapter's code, by a helper engineer (session b22) who has not read the suite, and committed
before the suite was run on it. None repeats a defect of the earlier batches (seventh …
twenty-first, and variants.py's DEFECTS), which were read for the mechanics and to stay clear of
them; none is a behaviour those documents permit or leave open.
``TwentySecondBatch`` is mixed into ``Adapter``; its ``_twentysecond_*`` hooks are called where
each defect lives and change nothing when no defect of this batch is selected. The subscriber's
store and notice-mapper hooks are in twentysecond_store.py.

Measured once, blind, on bdf976e (main at that moment: the suite with rounds 19 and 21 in —
round 21 written meanwhile by an author who had not seen this batch, rounds 20 and 22 not yet;
`python -m tests.conformance.independent_runs TWENTYSECOND_BATCH`, 2026-12-05 12:39:30Z –
12:41:21Z, two at a time, load average 4.5–5.6 from other helpers' work): 23/28 caught =
82.1 %. Per class: 1 (one message shape) 7/7, 2 (inputs rarely sent) 6/8, 3 (characters) 4/5,
4 (time) 4/4, 5 (durability) 2/4. Per role: provider 10/11, subscriber 13/17. No variant
crashed or failed to start; round 21's S-RST-01 caught seen-ids-of-stale-notices-pruned-on-start.
Missed (TWENTYSECOND_MEASURED_MISSES; no variant was changed after the measurement):
- sender-unit-outside-customer-map-internal (provider): a Sender 業務ユニット outside the
  vendor's customer map answered internal;
- short-addressee-number-left-padded (subscriber): a 5-digit 宛名番号 held zero-padded, over
  another resident;
- name-cut-at-comma-by-csv-loader (subscriber): a name holding a comma stored up to it;
- seen-ids-looked-up-in-current-month-partition (subscriber): a notice of an earlier month's
  SentAt redelivered is receipted applied again;
- removed-watermarks-cleared-on-start (subscriber): after a restart an older change of a removed
  resident is applied over its 消除.
"""

from __future__ import annotations

import datetime as dt
import re

from .standard import CMN, JUKI, PFH, SOAP12, Refusal
from .twentysecond_store import TwentySecondStore, with_default_ivs

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYSECOND_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, answer kind, party kind or change kind only
    "removed-resident-code-omitted": (
        1, P, "a resident whose 住民状態 is not 1 (転出者, 死亡者: a 除票) is read from the "
              "vendor's 除票 view, which has no 住民票コード column: the answer's resident (or "
              "member) lacks cmn:ResidentCode the record holds; 住民 are right [common-v1.xsd "
              "ResidentType: ResidentCode, one resident's record; juki-v1.xsd "
              "ResidentInquiryResponse: the resident and the household]"),
    "extract-foreigner-kind-written-as-1": (
        1, P, "the 全件 export writes cmn:ResidentKind from its 日本人住民 template's fixed "
              "column: a 外国人住民 (ResidentKind 2) is on the pages as 1; inquiries are right "
              "[codelists resident_kind: 1 日本人, 2 外国人; common-v1.xsd ResidentType: "
              "ResidentKind, the resident's record]"),
    "death-of-head-refused": (
        1, S, "a 死亡 (B03) of a household head (続柄 01) is refused VENDOR-HOUSEHOLD (client) by "
              "the vendor's 世帯 integrity check (\"世帯主変更 C05 first\"), redelivered until "
              "dead; deaths of members and other 消除 are right [codelists change_reason B03 "
              "死亡; docs/notices.md: after a 消除 the record is kept, marked removed; the "
              "subscriber applies the state each change carries]"),
    "former-surname-deletion-name-cleared": (
        1, S, "the 旧氏の削除 (C09) handler's UPDATE was copied from the 旧氏 screen and sets the "
              "氏名 column to NULL with the 旧氏: after a C09 the resident is held without a "
              "name; other 修正 are right [codelists change_reason C09 旧氏・通称の削除; "
              "docs/notices.md: juki:Resident holds every required item (氏名), the resident's "
              "state after the change]"),
    "soap12-as-of-dropped": (
        1, P, "the SOAP 1.2 endpoint's request classes were generated from the WSDL before AsOf "
              "was read: a 基準日 sent over SOAP 1.2 is dropped and the answer is today's "
              "state; over SOAP 1.1 it is right [juki-v1.xsd ResidentInquiryRequest AsOf: the "
              "state as of this date; README: SOAP 1.1 (text/xml) or 1.2 "
              "(application/soap+xml), the same exchange]"),
    "remaking-changes-ignored": (
        1, S, "改製 and 再製 (A05, A06, B05, B06) are taken for the registry's housekeeping, "
              "\"nothing for the tax system\": such a change is receipted applied and neither "
              "its state nor its 異動連番 recorded; other reasons are right [codelists "
              "change_reason A05 改製, A06 再製; docs/notices.md: each change carries the "
              "resident's state after it, applied when its 異動連番 is greater]"),
    "cohabitant-changes-not-held": (
        1, S, "the tax system keeps the 世帯's family only: a change of a resident whose 続柄 is "
              "19 (同居人) or 18 (縁故者) is logged 対象外 and receipted applied, the resident "
              "not held; changes of the family are right [docs/notices.md: a change of a "
              "resident the subscriber does not hold makes it hold that resident; codelists "
              "relationship 18 縁故者, 19 同居人]"),
    # 2 — inputs rarely sent: unusual but valid XML forms, keys, values and combinations
    "soap12-relay-block-refused": (
        2, BOTH, "the SOAP 1.2 header processor refuses a header block marked env:relay=\"true\" "
                 "(\"this node cannot relay\") with a Sender fault, PF-SOAP-ENVELOPE, though it "
                 "is the ultimate receiver and the block (role next, no mustUnderstand) is one "
                 "it may ignore [SOAP 1.2 Part 1 §5.2.4: relay concerns a block an "
                 "intermediary does not process; §2.7: a block not understood and not "
                 "mustUnderstand is ignored; docs/faults.md Header blocks]"),
    "sender-unit-outside-customer-map-internal": (
        2, P, "the audit log names the Sender's 業務ユニット from the vendor's map of its "
              "customers (07 個人住民税, 11 国民健康保険, …): a request from a unit outside it, "
              "say 13 介護保険, raises KeyError and is answered PF-PROVIDER-INTERNAL [codelists "
              "business_unit: 01 … 26; header-v1.xsd Sender BusinessUnit; README: access "
              "rights are the hub's [[access]], and a provider answers what is addressed to "
              "it]"),
    "as-of-padded-taken-as-absent": (
        2, P, "the 基準日 is matched with ^\\d{4}-\\d{2}-\\d{2}$ on the element's text and an "
              "AsOf that does not match is taken as absent: <juki:AsOf> 1990-01-01 </juki:AsOf> "
              "(white space around the date) is answered with today's state [XML Schema Part 2 "
              "xs:date: whiteSpace collapse, the value is 1990-01-01; README: whitespace "
              "collapsed where its type collapses it]"),
    "empty-extract-refused": (
        2, P, "a 全件 request whose snapshot holds no resident (a 基準日 before the first "
              "resident) is refused VENDOR-EXTRACT-EMPTY (client) instead of answered with "
              "TotalPages 0 and TotalCount 0 [juki-v1.xsd ResidentFullExtractResponse: "
              "TotalPages = ceiling(TotalCount / PageSize), 0 when empty; docs/notices.md: "
              "TotalPages 0 for an empty extract]"),
    "short-addressee-number-left-padded": (
        2, S, "the subscriber keeps residents under LPAD(宛名番号, 10, '0') (its CHAR(10) key): "
              "a 宛名番号 of 5 digits (10014) is held as 0000010014, another resident, whose "
              "state it overwrites [common-v1.xsd AddresseeNumberType: [0-9]{2,15}, a string; "
              "docs/notices.md: per resident, the subject cmn:AddresseeNumber]"),
    "resident-status-4-internal": (
        2, S, "the vendor's 住民状態 column has CHECK (住民状態 IN (1, 2, 3)): a change carrying "
              "住民状態 4 (その他消除者, a 職権消除) fails PF-PROVIDER-INTERNAL, redelivered until "
              "dead [codelists resident_status 4 その他消除者; docs/notices.md: a valid notice "
              "is applied]"),
    "history-keyed-by-notice-and-resident-internal": (
        2, S, "each applied change is written to the vendor's 異動履歴 table keyed by "
              "(MessageId, 宛名番号): a notice holding two changes of one resident (異動連番 1 "
              "and 2) violates the key and fails PF-PROVIDER-INTERNAL, redelivered until dead "
              "[docs/notices.md: a notice may hold several changes of one resident; juki-v1.xsd "
              "ResidentChangeNotice: one or more 異動]"),
    # 3 — characters
    "latin-name-space-as-nbsp": (
        3, P, "the answer's name formatter, shared with the vendor's printed 証明書, writes the "
              "space of a Latin name as a no-break space (U+00A0) so that it never wraps: ROSSI "
              "VIOLA is answered ROSSI\u00a0VIOLA [docs/characters.md: a registered name "
              "reaches every system exactly as registered, never normalised]"),
    "stores-name-middle-dot-replaced": (
        3, S, "the 外国人 name columns split 氏 and 名 at the middle dot and join them with a "
              "全角 space: ロッシ・ヴィオラ is stored ロッシ\u3000ヴィオラ [docs/characters.md: a "
              "registered name reaches every system exactly as registered, never normalised]"),
    "name-cut-at-comma-by-csv-loader": (
        3, S, "changes are written through the vendor's bulk loader, a CSV file without quoting: "
              "a name holding a comma (SMITH, JOHN) is stored up to the comma, SMITH [docs/"
              "characters.md: the registered name exactly; common-v1.xsd NameTextType: any "
              "character, whiteSpace preserve]"),
    "ivs-added-to-mj-characters": (
        3, BOTH, "the vendor keeps every MJ character outside JIS X 0213 as base + its default "
                 "selector (its font's IVS form): 髙 and 𠮷 are answered or stored with "
                 "U+E0100 after them, a different character (an IVS outside the Moji_Joho "
                 "collection) [docs/characters.md: a selector belongs to its base, 葛 + U+E0102 "
                 "is another character than 葛; names never normalised, exactly as "
                 "registered]"),
    # 4 — time: clocks, 基準日, lexical forms of dates and times
    "sent-at-hour-24-internal": (
        4, BOTH, "SentAt is read for the audit log with a datetime parser that knows no hour 24: "
                 "a message stamped T24:00:00+09:00 (XML Schema's form of the next day's "
                 "midnight) is answered PF-PROVIDER-INTERNAL [header-v1.xsd SentAt: "
                 "xs:dateTime; XML Schema Part 2 §3.2.7: 24:00:00 is allowed]"),
    "removal-on-assessment-day-not-applied": (
        4, S, "the tax system's 賦課期日 rule: a 消除 (B..) whose 異動年月日 is 1月1日 is kept out "
              "(\"the resident lived here on the 賦課期日\"), receipted applied and not "
              "recorded [docs/notices.md: a change is applied exactly when its 異動連番 is "
              "greater than the last one applied; after a 消除 the record is kept, marked "
              "removed, with its date]"),
    "as-of-max-date-internal": (
        4, P, "the 基準日 query is a half-open range, BecameResidentOn < AsOf + 1 day: the "
              "largest date, AsOf 9999-12-31 (the open end of Japanese date columns), "
              "overflows and is answered PF-PROVIDER-INTERNAL [juki-v1.xsd AsOf: xs:date; "
              "docs/faults.md: PF-PROVIDER-INTERNAL is the adapter failing to answer]"),
    # 5 — durability: what a start must not add or lose, how long seen IDs are kept
    "residents-rebuilt-by-message-id-on-start": (
        5, S, "at start the resident table is rebuilt from the vendor's archive of applied "
              "changes, replayed ORDER BY its key, the MessageId: after a restart a resident "
              "holds the state of the change whose MessageId sorts last, not of the highest "
              "異動連番 [docs/notices.md: the resident ends in the state of the highest 異動連番; "
              "a receipt means stored durably]"),
    "seen-ids-of-stale-notices-pruned-on-start": (
        5, S, "the start-up clean-up deletes seen MessageIds that no resident row refers to: "
              "the ID of a notice whose changes were all stale is lost, and after a restart its "
              "redelivery is receipted applied, not duplicate [docs/notices.md: the hub's "
              "delivery is at least once, the subscriber's receiver idempotent; the ID "
              "recorded with the notice]"),
    "seen-ids-looked-up-in-current-month-partition": (
        5, S, "seen MessageIds are kept in the vendor's inbox table partitioned by month, "
              "written to the partition of the notice's SentAt and looked up in the current "
              "month's only: a notice sent last month (delivered after an outage, or retried "
              "across the month's end) is receipted applied again when redelivered, not "
              "duplicate [docs/notices.md: the hub's delivery is at least once, the "
              "subscriber's receiver idempotent; a notice is delivered even when a subscriber "
              "is down for hours]"),
    "removed-watermarks-cleared-on-start": (
        5, S, "the start-up 除票 housekeeping resets the last 異動連番 of removed residents to "
              "0: after a restart an older change of a removed resident is applied over its "
              "消除 [docs/notices.md: a change is applied exactly when its 異動連番 is greater "
              "than the last one applied; the state of the highest 異動連番]"),
}

# The blind measurement's misses (name, role): none until the lead measures the batch.
TWENTYSECOND_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("sender-unit-outside-customer-map-internal", "provider"),
    ("short-addressee-number-left-padded", "subscriber"),
    ("name-cut-at-comma-by-csv-loader", "subscriber"),
    ("seen-ids-looked-up-in-current-month-partition", "subscriber"),
    ("removed-watermarks-cleared-on-start", "subscriber"),
})

_INQUIRY = f"{{{JUKI}}}ResidentInquiryResponse"
_EXTRACT = f"{{{JUKI}}}ResidentFullExtractResponse"
_AS_OF = re.compile(r"\d{4}-\d{2}-\d{2}")  # as-of-padded-taken-as-absent (fullmatch)
_LATIN = re.compile("[A-Za-z]")
NBSP = "\u00a0"
# sender-unit-outside-customer-map-internal: the units the vendor's customers run
CUSTOMER_UNITS = {"01": "住民基本台帳", "06": "固定資産税", "07": "個人住民税", "11": "国民健康保険"}


def as_of_upper_bound(as_of: str) -> dt.date:
    """The vendor's half-open 基準日 range: the day after AsOf (OverflowError at 9999-12-31)."""
    return dt.date.fromisoformat(as_of.strip()[:10]) + dt.timedelta(days=1)


def audit_sent_at(text: str) -> dt.datetime:
    """SentAt as the vendor's audit log reads it (hour 24 unknown to it)."""
    return dt.datetime.fromisoformat(text.strip())


class TwentySecondBatch(TwentySecondStore):
    """Mixed into Adapter: the twenty-second batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentysecond: dict

    def _twentysecond_mine(self) -> bool:
        return self.defect in TWENTYSECOND_DEFECTS and \
            self.role in TWENTYSECOND_DEFECTS[self.defect or ""][1]

    def _twentysecond_early(self, body, soap: str) -> None:
        """Before the body is validated: the request as the vendor's binding reads it."""
        if not self._twentysecond_mine():
            return
        as_of = body.find(f"{{{JUKI}}}AsOf")
        if as_of is not None and (
                (self.defect == "as-of-padded-taken-as-absent"
                 and not _AS_OF.fullmatch(as_of.text or ""))
                or (self.defect == "soap12-as-of-dropped" and soap == SOAP12)):
            body.remove(as_of)  # "no 基準日: today"

    def _twentysecond_envelope(self, root, soap: str, mid) -> None:
        """The envelope's header blocks, before the platform's checks."""
        if not self._twentysecond_mine() or self.defect != "soap12-relay-block-refused" or \
                soap != SOAP12:
            return
        for block in root.iterfind(f"{{{SOAP12}}}Header/*"):
            if isinstance(block.tag, str) and \
                    block.get(f"{{{SOAP12}}}relay", "").strip() in ("true", "1"):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "a header block cannot be relayed",
                              [("soap:relay", f"{block.tag} is to be relayed")], mid)

    # --- the platform's checks passed: the vendor's own --------------------------------------

    def _twentysecond_checks(self, header, body, mid) -> None:
        if not self._twentysecond_mine():
            return
        d = self.defect
        if d == "sent-at-hour-24-internal":
            try:
                audit_sent_at(header.findtext(f"{{{PFH}}}SentAt") or "")
            except ValueError as exc:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request was not logged",
                              [("vendor:audit", str(exc))], mid) from None
        unit = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}BusinessUnit")
        if d == "sender-unit-outside-customer-map-internal" and unit not in CUSTOMER_UNITS:
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request was not logged",
                          [("vendor:audit", f"KeyError: {unit!r}")], mid)
        as_of = body.find(f"{{{JUKI}}}AsOf")
        if d == "as-of-max-date-internal" and as_of is not None:
            try:
                as_of_upper_bound(as_of.text or "")
            except OverflowError as exc:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the history cannot be read",
                              [("vendor:history", f"OverflowError: {exc}")], mid) from None
        if d == "seen-ids-looked-up-in-current-month-partition":
            self.twentysecond.setdefault("sent_at", {})[mid] = header.findtext(
                f"{{{PFH}}}SentAt")
        if self.role == "subscriber":
            self._twentysecond_notice_checks(body, mid)

    # --- answers ---------------------------------------------------------------------------

    def _twentysecond_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentysecond_mine():
            return
        d = self.defect
        residents = [el for el in response.iter(f"{{{JUKI}}}Resident", f"{{{CMN}}}Member")]
        if d == "removed-resident-code-omitted" and response.tag == _INQUIRY:
            for resident in residents:
                code = resident.find(f"{{{CMN}}}ResidentCode")
                if resident.findtext(f"{{{CMN}}}ResidentStatus") != "1" and code is not None:
                    resident.remove(code)
        if d == "extract-foreigner-kind-written-as-1" and response.tag == _EXTRACT:
            for kind in response.iter(f"{{{CMN}}}ResidentKind"):
                kind.text = "1"
        if d == "empty-extract-refused" and response.tag == _EXTRACT and \
                response.findtext(f"{{{JUKI}}}TotalCount") == "0":
            raise Refusal("VENDOR-EXTRACT-EMPTY", "client", "no resident as of that date",
                          [("vendor:extract", "the snapshot is empty")])
        if d == "ivs-added-to-mj-characters":
            for text in response.iter(f"{{{CMN}}}Text"):
                text.text = with_default_ivs(text.text)
        if d == "latin-name-space-as-nbsp":
            for text in response.iter(f"{{{CMN}}}Text"):
                if text.text and _LATIN.search(text.text):
                    text.text = text.text.replace(" ", NBSP)


__all__ = ["CUSTOMER_UNITS", "NBSP", "TWENTYSECOND_DEFECTS", "TWENTYSECOND_MEASURED_MISSES",
           "TwentySecondBatch", "as_of_upper_bound", "audit_sent_at"]
