"""Notice sequences judged by the receiver model of grid_notices.py (step ``grid``): the notice
grid itself (S-GRID-01, ``notices``, with round 16b's SentAt orders), the point sets of
notice_points.py: ``calendar`` (S-CAL-01: residents and 異動 on the calendar's edges),
``redelivery`` (S-ONCE-09: a redelivery of every notice kind), ``identifiers`` (S-IDENT-01:
MessageIds alike but for one digit), ``restarts`` (S-DUR-08: restarts inside a sequence) and
``date_orders`` (S-DATE-01: every pair of a notice's dates in the other order), ``retention``
(S-KEEP-01, seen_retention.py: seen MessageIds of every age across a restart), round 23b's
``fields`` (S-FIELD-01, start_fields.py: every state a resident can be in, across a start-up)
and ``partitions`` (S-PART-01, partitions.py: notices of earlier calendar periods delivered
again), round 23c's ``id_changes`` (S-IDCHG-01, identifier_changes.py: a new 住民票コード, 個人番号
and 世帯番号 under every 異動事由) and ``kana`` (S-KANA-01, kana_rows.py: JIS X 0208 rows 4 and
5 as names), round 24's ``addresses`` (S-PREF-01, address_values.py: every 都道府県 and address
part at its edges), ``cjk_blocks`` (S-CJK-01, cjk_blocks.py: every block of the MJ table) and
``field_values`` (S-FIELD-02, value_restarts.py: values at their edges across a start-up),
round 26's ``former_surnames`` (S-FMR-01, former_surnames.py: C08/C09 with and without a
FormerSurname), round 26b's ``reason_crashes`` (S-DUR-10, reason_crashes.py: a change of every
異動事由 right before a crash), round 27b's ``outcome_crashes`` (S-DUR-11, outcome_crashes.py: a
notice of every outcome branch right before a crash), round 35b's ``multi_restarts`` (S-MULTI-05,
multi_change_restarts.py: equal 異動連番 and dates against them in one notice, across a restart),
and round 17's
``dates`` (S-CAL-02, notice_dates.py) and ``equivalents`` (S-CHR-15, notice_equivalents.py). Each
builds its own 異動通知 on fresh residents, sends them to the product and — with ``--observe`` —
observes every resident it touched at the end (moved here from the interpreter, which keeps the
dispatch)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import (address_values, checks, cjk_blocks, former_surnames, grid_notices,
               identifier_changes, kana_rows, multi_change_orders, multi_change_restarts, notice_dates,
               notice_equivalents, notice_points, optional_elements, outcome_crashes, partitions,
               reason_crashes, seen_retention, start_fields, value_restarts)
from .envelopes import envelope, http_headers, request_header, soap_actions
from .records import CommandRun, Exchange

# grid target → (its points from the change_reason code list's codes and groups, the run's rng)
POINT_SETS: dict[str, Callable[[Iterable[str], Mapping[str, str], random.Random],
                               list[grid_notices.Point]]] = {
    "notices": lambda codes, groups, rng: grid_notices.points(codes, groups)
    + notice_points.sent_at_points(),
    "calendar": lambda codes, groups, rng: notice_points.calendar_points(codes, groups),
    "redelivery": lambda codes, groups, rng: notice_points.redelivery_points(codes, groups),
    "identifiers": lambda codes, groups, rng: notice_points.identifier_points(rng),
    "restarts": lambda codes, groups, rng: notice_points.restart_points(),
    "dates": lambda codes, groups, rng: notice_dates.date_points(codes, groups),  # S-CAL-02
    "equivalents": lambda codes, groups, rng: notice_equivalents.equivalent_points(codes, groups),
    "date_orders": lambda codes, groups, rng: notice_points.date_order_points(codes, groups),
    "retention": lambda codes, groups, rng: seen_retention.retention_points(),  # S-KEEP-01
    "fields": lambda codes, groups, rng: start_fields.field_points(groups),  # S-FIELD-01
    "partitions": lambda codes, groups, rng: partitions.partition_points(),  # S-PART-01
    # round 23c: a new identifier under every 異動事由 (S-IDCHG-01), kana rows 4–5 (S-KANA-01)
    "id_changes": lambda codes, groups, rng: identifier_changes.id_change_points(codes, groups,
                                                                                 rng),
    "kana": lambda codes, groups, rng: kana_rows.kana_points(),
    # round 24: every address value (S-PREF-01), every block of the MJ table (S-CJK-01), values
    # at their edges across a start-up (S-FIELD-02)
    "addresses": lambda codes, groups, rng: address_values.address_points(),
    "cjk_blocks": lambda codes, groups, rng: cjk_blocks.cjk_points(),
    "field_values": lambda codes, groups, rng: value_restarts.value_points(),
    # round 25: a multi-change notice then a change at every place (S-MULTI-04), every optional
    # element of the notice's types absent alone and present alone (S-OPT-01)
    "multi_orders": lambda codes, groups, rng: multi_change_orders.multi_order_points(),
    "optional": lambda codes, groups, rng: optional_elements.optional_points(),
    # round 26: C08/C09 (旧氏・通称) with and without a FormerSurname (S-FMR-01)
    "former_surnames": lambda codes, groups, rng: former_surnames.former_points(),
    # round 26b: a change of every 異動事由 in one notice, a crash right after its receipt
    # (S-DUR-10)
    "reason_crashes": lambda codes, groups, rng: reason_crashes.reason_crash_points(codes),
    # round 27b: a notice of every outcome branch right before a crash, then again (S-DUR-11)
    "outcome_crashes": lambda codes, groups, rng: outcome_crashes.outcome_crash_points(),
    # round 35b: equal 異動連番 and dates against them in one notice, across a restart (S-MULTI-05)
    "multi_restarts": lambda codes, groups, rng: multi_change_restarts.multi_restart_points(),
}


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """The point set ``step.target`` sent to the product, judged against the receiver model."""
    from .interpreter import CaseDataError  # the interpreter imports this module

    reasons = runner.s.catalog.codelists.get("change_reason")
    if not reasons:
        raise CaseDataError(f"{step.where}: the catalog has no change_reason code list")
    points = POINT_SETS[step.target](reasons.labels, reasons.groups, runner.s.rng)
    return grid_notices.NoticeGrid(driver(runner, step, values),
                                   reasons.groups).run(reasons.labels, points)


def poster(runner, step, spec, timeout: float) -> Callable[..., Exchange]:
    """(message bytes, SOAP version, its header, step label[, held]) -> the exchange: the message
    POSTed to the product's ``spec`` endpoint (``held``: on the connection the transport holds),
    recorded in the result and judged by the invariants
    (also restart_runs.py's S-RST-01)."""
    def post(request: bytes, soap: str, header, label: str, held: bool = False) -> Exchange:
        ex = Exchange(step=label, direction="to-product", method="POST",
                      url=runner._url(step, spec.id), request=request,
                      request_headers=http_headers(soap, soap_actions(spec.wsdl).get(soap, "")),
                      service=spec.id, soap_version=soap, sent_header=header)
        runner.s.transport.exchange(ex, timeout, held)
        runner.result.exchanges.append(ex)
        runner._observe_answer(step, ex)
        return ex
    return post


def driver(runner, step, values: Mapping[str, Any]) -> grid_notices.Driver:
    """What a notice sequence needs of the interpreter: send, resend, observe, restart (also
    widths.py's S-WIDTH-01)."""
    spec = runner._service(runner.instance.service, step.where)
    timeout = runner._timeout(step, values)
    state = runner.s
    exchange = poster(runner, step, spec, timeout)

    def send(body: str, soap: str, label: str, overrides: Mapping[str, str]) -> Exchange:
        header = request_header(spec, values, overrides, state.suite.linkage_kind(spec.id))
        return exchange(envelope(body, soap, header), soap, header, label)

    def resend(first: Exchange, body: str, soap: str, label: str) -> Exchange:
        same = soap == first.soap_version  # the same bytes, or the same header re-wrapped
        return exchange(first.request if same else envelope(body, soap, first.sent_header),
                        soap, first.sent_header, label)

    def observe(number: str, label: str) -> CommandRun:
        assert state.observe is not None
        run = state.observe.run(label, {**runner._command_values(step, values),
                                        "addressee_number": number}, timeout)
        runner.result.commands.append(run)
        return run

    def restart(label: str) -> list[str]:
        assert state.restart is not None
        run = state.restart.run(label, runner._command_values(step, values),
                                float(values.get("restart_timeout", timeout)))
        runner.result.commands.append(run)
        return [f"{label}: {p}" for p in checks.exit_status(run, "zero")]

    return grid_notices.Driver(runner._fresh_addressee, send, resend,
                               observe if state.observe is not None else None, rng=state.rng,
                               restart=restart if state.restart is not None else None)
