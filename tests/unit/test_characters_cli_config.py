"""Hub configuration of characters ([[tenants]] characters, [[systems]]) and ``pfbus chars``."""

from __future__ import annotations

import json

import pytest

from adapters.vendor_a_registry import GAIJI_TABLE as VENDOR_A_TABLE
from bus.cli.main import main
from bus.core.config import ConfigError, parse_config

CONFIG = f"""
[[tenants]]
local_gov_code = "131016"
name = "千代田区"

[[tenants]]
local_gov_code = "141003"
name = "横浜市"
characters = "jisx0213"

[[systems]]
party = "131016/01/vendor-a-juki"
gaiji = {json.dumps(str(VENDOR_A_TABLE))}

[[systems]]
party = "131016/07/vendor-b-legacy"
characters = "jisx0213"
"""


def test_tenants_and_systems_declare_their_characters(tmp_path):
    import tomllib
    config = parse_config(tomllib.loads(CONFIG), tmp_path / "hub.toml")
    assert {c: t.characters for c, t in config.tenants.items()} == {"131016": "mj",
                                                                    "141003": "jisx0213"}
    a, legacy = config.systems["131016/01/vendor-a-juki"], config.systems[
        "131016/07/vendor-b-legacy"]
    assert a.characters == "mj" and "\ue000" in a.registered_gaiji
    assert "邊\U000E010E" in a.receiver.gaiji  # as a receiver it keeps that one as 外字
    assert legacy.receiver.characters == "jisx0213" and legacy.registered_gaiji == frozenset()


@pytest.mark.parametrize("doc, key", [
    ({"tenants": [{"local_gov_code": "131016", "characters": "sjis"}]}, "tenants[0].characters"),
    ({"systems": [{"party": "131016/07"}]}, "systems[0].party"),
    ({"systems": [{"party": "131017/07/x"}]}, "systems[0].party"),  # bad check digit
    ({"systems": [{"party": "131016/07/x"}, {"party": "131016/07/x"}]}, "systems[1].party"),
    ({"systems": [{"party": "131016/07/x", "characters": "utf8"}]}, "systems[0].characters"),
    ({"systems": [{"party": "131016/07/x", "gaiji": "missing.tsv"}]}, "systems[0].gaiji"),
    ({"systems": [{"party": "131016/07/x", "fonts": "y"}]}, "systems[0].fonts"),
])
def test_config_errors_name_the_key(tmp_path, doc, key):
    with pytest.raises(ConfigError) as exc:
        parse_config(doc, tmp_path / "hub.toml")
    assert f"hub.toml: {key}:" in str(exc.value)


def run(capsys, *args):
    code = main(["chars", *args])
    return code, capsys.readouterr().out


def test_chars_without_config_shows_an_mj_and_a_jis_receiver(capsys):
    code, out = run(capsys, "髙橋葛\U000E0102")
    assert code == 0
    lines = out.splitlines()
    assert "(any MJ receiver)" in lines[0] and "(any JIS X 0213 receiver)" in lines[0]
    assert set(lines[1]) == {"-", " "}  # the rule under the headings
    assert "U+9AD9" in lines[2] and "MJ028902" in lines[2] and "縮退 → 高" in lines[2]
    assert "U+845B U+E0102" in lines[4] and "mj-ivs" in lines[4] and "MJ022335" in lines[4]
    assert "CC BY-SA 2.1 JP" in out  # the MJ data's attribution


def test_chars_with_config_reads_a_senders_gaiji_and_judges_each_receiver(tmp_path, capsys):
    config = tmp_path / "hub.toml"
    config.write_text(CONFIG, encoding="utf-8")
    code, out = run(capsys, "--config", str(config), "--sender", "131016/01/vendor-a-juki",
                    "--format", "json", "渡\ue000")
    rows = json.loads(out)
    assert code == 0 and rows[1]["kind"] == "private-use" and rows[1]["mj"] == "MJ026201"
    assert rows[1]["receivers"] == {
        "131016/01/vendor-a-juki": "as its 外字 U+E000",
        "131016/07/vendor-b-legacy": "縮退 → 邊",
        "names of 131016 千代田区": "accepted",
        "names of 141003 横浜市": "refused (jisx0213)"}


def test_chars_exits_1_for_unmapped_gaiji_and_reads_files(tmp_path, capsys):
    code, out = run(capsys, "--format", "json", "\ue0ff")
    (row,) = json.loads(out)
    assert code == 1 and row["refused"] is True
    sample = tmp_path / "names.txt"
    sample.write_text("総務翔子\n髙橋美咲\n髙橋健一\n", encoding="utf-8")
    code, out = run(capsys, "--format", "json", str(sample))
    rows = json.loads(out)
    assert code == 0 and rows[4]["char"] == "髙" and rows[4]["at"] == "2:1"
    assert [r["char"] for r in rows].count("髙") == 1  # distinct characters of a file


def test_validate_applies_tenant_repertoires_and_registered_gaiji(tmp_path, capsys):
    from messages import envelope, inquiry_response_body, request_header
    from messages import JUKI_SYSTEM, TAX_SYSTEM

    config = tmp_path / "hub.toml"
    config.write_text(CONFIG, encoding="utf-8")
    reply_header = request_header(sender=JUKI_SYSTEM, receiver=TAX_SYSTEM)
    message = tmp_path / "reply.xml"

    def validate(name: str) -> tuple[int, str]:
        body = inquiry_response_body().replace("総務翔子", name, 1)
        message.write_bytes(envelope(body, reply_header))
        code = main(["validate", "--config", str(config), str(message)])
        return code, capsys.readouterr().out

    assert validate("渡\ue000太郎") == (0, f"{message}: valid\n")  # vendor A registered U+E000
    code, out = validate("渡\ue0ff太郎")
    assert code == 1 and "[mj_characters] U+E0FF (character 2)" in out
    assert "registered for the sender 131016/01/vendor-a-juki" in out
    assert "/juki:Resident/cmn:Name/cmn:Text" in out
