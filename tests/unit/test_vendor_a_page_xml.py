"""Vendor A writes a 全件 page as one XML string (service.extract_page_xml, mapping.resident_xml)
instead of an lxml call per item: the page must be the one extract_page_element builds, byte for
byte once serialised — for the seed (外字, IVS, 消除者, no reading, 旧氏) and a synthetic town —
with 外字 mapped as the provider's outbound maps them, and the same MappingError for a bad row."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.sdk.characters import CharacterPolicy
from adapters.vendor_a_registry import GAIJI_TABLE
from adapters.vendor_a_registry.mapping import MappingError
from adapters.vendor_a_registry.migration import populate
from adapters.vendor_a_registry.service import (ExtractRequest, extract_page_element,
                                                extract_page_xml)
from adapters.vendor_a_registry.store import RegistryStore, seed


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    store = RegistryStore.open()
    seed(store)
    populate(store, 600)
    found = store.residents()
    store.close()
    return found


def page(rows, size=None):
    return ExtractRequest(1, size or max(len(rows), 1), "e1", None, None)


def test_the_page_is_the_one_built_element_by_element(rows):
    request = page(rows)
    built = etree.tostring(extract_page_element(request, "e1", len(rows), rows))
    assert etree.tostring(extract_page_xml(request, "e1", len(rows), rows)) == built
    assert etree.tostring(extract_page_xml(request, "e1", 0, [])) == \
        etree.tostring(extract_page_element(request, "e1", 0, []))


def test_gaiji_leave_as_the_providers_outbound_would_map_them(rows):
    policy = CharacterPolicy(GAIJI_TABLE)
    with_gaiji = [r for r in rows if any("\ue000" <= c <= "\uf8ff" for v in r.values()
                                              for c in str(v or ""))]
    assert with_gaiji  # the seed and the synthetic names carry vendor A's 外字
    request = page(rows)
    mapped = extract_page_xml(request, "e1", len(rows), rows, policy.gaiji)
    assert etree.tostring(mapped) == \
        etree.tostring(policy.outbound(extract_page_element(request, "e1", len(rows), rows)))
    assert policy.outbound(mapped) is mapped  # nothing left for the provider to change


@pytest.mark.parametrize("change", [
    {"方書": "A&B <棟> \r\n 2階"},  # markup characters and a carriage return in free text
    {"方書": "", "番地": None, "郵便番号": "1000013", "住所2": None, "旧氏3": "旧&姓"},
    {"氏名1": None, "氏名2": None},  # no reading
])
def test_free_text_and_absent_items_are_carried_the_same(rows, change):
    row = [{**rows[0], **change}]
    request = page(row)
    assert etree.tostring(extract_page_xml(request, "e1", 1, row)) == \
        etree.tostring(extract_page_element(request, "e1", 1, row))


@pytest.mark.parametrize("change", [
    {"生年月日": "H31.05.01"}, {"性別": "不明"}, {"郵便番号": "100-13"}, {"住所2": "0"},
    {"氏名1": None, "氏名2": "たろう"}, {"氏名1": "太郎"}, {"住民となった年月日": "2024-01-01"},
])
def test_a_row_the_standard_cannot_carry_fails_alike(rows, change):
    row = [{**rows[0], **change}]
    request = page(row)
    with pytest.raises(MappingError) as by_element:
        extract_page_element(request, "e1", 1, row)
    with pytest.raises(MappingError) as by_text:
        extract_page_xml(request, "e1", 1, row)
    assert str(by_text.value) == str(by_element.value)
