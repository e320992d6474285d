"""A hand-off nobody awaits (the hub's hops before it forwards) may wait for the next awaited one,
so that one commit covers both (bus/store/batching.py ``gather``, issue 13) — and is still
committed on its own, by a flush or by close."""

from __future__ import annotations

import queue
import time

from bus.store.batching import STOP, Flush, Unawaited, gather
from bus.store.hop_record import Hop, HopRecord, Status
from bus.store.routing_log import RoutingLog


def hop(n: int, name: Hop = Hop.RECEIVED) -> HopRecord:
    return HopRecord(hop=name, status=Status.OK, message_id=f"m{n}")


def test_gather_holds_an_unawaited_batch_until_an_awaited_item_comes():
    q: queue.SimpleQueue = queue.SimpleQueue()
    q.put(Unawaited([2]))
    q.put([3])  # awaited: ends the wait
    q.put([4])  # already waiting: taken with it
    items, markers, stop = gather(q, [Unawaited([1])], [], False, 100, 60.0)
    assert items == [[1], [2], [3], [4]] and markers == [] and not stop


def test_gather_does_not_hold_an_awaited_batch_or_one_with_markers():
    q: queue.SimpleQueue = queue.SimpleQueue()
    q.put([9])
    assert gather(q, [Unawaited([1]), [2]], [], False, 100, 60.0)[0] == [[1], [2]]
    marker = Flush()
    assert gather(q, [Unawaited([1])], [marker], False, 100, 60.0) == ([[1]], [marker], False)
    assert gather(q, [Unawaited([1])], [], True, 100, 60.0) == ([[1]], [], True)
    assert q.get_nowait() == [9]  # none of them took anything more


def test_gather_ends_at_a_flush_or_stop_and_at_its_deadline():
    q: queue.SimpleQueue = queue.SimpleQueue()
    marker = Flush()
    q.put(marker)
    assert gather(q, [Unawaited([1])], [], False, 100, 60.0) == ([[1]], [marker], False)
    q.put(STOP)
    assert gather(q, [Unawaited([1])], [], False, 100, 60.0) == ([[1]], [], True)
    assert gather(q, [Unawaited([1])], [], False, 100, 0.01) == ([[1]], [], False)


class Batches(RoutingLog):
    """A real routing log that remembers the hops of each batch its writer prepared."""

    def __init__(self, *args, **kwargs):
        self.batches: list[list[str]] = []
        super().__init__(*args, **kwargs)

    def _prepare(self, items):
        self.batches.append([h.message_id for h in self._flatten(items)])
        return super()._prepare(items)


def _taken(log: RoutingLog) -> None:
    """Wait until the writer thread has taken everything queued."""
    deadline = time.monotonic() + 30
    while not log._queue.empty():
        assert time.monotonic() < deadline, "the writer never took the hand-off"
        time.sleep(0.001)


def test_an_exchanges_first_hand_off_shares_the_replys_commit(tmp_path):
    with Batches(tmp_path / "log.sqlite3") as log:
        log.defer = 60.0  # the writer holds the first hand-off until the awaited one comes
        log.record_many([hop(1), hop(2, Hop.VALIDATED)], awaited=False)
        _taken(log)
        seq = log.record_many([hop(3, Hop.REPLIED)])
        log.flush()
        assert log.batches == [["m1", "m2", "m3"]]
        assert log.committed() == seq == 3


def test_an_unawaited_hand_off_alone_is_committed_after_the_deferral(tmp_path):
    with Batches(tmp_path / "log.sqlite3") as log:
        log.defer = 0.05
        log.record_many([hop(1)], awaited=False)
        deadline = time.monotonic() + 30  # no flush, no other hand-off: the writer's own bound
        while log.committed() < 1:
            assert time.monotonic() < deadline, "an unawaited hand-off was never committed"
            time.sleep(0.01)
        assert [h.message_id for h in log.query()] == ["m1"]


def test_close_writes_a_held_hand_off_at_once(tmp_path):
    log = Batches(tmp_path / "log.sqlite3")
    log.defer = 3600.0
    log.record_many([hop(1)], awaited=False)
    _taken(log)
    log.close(timeout=30)  # STOP ends the wait: nothing given up
    assert log.lost == 0
    with RoutingLog(tmp_path / "log.sqlite3", readonly=True) as reader:
        assert [h.message_id for h in reader.query()] == ["m1"]
