"""The read gate of one HTTP connection: backpressure (背圧) from the evidence writers to the
network, beside Twisted's own flow control (bus/hub/http.py, bus/hub/evidence.py)."""

from __future__ import annotations


class ReadGate:
    """A channel's network producer (its transport) with a second reason to stop reading: the
    hub's backpressure. Twisted pauses and resumes reading around each request and while the
    peer does not take its answers; the transport reads only while neither holds it, so neither
    can resume what the other paused."""

    def __init__(self, producer) -> None:
        self._producer = producer
        self._paused_by_twisted = False
        self.held = False  # by the hub's backpressure

    def _set(self, *, twisted: bool | None = None, held: bool | None = None) -> None:
        before = self._paused_by_twisted or self.held
        if twisted is not None:
            self._paused_by_twisted = twisted
        if held is not None:
            self.held = held
        after = self._paused_by_twisted or self.held
        if after != before:
            (self._producer.pauseProducing if after else self._producer.resumeProducing)()

    def pauseProducing(self) -> None:
        self._set(twisted=True)

    def resumeProducing(self) -> None:
        self._set(twisted=False)

    def hold(self, held: bool) -> None:
        self._set(held=held)

    def stopProducing(self) -> None:
        self._producer.stopProducing()

    def registerProducer(self, producer, streaming: bool) -> None:
        self._producer.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self._producer.unregisterProducer()
