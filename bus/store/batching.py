"""The one step every background writer (routing log, payload archive, notice group commit)
repeats: take what is waiting in its queue as one batch, so that one commit covers it."""

from __future__ import annotations

import queue
import threading


class Flush:
    """A marker in a writer's queue: set once every item queued before it has been handled."""

    def __init__(self) -> None:
        self.done = threading.Event()


STOP = object()  # a marker: the writer finishes what came before it, then ends


def next_batch(q: queue.SimpleQueue | queue.Queue, max_items: int) -> tuple[list, list[Flush], bool]:
    """Block for one item, then take whatever else is already waiting, up to ``max_items``.

    Returns (items, flush markers seen, whether STOP was seen)."""
    item = q.get()
    if item is STOP:
        return [], [], True
    items, markers = ([], [item]) if isinstance(item, Flush) else ([item], [])
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
