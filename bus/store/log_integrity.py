"""Checking the routing log's hash chain: in the database, and in an export without it.

``verify_log`` walks the chain in the file; ``write_export`` writes a time range as JSON lines
with what is needed to check it offline (the hash of the record before the range, the last hash,
a SHA-256 of the file); ``verify_export`` checks such a file with no database at hand.

What the chain proves, and what it does not: anyone who can only *edit* the file (a row, a few
rows) is caught — the first bad record is named. Anyone with write access who rewrites the whole
chain from the edit onwards (the algorithm is public, there is no secret key) or cuts off its tail
is caught only against a head hash kept elsewhere: a checkpoint printed to the hub's JSON log
(``routing_log.checkpoint``), a stored export, or an ``--anchor ID:HASH`` an operator noted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .chain import CHAIN_FORMAT, Formats, Problem, WalkResult, walk
from .chained_log import CHAINED as _CHAINED
from .routing_log import RoutingLog

if TYPE_CHECKING:  # psycopg is an extra
    from .routing_log_pg import NodeChain

    Chain = RoutingLog | NodeChain  # one hash chain: a SQLite log, or a node's on PostgreSQL

EXPORT_FORMAT = "pfbus-routing-log-export"
EXPORT_VERSION = 2  # 2: the header names from which id each chain format applies


class ExportError(Exception):
    """An export cannot be written (nothing in range, a broken chain) or read at all."""


@dataclass(frozen=True)
class Report:
    """The outcome of a check: intact when ``problem`` is None."""

    walk: WalkResult
    problem: Problem | None
    unchained: int = 0  # rows from before the chain existed (not covered)
    anchors_checked: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Not tampering: the log's own chained account of records lost in a crash (id, at, reason)
    # and how many hops were written back from the notice store (bus/store/log_recovery.py).
    gaps: tuple[tuple[int, str, str], ...] = ()
    recovered: int = 0

    @property
    def intact(self) -> bool:
        return self.problem is None


def parse_anchor(text: str) -> tuple[int, str]:
    """``ID:HASH`` as printed in a ``routing_log.checkpoint`` line."""
    rid, sep, digest = text.partition(":")
    if not sep or not rid.strip().isdigit() or len(digest.strip()) != 64:
        raise ValueError(f"not ID:HASH (a record id and a 64-hex-digit SHA-256): {text!r}")
    return int(rid), digest.strip().lower()


def verify_log(rl: Chain, anchors: Iterable[tuple[int, str]] = ()) -> Report:
    """Walk the whole chain — from the retention anchor when old records were purged — then
    check the purge anchor against the chain's own ``purged`` record, the stored checkpoints
    and any ``anchors``."""
    start_after = rl.chain_start_after()
    base_id, base_hash = rl.chain_base()
    purge = rl.purge_anchor()
    purged = purge is not None and purge[0] > start_after
    # rows at or before the base: unchained ones from before migration 3, or (purged) the rest
    # of a purge that was interrupted; either way outside the chain
    unchained, hashed_early = (0, None) if purged else rl.unchained_stats(start_after)
    result = walk(rl.chain_rows(after_id=base_id), prev_hash=base_hash, first_id=base_id + 1,
                  formats=rl.chain_formats())
    if hashed_early is not None:  # the recorded chain start was moved to hide rows
        return Report(result, Problem(hashed_early, None, "chain start moved",
                                      f"a hashed record at or before the recorded chain start "
                                      f"(id {start_after}): chain_meta was edited"), unchained)
    if result.problem is not None:
        return Report(result, result.problem, unchained)
    if purged:
        problem = _check_purge(rl, base_id, base_hash)
        if problem is not None:
            return Report(result, problem, unchained)
    checked = 0
    notes = []
    for source, pairs in (("stored checkpoint", [(i, h) for i, h, _ in rl.checkpoints()]),
                          ("anchor", list(anchors))):
        for rid, digest in pairs:
            if purged and rid <= base_id:
                if source == "anchor":
                    notes.append(f"anchor {rid} is in the range deleted by retention (up to "
                                 f"{base_id}): not checkable here (check it against an export)")
                continue
            checked += 1
            problem = _check_anchor(rid, digest, rl.row_hash(rid), result, source)
            if problem is not None:
                return Report(result, problem, unchained, checked)
    if purged:
        notes.append(f"verified from the retention anchor {base_id}:{base_hash} (records up to "
                     f"{base_id} were deleted by retention)")
    return Report(result, None, unchained, checked, tuple(notes), gaps=tuple(rl.gaps()),
                  recovered=rl.recovered_count())


def _check_purge(rl: Chain, through: int, digest: str) -> Problem | None:
    """The purge anchor in chain_meta must be the one the newest chained ``purged`` record
    names: an edited anchor (hiding deleted records) shows against the chain itself."""
    row = rl.last_purged_record(through)
    if row is None:
        return Problem(None, None, "anchor moved", f"chain_meta says records up to {through} "
                       f"were purged, but no chained 'purged' record says so")
    rid, path, reason = row
    if not (path or "").endswith(f"..{through}") or f"last hash {digest}" not in (reason or ""):
        return Problem(rid, None, "anchor moved", f"the purge anchor ({through}:{digest[:16]}…) "
                       f"is not the one the chained purged record names ({path})")
    return None


def _check_anchor(rid: int, expected: str, actual: str | None, result: WalkResult,
                  source: str) -> Problem | None:
    if actual is None:
        if result.last_id is None or rid > result.last_id:
            return Problem(rid, None, "truncated",
                           f"a {source} names record {rid} but the chain ends at "
                           f"{result.last_id}: records were cut off the end")
        return Problem(rid, None, "missing record", f"a {source} names record {rid}, not in the "
                                                    f"log")
    if actual != expected:
        return Problem(rid, None, "anchor mismatch",
                       f"the {source} says {expected[:16]}…, the log has {actual[:16]}…: the "
                       f"chain up to here was rewritten")
    return None


# -- export ----------------------------------------------------------------------------------

def write_export(rl: Chain, out: Path, since: str | None, until: str | None) -> dict:
    """Write the records of [since, until) — as the contiguous id range from the first to the
    last record in it, so the chain can be checked — and return the trailer."""
    span = rl.id_range(since, until)
    base_id, base_hash = rl.chain_base()
    if span is None or span[1] <= base_id:
        raise ExportError("no chained records in that time range")
    return export_ids(rl, out, max(span[0], base_id + 1), span[1], since, until)


def export_ids(rl: Chain, out: Path, lo: int, hi: int, since: str | None = None,
               until: str | None = None) -> dict:
    """Write the records with ids lo..hi (see ``write_export``); retention exports the range it
    is about to delete with this."""
    base_id, base_hash = rl.chain_base()
    prev = base_hash if lo == base_id + 1 else rl.row_hash(lo - 1)
    if prev is None:
        raise ExportError(f"record {lo - 1} (before the range) is missing: run pfbus log verify")
    # Refuse to hand out a range whose chain is already broken: the export would mislead.
    formats = rl.chain_formats()
    node = getattr(rl, "node", None)  # a PostgreSQL log's chain: whose
    check = walk(rl.chain_rows(lo - 1, hi), prev_hash=prev, first_id=lo, formats=formats)
    if check.problem is not None:
        raise ExportError(f"the chain is broken inside the range: {check.problem}")
    digest = hashlib.sha256()
    header = {"type": "header", "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
              "chain_format": CHAIN_FORMAT,
              "chain_formats_after": {str(n): i for n, i in formats.after},
              "source": rl.name, **({"node": node} if node else {}),
              "since": since,
              "until": until, "first_id": lo, "last_id": hi, "prev_hash": prev,
              "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    count, last_hash = 0, prev
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("wb") as f:
        def line(obj: dict) -> None:
            data = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            digest.update(data)
            f.write(data)

        line(header)
        for row in rl.chain_rows(lo - 1, hi):
            line({"type": "record", **{k: row[k] for k in _CHAINED}})
            count += 1
            last_hash = row["hash"]
        trailer = {"type": "trailer", "count": count, "last_id": hi, "last_hash": last_hash,
                   "sha256": digest.hexdigest()}
        f.write((json.dumps(trailer, separators=(",", ":")) + "\n").encode())
    tmp.replace(out)
    return trailer


def verify_export(path: Path, anchors: Iterable[tuple[int, str]] = ()) -> Report:
    """Check an export with no database: file digest, header, every record's hash and link,
    the trailer's count and last hash, and any anchors (ID:HASH kept elsewhere)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path}: cannot read: {exc.strerror}") from None
    lines = data.splitlines(keepends=True)
    if len(lines) < 2:
        raise ExportError(f"{path}: not a routing log export (too short)")
    try:
        header = json.loads(lines[0])
        trailer = json.loads(lines[-1])
    except ValueError:
        raise ExportError(f"{path}: not a routing log export (header or trailer is not "
                          f"JSON)") from None
    if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
        raise ExportError(f"{path}: not a routing log export (no {EXPORT_FORMAT} header)")
    if header.get("version") not in (1, EXPORT_VERSION) or \
            not isinstance(header.get("chain_format"), int) or \
            not 1 <= header["chain_format"] <= CHAIN_FORMAT:
        raise ExportError(f"{path}: export version {header.get('version')} / chain format "
                          f"{header.get('chain_format')} is not one this pfbus reads")
    try:  # version 1 exports are all chain format 1
        formats = Formats({int(n): int(i) for n, i in
                           (header.get("chain_formats_after") or {}).items()})
    except (TypeError, ValueError, AttributeError):
        raise ExportError(f"{path}: the header's chain_formats_after is not readable") from None
    empty = WalkResult(0, None, None, str(header.get("prev_hash")))

    def bad(kind: str, detail: str, rid=None, at=None, result=empty) -> Report:
        return Report(result, Problem(rid, at, kind, detail))

    if not isinstance(trailer, dict) or trailer.get("type") != "trailer":
        return bad("truncated", "the last line is not the trailer: the export was cut short")
    if hashlib.sha256(b"".join(lines[:-1])).hexdigest() != trailer.get("sha256"):
        note = "the file's SHA-256 does not match its trailer: the file was changed"
    else:
        note = None
    records = []
    for number, raw in enumerate(lines[1:-1], start=2):
        try:
            obj = json.loads(raw)
        except ValueError:
            return bad("unreadable line", f"line {number} is not JSON")
        if not isinstance(obj, dict) or obj.get("type") != "record" or \
                not isinstance(obj.get("id"), int):
            return bad("unreadable line", f"line {number} is not a record")
        records.append(obj)
    result = walk(records, prev_hash=str(header.get("prev_hash")),
                  first_id=header.get("first_id"), formats=formats)
    if result.problem is not None:
        return Report(result, result.problem)
    if result.count != trailer.get("count") or result.last_id != trailer.get("last_id") or \
            result.last_id != header.get("last_id"):
        return bad("truncated", f"{result.count} records up to id {result.last_id}; the "
                                f"header/trailer say {trailer.get('count')} up to "
                                f"{trailer.get('last_id')}", result=result)
    if result.last_hash != trailer.get("last_hash"):
        return bad("broken link", "the trailer's last hash is not the last record's hash",
                   result.last_id, result=result)
    if note is not None:  # every record checks out, yet the bytes differ (header, whitespace)
        return bad("file digest mismatch", note, result=result)
    by_id = {r["id"]: r.get("hash") for r in records}
    checked = 0
    for rid, digest in anchors:
        checked += 1
        if rid == header.get("first_id", 0) - 1:
            actual = header.get("prev_hash")
        else:
            actual = by_id.get(rid)
        if actual is None:
            return bad("anchor outside export", f"record {rid} is not in this export", rid,
                       result=result)
        if actual != digest:
            return bad("anchor mismatch", f"record {rid}: the anchor says {digest[:16]}…, the "
                                          f"export has {str(actual)[:16]}…", rid, result=result)
    return Report(result, None, anchors_checked=checked)
