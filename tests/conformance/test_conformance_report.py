"""Reports: the HTML a procurement officer reads says what the JSON says; JUnit too; the digest is
deterministic and ``verify`` detects any one-byte edit; ``--redact`` leaves no personal data."""

from __future__ import annotations

import json
import shutil

import pytest
from lxml import etree, html

from conformance.model import Suite
from conformance.report import verify, write_report
from conformance.report.digest import CERTIFICATE, MANIFEST, REPORT_FILES
from conformance.runner import RunOptions, run_profile

from .faulty import FAULTY, build
from .references import JUKI_PROFILE, References

pytestmark = pytest.mark.integration
ALL_FILES = (*REPORT_FILES, MANIFEST, CERTIFICATE)
FAILING = next(f for f in FAULTY if f.name == "ivs-stripped")  # the failing run's adapter
PERSONAL = ("総務大輔", "𠮷田一郎", "0000010022", "0000010073", "髙橋", "1990-04-01")


@pytest.fixture(scope="module")
def results():
    """A passing run (the reference) and a failing one (a faulty adapter), written as reports."""
    refs, suite = References(), Suite.load()
    passing = run_profile(RunOptions(JUKI_PROFILE, target=refs.url(JUKI_PROFILE)), suite)
    sut = build(refs, FAILING, JUKI_PROFILE)
    failing = run_profile(RunOptions(JUKI_PROFILE, target=sut.url), suite)
    sut.close()
    yield {"pass": passing, "fail": failing}
    refs.close()


@pytest.fixture
def report(results, tmp_path):
    def write(which: str = "fail", redact: bool = False):
        folder = tmp_path / f"{which}-{redact}"
        return folder, write_report(results[which], folder, redact=redact)
    return write


@pytest.mark.parametrize("which", ["pass", "fail"])
def test_html_report_is_parsed_and_says_what_the_json_says(report, which):
    folder, _ = report(which)
    doc = json.loads((folder / "report.json").read_text("utf-8"))
    page = html.fromstring((folder / "report.html").read_bytes())
    assert page.get_element_by_id("verdict").get("data-verdict") == doc["verdict"] == which
    requirements = {tr.get("data-id"): tr.get("data-verdict")
                    for tr in page.xpath("//tr[@class='requirement']")}
    assert requirements == {q["id"]: q["verdict"] for q in doc["requirements"]}
    cases = {tr.get("data-id"): tr.get("data-verdict") for tr in page.xpath("//tr[@class='case']")}
    assert cases == {c["id"]: c["verdict"] for c in doc["cases"]}
    assert len(page.xpath("//section[@id='evidence']//details")) == len(doc["cases"])
    # every message exchanged is shown, request and response
    shown = len(page.xpath("//section[@id='evidence']//pre[@class='request']"))
    assert shown == sum(1 for c in doc["cases"] for e in c["evidence"] if e["request"])
    assert page.xpath("//section[@id='environment']") and page.xpath("//section[@id='summary']")
    # self-contained: no script, no external resource
    assert not page.xpath("//script | //link")
    assert not [el for el in page.iter() if (el.get("src") or "").startswith("http")]


def test_failing_report_shows_the_findings_with_code_points(report):
    folder, _ = report("fail")
    page = html.fromstring((folder / "report.html").read_bytes())
    row = next(tr for tr in page.xpath("//tr[@class='case']") if tr.get("data-id") == "J-CHR-02")
    assert row.get("data-verdict") == "fail"
    assert "U+E0102" in row.text_content()  # the dropped selector is visible
    req = page.get_element_by_id("req-RQ-MSG-06")
    assert req.get("data-verdict") == "fail"


def test_junit_xml_matches_the_json(report):
    folder, _ = report("fail")
    doc = json.loads((folder / "report.json").read_text("utf-8"))
    suites = etree.parse(str(folder / "junit.xml")).getroot()
    assert int(suites.get("tests")) == doc["summary"]["cases"] == len(suites.findall(".//testcase"))
    failed = {tc.get("name").split(":")[0] for tc in suites.iter("testcase")
              if tc.find("failure") is not None}
    assert failed == {c["id"] for c in doc["cases"] if c["verdict"] == "fail"} \
        == set(FAILING.targets) > set()  # (INV-MSG-02 too: a bare 俞 is no MJ character)


def test_the_digest_covers_the_files_deterministically(results, tmp_path):
    one = write_report(results["pass"], tmp_path / "one")
    two = write_report(results["pass"], tmp_path / "two")
    assert one == two
    assert verify(tmp_path / "one", one) == (one, [])
    certificate = (tmp_path / "one" / CERTIFICATE).read_text("utf-8")
    assert one in certificate and "PASS" in certificate


@pytest.mark.parametrize("name", ALL_FILES)
def test_verify_detects_a_one_byte_edit_in_any_file(report, tmp_path, name):
    folder, digest = report("pass")
    edited = tmp_path / "edited"
    shutil.copytree(folder, edited)
    data = bytearray((edited / name).read_bytes())
    # one byte in the middle, an ASCII character turned into another
    i = next(i for i in range(len(data) // 2, len(data)) if 0x30 <= data[i] <= 0x7a)
    data[i] = data[i] + 1 if data[i] != 0x7a else 0x61
    (edited / name).write_bytes(bytes(data))
    _, problems = verify(edited)
    assert problems, f"a one-byte edit of {name} was not detected"
    _, against_digest = verify(edited, digest)
    assert against_digest


def test_verify_detects_a_missing_or_an_added_file(report, tmp_path):
    folder, digest = report("pass")
    for change in ("remove", "add"):
        edited = tmp_path / change
        shutil.copytree(folder, edited)
        if change == "remove":
            (edited / "junit.xml").unlink()
        else:
            (edited / "note.txt").write_text("approved", "utf-8")
        assert verify(edited)[1]
    assert verify(folder, "0" * 64)[1]  # the digest someone else wrote down


def test_redacted_report_holds_no_personal_data(report):
    folder, digest = report("fail", redact=True)
    for name in ALL_FILES:
        text = (folder / name).read_text("utf-8")
        for value in PERSONAL:
            assert value not in text, f"{value} in {name}"
    doc = json.loads((folder / "report.json").read_text("utf-8"))
    assert doc["run"]["redacted"] is True
    evidence = [e for c in doc["cases"] for e in c["evidence"] if e["response"]]
    assert all(e["response_sha256"] for e in evidence)  # still identifies the bytes exchanged
    assert "[redacted]" in (folder / "report.html").read_text("utf-8")
    assert verify(folder, digest) == (digest, [])
