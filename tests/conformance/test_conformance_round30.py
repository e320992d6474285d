"""Round 30b's checks (the thirtieth blind batch's misses, as classes): what each judges, on
answers written here, and each faulty adapter of faulty_round30.py failing exactly its targets."""

from __future__ import annotations

import pytest
from lxml import etree

from bus.core import faults
from bus.core.faults import SOAP11_NS, SOAP12_NS, HubFault, fault_envelope
from bus.core.header import HEADER_NS, HEADER_TAG, Party, PlatformHeader
from conformance import grid_notices, parties, soap_structure, vendor_blocks
from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round30 import ROUND30_MODES, ROUND30_NAMES, Round30Subscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs


# --- SOAP 1.2's fault details -----------------------------------------------------------------

@pytest.mark.parametrize("ns", [SOAP11_NS, SOAP12_NS])
def test_an_upgrade_block_lists_both_envelopes_the_product_reads(ns):
    written = fault_envelope(HubFault(faults.VERSION_MISMATCH), ns)
    assert soap_structure.upgrade(etree.fromstring(written)) == []
    root = etree.fromstring(written)
    block = root.find(f"*/{{{SOAP12_NS}}}Upgrade")
    block.remove(block[1])  # the other version's
    problems = soap_structure.upgrade(root)
    assert len(problems) == 1 and "does not list SOAP" in problems[0], problems


def _must_understand_fault(qname: str, declare: str | None) -> etree._Element:
    root = etree.fromstring(fault_envelope(HubFault(faults.MUST_UNDERSTAND), SOAP12_NS))
    header = etree.Element(f"{{{SOAP12_NS}}}Header")
    root.insert(0, header)
    block = etree.SubElement(header, f"{{{SOAP12_NS}}}NotUnderstood",
                             nsmap={"vnd": declare} if declare else None)
    block.set("qname", qname)
    return root


def test_a_not_understood_qname_must_resolve_where_it_stands():
    assert soap_structure.structure(
        _must_understand_fault("vnd:Block", "urn:example:vendor"), SOAP12_NS) == []
    problems = soap_structure.structure(_must_understand_fault("vnd:Block", None), SOAP12_NS)
    assert len(problems) == 1 and "NotUnderstood qname 'vnd:Block'" in problems[0], problems


# --- the platform header nested in a vendor block ---------------------------------------------

def test_the_nested_copy_is_a_platform_header_with_other_values_before_the_real_one():
    header = PlatformHeader.new(sender=Party("131016", "01", "suite"),
                                receiver=Party("131016", "01", "sut"),
                                service_id="juki.ResidentInquiry", user_id="clerk")
    raw = (f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Header>'.encode()
           + etree.tostring(header.to_element())
           + b"</soap:Header><soap:Body><x/></soap:Body></soap:Envelope>")
    root = etree.fromstring(vendor_blocks.tamper(raw, "nested_header"))
    relay, real = list(root.find(f"{{{SOAP11_NS}}}Header"))
    assert relay.tag == f"{{{vendor_blocks.RELAY_NS}}}Relay" and real.tag == HEADER_TAG
    copy = relay.find(HEADER_TAG)
    assert copy is not None and copy.findtext(_h("MessageId")) != header.message_id
    assert copy.findtext(_h("Receiver/SystemId")) == "VENDOR-RELAY"
    assert copy.find(_h("RelatesTo")) is not None
    assert PlatformHeader.from_element(copy).sender.system_id == "VENDOR-RELAY"  # a valid header


def _h(path: str) -> str:
    return "/".join(f"{{{HEADER_NS}}}{p}" for p in path.split("/"))


# --- the hub's SystemId spelled otherwise; LinkageKind full; ヷ in a name ------------------------

def test_a_subscriber_is_sent_the_hubs_system_id_spelled_otherwise():
    assert parties.receiver_spellings("hub") == ["HUB", "Hub", "hub.2", "hu"]


def test_the_grid_sends_lower_equal_and_higher_sequences_as_linkage_kind_full():
    full = [p for p in grid_notices.points(["A01", "C12"], {})
            if any(getattr(s, "linkage_kind", "") == "full" for s in p.steps)]
    sent = {tuple(c.sequence for s in p.steps for c in s.changes) for p in full}
    assert sent == {("10", "9"), ("7", "7"), ("3", "4")}
    assert all(p.steps[-1].linkage_kind == "full" and not p.steps[0].linkage_kind for p in full)


def test_the_grid_sends_the_va_row_in_a_name():
    assert any("ヷヸヹヺ" in name for _, _, name in grid_notices.CHARACTERS)


# --- the faulty adapters ------------------------------------------------------------------------

ROUND30_RUNS = faulty_runs(ROUND30_NAMES)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", ROUND30_RUNS)
def test_faulty_adapter_fails_exactly_its_round30_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND30_MODES))
def test_faulty_subscriber_fails_exactly_its_round30_targets(refs, suite, mode, profile):
    subscriber = Round30Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND30_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
