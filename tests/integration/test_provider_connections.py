"""``[hub] max_connections_per_provider`` caps the connections open to a provider, counted on the
provider's side: requests beyond the cap wait for a connection (their timeout counting from
arrival), and one that waits too long gets the hub's PF-PROVIDER-TIMEOUT without reaching the
provider. Twisted's pool alone capped only the idle connections (issue 13: 290–451 open at once
with a cap of 64)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.polling import wait_until
from tests.support.soap import fault_detail
from tests.support.soap import inquiry_envelope as envelope

from .processes import python, start_hub

pytestmark = pytest.mark.integration

QUEUED = "no connection to the provider free"


OTHER_CITY = "011002"  # a second municipality whose route to the same provider is shorter


def start(tmp_path, keep, delay: float, cap: int, timeout: float, other_timeout: float = 30.0,
          *provider_args: str, hub_settings: str = ""):
    provider = keep(python("-m", "tests.integration.counting_provider", str(delay),
                           *provider_args))
    port = provider.wait_json(lambda d: "port" in d)["port"]
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n'
        f'max_connections_per_provider = {cap}\n{hub_settings}'
        'limits = { rate = 1000.0, burst = 1000, concurrency = 64 }\n'
        '[store]\nrouting_log = "log.sqlite3"\n'
        '[[tenants]]\nlocal_gov_code = "131016"\n'
        f'[[providers]]\nid = "registry"\nurl = "http://127.0.0.1:{port}/"\n'
        f'timeout = {timeout}\n'
        '[[routes]]\nlocal_gov_code = "131016"\nservice = "juki.ResidentInquiry"\n'
        'provider = "registry"\n'
        f'[[tenants]]\nlocal_gov_code = "{OTHER_CITY}"\n'
        f'[[routes]]\nlocal_gov_code = "{OTHER_CITY}"\nservice = "juki.ResidentInquiry"\n'
        f'provider = "registry"\ntimeout = {other_timeout}\n', encoding="utf-8")
    hub, url = start_hub(config)
    keep(hub)
    return url, f"http://127.0.0.1:{port}/connections"


def inquire(url: str, receiver_code: str = "131016") -> requests.Response:
    raw, _mid = envelope(receiver_code=receiver_code)
    return requests.post(f"{url}/services/juki.ResidentInquiry", data=raw,
                         headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)


def inquire_at_once(url: str, count: int) -> list[requests.Response]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: inquire(url), range(count)))


def test_at_most_n_connections_are_open_to_a_slow_provider_and_all_are_answered(tmp_path, keep):
    url, counts = start(tmp_path, keep, delay=0.5, cap=3, timeout=30.0)
    answers = inquire_at_once(url, 12)
    assert [a.status_code for a in answers] == [200] * 12, [a.text[:300] for a in answers]
    assert all(b"ResidentInquiryResponse" in a.content for a in answers)
    seen = requests.get(counts, timeout=5).json()
    assert seen["received"] == 12
    assert 1 <= seen["max_open"] <= 3, seen  # 12 without the cap: one connection per request


def test_a_request_waiting_for_a_connection_times_out_from_its_arrival(tmp_path, keep):
    # One connection, held 10 s by the first inquiry (route timeout 30 s); the second's route
    # gives it 1 s: it waits for the connection, is answered PF-PROVIDER-TIMEOUT after its 1 s
    # and never reaches the provider; the first is answered. The hold is long because the poll
    # below sees the first inquiry's arrival only after the fact: the second must still find
    # the connection held 1 s after it reaches the hub (a 2 s hold left 1 s for the poll, a new
    # connection and the hub's checks on a loaded host).
    url, counts = start(tmp_path, keep, delay=10.0, cap=1, timeout=30.0, other_timeout=1.0)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(inquire, url)
        wait_until(lambda: requests.get(counts, timeout=5).json()["received"] == 1, 20,
                   "the first inquiry at the provider")
        waiting = inquire(url, OTHER_CITY)
        assert waiting.status_code == 500, waiting.text
        detail = fault_detail(waiting)
        assert detail["code"] == "PF-PROVIDER-TIMEOUT" and detail["party"] == "provider", detail
        assert QUEUED in detail["findings"][0]["Message"], detail
        assert "within 1 s" in detail["findings"][0]["Message"]
        assert requests.get(counts, timeout=5).json()["received"] == 1  # never sent
        answered = first.result()
    assert answered.status_code == 200 and b"ResidentInquiryResponse" in answered.content
    seen = requests.get(counts, timeout=5).json()
    assert (seen["received"], seen["max_open"]) == (1, 1), seen


def hub_connections_to(port: int) -> int:
    """Established TCP connections to ``port`` on 127.0.0.1, counted on the connecting side
    (the hub's): Twisted's server, which reads nothing while it handles a request, would not
    notice them closed."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port and fields[3] == "01":  # ESTABLISHED
            count += 1
    return count


def test_an_answer_cut_by_the_timeout_closes_its_connection(tmp_path, keep):
    # The provider sends the head and half the body, then nothing. The timeout closes that
    # connection: it is not left open with an answer half read while its slot is reused (the
    # cap of 1 would then allow a second open connection).
    url, counts = start(tmp_path, keep, 0.0, 1, 1.0, 30.0, "stall-body")
    port = urlsplit(counts).port
    assert port is not None
    for _ in range(2):
        answer = inquire(url)
        detail = fault_detail(answer)
        assert detail["code"] == "PF-PROVIDER-TIMEOUT", detail
        assert "no complete answer within 1 s" in detail["findings"][0]["Message"], detail
        wait_until(lambda: hub_connections_to(port) == 0, 10, "the cut connection closed")
    assert requests.get(counts, timeout=5).json()["received"] == 2


@pytest.mark.parametrize("mode", ["huge-body", "huge-chunked"])
def test_an_answer_larger_than_the_message_limit_is_cut_and_its_connection_closed(tmp_path, keep,
                                                                                 mode):
    # An answer is held in memory until it is checked: bounded by [hub] max_message_bytes like
    # a request. 1 MB over a limit of 64 KiB: refused from its Content-Length, or cut as the
    # chunks pass the limit; the client gets the hub's fault, the connection is not reused.
    url, counts = start(tmp_path, keep, 0.0, 1, 10.0, 30.0, mode,
                        hub_settings="max_message_bytes = 65536\n")
    port = urlsplit(counts).port
    assert port is not None
    for _ in range(2):  # the second finds no half-read connection in the pool
        detail = fault_detail(inquire(url))
        assert detail["code"] == "PF-PROVIDER-INVALID-RESPONSE", detail
        assert detail["findings"][0]["Rule"] == "provider:max_bytes", detail
        assert "larger than 65536 bytes" in detail["findings"][0]["Message"], detail
        wait_until(lambda: hub_connections_to(port) == 0, 10, "the cut connection closed")
    assert requests.get(counts, timeout=5).json()["received"] == 2


def test_a_malformed_answer_is_refused_and_its_connection_closed(tmp_path, keep):
    # Framed two ways (two Content-Length headers, equal even): the hub does not guess which
    # bytes are the answer; the client gets the hub's fault naming the rule, and the
    # connection, which the provider leaves open, is closed by the hub.
    url, counts = start(tmp_path, keep, 0.0, 1, 10.0, 30.0, "two-lengths")
    port = urlsplit(counts).port
    assert port is not None
    for _ in range(2):
        detail = fault_detail(inquire(url))
        assert detail["code"] == "PF-PROVIDER-UNREACHABLE", detail
        assert detail["findings"][0]["Rule"] == "provider:connection", detail
        assert "more than one Content-Length" in detail["findings"][0]["Message"], detail
        wait_until(lambda: hub_connections_to(port) == 0, 10, "the refused connection closed")
    assert requests.get(counts, timeout=5).json()["received"] == 2
