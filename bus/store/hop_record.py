"""The routing log's record (経路ログの記録): the ONE declaration of its fields and vocabularies.

``HopRecord`` declares every field once — name, Python type, SQL type, which chain format first
covers it, whether operators' queries need an index and which rows it holds, and what it
means. Everything else derives from it: the writer's INSERT and the readers
(``bus/store/routing_log.py``), the hash chain's field lists and type affinities
(``bus/store/chain.py``), the schema and its indexes, the check at open and in the tests
(``bus/store/migrations.py``, ``routing_log_pg_schema.py``), the exports, the CLI's JSON
output, and the columns of ``pfbus log``'s table and the console's (``table=Show(...)``: where
and how a field shows, or why it does not; cells in ``bus/store/hop_cells.py``).

Adding a field (docs/contributing.md): declare it here with ``column(...)``, giving ``chain`` the
next chain format (``chain.CHAIN_FORMAT`` + 1: format 4 changed only the serialisation); append
a migration built with ``migrations.add_columns(...)`` (an index changed: ``declare_indexes``,
and its PostgreSQL migration); the tests in
``tests/unit/test_hop_record.py`` fail until the DDL, the chain and the declaration agree.

Pure: no SQLite, no Twisted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any

from ..core.faults import Party
from ..core.header import new_uuid4
from ..core.utc_text import utc_now_text

__all__ = ["Column", "HOPS", "Hop", "HopRecord", "PARTIES", "Party", "STATUSES", "Show",
           "Status", "COLUMNS", "TABLE_COLUMNS", "column_names", "hidden", "to_utc_iso"]


class Hop(StrEnum):
    """One step of a message through the hub (経路ログのホップ)."""

    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED = "rejected"
    ROUTED = "routed"
    PROVIDER_RESPONSE = "provider_response"
    RESPONSE_VALIDATED = "response_validated"
    RESPONSE_REJECTED = "response_rejected"
    REPLIED = "replied"
    # notices: stored durably / seen before; each delivery attempt to a subscriber; given up
    # (dead letter channel); handed back to delivery by an operator
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    DELIVERY = "delivery"
    DEAD_LETTERED = "dead_lettered"
    REPLAYED = "replayed"
    # characters: the 縮退 a JIS X 0213-only receiver's adapter applies (which MJ characters)
    SHRINK = "shrink"
    # an operator decrypted archived payloads (pfbus archive show): who and why, no content
    ARCHIVE_READ = "archive_read"
    # an operator read a stored payload (pfbus dlq show): who, why, masked or revealed
    PAYLOAD_READ = "payload_read"
    # the log itself: records were lost before they could be committed (a crash); what is known
    GAP = "gap"
    # the log itself: a range of old records was deleted by retention; names its last hash
    PURGED = "purged"
    # operator controls (pfbus admin, the console), who and why in ``reason``; a dead letter's
    # payload shown unmasked in the console
    MAINTENANCE = "maintenance"
    PAUSED = "paused"
    RESUMED = "resumed"
    PAYLOAD_REVEALED = "payload_revealed"
    # file linkage (ファイル連携, bus/files): a file taken from a sender's inbox; judged whole
    # (accepted, rejected, or a duplicate of one accepted); put into a subscriber's outbox;
    # confirmed by the subscriber removing it. Metadata only: kind, size, rows, SHA-256.
    FILE_PICKED_UP = "file_picked_up"
    FILE_ACCEPTED = "file_accepted"
    FILE_REJECTED = "file_rejected"
    FILE_DUPLICATE = "file_duplicate"
    FILE_DELIVERED = "file_delivered"
    FILE_CONFIRMED = "file_confirmed"


class Status(StrEnum):
    OK = "ok"
    FAULT = "fault"  # a SOAP fault was answered or received
    ERROR = "error"  # no answer: unreachable, store down, lost records


HOPS = tuple(h.value for h in Hop)
STATUSES = tuple(s.value for s in Status)
PARTIES = tuple(p.value for p in Party)

SQL_TYPES = ("TEXT", "INTEGER", "REAL")


def to_utc_iso(value: str | dt.datetime) -> str:
    """Normalise a timestamp to the stored form: UTC, ISO-8601, microseconds, ``+00:00``.

    A naive value is taken as UTC. Raises ValueError for text that is not ISO-8601.
    """
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


# datetime.now(timezone.utc).isoformat(timespec="microseconds"), its date and time of day
# formatted once a second (six records per exchange, issue 13)
_now = utc_now_text


def _new_exchange_id() -> str:
    return new_uuid4()  # str(uuid.uuid4()) for a fifth of its instructions (issue 13)


@dataclass(frozen=True)
class Show:
    """How a field shows in ``pfbus log``'s table and the console's search (its JSON output,
    the console's trace and exports carry every field). By default a field is a column under
    its own name, after the ranked ones, so a new field is never silently left out; ``hidden``
    says why one is not shown, ``within`` names the field whose cell shows it (that field's
    ``join``)."""

    rank: int = 100  # columns left to right by rank, then in declaration order
    heading: str | None = None  # default: the field's name
    width: int | None = None  # at most this many columns (the table cuts with …)
    right: bool = False  # right-aligned (numbers)
    prefix: int | None = None  # only the first N characters (IDs: the prefix finds the rows)
    keep_end: int | None = None  # cut to N from its START: the end names the element (paths)
    decimals: int | None = None  # a number with N decimals
    time: bool = False  # a time, in the table's time zone (JST or UTC)
    # (separator, other field): shown in this cell as "this<sep>other"; ``bare``: just the other
    # field when this one is empty (no dangling separator)
    join: tuple[str, str] | None = None
    bare: bool = False
    within: str | None = None  # shown in this field's cell instead (its ``join`` names us)
    hidden: str | None = None  # why the table leaves it out (too wide, rarely needed, …)


def hidden(why: str) -> Show:
    return Show(hidden=why)


def column(sql: str, doc: str, *, chain: int = 1, index: bool = False,
           index_without: tuple[str, ...] = (), default: Any = None,
           default_factory: Any = None, not_null: bool = False, table: Show = Show()) -> Any:
    """A field of ``HopRecord`` with its column facts (in the dataclass field's metadata).

    ``chain``: the chain format from which the record hash covers the field (every field is
    covered: a new field comes with a new chain format). ``index``: operators query by it.
    The index holds only the rows those queries can look for (a partial index, 部分索引):
    never a NULL (no query searches for one), nor a value in ``index_without`` — a value on
    almost every row, which a search reads along the row order instead (``Column.index_where``;
    every row pays a B-tree insert and a dirty page per index it is in, issue 13).
    ``table``: how ``pfbus log`` shows it (``Show``).
    """
    if sql not in SQL_TYPES:
        raise ValueError(f"unknown SQL type {sql!r}")
    if index_without and not index:
        raise ValueError("index_without needs index=True")
    if any("'" in v for v in index_without):
        raise ValueError(f"index_without {index_without!r}: values are written into the DDL")
    meta = {"sql": sql, "doc": doc, "chain": chain, "index": index, "not_null": not_null,
            "index_without": tuple(index_without), "table": table}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class HopRecord:
    """One step of one message through the hub.

    Metadata only: IDs, routing decisions, sizes, timings, and *where* validation failed
    (rule, path, line). Never put personal data or any other payload value in here — ``reason``
    names what was wrong ("element missing", "not a valid date"), not the offending value. The
    file is read by operators and kept far longer than the messages themselves.
    """

    hop: Hop = column("TEXT", "the step (Hop)", not_null=True, table=Show(rank=3))
    # almost every row is ok: the index holds the faults and errors operators look for
    status: Status = column("TEXT", "ok, fault or error (Status)", not_null=True, index=True,
                            index_without=(Status.OK.value,), table=Show(rank=4))
    message_id: str | None = column("TEXT", "the platform header's MessageId", index=True,
                                    table=Show(rank=1, heading="message", prefix=8))
    relates_to: str | None = column("TEXT", "on a reply: the request's message ID", index=True,
                                    table=hidden("--message-id shows the reply's hops too"))
    service_id: str | None = column("TEXT", "service ID", index=True, table=Show(
        rank=5, heading="service", width=40, join=("@", "service_version")))
    service_version: str | None = column("TEXT", "service version",
                                         table=Show(within="service_id"))
    sender: str | None = column("TEXT", "the claimed sender, 団体コード/業務ユニット/system, "
                                        "e.g. 131016/07/vendor-b-tax", index=True,
                                table=Show(rank=6, heading="sender→receiver", width=60,
                                           join=("→", "receiver")))
    receiver: str | None = column("TEXT", "the addressed receiver (団体コード/…): searched by "
                                          "団体コード prefix", index=True,
                                  table=Show(within="sender"))
    provider: str | None = column("TEXT", "provider (or subscribers) routed to",
                                  table=Show(rank=8, width=30))
    endpoint: str | None = column("TEXT", "provider URL", table=hidden("wide; the provider names it"))
    http_status: int | None = column("INTEGER", "HTTP status answered or received",
                                     table=hidden("status and fault_code say it"))
    fault_code: str | None = column("TEXT", "PF-… fault code", index=True,
                                    table=Show(rank=9, width=30))
    party: Party | None = column("TEXT", "who was at fault (Party)", table=Show(rank=10))
    rule: str | None = column("TEXT", "the rule a finding names", table=Show(rank=11, width=30))
    path: str | None = column("TEXT", "element path of the first finding",
                              table=Show(rank=12, keep_end=50))
    line: int | None = column("INTEGER", "line of the first finding",
                              table=Show(rank=13, right=True))
    reason: str | None = column("TEXT", "what was wrong, never a payload value",
                                table=hidden("prose: --format json and the console show it"))
    duration_ms: float | None = column("REAL", "time taken",
                                       table=Show(rank=14, heading="ms", right=True, decimals=1))
    request_bytes: int | None = column("INTEGER", "request size",
                                       table=Show(rank=15, heading="req B", right=True))
    response_bytes: int | None = column("INTEGER", "response size",
                                        table=Show(rank=16, heading="resp B", right=True))
    soap_version: str | None = column("TEXT", "1.1 or 1.2", table=hidden("rarely needed"))
    attempt: int | None = column("INTEGER", "notices: which delivery attempt (1 = the first)",
                                 table=hidden("--format json shows it"))
    at: str = column("TEXT", "UTC ISO-8601 with microseconds", not_null=True, index=True,
                     default_factory=_now, table=Show(rank=0, time=True))
    # One per inbound HTTP exchange: groups the hops even when no message ID could be read.
    exchange_id: str = column("TEXT", "one per inbound HTTP exchange", not_null=True,
                              index=True, default_factory=_new_exchange_id,
                              table=Show(rank=2, heading="exchange", prefix=8))
    # chain format 2 (migration 4): who actually sent it, whatever the header claims; no
    # search filters by it (its index was dropped in migration 8)
    peer: str | None = column("TEXT", "the adapter authenticated by its TLS client "
                                      "certificate ([[adapters]] id)", chain=2,
                            # who actually sent it, whatever the header claims
                            table=Show(rank=7, heading="sent by", width=40,
                                       join=("@", "remote"), bare=True))
    remote: str | None = column("TEXT", "the caller's address, IP:port", chain=2,
                                table=Show(within="peer"))
    recovered: int | None = column("INTEGER", "1: written at start from the notice store's "
                                              "facts, after a crash lost the original", chain=2,
                                   table=hidden("the record's reason says so"))
    # chain format 3 (migration 6): file linkage — the rows of a file (its size is
    # request_bytes, its SHA-256 message_id, its kind service_id)
    rows: int | None = column("INTEGER", "file linkage: data rows of the file (header "
                                         "excluded)", chain=3, table=Show(right=True))

    def __post_init__(self) -> None:
        # Fail at the call site, not later on the writer thread where nobody sees it; store
        # the enum (a str) so comparisons and the stored text are the same either way.
        object.__setattr__(self, "hop", _member(Hop, self.hop, "hop"))
        object.__setattr__(self, "status", _member(Status, self.status, "status"))
        if self.party is not None:
            object.__setattr__(self, "party", _member(Party, self.party, "party"))
        # One stored form, so that time ranges compare correctly as text (fast path: the
        # default and rows read back are already in it).
        if not (len(self.at) == 32 and self.at.endswith("+00:00") and self.at[19] == "."):
            object.__setattr__(self, "at", to_utc_iso(self.at))


# What ``HopRecord.trusted`` fills in: each field's default, and the fields made per record.
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(HopRecord)
                             if f.default is not MISSING}
_FACTORIES: tuple[tuple[str, Any], ...] = tuple(
    (f.name, f.default_factory) for f in fields(HopRecord) if f.default_factory is not MISSING)
_NAMES = frozenset(f.name for f in fields(HopRecord))


def trusted_record(hop: Hop, status: Status, values: dict[str, Any]) -> HopRecord:
    """``HopRecord(hop=hop, status=status, **values)`` without the frozen dataclass's
    ``__init__`` (one guarded ``__setattr__`` per field, ~30 per record: the hub builds six
    records per exchange, issue 13), for callers that pass members of ``Hop`` and ``Status``,
    a ``Party`` or None as ``party`` and no ``at`` (the record is made now) — the same record,
    equal field by field; anything else goes through ``__init__``. Unknown names are refused
    as ``__init__`` refuses them."""
    if "at" in values or not (values.keys() <= _NAMES) or not (
            type(hop) is Hop and type(status) is Status):
        return HopRecord(hop=hop, status=status, **values)
    party = values.get("party")
    if party is not None and type(party) is not Party:
        return HopRecord(hop=hop, status=status, **values)
    record = object.__new__(HopRecord)
    state = record.__dict__
    state.update(_DEFAULTS)
    state.update(values)
    for name, factory in _FACTORIES:
        if name not in values:
            state[name] = factory()
    state["hop"] = hop
    state["status"] = status
    return record


def _member(enum: type[Enum], value: object, what: str) -> Any:
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"unknown {what} {value!r}; expected one of "
                         f"{', '.join(m.value for m in enum)}") from None


@dataclass(frozen=True)
class Column:
    """One declared field of ``HopRecord`` as the stores and the chain see it."""

    name: str
    sql: str  # SQLite type: TEXT, INTEGER or REAL
    chain: int  # the first chain format whose hash covers it
    index: bool
    not_null: bool
    doc: str
    table: Show  # how pfbus log shows it
    index_without: tuple[str, ...] = ()  # values the index leaves out (``column``)

    @property
    def index_where(self) -> str | None:
        """The index's WHERE (both dialects), None for an index of every row.

        SQLite uses a partial index only when the query's WHERE implies this one: ``x = ?`` or
        a range on ``x`` implies ``x IS NOT NULL``; ``x <> 'v'`` must be in the query as
        written — ``query_term`` gives it."""
        if not self.index:
            return None
        if self.index_without:
            values = ", ".join(f"'{v}'" for v in self.index_without)
            # either form leaves NULLs out too (NULL <> 'v' is not true)
            return (f"{self.name} <> {values}" if len(self.index_without) == 1
                    else f"{self.name} NOT IN ({values})")
        return None if self.not_null else f"{self.name} IS NOT NULL"

    def query_term(self, value: object) -> str | None:
        """What a query for ``name = value`` adds so that the index can serve it (None: the
        comparison implies the index's WHERE, or the index does not hold ``value``'s rows)."""
        if not self.index_without or value is None or str(value) in self.index_without:
            return None
        return self.index_where


COLUMNS: tuple[Column, ...] = tuple(
    Column(f.name, f.metadata["sql"], f.metadata["chain"], f.metadata["index"],
           f.metadata["not_null"], f.metadata["doc"], f.metadata["table"],
           f.metadata["index_without"])
    for f in fields(HopRecord))
BY_NAME = {c.name: c for c in COLUMNS}
# pfbus log's table, left to right: the fields shown in a cell of their own
TABLE_COLUMNS: tuple[Column, ...] = tuple(sorted(
    (c for c in COLUMNS if c.table.hidden is None and c.table.within is None),
    key=lambda c: c.table.rank))


def column_names() -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS)
