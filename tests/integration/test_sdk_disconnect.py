"""The SDK's Twisted provider when the hub disconnects mid-delivery (it stopped, or gave up at
its timeout): the handler's work stands, and nothing is logged as an error — before, spyne's
attempt to answer the closed request ended as "Unhandled error in Deferred"."""

from __future__ import annotations

import gc
import socket
import threading

from twisted.internet import reactor, task
from twisted.internet.threads import blockingCallFromThread
from twisted.python import log

from adapters.sdk.provider import ProviderApp
from adapters.sdk.receiver import APPLIED, notice_receipt
from adapters.sdk.testing import serve
from bus.core.header import Party
from tests.integration.notice_tools import addressee, notice


def test_a_caller_gone_before_the_answer_leaves_no_error_in_the_log():
    handled = threading.Event()

    def handler(header, body):  # slow work, as an adapter's database may be
        def done():
            handled.set()
            return notice_receipt(header.message_id, APPLIED)
        return task.deferLater(reactor, 0.5, done)

    errors: list[dict] = []

    def observe(event: dict) -> None:
        if event.get("isError"):
            errors.append(event)

    server = serve(ProviderApp(Party("131016", "11", "vendor-c-kokuho"),
                               {"juki.ResidentChangeNotice": handler}).resource())
    log.addObserver(observe)
    try:
        raw, _ = notice(addressee(5100), 1)
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: sdk\r\nContent-Type: text/xml; charset=utf-8\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(raw) + raw)
        # closed: the hub went away while the handler works
        assert handled.wait(30)
        blockingCallFromThread(reactor, task.deferLater, reactor, 0.2, lambda: None)
        gc.collect()  # an unhandled failure is reported when its Deferred is collected
        blockingCallFromThread(reactor, lambda: None)
    finally:
        log.removeObserver(observe)
        server.close()
    assert not errors, [log.textFromEventDict(e) for e in errors]
