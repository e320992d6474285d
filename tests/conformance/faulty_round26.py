"""Faulty products for round 26's rules (docs/conformance-testing.md, "Round 26"), each the
reference adapter or the SDK-built subscriber with ONE defect, written from the rules the round
settled (docs/notices.md, README, docs/characters.md), not from a batch's variants:

- a 旧氏・通称 mapper that reads C08 as "a 旧氏 is added" and C09 as "the 旧氏 is removed": a C09
  still carrying a FormerSurname refused as contradictory (``c09-with-former-surname-refused``),
  a C08 without one, on a resident holding a 旧氏, skipped as nothing to record
  (``c08-without-former-surname-skipped``) — S-FMR-01.
"""

from __future__ import annotations

from copy import deepcopy

from lxml import etree

from .subscriber import CMN, JUKI, TestSubscriber

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round26
ROUND26_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "c09-with-former-surname-refused": ("RQ-SUB-01", ("S-FMR-01",)),
    "c08-without-former-surname-skipped": ("RQ-SUB-04", ("S-FMR-01",)),
}


def _reason(change: etree._Element) -> str:
    return change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or ""


def _number(change: etree._Element) -> str:
    return change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""


def _former(change: etree._Element) -> bool:
    return change.find(f"{{{JUKI}}}Resident/{{{CMN}}}FormerSurname") is not None


class Round26Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 26's rules."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.former: dict[str, bool] = {}  # 宛名番号 → holds a 旧氏 (what the mapper keeps)

    def handler(self, header, notice: etree._Element) -> etree._Element:
        changes = notice.findall(f"{{{JUKI}}}Change")
        if self.mode == "c09-with-former-surname-refused" and any(
                _reason(c) == "C09" and _former(c) for c in changes):
            raise ValueError("C09 (旧氏の削除) carries a FormerSurname")
        if self.mode == "c08-without-former-surname-skipped" and \
                header.message_id not in self.seen:
            kept = deepcopy(notice)
            for change in kept.findall(f"{{{JUKI}}}Change"):
                if _reason(change) == "C08" and not _former(change) and \
                        self.former.get(_number(change)):
                    kept.remove(change)  # "nothing to record": the 旧氏 stays
            for change in changes:
                if _reason(change) != "C08" or _former(change):
                    self.former[_number(change)] = _former(change)
            notice = kept
        return super().handler(header, notice)
