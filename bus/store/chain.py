"""The routing log's hash chain: what one record's hash covers, and checking a run of records.

Each chained record stores ``prev_hash`` (the hash of the record before it; the genesis value for
the first) and ``hash`` = SHA-256 over the canonical serialisation of its own fields *and* its
row id *and* ``prev_hash``. Editing, deleting, inserting or reordering records therefore breaks
either a record's own hash or the link to its predecessor, and the ids must run without gaps.

Canonical serialisation (chain format *n*): a JSON object with the keys of ``CHAIN_FIELDS[n]``
plus ``id`` and ``prev_hash``, sorted keys, ``separators=(",", ":")``, ``ensure_ascii=False``,
UTF-8; ``null`` for absent values, integers as integers, floats in Python's shortest round-trip
form. The fields come from ``HopRecord``'s declaration (``bus/store/hop_record.py``): a field
declared with ``chain=n`` is covered from format *n* on. The database records from which id each
format applies (chain_meta ``format_<n>_after``), so rows written before a migration keep
verifying under the format they were written with. Format 1: the 24 fields of migrations 1-2;
format 2 (migration 4): also ``peer``, ``remote``, ``recovered``.

Pure functions only: used by the writer thread, ``pfbus log verify`` (database) and
``pfbus log verify-export`` (a file, without the database).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import cast

from .hop_record import COLUMNS

GENESIS = "0" * 64  # prev_hash of the first chained record


def _fields_of(fmt: int) -> tuple[str, ...]:
    return tuple(sorted(c.name for c in COLUMNS if c.chain <= fmt))


# The newest format: what the writer uses for new records. Every declared field is covered
# (HopRecord's ``chain`` attribute), so a field cannot be left out of the hash by forgetting a list.
CHAIN_FORMAT = max(c.chain for c in COLUMNS)
# The hop fields each format's hash covers (format 1: the 24 fields before migration 4).
CHAIN_FIELDS: dict[int, tuple[str, ...]] = {n: _fields_of(n) for n in range(1, CHAIN_FORMAT + 1)}

_REAL = frozenset(c.name for c in COLUMNS if c.sql == "REAL")
_INTEGER = frozenset(c.name for c in COLUMNS if c.sql == "INTEGER")


def _as_stored(name: str, value: object) -> object:
    """The value as SQLite gives it back (column affinity), so that the writer's hash and a
    reader's agree: 12 in a REAL column reads as 12.0, 3.0 in an INTEGER column as 3."""
    if value is None:
        return None
    if name in _REAL:
        return float(value)  # type: ignore[arg-type]  # a REAL column holds a number
    if name in _INTEGER:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, Enum):  # Hop, Status, Party: their text
        return value.value
    return value if isinstance(value, str) else str(value)


# One encoder, built once (json.dumps with options builds a new one per call: the writer thread
# hashes every record).
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False).encode


class Formats:
    """Which chain format applies to which record: format *n* from the first id after
    ``after[n]`` (chain_meta ``format_<n>_after``; format 1 from the chain's start)."""

    def __init__(self, after: Mapping[int, int] | None = None) -> None:
        self.after = sorted(((n, i) for n, i in (after or {}).items() if n > 1), reverse=True)

    def of(self, record_id: int) -> int:
        for fmt, after in self.after:
            if record_id > after:
                return fmt
        return 1


FORMAT_1 = Formats()


def canonical(record_id: int, fields: Mapping[str, object], prev_hash: str,
              fmt: int = CHAIN_FORMAT) -> bytes:
    doc = {name: _as_stored(name, fields.get(name)) for name in CHAIN_FIELDS[fmt]}
    doc["id"] = record_id
    doc["prev_hash"] = prev_hash
    return _ENCODE(doc).encode("utf-8")


def _real(value: object) -> object:
    return None if value is None else float(value)  # type: ignore[arg-type]  # REAL: a number


def _integer(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _text(value: object) -> object:
    if value is None or type(value) is str:  # the common case first
        return value
    if isinstance(value, Enum):  # Hop, Status, Party: their text
        return value.value
    return value if isinstance(value, str) else str(value)


def _converter(name: str) -> Callable[[object], object]:
    return _real if name in _REAL else _integer if name in _INTEGER else _text


# The writer's fast path (``canonical`` is the definition): per format, every key of the
# canonical object in sorted order with how its value is stored, so a record's object is built
# already sorted and encoded without sorting — the same bytes (tests/unit/test_routing_log_chain
# checks both against each other), for ~6 rows per exchange on the writer thread.
_KEYS: dict[int, tuple[tuple[str, Callable[[object], object] | None], ...]] = {
    n: tuple((name, None if name in ("id", "prev_hash") else _converter(name))
             for name in sorted((*names, "id", "prev_hash")))
    for n, names in CHAIN_FIELDS.items()}
_ENCODE_SORTED = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False,
                                  allow_nan=False).encode


def fast_record_hash(record_id: int, fields: Mapping[str, object], prev_hash: str,
                     fmt: int = CHAIN_FORMAT) -> str:
    """``record_hash``, computed without per-field dispatch or sorting (the writer's path)."""
    doc: dict[str, object] = {}
    for name, convert in _KEYS[fmt]:
        if convert is None:
            doc[name] = record_id if name == "id" else prev_hash
        else:
            doc[name] = convert(fields.get(name))
    return hashlib.sha256(_ENCODE_SORTED(doc).encode("utf-8")).hexdigest()


def record_hash(record_id: int, fields: Mapping[str, object], prev_hash: str,
                fmt: int = CHAIN_FORMAT) -> str:
    return hashlib.sha256(canonical(record_id, fields, prev_hash, fmt)).hexdigest()


@dataclass(frozen=True)
class Problem:
    """The first record that does not fit the chain, and why."""

    id: int | None
    at: str | None
    kind: str  # "hash mismatch" | "broken link" | "gap in ids" | "missing hash" | ...
    detail: str

    def __str__(self) -> str:
        where = f"record id {self.id}" if self.id is not None else "chain"
        when = f" (at {self.at})" if self.at else ""
        return f"{where}{when}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class WalkResult:
    count: int  # records checked
    first_id: int | None
    last_id: int | None
    last_hash: str  # the head: prev_hash of whatever comes next
    problem: Problem | None = None


def _stopped_at(count: int, start: int | None, last: int | None, head: str, rid: int,
                at: str | None, kind: str, detail: str) -> WalkResult:
    return WalkResult(count, start, last, head, Problem(rid, at, kind, detail))


def walk(rows: Iterable[Mapping[str, object]], *, prev_hash: str = GENESIS,
         first_id: int | None = None, formats: Formats = FORMAT_1) -> WalkResult:
    """Check records in id order against each other: ids without gaps (starting at ``first_id``
    when given), each ``prev_hash`` equal to the previous record's hash (``prev_hash`` for the
    first), each ``hash`` equal to the recomputed one. Stops at the first problem."""
    expected_id = first_id
    head = prev_hash
    count = 0
    start: int | None = None
    last: int | None = None
    for row in rows:
        rid = int(cast("int | str", row["id"]))
        at = cast("str | None", row.get("at"))
        stored = row.get("hash")
        if start is None:
            start = rid
        # this record's verdict, with the walk's state as it stands before the record
        bad = partial(_stopped_at, count, start, last, head, rid, at)

        if expected_id is not None and rid != expected_id:
            if rid > expected_id:
                missing = (f"id {expected_id}" if rid == expected_id + 1
                           else f"ids {expected_id}..{rid - 1}")
                return bad("gap in ids", f"{missing} missing before it (deleted records)")
            return bad("gap in ids", f"expected id {expected_id}")
        if not stored:
            return bad("missing hash", "a record without a hash inside the chain "
                                       "(inserted by hand?)")
        computed = record_hash(rid, row, str(row.get("prev_hash")), formats.of(rid))
        if computed != stored:
            return bad("hash mismatch", "the record's fields were changed after it was written "
                                        "(its hash does not cover them)")
        if row.get("prev_hash") != head:
            what = "the chain start" if last is None and first_id is not None and \
                prev_hash == GENESIS else f"record {last if last is not None else rid - 1}"
            return bad("broken link", f"prev_hash is not the hash of {what} (a record before "
                                      f"it was deleted, inserted, changed or moved)")
        head = str(stored)
        last = rid
        count += 1
        expected_id = rid + 1
    return WalkResult(count, start, last, head)
