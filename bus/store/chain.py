"""The routing log's hash chain: what one record's hash covers, and checking a run of records.

Each chained record stores ``prev_hash`` (the hash of the record before it; the genesis value for
the first) and ``hash`` = SHA-256 over the canonical serialisation of its own fields *and* its
row id *and* ``prev_hash``. Editing, deleting, inserting or reordering records therefore breaks
either a record's own hash or the link to its predecessor, and the ids must run without gaps.

Canonical serialisation (chain formats 1-3): a JSON object with the keys of ``CHAIN_FIELDS[n]``
plus ``id`` and ``prev_hash``, sorted keys, ``separators=(",", ":")``, ``ensure_ascii=False``,
UTF-8; ``null`` for absent values, integers as integers, floats in Python's shortest round-trip
form. The fields come from ``HopRecord``'s declaration (``bus/store/hop_record.py``): a field
declared with ``chain=n`` is covered from format *n* on. The database records from which id each
format applies (chain_meta ``format_<n>_after``), so rows written before a migration keep
verifying under the format they were written with. Format 1: the 24 fields of migrations 1-2;
format 2 (migration 4): also ``peer``, ``remote``, ``recovered``; format 3 (migration 6): ``rows``.

Format 4 (migration 7, issue 13) covers the same fields and serialises them as a JSON *array*
in a fixed order, ``[id, <the fields of CHAIN_FIELDS[4] in that order>, prev_hash]`` (same JSON
options), instead of an object with sorted keys: the row as the writer inserts it, without its
hash. A position in the array stands for its key, so the text is as unambiguous and half as long
(no keys), and the writer encodes it in one C call instead of one per value.

Pure functions only: used by the writer thread, ``pfbus log verify`` (database) and
``pfbus log verify-export`` (a file, without the database).
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, cast

from .hop_record import COLUMNS, Hop, Party, Status

GENESIS = "0" * 64  # prev_hash of the first chained record


def _fields_of(fmt: int) -> tuple[str, ...]:
    return tuple(sorted(c.name for c in COLUMNS if c.chain <= fmt))


# Chain format 4 (see the module doc): the fields of format 3 in this order, frozen — rows
# written in format 4 verify only while it stays so (HopRecord's declaration order today, so the
# writer hashes the row it inserts; a field added later comes with format 5, appended).
ARRAY_FORMAT = 4
_ARRAY_FIELDS = (
    "hop", "status", "message_id", "relates_to", "service_id", "service_version", "sender",
    "receiver", "provider", "endpoint", "http_status", "fault_code", "party", "rule", "path",
    "line", "reason", "duration_ms", "request_bytes", "response_bytes", "soap_version",
    "attempt", "at", "exchange_id", "peer", "remote", "recovered", "rows")


def _array_fields(fmt: int) -> tuple[str, ...]:
    return _ARRAY_FIELDS + tuple(c.name for c in COLUMNS if ARRAY_FORMAT < c.chain <= fmt)


# The newest format: what the writer uses for new records. Every declared field is covered
# (HopRecord's ``chain`` attribute), so a field cannot be left out of the hash by forgetting a list.
CHAIN_FORMAT = max(ARRAY_FORMAT, *(c.chain for c in COLUMNS))
# The hop fields each format's hash covers (format 1: the 24 fields before migration 4); from
# format 4 on in the order of the hashed array.
CHAIN_FIELDS: dict[int, tuple[str, ...]] = {
    n: _fields_of(n) if n < ARRAY_FORMAT else _array_fields(n)
    for n in range(1, CHAIN_FORMAT + 1)}

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
    if fmt >= ARRAY_FORMAT:  # [id, fields in their fixed order, prev_hash]
        return _ENCODE([record_id, *(_as_stored(name, fields.get(name))
                                     for name in CHAIN_FIELDS[fmt]), prev_hash]).encode("utf-8")
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


# The writer's path (``canonical`` is the definition), ~6 rows per exchange on the writer thread
# (issue 13). Per format, the canonical object is a fixed text with a slot per value: the keys
# sorted, each value encoded by what JSON writes for its type when that type is how the column
# stores it (text as a JSON string, None as null, an int in an INTEGER column, a float in a REAL
# column) — one C call per value, no dict to build and no key to escape per row. A value of any
# other type (an int in a REAL column, a float in an INTEGER one, ...) sends the row through the
# per-field conversion. Both give ``canonical``'s bytes (tests/unit/test_hop_record.py).
_NULL = "null".format  # called with the value: "null"
_STRING = json.encoder.encode_basestring  # without ensure_ascii, as _ENCODE writes strings


def _json_float(value: float) -> str:
    if not math.isfinite(value):  # JSON has no NaN/Infinity: as _ENCODE (allow_nan=False)
        raise ValueError(f"out of range float value for JSON: {value!r}")
    return float.__repr__(value)


# What JSON writes for each type a column stores as is (str subclasses: their text).
_AS_STORED: dict[str, dict[type, Callable[[Any], str]]] = {
    "REAL": {float: _json_float, type(None): _NULL},
    "INTEGER": {int: int.__repr__, type(None): _NULL},
    "TEXT": {str: _STRING, Hop: _STRING, Status: _STRING, Party: _STRING, type(None): _NULL}}
_SQL = {c.name: c.sql for c in COLUMNS}


@dataclass(frozen=True)
class _Plan:
    values: Callable[[Mapping[str, object]], tuple]  # the fields' values in sorted order
    encoders: tuple[dict[type, Callable[[Any], str]], ...]  # per field, by the value's type
    text: str  # the object with a %s slot per key, in sorted order
    at_id: int  # how many fields sort before "id"
    at_prev: int  # ... before "prev_hash"
    slow: tuple[tuple[str, Callable[[object], object] | None], ...]  # per key: its converter


def _plan(names: tuple[str, ...]) -> _Plan:
    keys = sorted((*names, "id", "prev_hash"))
    text = "{" + ",".join(f"{_STRING(k)}:%s" for k in keys) + "}"
    return _Plan(operator.itemgetter(*names), tuple(_AS_STORED[_SQL[n]] for n in names), text,
                 sum(n < "id" for n in names), sum(n < "prev_hash" for n in names),
                 tuple((k, None if k in ("id", "prev_hash") else _converter(k)) for k in keys))


_PLANS: dict[int, _Plan] = {n: _plan(names) for n, names in CHAIN_FIELDS.items()
                            if n < ARRAY_FORMAT}
_ENCODE_SORTED = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False,
                                  allow_nan=False).encode


def fast_record_hash(record_id: int, fields: Mapping[str, object], prev_hash: str,
                     fmt: int = CHAIN_FORMAT) -> str:
    """``record_hash``, computed without per-field dispatch or sorting (the writer's path for
    formats 1-3; format 4's is ``row_hash``)."""
    if fmt >= ARRAY_FORMAT:
        return record_hash(record_id, fields, prev_hash, fmt)
    plan = _PLANS[fmt]
    try:
        if type(record_id) is not int or type(prev_hash) is not str:
            raise KeyError("id")  # not what the writer passes: the general path
        parts = [encode[type(value)](value)
                 for encode, value in zip(plan.encoders, plan.values(fields), strict=True)]
    except KeyError:  # an absent field, or a value stored converted: field by field
        doc: dict[str, object] = {}
        for name, convert in plan.slow:
            if convert is None:
                doc[name] = record_id if name == "id" else prev_hash
            else:
                doc[name] = convert(fields.get(name))
        text = _ENCODE_SORTED(doc)
    else:
        i, j = plan.at_id, plan.at_prev
        text = plan.text % (*parts[:i], int.__repr__(record_id), *parts[i:j], _STRING(prev_hash),
                            *parts[j:])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the writer's path for format 4 and later: the inserted row is the hashed array -----------

# True while the newest format's array is the row in HopRecord's column order (the writer then
# hashes the values it inserts; otherwise it takes ``fast_record_hash``).
ROW_IS_ARRAY = CHAIN_FIELDS[CHAIN_FORMAT] == tuple(c.name for c in COLUMNS)
# The types each column stores as they are (what a reader gets back is the same value): an
# exact str (or a vocabulary member: JSON writes its text), int or float. Anything else (an int
# in a REAL column, a bool, ...) is converted as ``_as_stored`` does before it is hashed.
_EXACT: dict[str, frozenset[type]] = {
    "TEXT": frozenset((str, Hop, Status, Party, type(None))),
    "INTEGER": frozenset((int, type(None))), "REAL": frozenset((float, type(None)))}
_COLUMN_SQL = tuple(c.sql for c in COLUMNS)
_COLUMN_NAMES = tuple(c.name for c in COLUMNS)
_ENCODE_ARRAY: Callable[[tuple, int], list[str]] | None = None
_C_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # None without _json
if _C_MAKE_ENCODER is not None:  # the C encoder, made once: one call per row
    # (markers=None: a flat tuple of scalars cannot be circular; allow_nan=False as _ENCODE)
    _ENCODE_ARRAY = _C_MAKE_ENCODER(None, None, json.encoder.encode_basestring, None, ":", ",",
                                    False, False, False)


@dataclass(frozen=True, eq=False)  # compared and hashed as itself (C): one object per tuple
class Shape:
    """What the writer needs to know about a row's values, by their types (cached per tuple of
    types: the hub makes a handful): whether they are hashed as they are, and which are not
    NULL (the SQLite writer binds only those: bus/store/routing_log.py)."""

    exact: bool
    present: tuple[int, ...]  # positions, in column order, of the values that are not None


_SHAPES: dict[tuple[type, ...], Shape] = {}
_MAX_SHAPES = 4096  # a bound, should a caller vary its types without end


def _new_shape(types: tuple[type, ...]) -> Shape:
    shape = Shape(all(t in _EXACT[sql] for t, sql in zip(types, _COLUMN_SQL, strict=True)),
                  tuple(i for i, t in enumerate(types) if t is not type(None)))
    if len(_SHAPES) < _MAX_SHAPES:
        _SHAPES[types] = shape
    return shape


def row_hash(row: tuple) -> tuple[str, Shape]:
    """The newest format's hash of ``row`` = (id, the values in column order, prev_hash) and
    the values' shape. Only while ``ROW_IS_ARRAY``. The bytes are ``canonical``'s
    (tests/unit/test_chain_array.py): values of their column's type are encoded as they are,
    in one call of the C encoder; any other row is converted field by field first."""
    types = tuple(map(type, row[1:-1]))
    shape = _SHAPES.get(types) or _new_shape(types)
    if shape.exact and _ENCODE_ARRAY is not None and type(row[0]) is int \
            and type(row[-1]) is str:
        text = "".join(_ENCODE_ARRAY(row, 0))
    else:
        return record_hash(row[0], dict(zip(_COLUMN_NAMES, row[1:-1], strict=True)), row[-1],
                           CHAIN_FORMAT), shape
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), shape


def values_text(values: tuple) -> tuple[str | None, Shape]:
    """A row's values (column order, without id, prev_hash and hash) as the JSON text that sits
    between its id and prev_hash in the newest format's hashed array, and their shape; the text
    is None when ``row_hash`` would convert them first. Made before the writer takes its turn at
    the file (bus/store/write_turns.py), so that chaining in the turn is ``linked_hash`` only."""
    types = tuple(map(type, values))
    shape = _SHAPES.get(types) or _new_shape(types)
    if shape.exact and _ENCODE_ARRAY is not None:
        return "".join(_ENCODE_ARRAY(values, 0))[1:-1], shape
    return None, shape


def linked_hash(record_id: int, text: str, prev_hash: str) -> str:
    """``row_hash`` of (record_id, *values, prev_hash) from ``values_text(values)``'s text: the
    same bytes (the C encoder writes an array as its items joined by ","); both exact types."""
    return hashlib.sha256(f"[{int.__repr__(record_id)},{text},{_STRING(prev_hash)}]"
                          .encode("utf-8")).hexdigest()


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
