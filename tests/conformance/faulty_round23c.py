"""Faulty subscribers for round 23c's classes (docs/conformance-testing.md, "Round 23c"), each the
SDK-built subscriber with ONE defect, written from the enumerated domains (the identifiers of
cmn:ResidentType under every 異動事由; the kana of JIS X 0208 rows 4 and 5), not from the
twenty-third batch's variants:

- an identifier carried by a change taken for the row key: a 住民票コード変更 (C07) handler that
  writes the change to the row keyed by the new 住民票コード (``c07-keyed-by-resident-code``); a
  世帯 handler (C02 世帯分離 … C05 世帯主変更) that looks the member up by (新世帯番号, 宛名番号), a
  miss inserting a new row (``household-change-keyed-by-new-household``); a 記載 (A01 … A07)
  carrying a 住民票コード other than the one held taken for another person's record
  (``recorded-new-resident-code-new-row``) — S-IDCHG-01;
- a name cleaner over kana: 旧仮名 folded to modern kana, ゐ ゑ ヰ ヱ → い え イ エ
  (``old-kana-folded``); ヴ decomposed to ウ゛ (``vu-as-u-dakuten``, a JIS X 0201-era habit);
  katakana written through half-width forms and back, ヰ ヱ ヮ ヵ ヶ (which have none) becoming
  イ エ ワ カ ケ (``katakana-half-width-round-trip``) — S-KANA-01;
- a retry key holding a field outside the idempotency key: a provider's RequestId → ExtractId
  map keyed by (Sender, UserId, RequestId) (``extract-keyed-with-user-id``: J-RETRY-01); a
  subscriber's seen-MessageId store keyed by (MessageId, UserId)
  (``seen-key-with-user-id``), by (MessageId, SentAt) (``seen-key-with-sent-at``) or by
  (Sender, MessageId) (``seen-key-with-sender``) — S-RETRY-01.
"""

from __future__ import annotations

import dataclasses

from lxml import etree

from .references import JUKI_PROFILE, References
from .subscriber import CMN, JUKI, TestSubscriber

_OLD_KANA = str.maketrans("ゐゑヰヱ", "いえイエ")
_HALF_WIDTH_LOSSES = str.maketrans("ヰヱヮヵヶ", "イエワカケ")  # no half-width form of their own

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round23c
ROUND23C_MODES = {
    "c07-keyed-by-resident-code": ("RQ-SUB-04", ("S-IDCHG-01",)),
    "household-change-keyed-by-new-household": ("RQ-SUB-04", ("S-IDCHG-01",)),
    "recorded-new-resident-code-new-row": ("RQ-SUB-04", ("S-IDCHG-01",)),
    "old-kana-folded": ("RQ-MSG-06", ("S-KANA-01",)),
    "vu-as-u-dakuten": ("RQ-MSG-06", ("S-KANA-01",)),
    # S-CHR-12 and S-GRID-01's small kana hold ヮ ヵ ヶ
    "katakana-half-width-round-trip": ("RQ-MSG-06", ("S-KANA-01", "S-CHR-12", "S-GRID-01")),
    "seen-key-with-user-id": ("RQ-SUB-02", ("S-RETRY-01",)),
    "seen-key-with-sent-at": ("RQ-SUB-02", ("S-RETRY-01",)),
    "seen-key-with-sender": ("RQ-SUB-02", ("S-RETRY-01",)),
}

_FULL_EXTRACT = "juki.ResidentFullExtract"


def extract_keyed_with_user_id(refs: References, profile: str) -> str:
    """Vendor A's 全件 handler, its requester (the snapshot's key with the RequestId) the
    Sender and the UserId: another account of the same system gets a snapshot of its own."""
    handlers = refs.handlers(profile)
    inner = handlers[_FULL_EXTRACT]

    def handler(header, request):
        if header is not None:
            sender = dataclasses.replace(header.sender,
                                         system_id=f"{header.sender.system_id}/{header.user_id}")
            header = dataclasses.replace(header, sender=sender)
        return inner(header, request)

    return refs.app(profile, {**handlers, _FULL_EXTRACT: handler})


# (name, the requirement it breaks, profiles, targets[, params, targets by profile])
ROUND23C_FAULTS: list[tuple] = [
    ("extract-keyed-with-user-id", "RQ-BEH-08", (JUKI_PROFILE,), ("J-RETRY-01",)),
]
ROUND23C_HANDLERS = {"extract-keyed-with-user-id": extract_keyed_with_user_id}
ROUND23C_NAMES = {entry[0] for entry in ROUND23C_FAULTS}


def _text(resident: etree._Element, name: str) -> str:
    return resident.findtext(f"{{{CMN}}}{name}") or ""


class Round23cSubscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 23c's classes."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.identifiers: dict[str, tuple[str, str]] = {}  # 宛名番号 → (住民票コード, 世帯番号)

    def handler(self, header, notice: etree._Element) -> etree._Element:
        """The seen-MessageId store's key: the MessageId, or with a field beside it."""
        extra = header.user_id if self.mode == "seen-key-with-user-id" else \
            header.sent_at if self.mode == "seen-key-with-sent-at" else \
            str(header.sender) if self.mode == "seen-key-with-sender" else ""
        if not extra:
            return super().handler(header, notice)
        receipt = super().handler(dataclasses.replace(
            header, message_id=f"{header.message_id}|{extra}"), notice)
        for el in receipt.iter("{*}MessageId"):  # the receipt names the notice's MessageId
            el.text = header.message_id
        return receipt

    def _row(self, reason: str, number: str, code: str, household: str) -> str:
        """The key the defective handler writes the change under."""
        held_code, held_household = self.identifiers.get(number, (code, household))
        if self.mode == "c07-keyed-by-resident-code" and reason == "C07" and code:
            return code
        if self.mode == "household-change-keyed-by-new-household" and \
                reason in ("C02", "C03", "C04", "C05") and household != held_household:
            return f"{household}/{number}"
        if self.mode == "recorded-new-resident-code-new-row" and reason.startswith("A") and \
                code and held_code and code != held_code:
            return f"{number}#{code}"
        return number

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        resident = change.find(f"{{{JUKI}}}Resident")
        number_el = resident.find(f"{{{CMN}}}AddresseeNumber")
        number = number_el.text or ""
        code, household = _text(resident, "ResidentCode"), _text(resident, "HouseholdNumber")
        reason = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or ""
        row = self._row(reason, number, code, household)
        if row == number:  # the resident's own record: its identifiers as now held
            self.identifiers[number] = (code, household)
        number_el.text = row
        text = resident.find(f"{{{CMN}}}Name/{{{CMN}}}Text")
        if text is not None and text.text:
            if self.mode == "old-kana-folded":
                text.text = text.text.translate(_OLD_KANA)
            elif self.mode == "vu-as-u-dakuten":
                text.text = text.text.replace("ヴ", "ウ\u309b")
            elif self.mode == "katakana-half-width-round-trip":
                text.text = text.text.translate(_HALF_WIDTH_LOSSES)
        super()._apply(change, checked)
