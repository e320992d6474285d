"""The JSON event log's flush per reactor turn (bus.core.jsonlog.JsonLineLog.emit_soon).

The hub's line per exchange is written at once and flushed at the end of the reactor's turn:
one flush for all the lines of a turn. Lines stay whole, in order, and nothing waits past the
next ``emit`` (the hub's last line on a clean stop is one).
"""

from __future__ import annotations

import json
import threading

from twisted.internet import task

from bus.core.jsonlog import JsonLineLog


class Stream:
    """Counts flushes; ``flushed`` is what a reader of the file would see."""

    def __init__(self) -> None:
        self.written = ""
        self.flushed = ""
        self.flushes = 0

    def write(self, text: str) -> None:
        self.written += text

    def flush(self) -> None:
        self.flushes += 1
        self.flushed = self.written


def events(stream: Stream) -> list[str]:
    return [json.loads(line)["event"] for line in stream.flushed.splitlines()]


def test_without_a_turn_emit_soon_flushes_at_once():
    stream = Stream()
    JsonLineLog(stream).emit_soon("exchange", status="ok")  # type: ignore[arg-type]
    assert (events(stream), stream.flushes) == (["exchange"], 1)


def test_one_flush_per_turn_in_order():
    stream, clock = Stream(), task.Clock()
    log = JsonLineLog(stream, worker=1)  # type: ignore[arg-type]
    log.flush_each_turn(lambda flush: clock.callLater(0, flush))
    log.emit_soon("exchange", n=1)
    log.emit_soon("exchange", n=2)
    assert (stream.flushed, stream.flushes) == ("", 0)  # written, not yet flushed
    clock.advance(0)
    assert (events(stream), stream.flushes) == (["exchange", "exchange"], 1)
    lines = [json.loads(line) for line in stream.flushed.splitlines()]
    assert [(line["worker"], line["n"]) for line in lines] == [(1, 1), (1, 2)]
    log.emit_soon("exchange", n=3)
    clock.advance(0)
    assert stream.flushes == 2


def test_an_emit_takes_the_turns_lines_with_it():
    stream, clock = Stream(), task.Clock()
    log = JsonLineLog(stream)  # type: ignore[arg-type]
    log.flush_each_turn(lambda flush: clock.callLater(0, flush))
    log.emit_soon("exchange")
    log.emit("hub.stopped")  # e.g. the last line of a clean stop, the reactor gone after it
    assert events(stream) == ["exchange", "hub.stopped"]


def test_another_thread_flushes_at_once():
    stream, clock = Stream(), task.Clock()
    log = JsonLineLog(stream)  # type: ignore[arg-type]
    log.flush_each_turn(lambda flush: clock.callLater(0, flush))
    thread = threading.Thread(target=log.emit_soon, args=("exchange",))
    thread.start()
    thread.join()
    assert (events(stream), clock.getDelayedCalls()) == (["exchange"], [])
