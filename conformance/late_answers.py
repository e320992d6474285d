"""A run stops sending once the product's late or missing answers have cost it
``late_answer_budget`` seconds (default 120).

A provider run sends some 1,500 requests, each allowed ``step_timeout`` seconds. A product that
hangs, or answers past RQ-BEH-04's ``response_limit`` — everywhere, or on a path a run uses
often (every second request on a kept-alive connection, every UTF-16 message) — would hold a
certification run for hours, and a run that never ends certifies nothing. A case whose request
gets no answer fails, and the time limit is judged on every answer (INV-BEH-04): one late or
missing answer already fails the run, so stopping changes no verdict. Once requests unanswered
within the limit have taken the budget, every further request is not sent (its exchange says
why), the cases still to run end at once with that reason (error), and the invariants judge
what was answered. ``--param late_answer_budget=0``
sends every request, however long that takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Exchange

PARAM = "late_answer_budget"


@dataclass
class LateAnswers:
    """Requests answered past ``within`` seconds or not at all, and the time they took; past
    ``budget`` seconds of them the run has given up on the product (0: never)."""

    budget: float = 0.0
    within: float = float("inf")
    count: int = 0
    spent: float = 0.0

    @classmethod
    def of(cls, params) -> LateAnswers:
        return cls(float(params.get(PARAM, 0.0)), float(params.get("response_limit", 10.0)))

    def note(self, ex: Exchange, timed_out: bool) -> None:
        if timed_out or (ex.error is None and ex.elapsed > self.within):
            self.count += 1
            self.spent += ex.elapsed

    @property
    def given_up(self) -> bool:
        return self.budget > 0 and self.spent > self.budget

    def reason(self, what: str = "sent") -> str:
        return (f"not {what}: {self.count} requests were answered past the {self.within:g} s "
                f"limit or not at all, {self.spent:.0f} s of the run; a run stops sending "
                f"after {self.budget:g} s of them (--param {PARAM}=0 sends every request)")
