"""What the suite covers, checked against the catalog: a profile for every service, and every
choice branch and optional element of every request sent by some case (pure: no product runs)."""

from __future__ import annotations

import pytest

from conformance.coverage import present_paths, uncovered, variable_paths
from conformance.model import Suite
from conformance.runner import _catalog
from conformance.traceability import table
from tests.integration.processes import REPO


@pytest.fixture(scope="module")
def suite():
    return Suite.load()


@pytest.fixture(scope="module")
def catalog():
    return _catalog(())


def test_every_catalog_service_has_a_level_1_profile_of_its_role(suite, catalog):
    """A service of the catalog without a profile cannot be certified: fail until one exists
    (a request-response service needs a provider profile, a notice a subscriber profile)."""
    missing = []
    for sid, spec in catalog.services.items():
        role = "subscriber" if spec.pattern == "notice" else "provider"
        if not any(p.level == 1 and p.role == role and sid in p.services
                   for p in suite.profiles.values()):
            missing.append(f"{sid} ({role})")
    assert missing == []


def test_every_profile_unit_and_service_agree_with_the_catalog(suite, catalog):
    for p in suite.profiles.values():
        for sid in p.services:
            spec = catalog.service(sid)
            assert spec is not None, f"{p.id}: {sid} is not in the catalog"
            if p.role == "provider":
                assert spec.unit == p.unit, f"{p.id}: {sid} belongs to 業務ユニット {spec.unit}"


@pytest.mark.parametrize("profile", ["juki.provider", "kojinjuminzei.provider", "kokuho.provider",
                                     "kojinjuminzei.subscriber"])
def test_every_choice_branch_and_optional_element_is_sent(suite, catalog, profile):
    assert uncovered(suite, suite.profiles[profile], catalog) == {}


def test_the_schema_walk_finds_choice_branches_and_optional_elements(catalog):
    xsd = catalog.schema_files["urn:pfbus:unit:juki:v1"]
    assert variable_paths(xsd, "ResidentInquiryRequest") == {
        "AddresseeNumber", "IndividualNumber", "AsOf"}
    assert {"ExtractId", "AsOf"} == variable_paths(xsd, "ResidentFullExtractRequest")
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
    ``python -c "from conformance.traceability import table; …"``)."""
    doc = (REPO / "docs" / "conformance.md").read_text(encoding="utf-8")
    assert table(suite) in doc
    assert "**no case**" not in table(suite)
