"""A hub driven by ``twisted.internet.task.Clock``, for tests of time in the hub (the
``hub_of`` fixture): a real configuration with real stores (SQLite files under tmp_path); only
the network edge is scripted — a forwarder whose posts wait until the test answers them — and
store calls run inline instead of on a thread pool. The routing log's writer thread says what it
committed through ``callFromThread``: ``ReactorClock`` queues those calls and ``settle`` runs
them — a bounded wait for the writer, never a timed assertion."""


from __future__ import annotations

import io
import json
import queue
import threading
import time

import pytest
from lxml import etree
from twisted.internet import defer, error
from twisted.internet.task import Clock

from bus.core.config import load_config
from bus.core.envelope import parse_envelope
from bus.core.header import Party, PlatformHeader
from bus.core.jsonlog import JsonLineLog
from bus.core.receipt import APPLIED, receipt_element
from bus.hub.app import Hub
from bus.hub.forwarder import Forwarder, ProviderAnswer
from bus.hub.lifecycle import HubState
from tests.integration.notice_tools import notice
from tests.support.soap import inquiry_envelope as envelope

FAULT_CODE = "{urn:pfbus:platform:fault:v1}Code"
SUBSCRIBER_TIMEOUT = 60.0  # so that a post's own timeout never fires in these tests
LEASE = SUBSCRIBER_TIMEOUT * 2 + 10  # DeliveryService's lease for this subscriber


class ReactorClock(Clock):
    """task.Clock, plus callFromThread: calls from other threads queue until ``run_queued``."""

    def __init__(self):
        super().__init__()
        self.queued: queue.SimpleQueue = queue.SimpleQueue()

    def callFromThread(self, f, *args, **kwargs) -> None:
        self.queued.put((f, args, kwargs))

    def addSystemEventTrigger(self, phase, event, f, *args, **kwargs) -> None:
        """The reactor's shutdown triggers: never run here (the hub's drain stops what they
        would)."""

    def run_queued(self) -> None:
        while True:
            try:
                f, args, kwargs = self.queued.get_nowait()
            except queue.Empty:
                return
            f(*args, **kwargs)

    def advance(self, amount: float) -> None:
        self.run_queued()
        super().advance(amount)
        self.run_queued()


def settle(hub, until, what: str = "the routing log's writer", timeout: float = 30.0):
    """Run what the writer thread handed back until ``until()`` holds (a bounded wait)."""
    deadline = time.monotonic() + timeout
    while not until():
        hub.routing_log.flush()
        hub.clock.advance(0)  # runs the queued calls, then whatever they made due now
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
    return True


class InlineThreads:
    """StoreThreads without threads: each store call runs at once on the caller's thread."""

    busy = 0

    def run(self, f, *args, **kwargs) -> defer.Deferred:
        return defer.maybeDeferred(f, *args, **kwargs)

    def submit(self, f, *args) -> defer.Deferred:
        """StoreThreads.submit, answered before it returns: the caller's thread waits for the
        callback (the group commit's writer thread calls it), so tests stay in step."""
        answered, answers = threading.Event(), []

        def done(value, error) -> None:
            answers.append((value, error))
            answered.set()

        try:
            f(*args, done)
        except Exception:
            return defer.fail()
        if not answered.wait(30.0):
            raise AssertionError("the store never answered the call")
        value, error = answers[0]
        return defer.fail(error) if error is not None else defer.succeed(value)

    async def stop(self) -> None:
        pass


class ScriptedForwarder(Forwarder):
    """Each post waits until the test answers (``reply``) or fails it (``fail``)."""

    def __init__(self, clock):
        super().__init__(clock)
        self.posts: list[tuple[str, bytes, defer.Deferred]] = []

    def _exchange(self, target, headers, body):
        d: defer.Deferred = defer.Deferred()
        scheme, host, port = target.key
        self.posts.append((f"{scheme}://{host}:{port}{target.path.decode()}", body, d))
        return d

    def pending(self) -> list[int]:
        return [i for i, (_, _, d) in enumerate(self.posts) if not d.called]

    def receipt(self, i: int) -> None:
        _, raw, d = self.posts[i]
        env = parse_envelope(raw)
        header = PlatformHeader.from_element(env.header)
        root = etree.Element(f"{{{env.soap_ns}}}Envelope")
        etree.SubElement(root, f"{{{env.soap_ns}}}Header").append(
            header.reply(raw, sender=Party("131016", "07", "tax")).to_element())
        etree.SubElement(root, f"{{{env.soap_ns}}}Body").append(
            receipt_element(header.message_id, APPLIED))
        d.callback(ProviderAnswer(200, "text/xml; charset=utf-8",
                                  etree.tostring(root, xml_declaration=True, encoding="UTF-8")))

    def answer(self, i: int, status: int, body: bytes) -> None:
        self.posts[i][2].callback(ProviderAnswer(status, "text/xml; charset=utf-8", body))

    def refuse(self, i: int) -> None:
        self.posts[i][2].errback(error.ConnectionRefusedError())


@pytest.fixture
def hub_of(tmp_path):
    """``hub_of(limits=..., hub="more [hub] lines")``: a Hub on a Clock; its events as parsed
    JSON lines."""
    made = []

    def make(limits: str = "{ rate = 1000.0, burst = 1000, concurrency = 64 }",
             delivery: str = "max_attempts = 5, backoff_initial = 10.0", hub: str = ""):
        config = tmp_path / "hub.toml"
        config.write_text(f"""
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
node_id = "node-1"
limits = {limits}
{hub}
[store]
routing_log = "log.sqlite3"
notices = "sqlite:{tmp_path / 'notices.sqlite3'}"
[[tenants]]
local_gov_code = "131016"
name = "千代田区"
[[providers]]
id = "registry"
url = "http://127.0.0.1:9/registry"
timeout = {SUBSCRIBER_TIMEOUT}
[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "registry"
[[providers]]
id = "tax"
url = "http://127.0.0.1:9/tax"
timeout = {SUBSCRIBER_TIMEOUT}
delivery = {{ {delivery} }}
[[subscriptions]]
local_gov_code = "131016"
service = "juki.ResidentChangeNotice"
subscriber = "tax"
""", encoding="utf-8")
        clock, out = ReactorClock(), io.StringIO()
        forwarder = ScriptedForwarder(clock)
        hub = Hub(load_config(config), clock, JsonLineLog(out), forwarder=forwarder,
                  store_threads=InlineThreads())
        hub.clock, hub.out = clock, out
        made.append(hub)
        return hub

    yield make
    for hub in made:  # a failed test must not leave writer threads and open files behind
        if hub.state is not HubState.STOPPED:
            stopped = hub.stop()
            hub.clock.advance(0)
            settle(hub, lambda stopped=stopped: stopped.called)


def events(hub, name: str) -> list[dict]:
    lines = [json.loads(line) for line in hub.out.getvalue().splitlines()]
    return [e for e in lines if e["event"] == name]


def exchange(hub, raw: bytes, service: str) -> defer.Deferred:
    return defer.Deferred.fromCoroutine(hub.exchange.handle(raw, service, None, None,
                                                            "text/xml; charset=utf-8"))


def publish(hub, who: str, sequence: int = 1):
    raw, _ = notice(who, sequence)
    reply = exchange(hub, raw, "juki.ResidentChangeNotice")
    settle(hub, lambda: reply.called)
    assert reply.result.status == 200  # stored durably before the receipt


def inquire(hub) -> defer.Deferred:
    """A request, let through the replay guard (its writer thread decides the MessageId)."""
    raw, _ = envelope()
    reply = exchange(hub, raw, "juki.ResidentInquiry")
    hub.seen_messages.flush()
    hub.clock.run_queued()
    return reply


def fault_code(reply) -> str | None:
    return etree.fromstring(reply.body).findtext(f".//{FAULT_CODE}")


def start_delivery(hub) -> None:
    started = defer.Deferred.fromCoroutine(hub.delivery.start())
    assert started.called
