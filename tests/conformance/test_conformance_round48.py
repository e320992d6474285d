"""Round 48: the forty-eighth blind batch's classes — rule violations in UTF-16 (P-FAULT-17/18),
a request addressed to the hub (P-ADDR-08), the key's other forms with a 基準日 (P-EDGE-01),
HTTP/1.0 keep-alive (P-WIRE-01) and pages asked for late (P-LATE-01)."""

from __future__ import annotations

import codecs

import pytest

from conformance import edge_cases, grid, wire_forms
from conformance.envelopes import tamper
from conformance.records import Exchange

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round48 import ROUND48_NAMES


def test_the_key_forms_are_asked_with_a_basis_date_too(suite):
    model = grid.load_model(str(suite.profiles["juki.provider"].params["model_data"]))
    forms = [a.point for a in edge_cases.inquiry_points(model) if a.point.edge]
    assert forms and {p.as_of is None for p in forms} == {True, False}
    assert {p.number for p in forms if p.as_of} == {p.number for p in forms if not p.as_of}


def test_http_1_0_keep_alive_asks_to_keep_the_connection():
    form = next(f for f in wire_forms.ACCEPTED if f.name == "http-1.0-keep-alive")
    ex = Exchange(step="s", direction="to-product", method="POST",
                             url="http://127.0.0.1:9/soap", request=b"<a/>",
                             request_headers={"Content-Type": "text/xml"})
    head = wire_forms.request_bytes(ex, form).split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0] == b"POST /soap HTTP/1.0" and b"Connection: keep-alive" in head
    assert b"Connection: close" not in head


def test_the_utf16_form_is_the_same_document():
    raw = '<?xml version="1.0" encoding="UTF-8"?>\n<a>𠮷</a>'.encode()
    out = tamper(raw, "utf16")
    assert out.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert out.decode("utf-16") == raw.decode().replace("UTF-8", "UTF-16")


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND48_NAMES))
def test_faulty_adapter_fails_exactly_its_round48_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
