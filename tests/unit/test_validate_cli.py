"""``pfbus validate FILE``: the hub's validation offline; exit 0 valid, 1 findings, 2 usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bus.cli.main import main
from messages import (ADDRESSEE_8, SOAP12_NS, envelope, inquiry_body, inquiry_response_body,
                      request_header)

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "examples" / "hub.toml"
VALID = DATA / "resident_inquiry_valid.xml"
BAD_CHECK_DIGIT = DATA / "resident_inquiry_bad_check_digit.xml"
BARE = DATA / "resident_inquiry_bare.xml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", [VALID, BARE])
def test_valid_files_exit_0(capsys, path):
    code, out, _ = run(capsys, path)
    assert code == 0
    assert out == f"{path}: valid\n"


def test_findings_exit_1_and_name_rule_path_and_line(capsys):
    code, out, _ = run(capsys, BAD_CHECK_DIGIT)
    assert code == 1
    first, finding = out.splitlines()
    assert first == f"{BAD_CHECK_DIGIT}: INVALID (PF-RULE-VIOLATION), 1 finding(s)"
    assert finding.startswith(
        f"  {BAD_CHECK_DIGIT}:28: /soap:Envelope/soap:Body/juki:ResidentInquiryRequest/"
        f"juki:AddresseeNumber: [addressee_number] ")
    assert "check digit" in finding


def test_worst_result_of_several_files(capsys):
    code, out, _ = run(capsys, VALID, BAD_CHECK_DIGIT, BARE)
    assert code == 1
    assert out.count("valid\n") == 2 and "INVALID" in out


def test_json_format(capsys):
    code, out, _ = run(capsys, "--format", "json", VALID, BAD_CHECK_DIGIT)
    assert code == 1
    valid, invalid = json.loads(out)  # one JSON document: a list, one entry per file
    assert valid == {"file": str(VALID), "valid": True, "code": None, "findings": []}
    assert invalid["valid"] is False and invalid["code"] == "PF-RULE-VIOLATION"
    assert invalid["findings"] == [{
        "rule": "addressee_number", "line": 28,
        "path": "/soap:Envelope/soap:Body/juki:ResidentInquiryRequest/juki:AddresseeNumber",
        "message": invalid["findings"][0]["message"]}]
    assert "宛名番号" in invalid["findings"][0]["message"]  # UTF-8, not \u escapes
    assert "宛名番号" in out


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "absent.xml")
    assert code == 2
    assert "absent.xml" in err


def test_unusable_catalog_exits_2(capsys, tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_text("format = 2\n")
    code, _, err = run(capsys, "--catalog", bad, VALID)
    assert code == 2
    assert str(bad) in err and "format" in err


def test_unusable_config_exits_2(capsys, tmp_path):
    bad = tmp_path / "hub.toml"
    bad.write_text("[nonsense]\n")
    code, _, err = run(capsys, "--config", bad, VALID)
    assert code == 2 and "nonsense" in err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2


def test_config_brings_the_tenants_addressee_schemes(capsys, tmp_path):
    """千代田区 numbers its 宛名番号 with 10 digits (examples/hub.toml); the default does not."""
    path = tmp_path / "short.xml"
    path.write_bytes(envelope(inquiry_body(ADDRESSEE_8)))
    assert run(capsys, path)[0] == 0
    code, out, _ = run(capsys, "--config", EXAMPLE_CONFIG, path)
    assert code == 1 and "[addressee_number]" in out and "10 digits" in out


def test_bare_document_with_findings(capsys, tmp_path):
    path = tmp_path / "bare.xml"
    path.write_text(BARE.read_text(encoding="utf-8").replace("123456789018", "123456789019"),
                    encoding="utf-8")
    code, out, _ = run(capsys, path)
    assert code == 1
    assert f"{path}:3: /juki:ResidentInquiryRequest/juki:IndividualNumber: [individual_number]" \
        in out


def test_response_envelope_is_checked_against_the_response_element(capsys, tmp_path):
    request = VALID.read_bytes()
    header = request_header().reply(request)
    path = tmp_path / "response.xml"
    path.write_bytes(envelope(inquiry_response_body("maybe"), header, SOAP12_NS))
    code, out, _ = run(capsys, path)
    assert code == 1
    assert "PF-SCHEMA-INVALID" in out and "[xsd:enumeration]" in out
    assert "/soap:Envelope/soap:Body/juki:ResidentInquiryResponse/juki:Status" in out


@pytest.mark.parametrize("content, fault", [
    (b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'>", "PF-XML-MALFORMED"),
    (envelope(inquiry_body(), header=None), "PF-HEADER-MISSING"),
    (envelope(inquiry_body(), request_header(service_id="juki.Nope")), "PF-SERVICE-UNKNOWN"),
    (envelope(inquiry_body(), request_header(sent_at="2026-11-27T06:04:05Z")),
     "PF-HEADER-INVALID"),
])
def test_envelope_faults_exit_1_with_their_code(capsys, tmp_path, content, fault):
    path = tmp_path / "message.xml"
    path.write_bytes(content)
    code, out, _ = run(capsys, "--format", "json", path)
    assert code == 1
    (result,) = json.loads(out)
    assert result["code"] == fault
