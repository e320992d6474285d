"""The routing log's record (経路ログの記録): the ONE declaration of its fields and vocabularies.

``HopRecord`` declares every field once — name, Python type, SQL type, which chain format first
covers it, whether operators' queries need an index, and what it means. Everything else derives
from it: the writer's INSERT and the readers (``bus/store/routing_log.py``), the hash chain's field
lists and type affinities (``bus/store/chain.py``), the schema check at open and in the tests
(``bus/store/migrations.py``), the exports and the CLI's JSON output.

Adding a field (docs/contributing.md): declare it here with ``column(...)``, giving ``chain`` the
next chain format; append a migration built with ``migrations.add_columns(...)``; the tests in
``tests/unit/test_hop_record.py`` fail until the DDL, the chain and the declaration agree.

Pure: no SQLite, no Twisted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any

from ..core.faults import Party

__all__ = ["Column", "HOPS", "Hop", "HopRecord", "PARTIES", "Party", "STATUSES", "Status",
           "COLUMNS", "column_names", "to_utc_iso"]


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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _new_exchange_id() -> str:
    return str(uuid.uuid4())


def column(sql: str, doc: str, *, chain: int = 1, index: bool = False, default: Any = None,
           default_factory: Any = None, not_null: bool = False) -> Any:
    """A field of ``HopRecord`` with its column facts (in the dataclass field's metadata).

    ``chain``: the chain format from which the record hash covers the field (every field is
    covered: a new field comes with a new chain format). ``index``: operators query by it.
    """
    if sql not in SQL_TYPES:
        raise ValueError(f"unknown SQL type {sql!r}")
    meta = {"sql": sql, "doc": doc, "chain": chain, "index": index, "not_null": not_null}
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

    hop: Hop = column("TEXT", "the step (Hop)", not_null=True)
    status: Status = column("TEXT", "ok, fault or error (Status)", not_null=True, index=True)
    message_id: str | None = column("TEXT", "the platform header's MessageId", index=True)
    relates_to: str | None = column("TEXT", "on a reply: the request's message ID", index=True)
    service_id: str | None = column("TEXT", "service ID", index=True)
    service_version: str | None = column("TEXT", "service version")
    sender: str | None = column("TEXT", "the claimed sender, 団体コード/業務ユニット/system, "
                                        "e.g. 131016/07/vendor-b-tax", index=True)
    receiver: str | None = column("TEXT", "the addressed receiver (団体コード/…): searched by "
                                          "団体コード prefix", index=True)
    provider: str | None = column("TEXT", "provider (or subscribers) routed to")
    endpoint: str | None = column("TEXT", "provider URL")
    http_status: int | None = column("INTEGER", "HTTP status answered or received")
    fault_code: str | None = column("TEXT", "PF-… fault code", index=True)
    party: Party | None = column("TEXT", "who was at fault (Party)")
    rule: str | None = column("TEXT", "the rule a finding names")
    path: str | None = column("TEXT", "element path of the first finding")
    line: int | None = column("INTEGER", "line of the first finding")
    reason: str | None = column("TEXT", "what was wrong, never a payload value")
    duration_ms: float | None = column("REAL", "time taken")
    request_bytes: int | None = column("INTEGER", "request size")
    response_bytes: int | None = column("INTEGER", "response size")
    soap_version: str | None = column("TEXT", "1.1 or 1.2")
    attempt: int | None = column("INTEGER", "notices: which delivery attempt (1 = the first)")
    at: str = column("TEXT", "UTC ISO-8601 with microseconds", not_null=True, index=True,
                     default_factory=_now)
    # One per inbound HTTP exchange: groups the hops even when no message ID could be read.
    exchange_id: str = column("TEXT", "one per inbound HTTP exchange", not_null=True,
                              index=True, default_factory=_new_exchange_id)
    # chain format 2 (migration 4): who actually sent it, whatever the header claims
    peer: str | None = column("TEXT", "the adapter authenticated by its TLS client "
                                      "certificate ([[adapters]] id)", chain=2, index=True)
    remote: str | None = column("TEXT", "the caller's address, IP:port", chain=2)
    recovered: int | None = column("INTEGER", "1: written at start from the notice store's "
                                              "facts, after a crash lost the original", chain=2)
    # chain format 3 (migration 6): file linkage — the rows of a file (its size is
    # request_bytes, its SHA-256 message_id, its kind service_id)
    rows: int | None = column("INTEGER", "file linkage: data rows of the file (header "
                                         "excluded)", chain=3)

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


COLUMNS: tuple[Column, ...] = tuple(
    Column(f.name, f.metadata["sql"], f.metadata["chain"], f.metadata["index"],
           f.metadata["not_null"], f.metadata["doc"]) for f in fields(HopRecord))
BY_NAME = {c.name: c for c in COLUMNS}


def column_names() -> tuple[str, ...]:
    return tuple(c.name for c in COLUMNS)
