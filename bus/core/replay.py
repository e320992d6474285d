"""Replay and freshness of requests (WS-Security's timestamp + nonce idea, on the platform header).

- ``Freshness``: a header's SentAt must lie within ``[hub] clock_skew`` seconds ahead of the
  hub's clock and ``[hub] max_age`` seconds behind it (PF-MESSAGE-STALE, the rule and the hub's
  time in the finding). Notices are held to the future bound only: a publisher's outbox resends
  a notice with its original bytes after an outage of any length, and the notice store's
  idempotency (by MessageId, for as long as it keeps the notice) refuses replays of notices anyway.
- ``request_only_fields``: RelatesTo and RequestHash belong to replies; a request carrying them
  is refused (PF-HEADER-INVALID). A notice may carry RelatesTo (an asynchronous result names the
  request it answers), never RequestHash.
- ``ReplayGuard``: a request's MessageId seen within ``[hub] replay_window`` is refused
  (PF-DUPLICATE-MESSAGE) — the idempotent receiver of request-response exchanges. Which IDs were
  seen is kept by a ``SeenMessages`` store (bus/store/seen_messages.py), so a restart does not
  reopen the window. The window must cover max_age + clock_skew: a message old enough to have
  been forgotten is already refused as stale.

Pure: every check takes the time as a parameter (seconds since the epoch).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from . import faults
from .faults import HubFault
from .findings import Finding
from .header import JST, PlatformHeader


@dataclass(frozen=True)
class Freshness:
    clock_skew: float = 300.0  # seconds SentAt may be ahead of the hub's clock
    max_age: float = 3600.0  # seconds SentAt may be behind it

    def check(self, sent_at: str, now: float, *, is_notice: bool = False,
              path: str | None = None, line: int | None = None) -> Finding | None:
        """The finding refusing ``sent_at`` (a schema-valid xs:dateTime), or None."""
        sent = _seconds_of(sent_at)
        if sent is None:
            return Finding("freshness:sent_at", "SentAt is not a date and time the hub can "
                           "read", path, line)
        delta = sent - now
        if -self.max_age <= delta <= self.clock_skew or (is_notice and delta <= self.clock_skew):
            return None  # fresh: the usual case, without formatting the hub's time
        hub_time = dt.datetime.fromtimestamp(now, JST).replace(microsecond=0).isoformat()
        if delta > self.clock_skew:
            return Finding("freshness:clock_skew", f"SentAt {sent_at} is {delta:.0f} s ahead of "
                           f"the hub's clock ({hub_time}); at most {self.clock_skew:g} s is "
                           f"accepted ([hub] clock_skew)", path, line)
        if not is_notice and -delta > self.max_age:
            return Finding("freshness:max_age", f"SentAt {sent_at} is {-delta:.0f} s old by the "
                           f"hub's clock ({hub_time}); at most {self.max_age:g} s is accepted "
                           f"([hub] max_age): a request sent again is a new message with a new "
                           f"MessageId and SentAt", path, line)
        return None


DEFAULT_FRESHNESS = Freshness()


@functools.lru_cache(maxsize=256)
def _seconds_of(sent_at: str) -> float | None:
    """``sent_at`` in seconds since the epoch (JST when it names no offset), None when it is
    not a date and time the hub can read. Kept per text: SentAt has second precision, so the
    requests sent in one second carry the same text (~8 k instructions each, issue 13)."""
    try:
        sent = dt.datetime.fromisoformat(sent_at)
    except ValueError:
        other = _xs_date_time(sent_at)  # the rarer lexical forms, only when needed
        if other is None:
            return None
        sent = other
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=JST)
    return sent.timestamp()


_HOUR_24 = re.compile(r"(-?\d{4,}-\d\d-\d\d)T24:00:00(?:\.0+)?(Z|[+-]\d\d:\d\d)?")


def _xs_date_time(text: str) -> dt.datetime | None:
    """An xs:dateTime in the forms ``fromisoformat`` refuses and XML Schema allows: white space
    around it (whiteSpace collapse) and the hour 24 with zero minutes and seconds, the first
    instant of the next day (XSD 1.0 §3.2.7). None if it is not one."""
    value = text.strip()
    m = _HOUR_24.fullmatch(value)
    try:
        if m:
            return dt.datetime.fromisoformat(f"{m[1]}T00:00:00{m[2] or ''}") + dt.timedelta(days=1)
        return dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None


def request_only_fields(header: PlatformHeader, *, is_notice: bool, path: str | None = None,
                        line: int | None = None) -> tuple[Finding, ...]:
    """Findings for reply-only fields on a request (or notice)."""
    findings = []
    if header.relates_to is not None and not is_notice:
        findings.append(Finding("header:relates_to", "RelatesTo belongs to replies: a request "
                                "must not carry it", path, line))
    if header.request_hash is not None:
        findings.append(Finding("header:request_hash", "RequestHash belongs to replies: a "
                                "request or notice must not carry it", path, line))
    return tuple(findings)


class SeenMessagesUnavailable(Exception):
    """The store of seen MessageIds cannot decide (disk full, read-only, locked too long)."""


class SeenMessages(Protocol):
    """Where the MessageIds of accepted requests are remembered until they expire."""

    def first_sighting(self, message_id: str, now: float,
                       expires_at: float) -> Awaitable[bool]:
        """Record ``message_id`` until ``expires_at``; False when it is already recorded with an
        expiry after ``now`` (a replay). Atomic: of two concurrent callers — in one process or
        in several sharing the store — one gets True. Raises SeenMessagesUnavailable when the
        store cannot decide."""
        ...

    def close(self) -> None:
        ...


class ReplayGuard:
    """Refuses a request whose MessageId was accepted within the replay window."""

    def __init__(self, seen: SeenMessages, window: float = 24 * 3600.0,
                 freshness: Freshness = DEFAULT_FRESHNESS):
        if window < freshness.max_age + freshness.clock_skew:
            raise ValueError(f"replay_window ({window:g} s) must cover max_age + clock_skew "
                             f"({freshness.max_age + freshness.clock_skew:g} s): a message "
                             f"forgotten sooner could be replayed while still fresh")
        self.seen = seen
        self.window = window

    async def admit(self, message_id: str, now: float, path: str | None = None,
                    line: int | None = None) -> None:
        """Remember ``message_id`` or raise PF-DUPLICATE-MESSAGE; PF-LOG-UNAVAILABLE when the
        store cannot say (evidence or refuse: the hub keeps the IDs beside its routing log)."""
        try:
            first = await self.seen.first_sighting(message_id, now, now + self.window)
        except SeenMessagesUnavailable as exc:
            raise HubFault(faults.LOG_UNAVAILABLE, (Finding(
                "replay:unavailable", f"the MessageIds seen cannot be recorded: {exc}",
                path, line),), message_id) from None
        if not first:
            raise HubFault(faults.DUPLICATE_MESSAGE, (Finding(
                "replay:message_id", f"MessageId {message_id} was received within the last "
                f"{self.window:g} s ([hub] replay_window); a new request needs a new MessageId",
                path, line),), message_id)
