"""The shipped MJ table (schemas/characters/mj.tsv.gz): attribution, licence, reproducibility.

The product reads only the table inside the package. Rebuilding it needs the source CSVs of
../shared/data/mojikiban: present beside the repository in CI (a missing source fails there),
skipped elsewhere when absent.
"""

from __future__ import annotations

import configparser
import gzip
import importlib.util
import os
from pathlib import Path

import pytest

import schemas
from bus.core import characters

HERE = Path(schemas.__file__).with_name("characters")
ATTRIBUTION = "MJ文字情報一覧表 (文字情報技術促進協議会 / IPA), CC BY-SA 2.1 JP"


def _builder():
    spec = importlib.util.spec_from_file_location("build_table", HERE / "build_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_lives_in_the_package_and_carries_attribution_and_licence():
    assert characters.TABLE == HERE / "mj.tsv.gz" and characters.TABLE.is_file()
    with gzip.open(characters.TABLE, "rt", encoding="utf-8") as f:
        head = [next(f) for _ in range(4)]
    assert ATTRIBUTION in head[0] and "CC BY-SA 2.1 JP" in head[1]
    for name in ("README.md", "LICENSE"):
        text = (HERE / name).read_text(encoding="utf-8")
        assert ATTRIBUTION in text and "by-sa/2.1/jp" in text
    assert characters.ATTRIBUTION == ATTRIBUTION


def test_the_table_is_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(Path(schemas.__file__).parents[1] / "setup.cfg", encoding="utf-8")
    patterns = cfg["options.package_data"]["schemas"]
    assert "characters/*" in patterns


def test_every_mj_character_of_the_source_is_in_the_table():
    table = characters.mj_table()
    assert len(table) == 58843  # MJ numbers in moji.csv (SOURCE.md counts one row fewer)
    assert table.grapheme("MJ000001") == "々" and table.grapheme("MJ060243") is not None


def test_the_table_is_rebuilt_byte_for_byte_from_the_source():
    builder = _builder()
    source = builder.DEFAULT_SOURCE
    if not (source / "moji.csv").is_file():
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI needs the MJ source data at {source}")
        pytest.skip(f"no MJ source data at {source}")
    assert builder.build(source) == characters.TABLE.read_bytes()
