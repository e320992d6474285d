"""Message validation (bus.core.validator): XSD first, then the rules beyond XSD.

Every finding must name its rule, a named element path and the line in the message as received.
"""

from __future__ import annotations

import shutil

import pytest

from bus.core.catalog import Catalog
from bus.core.envelope import parse_envelope
from bus.core.header import Party
from bus.core.identifiers import Modulus11Scheme
from bus.core.validator import MessageValidator
from messages import (ADDRESSEE_8, ADDRESSEE_10, ADDRESSEE_BAD, CHIYODA, INDIVIDUAL_NUMBER,
                      JUKI_NS, TAX_NS, YOKOHAMA, builtin_catalog, change_notice_body, element,
                      envelope, inquiry_body, inquiry_response_body, line_of, request_header,
                      resident_xml)
from schemas import BUILTIN_CATALOG

BODY = "/soap:Envelope/soap:Body"
INQUIRY = f"{BODY}/juki:ResidentInquiryRequest"
HEADER = "/soap:Envelope/soap:Header/pfh:PlatformHeader"
RESIDENT = f"{BODY}/juki:ResidentInquiryResponse/juki:Resident"


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    # 千代田区 numbers its 宛名番号 with 10 digits; everyone else: the default (M11, any length)
    return MessageValidator(builtin_catalog(), {CHIYODA: Modulus11Scheme(length=10)})


def check(validator, raw: bytes, owner: str = CHIYODA, expected_tag: str | None = None):
    """Findings of the header and the body of an envelope, as the hub computes them."""
    env = parse_envelope(raw)
    found = validator.validate(env.header) if env.header is not None else []
    return found + validator.validate(env.body, expected_tag, owner)


def only(findings):
    assert len(findings) == 1, findings
    return findings[0]


# --- valid messages ----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    inquiry_body(), inquiry_body(individual=INDIVIDUAL_NUMBER), inquiry_body(as_of="2026-04-01"),
    inquiry_response_body(), inquiry_response_body("not-found"), change_notice_body("B03"),
])
def test_valid_header_and_body_have_no_findings(validator, body):
    assert check(validator, envelope(body)) == []


def test_valid_header_element_alone(validator):
    assert validator.validate(request_header().to_element()) == []


# --- where: rule, named path, line -------------------------------------------------------------

def test_finding_names_rule_path_and_line_in_a_multiline_message(validator):
    raw = envelope(inquiry_body(ADDRESSEE_BAD))
    assert raw.count(b"\n") > 20  # the body is far below line 1
    f = only(check(validator, raw))
    assert f.rule == "addressee_number"
    assert f.path == f"{INQUIRY}/juki:AddresseeNumber"
    assert f.line == line_of(raw, "<juki:AddresseeNumber>")
    assert "check digit" in f.message


def test_paths_use_the_catalogs_prefixes_not_the_senders(validator):
    body = (f'<j:ResidentInquiryRequest xmlns:j="{JUKI_NS}"><j:AddresseeNumber>{ADDRESSEE_BAD}'
            f"</j:AddresseeNumber></j:ResidentInquiryRequest>")
    f = only(check(validator, envelope(body)))
    assert f.path == f"{INQUIRY}/juki:AddresseeNumber"


def test_paths_of_default_namespace_elements_get_the_catalogs_prefix(validator):
    body = (f'<ResidentInquiryRequest xmlns="{JUKI_NS}"><AddresseeNumber>{ADDRESSEE_BAD}'
            f"</AddresseeNumber></ResidentInquiryRequest>")
    assert only(check(validator, envelope(body))).path == f"{INQUIRY}/juki:AddresseeNumber"


def test_repeated_elements_are_indexed_in_paths(validator):
    body = inquiry_response_body(gender="3")
    paths = [f.path for f in check(validator, envelope(body))]
    assert paths == [f"{RESIDENT}/cmn:Gender",
                     f"{BODY}/juki:ResidentInquiryResponse/juki:Household/cmn:Member/cmn:Gender"]


# --- XSD findings ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, rule, where, text", [
    (inquiry_body("12a"), "xsd:pattern", "juki:AddresseeNumber", "12a"),
    (inquiry_body(as_of="2026-13-45"), "xsd:type", "juki:AsOf", "xs:date"),
    (inquiry_body(extra="<juki:Unexpected/>"), "xsd:content", "juki:Unexpected",
     "Expected is ( juki:AsOf )"),
    (f'<juki:ResidentInquiryRequest xmlns:juki="{JUKI_NS}"/>', "xsd:content", "",
     "juki:AddresseeNumber, juki:IndividualNumber"),
    (inquiry_body().replace("<juki:AddresseeNumber>", '<juki:AddresseeNumber kind="x">'),
     "xsd:attribute", "juki:AddresseeNumber", "'kind'"),
])
def test_xsd_errors_name_their_rule(validator, body, rule, where, text):
    raw = envelope(body)
    f = only(check(validator, raw))
    assert f.rule == rule
    assert f.path == (f"{INQUIRY}/{where}" if where else INQUIRY)
    assert f.line == line_of(raw, f"<{where or 'juki:ResidentInquiryRequest'}")
    assert text in f.message
    assert "{urn:" not in f.message  # namespaces are written as the catalog's prefixes


def test_enumeration_error(validator):
    raw = envelope(inquiry_response_body("maybe"))
    f = only(check(validator, raw))
    assert f.rule == "xsd:enumeration"
    assert f.path == f"{BODY}/juki:ResidentInquiryResponse/juki:Status"
    assert f.line == line_of(raw, "<juki:Status>")


def test_element_of_no_loaded_schema(validator):
    f = only(validator.validate(element('<x:Unknown xmlns:x="urn:nowhere"/>')))
    assert f.rule == "xsd:schema"
    assert f.path == "/x:Unknown"


def test_xsd_errors_come_first_and_alone(validator):
    # a pattern error and a 個人番号 check-digit error: the schema decides first
    body = inquiry_response_body(individual="123456789017").replace(
        "<cmn:Chome>2</cmn:Chome>", "<cmn:Chome>二</cmn:Chome>", 1)
    assert [f.rule for f in check(validator, envelope(body))] == ["xsd:type"]


def test_expected_element_of_the_service(validator):
    raw = envelope(inquiry_body())
    f = only(check(validator, raw, expected_tag=f"{{{JUKI_NS}}}ResidentInquiryResponse"))
    assert f.rule == "service:element"
    assert f.path == INQUIRY
    assert "juki:ResidentInquiryResponse" in f.message
    assert "juki:ResidentInquiryRequest" in f.message


def test_single_line_message_locates_the_right_element(validator):
    """Machines send messages on one line: the path must still name the element at fault."""
    bad_member = resident_xml("cmn:Member", addressee="12a")
    body = inquiry_response_body().replace(resident_xml("cmn:Member"), bad_member)
    raw = envelope(body).replace(b"\n", b"")
    f = only(check(validator, raw))
    assert f.rule == "xsd:pattern" and f.line == 1
    assert f.path == (f"{BODY}/juki:ResidentInquiryResponse/juki:Household/cmn:Member/"
                      f"cmn:AddresseeNumber")


def test_single_line_message_locates_the_nth_repeated_element(validator):
    residents = "".join(resident_xml(addressee="12a" if i == 3 else ADDRESSEE_10)
                        for i in range(1, 5))
    body = (f'<juki:ResidentFullExtractResponse xmlns:juki="{JUKI_NS}" '
            f'xmlns:cmn="urn:pfbus:platform:common:v1"><juki:ExtractId>x1</juki:ExtractId>'
            f"<juki:Page>1</juki:Page><juki:TotalPages>1</juki:TotalPages>"
            f"<juki:TotalCount>4</juki:TotalCount>{residents}</juki:ResidentFullExtractResponse>")
    f = only(validator.validate(element(body)))
    assert f.path == "/juki:ResidentFullExtractResponse/juki:Resident[3]/cmn:AddresseeNumber"


def test_single_line_default_namespace_message_locates_the_right_element(validator):
    body = (f'<ResidentInquiryResponse xmlns="{JUKI_NS}"><Status>found</Status>'
            f"<Status>again</Status></ResidentInquiryResponse>")
    f = only(validator.validate(element(body)))
    assert f.rule == "xsd:content"
    assert f.path == "/juki:ResidentInquiryResponse/juki:Status[2]"


# --- rules beyond XSD: check digits --------------------------------------------------------------

def test_local_gov_codes_of_sender_and_receiver(validator):
    header = request_header(sender=Party("131017", "07", "tax"),
                            receiver=Party("141004", "01", "juki"))
    raw = envelope(inquiry_body(), header)
    findings = check(validator, raw)
    assert [(f.rule, f.path) for f in findings] == [
        ("local_gov_code", f"{HEADER}/pfh:Sender/pfh:LocalGovCode"),
        ("local_gov_code", f"{HEADER}/pfh:Receiver/pfh:LocalGovCode")]
    assert [f.line for f in findings] == [line_of(raw, "<pfh:LocalGovCode>131017"),
                                          line_of(raw, "<pfh:LocalGovCode>141004")]


def test_individual_number_check_digit(validator):
    raw = envelope(inquiry_body(individual="123456789017"))
    f = only(check(validator, raw))
    assert (f.rule, f.path) == ("individual_number", f"{INQUIRY}/juki:IndividualNumber")
    assert f.line == line_of(raw, "<juki:IndividualNumber>")


def test_individual_number_in_a_resident(validator):
    findings = check(validator, envelope(inquiry_response_body(individual="123456789010")))
    assert [(f.rule, f.path) for f in findings] == [
        ("individual_number", f"{RESIDENT}/cmn:IndividualNumber"),
        ("individual_number",
         f"{BODY}/juki:ResidentInquiryResponse/juki:Household/cmn:Member/cmn:IndividualNumber")]


@pytest.mark.parametrize("number, owner, problem", [
    (ADDRESSEE_10, CHIYODA, None),
    (ADDRESSEE_10, YOKOHAMA, None),
    (ADDRESSEE_8, YOKOHAMA, None),  # default scheme: any length
    (ADDRESSEE_8, CHIYODA, "must be 10 digits long"),  # 千代田区: 10 digits
    (ADDRESSEE_BAD, CHIYODA, "check digit does not match"),
    (ADDRESSEE_BAD, YOKOHAMA, "check digit does not match"),
])
def test_addressee_number_uses_the_data_owners_scheme(validator, number, owner, problem):
    findings = check(validator, envelope(inquiry_body(number)), owner=owner)
    if problem is None:
        assert findings == []
    else:
        f = only(findings)
        assert f.rule == "addressee_number" and problem in f.message


def test_addressee_number_without_owner_uses_the_default_scheme(validator):
    assert validator.validate(element(inquiry_body(ADDRESSEE_8))) == []
    strict = MessageValidator(builtin_catalog(), {},
                              default_addressee_scheme=Modulus11Scheme(length=10))
    assert only(strict.validate(element(inquiry_body(ADDRESSEE_8)))).rule == "addressee_number"


# --- rules beyond XSD: code lists ----------------------------------------------------------------

@pytest.mark.parametrize("body, rule, path", [
    (inquiry_response_body(gender="3"), "codelist:gender", f"{RESIDENT}/cmn:Gender"),
    (inquiry_response_body(relationship="99"), "codelist:relationship",
     f"{RESIDENT}/cmn:Relationship"),
    (inquiry_response_body(resident_kind="9"), "codelist:resident_kind",
     f"{RESIDENT}/cmn:ResidentKind"),
    (inquiry_response_body(resident_status="9"), "codelist:resident_status",
     f"{RESIDENT}/cmn:ResidentStatus"),
    (change_notice_body("Z99"), "codelist:change_reason",
     f"{BODY}/juki:ResidentChangeNotice/juki:Change/juki:Event/cmn:Reason"),
])
def test_code_list_violations(validator, body, rule, path):
    raw = envelope(body)
    f = check(validator, raw)[0]
    assert (f.rule, f.path) == (rule, path)
    assert f.line == line_of(raw, "<" + path.rsplit("/", 1)[1])


def test_taxation_category_code_list(validator):
    body = (f'<tax:TaxationStatusInquiryResponse xmlns:tax="{TAX_NS}">'
            f"<tax:Status>found</tax:Status>"
            f"<tax:Taxation><tax:AddresseeNumber>{ADDRESSEE_10}</tax:AddresseeNumber>"
            f"<tax:FiscalYear>2026</tax:FiscalYear><tax:Category>%s</tax:Category></tax:Taxation>"
            f"</tax:TaxationStatusInquiryResponse>")
    assert validator.validate(element(body % "1")) == []
    f = only(validator.validate(element(body % "9")))
    assert f.rule == "codelist:taxation_category"
    assert f.path == "/tax:TaxationStatusInquiryResponse/tax:Taxation/tax:Category"


def test_business_unit_code_list_in_the_header(validator):
    raw = envelope(inquiry_body(), request_header(sender=Party(CHIYODA, "99", "x")))
    f = only(check(validator, raw))
    assert (f.rule, f.path) == ("codelist:business_unit", f"{HEADER}/pfh:Sender/pfh:BusinessUnit")


def test_replacing_a_code_list_file_changes_what_is_accepted(tmp_path, validator):
    shutil.copytree(BUILTIN_CATALOG.parent, tmp_path / "schemas")
    (tmp_path / "schemas" / "codelists" / "gender.csv").write_text(
        "code,label,group\n1,男,\n9,その他,\n", encoding="utf-8")
    replaced = MessageValidator(Catalog.load([tmp_path / "schemas" / "catalog.toml"]))

    def rules(v, gender):
        return [f.rule for f in v.validate(element(inquiry_response_body(gender=gender)),
                                           data_owner=CHIYODA)]

    assert rules(validator, "9") == ["codelist:gender"] * 2
    assert rules(replaced, "9") == []
    assert rules(validator, "2") == []
    assert rules(replaced, "2") == ["codelist:gender"] * 2


# --- the header's time -------------------------------------------------------------------------

@pytest.mark.parametrize("sent_at", ["2026-11-27T15:04:05Z", "2026-11-27T15:04:05",
                                     "2026-11-27T06:04:05+00:00", "2026-11-27T15:04:05+0900"])
def test_sent_at_must_be_jst(validator, sent_at):
    raw = envelope(inquiry_body(), request_header(sent_at=sent_at))
    f = only(check(validator, raw))
    assert f.rule in ("xsd:pattern", "xsd:type")
    assert f.path == f"{HEADER}/pfh:SentAt"
    assert f.line == line_of(raw, "<pfh:SentAt>")


def test_sent_at_in_jst_is_accepted(validator):
    raw = envelope(inquiry_body(), request_header(sent_at="2026-11-27T15:04:05.123+09:00"))
    assert check(validator, raw) == []
