"""Building, publishing and checking change notices (異動通知) in delivery tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests
from lxml import etree

from adapters.sdk.seed import with_m11_check
from bus.core.faults import FAULT_NS
from bus.core.header import Party, PlatformHeader
from tests.support.routing_log import read_hops

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"
RECEIPT = "{urn:pfbus:platform:receipt:v1}"
PUBLISHER = Party("131016", "01", "vendor-a-juki")
HUB_CHANNEL = Party("131016", "01", "hub")


def addressee(n: int) -> str:
    """A valid 10-digit 宛名番号 of 千代田区 (serials with remainder 1 are skipped)."""
    while True:
        try:
            return with_m11_check(n)
        except ValueError:
            n += 100_000


def notice(addressee_number: str, sequence: int) -> tuple[bytes, str]:
    """A one-change 異動通知 about one resident: (envelope bytes, message ID)."""
    header = PlatformHeader.new(sender=PUBLISHER, receiver=HUB_CHANNEL,
                                service_id="juki.ResidentChangeNotice", user_id="juki-batch")
    address = ("<c:Address><c:Prefecture>東京都</c:Prefecture><c:City>千代田区</c:City>"
               f"<c:Town>霞が関</c:Town><c:Chome>{sequence % 9 + 1}</c:Chome></c:Address>")
    body = f"""<j:ResidentChangeNotice xmlns:j="{JUKI}" xmlns:c="{CMN}">
  <j:Change>
    <j:Sequence>{sequence}</j:Sequence>
    <j:Event><c:Reason>C01</c:Reason><c:OccurredOn>2026-11-27</c:OccurredOn></j:Event>
    <j:Resident>
      <c:AddresseeNumber>{addressee_number}</c:AddresseeNumber>
      <c:HouseholdNumber>{addressee_number}</c:HouseholdNumber>
      <c:Name><c:Text>総務翔子</c:Text><c:Kana><c:Family>ソウム</c:Family><c:Given>ショウコ</c:Given></c:Kana></c:Name>
      <c:DateOfBirth>1990-04-01</c:DateOfBirth><c:Gender>2</c:Gender>
      <c:Relationship>01</c:Relationship><c:ResidentKind>1</c:ResidentKind>
      <c:ResidentStatus>1</c:ResidentStatus>
      {address}
    </j:Resident>
  </j:Change>
</j:ResidentChangeNotice>"""
    raw = (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{SOAP11}">'
           f'<soap:Header>{etree.tostring(header.to_element()).decode()}</soap:Header>'
           f'<soap:Body>{body}</soap:Body></soap:Envelope>').encode()
    return raw, header.message_id


def _post(hub_url: str, raw: bytes, timeout: float) -> requests.Response:
    return requests.post(f"{hub_url}/services/juki.ResidentChangeNotice", data=raw,
                         headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=timeout)


def publish(hub_url: str, raw: bytes, timeout: float = 30) -> str:
    """POST a notice; the receipt's status (accepted / duplicate). Raises on anything else."""
    response = _post(hub_url, raw, timeout)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:500]}")
    return etree.fromstring(response.content).findtext(f".//{RECEIPT}Status")


# docs/faults.md: a notice refused with these was not stored ("nothing was accepted", "nothing
# was processed"); any other outcome without a receipt may or may not have been
NOTHING_STORED = frozenset({"PF-HUB-STOPPING", "PF-STORE-UNAVAILABLE"})


def publish_outcome(hub_url: str, raw: bytes, timeout: float = 30) -> str:
    """POST a notice once: the receipt's status (accepted / duplicate), the fault code the hub
    answered, or ``no answer: <exception>`` when no HTTP answer came back."""
    try:
        response = _post(hub_url, raw, timeout)
    except requests.RequestException as exc:
        return f"no answer: {exc.__class__.__name__}"
    doc = etree.fromstring(response.content)
    if response.status_code == 200:
        return doc.findtext(f".//{RECEIPT}Status")
    return doc.findtext(f".//{{{FAULT_NS}}}Code") or f"HTTP {response.status_code}"


def hub_config(path: Path, store_url: str, subscribers: dict[str, str], *,
               policy: str = "max_attempts = 5, backoff_initial = 0.05, backoff_max = 0.5",
               node_id: str = "node-1") -> Path:
    lines = [f'[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\nnode_id = "{node_id}"\n',
             f'[store]\nrouting_log = "log-{node_id}.sqlite3"\nnotices = "{store_url}"\n',
             '[[tenants]]\nlocal_gov_code = "131016"\nname = "千代田区"\n']
    # These tests publish from one sender as fast as they can: above the default adapter limits.
    lines[0] += "limits = { rate = 10000.0, burst = 10000, concurrency = 64 }\n"
    for name, url in subscribers.items():
        lines.append(f'[[providers]]\nid = "{name}"\nurl = "{url}"\ntimeout = 5.0\n'
                     f'delivery = {{ {policy} }}\n')
        lines.append(f'[[subscriptions]]\nlocal_gov_code = "131016"\n'
                     f'service = "juki.ResidentChangeNotice"\nsubscriber = "{name}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def applied(db: Path) -> list[tuple[str, str, int]]:
    """(message ID, 宛名番号, 異動連番) in the order the subscriber applied them."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT message_id, addressee, sequence FROM applied ORDER BY id"
                            ).fetchall()
    finally:
        conn.close()


def assert_exactly_once_in_order(rows, acknowledged: dict[str, tuple[str, int]]) -> None:
    """Every acknowledged notice applied exactly once, each resident's in 異動連番 order."""
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "a notice was applied twice"
    assert set(ids) == set(acknowledged), (
        f"missing {len(set(acknowledged) - set(ids))}, unexpected {len(set(ids) - set(acknowledged))}")
    last: dict[str, int] = {}
    for _, who, sequence in rows:
        assert sequence > last.get(who, 0), f"{who}: {sequence} applied after {last[who]}"
        last[who] = sequence


def hops(tmp, **query):
    """The routing log of a hub_config hub in ``tmp`` (node-1), queried."""
    return read_hops(tmp / "log-node-1.sqlite3", **query)


def drain_config(tmp: Path, store_url: str, subscribers: dict[str, str], provider_url: str,
                 extra_hub: str = "") -> Path:
    """hub_config's hub, with ``extra_hub`` lines in [hub] and juki.ResidentInquiry routed to
    the provider at ``provider_url`` (the drain tests)."""
    config = hub_config(tmp / "hub.toml", store_url, subscribers)
    text = config.read_text(encoding="utf-8").replace("[hub]\n", f"[hub]\n{extra_hub}", 1)
    text += (f'\n[[providers]]\nid = "registry"\nurl = "{provider_url}"\ntimeout = 20.0\n'
             '\n[[routes]]\nlocal_gov_code = "131016"\nservice = "juki.ResidentInquiry"\n'
             'provider = "registry"\n')
    config.write_text(text, encoding="utf-8")
    return config
