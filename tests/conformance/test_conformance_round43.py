"""Round 43a: notices the product receipted, delivered again at the end of the run (S-LATE-02,
conformance/late_notices.py), in place of S-GRID-01's one resend 2.5 s after a receipt."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest
from lxml import etree

from bus.core import faults
from bus.core.faults import HubFault, fault_envelope
from bus.core.receipt import receipt_element
from conformance import late_notices, message_ids
from conformance.envelopes import envelope, request_header
from conformance.records import Exchange
from conformance.reobservation import ObservationLog

from .independent_runs import outcome

SERVICE = "juki.ResidentChangeNotice"
_NOTICE = ('<juki:ResidentChangeNotice xmlns:juki="urn:pfbus:unit:juki:v1" '
           'xmlns:cmn="urn:pfbus:platform:common:v1"><juki:Change><juki:Resident>'
           "<cmn:AddresseeNumber>0000010014</cmn:AddresseeNumber></juki:Resident></juki:Change>"
           "</juki:ResidentChangeNotice>")  # as much of a notice as is read here


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
