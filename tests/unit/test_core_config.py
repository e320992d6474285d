"""Hub configuration (bus.core.config): the example loads; every error names the file and the
key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bus.core.config import ConfigError, load_config, parse_config
from bus.core.envelope import Limits
from bus.core.identifiers import DEFAULT_ADDRESSEE_SCHEME, Modulus11Scheme, NoCheckDigit
from schemas import BUILTIN_CATALOG

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hub.toml"

MINIMAL = """\
[[tenants]]
local_gov_code = "131016"

[[providers]]
id = "vendor-a"
url = "http://127.0.0.1:9001/soap"

[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "vendor-a"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path.resolve()}: "), message
    return message


def test_example_config_loads():
    config = load_config(EXAMPLE)
    assert (config.host, config.port) == ("127.0.0.1", 8080)
    assert config.public_url is None
    assert config.limits == Limits(max_bytes=8388608, max_depth=64)
    assert config.max_connections_per_provider == 64
    assert config.routing_log == EXAMPLE.parent / "var" / "routing-log.sqlite3"
    assert config.catalogs == (BUILTIN_CATALOG,)
    assert config.tenants["131016"].name == "千代田区"
    assert config.tenants["131016"].addressee_scheme == Modulus11Scheme((2, 3, 4, 5, 6, 7), 0, 10)
    assert config.tenants["141003"].addressee_scheme == NoCheckDigit()
    route = config.registry.route("131016", "juki.ResidentInquiry")
    assert route.provider.id == "vendor-a-juki" and route.timeout == 10.0
    assert config.registry.route("131016", "kojinjuminzei.TaxationStatusInquiry").provider.url == \
        "http://127.0.0.1:9002/soap"
    assert config.registry.route("141003", "juki.ResidentInquiry") is None
    assert len(config.registry) == 4
    assert [p.id for p in config.registry.subscribers("131016", "juki.ResidentChangeNotice")] == \
        ["vendor-b-tax", "vendor-c-kokuho"]
    assert config.notice_store == "sqlite:" + str(EXAMPLE.parent / "var" / "notices.sqlite3")


def test_empty_config_has_defaults(tmp_path):
    config = load_config(write(tmp_path, ""))
    assert (config.host, config.port) == ("127.0.0.1", 8080)
    assert config.catalogs == (BUILTIN_CATALOG,)
    assert config.tenants == {} and len(config.registry) == 0
    assert config.routing_log == tmp_path.resolve() / "var" / "routing-log.sqlite3"


def test_minimal_config(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + """
        [hub]
        listen = "[::1]:0"
        public_url = "https://hub.example.lg.jp"
        """))
    assert (config.host, config.port) == ("[::1]", 0)
    assert config.public_url == "https://hub.example.lg.jp"
    assert config.tenants["131016"].addressee_scheme is DEFAULT_ADDRESSEE_SCHEME
    assert config.registry.route("131016", "juki.ResidentInquiry").timeout == 10.0
    assert config.with_port(9999).port == 9999


def test_route_timeout_overrides_the_providers(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + "timeout = 2.5\n"))
    assert config.registry.route("131016", "juki.ResidentInquiry").timeout == 2.5


def test_addressee_number_schemes(tmp_path):
    config = load_config(write(tmp_path, """\
        [[tenants]]
        local_gov_code = "131016"
        addressee_number = { weights = [1, 3, 7], remainder_one = 1, length = 8 }

        [[tenants]]
        local_gov_code = "141003"
        addressee_number = { scheme = "none", length = 12 }
        """))
    assert config.tenants["131016"].addressee_scheme == Modulus11Scheme((1, 3, 7), 1, 8)
    assert config.tenants["141003"].addressee_scheme == NoCheckDigit(12)


def test_extra_catalog_is_resolved_next_to_the_config(tmp_path):
    (tmp_path / "official").mkdir()
    (tmp_path / "official" / "catalog.toml").write_text("format = 1\n")
    config = load_config(write(tmp_path,
                               '[schemas]\ncatalogs = ["builtin", "official/catalog.toml"]\n'))
    assert config.catalogs == (BUILTIN_CATALOG, (tmp_path / "official" / "catalog.toml").resolve())


def test_parse_config_without_a_file():
    with pytest.raises(ConfigError, match=r"^<config>: hub\.listen: "):
        parse_config({"hub": {"listen": "nowhere"}}, None)


ROUTE_B = """
[[providers]]
id = "vendor-b"
url = "http://127.0.0.1:9002/soap"

[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "vendor-b"
"""


@pytest.mark.parametrize("text, key, detail", [
    ('[hub]\nlisten = "localhost"\n', "hub.listen", "HOST:PORT"),
    ('[hub]\nlisten = ":8080"\n', "hub.listen", "HOST:PORT"),
    ('[hub]\nlisten = "127.0.0.1:65536"\n', "hub.listen", "HOST:PORT"),
    ('[hub]\nlisten = "127.0.0.1:http"\n', "hub.listen", "HOST:PORT"),
    ("[hub]\nlisten = 8080\n", "hub.listen", "must be a string"),
    ('[hub]\npublic_url = "hub.example.lg.jp"\n', "hub.public_url", "http:// or https://"),
    ("[hub]\nmax_depth = 0\n", "hub.max_depth", "positive integer"),
    ("[hub]\nmax_message_bytes = -1\n", "hub.max_message_bytes", "positive integer"),
    ('[hub]\nmax_depth = "64"\n', "hub.max_depth", "must be an integer"),
    ("[hub]\nmax_depth = true\n", "hub.max_depth", "must be an integer"),
    ("[hub]\nmax_connections_per_provider = 0\n", "hub.max_connections_per_provider", "positive"),
    ('hub = "x"\n', "hub", "must be a table"),
    ("[logging]\nlevel = 1\n", "logging", "unknown key in the file's top level"),
    ("[store]\nrouting_log = 5\n", "store.routing_log", "must be a string"),
    ('[schemas]\ncatalogs = "builtin"\n', "schemas.catalogs", "must be a list"),
    ("[schemas]\ncatalogs = [1]\n", "schemas.catalogs[0]", "must be a string"),
    ('[schemas]\ncatalogs = ["builtin", "missing.toml"]\n', "schemas.catalogs[1]",
     "file not found"),
    ('[tenants]\nlocal_gov_code = "131016"\n', "tenants", "array of tables"),
    ('[[tenants]]\nlocal_gov_code = "131017"\n', "tenants[0].local_gov_code",
     "not a valid 団体コード"),
    ('[[tenants]]\nlocal_gov_code = "１３１０１６"\n', "tenants[0].local_gov_code",
     "not a valid 団体コード"),
    ("[[tenants]]\nlocal_gov_code = 131016\n", "tenants[0].local_gov_code", "must be a string"),
    ('[[tenants]]\nlocal_gov_code = "131016"\n[[tenants]]\nlocal_gov_code = "131016"\n',
     "tenants[1].local_gov_code", "listed twice"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { scheme = "luhn" }\n',
     "tenants[0].addressee_number.scheme", "modulus11"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { weights = [] }\n',
     "tenants[0].addressee_number.weights", "at least one"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { weights = [2, 11] }\n',
     "tenants[0].addressee_number.weights[1]", "an integer from 1 to 10"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { weights = ["2"] }\n',
     "tenants[0].addressee_number.weights[0]", "must be an integer"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { weights = [true, 3] }\n',
     "tenants[0].addressee_number.weights[0]", "must be an integer"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { weights = 7 }\n',
     "tenants[0].addressee_number.weights", "must be a list"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = { length = "10" }\n',
     "tenants[0].addressee_number.length", "must be an integer"),
    ('[[tenants]]\nlocal_gov_code = "131016"\naddressee_number = "m11"\n',
     "tenants[0].addressee_number", "must be a table"),
    ('[[providers]]\nurl = "http://x"\n', "providers[0].id", "is required"),
    ('[[providers]]\nid = "a"\nurl = "ftp://x"\n', "providers[0].url", "http:// or https://"),
    ('[[providers]]\nid = "a"\nurl = "http://x"\ntimeout = 0\n', "providers[0].timeout",
     "positive"),
    ('[[providers]]\nid = "a"\nurl = "http://x"\ntimeout = -1.5\n', "providers[0].timeout",
     "positive"),
    ('[[providers]]\nid = "a"\nurl = "http://x"\ntimeout = "10"\n', "providers[0].timeout",
     "must be a duration"),
    ('[[providers]]\nid = "a"\nurl = "http://x"\n[[providers]]\nid = "a"\nurl = "http://y"\n',
     "providers[1].id", "listed twice"),
    (MINIMAL.replace('provider = "vendor-a"', 'provider = "vendor-z"'), "routes[0].provider",
     "no [[providers]] entry with id 'vendor-z'"),
    (MINIMAL.replace('local_gov_code = "131016"\nservice', 'local_gov_code = "141003"\nservice'),
     "routes[0].local_gov_code", "not among [[tenants]]"),
    (MINIMAL.replace('service = "juki.ResidentInquiry"\n', ""), "routes[0].service", "required"),
    (MINIMAL + ROUTE_B, "routes[1]", "a second route for juki.ResidentInquiry of 131016"),
    (MINIMAL + "timeout = 0\n", "routes[0].timeout", "positive"),
    (MINIMAL + "timeout = -3\n", "routes[0].timeout", "positive"),
    (MINIMAL + "timeout = true\n", "routes[0].timeout", "must be a duration"),
])
def test_errors_name_file_and_key(tmp_path, text, key, detail):
    message = error_of(tmp_path, text)
    assert f": {key}: " in message, message
    assert detail in message, message


def test_bad_toml_names_the_file(tmp_path):
    assert "not valid TOML" in error_of(tmp_path, "[hub\n")


def test_missing_config_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read") as info:
        load_config(tmp_path / "absent.toml")
    assert str(tmp_path / "absent.toml") in str(info.value)


def test_keys_declared_for_drain_replay_backlog_admin_and_retention(tmp_path):
    defaults = load_config(write(tmp_path, ""))
    assert (defaults.drain_timeout, defaults.backlog, defaults.replay_window,
            defaults.clock_skew, defaults.max_age) == (30.0, 1024, 86400.0, 300.0, 3600.0)
    assert defaults.admin is None
    assert defaults.retention.routing_log == 5 * 365 * 86400.0
    config = load_config(write(tmp_path, """\
        [hub]
        drain_timeout = "2m"
        backlog = 4096
        replay_window = "7d"
        clock_skew = 90
        max_age = "1.5h"

        [admin]
        listen = "127.0.0.1:0"

        [retention]
        routing_log = "10y"
        archive = "forever"
        """))
    assert (config.drain_timeout, config.backlog, config.replay_window, config.clock_skew,
            config.max_age) == (120.0, 4096, 7 * 86400.0, 90.0, 5400.0)
    assert (config.admin.host, config.admin.port) == ("127.0.0.1", 0)
    assert config.retention.routing_log == 10 * 365 * 86400.0
    assert config.retention.archive is None  # kept for ever
    assert config.retention.dead_letters == 365 * 86400.0


@pytest.mark.parametrize("text, key, detail", [
    ('[hub]\ndrain_timeout = "soon"\n', "hub.drain_timeout", 'such as "30s"'),
    ("[hub]\ndrain_timeout = 0\n", "hub.drain_timeout", "positive duration"),
    ('[retention]\nrouting_log = "5 years"\n', "retention.routing_log", '"forever"'),
    ('[admin]\nlisten = "0.0.0.0:9090"\n', "admin.listen", "not a loopback address"),
    ('[admin]\nlisten = "9090"\n', "admin.listen", "HOST:PORT"),
    ('[store]\nrouting_log = "postgresql://db/pfbus?schema=Log-1"\n', "store.routing_log",
     "lower-case letters"),
    ('[store]\nseen_messages = "postgresql://db/pfbus?schema=Seen"\n', "store.seen_messages",
     "lower-case letters"),
    ('[store]\nseen_messages = "var/seen.sqlite3"\n', "store.seen_messages", "sqlite:PATH"),
])
def test_errors_of_the_new_keys(tmp_path, text, key, detail):
    message = error_of(tmp_path, text)
    assert f": {key}: " in message and detail in message, message


def test_a_postgresql_routing_log_is_taken_as_its_url(tmp_path):
    """issue 13 item 5: the URL is the log, and by default the seen MessageIds' database too
    (one table for every hub of the cluster: a replay to another node is refused)."""
    config = load_config(write(tmp_path, '[store]\nrouting_log = "postgresql://db/x?schema=log"\n'))
    assert config.routing_log_location == "postgresql://db/x?schema=log"
    assert config.seen_messages_location == "postgresql://db/x?schema=log"


def test_seen_messages_default_beside_the_log_file_or_as_given(tmp_path):
    config = load_config(write(tmp_path, '[store]\nrouting_log = "log/r.sqlite3"\n'))
    assert config.seen_messages_location == f"sqlite:{(tmp_path / 'log/r.seen.sqlite3').resolve()}"
    config = load_config(write(tmp_path, '[store]\nrouting_log = "postgresql://db/x"\n'
                                         'seen_messages = "sqlite:var/s.sqlite3"\n'))
    assert config.seen_messages_location == f"sqlite:{(tmp_path / 'var/s.sqlite3').resolve()}"
    config = load_config(write(tmp_path, '[store]\nseen_messages = "postgresql://db/y?schema=s"\n'))
    assert config.seen_messages_location == "postgresql://db/y?schema=s"
