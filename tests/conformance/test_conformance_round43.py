"""Round 43a: notices the product receipted, delivered again at the end of the run (S-LATE-02,
conformance/late_notices.py), in place of S-GRID-01's one resend 2.5 s after a receipt. Round
43b: the forty-third blind batch's classes — integers in other digits, surrogate references, the
XML's own finding without a Path, a 世帯番号 as a key, every 記載 and 修正 as a first change.
Round 43c: a chunked body beside a Content-Length (P-WIRE-01). Round 43d: answers across a
minute's edge (P-CLOCK-01, a case that waits)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest
import xmlschema
from lxml import etree

from bus.core import faults
from bus.core.faults import HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.receipt import receipt_element
from conformance import (fault_invariants, grid, grid_notices, late_notices, message_ids,
                         minute_edges, neighbours, wire_forms)
from conformance.runner import RunOptions, run_profile
from conformance.envelopes import envelope, request_header, tamper
from conformance.records import Exchange
from conformance.reobservation import ObservationLog

from . import faulty_round43
from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round43 import JUKI_PROFILE, ROUND43_NAMES
from .independent_runs import outcome
from .outcomes import not_passed
from .proxy import Call, Reply, TamperProxy

SERVICE = "juki.ResidentChangeNotice"
_NOTICE = ('<juki:ResidentChangeNotice xmlns:juki="urn:pfbus:unit:juki:v1" '
           'xmlns:cmn="urn:pfbus:platform:common:v1"><juki:Change><juki:Resident>'
           "<cmn:AddresseeNumber>0000010014</cmn:AddresseeNumber></juki:Resident></juki:Change>"
           "</juki:ResidentChangeNotice>")  # as much of a notice as is read here


_HEADER = request_header(SimpleNamespace(id="juki.ResidentInquiry", unit="01", version="1"),  # type: ignore[arg-type]
                         {"sut_local_gov_code": "131016", "suite_business_unit": "07",
                          "suite_system_id": "pfbus-conformance", "sut_system_id": "vendor-a",
                          "user_id": "u1"})


def _notice(answer: str, message_id: str | None = None, soap: str = "1.1") -> Exchange:
    """A notice and its answer — a receipt of Status ``answer``, ``"fault"`` or ``"other"`` (an
    answer that is no receipt) —, as the transport records them."""
    spec = SimpleNamespace(id=SERVICE, unit="07", version="1")
    params = {"sut_local_gov_code": "131016", "suite_business_unit": "01",
              "suite_system_id": "pfbus-conformance", "sut_system_id": "vendor-b",
              "user_id": "u1"}
    header = request_header(spec, params)  # type: ignore[arg-type]
    if message_id:
        header = replace(header, message_id=message_id)
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://x/",
                  request=envelope(_NOTICE, soap, header),
                  request_headers={"Content-Type": "text/xml; charset=utf-8",
                                   "Content-Length": "1", "SOAPAction": '""'},
                  service=SERVICE, soap_version=soap, sent_header=header)
    ex.mark_sent()
    reply = replace(header, message_id=message_ids.fresh(), relates_to=header.message_id,
                    sender=header.receiver, receiver=header.sender)
    if answer == "fault":
        ex.response = fault_envelope(HubFault(faults.RULE_VIOLATION, []))
    else:
        body = etree.tostring(receipt_element(header.message_id, answer), encoding="unicode") \
            if answer != "other" else "<x:Other xmlns:x='urn:x'/>"
        ex.response = envelope(body, soap, reply)
    return ex


def test_the_first_receipted_delivery_of_each_message_id_is_delivered_again():
    log = late_notices.ReceivedNotices()
    first = _notice("applied")
    again = _notice("duplicate", first.sent_header.message_id)  # the same MessageId later
    kept_out = _notice("applied", soap="1.2")  # its changes kept out: still received
    refused = _notice("fault")
    refused_then_applied = _notice("applied", refused.sent_header.message_id)
    redelivered = replace(_notice("duplicate"), redelivery=True)  # S-LATE-02's own
    for ex in (first, again, kept_out, refused, _notice("other"), refused_then_applied,
               redelivered, replace(_notice("applied"), direction="from-product")):
        log.note(ex)
    assert log.receipted() == [first, kept_out, refused_then_applied]
    assert log.holds(first) and not log.holds(refused) and not log.holds(redelivered)


def test_the_deliveries_again_spread_over_the_run_from_its_first_notice_to_its_last():
    notices = [_notice("applied") for _ in range(10)]
    chosen = late_notices.spread(notices, 4)
    assert chosen == [notices[0], notices[3], notices[6], notices[9]]
    assert late_notices.spread(notices[:3], 4) == notices[:3]


def test_a_notice_receipted_right_before_a_restart_is_delivered_again_whatever_the_spread():
    """A kill right after a receipt decides whether a product acknowledged before its MessageId
    was durable: that notice is delivered again, not left to the spread's chance."""
    log = late_notices.ReceivedNotices()
    notices = [_notice("applied") for _ in range(200)]
    for k, ex in enumerate(notices):  # one a second
        ex.sent_monotonic, ex.elapsed = 1000.0 + k, 0.01
        log.note(ex)
    at_risk = notices[100]
    assert at_risk not in late_notices.spread(notices, late_notices.MOST)
    log.restart((at_risk.sent_monotonic or 0.0) + 0.5)
    chosen = log.chosen()
    assert at_risk in chosen and len(chosen) == late_notices.MOST + 1
    assert chosen == sorted(chosen, key=notices.index)  # in the order sent


def test_a_delivery_again_leaves_its_residents_to_be_observed_again():
    """S-RELOAD-01 observes again every resident no request named since its last observation:
    a delivery again of a notice receipted before changes nothing, so it does not count."""
    log = ObservationLog()
    log.sent(replace(_notice("duplicate"), redelivery=True))
    assert log.named == {}
    log.sent(_notice("applied"))
    assert set(log.named) == {"0000010014"}


@pytest.mark.slow
def test_a_sent_at_kept_per_connection_is_seen_on_the_connection_held_for_the_late_deliveries(
        suite, tmp_path):
    """The forty-first batch's sent-at-per-connection on the subscriber (a request context,
    SentAt with it, made when a connection is accepted), which S-GRID-01's resend 2.5 s after a
    receipt caught: S-LATE-02's first delivery again goes over the connection of the first
    notice receipted since the last restart, seconds old, and its receipt's SentAt is that
    old — INV-MSG-10, and nothing else, fails."""
    result, failed = outcome(suite, tmp_path, "subscriber", 1, defect="sent-at-per-connection")
    assert set(failed) == {"INV-MSG-10"}, failed
    held = [ex for r in result.results if r.id == "S-LATE-02" for ex in r.exchanges
            if "on the connection of the run's first receipted notice" in ex.step]
    assert len(held) == 1
    stamp = dt.datetime.fromisoformat(held[0].header().sent_at).timestamp()
    assert held[0].sent_wall is not None and held[0].sent_wall - stamp >= 2.0


# --- round 43b ---------------------------------------------------------------------------------

def test_an_integer_has_neighbours_in_other_digits_and_with_an_underscore():
    schema = xmlschema.XMLSchema(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="P">'
        '<xs:restriction base="xs:positiveInteger"><xs:maxInclusive value="1000"/>'
        '</xs:restriction></xs:simpleType></xs:schema>')
    values = {f.value for f in neighbours.forms(schema.types["P"], "12")}
    assert {"１２", "١٢", "1_2"} <= values  # all of them int("…") == 12 in Python
    libxml2 = etree.XMLSchema(etree.fromstring(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="p" type="xs:positiveInteger"/></xs:schema>'))
    for value in ("１２", "١٢", "1_2"):  # XML Schema's integers are ASCII digits; xmlschema
        assert schema.types["P"].is_valid(value)  # takes them (4.3.2), libxml2 does not
        assert not libxml2.validate(etree.fromstring(f"<p>{value}</p>"))
    assert "0_1" in {f.value for f in neighbours.forms(schema.types["P"], "1")}


def test_surrogate_references_make_the_request_not_well_formed():
    raw = tamper(envelope("<q:Q xmlns:q='urn:q'/>", "1.1", _HEADER), "surrogate_pair_references")
    assert b"<pfh:UserId>&#xD842;&#xDFB7;" in raw
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(raw)
    joined = faulty_round43.surrogate_references_joined(Call(raw, {}))
    assert "<pfh:UserId>𠮷".encode() in joined and etree.fromstring(joined) is not None


def test_a_finding_about_the_xml_itself_names_no_path():
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://x/",
                  request=b"<a><b></a>", status=400, response_headers={
                      "content-type": "text/xml; charset=utf-8"},
                  response=fault_envelope(HubFault(faults.MALFORMED_XML, (
                      Finding("xml:well-formed", "m", "/soap:Envelope/soap:Body", 1),))))
    problems = fault_invariants.finding_place(None, ex)  # type: ignore[arg-type]
    assert len(problems) == 1 and "names Path /soap:Envelope/soap:Body" in problems[0]
    ex.response = fault_envelope(HubFault(faults.MALFORMED_XML, (
        Finding("xml:well-formed", "m", None, 1),)))
    ex._parsed.clear()
    assert fault_invariants.finding_place(None, ex) == []  # type: ignore[arg-type]
    reply = faulty_round43.well_formed_finding_with_path(Call(b"", {}, reply=Reply(
        400, ex.response)))
    assert b"Path>/soap:Envelope/soap:Body</" in reply.body


def test_each_household_number_is_asked_as_an_addressee_number_and_not_found():
    model = grid.load_model("juki_residents.xml")
    asked = {p.number: p for p in grid.inquiry_points(model)}
    households = {r.household for r in model}
    assert households <= set(asked) and all(asked[h].expected is None for h in households)


def test_each_registration_and_correction_is_a_first_change_of_a_resident_not_held():
    groups = {"A01": "記載", "A04": "記載", "B03": "消除", "C12": "修正"}
    first = [p for p in grid_notices.points(list(groups), groups)
             if p.what.endswith("as the first change of a resident not held")]
    assert [p.steps[0].changes[0].reason for p in first] == ["A04", "C12"]  # 消除: not judged


def test_a_chunked_body_beside_a_content_length_is_read_as_chunked_or_refused_at_http():
    form = next(f for f in wire_forms.ACCEPTED if f.name == "chunked-body-with-content-length")
    ex = _notice("applied")
    ex.request_headers.pop("Content-Length")  # the suite's client adds its own
    head, _, framed = wire_forms.request_bytes(ex, form).partition(b"\r\n\r\n")
    assert b"\r\nTransfer-Encoding: chunked\r\n" in head
    assert f"\r\nContent-Length: {len(ex.request)}\r\n".encode() in head
    assert len(framed) > len(ex.request)  # read by its length: the framing's first bytes

    def answered(status: int, body: bytes) -> Exchange:
        return replace(ex, status=status, response=body, _parsed={})
    http_layer = HubFault(faults.HTTP_BAD_REQUEST, (Finding("http:syntax", "both lengths"),))
    read_as_xml = HubFault(faults.NOT_SOAP, (Finding("xml:well-formed", "'<' not found"),))
    assert wire_forms.http_refusal(answered(400, fault_envelope(http_layer))) is None
    assert wire_forms.http_refusal(answered(400, b"Bad Request")) is None  # a bare 400
    assert "xml:well-formed" in wire_forms.http_refusal(answered(400, fault_envelope(
        read_as_xml, faults.SOAP12_NS)))
    assert "HTTP 500" in wire_forms.http_refusal(answered(500, fault_envelope(read_as_xml)))
    assert wire_forms.http_refusal(answered(400, _notice("applied").response)) is not None
    assert not wire_forms.refused(answered(400, fault_envelope(http_layer)),
                                  wire_forms.ACCEPTED[0])  # another form may not be refused

    both = {"transfer-encoding": "chunked", "content-length": str(len(ex.request))}
    call = Call(ex.request, {}, received=both, chunks=[100, len(ex.request) - 100])
    refused = faulty_round43.length_before_coding(call)
    assert isinstance(refused, Reply) and b"xml:well-formed" in refused.body
    for one in ({"transfer-encoding": "chunked"}, {"content-length": "1"}):
        assert faulty_round43.length_before_coding(replace(call, received=one)) == ex.request


def test_the_minute_edge_is_waited_for_one_second_before_a_minute_ends():
    assert minute_edges.seconds_to_wait(120.0) == 59.0
    assert minute_edges.seconds_to_wait(178.0) == 1.0
    assert minute_edges.seconds_to_wait(179.5) == 59.5  # the edge just passed: the next one
    sent_at = b"<pfh:SentAt>2026-12-07T16:21:00+09:00</pfh:SentAt>"
    left_out = faulty_round43.seconds_left_out_on_the_minute(Call(b"", {}, reply=Reply(
        200, sent_at + b"<pfh:SentAt>2026-12-07T16:21:01+09:00</pfh:SentAt>")))
    assert left_out.body == (b"<pfh:SentAt>2026-12-07T16:21+09:00</pfh:SentAt>"
                             b"<pfh:SentAt>2026-12-07T16:21:01+09:00</pfh:SentAt>")


@pytest.mark.slow
def test_seconds_left_out_on_the_minute_fail_inv_msg_03_at_the_minute_edge(refs, suite):
    """P-CLOCK-01 waits for a minute's edge (up to a minute each run): vendor A passes it, the
    writer leaving the seconds out fails INV-MSG-03 on its answers; an ordinary run skips it."""
    url = refs.url(JUKI_PROFILE[0])
    ordinary = run_profile(RunOptions(JUKI_PROFILE[0], target=url, cases=("P-CLOCK-01",)), suite)
    assert [(r.id, r.verdict) for r in ordinary.results] == [("P-CLOCK-01", "skip")]
    edge = {"params": {"waiting_cases": "true"}, "cases": ("P-CLOCK-01", "INV-MSG-")}
    reference = run_profile(RunOptions(JUKI_PROFILE[0], target=url, **edge), suite)
    assert not_passed(reference) == {} and reference.verdict == "pass"
    proxy = TamperProxy(url, on_reply=faulty_round43.seconds_left_out_on_the_minute)
    try:
        result = run_profile(RunOptions(JUKI_PROFILE[0], target=proxy.url, **edge), suite)
    finally:
        proxy.close()
    failed = not_passed(result)
    assert set(failed) == {"INV-MSG-03"}, failed
    assert failed["INV-MSG-03"].startswith("fail") and "P-CLOCK-01" in failed["INV-MSG-03"]


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND43_NAMES))
def test_faulty_adapter_fails_exactly_its_round43_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
