"""The one step every background writer (routing log, payload archive, notice group commit)
repeats: take what is waiting in its queue as one batch, so that one commit covers it."""

from __future__ import annotations

import queue
import threading
import time


class Flush:
    """A marker in a writer's queue: set once every item queued before it has been handled."""

    def __init__(self) -> None:
        self.done = threading.Event()


STOP = object()  # a marker: the writer finishes what came before it, then ends


class Unawaited(list):
    """A hand-off nobody waits for the commit of (先行記録: the hub's hops before it forwards):
    the writer may hold it up to its ``defer`` seconds for the next hand-off that is awaited,
    so that both go into one commit (``gather``). A list, so a writer takes it as any other."""


def next_batch(q: queue.SimpleQueue | queue.Queue, max_items: int) -> tuple[list, list[Flush], bool]:
    """Block for one item, then take whatever else is already waiting, up to ``max_items``.

    Returns (items, flush markers seen, whether STOP was seen)."""
    item = q.get()
    if item is STOP:
        return [], [], True
    items, markers = ([], [item]) if isinstance(item, Flush) else ([item], [])
    more, more_markers, stopped = take_waiting(q, max_items - len(items))
    return items + more, markers + more_markers, stopped


def gather(q: queue.SimpleQueue | queue.Queue, items: list, markers: list[Flush], stop: bool,
           max_items: int, defer: float) -> tuple[list, list[Flush], bool]:
    """``next_batch``'s result, held while every item in it is ``Unawaited``: waits up to
    ``defer`` seconds for an item that is not (then takes it and what else is waiting), a flush
    marker or STOP. Why: a commit costs about as much as a few exchanges' rows (WAL frames of
    every page it dirties), and an exchange's first hand-off is followed by its reply's within
    milliseconds; held, the two share one commit, while the reply — which is awaited — is never
    held. The bound keeps what a crash can take: hops queued, not committed, were always
    losable; now for at most ``defer`` seconds more (bus/store/log_recovery.py)."""
    if stop or markers or not items or defer <= 0 \
            or any(type(item) is not Unawaited for item in items):
        return items, markers, stop
    deadline = time.monotonic() + defer
    while len(items) < max_items:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            item = q.get(timeout=left)
        except queue.Empty:
            break
        if item is STOP:
            return items, markers, True
        if isinstance(item, Flush):
            markers.append(item)
            break
        items.append(item)
        if type(item) is not Unawaited:
            break
    more, more_markers, stopped = take_waiting(q, max_items - len(items))
    return items + more, markers + more_markers, stopped


def take_waiting(q: queue.SimpleQueue | queue.Queue, max_items: int) -> tuple[list, list[Flush], bool]:
    """``next_batch`` without blocking: whatever is already waiting (possibly nothing)."""
    items: list = []
    markers: list[Flush] = []
    while len(items) < max_items:
        try:
            item = q.get_nowait()
        except queue.Empty:
            break
        if item is STOP:
            return items, markers, True
        if isinstance(item, Flush):
            markers.append(item)
        else:
            items.append(item)
    return items, markers, False
