"""One hub process among the workers of ``pfbus serve --workers N`` (ワーカープロセス): who it is
in the stores, what only the first worker does, and the listening socket it inherits.

Worker 1 is the hub of one process (``--workers 1`` is exactly the hub before workers
existed): node id ``[hub] node_id``, the configured routing-log file. Worker k > 1 is
``NODE/k`` in the notice store's leases (a restarted worker releases only its own predecessor's
deliveries) and in a PostgreSQL routing log (its own chain); on SQLite it writes its own
routing-log file, ``STEM.worker-K.SUFFIX`` beside the configured one (bus/store/
routing_log_files.py), so its crash is recovered by its own restart from its own run mark while
the others keep writing theirs. Only worker 1 binds the admin listener, runs the SFTP server and
drop folders (bus/files) and the daily retention (over every worker's file): one of each per
hub, never N competing ones (docs/operations.md "Several worker processes").

The supervisor (bus/cli/supervisor.py) binds the listening socket once and passes its file
descriptor; every worker accepts from the same kernel queue (``adoptStreamPort``), so a killed
worker leaves the connections waiting in the queue to the others.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from twisted.internet import task

from ..core.pg_url import is_postgres
from ..store.routing_log_files import worker_path


@dataclass(frozen=True)
class WorkerRole:
    index: int = 1  # 1-based
    count: int = 1
    listen_fd: int | None = None  # the supervisor's listening socket; None: bind it ourselves
    parent_pid: int | None = None  # the supervisor: the worker drains if it is gone

    @property
    def first(self) -> bool:
        """The worker that owns what must exist once per hub (admin, files, retention)."""
        return self.index == 1

    @property
    def shared(self) -> bool:
        """Other workers write the same stores."""
        return self.count > 1

    def node_id(self, node: str) -> str:
        """This worker's name in the notice store's leases and the operator log."""
        return node if self.first else f"{node}/{self.index}"

    def routing_log(self, location: str | Path) -> str | Path:
        """The routing log this worker writes: on SQLite its own file (worker 1: the configured
        one), on PostgreSQL the shared schema (its chain is its ``node_id``)."""
        if is_postgres(location):
            return location
        return worker_path(location, self.index)

    def event_fields(self) -> dict:
        """Added to each operator-log line of a worker, so N processes' lines can be told apart."""
        return {"worker": self.index} if self.shared else {}


SINGLE = WorkerRole()


def parse_worker(text: str) -> WorkerRole:
    """The supervisor's hidden ``--worker INDEX/COUNT:FD:PARENT`` argument."""
    position, fd, parent = text.split(":")
    index, count = position.split("/")
    return WorkerRole(int(index), int(count), int(fd), int(parent))


def worker_argument(role: WorkerRole) -> str:
    return f"{role.index}/{role.count}:{role.listen_fd}:{role.parent_pid}"


def adopt_listening_socket(reactor, fd: int, factory):
    """Accept on the supervisor's socket: ``adoptStreamPort`` duplicates the descriptor, so the
    inherited one is closed here (the port's stopListening then closes only ours)."""
    with socket.socket(fileno=os.dup(fd)) as probe:
        family = probe.family
    os.set_blocking(fd, False)  # the reactor's accept must not block (shared by every worker)
    try:
        port = reactor.adoptStreamPort(fd, family, factory)
    finally:
        os.close(fd)
    # One accept per wake-up: Twisted accepts up to ~100 connections per readable event, so the
    # first worker to wake would take a whole burst of clients (a pool opening its keep-alive
    # connections) and keep them; taking one, the workers share a burst between them.
    accept = port.doRead

    def accept_one():
        port.numberAccepts = 1
        return accept()

    port.doRead = accept_one
    return port


def watch_parent(reactor, parent_pid: int, gone, every: float = 1.0) -> task.LoopingCall:
    """Call ``gone()`` once the supervisor has died (SIGKILL, OOM): the worker is re-parented and
    drains rather than serve on unsupervised."""
    def check() -> None:
        if os.getppid() != parent_pid:
            watcher.stop()
            gone()

    watcher = task.LoopingCall(check)
    watcher.clock = reactor
    watcher.start(every, now=False)
    return watcher
