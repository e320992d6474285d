"""Vendor A and vendor B service handlers over their seeded native stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from adapters.sdk.seed import individual_number, with_m11_check
from adapters.vendor_a_registry import service as registry
from adapters.vendor_a_registry.store import SEED_RESIDENTS, RegistryStore
from adapters.vendor_a_registry.store import seed as seed_a
from adapters.vendor_b_tax import service as tax
from adapters.vendor_b_tax.store import SEED_TAXATION, TaxStore
from adapters.vendor_b_tax.store import seed as seed_b
from bus.core.header import Party, PlatformHeader

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
CMN = "urn:pfbus:platform:common:v1"
JUKI = "urn:pfbus:unit:juki:v1"
TAX = "urn:pfbus:unit:kojin-juminzei:v1"
SHOKO = with_m11_check(1001)  # 総務翔子's 宛名番号
HEADER = PlatformHeader.new(sender=Party("131016", "07", "tax-b"),
                            receiver=Party("131016", "01", "juki-a"),
                            service_id="juki.ResidentInquiry", user_id="zeimu-0042")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="{JUKI}"
                 schemaLocation="{(SCHEMAS / 'units/juki/juki-v1.xsd').as_uri()}"/>
      <xs:import namespace="{TAX}"
        schemaLocation="{(SCHEMAS / 'units/kojin_juminzei/kojin-juminzei-v1.xsd').as_uri()}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.XML(wrapper))


@pytest.fixture
def registry_store() -> RegistryStore:
    store = RegistryStore.open()
    seed_a(store)
    yield store
    store.close()


@pytest.fixture
def tax_store() -> TaxStore:
    store = TaxStore.open()
    seed_b(store)
    yield store
    store.close()


def xml(ns: str, root: str, **children: object) -> etree._Element:
    el = etree.Element(f"{{{ns}}}{root}")
    for name, value in children.items():
        etree.SubElement(el, f"{{{ns}}}{name}").text = str(value)
    return el


def inquiry(**children: object) -> etree._Element:
    return xml(JUKI, "ResidentInquiryRequest", **children)


def extract(**children: object) -> etree._Element:
    return xml(JUKI, "ResidentFullExtractRequest", **children)


def numbers(response: etree._Element) -> list[str]:
    residents = response.findall(f"{{{JUKI}}}Resident")
    return [r.findtext(f"{{{CMN}}}AddresseeNumber") for r in residents]


def test_seed_identifiers_are_valid_for_the_hub():
    from bus.core import identifiers

    scheme = identifiers.DEFAULT_ADDRESSEE_SCHEME  # M11W2-7, remainder 0 → 0
    for row in SEED_RESIDENTS:
        assert scheme.problem(row["宛名番号"]) is None and scheme.problem(row["世帯番号"]) is None
        assert identifiers.is_valid_individual_number(row["個人番号"])
    for row in SEED_TAXATION:
        assert row["宛名番号"] in {r["宛名番号"] for r in SEED_RESIDENTS}
    assert len({r["個人番号"] for r in SEED_RESIDENTS}) == len(SEED_RESIDENTS)
    assert identifiers.is_valid_local_gov_code(RegistryStore.open().local_gov_code)


def test_inquiry_by_addressee_number_returns_resident_and_household(registry_store, schema):
    response = registry.resident_inquiry(registry_store, HEADER, inquiry(AddresseeNumber=SHOKO))
    schema.assertValid(response)
    assert response.findtext(f"{{{JUKI}}}Status") == "found"
    assert numbers(response) == [SHOKO]
    members = response.findall(f"{{{JUKI}}}Household/{{{CMN}}}Member")
    assert [m.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text") for m in members] == \
        ["総務翔子", "総務大輔", "総務陽翔"]  # 世帯主 first, then by 宛名番号
    log = registry_store.access_log()
    assert [(e["メッセージID"], e["操作者ID"], e["宛名番号"]) for e in log] == \
        [(HEADER.message_id, "zeimu-0042", SHOKO)]
    assert log[0]["照会元"] == "131016/07/tax-b"


def test_inquiry_by_individual_number(registry_store, schema):
    response = registry.resident_inquiry(registry_store, HEADER,
                                         inquiry(IndividualNumber="123456789018"))
    schema.assertValid(response)
    assert numbers(response) == [SHOKO]


@pytest.mark.parametrize("request_children", [
    {"AddresseeNumber": with_m11_check(1010)},  # valid number, nobody has it
    {"IndividualNumber": individual_number("99999999989")},  # (…99999996 is held: the largest)
    {"AddresseeNumber": SHOKO, "AsOf": "2015-03-31"},  # she became a resident on 2015-04-01
])
def test_inquiry_not_found(registry_store, schema, request_children):
    response = registry.resident_inquiry(registry_store, HEADER, inquiry(**request_children))
    schema.assertValid(response)
    assert response.findtext(f"{{{JUKI}}}Status") == "not-found"
    assert len(response) == 1
    assert len(registry_store.access_log()) == 1  # misses are logged too


def test_inquiry_as_of_after_becoming_resident_finds(registry_store):
    response = registry.resident_inquiry(registry_store, HEADER,
                                         inquiry(AddresseeNumber=SHOKO, AsOf="2015-04-01"))
    assert response.findtext(f"{{{JUKI}}}Status") == "found"


def _members_on(store: RegistryStore, number: str, as_of: str) -> list[tuple[str, str]]:
    response = registry.resident_inquiry(store, None, inquiry(AddresseeNumber=number, AsOf=as_of))
    household = response.find(f"{{{JUKI}}}Household")
    assert household.findtext(f"{{{CMN}}}HouseholdNumber") == \
        response.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}HouseholdNumber")
    return [(m.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text"), m.findtext(f"{{{CMN}}}HouseholdNumber"))
            for m in household.findall(f"{{{CMN}}}Member")]


@pytest.mark.parametrize("as_of,names", [
    ("2018-05-31", ["総務翔子"]),  # 総務大輔 moved in on 2018-06-01, 総務陽翔 born 2021-06-15
    ("2018-06-01", ["総務翔子", "総務大輔"]),
    ("2021-06-15", ["総務翔子", "総務大輔", "総務陽翔"]),
])
def test_the_household_is_answered_as_of_the_base_date(registry_store, schema, as_of, names):
    """juki-v1.xsd: 基準日 is "the state as of this date" — the household too, not today's."""
    assert [n for n, _ in _members_on(registry_store, SHOKO, as_of)] == names


def test_a_member_who_left_the_household_since_the_base_date_is_still_in_it(registry_store):
    """A 世帯分離 (C02) on 2024-07-01: as of the day before, 総務大輔 is in 総務翔子's household
    (異動履歴 keeps each 異動's 世帯番号), and his own inquiry answers that household. The seed's
    history as the migration export writes it: a record without one answers its current state
    before its first recorded 異動 (RegistryStore.as_of)."""
    from adapters.vendor_a_registry.migration import seed_history

    seed_history(registry_store)
    daisuke, own = with_m11_check(1002), with_m11_check(5099)
    row = {**registry_store.resident_by_addressee_number(daisuke), "世帯番号": own, "続柄": "世帯主"}
    registry_store.record_change(row, "C02", "2024-07-01", household={
        "世帯番号": own, "世帯主宛名番号": daisuke, "世帯主氏名": row["氏名3"]})
    shared = registry_store.resident_by_addressee_number(SHOKO)["世帯番号"]
    before = [("総務翔子", shared), ("総務大輔", shared), ("総務陽翔", shared)]
    assert _members_on(registry_store, SHOKO, "2024-06-30") == before
    assert _members_on(registry_store, daisuke, "2024-06-30") == before
    assert _members_on(registry_store, SHOKO, "2024-07-01") == before[::2]
    assert _members_on(registry_store, daisuke, "2024-07-01") == [("総務大輔", own)]


def test_moved_out_resident_is_found_with_its_status(registry_store, schema):
    yoshida = with_m11_check(1007)
    response = registry.resident_inquiry(registry_store, None, inquiry(AddresseeNumber=yoshida))
    schema.assertValid(response)
    assert response.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}ResidentStatus") == "2"  # 転出者


def test_full_extract_pages_cover_everyone_once_in_stable_order(registry_store, schema):
    first = registry.full_extract(registry_store, HEADER, extract(Page=1, PageSize=3))
    schema.assertValid(first)
    extract_id = first.findtext(f"{{{JUKI}}}ExtractId")
    total_pages = -(-len(SEED_RESIDENTS) // 3)
    assert (first.findtext(f"{{{JUKI}}}TotalPages"), first.findtext(f"{{{JUKI}}}TotalCount")) == \
        (str(total_pages), str(len(SEED_RESIDENTS)))
    pages = [first] + [registry.full_extract(registry_store, HEADER,
                                             extract(ExtractId=extract_id, Page=p, PageSize=3))
                       for p in range(2, total_pages + 1)]
    for p in pages:
        schema.assertValid(p)
        assert p.findtext(f"{{{JUKI}}}ExtractId") == extract_id
    seen = [n for p in pages for n in numbers(p)]
    assert [len(numbers(p)) for p in pages] == \
        [3] * (total_pages - 1) + [len(SEED_RESIDENTS) - 3 * (total_pages - 1)]
    assert seen == sorted(r["宛名番号"] for r in SEED_RESIDENTS)
    past_end = registry.full_extract(registry_store, HEADER,
                                     extract(ExtractId=extract_id, Page=total_pages + 1, PageSize=3))
    schema.assertValid(past_end)
    assert numbers(past_end) == [] and past_end.findtext(f"{{{JUKI}}}TotalCount") == \
        str(len(SEED_RESIDENTS))


def test_full_extract_pages_read_one_snapshot(registry_store):
    first = registry.full_extract(registry_store, HEADER, extract(Page=1, PageSize=4))
    extract_id = first.findtext(f"{{{JUKI}}}ExtractId")
    # the registry changes between pages: a newcomer arrives, a member is renamed
    newcomer = {**SEED_RESIDENTS[0], "宛名番号": with_m11_check(1011), "個人番号": None,
                "住民票コード": None, "氏名3": "総務新"}
    registry_store.upsert_resident(newcomer)
    registry_store.upsert_resident({**SEED_RESIDENTS[6], "氏名3": "改名"})
    second = registry.full_extract(registry_store, HEADER,
                                   extract(ExtractId=extract_id, Page=2, PageSize=4))
    assert second.findtext(f"{{{JUKI}}}TotalCount") == str(len(SEED_RESIDENTS))
    assert with_m11_check(1011) not in numbers(second)
    assert "改名" not in etree.tostring(second, encoding=str)
    fresh = registry.full_extract(registry_store, HEADER, extract(Page=1, PageSize=4))
    assert fresh.findtext(f"{{{JUKI}}}ExtractId") != extract_id
    assert fresh.findtext(f"{{{JUKI}}}TotalCount") == str(len(SEED_RESIDENTS) + 1)


def test_full_extract_as_of_excludes_later_residents(registry_store):
    response = registry.full_extract(registry_store, HEADER,
                                     extract(Page=1, PageSize=100, AsOf="2010-01-01"))
    assert numbers(response) == [with_m11_check(n) for n in (1004, 1005, 1007)]


def test_full_extract_unknown_id_and_bad_requests(registry_store):
    with pytest.raises(registry.UnknownExtract):
        registry.full_extract(registry_store, HEADER,
                              extract(ExtractId="nope", Page=1, PageSize=10))
    with pytest.raises(ValueError):
        registry.full_extract(registry_store, HEADER, extract(Page=1, PageSize=1001))
    with pytest.raises(ValueError, match="ResidentInquiryRequest"):
        registry.resident_inquiry(registry_store, HEADER, extract(Page=1, PageSize=1))


def test_handlers_are_bound_per_service_id(registry_store, tax_store):
    bound = registry.handlers(registry_store)
    assert tuple(bound) == registry.service_ids() == ("juki.ResidentInquiry",
                                                      "juki.ResidentFullExtract")
    response = bound["juki.ResidentInquiry"](HEADER, inquiry(AddresseeNumber=SHOKO))
    assert response.findtext(f"{{{JUKI}}}Status") == "found"
    assert tuple(tax.handlers(tax_store)) == tax.service_ids() == \
        ("kojinjuminzei.TaxationStatusInquiry",)


def ask_registry(registry_store, number: str) -> etree._Element:
    """What the tax system receives: the registry's response, serialised and parsed again."""
    response = registry.resident_inquiry(registry_store, HEADER, inquiry(AddresseeNumber=number))
    return etree.fromstring(etree.tostring(response, encoding="UTF-8"))


def test_tax_system_stores_the_seed_example_in_its_own_layout(registry_store, tax_store):
    assert tax.store_resident_from_inquiry(tax_store, ask_registry(registry_store, SHOKO)) == SHOKO
    row = tax_store.addressee(SHOKO)
    assert (row["名前1"], row["名前2"], row["名前(漢字)"], row["町名"], row["丁"]) == \
        ("ソウム", "ショウコ", "総務翔子", "霞が関", "二")
    assert (row["世帯主名"], row["生年月日"], row["個人番号"]) == \
        ("総務翔子", 19900401, "123456789018")
    assert row["取得日時"]


def test_tax_system_upserts_on_a_later_inquiry(registry_store, tax_store):
    tax.store_resident_from_inquiry(tax_store, ask_registry(registry_store, SHOKO))
    moved = {**registry_store.resident_by_addressee_number(SHOKO), "住所2": "3", "番地": "4番"}
    registry_store.upsert_resident(moved)  # 転居 to 霞が関3丁目
    tax.store_resident_from_inquiry(tax_store, ask_registry(registry_store, SHOKO))
    assert [(r["丁"], r["番地"]) for r in tax_store.addressees()] == [("三", "4番")]


def test_tax_system_keeps_names_byte_identical(registry_store, tax_store):
    name = "葛\U000E0100飾𠮷髙"
    takahashi = with_m11_check(1005)
    registry_store.upsert_resident({**registry_store.resident_by_addressee_number(takahashi),
                                    "氏名3": name})
    tax.store_resident_from_inquiry(tax_store, ask_registry(registry_store, takahashi))
    stored = tax_store.addressee(takahashi)["名前(漢字)"]
    assert stored.encode("utf-8") == name.encode("utf-8")
    assert tax_store.addressee(takahashi)["世帯主名"] == "髙橋健一"


def test_not_found_inquiry_stores_nothing(registry_store, tax_store):
    assert tax.store_resident_from_inquiry(
        tax_store, ask_registry(registry_store, with_m11_check(1010))) is None
    assert tax_store.addressees() == []


@pytest.mark.parametrize("year, category, income, per_capita", [
    (2024, "1", "186000", "3000"), (2023, "1", "171000", "3500")])
def test_taxation_status_inquiry_found(tax_store, schema, year, category, income, per_capita):
    response = tax.taxation_status_inquiry(
        tax_store, HEADER, xml(TAX, "TaxationStatusInquiryRequest", AddresseeNumber=SHOKO,
                               FiscalYear=year))
    schema.assertValid(response)

    def t(name):
        return response.findtext(f"{{{TAX}}}Taxation/{{{TAX}}}{name}")

    assert (t("AddresseeNumber"), t("FiscalYear"), t("Category"), t("MunicipalIncomeLevy"),
            t("MunicipalPerCapitaLevy")) == (SHOKO, str(year), category, income, per_capita)


@pytest.mark.parametrize("number, year", [(SHOKO, "2020"), (with_m11_check(1003), "2024")])
def test_taxation_status_inquiry_not_found(tax_store, schema, number, year):
    response = tax.taxation_status_inquiry(
        tax_store, HEADER, xml(TAX, "TaxationStatusInquiryRequest", AddresseeNumber=number,
                               FiscalYear=year))
    schema.assertValid(response)
    assert response.findtext(f"{{{TAX}}}Status") == "not-found" and len(response) == 1
