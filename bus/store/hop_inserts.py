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
    """The rows as (INSERT, parameters): one statement per shape and run of up to 32 rows.

    - Each INSERT names only the columns its rows fill, so sqlite3 binds no NULL (about 16 of
      a hop's 31 values; each one a search for an adapter and a call). An omitted column is
      NULL, as bound before.
    - Several rows per statement (``VALUES (…), (…)``): SQLite opens the table's and its ten
      indexes' cursors and updates ``sqlite_sequence`` once per statement, not once per row.
    Runs of 32, 16, …, 1 rows keep the statements few (sqlite3 caches them). Rows without a
    shape go in whole, one per statement."""
    groups: dict[Shape | None, list[tuple]] = {}
    for row, shape in zip(rows, shapes, strict=True):
        group = groups.get(shape)
        if group is None:
            group = groups[shape] = []
        group.append(row)
    for shape, group in groups.items():
        if shape is None:
            for row in group:
                yield _INSERT, list(row)
            continue
        present = shape.present
        done = 0
        while done < len(group):
            count = _RUN if len(group) - done >= _RUN else 1 << ((len(group) - done).bit_length() - 1)
            insert, pick = _INSERTS.get((present, count)) or _insert_for(present, count)
            yield insert, list(itertools.chain.from_iterable(map(pick, group[done:done + count])))
            done += count


_RUN = 32  # rows per statement at most: 32 × 31 values, within any SQLite's 999 parameters
# (present, rows) -> (INSERT, picker); present: positions of the values that are not None
_INSERTS: dict[tuple[tuple[int, ...], int], tuple[str, Callable[[tuple], tuple]]] = {}


def _insert_for(present: tuple[int, ...], count: int) -> tuple[str, Callable[[tuple], tuple]]:
    names = ("id", *(_COLUMNS[i] for i in present), "prev_hash", "hash")
    last = len(_COLUMNS) + 1  # a row is (id, *columns, prev_hash, hash)
    one = f"({', '.join('?' for _ in names)})"
    made = (f"INSERT INTO hops ({', '.join(names)}) VALUES {', '.join([one] * count)}",
            operator.itemgetter(0, *(i + 1 for i in present), last, last + 1))
    if len(_INSERTS) < 4096:  # bounded like chain's shapes
        _INSERTS[(present, count)] = made
    return made
