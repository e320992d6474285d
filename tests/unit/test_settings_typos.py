"""Every misspelt key in every declared table is refused by name, with the right suggestion;
every value of a wrong kind is refused by name too, never with a traceback.

Generated from the declarations (bus/core/settings, conformance/declarations.py): a key added to
any table is covered here without a new line. Each misspelling (or wrong value) is put into a
valid document — the example hub config, the built-in catalog, the suite's own data — where that
table sits, and loading must fail naming the file, the full key and the table (suggesting the
declared key).
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from bus.core.catalog import Catalog, CatalogError
from bus.core.config import ConfigError, parse_config
from bus.core.settings import Invalid, MapOf, Sub, Table, Tables, tables
from bus.core.settings import catalog as catalog_declared
from bus.core.settings import hub as hub_declared
from bus.core.settings import layout as layout_declared
from bus.core.settings.reader import join
from bus.core.settings.suggest import distance, nearest
from bus.migration.layout import LayoutError, load_layout
from conformance import declarations as suite_declared
from conformance.model import HERE, Suite, SuiteError
from schemas import BUILTIN_CATALOG
from tests.support.settings_typos import cases

ROOT = Path(__file__).resolve().parents[2]


def ids(items: list[tuple]) -> list[str]:
    return [f"{p.table.name}.{typo}" for p, _, typo in items]


def place_typo(doc: dict, place, typo: str, value: object = 1) -> str:
    """Put ``typo = value`` into the table at ``place`` (creating it where absent); its full
    key."""
    target, key = doc, ""
    for i, (name, how) in enumerate(place.steps):
        last = i == len(place.steps) - 1
        if how == "array":
            items = target.setdefault(name, [])
            if place.tagged and last:  # a new step of this kind
                items.append({place.table.keys[0].name: "x"})
            elif not items:
                items.append({})
            index = len(items) - 1 if place.tagged and last else 0
            target, key = items[index], f"{join(key, name)}[{index}]"
        elif how == "map":
            entries = target.setdefault(name, {})
            if not entries:
                entries["x"] = {}
            entry = next(iter(entries))
            target, key = entries[entry], join(join(key, name), entry)
        else:
            target, key = target.setdefault(name, {}), join(key, name)
    target[typo] = value
    return join(key, typo)


def expect_refused(message: str, file: str, full_key: str, declared: str, place) -> None:
    assert f"{file}: {full_key}: unknown key in " in message, message
    others = [k for k in place.table.by_name if k != declared]
    typo = full_key.rsplit(".", 1)[-1]
    tied = [k for k in others if distance(typo, k) <= distance(typo, declared)]
    if tied:  # as near to another key: that one may be suggested, never silence
        assert "did you mean" in message, message
    else:
        assert f"did you mean {declared}?" in message, message


# --- the hub config -------------------------------------------------------------------------------

HUB_CASES = cases(hub_declared.CONFIG)


def test_every_hub_table_is_covered():
    names = {p.table.name for p, _, _ in HUB_CASES}
    assert {"hub", "hub.tls", "hub.limits", "hub.limits.adapters.ID", "store", "schemas",
            "tenants", "tenants.addressee_number", "providers", "providers.delivery", "routes",
            "subscriptions", "systems", "adapters", "access", "admin", "retention"} <= names
    assert len(HUB_CASES) > 100


@pytest.mark.parametrize("place, declared, typo", HUB_CASES, ids=ids(HUB_CASES))
def test_a_misspelt_hub_config_key_is_refused(tmp_path, place, declared, typo):
    doc = tomllib.loads((ROOT / "examples" / "hub.toml").read_text("utf-8"))
    full_key = place_typo(doc, place, typo)
    path = tmp_path / "hub.toml"
    with pytest.raises(ConfigError) as info:
        parse_config(doc, path)
    expect_refused(str(info.value), str(path), full_key, declared, place)


@pytest.mark.parametrize("table, typo, meant", [
    ("hub", "max_mesage_bytes", "max_message_bytes"), ("providers", "timout", "timeout"),
    ("store", "routing_lg", "routing_log"), ("tenants", "nmae", "name")])
def test_the_issue_examples_name_the_key_they_meant(tmp_path, table, typo, meant):
    doc = tomllib.loads((ROOT / "examples" / "hub.toml").read_text("utf-8"))
    target = doc[table][0] if isinstance(doc[table], list) else doc[table]
    target[typo] = 1
    with pytest.raises(ConfigError, match=f"did you mean {meant}\\?"):
        parse_config(doc, tmp_path / "hub.toml")


# --- the schema catalog ---------------------------------------------------------------------------

CATALOG_CASES = cases(catalog_declared.CATALOG)


def to_toml(doc: dict) -> str:
    """A document as TOML with inline values (enough for these tests: JSON's escapes are TOML's)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {value(x)}"
                               for k, x in v.items()) + "}"
    return "".join(f"{json.dumps(k, ensure_ascii=False)} = {value(v)}\n" for k, v in doc.items())


@pytest.mark.parametrize("place, declared, typo", CATALOG_CASES, ids=ids(CATALOG_CASES))
def test_a_misspelt_catalog_key_is_refused(tmp_path, place, declared, typo):
    doc = tomllib.loads(BUILTIN_CATALOG.read_text("utf-8"))
    full_key = place_typo(doc, place, typo)
    path = tmp_path / "catalog.toml"
    path.write_text(to_toml(doc), "utf-8")
    with pytest.raises(CatalogError) as info:
        Catalog.load([path])
    expect_refused(str(info.value), str(path), full_key, declared, place)


def test_a_catalog_typo_never_changes_a_service_pattern(tmp_path):
    text = BUILTIN_CATALOG.read_text("utf-8").replace('pattern = "notice"', 'patern = "notice"')
    path = tmp_path / "catalog.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(CatalogError, match=r"services\[1\]\.patern: unknown key in \[\[services\]\]; "
                                           r"did you mean pattern\?"):
        Catalog.load([path])


# --- the conformance suite's files ----------------------------------------------------------------

SUITE_FILES = {"requirements.toml": suite_declared.REQUIREMENTS_FILE,
               "profiles.toml": suite_declared.PROFILES_FILE,
               "messages.toml": suite_declared.MESSAGES_FILE,
               "cases/juki.toml": suite_declared.CASE_FILE}
# Each of these loads the whole suite: one misspelling and two wrong values per key suffice.
SUITE_CASES = [(file, *case) for file, root in SUITE_FILES.items()
               for case in cases(root, per_key=1)]


@pytest.fixture(scope="module")
def suite_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite") / "suite"
    shutil.copytree(HERE, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "report"))
    Suite.load(root)  # the copy itself loads
    return root


def test_every_step_kind_and_option_is_covered():
    covered = {(p.table.name, key) for _, p, key, _ in SUITE_CASES}
    for kind, options in suite_declared.STEP_OPTIONS.items():
        for option in options:
            assert (f"case.step ({kind})", option) in covered


@pytest.mark.parametrize("file, place, declared, typo", SUITE_CASES,
                         ids=[f"{f}:{i}" for f, i in zip(
                             [c[0] for c in SUITE_CASES], ids([c[1:] for c in SUITE_CASES]),
                             strict=True)])
def test_a_misspelt_conformance_key_is_refused(suite_copy, file, place, declared, typo):
    path = suite_copy / file
    original = path.read_text("utf-8")
    doc = tomllib.loads(original)
    full_key = place_typo(doc, place, typo)
    try:
        path.write_text(to_toml(doc), "utf-8")
        with pytest.raises(SuiteError) as info:
            Suite.load(suite_copy)
    finally:
        path.write_text(original, "utf-8")
    expect_refused(str(info.value), path.name, full_key, declared, place)


# --- values of the wrong kind: refused naming the key, never a traceback -------------------------

WRONG = (12345, "text", [1], {"x": 1}, True)


def wrong_values(root: Table, per_key: int = len(WRONG)) -> list[tuple]:
    """(place, key, value) for every declared key and (up to ``per_key``) values its kind
    refuses."""
    out = []
    for place in tables(root):
        for key in place.table.keys:
            if place.tagged and key is place.table.keys[0]:
                continue  # a step's kind: any value is its target
            out += [(place, key.name, v) for v in WRONG if _refuses(key.kind, v)][:per_key]
    return out


def _refuses(kind, value) -> bool:
    try:
        kind.convert(value)
    except Invalid:
        return True
    return isinstance(kind, (Sub, Tables, MapOf)) and not isinstance(value, dict)


def wrong_ids(items: list[tuple]) -> list[str]:
    return [f"{p.table.name}.{k}={v!r}" for p, k, v in items]


HUB_WRONG = wrong_values(hub_declared.CONFIG)


@pytest.mark.parametrize("place, key, value", HUB_WRONG, ids=wrong_ids(HUB_WRONG))
def test_a_hub_config_value_of_the_wrong_kind_is_refused(tmp_path, place, key, value):
    doc = tomllib.loads((ROOT / "examples" / "hub.toml").read_text("utf-8"))
    full_key = place_typo(doc, place, key, value)
    path = tmp_path / "hub.toml"
    with pytest.raises(ConfigError) as info:
        parse_config(doc, path)
    assert str(info.value).startswith(f"{path}: {full_key}"), str(info.value)
    assert ": must be " in str(info.value), str(info.value)


CATALOG_WRONG = wrong_values(catalog_declared.CATALOG)


@pytest.mark.parametrize("place, key, value", CATALOG_WRONG, ids=wrong_ids(CATALOG_WRONG))
def test_a_catalog_value_of_the_wrong_kind_is_refused(tmp_path, place, key, value):
    doc = tomllib.loads(BUILTIN_CATALOG.read_text("utf-8"))
    full_key = place_typo(doc, place, key, value)
    path = tmp_path / "catalog.toml"
    path.write_text(to_toml(doc), "utf-8")
    with pytest.raises(CatalogError) as info:
        Catalog.load([path])
    assert str(info.value).startswith(f"{path}: {full_key}"), str(info.value)


CASE_WRONG = [(file, *case) for file, root in SUITE_FILES.items()
              for case in wrong_values(root, per_key=2)]


@pytest.mark.parametrize("file, place, key, value", CASE_WRONG,
                         ids=[f"{c[0]}:{i}" for c, i in zip(
                             CASE_WRONG, wrong_ids([c[1:] for c in CASE_WRONG]), strict=True)])
def test_a_conformance_value_of_the_wrong_kind_is_refused(suite_copy, file, place, key, value):
    path = suite_copy / file
    original = path.read_text("utf-8")
    doc = tomllib.loads(original)
    full_key = place_typo(doc, place, key, value)
    try:
        path.write_text(to_toml(doc), "utf-8")
        with pytest.raises(SuiteError) as info:
            Suite.load(suite_copy)
    finally:
        path.write_text(original, "utf-8")
    assert str(info.value).startswith(f"{path.name}: {full_key}"), str(info.value)


# --- the migration layouts (schemas/layouts, bus/core/settings/layout.py) ------------------------

LAYOUT = ROOT / "schemas" / "layouts" / "juki-pfbus-1.toml"
LAYOUT_CASES = cases(layout_declared.LAYOUT)
LAYOUT_WRONG = wrong_values(layout_declared.LAYOUT)


@pytest.mark.parametrize("place, declared, typo", LAYOUT_CASES, ids=ids(LAYOUT_CASES))
def test_a_misspelt_layout_key_is_refused(tmp_path, place, declared, typo):
    doc = tomllib.loads(LAYOUT.read_text("utf-8"))
    full_key = place_typo(doc, place, typo)
    path = tmp_path / "layout.toml"
    path.write_text(to_toml(doc), "utf-8")
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    expect_refused(str(info.value), str(path), full_key, declared, place)


@pytest.mark.parametrize("place, key, value", LAYOUT_WRONG, ids=wrong_ids(LAYOUT_WRONG))
def test_a_layout_value_of_the_wrong_kind_is_refused(tmp_path, place, key, value):
    doc = tomllib.loads(LAYOUT.read_text("utf-8"))
    full_key = place_typo(doc, place, key, value)
    path = tmp_path / "layout.toml"
    path.write_text(to_toml(doc), "utf-8")
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert str(info.value).startswith(f"{path}: {full_key}"), str(info.value)


# --- the suggestion itself ------------------------------------------------------------------------

@pytest.mark.parametrize("typo, keys, meant", [
    ("max_mesage_bytes", ["max_message_bytes", "max_depth"], "max_message_bytes"),
    ("nmae", ["name", "local_gov_code"], "name"),
    ("di", ["id", "url"], "id"),
    ("Read-Timeout", ["read_timeout"], "read_timeout"),
    ("colour", ["listen", "public_url"], None),
])
def test_nearest_key(typo, keys, meant):
    assert nearest(typo, keys) == meant
