"""A faulty subscriber for round 32b (docs/conformance-testing.md, "Round 32b"), written from the
class the thirty-second blind batch's miss showed (what a start-up restores, ordered as text), not
from the batch's variant: the crashable SDK-built subscriber (faulty_durability.py) that keeps
each resident's applied changes in a history whose 異動連番 column is text, and at start-up
restores each resident's name and address from the history's highest 異動連番 — "9" after "10"
(``state-restored-from-text-ordered-history``): S-RST-01's 9 → 10 and 99 → 100."""

from __future__ import annotations

import copy

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber

# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round32
ROUND32_MODES: dict[str, tuple[str, tuple[str, ...]]] = with_restart_cases_also_failed({
    # (S-FIELD-01's resident held at 10 after 9, since round 33b, shows it too)
    "state-restored-from-text-ordered-history": ("RQ-SUB-05", ("S-RST-01", "S-FIELD-01")),
})


class HistorySubscriber(CrashableSubscriber):
    """The crashable subscriber with a text-ordered change history read back at start-up."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.history: dict[str, dict[str, dict]] = {}  # resident → 異動連番 (text) → state

    def _apply(self, change, checked: bool = False) -> None:
        super()._apply(change, checked)
        for number, state in self.residents.items():
            if state.get("last"):  # the row of the change that made this state
                self.history.setdefault(number, {})[str(state["last"])] = copy.deepcopy(state)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        if self.mode == "state-restored-from-text-ordered-history":
            with self.lock:
                for number, rows in self.history.items():
                    if number in self.residents:
                        newest = rows[max(rows)]  # a TEXT column: '9' > '10'
                        self.residents[number].update(name=newest.get("name"),
                                                      address=newest.get("address"))
        return code
