"""SentAt in the lexical forms xs:dateTime allows beyond the canonical one (round 13, P-LEX-01).

XML Schema 1.0 Part 2 §3.2.7: the hour 24 is allowed when minutes and seconds are zero, and
``24:00:00`` is the first instant of the next day — ``2026-12-03T24:00:00+09:00`` is the instant
``2026-12-04T00:00:00+09:00``. (XSD 1.1 keeps the form.) header-v1.xsd's SentAt is such a value
with the suffix +09:00, so a T24:00:00 SentAt is a midnight in Japan, and none is near now at
every hour. The case sends the midnight that began yesterday (Japan's date), written as the day
before's 24:00 — 24 to 48 hours ago at any hour the run falls on. A provider may hold a request to
``max_age`` (the hub's PF-MESSAGE-STALE, freshness:max_age): read right, the value is then stale,
so ``answer_or_stale`` accepts an answer or that refusal — a product that cannot read the form
answers neither (the thirteenth blind batch: PF-PROVIDER-INTERNAL). A notice is held to the
future bound only (docs/faults.md), so a notice must be answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bus.core.faults import FaultDetail
from bus.core.header import JST
from bus.core.service_pattern import ServicePattern

STALE = "PF-MESSAGE-STALE"


def hour_24() -> str:
    """Yesterday's 00:00 in Japan, written as the day before's 24:00:00 (24–48 hours ago)."""
    before = dt.datetime.now(JST).date() - dt.timedelta(days=2)
    return f"{before.isoformat()}T24:00:00+09:00"


FORMS: dict[str, Callable[[], str]] = {"hour_24": hour_24}


def answer_or_stale(ctx, ex) -> list[str]:
    """An answer; for a request (not a notice) also a client fault PF-MESSAGE-STALE naming
    freshness:max_age — the value read as the instant it is, then found too old."""
    from .checks import _detail, fault_summary  # checks imports this module

    env = ex.envelope()
    if not env.is_fault:
        return []
    spec = ctx.catalog.service(ex.service or "")
    detail = _detail(ex)
    d = FaultDetail.from_element(detail) if detail is not None else None
    if spec is not None and spec.pattern != ServicePattern.NOTICE and d is not None and \
            d.code == STALE and d.party == "client" and \
            any(f.rule == "freshness:max_age" for f in d.findings):
        return []
    allowed = "an answer" if spec is not None and spec.pattern == ServicePattern.NOTICE else \
        f"an answer or {STALE} naming freshness:max_age"
    return [f"{fault_summary(env)} where {allowed} was due: the SentAt is the instant "
            f"{ex.sent_header.sent_at if ex.sent_header else '?'} names"]
