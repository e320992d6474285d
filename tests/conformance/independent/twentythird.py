"""The twenty-third blind batch of defects (issue 11): plausible single mistakes of a vendor's
code path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, docs/adapter-sdk.md, the XSDs and WSDLs, the code lists,
../shared/docs/platform.md, and the standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML
Schema, HTTP/1.1) and this independent adapter's code, by a helper engineer (session b23) who
has not read the suite, and committed before the suite was run on it. None repeats a defect of
the earlier batches (seventh … twenty-second, and variants.py's DEFECTS), which were read for the
mechanics and to stay clear of them; none is a behaviour those documents permit or leave open.
``TwentyThirdBatch`` is mixed into ``Adapter``; its ``_twentythird_*`` hooks are called where
each defect lives and change nothing when no defect of this batch is selected. The subscriber's
store and notice-mapper hooks are in twentythird_store.py.

Measured once, blind, on cf38804 (main at that moment: rounds 20–22 in; rounds 23a and 23b,
written meanwhile by authors who had not seen this batch, not yet; `python -m
tests.conformance.independent_runs TWENTYTHIRD_BATCH`, 2026-12-05 15:49:10Z – 15:50:44Z, two at
a time, load average 3.5–4.6 from other helpers' work): 24/30 caught = 80.0 %. Per class: 1 (one
message shape) 4/5, 2 (inputs rarely sent) 10/13, 3 (characters) 5/6, 4 (time) 3/3, 5
(durability) 2/3. Per role: provider 10/12, subscriber 14/18. No variant crashed or failed to
start. Missed (TWENTYTHIRD_MEASURED_MISSES; no variant was changed after the measurement):
- resident-code-change-keyed-by-code (subscriber): a C07 carrying a ResidentCode written under
  that code, the resident under its 宛名番号 left as it was;
- request-id-keyed-with-user-id (provider): a first 全件 request retried by another UserId of
  the same Sender gets a second snapshot;
- sender-system-id-leading-digit-refused (provider and subscriber): a Sender SystemId beginning
  with a digit refused PF-HEADER-INVALID;
- stores-name-archaic-kana-modernised (subscriber): ゐ ゑ ヰ ヱ stored as い え イ エ;
- provisional-residents-reopened-on-start (subscriber): a resident first held through a 修正 has
  its 異動連番 reset at start-up, its older 記載 then applied.
Re-run with rounds 23b and 23a (blind for both, 16:07:57Z and 16:24:39Z): the same six missed as
written (round 23a's SystemIds all began with a letter; round 23b's states lacked a resident
first held through a 修正). After those two enumerations were completed (after the fact):
27/30 = 90.0 % (16:29:28Z – 16:30:30Z) — the C07 row, the retry by another UserId and the
archaic kana still missed.
"""

from __future__ import annotations

import datetime as dt

from .characters import _half_width_kana
from .standard import CMN, JST, JUKI, PFH, PFR, SOAP11, Answer, Refusal
from .twentythird_store import TwentyThirdStore, pua_filtered, without_late_selectors

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTYTHIRD_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, answer kind, change kind or binding only
    "abroad-removal-without-notified-on-refused": (
        1, S, "the tax system's 国外転出 (B02) handler files the resident as 非居住者 and takes "
              "the 届出年月日 for the 出国予定日 its table needs (NOT NULL): a B02 without "
              "cmn:NotifiedOn is refused VENDOR-DEPARTURE (client), redelivered until dead; "
              "other reasons, and a B02 with NotifiedOn, are right [codelists change_reason "
              "B02 国外転出; common-v1.xsd ChangeEventType: NotifiedOn minOccurs 0; "
              "docs/notices.md: each change is the resident's state after it, applied when "
              "its 異動連番 is greater]"),
    "resident-code-change-keyed-by-code": (
        1, S, "the 住民票コード変更 (C07) handler's UPDATE was written from the C07 screen, "
              "whose key field is the new 住民票コード: a C07 carrying cmn:ResidentCode is "
              "written to a row keyed by that code, and the resident held under its 宛名番号 "
              "keeps its earlier state; other reasons are right [codelists change_reason C07 "
              "住民票コード変更; docs/notices.md: per resident, the subject "
              "cmn:AddresseeNumber, the resident ends in the state of the highest 異動連番]"),
    "soap11-receipt-status-capitalised": (
        1, S, "the SOAP 1.1 notice endpoint (the older one) writes the receipt's Status from "
              "its enum's name, capitalised: Applied, Duplicate; SOAP 1.2 receipts are right "
              "[receipt-v1.xsd NoticeReceipt Status: the enumeration applied | duplicate, "
              "compared as written (XML Schema Part 2 §4.3.5)]"),
    "as-of-answers-linkage-kind-full": (
        1, P, "a 住民照会 with a 基準日 goes down the vendor's dated path, shared with the 全件 "
              "export, whose reply header says LinkageKind full: the answer to a delta inquiry "
              "with AsOf comes back full; inquiries without AsOf are right [README: a reply "
              "keeps the request's LinkageKind, the answer to an inquiry is delta; "
              "header-v1.xsd LinkageKind: a reply carries its request's unchanged]"),
    "unknown-extract-http-404": (
        1, P, "the fault for an unknown ExtractId is mapped to HTTP 404 by the vendor's REST "
              "habit (\"no such resource\"), in both bindings; other faults keep their status "
              "[SOAP 1.1 §6.2: a fault is sent with HTTP 500; SOAP 1.2 Part 2 §7.5.2.2: "
              "env:Sender with 400; docs/adapter-sdk.md: SOAP 1.1 faults 500, SOAP 1.2 "
              "Sender 400]"),
    # 2 — inputs rarely sent: valid values at unusual places of their domain
    "content-type-split-on-semicolon": (
        2, BOTH, "the front end reads the Content-Type's parameters as "
                 "name, value = part.split('=') over content_type.split(';'): a trailing ';', "
                 "an empty parameter (;;) or a quoted value holding ';' or '=' (an action "
                 "URI) raises and is refused PF-CONTENT-TYPE [README, Encodings and the "
                 "Content-Type: an empty parameter and a trailing ';' are read, a "
                 "quoted-string is one value whatever ';' or '=' it holds; RFC 9110 §5.6.4, "
                 "§5.6.6]"),
    "reply-receiver-local-gov-as-integer": (
        2, P, "the caller's 団体コード is kept in the vendor's NUMBER column of its 照会記録 "
              "and the reply's Receiver is written from it: a Sender of a 団体コード starting "
              "with 0 (011002 札幌市, every 北海道 and 青森県 code) is answered to LocalGovCode "
              "11002 [common-v1.xsd LocalGovCodeType: [0-9]{6}; README: a reply swaps sender "
              "and receiver; platform.md: 011002 札幌市]"),
    "addressee-number-cut-to-12": (
        2, S, "the subscriber's 宛名番号 column is VARCHAR(12) and the insert truncates "
              "silently: two residents of 15-digit 宛名番号 that share their first 12 digits "
              "(a municipality prefix and a sequence) are one row, the second's change judged "
              "against the first's 異動連番 [common-v1.xsd AddresseeNumberType: [0-9]{2,15}; "
              "platform.md: length varies by municipality; docs/notices.md: per resident, "
              "the subject cmn:AddresseeNumber]"),
    "request-id-keyed-with-user-id": (
        2, P, "the RequestId → ExtractId map is the vendor's job table, keyed by (Sender, "
              "UserId, RequestId) — a job belongs to the account that started it: a first "
              "全件 request retried with the same RequestId by another account of the same "
              "system (the night operator's, after a restart of the receiver) gets a second "
              "snapshot [docs/notices.md: made once per RequestId, the key is (Sender, "
              "RequestId), the Sender being the header's whole party (団体コード, 業務ユニット, "
              "SystemId); juki-v1.xsd ResidentFullExtractRequest RequestId; header-v1.xsd "
              "UserId: the acting user, for audit]"),
    "sender-system-id-leading-digit-refused": (
        2, BOTH, "the audit writer checks the Sender's SystemId as an identifier of its own, "
                 "[A-Za-z][A-Za-z0-9._-]*: a system whose ID starts with a digit (2nd-tax, "
                 "01juki) is refused PF-HEADER-INVALID [header-v1.xsd SystemIdType: "
                 "[A-Za-z0-9][A-Za-z0-9._-]{0,63}; README: a system refuses only what is not "
                 "addressed to it]"),
    "foreign-mononym-refused": (
        2, S, "the 外国人住民 mapper splits the registered alphabet name into its 氏 and 名 "
              "columns at the space and refuses VENDOR-NAME (client) a name of ResidentKind 2 "
              "without one — a mononym (SUKARNO), as Indonesian or Myanmar names are "
              "registered — redelivered until dead; 日本人 names are right [common-v1.xsd "
              "NameTextType: the name as registered, 1 to 100 characters; codelists "
              "resident_kind 2 外国人; docs/notices.md: a valid notice is applied]"),
    "town-over-12-characters-internal": (
        2, S, "the subscriber's 町名 column is NVARCHAR(12): a change whose cmn:Town is longer "
              "(京都's 通り名 addresses, 寺町通御池上る上本能寺前町: 13) fails "
              "PF-PROVIDER-INTERNAL, redelivered until dead [common-v1.xsd AddressTextType: "
              "maxLength 200; docs/notices.md: a valid notice is applied]"),
    "household-number-int32-internal": (
        2, S, "the subscriber's 世帯番号 column is a 32-bit INTEGER: a change whose "
              "cmn:HouseholdNumber is above 2147483647 (10 digits from 2147483648 on, any of "
              "11 to 15) fails PF-PROVIDER-INTERNAL, redelivered until dead [common-v1.xsd "
              "HouseholdNumberType: [0-9]{2,15}; docs/notices.md: a valid notice is "
              "applied]"),
    "notice-sender-system-pinned-refused": (
        2, S, "the subscriber records the publisher of the first notice it receives as \"the "
              "registry\" and refuses VENDOR-PUBLISHER (client) a notice of any other Sender "
              "— a registry's standby system, its successor after a vendor change — "
              "redelivered until dead [docs/security.md: who may publish is the hub's "
              "[[access]] right publish; docs/migration.md: another vendor becomes the "
              "registry; docs/notices.md: a subscriber accepts a notice whose Receiver is (its "
              "団体コード, 01, hub) and applies each change]"),
    "standard-version-as-float-internal": (
        2, BOTH, "the audit writer keeps StandardVersion in a NUMERIC(3,1) column, converted "
                 "with float(): a StandardVersion that is not a decimal number (1.0.1, "
                 "2026-R7) fails PF-PROVIDER-INTERNAL [header-v1.xsd StandardVersion: "
                 "TokenType [A-Za-z0-9][A-Za-z0-9._-]{0,31}, a token, not a number]"),
    # 3 — characters
    "ivs-beyond-vs32-dropped": (
        3, BOTH, "the vendor's glyph table holds the variation selectors U+E0100–U+E010F "
                 "(VS17–VS32, Adobe-Japan1's first sixteen) and drops any later one: 渡邉󠄟 "
                 "(邉 U+E011F, one of Moji_Joho's many 邉) is answered or stored 渡邉, another "
                 "character; 葛󠄂 (U+E0102) is right [docs/characters.md: a selector belongs to "
                 "its base, 葛 + U+E0102 is another character than 葛; names never normalised; "
                 "platform.md: UCS plus Moji_Joho IVS selectors]"),
    "katagaki-half-width-kana": (
        3, P, "方書 is kept in the registry's JIS X 0201 address column of its 住民票 printer: "
              "full-width katakana in cmn:Katagaki are answered half-width (麹町ハイツ301号 → "
              "麹町ﾊｲﾂ301号) [docs/characters.md: 住所 texts are validated, never "
              "substituted, the registered text exactly; platform.md: never normalise]"),
    "stores-name-archaic-kana-modernised": (
        3, S, "the 名寄せ cleaner's 旧仮名 table runs on the stored name: ゐ ゑ ヰ ヱ become い "
              "え イ エ, so 山田すゑ is held 山田すえ [docs/characters.md: a registered name "
              "reaches every system exactly as registered, never normalised; ゐ and ゑ are "
              "JIS X 0208/0213 characters]"),
    "pua-filter-range-overreach": (
        3, BOTH, "the 外字 filter that turns private-use codes into 〓 (on every text the "
                 "system answers or stores) was written with the range U+E000–U+FAFF, the end "
                 "mistyped for U+F8FF: the CJK compatibility ideographs are taken for 外字, so "
                 "神谷ﾏﾘｱ (神 U+FA19) is answered 〓谷ﾏﾘｱ and 山﨑花子 (﨑 U+FA11) stored "
                 "山〓花子 [docs/characters.md: private-use is U+E000–U+F8FF and planes 15–16; "
                 "神 U+FA19 is not 神 U+795E, 﨑 U+FA11 is a unified ideograph: a registered "
                 "name depends on the exact glyph]"),
    # 4 — time: SentAt forms, partitions by date
    "sent-at-day-of-year-pattern": (
        4, BOTH, "the reply's SentAt is formatted with the pattern yyyy-MM-DD'T'HH:mm:ssXXX, "
                 "where DD is the day of the year: on 5 December it says 2026-12-339, from "
                 "1 February on it is no date (in January it happens to be right) "
                 "[header-v1.xsd SentAt: xs:dateTime, YYYY-MM-DD the day of the month; "
                 "README: SentAt, time sent]"),
    "dated-extract-later-pages-unknown": (
        4, P, "snapshots are kept in a table partitioned by the year of their 基準日 and a "
              "page is looked up in the partition of its request's AsOf, the current year when "
              "it has none: the later pages of a 全件 with a 基準日 of an earlier year (which "
              "name their ExtractId and no AsOf) are refused PF-EXTRACT-UNKNOWN [docs/"
              "notices.md paging contract: later requests name the ExtractId and a Page; "
              "juki-v1.xsd: one snapshot across all its pages]"),
    # 5 — durability: what a start must not add or lose
    "provisional-residents-reopened-on-start": (
        5, S, "a resident first held through a 修正 (仮登録) is reopened by the start-up "
              "reconciliation, its last 異動連番 set to 0 \"so that its 記載 can still be "
              "applied when it comes\": after a restart the older 記載 is applied over the "
              "newer state [docs/notices.md: a 修正 can be the first change a subscriber sees; "
              "a later change with a lower 異動連番 is then kept out as usual; every answer "
              "holds across a restart]"),
    "resident-table-rebuilt-without-key-on-start": (
        5, S, "the start-up compaction rebuilds a non-empty resident table with CREATE TABLE "
              "… AS SELECT, which keeps rows and column types but not the PRIMARY KEY: after "
              "a restart every new notice fails its upsert (ON CONFLICT matches no key) with "
              "PF-PROVIDER-INTERNAL, redelivered until dead [docs/notices.md: every answer "
              "holds across a restart, a start-up adds nothing; a valid notice is applied]"),
    "unheld-correction-provisional-temp": (
        5, S, "a 修正 of a resident not held is kept in a 仮登録 table, a TEMP table the "
              "vendor's screens read beside the residents, until its 記載 arrives: after a "
              "restart the resident is no longer held [docs/notices.md: a change of a "
              "resident the subscriber does not hold — a 修正 as much as a 記載 — makes it "
              "hold that resident; a receipt means stored durably]"),
}

# The blind measurement's misses (name, role): none until the lead measures the batch.
TWENTYTHIRD_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("resident-code-change-keyed-by-code", "subscriber"),
    ("request-id-keyed-with-user-id", "provider"),
    ("sender-system-id-leading-digit-refused", "provider"),
    ("sender-system-id-leading-digit-refused", "subscriber"),
    ("stores-name-archaic-kana-modernised", "subscriber"),
    ("provisional-residents-reopened-on-start", "subscriber"),
})

_INQUIRY = f"{{{JUKI}}}ResidentInquiryResponse"
_RECEIPT = f"{{{PFR}}}NoticeReceipt"


def day_of_year_format(when: dt.datetime) -> str:
    """SentAt as yyyy-MM-DD'T'HH:mm:ssXXX writes it (DD: the day of the year)."""
    return (f"{when:%Y-%m}-{when.timetuple().tm_yday:02d}T{when:%H:%M:%S}"
            f"{when.isoformat()[19:]}")


def content_type_parameters(content_type: str) -> dict[str, str]:
    """The Content-Type's parameters as the vendor's front end reads them (ValueError on an
    empty parameter, a trailing ';' or a quoted value holding ';' or '=')."""
    params = {}
    for part in content_type.split(";")[1:]:
        name, value = part.strip().split("=")
        params[name.lower()] = value
    return params


def half_width_katakana(text: str) -> str:
    """katagaki-half-width-kana: the full-width katakana of a text written half-width (JIS X
    0201), everything else as it is."""
    return "".join(_half_width_kana(c) if "\u30a1" <= c <= "\u30fc" else c for c in text)


def snapshot_partition(as_of: str | None) -> str:
    """dated-extract-later-pages-unknown: the partition (a year) a request's AsOf names."""
    return as_of.strip()[:4] if as_of else str(dt.datetime.now(JST).year)


class TwentyThirdBatch(TwentyThirdStore):
    """Mixed into Adapter: the twenty-third batch's hooks (identity without one of its
    defects)."""

    role: str
    defect: str | None
    twentythird: dict

    def _twentythird_mine(self) -> bool:
        return self.defect in TWENTYTHIRD_DEFECTS and \
            self.role in TWENTYTHIRD_DEFECTS[self.defect or ""][1]

    def _twentythird_content_type(self, content_type: str) -> None:
        """HTTP in: the Content-Type's parameters, before anything is parsed."""
        if not self._twentythird_mine() or self.defect != "content-type-split-on-semicolon":
            return
        try:
            content_type_parameters(content_type)
        except ValueError as exc:
            raise Refusal("PF-CONTENT-TYPE", "client", "unsupported Content-Type",
                          [("http:content-type", str(exc))]) from None

    # --- the platform's checks passed: the vendor's own --------------------------------------

    def _twentythird_checks(self, header, body, mid) -> None:
        if not self._twentythird_mine():
            return
        d = self.defect
        system_id = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId") or ""
        if d == "sender-system-id-leading-digit-refused" and system_id[:1].isdigit():
            raise Refusal("PF-HEADER-INVALID", "client", "the Sender's SystemId is invalid",
                          [("vendor:system_id", f"{system_id} does not start with a letter")],
                          mid)
        if d == "standard-version-as-float-internal":
            try:
                float(header.findtext(f"{{{PFH}}}StandardVersion") or "")
            except ValueError as exc:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the request was not logged",
                              [("vendor:audit", str(exc))], mid) from None
        if self.role == "subscriber":
            self._twentythird_notice_checks(header, body, mid)

    # --- 全件: the snapshots' partitions ---------------------------------------------------

    def _twentythird_snapshot_made(self, extract_id: str, as_of: str | None) -> None:
        if self.defect == "dated-extract-later-pages-unknown":
            self.twentythird.setdefault("partition", {})[extract_id] = snapshot_partition(as_of)

    def _twentythird_snapshot(self, body, extract_id, numbers):
        """The snapshot as the vendor finds it: in the partition the request's AsOf names."""
        partitions = self.twentythird.get("partition", {})
        if self.defect == "dated-extract-later-pages-unknown" and extract_id in partitions and \
                partitions[extract_id] != snapshot_partition(body.findtext(f"{{{JUKI}}}AsOf")):
            return None
        return numbers

    def _twentythird_request_key(self, key: tuple, header) -> tuple:
        if self._twentythird_mine() and self.defect == "request-id-keyed-with-user-id" and \
                key[1] is not None:
            return ((key[0], header.findtext(f"{{{PFH}}}UserId")), *key[1:])
        return key

    # --- answers ---------------------------------------------------------------------------

    def _twentythird_reply_header(self, h, request_header, response, raw: bytes) -> None:
        if not self._twentythird_mine():
            return
        d = self.defect
        if d == "sent-at-day-of-year-pattern":
            sent_at = h.find(f"{{{PFH}}}SentAt")
            sent_at.text = day_of_year_format(dt.datetime.fromisoformat(sent_at.text))
        if d == "as-of-answers-linkage-kind-full" and response.tag == _INQUIRY and \
                b"AsOf>" in raw:
            h.find(f"{{{PFH}}}LinkageKind").text = "full"
        if d == "reply-receiver-local-gov-as-integer":
            code = h.find(f"{{{PFH}}}Receiver/{{{PFH}}}LocalGovCode")
            code.text = str(int(code.text))

    def _twentythird_answer(self, response, soap: str) -> None:
        """The answer's body element, before it is written."""
        if not self._twentythird_mine():
            return
        d = self.defect
        if d == "ivs-beyond-vs32-dropped":
            for text in response.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original"):
                text.text = without_late_selectors(text.text)
        if d == "katagaki-half-width-kana":
            for katagaki in response.iter(f"{{{CMN}}}Katagaki"):
                katagaki.text = half_width_katakana(katagaki.text or "")
        if d == "pua-filter-range-overreach":
            for el in response.iter():
                if isinstance(el.tag, str) and el.text:
                    el.text = pua_filtered(el.text)
        if d == "soap11-receipt-status-capitalised" and response.tag == _RECEIPT and \
                soap == SOAP11:
            status = response.find(f"{{{PFR}}}Status")
            status.text = (status.text or "").capitalize()

    def _twentythird_fault_answer(self, refusal: Refusal, answer: Answer) -> None:
        if self._twentythird_mine() and self.defect == "unknown-extract-http-404" and \
                refusal.code == "PF-EXTRACT-UNKNOWN":
            answer.status = 404


__all__ = ["TWENTYTHIRD_DEFECTS", "TWENTYTHIRD_MEASURED_MISSES", "TwentyThirdBatch",
           "content_type_parameters", "day_of_year_format", "half_width_katakana",
           "snapshot_partition"]
