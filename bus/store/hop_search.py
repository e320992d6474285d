"""Searching the routing log (経路ログ) as operators do: the console and ``pfbus log``.

One ``HopQuery`` (every filter optional) becomes one SQL statement. IDs match by prefix (the
8-character short IDs that ``pfbus log`` and the console print find their rows); a message ID also
finds its reply's hops and every hop of the same exchange. Newest first by default; pages are
keyset pages on the row id (``before_id`` / ``after_id``), so page 100 costs what page 1 does.
Selective filters (IDs, service, status, fault code) use their index, whose entries are in row
order, so "newest first" needs no sort; prefixes are ranges, not ``LIKE``. The indexes are
partial (bus/store/hop_record.py ``index_where``): a comparison implies ``IS NOT NULL``, and a
status other than ok says ``status <> 'ok'`` as the index does, or SQLite would not use it;
``status = 'ok'`` (most rows) is read in row order. A 団体コード or sender
prefix matches many receivers/senders, whose index ranges are not in row order: those are
checked on the rows while reading newest first (``+column`` keeps SQLite off the index), after
the index said whether anything matches at all. A time range becomes a row-id range (``at``
grows with the id), so it too is read in row order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeAlias, cast

from .hop_record import BY_NAME
from .routing_log import _COLUMNS, HOPS, STATUSES, HopRecord, RoutingLog, to_utc_iso

if TYPE_CHECKING:  # psycopg is an extra
    from .routing_log_files import RoutingLogFiles
    from .routing_log_pg import PostgresRoutingLog

    AnyLog = RoutingLog | PostgresRoutingLog
    # or several workers' SQLite files read as one
    Readable: TypeAlias = "RoutingLog | PostgresRoutingLog | RoutingLogFiles"


AT_SLACK = dt.timedelta(minutes=5)  # how far ``at`` may run out of row order (see _edge)


@dataclass(frozen=True)
class HopQuery:
    message_id: str | None = None  # or a prefix of one
    exchange_id: str | None = None  # or a prefix
    service_id: str | None = None
    local_gov_code: str | None = None  # 団体コード of the receiver
    sender: str | None = None  # 団体コード/業務ユニット/system, or a prefix ("131016/07")
    status: str | None = None
    hop: str | None = None
    fault_code: str | None = None
    since: str | None = None  # inclusive; ISO-8601, naive = UTC
    until: str | None = None  # exclusive
    before_id: int | None = None  # keyset paging, newest first
    after_id: int | None = None  # keyset paging, oldest first / follow
    newest_first: bool = True

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of "
                             f"{', '.join(STATUSES)}")
        if self.hop is not None and self.hop not in HOPS:
            raise ValueError(f"unknown hop {self.hop!r}")
        if self.local_gov_code is not None and not (len(self.local_gov_code) == 6
                                                    and self.local_gov_code.isdigit()):
            raise ValueError(f"団体コード {self.local_gov_code!r}: expected 6 digits")


def _prefix(column: str, value: str) -> tuple[str, list]:
    """``column`` starts with ``value``: a range (``LIKE`` would not use the index; a
    ``+column`` keeps the index out)."""
    return f"({column} >= ? AND {column} < ?)", [value, value + "\U0010ffff"]


def _broad_prefixes(q: HopQuery) -> list[tuple[str, str]]:
    return [(c, v) for c, v in (("sender", q.sender), ("receiver", q.local_gov_code and
                                                        q.local_gov_code + "/")) if v]


def where_clause(q: HopQuery, plus: str = "+") -> tuple[str, list]:
    """``plus``: the dialect's way to keep an index out (SQLite ``+column``; none on PG)."""
    where: list[str] = []
    params: list = []
    if q.message_id:
        m_sql, m_params = _prefix("message_id", q.message_id)
        r_sql, r_params = _prefix("relates_to", q.message_id)
        where.append(f"({m_sql} OR {r_sql} OR exchange_id IN (SELECT exchange_id FROM hops "
                     f"WHERE {m_sql} OR {r_sql}))")
        params += m_params + r_params + m_params + r_params
    if q.exchange_id:
        sql, p = _prefix("exchange_id", q.exchange_id)
        where.append(sql)
        params += p
    for column, value in _broad_prefixes(q):
        sql, p = _prefix(plus + column, value)
        where.append(sql)
        params += p
    for column in ("service_id", "status", "hop", "fault_code"):
        value = getattr(q, column)
        if value:
            where.append(f"{column} = ?")
            params.append(value)
            term = BY_NAME[column].query_term(value)  # the partial index's own WHERE
            if term is not None:
                where.append(term)
    if q.since:
        where.append(f"{plus}at >= ?")
        params.append(to_utc_iso(q.since))
    if q.until:
        where.append(f"{plus}at < ?")
        params.append(to_utc_iso(q.until))
    if q.before_id is not None:
        where.append("id < ?")
        params.append(q.before_id)
    if q.after_id is not None:
        where.append("id > ?")
        params.append(q.after_id)
    return (" WHERE " + " AND ".join(where)) if where else "", params


def _bounded(log: AnyLog, q: HopQuery) -> HopQuery | None:
    """``q`` with the row ids its time range and broad prefixes allow; None: nothing matches."""
    for column, value in _broad_prefixes(q):
        sql, p = _prefix(column, value)
        if not log._read(f"SELECT 1 FROM hops WHERE {sql} LIMIT 1", tuple(p)):
            return None
    # Several nodes' rows (PostgreSQL) interleave ids and times by whole batches: the time range
    # stays an ``at`` filter there, for the planner's index on ``at``.
    if (q.since or q.until) and log.AT_FOLLOWS_ID:
        lo = _edge(log, q.since, first=True) if q.since else 0
        hi = _edge(log, q.until, first=False) if q.until else None
        if lo is None or (q.until and hi is None):
            return None
        # the +at filters stay exact; the ids only bound what is read
        if hi is not None:
            q = replace(q, before_id=hi + 1 if q.before_id is None else min(q.before_id, hi + 1))
        q = replace(q, after_id=lo - 1 if q.after_id is None else max(q.after_id, lo - 1))
    return q


def _edge(log: AnyLog, when: str, first: bool) -> int | None:
    """A row id bounding a time range: the first row at or after ``when`` (``first``) or the
    last before it, found on the ``at`` index, widened by ``AT_SLACK``: ``at`` is taken when a
    record is made and rows are numbered when written, so the two orders can differ a little
    (another process writing, a batch in flight); a MIN/MAX over the whole range would be exact
    but reads every index entry of a long range."""
    moment = dt.datetime.fromisoformat(to_utc_iso(when))
    if first:
        rows = log._read("SELECT id FROM hops WHERE at >= ? ORDER BY at LIMIT 1",
                         ((moment - AT_SLACK).isoformat(timespec="microseconds"),))
        return int(rows[0][0]) if rows else None
    rows = log._read("SELECT id FROM hops WHERE at < ? ORDER BY at DESC LIMIT 1",
                     ((moment + AT_SLACK).isoformat(timespec="microseconds"),))
    return int(rows[0][0]) if rows else None


def search(log: Readable, q: HopQuery, limit: int | None = 100,
           also: tuple[str, list] | None = None) -> list[tuple[int, HopRecord]]:
    """(row id, hop) pairs, newest first unless ``q.newest_first`` is False; ``also``: one more
    condition and its parameters (bus/store/log_follow.py: the nodes' cursors). Several
    workers' files: their rows in time order, each named by its key across the files."""
    files = _files(log)
    if files is not None:
        assert also is None
        return files.search(q, limit)
    log = cast("AnyLog", log)
    bounded = _bounded(log, q)
    if bounded is None:
        return []
    where, params = where_clause(bounded, log.PLUS)
    if also is not None:
        where = f"{where} AND ({also[0]})" if where else f" WHERE {also[0]}"
        params += also[1]
    order = "DESC" if q.newest_first else "ASC"
    rows = log._read(f"SELECT id, {', '.join(_COLUMNS)} FROM hops{where} ORDER BY id {order} "
                     f"LIMIT ?", (*params, log.NO_LIMIT if limit is None else int(limit)))
    return [(row[0], HopRecord(**dict(zip(_COLUMNS, row[1:], strict=True)))) for row in rows]


def count(log: Readable, q: HopQuery) -> int:
    files = _files(log)
    if files is not None:
        return files.count(q)
    log = cast("AnyLog", log)
    bounded = _bounded(log, q)
    if bounded is None:
        return 0
    status = BY_NAME["status"]
    if status.not_null and bounded.status is not None and (bounded.status,) == \
            status.index_without:
        # ``status = 'ok'``, most rows, has no index: every row less those its index holds
        # (pfbus log's "N of M shown" read the whole table at 3,000,000 rows: 0.35-0.55 s)
        rest = replace(bounded, status=None)
        return _count(log, rest) - _count(log, rest, status.index_where)
    return _count(log, bounded)


def _count(log: AnyLog, q: HopQuery, also: str | None = None) -> int:
    where, params = where_clause(q, log.PLUS)
    if also is not None:
        where = f"{where} AND {also}" if where else f" WHERE {also}"
    return int(log._read(f"SELECT count(*) FROM hops{where}", tuple(params))[0][0])


def exchange_hops(log: Readable, exchange_id: str) -> list[tuple[int, HopRecord]]:
    """Every hop of one exchange, in order."""
    files = _files(log)
    if files is not None:
        return files.exchange_hops(exchange_id)
    log = cast("AnyLog", log)
    rows = log._read(f"SELECT id, {', '.join(_COLUMNS)} FROM hops WHERE exchange_id = ? "
                     f"ORDER BY id", (exchange_id,))
    return [(row[0], HopRecord(**dict(zip(_COLUMNS, row[1:], strict=True)))) for row in rows]


def related_exchanges(log: Readable, message_id: str, limit: int = 200) -> list[tuple]:
    """Exchanges about the same message (its request, reply, each delivery attempt of a notice,
    operator actions): (exchange_id, first id, hop names, last status), oldest first (several
    workers' files: the first row's time instead of its id)."""
    files = _files(log)
    if files is not None:
        return files.related_exchanges(message_id, limit)
    log = cast("AnyLog", log)
    rows = log._read(log.related_sql(),
        (message_id, message_id, limit))
    return [tuple(r) for r in rows]


def _files(log: Readable) -> RoutingLogFiles | None:
    from .routing_log_files import RoutingLogFiles  # it searches each file with this module

    return log if isinstance(log, RoutingLogFiles) else None
