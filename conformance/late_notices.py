"""Notices the product receipted, delivered again at the end of the run (後からの再配信,
S-LATE-02; round 43a).

docs/notices.md: a notice delivered again is a ``duplicate`` however many notices came between
— a subscriber keeps every MessageId it received, not a window of the last ones, nor for a
while —, before or after a restart, whatever else of the delivery differs. The cases deliver a
notice again within the case that sent it: a few notices and a second or two later. So the run
keeps every notice it sent (late_sends.py: a transport watcher) and S-LATE-02, the last case of
a subscriber profile before S-RELOAD-01 and the invariants, delivers again notices the product
receipted (``applied`` or ``duplicate``; the first receipted delivery of each MessageId): up to
``MOST`` spread evenly over the run from its first, and each receipted less than ``AT_RISK``
seconds before a restart began (a receipt a kill followed at once: whether a product that
acknowledged before its MessageId was durable lost it is then decided, not left to the spread's
chance) — the same bytes with the same HTTP headers, as a hub redelivers, at least
late_sends.LATE seconds after the earliest receipt.
Each must be receipted ``duplicate``, naming the notice's MessageId and related to it; the
invariants judge the receipts like every answer (RQ-MSG-10: SentAt tracks time).

The first goes over the kept-alive connection of the run's first receipted notice (the first
since the last restart), held open for it: a front end that keeps its request context — SentAt
with it — per connection answers it with a SentAt as old as the connection (the forty-first
blind batch's subscriber). Until round 43a S-GRID-01 delivered one notice again 2.5 s after its
receipt and slept for it in every subscriber run; this case needs no sleep in a whole run and
reaches back over every notice of it.

A delivery again names residents, but changes none: S-RELOAD-01 still observes them again
(``Exchange.redelivery``); a product that changed one on it shows there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .checks import outcome
from .grid_notices import PFR, receipt_problems
from .late_sends import LateSends, wait_until_late
from .records import Exchange

MOST = 64  # deliveries again spread over the run's receipted notices, at most
AT_RISK = 1.0  # s: a notice receipted so shortly before a restart began is delivered again too
_RECEIPTED = ("applied", "duplicate")
# the framing is the client's own, as a hub's redelivery is: everything else as first sent
_FRAMING = {"content-length", "transfer-encoding", "connection", "host", "expect"}


@dataclass
class ReceivedNotices(LateSends):
    """Every POST the run sent the product (a transport watcher), in order; the connection of
    its first receipted notice held for the first delivery again; when each restart began."""

    restarts: list[float] = field(default_factory=list)

    def restart(self, began: float) -> None:
        super().restart(began)
        self.restarts.append(began)

    def kept(self, ex: Exchange) -> bool:
        return ex.method == "POST"

    def holds(self, ex: Exchange) -> bool:
        return _message_id(ex) is not None

    def receipted(self) -> list[Exchange]:
        """The first receipted delivery of each MessageId, in the order sent."""
        first: dict[str, Exchange] = {}
        for ex in self.sent:
            if (mid := _message_id(ex)) is not None:
                first.setdefault(mid, ex)
        return list(first.values())

    def chosen(self) -> list[Exchange]:
        """``MOST`` of the receipted notices spread over the run, and every one receipted less
        than ``AT_RISK`` seconds before a restart began (what a kill puts most at risk: a
        receipt given before the MessageId was durable), in the order sent."""
        receipted = self.receipted()
        picked = {id(ex) for ex in spread(receipted, MOST)}
        picked |= {id(ex) for ex in receipted for began in self.restarts
                   if 0.0 <= began - (ex.sent_monotonic or 0.0) - ex.elapsed < AT_RISK}
        return [ex for ex in receipted if id(ex) in picked]


def _message_id(ex: Exchange) -> str | None:
    """The MessageId of a notice the product receipted (applied or duplicate), else None."""
    if ex.redelivery or outcome(ex, "response"):
        return None
    status = ex.envelope().body.findtext(f"{{{PFR}}}Status")
    if status is None or status.strip() not in _RECEIPTED:
        return None
    try:
        return ex.header("request").message_id
    except ValueError:
        return None


def spread(items: list[Exchange], most: int) -> list[Exchange]:
    """At most ``most`` of ``items``, evenly over them, the first and the last among them."""
    if len(items) <= most:
        return items
    return [items[round(i * (len(items) - 1) / (most - 1))] for i in range(most)]


def run_step(runner, step, values) -> list[str]:
    """S-LATE-02: each chosen notice delivered again, its receipt judged (``duplicate``)."""
    notices: ReceivedNotices = runner.s.received_notices
    chosen = notices.chosen()
    if not chosen:
        runner.skip_reason = ("the run sent no notice the product receipted: nothing to "
                              "deliver again")
        return []
    transport = runner.s.transport
    wait_until_late(transport, chosen)
    timeout = runner._timeout(step, values)
    problems: list[str] = []
    for i, first in enumerate(chosen):
        message_id = first.header("request").message_id
        on = ", on the connection of the run's first receipted notice" if i == 0 else ""
        age = time.monotonic() - (first.sent_monotonic or 0.0)
        at = (f"[notice {message_id}, first sent by {first.step}] delivered again {age:.1f} s "
              f"later (SOAP {first.soap_version}{on})")
        ex = Exchange(step=at, direction="to-product", method="POST", url=first.url,
                      request=first.request, request_headers={
                          k: v for k, v in first.request_headers.items()
                          if k.lower() not in _FRAMING},
                      service=first.service, soap_version=first.soap_version,
                      sent_header=first.sent_header, redelivery=True)
        transport.exchange(ex, timeout, held=i == 0)
        runner.result.exchanges.append(ex)
        runner._observe_answer(step, ex)
        problems += [f"{at}: {p}" for p in receipt_problems(
            ex, message_id, "duplicate", "this MessageId was receipted before")]
    return problems

