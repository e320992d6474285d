"""The SDK provider checks an answer a handler gives through a Deferred (a 全件 page: tens of ms
of 外字 mapping and validation) in a worker thread, not the reactor's — and checks it exactly as
it checks an answer given at once: valid and answered, or refused as PF-PROVIDER-INVALID-RESPONSE.
A ``Held`` answer is checked at once and leaves only once what it waits for is done."""

from __future__ import annotations

import threading

import requests
from lxml import etree
from twisted.internet import reactor, task
from twisted.internet.defer import Deferred
from twisted.internet.threads import blockingCallFromThread

from adapters.sdk.provider import Held, ProviderApp
from adapters.sdk.receiver import APPLIED, notice_receipt
from adapters.sdk.testing import serve
from bus.core.faults import FAULT_DETAIL_TAG, FaultDetail
from bus.core.header import HEADER_TAG, Party, PlatformHeader
from tests.integration.notice_tools import addressee, notice

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SUBSCRIBER = ("131016", "11", "vendor-c-kokuho")


def post(url: str, raw: bytes) -> tuple[int, etree._Element]:
    answer = requests.post(url, data=raw, timeout=30,
                           headers={"Content-Type": "text/xml; charset=utf-8"})
    return answer.status_code, etree.fromstring(answer.content)


def test_an_answer_through_a_deferred_is_checked_off_the_reactor_thread_and_refused_if_invalid():
    answers = iter(["valid", "invalid"])
    app = ProviderApp(Party(*SUBSCRIBER), {"juki.ResidentChangeNotice": lambda header, body: (
        task.deferLater(reactor, 0, answer, header, next(answers)))})
    checked_in: list[str] = []
    check = app._checked
    # its own compiled schema: the reactor's validator never waits for a worker's check
    assert app._worker_validator.catalog.xsd is not app._validator.catalog.xsd

    def recording(element, info, header, validator):
        checked_in.append(threading.current_thread().name)
        assert validator is app._worker_validator
        return check(element, info, header, validator)

    app._checked = recording  # type: ignore[method-assign]
    server = serve(app.resource())
    try:
        raw, message_id = notice(addressee(5200), 1)
        status, valid = post(server.url, raw)
        assert status == 200
        header = PlatformHeader.from_element(valid.find(f"{{{SOAP11}}}Header/{HEADER_TAG}"))
        assert header.relates_to == message_id
        raw, message_id = notice(addressee(5200), 2)
        status, refused = post(server.url, raw)
        assert status == 500
        detail = FaultDetail.from_element(refused.find(f".//{FAULT_DETAIL_TAG}"))
        assert (detail.code, detail.party, detail.message_id) == \
            ("PF-PROVIDER-INVALID-RESPONSE", "provider", message_id)
        assert detail.findings
    finally:
        server.close()
    assert len(checked_in) == 2 and not set(checked_in) & {"MainThread", "twisted-reactor"}


def answer(header: PlatformHeader, kind: str) -> etree._Element:
    receipt = notice_receipt(header.message_id, APPLIED)
    if kind == "invalid":
        etree.SubElement(receipt, "{urn:pfbus:platform:receipt:v1}Unexpected").text = "x"
    return receipt


def test_a_held_answer_is_checked_at_once_and_leaves_only_once_released():
    """``Held(element, until)``: checked in the reactor when the handler returns (an invalid one
    refused without waiting), sent once ``until`` fires, a PF-PROVIDER-INTERNAL fault instead
    when ``until`` fails — never the answer."""
    holds: list[Deferred] = []

    def handler(header, body):
        holds.append(Deferred())
        kind = "invalid" if body.findtext(".//{*}AddresseeNumber") == addressee(5203) else "valid"
        return Held(answer(header, kind), holds[-1])

    server = serve(ProviderApp(Party(*SUBSCRIBER), {"juki.ResidentChangeNotice": handler})
                   .resource())
    try:
        raw, message_id = notice(addressee(5201), 1)
        got: dict = {}
        sending = threading.Thread(target=lambda: got.update(answer=post(server.url, raw)))
        sending.start()
        while not holds:
            sending.join(0.01)
        for _ in range(2):  # what the reactor would write, it has written by now
            blockingCallFromThread(reactor, lambda: None)
        sending.join(0.5)
        assert sending.is_alive() and not got  # held
        reactor.callFromThread(holds[0].callback, None)
        sending.join(30)
        status, valid = got["answer"]
        assert status == 200
        header = PlatformHeader.from_element(valid.find(f"{{{SOAP11}}}Header/{HEADER_TAG}"))
        assert header.relates_to == message_id

        raw, message_id = notice(addressee(5202), 1)
        sending = threading.Thread(target=lambda: got.update(answer=post(server.url, raw)))
        sending.start()
        while len(holds) < 2:
            sending.join(0.01)
        reactor.callFromThread(holds[1].errback, OSError("the disk is full"))
        sending.join(30)
        status, fault = got["answer"]
        detail = FaultDetail.from_element(fault.find(f".//{FAULT_DETAIL_TAG}"))
        assert (status, detail.code, detail.message_id) == (500, "PF-PROVIDER-INTERNAL",
                                                            message_id)
        assert b"disk" not in etree.tostring(fault)

        raw, message_id = notice(addressee(5203), 1)  # never released: refused at once
        status, refused = post(server.url, raw)
        detail = FaultDetail.from_element(refused.find(f".//{FAULT_DETAIL_TAG}"))
        assert (status, detail.code) == (500, "PF-PROVIDER-INVALID-RESPONSE")
        assert not holds[2].called
    finally:
        server.close()
