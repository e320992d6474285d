"""``pfbus config check`` and configurations or catalogs that must never produce a traceback.

A catalog whose WSDL imports an XSD outside the catalog's folder is refused naming the file and
the key, by ``pfbus serve`` (a real process), ``pfbus validate`` and ``pfbus config check``
alike; ``--catalog builtin`` works; ``config check`` lists every finding at once (exit 1).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bus.cli.main import main
from bus.hub.testca import make_test_ca

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
VALID = REPO / "tests" / "data" / "resident_inquiry_valid.xml"
EXAMPLE = REPO / "examples" / "hub.toml"


def pfbus(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def escaping_catalog(tmp_path) -> tuple[Path, Path]:
    """A copy of the built-in catalog whose ResidentInquiry WSDL imports the header XSD from a
    folder beside the catalog's, and a hub config loading it."""
    official = tmp_path / "official"
    shutil.copytree(SCHEMAS, official, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (tmp_path / "shared").mkdir()
    shutil.copy(SCHEMAS / "platform" / "header-v1.xsd", tmp_path / "shared")
    wsdl = official / "units" / "juki" / "ResidentInquiry-v1.wsdl"
    wsdl.write_text(wsdl.read_text("utf-8").replace('"../../platform/header-v1.xsd"',
                                                    '"../../../shared/header-v1.xsd"'), "utf-8")
    config = tmp_path / "hub.toml"
    config.write_text(textwrap.dedent("""\
        [hub]
        listen = "127.0.0.1:0"
        allow_plain_http = true

        [schemas]
        catalogs = ["official/catalog.toml"]
        """), encoding="utf-8")
    return official / "catalog.toml", config


def assert_named(message: str, catalog: Path) -> None:
    assert f"{catalog}: services[0].wsdl: units/juki/ResidentInquiry-v1.wsdl refers to " \
           f"'../../../shared/header-v1.xsd', outside the catalog's folder" in message, message
    assert "Traceback" not in message


def test_serve_refuses_a_catalog_reaching_outside_its_folder(escaping_catalog, tmp_path):
    catalog, config = escaping_catalog
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "serve", "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("pfbus serve: error: ")
    assert_named(done.stderr, catalog)
    assert '"event":"hub.config_error"' in done.stdout


def test_validate_refuses_it_too(escaping_catalog, capsys):
    catalog, config = escaping_catalog
    code, _, err = pfbus(capsys, "validate", "--config", str(config), str(VALID))
    assert code == 2
    assert_named(err, catalog)
    code, _, err = pfbus(capsys, "validate", "--catalog", str(catalog), str(VALID))
    assert code == 2
    assert_named(err, catalog)


def test_config_check_reports_it(escaping_catalog, capsys):
    catalog, config = escaping_catalog
    code, out, _ = pfbus(capsys, "config", "check", "--config", str(config))
    assert code == 1 and "1 finding(s):" in out
    assert_named(out, catalog)


def test_validate_with_the_builtin_catalog(capsys):
    code, out, err = pfbus(capsys, "validate", "--catalog", "builtin", str(VALID))
    assert (code, err) == (0, "") and out == f"{VALID}: valid\n"


def test_config_check_of_the_example(capsys):
    code, out, _ = pfbus(capsys, "config", "check", "--config", str(EXAMPLE))
    assert code == 0, out
    assert "pfbus-builtin" in out and "131016 千代田区, 141003 横浜市" in out
    assert "subscribers       vendor-b-tax, vendor-c-kokuho" in out
    assert out.endswith("no findings: the hub would start with this configuration\n")


def test_config_check_names_a_misspelt_key(tmp_path, capsys):
    config = tmp_path / "hub.toml"
    config.write_text(EXAMPLE.read_text("utf-8").replace("max_message_bytes", "max_mesage_bytes"),
                      "utf-8")
    code, out, _ = pfbus(capsys, "config", "check", "--config", str(config))
    assert code == 1
    assert (f"{config}: hub.max_mesage_bytes: unknown key in [hub]; did you mean "
            f"max_message_bytes?") in out


def test_config_check_lists_every_finding(tmp_path, capsys):
    """Beyond the file: services of the catalogs, PEM contents and the archive key."""
    pki = tmp_path / "pki"
    make_test_ca(pki, adapters=["vendor-b-tax"])
    config = tmp_path / "hub.toml"
    config.write_text(textwrap.dedent(f"""\
        [hub.tls]
        certificate = "{pki / 'hub.pem'}"
        key = "{pki / 'vendor-b-tax.key'}"
        client_ca = "{pki / 'ca.pem'}"

        [store]
        archive = "sqlite:var/archive.sqlite3"
        archive_key_env = "PFBUS_NO_SUCH_VARIABLE"

        [[tenants]]
        local_gov_code = "131016"

        [[providers]]
        id = "vendor-a-juki"
        url = "https://127.0.0.1:9001/soap"

        [[routes]]
        local_gov_code = "131016"
        service = "juki.ResidentInquiryy"
        provider = "vendor-a-juki"

        [[adapters]]
        id = "vendor-b-tax"
        certificate_cn = "vendor-b-tax"
        parties = ["131016/07/vendor-b-tax"]

        [[access]]
        service = "juki.ResidentInquiy"
        local_gov_code = "131016"
        right = "call"
        adapters = ["vendor-b-tax"]
        """), encoding="utf-8")
    code, out, _ = pfbus(capsys, "config", "check", "--config", str(config))
    assert code == 1 and "4 finding(s):" in out, out
    assert f"{config}: routes[0].service: 'juki.ResidentInquiryy' is not defined" in out
    assert f"{config}: access[0].service: 'juki.ResidentInquiy' is not defined" in out
    assert f"{config}: hub.tls.key: {pki / 'vendor-b-tax.key'} is not the key of" in out
    assert f"{config}: store.archive_key_env: the environment variable " \
           f"PFBUS_NO_SUCH_VARIABLE" in out
    assert not (tmp_path / "var").exists()  # checking opens no store
