"""A subscriber's dead letter says what the subscriber's adapter said: its own error code and
message (never personal data), not just PF-PROVIDER-FAULT.

Vendor C's real notice endpoint (the SDK's ProviderApp with its handlers and ERRORS, served in
process) on a database that has become read-only refuses a notice; the hub (in process, on a
Clock) delivers that notice, gets that very fault and dead-letters it.
"""

from __future__ import annotations

import sqlite3

import requests
from lxml import etree

from adapters.sdk.provider import ProviderApp
from adapters.sdk.testing import serve
from adapters.vendor_c_kokuho.notices import notice_handlers
from adapters.vendor_c_kokuho.service import ERRORS
from adapters.vendor_c_kokuho.store import KokuhoStore
from bus.core.header import Party
from bus.hub.delivery import subscriber_fault
from tests.integration.notice_tools import addressee, notice
from tests.support.clocked_hub import exchange, settle, start_delivery


def test_a_dead_letter_carries_the_subscribers_own_code_and_message(hub_of, tmp_path):
    path = tmp_path / "c.sqlite3"
    writable = KokuhoStore.open(path)
    notice_handlers(writable)  # creates its tables; then the disk turns read-only
    writable.close()
    store = KokuhoStore(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True,
                                        check_same_thread=False))
    app = ProviderApp(Party("131016", "11", "vendor-c-kokuho"), notice_handlers(store),
                      errors=ERRORS)
    server = serve(app.resource())
    try:
        raw, _ = notice(addressee(4400), 1)
        answer = requests.post(server.url, data=raw, timeout=30,
                               headers={"Content-Type": "text/xml; charset=utf-8"})
    finally:
        server.close()
        store.close()
    assert answer.status_code == 500
    code, message = subscriber_fault(etree.fromstring(answer.content).find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body"))
    assert (code, message) == ("VENDOR-C-DB-UNAVAILABLE", "attempt to write a readonly database")

    hub = hub_of(delivery="max_attempts = 1")
    start_delivery(hub)
    reply = exchange(hub, raw, "juki.ResidentChangeNotice")
    settle(hub, lambda: reply.called)
    assert reply.result.status == 200
    hub.forwarder.answer(0, answer.status_code, answer.content)
    settle(hub, lambda: hub.delivery.store.dead_letters())
    (dead,) = hub.delivery.store.dead_letters()
    assert dead.last_error == ("PF-PROVIDER-FAULT provider:VENDOR-C-DB-UNAVAILABLE: attempt to "
                               "write a readonly database")
