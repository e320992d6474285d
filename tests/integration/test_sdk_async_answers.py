"""The SDK provider checks an answer a handler gives through a Deferred (a 全件 page: tens of ms
of 外字 mapping and validation) in a worker thread, not the reactor's — and checks it exactly as
it checks an answer given at once: valid and answered, or refused as PF-PROVIDER-INVALID-RESPONSE."""

from __future__ import annotations

import threading

import requests
from lxml import etree
from twisted.internet import reactor, task

from adapters.sdk.provider import ProviderApp
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
