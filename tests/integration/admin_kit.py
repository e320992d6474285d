"""A hub with its admin listener, for the operators' tests (metrics, readiness, maintenance,
pause, the console): vendor A's registry as the provider of juki.ResidentInquiry, a working
subscriber (vendor-c-kokuho) and one that is down (vendor-b-tax: its notices become dead letters).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import requests
from lxml import etree

from adapters.vendor_a_registry.store import SEED_RESIDENTS
from bus.core.header import Party, PlatformHeader

from tests.support.network import free_port

from .processes import Process, python

OPERATOR_TOKEN = "op-token-0123456789abcdef"
VIEWER_TOKEN = "view-token-0123456789abcdef"
SHOKO = SEED_RESIDENTS[0]
JUKI = "urn:pfbus:unit:juki:v1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"



def write_config(tmp: Path, registry_url: str, subscriber_url: str) -> Path:
    (tmp / "tokens").write_text(f"# ROLE NAME TOKEN\noperator alice {OPERATOR_TOKEN}\n"
                                f"viewer bob {VIEWER_TOKEN}\n", encoding="utf-8")
    text = "\n".join([
        '[hub]', 'listen = "127.0.0.1:0"', 'node_id = "ops-1"', 'allow_plain_http = true',
        'limits = { rate = 10000.0, burst = 10000, concurrency = 64 }', '',
        '[admin]', 'listen = "127.0.0.1:0"', 'token_file = "tokens"', 'session_ttl = 600',
        'retry_after = 30', '',
        '[store]', 'routing_log = "routing.sqlite3"', 'notices = "sqlite:notices.sqlite3"', '',
        '[[tenants]]', 'local_gov_code = "131016"', 'name = "千代田区"', '',
        '[[providers]]', 'id = "vendor-a-juki"', f'url = "{registry_url}"', '',
        '[[providers]]', 'id = "vendor-b-tax"', f'url = "http://127.0.0.1:{free_port()}/"',
        'timeout = 2.0', 'delivery = { max_attempts = 2, backoff_initial = 0.05, '
        'backoff_max = 0.1 }', '',
        '[[providers]]', 'id = "vendor-c-kokuho"', f'url = "{subscriber_url}"', 'timeout = 5.0',
        '',
        '[[routes]]', 'local_gov_code = "131016"', 'service = "juki.ResidentInquiry"',
        'provider = "vendor-a-juki"', '',
        *[line for sub in ("vendor-b-tax", "vendor-c-kokuho") for line in (
            '[[subscriptions]]', 'local_gov_code = "131016"',
            'service = "juki.ResidentChangeNotice"', f'subscriber = "{sub}"', '')]])
    path = tmp / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def inquiry(value: str = SHOKO["宛名番号"], by: str = "AddresseeNumber") -> tuple[bytes, str]:
    header = PlatformHeader.new(sender=Party("131016", "07", "vendor-b-tax"),
                                receiver=Party("131016", "01", "vendor-a-juki"),
                                service_id="juki.ResidentInquiry", user_id="tax-clerk-01")
    raw = (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{SOAP11}">'
           f'<soap:Header>{etree.tostring(header.to_element()).decode()}</soap:Header>'
           f'<soap:Body><j:ResidentInquiryRequest xmlns:j="{JUKI}"><j:{by}>{value}</j:{by}>'
           f'</j:ResidentInquiryRequest></soap:Body></soap:Envelope>').encode()
    return raw, header.message_id


def post(hub_url: str, raw: bytes) -> requests.Response:
    return requests.post(f"{hub_url}/services/juki.ResidentInquiry", data=raw, timeout=30,
                         headers={"Content-Type": "text/xml; charset=utf-8"})


@dataclass
class AdminHub:
    tmp: Path
    config: Path
    hub: Process
    url: str
    admin_url: str

    def restart(self) -> None:
        self.hub.stop()
        self.hub, self.url, self.admin_url = start(self.config)


def start(config: Path) -> tuple[Process, str, str]:
    hub = python("-m", "bus.cli.main", "serve", "--config", str(config))
    try:
        url = hub.wait_for("hub.listening")["url"]
        admin_url = hub.wait_for("admin.listening")["url"]
    except Exception:
        hub.stop()
        raise
    return hub, url, admin_url


def start_kit(tmp: Path, keep) -> AdminHub:
    """Processes registered with ``keep`` (stopped last-started first)."""
    registry = keep(python("-m", "adapters.vendor_a_registry", "--db", str(tmp / "a.sqlite3"),
                           "--seed"))
    registry_url = registry.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
    subscriber = keep(python("-m", "tests.integration.fake_subscriber", str(tmp / "c.sqlite3"),
                             "ok"))
    port = subscriber.wait_json(lambda d: "port" in d)["port"]
    config = write_config(tmp, registry_url, f"http://127.0.0.1:{port}/")
    hub, url, admin_url = start(config)
    kit = AdminHub(tmp, config, hub, url, admin_url)
    keep(_Stopper(kit))
    return kit


class _Stopper:
    """Stops whichever hub process the kit runs now (restart() replaces it)."""

    def __init__(self, kit: AdminHub):
        self.kit = kit

    def stop(self) -> None:
        self.kit.hub.stop()


def scrape(admin_url: str) -> dict[tuple[str, tuple], float]:
    """/metrics as {(name, sorted label pairs): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{admin_url}/metrics", timeout=10).text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name, tuple(sorted(s.labels.items()))] = s.value
    return out


def api(admin_url: str, method: str, path: str, token: str = OPERATOR_TOKEN, body=None):
    return requests.request(method, f"{admin_url}{path}", timeout=30, data=json.dumps(body)
                            if body is not None else None,
                            headers={"Authorization": f"Bearer {token}"})
