"""``pfbus serve --workers N`` (N > 1): the supervisor (監視プロセス) of N hub processes.

It binds the listening socket once (``[hub] listen``, ``[hub] backlog``) and starts N workers
(``pfbus serve --worker INDEX/N:FD:PID``), each a whole hub with its own reactor accepting from
that socket (bus/hub/workers.py). It serves nothing itself and opens no store.

- A worker that dies (killed, crashed, exited) is reported — ``supervisor.worker_exited`` on
  stdout with its index, pid and exit code or signal, never a request's content — and started
  again after a delay that doubles while it keeps dying young (0.5 s up to 30 s; a worker that
  ran ``STABLE_AFTER`` seconds starts over at 0.5 s). Its connections still queued in the socket
  are accepted by the others meanwhile. A worker that exits with status 2 (a configuration, store
  or listen error: starting it again cannot help) stops the hub: the others drain, the
  supervisor exits 2.
- SIGTERM or SIGINT: every worker is sent SIGTERM and drains (``Hub.drain``: in-flight
  exchanges and deliveries get ``[hub] drain_timeout``); nothing is restarted any more; the
  supervisor exits once all have, 0 if every one drained cleanly (exit 0), else 1. A second
  signal is passed on too: the workers cut what is still in flight (their second signal).
- Workers run in their own process group, so a terminal's Ctrl-C reaches them once, through the
  supervisor; if the supervisor itself is killed, each worker notices (its parent changed) and
  drains.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from ..core.config import HubConfig
from ..core.jsonlog import JsonLineLog
from ..hub.workers import WorkerRole, worker_argument

RESTART_DELAY = 0.5  # seconds before the first restart of a worker
RESTART_DELAY_MAX = 30.0
STABLE_AFTER = 10.0  # seconds a worker must live for its next restart to be quick again
POLL = 0.1  # seconds between two looks at the workers (signals interrupt the sleep)
GIVE_UP_STATUS = 2  # a worker's "cannot start: configuration, store or listen error"


@dataclass
class _Worker:
    index: int
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = RESTART_DELAY
    due: float | None = None  # when to start it again
    exit_code: int | None = None


@dataclass
class Supervisor:
    config: HubConfig
    config_path: str
    count: int
    events: JsonLineLog
    workers: list[_Worker] = field(default_factory=list)
    _signals: list[int] = field(default_factory=list)

    def run(self) -> int:
        config = self.config
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        try:
            listener = socket.create_server((config.host, config.port), family=family,
                                            backlog=config.backlog)
        except OSError as exc:
            self.events.emit("hub.listen_error", error=str(exc))
            print(f"pfbus serve: cannot listen on {config.host}:{config.port}: {exc}",
                  file=sys.stderr)
            return 2
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda signum, _frame: self._signals.append(signum))
        with listener:
            self.events.emit("supervisor.started", pid=os.getpid(), workers=self.count,
                             listen=f"{config.host}:{listener.getsockname()[1]}")
            self.workers = [_Worker(i) for i in range(1, self.count + 1)]
            for worker in self.workers:
                self._start(worker, listener.fileno())
            return self._supervise(listener.fileno())

    def _start(self, worker: _Worker, fd: int) -> None:
        role = WorkerRole(worker.index, self.count, fd, os.getpid())
        worker.popen = subprocess.Popen(
            [sys.executable, "-m", "bus.cli.main", "serve", "--config", self.config_path,
             "--worker", worker_argument(role)],
            pass_fds=(fd,), process_group=0)
        worker.started_at, worker.due = time.monotonic(), None
        self.events.emit("supervisor.worker_started", worker=worker.index,
                         pid=worker.popen.pid, restarts=worker.restarts)

    def _supervise(self, fd: int) -> int:
        stopping = False
        gave_up = False
        while True:
            while self._signals:
                signum = self._signals.pop(0)
                self.events.emit("supervisor.draining", signal=signal.Signals(signum).name,
                                 again=stopping or None)
                stopping = True
                self._signal_all(signal.SIGTERM)
            now = time.monotonic()
            for worker in self.workers:
                if worker.popen is not None and worker.popen.poll() is not None:
                    if self._exited(worker, now, stopping) and not stopping:
                        gave_up = stopping = True
                        self._signal_all(signal.SIGTERM)
                elif worker.popen is None and worker.due is not None and worker.due <= now \
                        and not stopping:
                    worker.restarts += 1
                    self._start(worker, fd)
            if stopping and all(w.popen is None for w in self.workers):
                codes = {w.index: w.exit_code for w in self.workers}
                status = GIVE_UP_STATUS if gave_up else (
                    0 if all(code == 0 for code in codes.values()) else 1)
                self.events.emit("supervisor.stopped", exit_codes=codes, status=status)
                return status
            time.sleep(POLL)

    def _exited(self, worker: _Worker, now: float, stopping: bool) -> bool:
        """Report a worker's exit and plan its restart; True if the hub must stop (status 2)."""
        assert worker.popen is not None
        code = worker.popen.returncode
        pid = worker.popen.pid
        worker.popen, worker.exit_code = None, code
        give_up = code == GIVE_UP_STATUS
        if not stopping and not give_up:
            young = worker.restarts and now - worker.started_at < STABLE_AFTER
            worker.delay = min(worker.delay * 2, RESTART_DELAY_MAX) if young else RESTART_DELAY
            worker.due = now + worker.delay
        self.events.emit(
            "supervisor.worker_exited", worker=worker.index, pid=pid,
            exit_code=code if code >= 0 else None,
            signal=signal.Signals(-code).name if code < 0 else None,
            restart_in=round(worker.delay, 3) if worker.due is not None else None,
            gave_up=give_up or None)
        return give_up

    def _signal_all(self, signum: int) -> None:
        for worker in self.workers:
            if worker.popen is not None and worker.popen.poll() is None:
                worker.popen.send_signal(signum)
