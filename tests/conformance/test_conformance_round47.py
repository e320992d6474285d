"""Round 47: the forty-seventh blind batch's classes — a check digit broken in every request
shape (P-FAULT-16: an inquiry with a 基準日 went down a path without the key checks)."""

from __future__ import annotations

import pytest
from lxml import etree

from bus.core.catalog import Catalog
from bus.core.identifiers import DEFAULT_ADDRESSEE_SCHEME, is_valid_individual_number
from conformance import broken_shapes, request_shapes
from schemas import BUILTIN_CATALOG
from conformance.envelopes import substitute

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round47 import ROUND47_NAMES

VALUES = {"fresh_addressee": "1000000006", "request_id": "r-1", "as_of": "2024-04-01"}


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load([BUILTIN_CATALOG])


@pytest.mark.parametrize("body", ["000001001", "123456789", "999999999", "000000000"])
def test_a_broken_check_digit_is_never_valid_again(body):
    number = body + str(DEFAULT_ADDRESSEE_SCHEME.check_digit(body))
    assert DEFAULT_ADDRESSEE_SCHEME.problem(number) is None
    assert DEFAULT_ADDRESSEE_SCHEME.problem(broken_shapes.broken(number)) is not None
    assert is_valid_individual_number("345678901234")
    assert not is_valid_individual_number(broken_shapes.broken("345678901234"))


def test_every_inquiry_shape_is_broken_the_dated_ones_too(suite, catalog):
    values = {**suite.profiles["juki.provider"].params, **VALUES}
    shapes = request_shapes.distinct_shapes(suite, catalog, "juki.ResidentInquiry",
                                            "resident_inquiry.found", values)
    bodies = [substitute(suite.messages[name].body, values, xml=True) for name in shapes]
    held = [{etree.QName(el).localname for el in etree.fromstring(b.encode()).iter()
             if isinstance(el.tag, str)} for b in bodies]
    # both keys, each with and without a 基準日
    assert {("AddresseeNumber" in h, "IndividualNumber" in h, "AsOf" in h) for h in held} >= {
        (True, False, False), (True, False, True), (False, True, False), (False, True, True)}


def test_the_rule_plan_names_each_identifier_of_a_notice(suite, catalog):
    values = {**suite.profiles["kojinjuminzei.subscriber"].params, **VALUES,
              "notice_addressee": "1000000006"}
    body = substitute(suite.messages["change_notice.every_element"].body, values, xml=True)
    found = [(etree.QName(el).localname, rule) for el, rule in broken_shapes.rule_elements(
        etree.fromstring(body.encode()), catalog.plan.roots, broken_shapes.CHECKED)]
    assert found == [("AddresseeNumber", "addressee_number"),
                     ("IndividualNumber", "individual_number")]


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND47_NAMES))
def test_faulty_adapter_fails_exactly_its_round47_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
