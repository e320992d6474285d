"""What round 14b's cases are generated from, without a product: the Receiver's other
spellings and the other Senders (conformance/parties.py), the request lines of each HTTP form
and the framing judged (conformance/wire_forms.py)."""

from __future__ import annotations

from conformance import parties, wire_forms
from conformance.records import Exchange


def test_receiver_spellings_are_other_system_ids_within_the_pattern():
    spellings = parties.receiver_spellings("vendor-a-juki")
    assert spellings == ["VENDOR-A-JUKI", "Vendor-a-juki", "vendor-a-juki.2", "vendor-a-juk"]
    assert "x" not in parties.receiver_spellings("x")  # never the product's own, never empty
    assert "" not in parties.receiver_spellings("x")


def test_other_senders_differ_from_the_suite_in_each_field():
    values = {"sut_local_gov_code": "271004", "suite_business_unit": "11"}
    changed = dict(parties.other_senders(values))
    assert changed["another 団体コード"] == {"sender_local_gov_code": "130001"}
    assert changed["another 業務ユニット"] == {"sender_business_unit": "07"}


def _exchange(url="http://127.0.0.1:9/soap") -> Exchange:
    return Exchange(step="s", direction="to-product", method="POST", url=url, request=b"<x/>",
                    request_headers={"Content-Type": "text/xml; charset=utf-8"})


def test_request_lines_of_each_form():
    forms = {f.name: f for f in wire_forms.ACCEPTED}
    head = wire_forms.request_bytes(_exchange(), forms["absolute-form-upper-case"]).split(b"\r\n")
    assert head[0] == b"POST HTTP://127.0.0.1:9/soap HTTP/1.1"
    head = wire_forms.request_bytes(_exchange(), forms["http-1.0"]).split(b"\r\n")
    assert head[0] == b"POST /soap HTTP/1.0" and not any(h.startswith(b"Host:") for h in head)
    chunked = wire_forms.request_bytes(_exchange(), forms["chunked-body"])
    assert b"Transfer-Encoding: chunked" in chunked and b"Content-Length" not in chunked
    # (a body of 4 bytes: no split gives both sizes a hex letter; the second after a leading
    # zero, round 45b)
    assert chunked.endswith(b"2;conformance=1\r\n<x\r\n02\r\n/>\r\n0\r\nConformance-Trailer: 1\r\n\r\n")


def test_an_http_10_answer_with_transfer_encoding_is_a_finding():
    form = next(f for f in wire_forms.ACCEPTED if f.name == "http-1.0")
    ex = _exchange()
    ex.response_headers = {"Transfer-Encoding": "chunked"}
    assert wire_forms._framing(ex, form)
    ex.response_headers = {"Content-Length": "4"}
    assert wire_forms._framing(ex, form) == []
