"""S-RST-01 sent (step ``grid = "outcome_restarts"``): restart_outcomes.py's points on fresh
residents, two restarts (``--restart-command``) for all of them, judged by the notice grid's
receiver model (grid_notices.NoticeGrid: receipts, seen MessageIds, each resident's state)
extended by what the documents say of a refusal: a client fault, nothing recorded — neither a
change, nor a 異動連番, nor the MessageId — so that the same notice is refused again (with the
same pff:Code) after any restart, never ``duplicate``; an ``either`` outcome is judged by its
first answer. After the second restart every resident a point touched is observed: the model's
state, and a resident only refused notices named is not held. Every other point's notices carry
RelatesTo (round 33b): a notice that names a request is remembered as any other. Every other
pair of points publishes from a standby (Sender SystemId ``<suite_system_id>-standby``, as
S-ORD-05's) and has its notices delivered again by the suite's own system (round 40b): a
MessageId is remembered whoever sent it, also across a restart (docs/notices.md; the
thirty-ninth blind batch loaded the primary publisher's seen MessageIds only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import message_ids, notice_runs
from .checks import outcome
from .envelopes import envelope, request_header, tamper
from .grid_notices import Change, Driver, NoticeGrid, _Sent, notice_body
from .records import CommandRun, Exchange
from .restart_outcomes import DEFECTS, Again, Note, Plan, Point, sample

_HEAD = ('<juki:ResidentChangeNotice xmlns:juki="urn:pfbus:unit:juki:v1" '
         'xmlns:cmn="urn:pfbus:platform:common:v1">')
_TAIL = "</juki:ResidentChangeNotice>"
EITHER = ("mj_characters",)  # the outcomes a product may refuse or take


def bad_check_digit(number: str) -> str:
    """``number`` with its last digit changed: a check digit is unique, so the result is wrong."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


@dataclass
class _Record:
    """A notice as sent: what a redelivery repeats."""

    exchange: Exchange
    body: str
    changes: tuple[tuple[Change, str, str, str], ...]
    defect: str
    soap: str


class Run:
    """The model's run of a plan. ``post`` (raw bytes, SOAP version, header, label) sends."""

    def __init__(self, post: Callable[..., Exchange], restart: Callable[[str], list[str]],
                 observe: Callable[[str, str], CommandRun], fresh: Callable[[], str],
                 header: Callable[[Mapping[str, str]], Any], params: Mapping[str, Any],
                 groups: Mapping[str, str], rng) -> None:
        def unused(*_: object) -> Exchange:
            raise AssertionError("restart_runs sends its own notices")
        self.grid = NoticeGrid(Driver(fresh, unused, unused, observe, rng=rng), groups)
        self.post, self.restart, self.observe, self.header = post, restart, observe, header
        self.params, self.fresh = params, fresh
        self.primary = str(params["suite_system_id"])
        self.standby = f"{self.primary}-standby"  # a second publisher of the municipality
        self.records: dict[tuple[int, str], _Record] = {}
        self.answer: dict[str, str] = {}  # MessageId of a refused notice → its first pff:Code
        self.either: dict[str, bool] = {}  # an open outcome's MessageId → refused at first
        self.named: dict[str, str] = {}  # a 宛名番号 a refused notice named → the point

    def run(self, points: list[Point]) -> list[str]:
        plan = Plan(points)
        who = [[self.fresh() for _ in range(p.residents)] for p in points]
        labels = [f"[S-RST {p.label}; 宛名番号 {', '.join(w)}]" for p, w in zip(points, who,
                                                                             strict=True)]
        problems = self._setups(points, who, labels)
        for n, phase in enumerate(plan.phases):
            if n:
                problems += self.restart(f"restart {n} (S-RST-01)")
            for step_no, (i, step) in enumerate(phase, start=1):
                at = f"{labels[i]} phase {n + 1} #{step_no}"
                problems += self._note(i, step, who[i], at) if isinstance(step, Note) \
                    else self._again(i, step, at)
        for i, numbers in enumerate(who):
            for number in numbers:
                self.grid.where.setdefault(number, labels[i])
        for number, held in self.grid.held.items():
            problems += self.grid._observed(number, held)
        for number, label in self.named.items():
            if number not in self.grid.held:
                problems += self._not_held(number, label)
        return problems

    def _setups(self, points: list[Point], who: list[list[str]], labels: list[str]) -> list[str]:
        """Each position's residents moved in by one notice (a notice of several residents)."""
        problems = []
        for n, position in enumerate(dict.fromkeys(p.position for p in points)):
            mine = [(i, c) for i, p in enumerate(points) if p.position == position
                    for c in p.setup]
            if not mine:
                continue
            changes = tuple((c, who[i][c.who], who[i][c.who][::-1], c.name or "𠮷田花子")
                            for i, c in mine)
            for i, _ in mine:
                self.grid.where[who[i][0]] = labels[i]
            problems += self._send(-1 - n, "", changes, "", "1.2" if n % 2 else "1.1", {},
                                   f"[S-RST residents of the {position} points] setup")
        return problems

    def _note(self, i: int, note: Note, who: list[str], at: str) -> list[str]:
        changes = []
        for k, c in enumerate(note.changes):
            number = who[c.who]
            if note.defect == "addressee_number" and k == note.bad:
                number = bad_check_digit(number)
            changes.append((c, number, number[::-1], c.name or self.grid._fresh_name()))
        overrides = {}
        for name, value in DEFECTS.get(note.defect, ({}, "", None))[0].items():
            overrides[name] = str(self.params.get(value, value))
        if note.same_id:
            overrides["message_id"] = self.records[(i, note.same_id)].exchange.sent_header \
                .message_id
        if i % 2:  # round 33b: every other point's notices name the request they answer
            # (docs/faults.md: a notice may carry RelatesTo), kept across restarts as any other
            overrides.setdefault("relates_to", message_ids.fresh())
        if i // 2 % 2:  # round 40b: a standby publishes, the suite's own system delivers again
            overrides.setdefault("sender_system_id", self.standby)
        return self._send(i, note.key, tuple(changes), note.defect, note.soap, overrides, at,
                          note.bad)

    def _send(self, i: int, key: str, changes, defect: str, soap: str,
              overrides: Mapping[str, str], at: str, bad: int = 0) -> list[str]:
        parts = []
        for k, (c, number, household, name) in enumerate(changes):
            xml = notice_body([(c, number, household, name)])
            inner = xml[len(_HEAD):-len(_TAIL)]
            swap = DEFECTS.get(defect, ({}, "", None))[2]
            if swap and k == bad:
                old, new = (t.format(reason=c.reason, sequence=c.sequence,
                                     relationship=c.relationship) for t in swap)
                if old not in inner:
                    raise AssertionError(f"{at}: {old} is not in the change")
                inner = inner.replace(old, new, 1)
            parts.append(inner)
        body = _HEAD + "".join(parts) + _TAIL
        header = self.header(overrides)
        raw = envelope(body, soap, header)
        if how := DEFECTS.get(defect, ({}, "", None))[1]:
            raw = tamper(raw, how)
        ex = self.post(raw, soap, header, f"{at} (SOAP {soap})")
        record = _Record(ex, body, tuple(changes), defect, soap)
        if key:
            self.records[(i, key)] = record
        if defect and defect not in EITHER:
            for _, number, _, _ in changes:
                self.named.setdefault(number, at)
        return self._judge(record, ex, f"{at} (SOAP {soap})")

    def _again(self, i: int, again: Again, at: str) -> list[str]:
        first = self.records[(i, again.key)]
        soap = ("1.2" if first.soap == "1.1" else "1.1") if again.other else first.soap
        header = first.exchange.sent_header
        assert header is not None
        if header.sender.system_id == self.standby:
            header = replace(header, sender=replace(header.sender, system_id=self.primary))
            at = f"{at} (the notice {again.key!r} again from {self.primary}, SOAP {soap})"
        else:
            at = f"{at} (the notice {again.key!r} again, SOAP {soap})"
        if soap == first.soap and header is first.exchange.sent_header:
            raw = first.exchange.request
        else:
            raw = envelope(first.body, soap, header)
            if how := DEFECTS.get(first.defect, ({}, "", None))[1]:
                raw = tamper(raw, how)
        ex = self.post(raw, soap, header, at)
        return self._judge(_Record(ex, first.body, first.changes, first.defect, soap), ex, at)

    def _judge(self, record: _Record, ex: Exchange, at: str) -> list[str]:
        header = ex.sent_header
        message_id = header.message_id if header else ""
        refused = bool(record.defect) and record.defect not in EITHER
        if record.defect in EITHER and message_id not in self.grid.seen:
            if message_id not in self.either:  # its first answer decides
                self.either[message_id] = not outcome(ex, "fault")
                if self.either[message_id]:
                    for _, number, _, _ in record.changes:
                        self.named.setdefault(number, at)
            refused = self.either[message_id]
        if not refused:
            return self.grid._judge(_Sent(0, ex, record.body, record.changes), at)
        why = "the model: refused again — a refused notice records nothing, neither a change " \
            "nor its MessageId (docs/notices.md)"
        if problems := outcome(ex, "fault"):
            return [f"{at}: {m} ({why})" for m in problems]
        detail = ex.envelope().body.find(".//{urn:pfbus:platform:fault:v1}FaultDetail")
        if detail is None:
            return [f"{at}: the fault carries no pff:FaultDetail ({why})"]
        party = detail.findtext("{urn:pfbus:platform:fault:v1}Party")
        code = detail.findtext("{urn:pfbus:platform:fault:v1}Code") or ""
        problems = [] if party == "client" else [f"{at}: pff:Party is {party}, expected client"]
        before = self.answer.setdefault(message_id, code)
        if code != before:
            problems.append(f"{at}: pff:Code is {code}; the same notice was refused {before} "
                            "before (a restart changes no answer)")
        return problems

    def _not_held(self, number: str, label: str) -> list[str]:
        at = f"{label} observed {number}"
        run = self.observe(number, at)
        if run.exit_code == 0:
            return [f"{at}: the observe command found the resident ({run.stdout.strip()[:200]!r});"
                    " only refused notices named it: never held, also not after a restart"]
        return []


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """S-RST-01's points (``rotate``: the sample's offset) sent to the product and judged."""
    from .interpreter import CaseDataError  # the interpreter imports this module

    state = runner.s
    if state.restart is None or state.observe is None:
        raise CaseDataError(f"{step.where}: needs --restart-command and --observe")
    spec = runner._service(runner.instance.service, step.where)
    timeout = runner._timeout(step, values)
    reasons = state.catalog.codelists.get("change_reason")
    if not reasons:
        raise CaseDataError(f"{step.where}: the catalog has no change_reason code list")

    post = notice_runs.poster(runner, step, spec, timeout)
    # observe and restart as every notice sequence has them (both given: checked above)
    notices = notice_runs.driver(runner, step, values)
    assert notices.observe is not None and notices.restart is not None

    def header(overrides: Mapping[str, str]):
        return request_header(spec, values, overrides, state.suite.linkage_kind(spec.id))

    run = Run(post, notices.restart, notices.observe, runner._fresh_addressee, header, values,
              reasons.groups, state.rng)
    # the sample's offset: the case's, or the run's ``outcome_rotate`` (walks the whole grid)
    return run.run(sample(int(values.get("outcome_rotate", step.get("rotate", 0)))))
