"""``pfbus layout``: exit status, the JSON and HTML reports, the listing of layouts."""

from __future__ import annotations

import json
import shutil

import pytest

from bus.cli.main import main as pfbus

from .extracts import export_vendor_a, rewrite, set_field


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return export_vendor_a(tmp_path_factory.mktemp("cli") / "extract", residents=10)


def test_a_valid_extract_exits_0(base, capsys):
    assert pfbus(["layout", "validate", str(base)]) == 0
    assert capsys.readouterr().out.strip().endswith("— OK")


def test_findings_exit_1_with_json_and_html_reports(base, tmp_path, capsys):
    folder = tmp_path / "extract"
    shutil.copytree(base, folder)
    rewrite(folder, "resident.csv", lambda ls: ls.__setitem__(2, set_field(ls[2], 11, "7")))
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    assert pfbus(["layout", "validate", str(folder), "--json", str(out_json),
                  "--html", str(out_html)]) == 1
    printed = capsys.readouterr().out
    assert "resident.csv:3: 項目12 性別 [codelist:gender]" in printed
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert doc["ok"] is False and doc["counts"] == {"codelist:gender": 1}
    assert doc["findings"][0] == {"file": "resident.csv", "line": 3, "rule": "codelist:gender",
                                  "message": "is not a code of code list gender", "item_no": 12,
                                  "item_name": "性別"}
    html = out_html.read_text(encoding="utf-8")
    assert "codelist:gender" in html and "総務" not in html


def test_usage_errors_exit_2(tmp_path, capsys):
    assert pfbus(["layout", "validate", str(tmp_path / "nowhere")]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nlayout = "x"\ncolour = 1\n', encoding="utf-8")
    assert pfbus(["layout", "list", "--layouts", str(bad)]) == 2
    assert "colour" in capsys.readouterr().err


def test_list_and_show(capsys):
    assert pfbus(["layout", "list"]) == 0
    assert "juki/pfbus-1" in capsys.readouterr().out
    assert pfbus(["layout", "show", "juki/pfbus-1"]) == 0
    assert "個人番号" in capsys.readouterr().out
