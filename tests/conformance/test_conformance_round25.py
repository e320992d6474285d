"""Round 25's enumerations (conformance/service_spellings.py, multi_change_orders.py,
optional_elements.py): what each sends, checked against its source — header-v1.xsd's patterns,
the catalog, README's rule, docs/notices.md's order rule, the notice's XSD types — and each faulty
adapter of faulty_round25.py failing exactly its targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conformance import multi_change_orders, optional_elements, service_spellings
from conformance.commands import CallableCommand
from conformance.grid_notices import notice_body
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from .faulty import assert_fails_exactly_its_targets, faulty_runs, targeted_cases
from .faulty_wire import CATALOG as WIRE_CATALOG
from .faulty_round25 import ROUND25_MODES, ROUND25_NAMES, Round25Subscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

ROOT = Path(__file__).resolve().parents[2]
XS = "{http://www.w3.org/2001/XMLSchema}"
CATALOG = ["juki.ResidentInquiry", "juki.ResidentChangeNotice", "juki.ResidentFullExtract",
           "kojinjuminzei.TaxationStatusInquiry", "kokuho.QualificationInquiry"]


def _pattern(name: str) -> str:
    xsd = etree.parse(str(ROOT / "schemas" / "platform" / "header-v1.xsd"))
    return xsd.find(f"{XS}simpleType[@name='{name}']/{XS}restriction/{XS}pattern").get("value")


# --- P-SVC-01, S-SVC-01 ----------------------------------------------------------------------

def test_the_patterns_are_the_schemas_and_the_catalog_is_the_suites():
    assert service_spellings.SERVICE_ID_PATTERN == _pattern("ServiceIdType")
    assert service_spellings.TOKEN_PATTERN == _pattern("TokenType")
    assert sorted(CATALOG) == sorted(WIRE_CATALOG.services)


@pytest.mark.parametrize("served", CATALOG)
def test_every_neighbour_of_a_service_id_is_sent(served):
    sent = {spelling: (cls, what) for cls, what, spelling in
            service_spellings.service_id_neighbours(served, CATALOG)}
    assert served not in sent
    letters = [i for i, c in enumerate(served) if c.isalpha()]
    swaps = {served[:i] + served[i].swapcase() + served[i + 1:] for i in (
        letters[0], letters[-1], *(m.end() for m in re.finditer(r"\.", served)))}
    assert swaps | {served.lower(), served.upper()} <= set(sent)
    unit, _, rest = served.partition(".")
    others = {s.partition(".")[0] for s in CATALOG} - {unit}
    assert {f"{u}.{rest}" for u in others} <= set(sent)
    assert {s for s in CATALOG if s.startswith(unit + ".") and s != served} <= set(sent)
    assert {"X" + served, served + "X", served[1:], served[:-1]} <= set(sent)
    # a full-width letter and a homoglyph: the pattern refuses them (an XSD error)
    odd = [s for s in sent if any(ord(c) > 0x7F for c in s)]
    assert any("\uff41" <= c <= "\uff5a" for s in odd for c in s)
    assert any("\u0400" <= c <= "\u04ff" for s in odd for c in s)
    for spelling in sent:
        codes, rules = service_spellings.expected("service_id", spelling, CATALOG)
        valid = re.fullmatch(_pattern("ServiceIdType"), spelling, re.ASCII) is not None
        assert (codes, rules) == (
            (["PF-PROVIDER-MISROUTED"], ["service:endpoint"]) if spelling in CATALOG else
            (["PF-PROVIDER-MISROUTED", "PF-SERVICE-UNKNOWN"], ["service:endpoint",
                                                                "service:known"]) if valid
            else (["PF-HEADER-INVALID"], [])), spelling
    assert {c for c, _ in sent.values()} == {"case", "unit", "ends", "schema"} | (
        {"service"} if unit == "juki" else set())


def test_every_version_neighbour_is_sent_and_readmes_forms_are_judged_with_the_rule():
    sent = {s for _, _, s in service_spellings.version_neighbours("1")}
    assert {"11", "1a", "v1", "1-", "", "１", "1 "} == sent
    assert service_spellings.expected("service_version", "v1", CATALOG) == (
        ["PF-PROVIDER-MISROUTED"], ["service:version"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"refuses `1\.0`, `01`, `1e0` or `V1`", readme)
    assert listed  # README's forms: P-ADDR-07 and S-ADDR-03 send them, naming the rule
    suite = Suite.load()
    for case_id in ("P-ADDR-07", "S-ADDR-03"):
        forms = {s.options["header"]["service_version"] for s in suite.cases[case_id].steps
                 if s.kind == "send"}
        assert {"1.0", "01", "1e0", "V1"} <= forms
        assert all(s.options["fault"].get("rule_in") == ["service:version"]
                   for s in suite.cases[case_id].steps if s.kind == "expect")


# --- S-MULTI-04 ------------------------------------------------------------------------------

def test_every_order_and_every_place_is_sent_together_and_interleaved():
    n1, n2, n3 = multi_change_orders.SEQUENCES
    places = {n for _, n in multi_change_orders.PLACES}
    assert {min(places), max(places)} == {n1 - 5, n3 + 5}
    assert {n1, n2, n3} <= places and any(n1 < p < n2 for p in places) and \
        any(n2 < p < n3 for p in places)
    together, interleaved = multi_change_orders.multi_order_points()
    for point in (together, interleaved):
        first, later = point.steps
        orders = {}
        for c in first.changes:
            orders.setdefault(c.who, []).append(int(c.sequence))
        assert sorted(map(tuple, orders.values())) == sorted(
            o for o in multi_change_orders.ORDERS for _ in places)  # all 6 orders × 7 places
        pairs = {(tuple(orders[c.who]), int(c.sequence)) for c in later.changes}
        assert len(pairs) == point.residents == 42  # each order met every place
    assert [c.who for c in together.steps[0].changes[:3]] == [0, 0, 0]
    assert [c.who for c in interleaved.steps[0].changes[:3]] == [0, 1, 2]


# --- S-OPT-01 --------------------------------------------------------------------------------

def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ROOT / "schemas" / "units" / "juki" / "juki-v1.xsd")))


def test_the_walk_finds_every_optional_element_of_the_notice():
    """Independently of the walk: every minOccurs=0 element of a complex type of the two
    schemas that the notice reaches (its juki and cmn types, the 照会's HouseholdType not)."""
    walked = {w.name: w for w in optional_elements.walk()}
    assert set(walked) == {"juki:ChangeType", "cmn:ChangeEventType", "cmn:ResidentType",
                           "cmn:NameType", "cmn:KanaNameType", "cmn:AddressType"}
    common = etree.parse(str(ROOT / "schemas" / "platform" / "common-v1.xsd"))
    for name, w in walked.items():
        if not name.startswith("cmn:"):
            continue
        ct = common.find(f"{XS}complexType[@name='{name[4:]}']")
        assert list(w.optional) == [f"cmn:{e.get('name')}" for e in ct.iter(f"{XS}element")
                                    if e.get("minOccurs") == "0"]
    assert sum(len(w.optional) for w in walked.values()) == 15
    assert walked["cmn:NameType"].places == ("juki:Resident/cmn:Name",
                                             "juki:Resident/cmn:FormerSurname")


def test_every_optional_element_is_sent_absent_alone_and_present_alone():
    schema = _schema()
    ns = {"juki": "urn:pfbus:unit:juki:v1", "cmn": "urn:pfbus:platform:common:v1"}
    seen: set[tuple[str, str, bool]] = set()
    for point in optional_elements.optional_points():
        [send] = point.steps
        body = notice_body([(c, f"{10 + c.who:010d}", "0000050018", f"名{c.who}")
                            for c in send.changes])
        doc = etree.fromstring(body)
        assert schema.validate(doc), schema.error_log
        for w in optional_elements.walk():
            first = w.places[0]
            for change in doc.findall("juki:Change", ns):
                places = change.xpath(first, namespaces=ns) if first != "." else [change]
                if not places:  # the type's element itself left out (another member)
                    continue
                place = places[0]
                has = {o for o in w.optional if place.find(o, ns) is not None}
                for o in w.optional:
                    if has == set(w.optional) - {o}:
                        seen.add((w.name, o, False))
                    if has == {o}:
                        seen.add((w.name, o, True))
    want = {(w.name, o, alone) for w in optional_elements.walk() for o in w.optional
            for alone in (False, True)}
    assert len(want) == 30 and want <= seen
    # the examples the documents' readers ask about
    assert ("cmn:AddressType", "cmn:Katagaki", True) in seen  # Katagaki, no Banchi
    assert ("cmn:AddressType", "cmn:PostalCode", False) in seen
    assert ("cmn:NameType", "cmn:Kana", False) in seen


# --- the faulty adapters ---------------------------------------------------------------------

def test_every_new_case_is_a_target():
    suite = Suite.load()
    new = {c for c in suite.cases if c.split("-")[1] in ("SVC", "OPT") or c == "S-MULTI-04"}
    assert new == {"P-SVC-01", "S-SVC-01", "S-MULTI-04", "S-OPT-01"}
    assert new <= targeted_cases(ROUND25_NAMES, ROUND25_MODES)


ROUND25_RUNS = faulty_runs(ROUND25_NAMES)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", ROUND25_RUNS)
def test_faulty_adapter_fails_exactly_its_round25_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND25_MODES))
def test_faulty_subscriber_fails_exactly_its_round25_targets(refs, suite, mode, profile):
    subscriber = Round25Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND25_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
