"""``GET /health`` (the process is alive) and ``GET /ready`` (send it traffic).

Ready only when: the stores are writable, the routing log keeps up (its writer lives, loses
nothing, writing does not fail, its backlog stays under half its bound) and so does the payload
archive when one is configured (the same checks: the hub refuses exchanges it cannot archive),
the hub is not draining and not in maintenance.
The body names each check and which failed. Providers' reachability is reported alongside but
never makes the hub unready: a vendor's outage is not a reason to take the hub out of a load
balancer (its requests get PF-PROVIDER-* faults, the others still pass).

Checks that touch a store run off the reactor thread every ``interval`` seconds and are cached
(``Prober``); the verdict itself (``verdict``) is pure.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..store.group_writer import WriterState

STALE_AFTER = 30.0  # seconds: a probe older than this is itself a failure


@dataclass(frozen=True)
class Snapshot:
    """What the latest probe found (the store-touching part of readiness)."""

    at: float
    stores: dict[str, str | None] = field(default_factory=dict)  # name → error or None
    routing_log: dict = field(default_factory=dict)  # RoutingLog.health()
    dropped_before: int = 0  # routing-log losses at the previous probe
    queues: tuple = ()  # QueueStats
    archive: dict = field(default_factory=dict)  # PayloadArchive.health(), when configured
    archive_lost_before: int = 0  # archive losses at the previous probe


def verdict(snapshot: Snapshot | None, *, draining: bool, maintenance: bool,
            now: float) -> dict:
    """The /ready document: {"ready", "failed": [...], "checks": {name: {ok, detail}}}."""
    checks: dict[str, dict] = {}

    def check(name: str, ok: bool, detail: str) -> None:
        checks[name] = {"ok": ok, "detail": detail}

    if snapshot is None:
        check("probe", False, "no store probe has completed yet")
    else:
        age = now - snapshot.at
        check("probe", age <= STALE_AFTER, f"last store probe {age:.1f} s ago")
        for name, error in sorted(snapshot.stores.items()):
            check(f"store:{name}", error is None, error or "writable")
        for name, health, lost_before, what in (
                ("routing_log", snapshot.routing_log, snapshot.dropped_before, "hop records"),
                ("payload_archive", snapshot.archive, snapshot.archive_lost_before,
                 "payloads")):
            if health:
                problems = writer_problems(health, lost_before, what)
                check(name, not problems, "; ".join(problems) or
                      f"keeps up (backlog {health.get('backlog', 0)})")
    check("draining", not draining, "draining: finishing what is in flight" if draining
          else "not draining")
    check("maintenance", not maintenance, "in maintenance (pfbus admin maintenance off)"
          if maintenance else "not in maintenance")
    failed = [name for name, c in checks.items() if not c["ok"]]
    return {"ready": not failed, "failed": failed, "checks": checks}


def writer_problems(health: dict, lost_before: int, what: str) -> list[str]:
    """Why a background writer (routing log, payload archive) makes the hub unready."""
    lost = health.get("dropped", 0) - lost_before
    backlog, bound = health.get("backlog", 0), health.get("max_backlog", 1)
    problems = []
    if not health.get("writer_alive", False):
        problems.append("the writer thread is not running")
    if health.get("state") == WriterState.FAILING:  # evidence or refuse: exchanges are refused
        problems.append(f"writing fails since {health.get('failing_since')}: "
                        f"{health.get('last_error')}")
    if lost > 0:
        problems.append(f"{lost} {what} lost since the previous probe")
    if backlog > bound // 2 or health.get("state") == WriterState.BEHIND:  # exchanges are held
        problems.append(f"backlog {backlog} of at most {bound}")
    return problems


def sqlite_writable(path: Path) -> str | None:
    """None if a write transaction can be begun on the SQLite file now (then rolled back)."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True,
                               timeout=2.0, isolation_level=None)
    except sqlite3.Error as exc:
        return f"cannot open: {exc}"
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return None
    except sqlite3.Error as exc:
        return f"not writable: {exc}"
    finally:
        conn.close()


def postgres_writable(dsn: str) -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(dsn, connect_timeout=2, autocommit=True) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row is not None and row[0]:
                return "the server is a read-only standby"
        return None
    except Exception as exc:  # psycopg.Error and socket errors alike: report, never raise
        return f"not reachable: {exc.__class__.__name__}"


def store_probe(url: str):
    """A no-argument callable answering None (writable) or what is wrong, for a store URL."""
    if url.startswith("sqlite:"):
        path = Path(url[len("sqlite:"):])
        return lambda: sqlite_writable(path)
    return lambda: postgres_writable(url.split("?", 1)[0])


class Prober:
    """Runs the store probes (blocking; call ``probe`` from a thread) and keeps the latest."""

    def __init__(self, probes: dict, routing_log, notice_store=None, clock=time.time,
                 archive=None):
        self.probes = probes  # name → callable answering None or an error
        self.routing_log = routing_log
        self.archive = archive  # PayloadArchive, when [store] archive is configured
        self.notice_store = notice_store
        self.clock = clock
        self.latest: Snapshot | None = None

    def probe(self) -> Snapshot:
        stores = {}
        for name, probe in self.probes.items():
            try:
                stores[name] = probe()
            except Exception as exc:  # a probe must never take the admin listener down
                stores[name] = f"probe failed: {exc.__class__.__name__}"
        queues: tuple = ()
        if self.notice_store is not None:
            try:
                queues = tuple(self.notice_store.stats())
            except Exception as exc:
                stores["notices"] = stores.get("notices") or f"cannot read: {exc}"
        before = self.latest.routing_log.get("dropped", 0) if self.latest else 0
        archive_before = self.latest.archive.get("dropped", 0) if self.latest else 0
        self.latest = Snapshot(self.clock(), stores, self.routing_log.health(), before, queues,
                               self.archive.health() if self.archive is not None else {},
                               archive_before)
        return self.latest
