"""Notice sequences judged by the receiver model of grid_notices.py (step ``grid``): the notice
grid itself (S-GRID-01, ``notices``) and the point sets of round 16 (notice_points.py):
``calendar`` (S-CAL-01: residents and 異動 on the calendar's edges) and ``redelivery``
(S-ONCE-09: a redelivery of every notice kind). Each builds its own 異動通知 on fresh residents,
sends them to the product and — with ``--observe`` — observes every resident it touched at the
end (moved here from the interpreter, which keeps the dispatch)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import grid_notices, notice_points
from .envelopes import envelope, http_headers, request_header, soap_actions
from .records import CommandRun, Exchange

# grid target → (its points from the change_reason code list's codes and groups)
POINT_SETS: dict[str, Callable[[Iterable[str], Mapping[str, str]],
                               list[grid_notices.Point]]] = {
    "notices": lambda codes, groups: grid_notices.points(codes),
    "calendar": notice_points.calendar_points,
    "redelivery": notice_points.redelivery_points,
}


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """The point set ``step.target`` sent to the product, judged against the receiver model."""
    from .interpreter import CaseDataError  # the interpreter imports this module

    spec = runner._service(runner.instance.service, step.where)
    timeout = runner._timeout(step, values)
    state = runner.s

    def exchange(request: bytes, soap: str, header, label: str) -> Exchange:
        ex = Exchange(step=label, direction="to-product", method="POST",
                      url=runner._url(step, spec.id), request=request,
                      request_headers=http_headers(soap, soap_actions(spec.wsdl).get(soap, "")),
                      service=spec.id, soap_version=soap, sent_header=header)
        state.transport.exchange(ex, timeout)
        runner.result.exchanges.append(ex)
        runner._observe_answer(step, ex)
        return ex

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

    reasons = state.catalog.codelists.get("change_reason")
    if not reasons:
        raise CaseDataError(f"{step.where}: the catalog has no change_reason code list")
    driver = grid_notices.Driver(runner._fresh_addressee, send, resend,
                                 observe if state.observe is not None else None, rng=state.rng)
    points = POINT_SETS[step.target](reasons.labels, reasons.groups)
    return grid_notices.NoticeGrid(driver, state.context.namespaces,
                                   reasons.groups).run(reasons.labels, points)
