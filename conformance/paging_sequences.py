"""全件抽出's paging as a state machine (ページングの状態遷移, J-GRID-03): sequences of page
requests judged against a small pure model of the contract.

Every other 全件 case asks page 1 first and then pages in ascending order (J-GRID-02 asks 1, the
last and the one past it; J-FULL-10 page 2 after page 1). The documents allow any order: a first
request (no ExtractId) names a Page like every request (juki-v1.xsd: Page is required in each,
a first request included; docs/notices.md: "every page … echoes its Page"), a receiver resumes
a transfer from the last confirmed page with its RequestId (docs/notices.md: "after any failure
the same transfer ID resumes from the last confirmed page"), a later page may be asked again (a
lost answer) or past the end ("a normal answer … no juki:Resident"). ``SEQUENCES`` sends each
such order once — a first request for page 2 (with a RequestId) and for the last page (without),
one past the end, pages out of order and repeated, a retried first request asking another page —
over SOAP 1.1 and 1.2 in turn, every request with the same PageSize (⌈TotalCount / 3⌉: three
pages, the last one short when the count allows).

The model (``expect``) says for each request which snapshot answers (a first request without a
RequestId freezes a new one; one with a RequestId seen before names the earlier one), its Page,
TotalPages, TotalCount and how many residents the page holds. The product's order of residents is
its own ("one stable order"), so the judge learns a page's residents from the first answer holding
it and wants every later answer of that page to hold the same ones in the same order, pages of one
snapshot disjoint, every resident one of the test data living here (leaf by leaf, grid.compare),
and a snapshot whose every page was read to hold TotalCount residents.

Round 35b: the request's other fields across a transfer. The 基準日 (AsOf: none, the day before
the first resident moved in — an empty extract —, or a day of the test data that holds some of
them), the header's LinkageKind (a 全件 request sent as delta is answered as any other of its
service: README), a first request retried with the same RequestId but another 基準日 or
LinkageKind (docs/notices.md: the key is (Sender, RequestId) and nothing else; the snapshot the
first one froze answers), and the ExtractId of an empty extract named again (its pages are past
the end: normal answers). The thirty-fifth blind batch's providers read a delta request's AsOf
as "changed since", keyed the RequestId with the AsOf and forgot empty extracts' ExtractIds; the
sequences below send those pairs and their neighbours. (A retry seconds later: P-LATE-01,
late_retries.py.)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from . import grid
from .checks import outcome

LAST, PAST = -1, -2  # page symbols: the last page, the one past it
# 基準日 symbols: none, the day before every resident (an empty extract), a day holding some
NONE, BEFORE, MID = "", "before", "mid"


@dataclass(frozen=True)
class Ask:
    """One request: ``first`` (no ExtractId; ``request_id``: with the sequence's RequestId) or a
    later page of the sequence's snapshot; ``page`` a number, LAST or PAST."""

    page: int
    first: bool = False
    request_id: bool = False
    as_of: str = NONE  # the 基準日 it carries (NONE, BEFORE, MID)
    kind: str = ""  # the header's LinkageKind when not the service's ("delta")


@dataclass(frozen=True)
class Sequence:
    what: str
    asks: tuple[Ask, ...]


SEQUENCES = (
    Sequence("a first request for page 2 with a RequestId (a receiver resuming), then pages 1, "
             "the last and 2 again",
             (Ask(2, first=True, request_id=True), Ask(1), Ask(LAST), Ask(2))),
    Sequence("a first request for the last page without a RequestId, then the page past the "
             "end, then page 1", (Ask(LAST, first=True), Ask(PAST), Ask(1))),
    Sequence("a first request past the end with a RequestId, then that first request retried "
             "for page 1", (Ask(PAST, first=True, request_id=True),
                            Ask(1, first=True, request_id=True))),
    Sequence("pages out of order and repeated: 1, the last, 2, the last again, 1 again",
             (Ask(1, first=True, request_id=True), Ask(LAST), Ask(2), Ask(LAST), Ask(1))),
    Sequence("a first request retried for another page: 1, 2, then the first request again for "
             "page 2 and for page 1",
             (Ask(1, first=True, request_id=True), Ask(2), Ask(2, first=True, request_id=True),
              Ask(1, first=True, request_id=True))),
    # round 35b: the 基準日 and the LinkageKind across one transfer and its retries
    Sequence("an empty extract (基準日 before every resident) with a RequestId: page 1, its "
             "ExtractId for page 1 again and page 2, then the first request retried for page 1 "
             "with a 基準日 that holds residents",
             (Ask(1, first=True, request_id=True, as_of=BEFORE), Ask(1), Ask(2),
              Ask(1, first=True, request_id=True, as_of=MID))),
    Sequence("sent as LinkageKind delta with a 基準日 that holds some residents: page 1, the last "
             "as delta, page 2 as full, the page past the end as delta",
             (Ask(1, first=True, request_id=True, as_of=MID, kind="delta"),
              Ask(LAST, kind="delta"), Ask(2), Ask(PAST, kind="delta"))),
    Sequence("a first request with a 基準日 retried with the same RequestId without one, with "
             "another, and as delta",
             (Ask(1, first=True, request_id=True, as_of=MID), Ask(2, first=True, request_id=True),
              Ask(1, first=True, request_id=True, as_of=BEFORE),
              Ask(LAST, first=True, request_id=True, kind="delta"))),
    Sequence("a first request without a 基準日 as delta, page 2, then the first request retried "
             "with a 基準日 before every resident, and page 1 as delta",
             (Ask(1, first=True, request_id=True, kind="delta"), Ask(2),
              Ask(1, first=True, request_id=True, as_of=BEFORE), Ask(1, kind="delta"))),
)


@dataclass(frozen=True)
class Expected:
    """The model's answer to one request."""

    snapshot: int  # which snapshot of the sequence (0, 1 …) answers
    page: int
    total_pages: int
    total_count: int
    records: int


def page_size(count: int) -> int:
    """Three pages where the count allows (the last one short when 3 does not divide it)."""
    return max(1, math.ceil(count / 3))


def expect(sequence: Sequence, count: int, size: int,
           counts: Mapping[str, int] | None = None) -> list[Expected]:
    """The contract's answer to each request of ``sequence`` (module docstring); ``counts``: the
    residents living on each 基準日 symbol (NONE: ``count``)."""
    counts = {**(counts or {}), NONE: count}
    out: list[Expected] = []
    snapshots, by_request_id = 0, None
    current, held_by = -1, {}  # snapshot -> its TotalCount, frozen by its first request
    for ask in sequence.asks:
        if ask.first:
            if ask.request_id and by_request_id is not None:
                current = by_request_id  # the same RequestId: the same snapshot
            else:
                current, snapshots = snapshots, snapshots + 1
                held_by[current] = counts[ask.as_of]
                if ask.request_id:
                    by_request_id = current
        total = held_by[current]
        pages = math.ceil(total / size)
        number = number_of(ask.page, pages)
        held = 0 if number > pages else size if number < pages else total - size * (pages - 1)
        out.append(Expected(current, number, pages, total, held))
    return out


def number_of(page: int, pages: int) -> int:
    return max(pages, 1) if page == LAST else pages + 1 if page == PAST else page


def run_step(runner, step, values) -> list[str]:
    """J-GRID-03 on the profile's test data (``model_data``), every sequence in turn."""
    model = grid.load_model(str(values["model_data"]))
    days = sorted(r.moved_in for r in model)
    dates = {BEFORE: days[0] - dt.timedelta(days=1), MID: days[len(days) // 2]}
    living = {NONE: {r.addressee: r for r in model},  # no 基準日: every resident of the data
              **{symbol: {r.addressee: r for r in model if grid.lived_here(r, day)}
                 for symbol, day in dates.items()}}
    size = page_size(len(living[NONE]))
    problems: list[str] = []
    for k, sequence in enumerate(SEQUENCES, start=1):
        request_id = f"J-GRID-03-{k}-{runner._fresh_addressee()}"
        label = f"[{sequence.what}; PageSize {size}, TotalCount {len(living[NONE])}]"
        problems += _run(runner, step, values, sequence, request_id, size, living, dates, label)
    return problems


def _run(runner, step, values, sequence: Sequence, request_id: str, size: int,
         living: Mapping[str, Mapping[str, grid.Resident]], dates: Mapping[str, dt.date],
         label: str) -> list[str]:
    ns = runner.s.context.namespaces
    problems: list[str] = []
    extract_ids: dict[int, str] = {}
    as_of: dict[int, str] = {}  # snapshot -> the 基準日 symbol of the request that made it
    pages: dict[tuple[int, int], list[str]] = {}  # (snapshot, page) → its 宛名番号 in order
    counts = {symbol: len(residents) for symbol, residents in living.items()}
    for i, (ask, want) in enumerate(zip(sequence.asks, expect(sequence, counts[NONE], size,
                                                               counts), strict=True), start=1):
        as_of.setdefault(want.snapshot, ask.as_of)
        soap = "1.2" if i % 2 == 0 else "1.1"
        kind = "first request" if ask.first else "later request"
        extra = (f", 基準日 {dates[ask.as_of]}" if ask.as_of else "") + \
            (f", LinkageKind {ask.kind}" if ask.kind else "")
        at = f"{label} request {i} ({kind}, Page {want.page}{extra}, SOAP {soap})"
        vars_: dict[str, object] = {"page_size": size, "page": want.page}
        if ask.first:
            ref = "full_extract.first_page" + ("_request_id" if ask.request_id else "") + \
                ("_as_of" if ask.as_of else "")
            vars_["request_id"] = request_id
            if ask.as_of:
                vars_["as_of"] = dates[ask.as_of].isoformat()
        elif want.snapshot in extract_ids:
            ref, vars_["extract_id"] = "full_extract.next", extract_ids[want.snapshot]
        else:  # the snapshot's first request failed: nothing to ask for
            continue
        options: dict[str, object] = {"soap": soap}
        if ask.kind:  # the header's LinkageKind, the case's other header fields kept
            options["header"] = {**(step.get("header") or {}), "linkage_kind": ask.kind}
        ex = runner._post(step.with_options(**options), values, ref, vars_, at)
        if found := outcome(ex, "response"):
            problems += [f"{at}: {m}" for m in found]
            continue
        body = ex.envelope().body
        head = {n: body.xpath(f"string(juki:{n})", namespaces=ns)
                for n in ("ExtractId", "Page", "TotalPages", "TotalCount")}
        known = extract_ids.setdefault(want.snapshot, head["ExtractId"])
        for name, value in (("ExtractId", known), ("Page", str(want.page)),
                            ("TotalPages", str(want.total_pages)),
                            ("TotalCount", str(want.total_count))):
            if head[name] != value:
                why = " (the snapshot this sequence's RequestId named)" \
                    if name == "ExtractId" and ask.first else ""
                problems.append(f"{at}: {name} is {head[name]!r}, the model says {value!r}{why}")
        records = body.xpath("juki:Resident", namespaces=ns)
        keys = [r.xpath("string(cmn:AddresseeNumber)", namespaces=ns) for r in records]
        if len(keys) != want.records:
            problems.append(f"{at}: {len(keys)} residents, the model says {want.records}")
        problems += _contents(at, want, keys, records, pages, living[as_of[want.snapshot]])
    for snapshot in {s for s, _ in pages}:
        residents = living[as_of[snapshot]]
        held = [(n, keys) for (s, n), keys in pages.items() if s == snapshot]
        every = {n for n, _ in held} >= set(range(1, math.ceil(len(residents) / size) + 1))
        got = {key for _, keys in held for key in keys}
        if every and got != set(residents):
            problems.append(f"{label} snapshot {snapshot + 1}: its pages together hold "
                            f"{len(got)} residents, the test data {len(residents)}")
    return problems


def _contents(at: str, want: Expected, keys: list[str], records, pages, living) -> list[str]:
    """This page's residents against what earlier answers of its snapshot held."""
    problems = []
    earlier = pages.setdefault((want.snapshot, want.page), keys)
    if earlier is not keys and earlier != keys:
        problems.append(f"{at}: page {want.page} holds {keys}, an earlier answer of this page "
                        f"held {earlier} (one stable order)")
    for (snapshot, number), other in pages.items():
        if snapshot == want.snapshot and number != want.page and (both := set(other) & set(keys)):
            problems.append(f"{at}: {sorted(both)} also on page {number} of this snapshot")
    for key, record in zip(keys, records, strict=True):
        if key not in living:
            problems.append(f"{at}: {key} is no resident of the test data")
        else:
            problems += grid.compare(f"{at} {key}", record, living[key])
    return problems
