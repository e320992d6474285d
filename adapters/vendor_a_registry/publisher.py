"""Publishing vendor A's outbox (異動通知の送信): every recorded change reaches the hub, once
acknowledged, in order per resident.

``OutboxPublisher.publish_once()`` (synchronous, in a thread) takes the due rows — the oldest unsent
notice of each resident only — and POSTs each to ``<hub>/services/juki.ResidentChangeNotice``
(Sender = vendor A, Receiver = the hub of its 団体コード). The envelope is built once, with the
row's pre-assigned message ID, and its bytes stored in the row before the first POST; a resend is
those bytes again. Only a verified ``pfr:NoticeReceipt`` for that message ID (accepted or
duplicate) marks the row 送信済, so notice k+1 of a resident is never sent before k was
acknowledged. Anything else (connection error, timeout, HTTP 5xx, a fault, a reply not bound to
the request) leaves the row unsent with an exponential backoff (with jitter); a transport error
ends the round, since the hub is then unreachable for every row.

``PublishLoop`` runs rounds from the Twisted reactor (``deferToThread``), at once again while rows
were sent, else after ``interval`` or when the next backoff ends.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from twisted.internet.threads import deferToThread

from adapters.sdk.consumer import (ConsumerClient, PlatformFault, Prepared, ReplyMismatch,
                                   TransportError)
from adapters.sdk.receiver import ACCEPTED, DUPLICATE, receipt_fields
from bus.core.header import Party

from .outbox import SERVICE_ID, Outbox

HUB_SYSTEM_ID = "hub"


def hub_party(local_gov_code: str) -> Party:
    """The receiver of a notice: the hub, which fans it out to the subscribers it registered."""
    return Party(local_gov_code, "01", HUB_SYSTEM_ID)


@dataclass
class Round:
    sent: int = 0
    failed: int = 0


class OutboxPublisher:
    """Sends due outbox rows through ``client`` (a ConsumerClient of vendor A's party).

    ``retry_base``/``retry_max`` (seconds) bound the backoff; ``on_event(dict)`` receives one
    event per attempt (default: a JSON line on stdout, like the other adapter events).
    """

    def __init__(self, outbox: Outbox, client: ConsumerClient, *, soap_version: int = 11,
                 retry_base: float = 1.0, retry_max: float = 300.0, batch: int = 100,
                 on_event: Callable[[dict], None] | None = None,
                 clock: Callable[[], float] = time.time):
        self.outbox = outbox
        self.client = client
        self.receiver = hub_party(client.party.local_gov_code)
        self.soap_version = soap_version
        self.retry_base, self.retry_max = retry_base, retry_max
        self.batch = batch
        self.on_event = on_event or _print_event
        self.clock = clock

    def publish_once(self) -> Round:
        result = Round()
        for entry in self.outbox.due(self.clock(), self.batch):
            try:
                status = self._send(entry)
            except (TransportError, PlatformFault, ReplyMismatch) as exc:
                self._failed(entry, exc)
                result.failed += 1
                if isinstance(exc, TransportError):
                    break  # the hub is unreachable: the other rows wait for the next round
                continue
            self.outbox.mark_sent(entry["送信番号"], status)
            result.sent += 1
            self.on_event({"event": "outbox.sent", "message_id": entry["メッセージID"],
                           "addressee_number": entry["宛名番号"], "sequence": entry["異動連番"],
                           "status": status, "attempts": entry["試行回数"] + 1})
        return result

    def _prepared(self, entry: dict) -> Prepared:
        if entry["送信電文"] is not None:
            return Prepared.from_bytes(entry["送信電文"])
        from lxml import etree

        body = etree.fromstring(entry["通知本文"].encode("utf-8"))
        prepared = self.client.prepare(SERVICE_ID, self.receiver, body,
                                       soap_version=self.soap_version,
                                       message_id=entry["メッセージID"],
                                       user_id=entry["操作者ID"])
        kept = self.outbox.fix_envelope(entry["送信番号"], prepared.sent)
        return prepared if kept == prepared.sent else Prepared.from_bytes(kept)

    def _send(self, entry: dict) -> str:
        reply = self.client.send(self._prepared(entry))
        message_id, status = receipt_fields(reply.body)
        if message_id != entry["メッセージID"] or status not in (ACCEPTED, DUPLICATE):
            raise ReplyMismatch(f"receipt for {message_id} with status {status}, expected "
                                f"{entry['メッセージID']} accepted or duplicate", reply.raw)
        return status

    def _failed(self, entry: dict, exc: Exception) -> None:
        attempts = entry["試行回数"] + 1
        delay = min(self.retry_max, self.retry_base * 2 ** (attempts - 1))
        delay *= random.uniform(0.5, 1.0)  # jitter: publishers do not retry in lockstep
        code = exc.detail.code if isinstance(exc, PlatformFault) and exc.detail else None
        error = f"{type(exc).__name__}: {code or exc}"
        self.outbox.mark_failed(entry["送信番号"], error, self.clock() + delay)
        self.on_event({"event": "outbox.retry", "message_id": entry["メッセージID"],
                       "addressee_number": entry["宛名番号"], "sequence": entry["異動連番"],
                       "attempts": attempts, "retry_in": round(delay, 3), "error": error[:200]})


def _print_event(event: dict) -> None:
    print(json.dumps(event, ensure_ascii=False), file=sys.stdout, flush=True)


class PublishLoop:
    """Runs ``publisher.publish_once`` from the reactor, one round at a time, until stopped."""

    def __init__(self, publisher: OutboxPublisher, reactor, interval: float = 1.0):
        self.publisher = publisher
        self.reactor = reactor
        self.interval = interval
        self._call = None
        self._running = False

    def start(self) -> None:
        self._running = True
        self.reactor.callWhenRunning(self._tick)
        self.reactor.addSystemEventTrigger("before", "shutdown", self.stop)

    def stop(self) -> None:
        self._running = False
        if self._call is not None and self._call.active():
            self._call.cancel()

    def _tick(self) -> None:
        self._call = None
        if self._running:
            deferToThread(self.publisher.publish_once).addCallbacks(self._done, self._error)

    def _done(self, result: Round) -> None:
        delay = 0.0 if result.sent else self.interval  # new rows of other processes: polled
        if not result.sent:
            now, next_due = self.publisher.clock(), self.publisher.outbox.next_due()
            if next_due is not None and now < next_due < now + delay:
                delay = next_due - now  # a backoff ends before the next poll
        self._schedule(delay)

    def _error(self, failure) -> None:  # a defect or the store: say so, keep publishing
        print(json.dumps({"event": "outbox.error", "error": failure.getErrorMessage()[:200]}),
              file=sys.stderr, flush=True)
        self._schedule(self.interval)

    def _schedule(self, delay: float) -> None:
        if self._running:
            self._call = self.reactor.callLater(delay, self._tick)
