"""The listening sockets' accept queue: ``[hub] backlog`` for the hub, ``--backlog`` for an
adapter served by the SDK's runner (Twisted's own default, 50, overflowed at a few hundred
clients: issue 13). Read back from the kernel with ``ss``."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.sockets import listen_backlog, somaxconn

from .processes import python, start_hub

pytestmark = pytest.mark.integration


def hub_config(tmp_path, extra: str = ""):
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n{extra}'
                      '[store]\nrouting_log = "log.sqlite3"\n'
                      'notices = "sqlite:notices.sqlite3"\n'
                      '[[tenants]]\nlocal_gov_code = "131016"\n', encoding="utf-8")
    return config


def port_of(url: str) -> int:
    return int(urlsplit(url).port or 0)


@pytest.mark.parametrize("extra, expected", [("backlog = 777\n", 777), ("", 1024)],
                         ids=["configured", "default"])
def test_hub_listens_with_the_backlog_of_its_config(tmp_path, keep, extra, expected):
    assert somaxconn() >= expected  # else the kernel caps it and the test proves nothing
    hub, url = start_hub(hub_config(tmp_path, extra))
    keep(hub)
    assert listen_backlog(port_of(url)) == expected


@pytest.mark.parametrize("args, expected", [(("--backlog", "333"), 333), ((), 1024)],
                         ids=["configured", "default"])
def test_adapter_runner_listens_with_its_backlog(tmp_path, keep, args, expected):
    registry = keep(python("-m", "adapters.vendor_a_registry", "--db",
                           str(tmp_path / "a.sqlite3"), *args))
    url = registry.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
    assert listen_backlog(port_of(url)) == expected
