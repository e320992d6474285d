"""The twenty-eighth blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, docs/glossary.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1, Unicode) and this independent adapter's code, by a helper engineer (session
b28) who has not read the suite, and committed before the suite was run on it. None repeats a
defect of the earlier batches (seventh … twenty-seventh, and variants.py's DEFECTS), which were
read for the mechanics and to stay clear of them; none is a behaviour those documents permit or
leave open. ``TwentyEighthBatch`` is mixed into ``Adapter``; its ``_twentyeighth_*`` hooks are
called where each defect lives and change nothing when no defect of this batch is selected. The
subscriber's store and notice-mapper hooks are in twentyeighth_store.py.

Committed as 7b21fb8. Measured once, blind, on 08332c6 + this batch (rounds 26b and 27b in, both
written before this batch and unseen by its author; `python -m tests.conformance.independent_runs
TWENTYEIGHTH_BATCH`, 2026-12-06 02:57:31Z, 1 min 23 s, two at a time, beside a slow-tier run):
23/23 caught = 100 %. Per class: 1 (one message shape) 7/7, 2 (inputs rarely sent) 4/4, 3
(characters) 4/4, 4 (time) 5/5, 5 (durability) 3/3. Per role: provider 8/8, subscriber 15/15. No
variant crashed or failed to start. The author read, beyond the vendor documents, the MJ table
(schemas/characters/mj.tsv.gz) for real examples and the adapter's test data; no suite file.
Missed: none (TWENTYEIGHTH_MEASURED_MISSES is empty; no variant was changed after the
measurement).
"""

from __future__ import annotations

import datetime as dt
from copy import deepcopy

from .standard import CMN, JST, JUKI, PFH, SOAP11, Refusal
from .twentyeighth_store import TwentyEighthStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYEIGHTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, one change kind, one binding or one page only
    "address-katagaki-before-banchi": (
        1, P, "the answer's address is written from the vendor's 住所 table in its column order, "
              "where 方書 was added before 番地 was split out: an address holding both is written "
              "cmn:Katagaki before cmn:Banchi (ROSSI VIOLA's, in an inquiry and on a 全件 page); "
              "addresses with one of them are right [common-v1.xsd AddressType: a sequence, "
              "Banchi before Katagaki; docs/faults.md: an answer that is not valid by the schema "
              "is PF-PROVIDER-INVALID-RESPONSE]"),
    "head-name-former-surname": (
        1, P, "the household's HeadName is read through the name table, which holds the head's "
              "氏名 and 旧氏 rows, and the last row wins: the HeadName of a head who has a 旧氏 is "
              "the 旧氏 (神谷ﾏﾘｱ's household answered HeadName 神田); heads without one are right "
              "[common-v1.xsd HouseholdType HeadName: the 世帯主の氏名 (platform.md), NameType; "
              "the 旧氏 is cmn:FormerSurname, another item]"),
    "name-original-stored-as-name": (
        1, S, "the notice mapper \"prefers the registered form\": a change whose cmn:Name carries "
              "cmn:Original (a name relayed in 縮退) stores the Original as the resident's name "
              "(髙橋翔子 for Text 高橋翔子); names without one are right [docs/characters.md: a "
              "receiver that stores MJ holds the name as sent — what it stores is Text exactly "
              "as sent, never replaced by Original]"),
    "soap11-notice-must-understand-ignored": (
        1, S, "the SOAP 1.1 notice endpoint (the older servlet) never runs the mustUnderstand "
              "check its SOAP 1.2 endpoint runs: a SOAP 1.1 notice with a header block for this "
              "node, mustUnderstand=\"1\", that it does not understand is applied and receipted "
              "[SOAP 1.1 4.2.3: such a block MUST be understood or the message fails with "
              "MustUnderstand; docs/faults.md Header blocks: the provider applies mustUnderstand, "
              "PF-MUST-UNDERSTAND]"),
    "header-missing-as-header-invalid": (
        1, BOTH, "one check for \"the header is absent or invalid\": a message whose soap:Header "
                 "holds no pfh:PlatformHeader is refused PF-HEADER-INVALID (rule "
                 "header:required); a schema-invalid header is right [docs/faults.md: "
                 "PF-HEADER-MISSING — no pfh:PlatformHeader in soap:Header; docs/adapter-sdk.md: "
                 "PF-HEADER-MISSING for none, PF-HEADER-INVALID for a schema-invalid one]"),
    "former-surname-kana-absent-internal": (
        1, S, "the 旧氏 mapper reads FormerSurname/Kana/Family without a None check: a change "
              "whose cmn:FormerSurname has no cmn:Kana (a 旧氏 registered without its reading) "
              "fails with PF-PROVIDER-INTERNAL, redelivered until dead; a 旧氏 with its reading "
              "is right [common-v1.xsd NameType: Kana minOccurs 0; docs/notices.md: an absent "
              "optional element is never a fault of the subscriber's]"),
    # 2 — inputs rarely sent: valid values at unusual places of their domain
    "request-id-leading-hyphen-ignored": (
        2, P, "the extract job is started through the vendor's job tool, which takes an argument "
              "beginning with '-' for an option and drops it: a first 全件 request whose "
              "RequestId begins with a hyphen (-r1) is made without one, and its retry gets a "
              "second snapshot [juki-v1.xsd ExtractIdType [A-Za-z0-9\\-]{1,64}; docs/notices.md: "
              "another RequestId at every width the type admits, each character a letter, a "
              "digit or a hyphen, the first too; a first request sent again with the same "
              "RequestId is answered from the same snapshot]"),
    "kana-over-50-internal": (
        2, S, "the subscriber's reading columns (氏名カナ 氏, 名) are NVARCHAR(50): a change whose "
              "cmn:Kana Family or Given is longer than 50 characters fails the insert, "
              "PF-PROVIDER-INTERNAL, redelivered until dead [common-v1.xsd KanaTextType: "
              "maxLength 100; docs/notices.md: every value a field admits is stored as sent, a "
              "reading of 100 among them]"),
    "sender-unit-03-obsolete-refused": (
        2, BOTH, "the vendor took 業務ユニット 03 (外国人) for abolished, merged into 住基 since "
                 "2012, and its header check refuses a Sender of unit 03 PF-HEADER-INVALID; the "
                 "other codes are right [codelists business_unit: 03 外国人 is a code; README: "
                 "every 業務ユニット of the code list is answered as any other]"),
    # 3 — characters
    "ivs-after-nonbmp-base-dropped": (
        3, S, "the name layer attaches a variation selector to the previous UTF-16 unit and "
              "drops it when that unit is a surrogate: an IVS sequence whose base lies beyond "
              "the BMP (U+22034 U+E0100, MJ007920) is stored without its selector; IVS on BMP "
              "bases are right [docs/characters.md: the selector belongs to its base, part of "
              "the character, never dropped; docs/notices.md: stored as sent, code point for "
              "code point]"),
    "name-beyond-extension-b-refused": (
        3, S, "the vendor's 文字チェック asks its runtime whether each code point is defined, and "
              "its runtime's Unicode (4.0) ends the ideographs at Extension B: a change whose "
              "name holds a character of Extensions C to F (𫝊 U+2B74A, MJ007022) is refused "
              "VENDOR-CHARACTER (client), redelivered until dead; 𠮷 (Extension B) is right "
              "[docs/characters.md: the CJK Unified Ideographs and their Extensions A to F are "
              "blocks a name may hold, none refused; docs/notices.md: a valid notice is applied]"),
    "stores-jis78-pairs-swapped": (
        3, S, "the name column lives on a host whose code table is JIS C 6226-1978 while the "
              "gateway encodes with JIS X 0208-1983: the 22 pairs swapped in 1983 come back "
              "exchanged (桧山涛子 is held 檜山濤子, 鯵 as 鰺) [docs/characters.md: names are never "
              "normalised, a registered name depends on the exact glyph; docs/notices.md: stored "
              "as sent, code point for code point]"),
    "removed-resident-nonbmp-as-replacement": (
        3, P, "a resident whose 住民状態 is not 1 (a 除票) is read from the 除票 table, whose name "
              "columns are UCS-2: each character beyond the BMP of its names is answered as two "
              "U+FFFD (𠮷田一郎 as ��田一郎), in inquiries and on 全件 pages; residents are right "
              "[docs/characters.md: names travel as UCS plus Moji_Joho selectors byte for byte, "
              "𠮷 U+20BB7 an MJ character]"),
    # 4 — time
    "recorded-on-other-day-than-sent-at-refused": (
        4, S, "the vendor checks that a change's 記録年月日 is the day its notice was sent (\"a "
              "registry sends its changes the day it records them\"): a change whose "
              "cmn:RecordedOn is another day than the header's SentAt (a backlog, an outbox "
              "resending after an outage) is refused VENDOR-DATE (client), redelivered until "
              "dead [common-v1.xsd ChangeEventType RecordedOn xs:date, no relation to SentAt; "
              "docs/faults.md: an outbox resends with the original SentAt; docs/notices.md: a "
              "hub delivers a notice however long after, a valid notice is applied]"),
    "became-resident-on-birth-day-refused": (
        4, S, "the vendor's date rule \"a person is born before becoming a resident\" is written "
              "with <=: a change whose 住民となった年月日 is its 生年月日 (a 出生, registered on the "
              "day of birth) is refused VENDOR-DATE (client), redelivered until dead; later "
              "days are right [common-v1.xsd ResidentType DateOfBirth, BecameResidentOn xs:date; "
              "docs/notices.md: every value a field admits is stored as sent, a valid notice is "
              "applied]"),
    "extract-future-as-of-empty": (
        4, P, "a dated 全件 reads the registry's history table, which ends today: a 全件 whose "
              "juki:AsOf lies after today (JST) is answered empty, TotalCount 0; today and "
              "earlier dates are right [juki-v1.xsd AsOf: the state as of this date, inclusive — "
              "every resident recorded by then (BecameResidentOn on or before it); "
              "docs/notices.md: together the pages hold TotalCount residents of the snapshot]"),
    "sent-at-minus-nine-hours": (
        4, BOTH, "the reply writer turns its UTC clock into JST by subtracting the zone's "
                 "offset (the POSIX sign of TZ=JST-9 taken for the offset's) and writes +09:00: "
                 "every reply's SentAt is 18 hours behind the time sent [README: SentAt is the "
                 "time sent, always +09:00; header-v1.xsd SentAt]"),
    # 5 — durability: state lost or altered by a restart, exactly once across crashes
    "duplicate-refresh-left-uncommitted": (
        5, S, "a redelivered notice refreshes its inbox row (\"last seen\") before the duplicate "
              "receipt: the DELETE runs at once (autocommit), the INSERT in a transaction whose "
              "commit is in the apply branch, so it stays open until the next notice — a crash "
              "right after a duplicate receipt loses the MessageId, and the notice delivered "
              "again is receipted applied, not duplicate [docs/notices.md: seen MessageIds "
              "survive a restart, all of them; what a notice got is what it gets after one]"),
    "soap11-seen-ids-in-process": (
        5, S, "the SOAP 1.1 notice endpoint (the older servlet) de-duplicates with a set of its "
              "own process and never writes the seen table: a notice received over SOAP 1.1 and "
              "delivered again after a restart is receipted applied, not duplicate; SOAP 1.2 "
              "notices are right [docs/notices.md: seen MessageIds survive a restart; a notice's "
              "MessageId is its whole key, whatever SOAP version; docs/adapter-sdk.md: the "
              "MessageId recorded in the one transaction]"),
    "household-changes-second-connection-uncommitted": (
        5, S, "the 世帯 changes (C02 世帯分離 … C05 世帯主変更) are written by the vendor's 世帯 "
              "module through a connection of its own, whose transaction is committed at that "
              "connection's next use: such a notice is receipted applied before it is stored, "
              "and a crash before the next notice loses it [docs/notices.md: a receipt means "
              "stored durably; docs/adapter-sdk.md: only after the commit is applied answered]"),
}

# the variants the measurement missed (name → why): none
TWENTYEIGHTH_MEASURED_MISSES: dict[str, str] = {}

REPLACEMENT = "\ufffd\ufffd"  # a character beyond the BMP through a UCS-2 column


def ucs2_replaced(text: str) -> str:
    """removed-resident-nonbmp-as-replacement: a text through a UCS-2 name column."""
    return "".join(REPLACEMENT if ord(c) > 0xFFFF else c for c in text)


class TwentyEighthBatch(TwentyEighthStore):
    """Mixed into Adapter: the twenty-eighth batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentyeighth: dict

    def _twentyeighth_mine(self) -> bool:
        return self.defect in TWENTYEIGHTH_DEFECTS and \
            self.role in TWENTYEIGHTH_DEFECTS[self.defect or ""][1]

    # --- the platform's checks -----------------------------------------------------------------

    def _twentyeighth_no_header(self) -> None:
        """Before PF-HEADER-MISSING: header-missing-as-header-invalid answers its own code."""
        if self._twentyeighth_mine() and self.defect == "header-missing-as-header-invalid":
            raise Refusal("PF-HEADER-INVALID", "client", "the header is absent or invalid",
                          [("header:required", "soap:Header has no valid pfh:PlatformHeader")])

    def _twentyeighth_checks(self, header, body, soap: str, mid) -> None:
        """The platform's checks passed: the vendor's own."""
        self.twentyeighth["soap"] = soap
        if not self._twentyeighth_mine():
            return
        unit = (header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}BusinessUnit") or "").strip()
        if self.defect == "sender-unit-03-obsolete-refused" and unit == "03":
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("vendor:business_unit", "業務ユニット 03 is abolished")], mid)
        if self.role == "subscriber":
            self._twentyeighth_notice_checks(header, body, mid)

    def _twentyeighth_must_understand_skipped(self, soap: str) -> bool:
        """soap11-notice-must-understand-ignored: the SOAP 1.1 notice servlet has no
        mustUnderstand check."""
        return self.defect == "soap11-notice-must-understand-ignored" and \
            self.role == "subscriber" and soap == SOAP11

    # --- the provider ------------------------------------------------------------------------

    def _twentyeighth_request_id(self, request_id: str | None) -> str | None:
        if request_id is not None and self._twentyeighth_mine() and \
                self.defect == "request-id-leading-hyphen-ignored" and \
                request_id.strip().startswith("-"):
            return None  # taken for an option of the job tool
        return request_id

    def _twentyeighth_numbers(self, numbers: list, as_of: str | None) -> list:
        if as_of and self._twentyeighth_mine() and self.defect == "extract-future-as-of-empty" \
                and as_of.strip()[:10] > dt.datetime.now(JST).date().isoformat():
            return []  # the history table ends today
        return numbers

    def _twentyeighth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentyeighth_mine() or self.role != "provider":
            return
        if self.defect == "address-katagaki-before-banchi":
            for address in response.iter(f"{{{CMN}}}Address"):
                banchi = address.find(f"{{{CMN}}}Banchi")
                katagaki = address.find(f"{{{CMN}}}Katagaki")
                if banchi is not None and katagaki is not None:
                    banchi.addprevious(katagaki)
        if self.defect == "removed-resident-nonbmp-as-replacement":
            for record in response.iter(f"{{{JUKI}}}Resident", f"{{{CMN}}}Member"):
                if (record.findtext(f"{{{CMN}}}ResidentStatus") or "1").strip() != "1":
                    for text in record.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original"):
                        text.text = ucs2_replaced(text.text or "")
        if self.defect == "head-name-former-surname":
            for household in response.iter(f"{{{JUKI}}}Household"):
                head = next((m for m in household.iterfind(f"{{{CMN}}}Member")
                             if m.findtext(f"{{{CMN}}}Relationship") == "01"), None)
                former = head.find(f"{{{CMN}}}FormerSurname") if head is not None else None
                name = household.find(f"{{{CMN}}}HeadName")
                if former is not None and name is not None:
                    for child in list(name):
                        name.remove(child)
                    for child in former:
                        name.append(deepcopy(child))

    # --- the reply header ----------------------------------------------------------------------

    def _twentyeighth_now(self) -> str | None:
        if not (self._twentyeighth_mine() and self.defect == "sent-at-minus-nine-hours"):
            return None
        utc = dt.datetime.now(dt.timezone.utc)
        return (utc - dt.timedelta(hours=9)).replace(tzinfo=JST).isoformat(timespec="seconds")


__all__ = ["REPLACEMENT", "TWENTYEIGHTH_DEFECTS", "TWENTYEIGHTH_MEASURED_MISSES",
           "TwentyEighthBatch", "ucs2_replaced"]
