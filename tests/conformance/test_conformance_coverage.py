"""What the suite covers, checked against the catalog: a profile for every service, and every
choice branch and optional element of every request sent by some case (pure: no product runs)."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from bus.core.service_pattern import ServicePattern
from conformance.coverage import present_paths, uncovered, variable_paths
from conformance.runner import _catalog
from conformance.traceability import rewrite, table
from tests.integration.processes import REPO


@pytest.fixture(scope="module")
def catalog():
    return _catalog(())


def roles_without_a_profile(profiles, catalog) -> list[str]:
    """The (業務ユニット, role, service) the catalog implies that no level-1 profile certifies:
    the unit that provides a request-response service, each unit a notice names among its
    subscribers — and a notice that names no subscribing unit, which would leave its
    subscribers out unseen."""
    needed, missing = [], []
    for sid, spec in catalog.services.items():
        if spec.pattern == ServicePattern.NOTICE:
            if not spec.subscriber_units:
                missing.append(f"{sid}: the catalog names no subscribing unit (subscribers)")
            needed += [(unit, "subscriber", sid) for unit in spec.subscriber_units]
        else:
            needed.append((spec.unit, "provider", sid))
    for unit, role, sid in needed:
        if not any(p.level == 1 and p.unit == unit and p.role == role and sid in p.services
                   for p in profiles):
            missing.append(f"{sid}: no {role} profile of 業務ユニット {unit}")
    return missing


def test_every_unit_and_role_the_catalog_implies_has_a_level_1_profile(suite, catalog):
    """A (unit, role) of the catalog without a profile cannot be certified: fail until one
    exists. Checked per unit, not per service: a notice with a subscriber profile of one unit
    (個人住民税) left the other subscribing unit (国民健康保険) without one unseen."""
    assert roles_without_a_profile(suite.profiles.values(), catalog) == []


def test_a_subscribing_unit_without_its_profile_is_found(suite, catalog):
    without = [p for p in suite.profiles.values() if p.id != "kokuho.subscriber"]
    assert roles_without_a_profile(without, catalog) == [
        "juki.ResidentChangeNotice: no subscriber profile of 業務ユニット 11"]
    notice = catalog.service("juki.ResidentChangeNotice")
    silent = copy.copy(catalog)
    silent.services = {**catalog.services,
                       notice.id: dataclasses.replace(notice, subscriber_units=())}
    assert roles_without_a_profile(suite.profiles.values(), silent) == [
        "juki.ResidentChangeNotice: the catalog names no subscribing unit (subscribers)"]


def test_every_profile_unit_and_service_agree_with_the_catalog(suite, catalog):
    for p in suite.profiles.values():
        for sid in p.services:
            spec = catalog.service(sid)
            assert spec is not None, f"{p.id}: {sid} is not in the catalog"
            if p.role == "provider":
                assert spec.unit == p.unit, f"{p.id}: {sid} belongs to 業務ユニット {spec.unit}"
            if p.role == "subscriber":
                assert p.unit in spec.subscriber_units, (
                    f"{p.id}: 業務ユニット {p.unit} is not among {sid}'s subscribers")
                assert p.params.get("sut_business_unit") == p.unit, p.id


@pytest.mark.parametrize("profile", ["juki.provider", "kojinjuminzei.provider", "kokuho.provider",
                                     "kojinjuminzei.subscriber", "kokuho.subscriber"])
def test_every_choice_branch_and_optional_element_is_sent(suite, catalog, profile):
    assert uncovered(suite, suite.profiles[profile], catalog) == {}


def test_the_schema_walk_finds_choice_branches_and_optional_elements(catalog):
    xsd = catalog.schema_files["urn:pfbus:unit:juki:v1"]
    assert variable_paths(xsd, "ResidentInquiryRequest") == {
        "AddresseeNumber", "IndividualNumber", "AsOf"}
    assert {"ExtractId", "AsOf", "RequestId"} == variable_paths(xsd, "ResidentFullExtractRequest")
    notice = variable_paths(xsd, "ResidentChangeNotice")
    assert {"Change/Resident/FormerSurname/Kana/Given", "Change/Event/NotifiedOn"} <= notice
    assert "Change/Sequence" not in notice  # required


def test_a_message_without_the_other_key_leaves_it_uncovered():
    body = ('<juki:ResidentInquiryRequest xmlns:juki="urn:pfbus:unit:juki:v1">'
            '<juki:AddresseeNumber>${found_addressee}</juki:AddresseeNumber>'
            '</juki:ResidentInquiryRequest>')
    assert present_paths(body) == {"AddresseeNumber"}


def test_docs_list_every_requirement_with_the_cases_that_check_it(suite):
    """docs/conformance.md carries the traceability table generated from the case data; a new
    requirement or case that is not in the document fails here (regenerate with
    ``python -m conformance.traceability``)."""
    doc = (REPO / "docs" / "conformance.md").read_text(encoding="utf-8")
    assert rewrite(doc, suite) == doc  # one table, marks once each, up to date
    assert "**no case**" not in table(suite)
