"""``pfbus serve --workers N``: the count (``[hub] workers``, ``--workers``, ``auto``) and each
worker's identity in the stores (bus/hub/workers.py). The processes themselves:
tests/integration/test_workers.py."""

from __future__ import annotations

import argparse
import os

from pathlib import Path

import pytest

from bus.cli import serve_command
from bus.core.config import ConfigError, load_config
from bus.hub.workers import SINGLE, WorkerRole, parse_worker, worker_argument


def config_with(tmp_path, line: str):
    path = tmp_path / "hub.toml"
    path.write_text(f"[hub]\n{line}\n", encoding="utf-8")
    return path


def test_workers_key_counts_or_auto(tmp_path):
    assert load_config(config_with(tmp_path, "")).workers == 1
    assert load_config(config_with(tmp_path, "workers = 3")).workers == 3
    assert load_config(config_with(tmp_path, 'workers = "auto"')).workers == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-2", '"many"', "1.5", "true"])
def test_a_bad_workers_value_names_the_key_and_the_file(tmp_path, value):
    path = config_with(tmp_path, f"workers = {value}")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path.resolve()}: hub.workers: ")
    assert 'must be a positive integer or "auto"' in str(info.value)


def test_the_flag_takes_a_count_or_auto():
    parser = argparse.ArgumentParser()
    serve_command.add_arguments(parser)
    config = ["--config", "hub.toml"]
    assert parser.parse_args([*config, "--workers", "2"]).workers == 2
    assert parser.parse_args([*config, "--workers", "auto"]).workers == len(os.sched_getaffinity(0))
    assert parser.parse_args(config).workers is None  # then [hub] workers decides
    with pytest.raises(SystemExit):
        parser.parse_args([*config, "--workers", "0"])


def test_worker_one_is_the_hub_of_one_process_the_others_are_their_own_node():
    log, url = Path("/var/lib/pfbus/routing-log.sqlite3"), "postgresql://db/pfbus?schema=log"
    assert (SINGLE.node_id("node-a"), SINGLE.routing_log(log)) == ("node-a", log)
    first, second = WorkerRole(1, 2, 5, 100), WorkerRole(2, 2, 5, 100)
    assert (first.node_id("node-a"), first.routing_log(log)) == ("node-a", log)
    # on SQLite a file of its own beside the configured one; on PostgreSQL its own chain
    assert (second.node_id("node-a"), second.routing_log(log)) == (
        "node-a/2", Path("/var/lib/pfbus/routing-log.worker-2.sqlite3"))
    assert second.routing_log(url) == url
    assert first.first and not second.first and second.shared and not SINGLE.shared
    assert SINGLE.event_fields() == {} and second.event_fields() == {"worker": 2}
    assert parse_worker(worker_argument(second)) == second


def test_a_worker_accepts_one_connection_per_wake_up():
    """Twisted accepts a whole burst per readable event; a worker takes one, so the workers
    sharing the socket share a burst (measured: docs/performance.md "Workers")."""
    import socket

    from twisted.internet.epollreactor import EPollReactor
    from twisted.internet.protocol import Factory, Protocol

    from bus.hub.workers import adopt_listening_socket

    reactor = EPollReactor()  # never run: doRead is called by hand
    built = []

    class Counting(Factory):
        def buildProtocol(self, addr):
            built.append(addr)
            return Protocol()

    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(5)]
    try:
        port = adopt_listening_socket(reactor, os.dup(listener.fileno()), Counting())
        for expected in (1, 2, 3):
            port.doRead()
            assert len(built) == expected
        port.stopListening()
    finally:
        for client in clients:
            client.close()
        listener.close()
        reactor.disconnectAll()
