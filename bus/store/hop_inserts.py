"""The SQLite routing log's INSERT statements (bus/store/routing_log.py): a batch of chained rows
as few statements, each naming only the columns its rows fill, and the adapters that bind the
hop vocabularies and None without a search per value (issue 13)."""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Callable, Iterable

from .chain import Shape
from .chained_log import CHAINED, COLUMNS
from .hop_record import Hop, Party, Status

_COLUMNS = COLUMNS
_CHAINED = CHAINED
_INSERT = (f"INSERT INTO hops ({', '.join(_CHAINED)}) "
           f"VALUES ({', '.join('?' for _ in _CHAINED)})")

# sqlite3 binds an exact str, int or float as it is; for anything else — None in most of a hop's
# columns, the Hop/Status/Party members — it looks for an adapter and, finding none, formats and
# clears an AttributeError per value (~16 per row, a tenth of the writer's instructions; issue 13).
# A registered adapter is found first and gives the same value: None (NULL), the member's text.
# The registry is the process's: every store binding these types gets the same values, faster.
_NULL: dict[None, None] = {None: None}
sqlite3.register_adapter(type(None), _NULL.__getitem__)  # None -> None, without a Python frame
for _vocabulary in (Hop, Status, Party):
    sqlite3.register_adapter(_vocabulary, str)  # a StrEnum's str() is its value


def _by_shape(rows: list[tuple], shapes: list[Shape | None]) -> Iterable[tuple[str, list]]:
    """The rows as (INSERT, parameters): as few statements as the batch allows.

    - Each row binds only its values that are not NULL: the statement writes ``NULL`` for the
      others (about 16 of a hop's 31 values; for a bound None sqlite3 searches an adapter and
      calls it).
    - Rows of every shape go into one statement (``VALUES (…), (…)``), grouped by shape: SQLite
      opens the table's and its indexes' cursors and updates ``sqlite_sequence`` once per
      statement, not once per row or shape — an exchange's six hops have five or six shapes.
    Up to 32 rows per statement; a statement is made once per sequence of (shape, rows) and
    cached (sqlite3 caches the prepared ones). Rows without a shape go in whole, one each."""
    groups: dict[tuple[int, ...], list[tuple]] = {}
    for row, shape in zip(rows, shapes, strict=True):
        if shape is None:
            yield _INSERT, list(row)
            continue
        group = groups.get(shape.present)
        if group is None:
            group = groups[shape.present] = []
        group.append(row)
    segments: list[tuple[tuple[int, ...], int]] = []
    values: list = []
    room = _RUN
    for present, group in groups.items():
        pick = _PICKS.get(present) or _pick_for(present)
        done = 0
        while done < len(group):
            count = min(room, len(group) - done)
            segments.append((present, count))
            values.extend(itertools.chain.from_iterable(map(pick, group[done:done + count])))
            done += count
            room -= count
            if not room:
                yield _INSERTS.get(tuple(segments)) or _insert_for(tuple(segments)), values
                segments, values, room = [], [], _RUN
    if segments:
        yield _INSERTS.get(tuple(segments)) or _insert_for(tuple(segments)), values


_RUN = 32  # rows per statement at most: 32 × 31 values, within any SQLite's 999 parameters
_Segments = tuple[tuple[tuple[int, ...], int], ...]  # (positions not NULL, rows) in order
_INSERTS: dict[_Segments, str] = {}
_PICKS: dict[tuple[int, ...], Callable[[tuple], tuple]] = {}
_LAST = len(_COLUMNS) + 1  # a row is (id, *columns, prev_hash, hash)


def _pick_for(present: tuple[int, ...]) -> Callable[[tuple], tuple]:
    """A row's values that are bound: id, those of ``present``, prev_hash, hash."""
    pick = operator.itemgetter(0, *(i + 1 for i in present), _LAST, _LAST + 1)
    if len(_PICKS) < 4096:  # bounded like chain's shapes
        _PICKS[present] = pick
    return pick


def _insert_for(segments: _Segments) -> str:
    tuples = []
    for present, count in segments:
        bound = set(present)
        one = "(?, " + "".join("?, " if i in bound else "NULL, " for i in range(len(_COLUMNS))) \
            + "?, ?)"
        tuples += [one] * count
    made = f"INSERT INTO hops ({', '.join(_CHAINED)}) VALUES {', '.join(tuples)}"
    if len(_INSERTS) < 4096:  # bounded: the batches' mixes of shapes repeat
        _INSERTS[segments] = made
    return made
