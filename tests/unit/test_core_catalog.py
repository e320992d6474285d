"""Schema catalogs (bus.core.catalog): the builtin one, errors naming file and key, and an
unrelated schema set validated with no code change (the catalog is the only thing that knows it).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bus.core import faults
from bus.core.catalog import Catalog, CatalogError
from bus.core.faults import HubFault
from bus.core.header import Party
from bus.core.inspection import Inspector
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from messages import (CHIYODA, JUKI_NS, TAX_SYSTEM, builtin_catalog, change_notice_body,
                      element, envelope, inquiry_body, line_of, request_header)
from schemas import BUILTIN_CATALOG

LIB_NS = "urn:example:library:v1"


def test_builtin_catalog_loads():
    catalog = builtin_catalog()
    declared = tomllib.loads(Path(BUILTIN_CATALOG).read_text("utf-8"))["services"]
    assert set(catalog.services) == {entry["id"] for entry in declared}
    inquiry = catalog.service("juki.ResidentInquiry")
    assert (inquiry.version, inquiry.unit, inquiry.pattern) == ("1", "01", "request-response")
    assert inquiry.request_tag == f"{{{JUKI_NS}}}ResidentInquiryRequest"
    assert inquiry.wsdl.is_file() and inquiry.catalog == "pfbus-builtin"
    assert catalog.service("juki.ResidentChangeNotice").pattern == "notice"
    assert catalog.service("juki.Nope") is None
    assert {"gender", "relationship", "change_reason", "business_unit"} <= set(catalog.codelists)
    assert "1" in catalog.codelists["gender"] and "3" not in catalog.codelists["gender"]
    assert catalog.codelists["change_reason"].groups["B03"] == "消除"
    assert catalog.prefixes[JUKI_NS] == "juki"
    assert catalog.source("pfbus-builtin").root == BUILTIN_CATALOG.parent


def test_a_change_sequence_has_at_most_18_digits():
    """異動連番's value domain (docs/notices.md): 1 … 10^18 − 1, what a 64-bit integer holds;
    one beyond is refused with the facet and the element's path, not left to the subscriber."""
    v = MessageValidator(builtin_catalog())

    def notice(sequence: str) -> str:
        return change_notice_body().replace("<juki:Sequence>1<", f"<juki:Sequence>{sequence}<")
    assert v.validate(element(notice("999999999999999999"))) == []
    [finding] = v.validate(element(notice("1000000000000000000")))
    assert "maxInclusive" in finding.rule and finding.path.endswith("juki:Sequence")


def test_no_catalog_is_an_error():
    with pytest.raises(CatalogError, match="no schema catalog"):
        Catalog.load([])


# --- an unrelated schema set ---------------------------------------------------------------------

LIBRARY_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:lib="urn:example:library:v1"
           targetNamespace="urn:example:library:v1" elementFormDefault="qualified">
  <!-- a library branch is identified by its municipality's 団体コード -->
  <xs:simpleType name="BranchCodeType">
    <xs:restriction base="xs:token"><xs:pattern value="[0-9]{6}"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="HomeBranchCodeType">
    <xs:restriction base="lib:BranchCodeType"/>
  </xs:simpleType>
  <xs:simpleType name="GenreCodeType">
    <xs:restriction base="xs:string"><xs:pattern value="[A-Z]{2}"/></xs:restriction>
  </xs:simpleType>
  <xs:element name="LoanInquiryRequest">
    <xs:complexType><xs:sequence>
      <xs:element name="Branch" type="lib:BranchCodeType"/>
      <xs:element name="Genre" type="lib:GenreCodeType" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="LoanInquiryResponse">
    <xs:complexType><xs:sequence>
      <xs:element name="HomeBranch" type="lib:HomeBranchCodeType"/>
      <xs:element name="Due" type="xs:date"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""

LIBRARY_CATALOG = """\
format = 1
name = "library"

[namespaces]
lib = "urn:example:library:v1"

[[schemas]]
namespace = "lib"
file = "library.xsd"

[codelists]
genre = "genre.csv"

[[rules]]
type = "lib:BranchCodeType"
rule = "local_gov_code"

[[rules]]
type = "lib:GenreCodeType"
rule = "codelist"
codelist = "genre"

[[services]]
id = "library.LoanInquiry"
version = "2"
unit = "25"
request = "lib:LoanInquiryRequest"
response = "lib:LoanInquiryResponse"
wsdl = "library.wsdl"
"""


def write_library(root: Path, catalog_text: str = LIBRARY_CATALOG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "library.xsd").write_text(LIBRARY_XSD, encoding="utf-8")
    (root / "genre.csv").write_text("code,label,group\nNV,小説,\nHI,歴史,\n", encoding="utf-8")
    (root / "library.wsdl").write_text("<definitions/>", encoding="utf-8")
    path = root / "catalog.toml"
    path.write_text(catalog_text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Catalog:
    return Catalog.load([BUILTIN_CATALOG, write_library(tmp_path_factory.mktemp("library"))])


def loan(branch="131016", genres=("NV",), prefix="lib") -> str:
    g = "".join(f"<{prefix}:Genre>{x}</{prefix}:Genre>" for x in genres)
    return (f'<{prefix}:LoanInquiryRequest xmlns:{prefix}="{LIB_NS}">\n'
            f"  <{prefix}:Branch>{branch}</{prefix}:Branch>\n  {g}\n</{prefix}:LoanInquiryRequest>")


def test_second_catalog_adds_its_service_and_prefix(library):
    service = library.service("library.LoanInquiry")
    assert service.catalog == "library" and service.unit == "25" and service.version == "2"
    assert service.request_tag == f"{{{LIB_NS}}}LoanInquiryRequest"
    assert library.prefixes[LIB_NS] == "lib"
    assert library.service("juki.ResidentInquiry").catalog == "pfbus-builtin"
    assert set(library.codelists["genre"].labels) == {"NV", "HI"}


def test_unrelated_documents_validate(library):
    v = MessageValidator(library)
    assert v.validate(element(loan())) == []
    assert v.validate(element(loan(genres=("NV", "HI")))) == []
    # the builtin schemas still work in the merged catalog
    assert v.validate(element(inquiry_body())) == []


def test_unrelated_documents_get_rule_findings(library):
    v = MessageValidator(library)
    raw = loan(branch="131017", genres=("NV", "ZZ")).encode()
    findings = v.validate(element(raw))
    assert [(f.rule, f.path) for f in findings] == [
        ("local_gov_code", "/lib:LoanInquiryRequest/lib:Branch"),
        ("codelist:genre", "/lib:LoanInquiryRequest/lib:Genre[2]")]
    assert findings[0].line == line_of(raw, "<lib:Branch>") == 2


def test_rules_bind_to_derived_types(library):
    v = MessageValidator(library)
    response = (f'<lib:LoanInquiryResponse xmlns:lib="{LIB_NS}"><lib:HomeBranch>%s</lib:HomeBranch>'
                f"<lib:Due>2026-12-01</lib:Due></lib:LoanInquiryResponse>")
    assert v.validate(element(response % "141003")) == []
    f = v.validate(element(response % "141004"))[0]
    assert (f.rule, f.path) == ("local_gov_code", "/lib:LoanInquiryResponse/lib:HomeBranch")


def test_unrelated_documents_get_xsd_findings_with_catalog_prefixes(library):
    v = MessageValidator(library)
    f = v.validate(element(loan(branch="13101", prefix="l")))[0]
    assert (f.rule, f.path, f.line) == ("xsd:pattern", "/lib:LoanInquiryRequest/lib:Branch", 2)
    f = v.validate(element(loan(genres=())))[0]
    assert f.rule == "xsd:content" and "lib:Genre" in f.message


def test_rules_judge_the_schema_value_not_the_whitespace_around_it(library):
    """xs:token collapses whitespace: the XSD accepts a padded code, so must the rule."""
    v = MessageValidator(library)
    assert v.validate(element(loan(branch="\n    131016\n  "))) == []
    assert v.validate(element(loan(branch=" 131017 ")))[0].rule == "local_gov_code"


def test_unrelated_service_is_inspected_and_routed_with_no_code_change(library):
    provider = Provider("library-system", "http://127.0.0.1:1/soap", 5.0)
    inspector = Inspector(library, MessageValidator(library),
                          ServiceRegistry([Route(CHIYODA, "library.LoanInquiry", provider, 5.0)]))
    header = request_header(receiver=Party(CHIYODA, "25", "library"), sender=TAX_SYSTEM,
                            service_id="library.LoanInquiry", service_version="2")
    accepted = inspector.inspect_request(envelope(loan(), header))
    assert accepted.service.id == "library.LoanInquiry" and accepted.route.provider is provider
    with pytest.raises(HubFault) as info:
        inspector.inspect_request(envelope(loan(genres=("ZZ",)), header))
    assert info.value.fault is faults.RULE_VIOLATION
    assert info.value.first.rule == "codelist:genre"


# --- errors name the file and the key ------------------------------------------------------------

def load_error(tmp_path: Path, catalog_text: str, extra: list[Path] = ()) -> str:
    path = write_library(tmp_path / "lib", catalog_text)
    with pytest.raises(CatalogError) as info:
        Catalog.load([*extra, path])
    message = str(info.value)
    assert str(path.resolve()) in message, message
    return message


def edit(old: str, new: str) -> str:
    assert old in LIBRARY_CATALOG
    return LIBRARY_CATALOG.replace(old, new)


@pytest.mark.parametrize("text, key, detail", [
    (edit("format = 1", "format = 2"), "format", "must be 1"),
    (edit('name = "library"', 'name = "my library"'), "name", "letters, digits"),
    (edit('type = "lib:BranchCodeType"', 'type = "zzz:BranchCodeType"'), "rules[0].type",
     "prefix 'zzz' is not declared"),
    (edit('type = "lib:BranchCodeType"', 'type = "BranchCodeType"'), "rules[0].type",
     "prefix:local"),
    (edit('request = "lib:LoanInquiryRequest"', 'request = "x:LoanInquiryRequest"'),
     "services[0].request", "prefix 'x'"),
    (edit('file = "library.xsd"', 'file = "missing.xsd"'), "schemas[0].file", "file not found"),
    (edit('wsdl = "library.wsdl"', 'wsdl = "missing.wsdl"'), "services[0].wsdl", "file not found"),
    (edit('genre = "genre.csv"', 'genre = "missing.csv"'), "codelists.genre", "file not found"),
    (edit('rule = "local_gov_code"', 'rule = "luhn"'), "rules[0].rule",
     'must be one of "local_gov_code", "individual_number"'),
    (edit('codelist = "genre"', 'codelist = "colour"'), "rules[1].codelist",
     "no code list named 'colour'"),
    (LIBRARY_CATALOG + LIBRARY_CATALOG[LIBRARY_CATALOG.index("[[services]]"):],
     "services[1].id", "already declared"),
    (edit('id = "library.LoanInquiry"', 'id = "LoanInquiry"'), "services[0].id", "service ID"),
    (edit('version = "2"', 'version = "2"\npattern = "fire-and-forget"'), "services[0].pattern",
     'must be one of "request-response", "notice"'),
    (edit("[[schemas]]", '[[schemas]]\nnamespace = "lib"\nfile = "genre.csv"\n\n[[schemas]]'),
     "schemas[1].namespace", "already comes from"),
])
def test_catalog_errors_name_file_and_key(tmp_path, text, key, detail):
    message = load_error(tmp_path, text)
    assert f": {key}: " in message, message
    assert detail in message, message


def test_bad_toml_names_the_file(tmp_path):
    assert "not valid TOML" in load_error(tmp_path, LIBRARY_CATALOG + "\n[[rules]\n")


def test_unreadable_catalog_names_the_file(tmp_path):
    missing = tmp_path / "nowhere" / "catalog.toml"
    with pytest.raises(CatalogError, match="cannot read catalog") as info:
        Catalog.load([missing])
    assert str(missing) in str(info.value)


def test_two_catalogs_of_one_name(tmp_path):
    message = load_error(tmp_path, edit('name = "library"', 'name = "pfbus-builtin"'),
                         extra=[BUILTIN_CATALOG])
    assert ": name: " in message and "already named 'pfbus-builtin'" in message


@pytest.mark.parametrize("csv, detail", [
    ("code,label,group\n", "is empty"),
    ("code,label,group\nNV,小説,\nNV,重複,\n", "repeats code 'NV'"),
    ("code,label,group\n,名無し,\n", "row without a code"),
])
def test_bad_code_list_names_catalog_key_and_csv_line(tmp_path, csv, detail):
    path = write_library(tmp_path / "lib")
    (tmp_path / "lib" / "genre.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        Catalog.load([path])
    message = str(info.value)
    assert str(path.resolve()) in message and ": codelists.genre: " in message
    assert detail in message


@pytest.mark.parametrize("xsd, line", [
    (LIBRARY_XSD.replace('base="lib:BranchCodeType"', 'base="lib:NoSuchType"'), 8),
    ("<xs:schema", 1),
])
def test_schema_that_does_not_compile_names_the_xsd_and_line(tmp_path, xsd, line):
    path = write_library(tmp_path / "lib")
    xsd_file = tmp_path / "lib" / "library.xsd"
    xsd_file.write_text(xsd, encoding="utf-8")
    with pytest.raises(CatalogError, match="do not compile") as info:
        Catalog.load([path])
    assert f"{xsd_file.resolve().as_uri()}:{line}: " in str(info.value)


def test_a_notice_names_its_subscribing_units_and_only_a_notice_may(tmp_path):
    builtin = Catalog.load([BUILTIN_CATALOG])
    assert builtin.service("juki.ResidentChangeNotice").subscriber_units == ("07", "11")
    assert builtin.service("juki.ResidentInquiry").subscriber_units == ()
    message = load_error(tmp_path, edit('wsdl = "library.wsdl"',
                                        'wsdl = "library.wsdl"\nsubscribers = ["07"]'))
    assert "services[0].subscribers" in message and "only notices have subscribers" in message
