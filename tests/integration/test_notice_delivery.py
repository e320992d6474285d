"""異動通知 through the hub: accepted only once stored, delivered to every subscriber exactly
once (idempotent receivers), per resident in order, retried while a subscriber is down, dead
lettered by its policy and replayed by an operator. Real processes, real SQLite files."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.network import free_port
from tests.support.polling import wait_until

from .notice_tools import (addressee, applied, assert_exactly_once_in_order, hops, hub_config,
                           notice, publish)
from .processes import hub, pfbus, subscriber

pytestmark = pytest.mark.integration


def test_every_subscriber_gets_each_notice_once_in_per_resident_order(tmp_path, keep):
    _, a = subscriber(keep, tmp_path / "a.sqlite3")
    _, b = subscriber(keep, tmp_path / "b.sqlite3")
    config = hub_config(tmp_path / "hub.toml", f"sqlite:{tmp_path / 'notices.sqlite3'}",
                        {"tax": f"http://127.0.0.1:{a}/", "kokuho": f"http://127.0.0.1:{b}/"})
    url = hub(keep, config)
    acknowledged = {}

    def stream(who: str) -> None:  # one resident's notices in order, residents in parallel
        for sequence in range(1, 16):
            raw, mid = notice(who, sequence)
            assert publish(url, raw) == "accepted"
            acknowledged[mid] = (who, sequence)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(stream, [addressee(100 + i) for i in range(10)]))
    for db in (tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"):
        rows = wait_until(lambda db=db: len(applied(db)) >= len(acknowledged) and applied(db), 60,
                          f"{db.name} to apply {len(acknowledged)} notices")
        assert_exactly_once_in_order(rows, acknowledged)
    some = next(iter(acknowledged))
    attempts = [h for h in hops(tmp_path, message_id=some) if h.hop == "delivery"]
    assert sorted(h.provider for h in attempts) == ["kokuho", "tax"]  # every attempt is logged
    assert all(h.status == "ok" and h.attempt == 1 for h in attempts)


def test_a_duplicated_message_id_is_never_delivered_twice(tmp_path, keep):
    _, port = subscriber(keep, tmp_path / "a.sqlite3")
    url = hub(keep, hub_config(tmp_path / "hub.toml", f"sqlite:{tmp_path / 'n.sqlite3'}",
                               {"tax": f"http://127.0.0.1:{port}/"}))
    raw, mid = notice(addressee(7), 1)
    assert publish(url, raw) == "accepted"
    assert publish(url, raw) == "duplicate"
    wait_until(lambda: applied(tmp_path / "a.sqlite3"), 30, "delivery")
    assert publish(url, raw) == "duplicate"  # also after delivery
    later, later_id = notice(addressee(7), 2)
    assert publish(url, later) == "accepted"
    db = tmp_path / "a.sqlite3"
    rows = wait_until(lambda: len(applied(db)) == 2 and applied(db), 30, "the second notice")
    assert [r[0] for r in rows] == [mid, later_id]
    names = [h.hop for h in hops(tmp_path, message_id=mid)]
    assert names.count("accepted") == 1 and names.count("duplicate") == 2
    assert names.count("delivery") == 1


@pytest.mark.slow
def test_a_subscriber_down_receives_everything_once_back(tmp_path, keep):
    port = free_port()  # where the subscriber will listen once it is back
    config = hub_config(tmp_path / "hub.toml", f"sqlite:{tmp_path / 'n.sqlite3'}",
                        {"tax": f"http://127.0.0.1:{port}/"},
                        policy="max_attempts = 1000, backoff_initial = 0.05, backoff_max = 0.2")
    url = hub(keep, config)
    acknowledged = {}
    for i in range(30):
        raw, mid = notice(addressee(200 + i % 3), i // 3 + 1)
        assert publish(url, raw) == "accepted"
        acknowledged[mid] = True
    queue = pfbus("queue", "--config", str(config))
    assert "tax" in queue.stdout and queue.returncode == 0, queue.stdout + queue.stderr
    subscriber(keep, tmp_path / "a.sqlite3", "ok", port)
    db = tmp_path / "a.sqlite3"
    rows = wait_until(lambda: len(applied(db)) >= 30 and applied(db), 60,
                      "delivery after the subscriber came back")
    assert_exactly_once_in_order(rows, acknowledged)
    failed = hops(tmp_path, hop="delivery", status="error")
    assert failed and failed[0].fault_code == "PF-PROVIDER-UNREACHABLE"


@pytest.mark.slow
def test_always_failing_subscriber_ends_in_the_dead_letter_channel_and_replay_delivers(
        tmp_path, keep):
    failing, port = subscriber(keep, tmp_path / "a.sqlite3", "fail")
    config = hub_config(tmp_path / "hub.toml", f"sqlite:{tmp_path / 'n.sqlite3'}",
                        {"tax": f"http://127.0.0.1:{port}/"},
                        policy="max_attempts = 3, backoff_initial = 0.05, backoff_max = 0.1")
    url = hub(keep, config)
    ids = []
    for sequence in (1, 2):
        raw, mid = notice(addressee(300), sequence)
        assert publish(url, raw) == "accepted"
        ids.append(mid)

    def dead_letters():
        done = pfbus("dlq", "--config", str(config), "list", "--format", "json")
        return json.loads(done.stdout) and done.stdout  # one JSON document, [] while none

    listing = wait_until(dead_letters, 30, "the first notice to be dead-lettered")
    assert ids[0] in listing and "PF-PROVIDER-INTERNAL" in listing
    queue = pfbus("queue", "--config", str(config))
    assert queue.returncode == 3 and "EXHAUSTED" in queue.stdout  # visible at a glance
    assert not applied(tmp_path / "a.sqlite3")
    assert [h.attempt for h in hops(tmp_path, message_id=ids[0])
            if h.hop in ("delivery", "dead_lettered")] == [1, 2, 3]
    failing.stop()
    subscriber(keep, tmp_path / "a.sqlite3", "ok", port)  # fixed
    replay = pfbus("dlq", "--config", str(config), "replay", "--subscriber", "tax")
    assert replay.returncode == 0, replay.stderr
    db = tmp_path / "a.sqlite3"
    rows = wait_until(lambda: len(applied(db)) == 2 and applied(db), 30, "replayed delivery")
    assert [r[0] for r in rows] == ids  # the later 異動 waited for the earlier one
    assert pfbus("queue", "--config", str(config)).returncode == 0
    assert any(h.hop == "replayed" for h in hops(tmp_path, message_id=ids[0]))
