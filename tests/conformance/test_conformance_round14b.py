"""The mutation check of round 14b's cases that the generic faulty-adapter tests cannot run:
SDK-built subscribers with one defect (faulty_round14b.SUBSCRIBER_MODES) and a provider that
must be restarted (J-DUR-02, in process: its restart loses the snapshots, not the RequestIds);
and the pure parts the cases are generated from (wire_forms, parties)."""

from __future__ import annotations

import pytest

from conformance import parties, wire_forms
from conformance.commands import CallableCommand
from conformance.records import Exchange
from conformance.runner import RunOptions, run_profile

from .faulty_round14b import RESTART_MODES, SUBSCRIBER_MODES, RequestIdsPersisted, \
    Round14bSubscriber
from .outcomes import not_passed
from .references import JUKI_PROFILE, SUB_PROFILE, SUBSCRIBER_PROFILES
from .subscriber import SERVICE


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
    assert chunked.endswith(b"2;conformance=1\r\n<x\r\n2\r\n/>\r\n0\r\n\r\n")


def test_an_http_10_answer_with_transfer_encoding_is_a_finding():
    form = next(f for f in wire_forms.ACCEPTED if f.name == "http-1.0")
    ex = _exchange()
    ex.response_headers = {"Transfer-Encoding": "chunked"}
    assert wire_forms._framing(ex, form)
    ex.response_headers = {"Content-Length": "4"}
    assert wire_forms._framing(ex, form) == []


pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", [
    pytest.param(m, p, id=f"{m}@{p}", marks=[pytest.mark.slow] if p != SUB_PROFILE else [])
    for m in sorted(SUBSCRIBER_MODES) for p in SUBSCRIBER_PROFILES])
def test_faulty_subscriber_fails_exactly_its_round14b_targets(refs, suite, mode, profile):
    subscriber = Round14bSubscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(SUBSCRIBER_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


def test_request_ids_kept_across_a_restart_without_snapshots_fail_exactly_j_dur_02(refs, suite):
    product = RequestIdsPersisted(refs, JUKI_PROFILE)
    result = run_profile(RunOptions(JUKI_PROFILE, target=product.url,
                                    restart=product.restart_command), suite)
    failed = not_passed(result)
    assert set(failed) == set(RESTART_MODES["request-ids-persisted"][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
