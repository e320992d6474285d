"""Layout files are data read strictly: an unknown key is an error naming the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bus.migration.layout import BUILTIN_LAYOUTS, LayoutCatalog, LayoutError, load_layout

JUKI = BUILTIN_LAYOUTS / "juki-pfbus-1.toml"


def test_the_shipped_layouts():
    catalog = LayoutCatalog.load()
    assert {layout.ident for layout in catalog} == {"juki/pfbus-1", "kojin_juminzei/pfbus-1",
                                                    "kokuho/pfbus-1"}
    juki = catalog.get("juki", "pfbus-1")
    assert [f.record for f in juki.files] == ["household", "resident", "change"]
    resident = juki.file("resident")
    item = resident.item("個人番号")
    assert (item.no, item.type, item.length, item.exact, item.identifier) == \
        (5, "code", 12, True, "individual_number")
    assert resident.item("性別").codelist == "gender" and "1" in juki.codelists["gender"]


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = JUKI.read_text(encoding="utf-8")
    assert old in text
    shutil.copytree(BUILTIN_LAYOUTS.parent / "codelists", tmp_path / "codelists",
                    dirs_exist_ok=True)
    (tmp_path / "layouts").mkdir(exist_ok=True)
    path = tmp_path / "layouts" / "juki-official.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,message", [
    ('title = "住民基本台帳', 'colour = "blue"\ntitle = "住民基本台帳', "colour: unknown key"),
    ('required = true, identifier = "local_gov_code" }',
     'required = true, identifier = "local_gov_code", mandatory = true }',
     "files[0].items[0].mandatory: unknown key"),
    ('type = "date", required = true }', 'type = "datetime", required = true }', "type: must be"),
    ('codelist = "gender"', 'codelist = "sex"', "code list 'sex' is not declared"),
    ('from = "resident.世帯番号"', 'from = "resident.世帯"', "resident has no item '世帯'"),
    ('key = ["宛名番号"]', 'key = ["住民番号"]', "not items of this file: 住民番号"),
])
def test_strict_reading_names_file_and_key(tmp_path, old, new, message):
    path = edited(tmp_path, old, new)
    with pytest.raises(LayoutError) as caught:
        load_layout(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_an_official_layout_drops_in_beside_ours(tmp_path):
    path = edited(tmp_path, 'version = "pfbus-1"', 'version = "V2.7"')
    catalog = LayoutCatalog.load([tmp_path / "layouts"])
    assert catalog.versions("juki") == ["V2.7", "pfbus-1"]
    assert path.exists()
    twin = edited(tmp_path, 'version = "pfbus-1"', 'version = "pfbus-1"')  # the same ID again
    with pytest.raises(LayoutError, match="already declared"):
        LayoutCatalog.load([twin])
