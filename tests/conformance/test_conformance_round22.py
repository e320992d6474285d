"""Round 22's forms (conformance/xml_placements.py) and grid points (conformance/grid.py): each
form is the canonical message written otherwise and holds what its production names; the
inquiry grid asks unknown numbers with every kind of 基準日, the extract grid repeats a dated
snapshot's 基準日 on later pages of both kinds. The faulty subscribers of round 22 each fail exactly
their targets; the other faulty adapters (faulty_round22.py) are in faulty.py's list
(test_conformance_providers)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from conformance import equivalence, grid, namespace_forms, xml_placements
from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_durability import crash_run
from .faulty_round22 import (ROUND22_CRASH_MODES, ROUND22_MODES, Round22Subscriber,
                             SeedReplayedSubscriber, SeenWindowSubscriber)
from .outcomes import not_passed
from .references import SUB_PROFILE
from .subscriber import SERVICE
from .tiers import subscriber_runs

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"


def _request(soap: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soap:Envelope xmlns:soap="{soap}"><soap:Header><h:H xmlns:h="urn:pfbus:platform:'
            'header:v1" soap:mustUnderstand="1"><h:MessageId>5b0f5c3e-2d1c-4c1a-9a53-0d6c7e3f4a11'
            f'</h:MessageId></h:H></soap:Header><soap:Body><b:B xmlns:b="{JUKI}" '
            f'xmlns:c="{CMN}"><b:K>𠮷田 &amp; x</b:K><b:R><c:V>3</c:V><c:E/></b:R></b:B>'
            '</soap:Body></soap:Envelope>')


FORMS = [v for v in equivalence.VARIANTS
         if v.name in ("prolog-epilogue-non-ascii", "prolog-non-ascii-no-declaration",
                       "vendor-blocks-any-content", "namespaces-on-each-element",
                       "default-namespace-per-element")]


def test_round22_forms_are_registered():
    assert len(FORMS) == 5


def _elements(raw: bytes) -> list[tuple[str, str]]:
    root = etree.fromstring(raw)
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    assert body is not None
    return [(e.tag, e.text or "") for e in body.iter() if isinstance(e.tag, str)]


@pytest.mark.parametrize("soap", [SOAP11, SOAP12])
@pytest.mark.parametrize("variant", FORMS, ids=lambda v: v.name)
def test_every_form_keeps_the_payload(variant, soap):
    canonical = _request(soap).encode()
    raw, _ = equivalence.rewrite(canonical, {}, "1.1" if soap == SOAP11 else "1.2", variant)
    assert raw != canonical
    assert _elements(raw) == _elements(canonical)
    if variant.name.endswith(("each-element", "per-element")):
        namespace_forms.equivalent(canonical, raw)  # the whole message, header included


def test_prolog_forms_put_non_ascii_comments_before_and_after_the_root():
    with_decl = xml_placements.prolog_epilogue(_request(SOAP11))
    assert with_decl.startswith("<?xml ")
    before, after = with_decl.split("<soap:Envelope")[0], with_decl.split("</soap:Envelope>")[1]
    for part in (before, after):
        assert re.search(r"<!--[^>]*[^\x00-\x7f]", part) and "<?" not in part.replace("<?xml ", "")
    assert "𠮷" in before
    bare = xml_placements.prolog_without_declaration(_request(SOAP11))
    assert bare.startswith("<!-- 住民記録")


def test_vendor_blocks_surround_the_platform_header_and_hold_non_bmp():
    out = xml_placements.vendor_blocks_any_content(_request(SOAP12))
    header = etree.fromstring(out.encode()).find(f"{{{SOAP12}}}Header")
    assert header is not None
    blocks = [etree.QName(b).localname for b in header]
    assert blocks == ["送信記録", "H", "経路"]
    assert header[0].get(f"{{{SOAP12}}}mustUnderstand") is None
    assert header[2].get(f"{{{SOAP12}}}mustUnderstand") == "0"
    text = etree.tostring(header[0], encoding="unicode")
    assert "𠮷" in "".join(header[0].itertext()) and "CDATA" not in text  # parsed as text


def test_each_element_declares_its_own_prefix_only():
    out = xml_placements.each_element_declares(_request(SOAP11))
    assert '<b:B xmlns:b="' in out and "xmlns:c" not in out.split("<b:B")[1].split(">")[0]
    assert f'<c:V xmlns:c="{CMN}">' in out and f'<c:E xmlns:c="{CMN}"/>' in out


def test_default_per_element_declares_where_the_namespace_changes():
    out = xml_placements.each_element_default(_request(SOAP11))
    assert f'<B xmlns="{JUKI}">' in out and "<R>" in out and f'<V xmlns="{CMN}">' in out
    assert "<soap:Body>" in out and "</B>" in out


def test_unknown_numbers_are_asked_with_every_kind_of_as_of():
    model = grid.load_model("juki_residents.xml")
    held = {r.addressee for r in model} | {r.individual for r in model}
    unknown = [p for p in grid.inquiry_points(model) if p.number not in held]
    for kind in ("addressee", "individual"):
        labels = {p.as_of_label for p in unknown if p.key == kind}
        assert labels == {"", "a future day", "a day of the test data", "before every resident"}
        assert {p.soap for p in unknown if p.key == kind} == {"1.1", "1.2"}
        assert all(p.expected is None for p in unknown)


def test_dated_snapshots_repeat_their_as_of_on_both_kinds_of_later_page():
    model = grid.load_model("juki_residents.xml")
    kinds = set()
    for as_of, _ in grid.extract_dates(model):
        if as_of is not None:
            kinds |= {(number, (number + as_of.toordinal()) % 2 == 0) for number in (2, 3)}
    assert kinds == {(2, True), (2, False), (3, True), (3, False)}


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND22_MODES))
def test_faulty_subscriber_fails_exactly_its_round22_targets(refs, suite, mode, profile):
    subscriber = Round22Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND22_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.integration
def test_a_start_up_warming_the_last_ten_ids_fails_exactly_its_retention_case(refs, suite):
    failed, _ = crash_run(refs, suite, SeenWindowSubscriber(), SUB_PROFILE)
    assert set(failed) == set(ROUND22_CRASH_MODES["seen-window-warmed"][1]), \
        {k: str(r.findings) for k, r in failed.items()}


@pytest.mark.integration
def test_a_start_up_reloading_the_initial_load_fails_exactly_its_held_case(refs, suite):
    failed, _ = crash_run(refs, suite, SeedReplayedSubscriber(), SUB_PROFILE)
    assert set(failed) == set(ROUND22_CRASH_MODES["seed-replayed-on-start"][1]), \
        {k: str(r.findings) for k, r in failed.items()}
