"""Everything the run observed, observed again after a restart (round 34b; S-RELOAD-01, step
``reobserve``).

The durability misses of the blind batches since the thirty-second share one shape: a start-up
that reloads some value wrongly — a name with white space at an end, a name carrying
cmn:Original, a 宛名番号 shorter than ten digits, 異動連番 past a power of ten — while the cases
that send such values observe them without a restart in between, and the restart cases hold
other values. Rounds 32b and 33b added the values one by one to S-FIELD-01; the product of
values × restart is what one case cannot enumerate. So the run keeps every observation it makes
(``ObservationLog``, wrapping ``--observe``), and S-RELOAD-01, the last subscriber case before
the invariants, restarts the product once and observes again every resident whose state nothing
has changed since its last observation: it must print what it printed then (the same JSON, or
again not held) — every value any case sent is then judged across a restart too.

A resident counts as unchanged when no request the suite sent after its last observation names
its 宛名番号: every request of the run is read for cmn:AddresseeNumber (as XML, whatever its
encoding and form; one that is not well-formed by its text) — but S-LATE-02's deliveries again
of notices receipted before (late_notices.py), which change nothing.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .records import CommandRun, Exchange

_NUMBER_TEXT = re.compile(rb"AddresseeNumber>\s*([0-9]+)\s*<")
# the element's name in each encoding a request may come in (an element name is never a reference)
_NAMES = tuple("AddresseeNumber".encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be"))
_PARSERS = threading.local()  # an lxml parser is not to be shared between threads (per_request)
SHOWN = 20  # differences listed one by one; the rest counted


def addressee_numbers(raw: bytes) -> set[str]:
    """The 宛名番号 a request names (any cmn:AddresseeNumber, or a look-alike in another
    namespace: a request the product may read either way counts)."""
    if not any(name in raw for name in _NAMES):
        return set()  # a request naming none is not parsed
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return {m.decode() for m in _NUMBER_TEXT.findall(raw)}
    return {"".join(el.itertext()).strip() for el in root.iter("{*}AddresseeNumber")}


def outcome(run: CommandRun) -> Any:
    """What an observation says: its JSON, or that the resident is not held (any non-zero exit:
    the text of the error is the product's own)."""
    return run.json if run.exit_code == 0 else "not held"


@dataclass
class Observation:
    values: Mapping[str, Any]
    label: str
    at: float  # monotonic, as the observation began
    seen: Any  # outcome()


class ObservationLog:
    """The run's last observation of each resident, and when a request last named each
    宛名番号 (``sent``: the transport tells it of every request)."""

    def __init__(self) -> None:
        self.last: dict[str, Observation] = {}
        self.named: dict[str, float] = {}

    def sent(self, ex: Exchange) -> None:
        if ex.redelivery:  # a duplicate changes nothing: a product that changed one on it
            return  # shows when the resident is observed again
        at = ex.sent_monotonic if ex.sent_monotonic is not None else time.monotonic()
        for number in addressee_numbers(ex.request):
            self.named[number] = at

    def observed(self, values: Mapping[str, Any], label: str, at: float, run: CommandRun) -> None:
        number = values.get("addressee_number")
        if number:
            self.last[str(number)] = Observation(dict(values), label, at, outcome(run))

    def unchanged(self) -> list[tuple[str, Observation]]:
        """The residents observed since a request last named them, in the order observed."""
        return sorted(((n, o) for n, o in self.last.items()
                       if self.named.get(n, float("-inf")) < o.at), key=lambda item: item[1].at)


class RecordingObserve:
    """``--observe`` as the run uses it, keeping each observation in ``log``."""

    def __init__(self, inner, log: ObservationLog) -> None:
        self.inner = inner
        self.log = log

    def __getattr__(self, name: str) -> Any:  # template, name: what the report shows
        return getattr(self.inner, name)

    def run(self, step: str, values: Mapping[str, object], timeout: float) -> CommandRun:
        at = time.monotonic()
        run = self.inner.run(step, values, timeout)
        self.log.observed(values, step, at, run)
        return run


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """Restart the product, then observe again every resident ``unchanged`` (module doc)."""
    log: ObservationLog = runner.s.observations
    residents = log.unchanged()
    if not residents:
        runner.skip_reason = "the run observed no resident before this case"
        return []
    problems = runner._restart(step, values)
    if problems:
        return [f"the restart: {p}" for p in problems]
    timeout = runner._timeout(step, values)
    differences = []
    for number, before in residents:
        run = runner.s.observe.run(f"observe {number} again after the restart", before.values,
                                   timeout)
        runner.result.commands.append(run)
        now = outcome(run)
        if now != before.seen:
            differences.append(f"宛名番号 {number}: observed {before.seen!r} after "
                               f"{before.label!r}, {now!r} after a restart")
    if len(differences) > SHOWN:
        differences = differences[:SHOWN] + [f"… and {len(differences) - SHOWN} more of the "
                                             f"{len(residents)} residents observed again"]
    return differences
