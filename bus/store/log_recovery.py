"""After a crash: a chained *gap* record that names what is known about the records lost, and
the notice store's facts written back as *recovered* hops (経路ログの欠落の記録).

The hub marks its run in the routing log (``RoutingLog(marks_runs=True)``); a clean close clears
the mark. A start that finds the mark left behind knows the previous run was killed (SIGKILL,
power loss, OOM): records queued but not committed at that moment are lost (an exchange's hops
from before it forwarded wait up to ``chained_log.DEFER``, 50 ms, to share its reply's commit:
bus/store/batching.py ``gather``). Thanks to the strict
form (bus/hub/evidence.py) no exchange whose answer a client saw is among them; what can be lost
is the tail of exchanges cut off mid-way and the hops written after a store commit:

- a notice stored (and acknowledged, if its receipt left before the kill — it cannot, the receipt
  waits for the log — or not) without its ``accepted`` hop;
- a delivery marked delivered in the notice store without its ``delivery ok`` hop.

Both are facts the notice store keeps; ``recover`` writes them back as hops with
``recovered = 1``, after one ``gap`` record that says what happened. ``pfbus log verify`` lists gap
records apart from tampering: the chain over them is intact, they are the log's own account of
its loss.

Several workers (``pfbus serve --workers N``): each writes its own chain — its own SQLite file
(bus/store/routing_log_files.py) or its node's chain on PostgreSQL — with its own run mark, so
the restart of a killed worker recovers that worker's run from its own records while the others
go on writing; a fact is looked up in every worker's records (``reader``: a notice accepted by
one worker may have been delivered by another). Only facts older than the restarted process
(``until``) are looked at — the crashed worker stored them before it died, and the live workers'
own hops for facts that old were committed long since. A SQLite file of a worker that no longer
runs (restarted with fewer workers) is recovered by worker 1 at its start (``recover_files``),
and so is a crashed worker's run marked in the configured file by a version before the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .hop_record import Hop, HopRecord, Status
from .notices.base import Fact, NoticeStore
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hop_search import Readable
    from .routing_log import AnyLog

# Hops are recorded right after the store's commit, on the reactor; a busy reactor may take a
# while. Facts this much older than the last record the crashed run committed are looked at too.
MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Recovery:
    previous_run: dict
    cut_off: int  # exchanges of the crashed run with no 'replied' hop
    accepted: int  # accepted hops written back from the notice store
    delivered: int  # delivery ok hops written back

    def as_event(self) -> dict:
        return {"previous_run_started_at": self.previous_run.get("started_at"),
                "previous_run_pid": self.previous_run.get("pid"), "cut_off": self.cut_off,
                "recovered_accepted": self.accepted, "recovered_delivered": self.delivered}


def recover(rl: AnyLog, notices: NoticeStore | None, *, until: float | None = None,
            reader: Callable[[], Readable] | None = None) -> Recovery | None:
    """If the previous run of this hub crashed, write the gap record and the recovered hops
    (committed before returning). None if the previous run closed the log cleanly. ``until``:
    facts of the notice store from before this time only (epoch seconds; this process's start);
    ``reader``: opens every worker's records for the facts' look-ups (closed here; default:
    ``rl``'s own, which on PostgreSQL are the whole cluster's)."""
    run = rl.unclean
    if run is None:
        return None
    if reader is None:
        return _recover(rl, run, notices, until, rl)
    with reader() as everything:
        return _recover(rl, run, notices, until, everything)


def recover_files(location: Path, workers: int, notices: NoticeStore | None, *,
                  until: float | None = None) -> list[tuple[Path, Recovery]]:
    """Worker 1's start: the SQLite files of workers beyond ``workers`` (a hub restarted with
    fewer) whose last run crashed get its gap record and recovered hops, as that worker's own
    restart would have written them; then their run is closed. So do the runs of workers k > 1
    that a version before the files per worker marked in the configured file (``run:NODE/k``:
    their records are there; no worker of this version writes such a mark, so one found is a
    crashed run of that version). No file: nothing to do."""
    from .routing_log import RoutingLog, open_readonly
    from .routing_log_files import worker_files

    orphans = [(path, "run") for worker, path in worker_files(location)[1:]
               if worker > workers and _run_marks(path, "run")]
    orphans += [(location, key) for key in _run_marks(location, "run:*")]
    done = []
    for path, key in orphans:
        with RoutingLog(path, marks_runs=True, run_key=key) as orphan:
            recovery = recover(orphan, notices, until=until,
                               reader=lambda: open_readonly(location))
            if recovery is not None:
                done.append((path, recovery))
    return done


def _run_marks(path: Path, pattern: str) -> list[str]:
    """The run marks in the file at ``path`` whose key matches ``pattern`` (GLOB)."""
    from .routing_log import RoutingLog

    if not path.is_file():
        return []
    with RoutingLog(path, readonly=True) as rl:
        return [row[0] for row in rl._read("SELECT key FROM chain_meta WHERE key GLOB ?",
                                           (pattern,))]


def _recover(rl: AnyLog, run: dict, notices: NoticeStore | None, until: float | None,
             reader: Readable) -> Recovery:
    after_id = int(run.get("after_id") or 0)
    cut_off, last_at = rl.run_summary(after_id)
    accepted: list[HopRecord] = []
    delivered: list[HopRecord] = []
    if notices is not None:
        since = _epoch(last_at or run.get("started_at")) - MARGIN_SECONDS
        for fact in notices.recent_facts(since):
            if until is not None and fact[4] >= until:  # stored after this process started
                continue
            if fact[0] == Fact.ACCEPTED:
                _, mid, service, sender, at = fact
                if not reader.has_hop(mid, (Hop.ACCEPTED, Hop.DUPLICATE)):
                    accepted.append(HopRecord(
                        hop=Hop.ACCEPTED, status=Status.OK, message_id=mid, service_id=service,
                        sender=sender, recovered=1,
                        reason=f"recovered after a crash: the notice store has it stored at "
                               f"{_iso(at)}"))
            else:
                _, mid, service, subscriber, at, attempts = fact
                if not reader.has_hop(mid, (Hop.DELIVERY,), provider=subscriber, ok=True):
                    delivered.append(HopRecord(
                        hop=Hop.DELIVERY, status=Status.OK, message_id=mid, service_id=service,
                        provider=subscriber, attempt=attempts, recovered=1,
                        reason=f"recovered after a crash: the notice store marks it delivered "
                               f"at {_iso(at)}"))
    rl.record(HopRecord(
        hop=Hop.GAP, status=Status.ERROR, recovered=1,
        reason=(f"the run started {run.get('started_at', '?')} (pid {run.get('pid', '?')}) ended "
                f"without closing the routing log (killed or crashed) after record "
                f"{run.get('last_id', '?')}; records not yet committed then are lost. Known: "
                f"{cut_off} exchange(s) of that run have no 'replied' record (cut off: the "
                f"strict form released no answer for them); {len(accepted)} 'accepted' and "
                f"{len(delivered)} 'delivery' record(s) follow, recovered from the notice "
                f"store (recovered=1)")))
    for hop in (*accepted, *delivered):
        rl.record(hop)
    rl.flush(timeout=60)
    return Recovery(run, cut_off, len(accepted), len(delivered))


def _epoch(iso: str | None) -> float:
    if not iso:
        return 0.0
    return dt.datetime.fromisoformat(iso).timestamp()


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="microseconds")
