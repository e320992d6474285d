"""Write-lock counters for ``bench/hub_vs_direct.py --lock-stats`` (never loaded by the product).

The bench puts this directory on the hub's PYTHONPATH and names a directory in
``PFBUS_LOCKSTATS``; Python imports ``sitecustomize`` at start-up, so every hub process (each
worker) counts, per SQLite file it writes: write transactions, rows they changed, the time spent
waiting for the write lock (a turn's ``flock`` plus ``BEGIN IMMEDIATE``, which includes SQLite's
busy-handler sleeps) and the time holding it (``BEGIN IMMEDIATE`` to the end of ``COMMIT`` or
``ROLLBACK``), with histograms, and how many turns were found taken by another process (a
non-blocking ``flock`` first: the wait of a turn found free is the thread's own — the GIL, the
CPU — not another writer's). Each process writes ``lock-PID.json`` there at exit, and
``waits-PID.json``: the wall time of each exchange in the hub and of the steps it waits for —
its MessageId's admission (the seen store's commit), the provider's answer, the release of the
reply once its records are committed — so a step's share of an exchange's time is seen.
``PFBUS_SWITCHINTERVAL=SECONDS`` sets the hub's GIL switch interval (``sys.setswitchinterval``;
5 ms by default): an experiment, not a setting of the product.
Counters, not timings of the product: they hold under other load. Cost: one Python call around
each SQLite statement of the hub (~1 µs), so the run's req/s are not the bench's without it.
"""

from __future__ import annotations

import os

if os.environ.get("PFBUS_LOCKSTATS"):
    import atexit
    import fcntl
    import json
    import sqlite3
    import threading
    import time

    _STATS: dict[str, dict] = {}
    _GUARD = threading.Lock()
    _THREAD = threading.local()
    _BUCKETS = ((1e-4, "<0.1ms"), (1e-3, "<1ms"), (5e-3, "<5ms"), (2e-2, "<20ms"),
                (1e-1, "<100ms"), (float("inf"), ">=100ms"))

    def _bucket(seconds: float) -> str:
        return next(name for limit, name in _BUCKETS if seconds < limit)

    def _note(store: str, wait: float, hold: float, rows: int, taken: bool) -> None:
        with _GUARD:
            s = _STATS.setdefault(store, {
                "tx": 0, "rows": 0, "wait_s": 0.0, "hold_s": 0.0, "max_wait_s": 0.0,
                "max_hold_s": 0.0, "wait_hist": {}, "hold_hist": {}, "taken": 0,
                "taken_wait_s": 0.0})
            s["tx"] += 1
            if taken:
                s["taken"] += 1
                s["taken_wait_s"] += wait
            s["rows"] += rows
            s["wait_s"] += wait
            s["hold_s"] += hold
            s["max_wait_s"] = max(s["max_wait_s"], wait)
            s["max_hold_s"] = max(s["max_hold_s"], hold)
            for key, value in (("wait_hist", wait), ("hold_hist", hold)):
                s[key][_bucket(value)] = s[key].get(_bucket(value), 0) + 1

    _flock = fcntl.flock

    def _timed_flock(fd, operation):  # the turn's wait, added to the next BEGIN's
        if operation != fcntl.LOCK_EX:
            return _flock(fd, operation)
        started = time.monotonic()
        try:  # free, or taken by another process?
            result = _flock(fd, operation | fcntl.LOCK_NB)
            _THREAD.turn_taken = False
        except BlockingIOError:
            result = _flock(fd, operation)
            _THREAD.turn_taken = True
        _THREAD.turn_wait = time.monotonic() - started
        return result

    fcntl.flock = _timed_flock

    class _Counted(sqlite3.Connection):
        store = ""
        _began: float | None = None
        _wait = 0.0
        _rows = 0
        _taken = False

        def execute(self, sql, *args):
            if sql == "BEGIN IMMEDIATE":
                started = time.monotonic()
                cursor = super().execute(sql, *args)
                self._began = time.monotonic()
                self._wait = self._began - started + getattr(_THREAD, "turn_wait", 0.0)
                self._taken = getattr(_THREAD, "turn_taken", False)
                _THREAD.turn_wait = 0.0
                _THREAD.turn_taken = False
                self._rows = 0
                return cursor
            if self._began is None and not self.in_transaction and \
                    sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                return self._own_transaction(sql, *args)
            cursor = super().execute(sql, *args)
            if self._began is not None:
                if sql in ("COMMIT", "ROLLBACK"):
                    _note(self.store, self._wait, time.monotonic() - self._began, self._rows,
                          self._taken)
                    self._began = None
                elif cursor.rowcount > 0:
                    self._rows += cursor.rowcount
            return cursor

        def _own_transaction(self, sql, *args):
            """A write statement outside BEGIN: its own transaction (the seen MessageIds'
            single sightings), holding the lock while it runs."""
            started = time.monotonic()
            cursor = super().execute(sql, *args)
            _note(self.store, getattr(_THREAD, "turn_wait", 0.0), time.monotonic() - started,
                  max(cursor.rowcount, 0), getattr(_THREAD, "turn_taken", False))
            _THREAD.turn_wait = 0.0
            _THREAD.turn_taken = False
            return cursor

    _connect = sqlite3.connect

    def _counted_connect(database, *args, **kwargs):
        kwargs.setdefault("factory", _Counted)
        conn = _connect(database, *args, **kwargs)
        if isinstance(conn, _Counted):
            conn.store = os.path.basename(str(database))
        return conn

    sqlite3.connect = _counted_connect

    def _dump_at_exit(prefix: str, data: dict) -> None:
        """Write ``data`` as PREFIX-PID.json into the run's folder when the process ends."""
        def dump() -> None:
            if data:
                path = os.path.join(os.environ["PFBUS_LOCKSTATS"], f"{prefix}-{os.getpid()}.json")
                with open(path, "w", encoding="utf-8") as out:
                    json.dump(data, out)
        atexit.register(dump)

    _dump_at_exit("lock", _STATS)

    import importlib.abc
    import sys

    _WAITS: dict[str, list[float]] = {}

    def _timed(name, method):
        async def timed(*args, **kwargs):
            started = time.monotonic()
            try:
                return await method(*args, **kwargs)
            finally:
                _WAITS.setdefault(name, []).append(time.monotonic() - started)
        return timed

    # module -> (class, async method, name in the report)
    _STEPS = {"bus.hub.exchange": ("SyncExchange", "handle", "exchange in the hub"),
              "bus.core.replay": ("ReplayGuard", "admit", "MessageId admitted"),
              "bus.hub.forwarder": ("Forwarder", "post", "provider answered"),
              "bus.hub.evidence": ("Evidence", "released", "reply released")}

    class _TimeSteps(importlib.abc.MetaPathFinder):
        """Wraps each step's method once its module is loaded (this runs before bus is)."""

        def find_spec(self, name, path, target=None):
            if name not in _STEPS:
                return None
            for finder in sys.meta_path:
                spec = None if finder is self else finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            load = spec.loader.exec_module

            def exec_module(module):
                load(module)
                cls, method, label = _STEPS[name]
                owner = getattr(module, cls)
                setattr(owner, method, _timed(label, getattr(owner, method)))
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _TimeSteps())
    if os.environ.get("PFBUS_SWITCHINTERVAL"):
        sys.setswitchinterval(float(os.environ["PFBUS_SWITCHINTERVAL"]))

    _dump_at_exit("waits", _WAITS)
