"""``[files]`` of the hub config and the file kind catalogs: strict, every error names the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bus.core.config import ConfigError, parse_config
from bus.core.files_config import public_key_blob
from bus.core.settings import hub as hub_declared
from bus.files.kinds import FileKindCatalog, FileKindError
from schemas import BUILTIN_FILE_KINDS
from tests.support.settings_typos import cases

from bus.files.keys import key_pair

ROOT = Path(__file__).resolve().parents[2]


def base(tmp_path: Path, **files) -> dict:
    doc = tomllib.loads((ROOT / "examples" / "hub.toml").read_text("utf-8"))
    _, a = key_pair(tmp_path, "a")
    _, b = key_pair(tmp_path, "b")
    doc["adapters"] = [
        {"id": "vendor-a", "parties": ["131016/01/vendor-a-registry"], "ssh_public_keys": [a]},
        {"id": "vendor-b", "parties": ["131016/07/vendor-b-tax"], "ssh_public_keys": [b]}]
    doc["access"] = []
    doc["subscriptions"] = []  # SOAP notices: with [[adapters]], access rights would apply
    doc["files"] = {"root": "files", "subscriptions": [
        {"local_gov_code": "131016", "kind": "juki-change", "subscriber": "vendor-b"}], **files}
    return doc


def test_files_are_read_onto_the_config(tmp_path):
    config = parse_config(base(tmp_path, max_file_bytes=1000, concurrency=2), tmp_path / "h.toml")
    files = config.files
    assert files is not None
    assert files.root == tmp_path / "files"
    assert files.max_file_bytes == 1000 and files.concurrency == 2 and files.host is None
    assert set(files.accounts) == {"vendor-a", "vendor-b"}
    assert files.accounts["vendor-a"].codes() == {"131016"}
    assert len(files.accounts["vendor-a"].public_keys[0]) > 32
    assert [s.subscriber for s in files.subscriptions] == ["vendor-b"]


def test_without_files_the_linkage_is_off(tmp_path):
    doc = tomllib.loads((ROOT / "examples" / "hub.toml").read_text("utf-8"))
    assert parse_config(doc, tmp_path / "h.toml").files is None


def test_the_generated_typo_tests_cover_the_files_tables():
    names = {p.table.name for p, _, _ in cases(hub_declared.CONFIG)}
    assert {"files", "files.subscriptions"} <= names


@pytest.mark.parametrize("typo, meant", [("max_file_byte", "max_file_bytes"),
                                         ("concurency", "concurrency"), ("hostkey", "host_key")])
def test_a_misspelt_files_key_names_the_one_meant(tmp_path, typo, meant):
    with pytest.raises(ConfigError, match=f"h.toml: files.{typo}: unknown key in \\[files\\]; "
                                          f"did you mean {meant}\\?"):
        parse_config(base(tmp_path, **{typo: 1}), tmp_path / "h.toml")


def test_listen_needs_a_host_key(tmp_path):
    with pytest.raises(ConfigError, match="files.host_key: is required with files.listen"):
        parse_config(base(tmp_path, listen="127.0.0.1:0"), tmp_path / "h.toml")


def test_a_subscriber_must_be_an_adapter(tmp_path):
    doc = base(tmp_path)
    doc["files"]["subscriptions"][0]["subscriber"] = "vendor-x"
    with pytest.raises(ConfigError, match=r"files.subscriptions\[0\].subscriber: no "
                                          r"\[\[adapters\]\] entry with id 'vendor-x'"):
        parse_config(doc, tmp_path / "h.toml")


def test_a_subscription_of_an_unknown_tenant_is_refused(tmp_path):
    doc = base(tmp_path)
    doc["files"]["subscriptions"][0]["local_gov_code"] = "012025"
    with pytest.raises(ConfigError, match="団体コード '012025' is not among"):
        parse_config(doc, tmp_path / "h.toml")


def test_a_malformed_public_key_is_refused_by_key(tmp_path):
    doc = base(tmp_path)
    doc["adapters"][0]["ssh_public_keys"] = ["ssh-ed25519 not-base64!"]
    with pytest.raises(ConfigError, match=r"adapters\[0\].ssh_public_keys\[0\]: must be an "
                                          "OpenSSH public key line"):
        parse_config(doc, tmp_path / "h.toml")


def test_one_key_cannot_be_two_adapters(tmp_path):
    doc = base(tmp_path)
    doc["adapters"][1]["ssh_public_keys"] = doc["adapters"][0]["ssh_public_keys"]
    with pytest.raises(ConfigError, match="already adapter 'vendor-a'"):
        parse_config(doc, tmp_path / "h.toml")


def test_a_key_under_the_wrong_type_is_not_a_key(tmp_path):
    _, line = key_pair(tmp_path, "k")
    assert public_key_blob(line) is not None
    assert public_key_blob(line.replace("ssh-ed25519", "ssh-rsa", 1)) is None


# --- the file kind catalog ----------------------------------------------------------------------

def test_a_name_gives_the_kind_and_the_municipality():
    kinds = FileKindCatalog.load()
    kind, code = kinds.identify("juki_change_131016_20260401.csv")
    assert (kind.kind, code, kind.record.record, kind.layout.ident) == (
        "juki-change", "131016", "change", "juki/pfbus-1")
    assert kinds.identify("juki_change_131017_20260401.csv") is None  # wrong check digit
    assert kinds.identify("juki_change_131016_20260401.csv.part") is None
    assert kinds.identify("other.csv") is None


def test_a_misspelt_kind_key_is_refused(tmp_path):
    path = tmp_path / "kinds.toml"
    path.write_text(BUILTIN_FILE_KINDS.read_text("utf-8").replace("pattern =", "patern =", 1))
    with pytest.raises(FileKindError, match=r"kinds\[0\].patern: unknown key in \[\[kinds\]\]; "
                                            "did you mean pattern\\?"):
        FileKindCatalog.load([str(path)])


@pytest.mark.parametrize("old, new, message", [
    ('version = "pfbus-1"', 'version = "V9"', "layout juki/V9 is not in the layout catalog"),
    ('record = "change"', 'record = "changes"', "has no record file 'changes'"),
    ('pattern = "juki_change_{local_gov_code}_*.csv"', 'pattern = "juki_change.csv"',
     "must hold {local_gov_code} once"),
])
def test_a_kind_naming_what_does_not_exist_is_refused(tmp_path, old, new, message):
    path = tmp_path / "kinds.toml"
    path.write_text(BUILTIN_FILE_KINDS.read_text("utf-8").replace(old, new, 1))
    with pytest.raises(FileKindError, match=f"{path}: kinds\\[0\\]"):
        FileKindCatalog.load([str(path)])
    with pytest.raises(FileKindError, match=message.replace("{", "\\{").replace("}", "\\}")):
        FileKindCatalog.load([str(path)])


def test_the_ledger_is_a_sqlite_path_or_a_postgresql_url(tmp_path):
    config = parse_config(base(tmp_path, ledger="var/l.sqlite3"), tmp_path / "h.toml")
    assert config.files is not None and config.files.ledger == tmp_path / "var" / "l.sqlite3"
    url = "postgresql://postgres@127.0.0.1:5432/test?schema=files_x"
    config = parse_config(base(tmp_path, ledger=url), tmp_path / "h.toml")
    assert config.files is not None and config.files.ledger == url
