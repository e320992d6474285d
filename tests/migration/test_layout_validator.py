"""Each rule of the layout validator, on vendor A's exported registry with one thing broken.

Every test starts from a valid extract (the seed residents, with vendor A's 外字 mapped to MJ,
plus synthetic households), breaks exactly one thing and checks the finding: its rule, file,
line and item — and that no finding carries a value of the files.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from adapters.vendor_a_registry.store import SEED_RESIDENTS
from bus.core.identifiers import Modulus11Scheme
from bus.migration import report as reports
from bus.migration.items import ItemRules
from bus.migration.layout import LayoutCatalog
from bus.migration.validator import FileValidator, validate_extract

from .extracts import export_vendor_a, field, lines, rewrite, set_field

# resident.csv columns (0-based) used below
R_ADDRESSEE, R_HOUSEHOLD, R_MYNUMBER, R_NAME, R_KANA = 1, 2, 4, 5, 6
R_BORN, R_GENDER, R_STATUS, R_CHOME = 10, 11, 14, 20


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return export_vendor_a(tmp_path_factory.mktemp("extract") / "vendor-a")


@pytest.fixture
def extract(base, tmp_path) -> Path:
    folder = tmp_path / "extract"
    shutil.copytree(base, folder)
    return folder


def findings(folder: Path, **kwargs):
    return validate_extract(folder, **kwargs)


def only(report, rule: str):
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"no {rule} finding in {[str(f) for f in report.findings]}"
    return found


def test_the_exported_registry_is_valid(base):
    report = findings(base)
    assert report.ok, [str(f) for f in report.findings]
    assert report.layout == "juki/pfbus-1"
    assert {f.name: f.rows for f in report.files}["resident.csv"] == len(SEED_RESIDENTS) + 40


def test_a_value_breaking_the_type_is_found_with_file_line_and_item(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(3, set_field(ls[3], R_BORN,
                                                                            "20230230")))
    report = findings(extract)
    (f,) = only(report, "type:date")
    assert (f.file, f.line, f.item_no, f.item_name) == ("resident.csv", 4, 11, "生年月日")
    assert not report.ok


@pytest.mark.parametrize("index,value,rule,item_no", [
    (R_GENDER, "9", "codelist:gender", 12),
    (R_STATUS, "", "required", 15),
    (R_CHOME, "1a", "type:number", 21),
    (R_CHOME, "123", "length", 21),
    (R_MYNUMBER, "123456789012", "identifier:individual_number", 5),
    (R_ADDRESSEE, "0000010015", "identifier:addressee_number", 2),
    (R_KANA, "そうむ", "characters:katakana", 7),
    (0, "131017", "identifier:local_gov_code", 1),
    (R_HOUSEHOLD, "00000500_6", "type:code", 3),
])
def test_item_rules(extract, index, value, rule, item_no):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(2, set_field(ls[2], index, value)))
    report = findings(extract)
    found = only(report, rule)
    assert found[0].line == 3 and found[0].item_no == item_no


def test_the_tenant_scheme_decides_the_addressee_check_digit(base):
    # under a 10-digit scheme with weights 1-2, vendor A's numbers (M11W2-7) are wrong
    report = findings(base, rules=ItemRules(Modulus11Scheme((1, 2), 0, 10)))
    assert report.counts["identifier:addressee_number"] > 0


def test_a_private_use_character_without_a_table(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        2, set_field(ls[2], R_NAME, "\ue001橋健一")))
    report = findings(extract)
    (f,) = only(report, "characters:private-use")
    assert f.item_name == "氏名" and "U+E001" in f.message and "橋" not in f.message
    # with the agreed table the code is accepted
    assert findings(extract, rules=ItemRules(gaiji=frozenset("\ue001"))).ok


def test_a_character_that_is_neither_mj_nor_jis(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        2, set_field(ls[2], R_NAME, "総務\u0378子")))  # unassigned code point
    (f,) = only(findings(extract), "characters:mj")
    assert "U+0378" in f.message


def test_an_mj_character_with_ivs_is_accepted(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        2, set_field(ls[2], R_NAME, "葛\U000E0102西花子")))
    assert findings(extract).ok


def test_a_line_break_inside_a_quoted_name(extract):
    def edit(ls):
        text = ls[2].decode().split(",")
        text[R_NAME] = '"総務\r\n翔子"'
        ls[2] = ",".join(text).encode()
    rewrite(extract, "resident.csv", edit)
    report = findings(extract)
    (f,) = only(report, "characters:control")
    assert (f.line, f.item_name) == (3, "氏名") and "line break" in f.message
    # RFC 4180 itself was respected: the next record is read from the line after
    assert not [x for x in report.findings if x.rule.startswith("csv:")]


def test_quotes_and_commas_inside_a_quoted_field_are_fine(extract):
    def edit(ls):
        text = ls[2].decode().split(",")
        text[22] = '"ハイツ""青空"",301"'  # 方書 with quotes and a comma, quoted
        ls[2] = ",".join(text).encode()
    rewrite(extract, "resident.csv", edit)
    assert findings(extract).ok


def test_a_quote_inside_an_unquoted_field(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        4, set_field(ls[4], 22, 'ハイツ"青空"')))
    (f,) = only(findings(extract), "csv:quoting")
    assert f.line == 5


def test_a_quote_never_closed(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        len(ls) - 1, set_field(ls[-1], 22, '"ハイツ')))
    (f,) = only(findings(extract), "csv:quoting")
    assert "never closed" in f.message


def test_a_wrong_column_count(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(5, ls[5].replace(b"\r\n",
                                                                                 b",x\r\n")))
    (f,) = only(findings(extract), "csv:columns")
    assert f.line == 6 and "26 fields" in f.message


def test_shift_jis_bytes(extract):
    sjis = "総務".encode("cp932")
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        2, ls[2].replace("総務".encode(), sjis, 1)))
    (f,) = only(findings(extract), "encoding:utf8")
    assert f.line == 3 and "Shift_JIS" in f.message


def test_a_byte_order_mark(extract):
    rewrite(extract, "household.csv", lambda ls: ls.__setitem__(0, b"\xef\xbb\xbf" + ls[0]))
    report = findings(extract)
    (f,) = only(report, "encoding:bom")
    assert (f.file, f.line) == ("household.csv", 1)
    assert set(report.counts) == {"encoding:bom"}  # the rest is read as usual


def test_a_truncated_file(extract):
    # cut in the middle of the last record: the manifest (written at export) disagrees
    data = (extract / "change.csv").read_bytes()
    (extract / "change.csv").write_bytes(data[:-9])
    report = findings(extract)
    assert only(report, "csv:truncated")[0].file == "change.csv"
    assert only(report, "manifest:sha256")[0].file == "change.csv"


def test_a_file_cut_at_a_line_break_is_found_by_the_manifest(extract):
    data = (extract / "change.csv").read_bytes().splitlines(keepends=True)
    (extract / "change.csv").write_bytes(b"".join(data[:-3]))
    report = findings(extract)
    assert only(report, "manifest:rows")[0].file == "change.csv"
    assert only(report, "manifest:sha256")


def test_a_wrong_header(extract):
    rewrite(extract, "household.csv", lambda ls: ls.__setitem__(
        0, ls[0].replace("世帯員数".encode(), "世帯人数".encode())))
    (f,) = only(findings(extract), "csv:header")
    assert "missing 世帯員数" in f.message and "世帯人数" in f.message


def test_duplicate_keys(extract):
    rewrite(extract, "change.csv", lambda ls: ls.insert(3, ls[2]))
    report = findings(extract)
    (f,) = only(report, "key:duplicate")
    assert (f.file, f.line) == ("change.csv", 4) and "line 3" in f.message


def test_a_household_whose_member_is_missing(extract):
    # drop a member (not the head) of a household: 世帯員数 no longer adds up
    data = lines(extract, "resident.csv")
    index = next(i for i, line in enumerate(data[1:], 1) if field(line, 12) == "03"
                 and field(line, R_STATUS) == "1")
    household = field(data[index], R_HOUSEHOLD)
    number = field(data[index], R_ADDRESSEE)
    rewrite(extract, "resident.csv", lambda ls: ls.pop(index) and None)
    rewrite(extract, "change.csv", lambda ls: [ls[0]] + [x for x in ls[1:]
                                                         if field(x, 1) != number])
    report = findings(extract)
    (f,) = only(report, "key:member-count")
    hh = lines(extract, "household.csv")
    line = next(i for i, x in enumerate(hh, 1) if field(x, 1) == household)
    assert (f.file, f.line, f.item_name) == ("household.csv", line, "世帯員数")
    assert set(report.counts) == {"key:member-count"}


def test_references_across_files(extract):
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        2, set_field(ls[2], R_HOUSEHOLD, "0000099996")))
    report = findings(extract)
    refs = only(report, "key:reference")
    assert any(f.file == "resident.csv" and f.line == 3 and f.item_name == "世帯番号"
               for f in refs)


def test_history_that_does_not_add_up(extract):
    # a resident marked 転出者 whose history ends with them still 住民
    data = lines(extract, "resident.csv")
    index = next(i for i, line in enumerate(data[1:], 1) if field(line, R_STATUS) == "1"
                 and field(line, 12) != "01")
    rewrite(extract, "resident.csv", lambda ls: ls.__setitem__(
        index, set_field(ls[index], R_STATUS, "2")))
    report = findings(extract)
    f = only(report, "key:history-state")[0]
    assert (f.file, f.line, f.item_name) == ("resident.csv", index + 1, "住民状態")


def test_a_resident_without_history(extract):
    number = field(lines(extract, "resident.csv")[2], R_ADDRESSEE)
    rewrite(extract, "change.csv", lambda ls: [ls[0]] + [x for x in ls[1:]
                                                         if field(x, 1) != number])
    (f,) = only(findings(extract), "key:history-missing")
    assert (f.file, f.line) == ("resident.csv", 3)


def test_rows_out_of_order(extract):
    rewrite(extract, "household.csv", lambda ls: ls.insert(2, ls.pop(4)))
    assert [f.line for f in only(findings(extract), "key:order")] == [4]


def test_an_unknown_layout_version(extract):
    path = extract / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    m["version"] = "V2.7"
    path.write_text(json.dumps(m), encoding="utf-8")
    (f,) = only(findings(extract), "layout:unknown-version")
    assert "V2.7" in f.message and "pfbus-1" in f.message


def test_manifest_problems(extract):
    path = extract / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    m["colour"] = "blue"
    path.write_text(json.dumps(m), encoding="utf-8")
    assert "colour" in only(findings(extract), "manifest:unknown-key")[0].message
    path.unlink()
    assert only(findings(extract), "manifest:missing")


def test_missing_and_unexpected_files(extract):
    (extract / "change.csv").rename(extract / "changes.csv")
    report = findings(extract)
    assert only(report, "file:missing")[0].file == "change.csv"
    assert only(report, "file:unexpected")[0].file == "changes.csv"


def test_reports_carry_no_personal_data(extract):
    # break many things, then look for any value of the files in the reports
    def edit(ls):
        for i in range(1, len(ls)):
            ls[i] = set_field(ls[i], R_BORN, "19990231")
            ls[i] = set_field(ls[i], R_MYNUMBER, "123456789010")
    rewrite(extract, "resident.csv", edit)
    report = findings(extract)
    assert report.counts["type:date"] and report.counts["identifier:individual_number"]
    text = reports.dumps(report) + reports.to_html(report) + "\n".join(reports.to_text(report))
    values = set()
    for line in lines(extract, "resident.csv")[1:]:
        values |= {v for v in line.decode().rstrip("\r\n").split(",") if len(v) >= 2}
    leaked = sorted(v for v in values if v in text and not v.isdigit() or
                    (v.isdigit() and len(v) >= 7 and v in text))
    assert leaked == []


def test_the_file_validator_takes_any_byte_stream():
    """The reusable part (file linkage builds on it): a stream and a layout in, findings out."""
    layout = LayoutCatalog.load().get("kojin_juminzei", "pfbus-1")
    data = ("団体コード,宛名番号,課税年度,課税区分,市町村民税所得割額,市町村民税均等割額,"
            "道府県民税所得割額,道府県民税均等割額\r\n"
            "131016,0000010014,2024,1,186000,3000,124000,1000\r\n"
            "131016,0000010014,2024,9,,,,\r\n").encode()
    validator = FileValidator(layout, layout.file("taxation"))
    found = list(validator.run(io.BytesIO(data)))
    assert [(f.line, f.rule, f.item_no) for f in found] == [(3, "codelist:taxation_category", 4)]
    assert validator.rows == 2 and len(validator.sha256) == 64


def test_findings_are_listed_up_to_a_limit_and_all_counted(extract):
    rewrite(extract, "change.csv", lambda ls: ls.__setitem__(slice(3, 3), [ls[2]] * 1100))
    report = findings(extract)
    assert report.counts["key:duplicate"] == 1100
    assert len([f for f in report.findings if f.rule == "key:duplicate"]) == 1000
