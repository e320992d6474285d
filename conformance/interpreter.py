"""The interpreter: executes one case's steps against the product and judges the outcome.

Steps share a table of named outputs (an exchange, a command run, a list of pages); ``last`` is
the latest. A step that cannot run (a missing parameter, a case naming an absent step) is an
error of the suite or its data, reported as verdict ``error`` — never as the product's failure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bus.core.catalog import Catalog, ServiceSpec

from . import broken_shapes, check_digits, checks, domain, edge_cases, equivalence, \
    expanded_names, extremes, grid, identifiers, invariants, late_notices, late_retries, \
    message_ids, minute_edges, \
    neighbours, notice_runs, paging_sequences, parties, party_domains, per_request, \
    persistent_connections, reobservation, \
    restart_runs, retry_widths, service_spellings, user_ids, waiting, widths, wire_forms, \
    wsdl_checks
from .commands import CallableCommand, TemplateCommand
from .envelopes import TemplateError, envelope, fill, http_headers, request_header, soap_actions, \
    substitute, tamper
from .fresh_addressees import PROCESS_STREAM, FreshAddressees
from .hubsim import REPLIES, HubSimulator, Script
from .interop import InteropHarness
from .loghops import check_hops
from .model import CaseInstance, Profile, Step, Suite
from .paging import paginate
from .records import ERROR, FAIL, PASS, SKIP, CaseResult, CommandRun, Exchange, StepFinding
from .reobservation import ObservationLog
from .transport import Transport
from .validation import Validation

Command = CallableCommand | TemplateCommand
BINDINGS = ("1.1", "1.2")  # a case with each_binding runs once per SOAP version
# the notice's value domain (domain.py), valid values at the edges of their fields
# (edge_cases.py), a pause of a waiting case (waiting.py), HTTP request forms and content after
# the document (wire_forms.py), other spellings of the Receiver and other Senders (parties.py),
# schema-invalid neighbours of valid values (neighbours.py), valid extremes (extremes.py),
# identifiers as opaque text (identifiers.py), check digits of every residue (check_digits.py),
# names in another namespace (expanded_names.py), every value of a header Party's parts
# (party_domains.py), identifiers at every width their type admits (widths.py), every class of
# the UserId (user_ids.py), a 全件 retry at every RequestId width (retry_widths.py), every
# neighbour spelling of the served ServiceId and Version (service_spellings.py), everything the
# run observed observed again after a restart (reobservation.py), every 全件 first request with a
# RequestId retried at the end of the run (late_retries.py), every notice receipted delivered
# again at the end of the run (late_notices.py), a close option and pipelined requests on one
# connection (persistent_connections.py)
MODULE_STEPS = {"domain": domain.run_step, "edges": edge_cases.run_step, "pause": waiting.pause,
                "wire": wire_forms.run_step, "parties": parties.run_step,
                "neighbours": neighbours.run_step, "extremes": extremes.run_step,
                "identifiers": identifiers.run_step, "check_digits": check_digits.run_step,
                "names": expanded_names.run_step, "party_domains": party_domains.run_step,
                "widths": widths.run_step, "user_ids": user_ids.run_step,
                "retry_widths": retry_widths.run_step,
                "service_spellings": service_spellings.run_step,
                "reobserve": reobservation.run_step, "late_retries": late_retries.run_step,
                "late_notices": late_notices.run_step, "minute_edge": minute_edges.run_step,
                "connection": persistent_connections.run_step,
                "broken_shapes": broken_shapes.run_step}


class CaseDataError(Exception):
    """The case cannot run as written (the suite's fault, not the product's)."""


@dataclass
class RunState:
    """What every case of one run shares."""

    suite: Suite
    profile: Profile
    params: Mapping[str, Any]
    catalog: Catalog
    validation: Validation
    context: checks.Context
    transport: Transport
    workdir: Path
    target: str | None = None
    wsdl: str | None = None  # URL template with {service}; None: the catalog's standard WSDL
    simulator: HubSimulator | None = None
    harness: InteropHarness | None = None
    trigger: Command | None = None
    observe: Command | None = None
    restart: Command | None = None
    rng: random.Random = field(default_factory=random.Random)
    fresh: FreshAddressees = PROCESS_STREAM
    observed: invariants.Observed = field(default_factory=invariants.Observed)
    # every observation and when a request last named each 宛名番号 (S-RELOAD-01)
    observations: ObservationLog = field(default_factory=ObservationLog)
    # every 全件 request the run sent (P-LATE-01)
    extract_requests: late_retries.ExtractRequests = field(
        default_factory=late_retries.ExtractRequests)
    # every notice the run sent (S-LATE-02)
    received_notices: late_notices.ReceivedNotices = field(
        default_factory=late_notices.ReceivedNotices)


class CaseRunner:
    def __init__(self, state: RunState, instance: CaseInstance):
        self.s = state
        self.instance = instance
        self.outputs: dict[str, Any] = {}
        case = instance.case
        self.result = CaseResult(instance.id, case.id, case.title, case.requirements,
                                 instance.service, PASS)
        self.skip_reason = ""

    def run(self) -> CaseResult:
        started = time.monotonic()
        case = self.instance.case
        message_ids.restart_turn()  # the case's MessageIds: the same versions at every run
        try:
            for soap in BINDINGS if case.each_binding else (None,):
                self.outputs.clear()  # a pass refers to its own steps only
                values = {**self.s.params, "fresh_addressee": self._fresh_addressee(),
                          "second_fresh_addressee": self._fresh_addressee(),
                          "fresh_remainder_zero_addressee":
                              self._fresh_addressee(remainder_zero=True),
                          # another Sender only by its letters' case (J-FULL-07)
                          "suite_system_id_case_swapped":
                              str(self.s.params.get("suite_system_id", "")).swapcase(),
                          **per_request.fresh_message_ids(self.s.rng)}
                for step in case.steps:
                    if soap and step.kind in ("send", "paginate") and "soap" not in step.options:
                        step = step.with_options(soap=soap)
                    where = f"{step.where} [SOAP {soap}]" if soap else step.where
                    for message in self._do(step, values):
                        self.result.findings.append(StepFinding(where, message))
            self.result.verdict = FAIL if self.result.findings else PASS
            if self.skip_reason and not self.result.findings:
                self.result.verdict, self.result.reason = SKIP, self.skip_reason
        except (CaseDataError, TemplateError) as exc:
            self.result.verdict, self.result.reason = ERROR, str(exc)
        except Exception as exc:  # noqa: BLE001 - a defect of the suite: say so, keep running
            self.result.verdict = ERROR
            self.result.reason = f"suite error: {type(exc).__name__}: {exc}"
        self.result.duration = time.monotonic() - started
        return self.result

    def _fresh_addressee(self, remainder_zero: bool = False) -> str:
        """A valid 宛名番号 the product does not hold yet (fresh_addressees.py); ``remainder_zero``:
        one whose check digit is 0 by a remainder of 0."""
        return self.s.fresh.draw(remainder_zero)

    # --- dispatch -------------------------------------------------------------------------------

    def _do(self, step: Step, values: dict[str, Any]) -> list[str]:
        handler = getattr(self, f"_{step.kind}", None)
        if handler is None:  # a step of its own module, called with this runner
            return MODULE_STEPS[step.kind](self, step, values)
        return handler(step, values)

    def _timeout(self, step: Step, values: Mapping[str, Any]) -> float:
        raw = step.get("timeout", values.get("step_timeout", 15.0))
        try:
            return float(fill(raw, values) if isinstance(raw, str) else raw)
        except ValueError:
            raise CaseDataError(f"{step.where}.timeout: {raw!r} is not a number") from None

    def _output(self, step: Step, name: str) -> Any:
        if name not in self.outputs:
            raise CaseDataError(f"{step.where}: no earlier step named {name!r}")
        return self.outputs[name]

    def _record(self, name: str | None, value: Any) -> None:
        if name:
            self.outputs[name] = value
        self.outputs["last"] = value

    def _service(self, sid: str | None, where: str) -> ServiceSpec:
        spec = self.s.catalog.service(sid or "")
        if spec is None:
            raise CaseDataError(f"{where}: the catalog has no service {sid!r}")
        return spec

    def _service_of(self, target: str, step: Step) -> ServiceSpec:
        return self._service(self.instance.service if target == "@service" else target,
                             step.where)

    # --- sending --------------------------------------------------------------------------------

    def _url(self, step: Step, sid: str) -> str:
        if step.get("via") == "hub":
            if self.s.harness is None or not self.s.harness.hub_url:
                raise CaseDataError(f"{step.where}: via = \"hub\" needs a level-2 profile")
            return f"{self.s.harness.hub_url}/services/{sid}"
        if not self.s.target:
            raise CaseDataError(f"{step.where}: the profile sends to the product: --target "
                                f"is required")
        return self.s.target

    def _post(self, step: Step, values: Mapping[str, Any], message_ref: str,
              extra: Mapping[str, Any], name: str, rewrite=None) -> Exchange:
        ex, timeout = self._build(step, values, message_ref, extra, name, rewrite)
        self.s.transport.exchange(ex, timeout)
        self.result.exchanges.append(ex)
        self._observe_answer(step, ex)
        return ex

    def _build(self, step: Step, values: Mapping[str, Any], message_ref: str,
               extra: Mapping[str, Any], name: str, rewrite=None) -> tuple[Exchange, float]:
        """The request ``_post`` sends (not sent yet) and the step's timeout."""
        merged = {**values, **fill(step.get("vars", {}), values), **extra}
        msg = self.s.suite.message(message_ref, self.instance.service, step.where)
        spec = self._service(msg.service or self.instance.service, step.where)
        body = substitute(msg.body, merged, xml=True)
        soap = str(step.get("soap", "1.1"))
        header = None if step.get("omit_header") else \
            request_header(spec, merged, fill(step.get("header"), merged),
                           self.s.suite.linkage_kind(spec.id))
        request = envelope(body, soap, header)
        if step.get("tamper"):
            if header is None:
                raise CaseDataError(f"{step.where}.tamper: needs the request's header")
            request = tamper(request, step.get("tamper"))
        headers = http_headers(soap, soap_actions(spec.wsdl).get(soap, ""))
        if step.get("omit_soap_action"):  # optional in both versions (the hub relays it as is)
            headers.pop("SOAPAction", None)
            headers["Content-Type"] = headers["Content-Type"].split("; action=")[0]
        if step.get("content_type"):  # e.g. a charset that is not the body's encoding
            headers["Content-Type"] = fill(step.get("content_type"), merged)
        if rewrite is not None:  # an equivalent encoding (equivalence.py)
            request, headers = rewrite(request, headers)
        ex = Exchange(step=name, direction="to-product", method="POST",
                      url=self._url(step, spec.id), request=request, request_headers=headers,
                      service=spec.id, soap_version=soap, sent_header=header)
        return ex, self._timeout(step, merged)

    def _observe_answer(self, step: Step, ex: Exchange) -> None:
        """Every answer straight from the product is judged by the invariants too."""
        if step.get("via") != "hub":
            self.s.observed.answers.append(invariants.Seen(self.instance.id, step.where, ex))

    def _send(self, step: Step, values) -> list[str]:
        name = step.get("name") or "send"
        if step.get("together"):  # the same bytes several times at once (per_request.py)
            ex, problems = per_request.together(self, step, values, name)
        else:
            ex, problems = self._post(step, values, step.target, {}, name), []
        self._record(step.get("name"), ex)
        if ex.sent_header is not None:  # ${message_id}, ${<name>_message_id} for later steps
            values["message_id"] = values[f"{name}_message_id"] = ex.sent_header.message_id
        message = self.s.suite.message(step.target, self.instance.service, step.where)
        if message.breaks:  # ${breaks}, ${<name>_breaks}: the one rule its fault must name
            values["breaks"] = values[f"{name}_breaks"] = message.breaks
        if message.breaks_at:  # ${breaks_at}: the element it names (fault = {at})
            values["breaks_at"] = values[f"{name}_breaks_at"] = message.breaks_at
        if ex.error:
            return [ex.error]  # a send asserts that an answer came in time
        return problems + self._capture(step, ex, values)

    def _capture(self, step: Step, ex: Exchange, values) -> list[str]:
        return per_request.capture(ex, step.get("capture") or {}, values,
                                   self.s.context.namespaces)

    def _resend(self, step: Step, values) -> list[str]:
        first = self._output(step, step.target)
        ex = Exchange(step=step.get("name") or "resend", direction="to-product", method="POST",
                      url=first.url, request=first.request,
                      request_headers=dict(first.request_headers), service=first.service,
                      soap_version=first.soap_version, sent_header=first.sent_header)
        self.s.transport.exchange(ex, self._timeout(step, values))
        self.result.exchanges.append(ex)
        self._observe_answer(step, ex)
        self._record(step.get("name"), ex)
        return [ex.error] if ex.error else []

    def _concurrent(self, step: Step, values) -> list[str]:
        """Requests in flight together, each reply judged against its own (per_request.py)."""
        try:
            return per_request.concurrent(self, step, values)
        except ValueError as exc:  # a count or check the case names wrongly: the case's data
            raise CaseDataError(str(exc)) from None

    def _equivalence(self, step: Step, values) -> list[str]:
        """The canonical request and its equivalent encodings (equivalence.py), each answered
        as the canonical form is."""
        try:
            return equivalence.run_step(self, step, values)
        except ValueError as exc:  # an unknown variant name: the case's data
            raise CaseDataError(str(exc)) from None

    def observed_state(self, step: Step, values: dict[str, Any], observe_vars, label: str):
        """The product's state as ``--observe`` prints it (its JSON), after ``label``."""
        if self.s.observe is None:
            raise CaseDataError(f"{step.where}: needs --observe")
        merged = {**self._command_values(step, values), **fill(observe_vars, values)}
        run = self.s.observe.run(f"observe after {label}", merged, self._timeout(step, merged))
        self.result.commands.append(run)
        return run.json if run.exit_code == 0 else f"exit {run.exit_code}: {run.stderr[-200:]}"

    def _paginate(self, step: Step, values) -> list[str]:
        options = fill(dict(step.options), values)

        def send(ref: str, extra: Mapping[str, Any], name: str, soap: str | None,
                 header: Mapping[str, str] | None) -> Exchange:
            sent = step.with_options(soap=soap) if soap else step
            if header:
                sent = sent.with_options(header={**sent.get("header", {}), **header})
            return self._post(sent, values, ref, extra, name)

        problems = paginate(send, step.target, step.get("next"), options,
                            step.get("name") or "pages", self.s.context.namespaces)
        self._record(step.get("name"), self.result.exchanges)
        return problems

    def _grid(self, step: Step, values) -> list[str]:
        """A model-based input grid (conformance/grid.py): ``inquiry`` or ``extract``, judged
        against the test data the ``model_data`` parameter names; or notice sequences judged
        against a receiver model (notice_runs.py: ``notices``, ``calendar``, ``redelivery``)."""
        if step.target in notice_runs.POINT_SETS:
            return notice_runs.run_step(self, step, values)
        if step.target == "paging":  # J-GRID-03: page-request sequences (paging_sequences.py)
            return paging_sequences.run_step(self, step, values)
        if step.target == "outcome_restarts":  # S-RST-01: every outcome across restarts
            return restart_runs.run_step(self, step, values)
        if "model_data" not in values:
            raise CaseDataError(f"{step.where}: the profile names no model_data (test data)")
        model = grid.load_model(str(values["model_data"]))
        ns = self.s.context.namespaces

        def send(ref: str, extra: Mapping[str, Any], soap: str, label: str) -> Exchange:
            return self._post(step.with_options(soap=soap), values, ref, extra, label)

        if step.target == "inquiry":
            problems = []
            for point in grid.inquiry_points(model):
                ex = send(point.message, point.vars, point.soap, point.label)
                problems += grid.judge_inquiry(point, ex, model, ns)
            return problems
        if step.target == "domain":  # P-DOMAIN-01: the keys at the edges of their value domain
            problems = []
            for point in grid.domain_points(model):
                ex = send(point.message, point.vars, point.soap, point.label)
                problems += grid.judge_inquiry(point, ex, model, ns) if point.expected is None \
                    else grid.judge_domain(point, ex, ns)
            return problems
        if step.target == "extract":
            return grid.extract_grid(send, model, ns)
        raise CaseDataError(f"{step.where}: unknown grid {step.target!r} (inquiry, domain, "
                            f"extract, {', '.join(notice_runs.POINT_SETS)})")

    def _wsdl(self, step: Step, values) -> list[str]:
        spec = self._service_of(step.target, step)
        if self.s.wsdl:
            url = self.s.wsdl.replace("{service}", spec.id)
            ex = Exchange(step=step.get("name") or "wsdl", direction="to-product",
                          method="GET", url=url, service=spec.id)
            self.s.transport.exchange(ex, self._timeout(step, values))
            if ex.error or ex.status != 200:
                self.result.exchanges.append(ex)
                return [ex.error or f"GET {url}: HTTP {ex.status}"]
        else:
            ex = Exchange(step=step.get("name") or "wsdl", direction="to-product",
                          method="FILE", url=f"standard WSDL of the catalog: {spec.wsdl.name}",
                          service=spec.id, status=200, response=spec.wsdl.read_bytes())
        self.result.exchanges.append(ex)
        self._record(step.get("name"), ex)
        problems = []
        for name in step.get("checks", []):
            if name not in wsdl_checks.CHECKS:
                raise CaseDataError(f"{step.where}.checks: unknown WSDL check {name!r}")
            problems += wsdl_checks.check(ex.response, spec, name)
        return problems

    # --- commands (trigger, act, observe) -------------------------------------------------------

    def _command_values(self, step: Step, values) -> dict[str, Any]:
        merged = {**values, **fill(step.get("vars", {}), values), "workdir": str(self.s.workdir)}
        if self.s.harness is not None and self.s.harness.hub_url:
            merged["hub_url"] = self.s.harness.hub_url
        return merged

    def _finish(self, step: Step, run: CommandRun) -> list[str]:
        self.result.commands.append(run)
        self._record(step.get("name"), run)
        return []

    def _trigger(self, step: Step, values) -> list[str]:
        if self.s.trigger is None:
            raise CaseDataError(f"{step.where}: needs --trigger")
        merged = self._command_values(step, values)
        name = step.get("name") or "trigger"
        sim = self.s.simulator if self.s.harness is None else None
        if sim is not None:
            reply = step.get("reply", "valid")
            if reply not in REPLIES:
                raise CaseDataError(f"{step.where}.reply: one of {', '.join(REPLIES)}")
            msg = self.s.suite.message(step.get("reply_message", "@reply"),
                                       self.instance.service, step.where)
            sim.arm(Script(name, reply, substitute(msg.body, merged, xml=True)))
            merged["hub_url"] = sim.url
        try:
            run = self.s.trigger.run(name, merged, self._timeout(step, merged))
        finally:
            if sim is not None:
                captured = sim.disarm()
        if sim is not None:
            run.requests = captured
            self.result.exchanges += captured
        return self._finish(step, run)

    def _act(self, step: Step, values) -> list[str]:
        merged = self._command_values(step, values)
        command = TemplateCommand(self.s.suite.actions[step.target]["command"])
        return self._finish(step, command.run(step.get("name") or step.target, merged,
                                              self._timeout(step, merged)))

    def _observe(self, step: Step, values) -> list[str]:
        if self.s.observe is None:
            raise CaseDataError(f"{step.where}: needs --observe")
        merged = self._command_values(step, values)
        return self._finish(step, self.s.observe.run(step.get("name") or "observe", merged,
                                                     self._timeout(step, merged)))

    def _restart(self, step: Step, values) -> list[str]:
        """Kill the product abruptly and start it again (``--restart-command``): what it said it
        stored must still be there, what it saw must still be seen."""
        if self.s.restart is None:
            raise CaseDataError(f"{step.where}: needs --restart-command")
        merged = self._command_values(step, values)
        run = self.s.restart.run(step.get("name") or "restart", merged,
                                 self._timeout(step, merged))
        self._finish(step, run)
        return checks.exit_status(run, "zero")

    # --- judging --------------------------------------------------------------------------------

    def _expect(self, step: Step, values) -> list[str]:
        out = self._output(step, step.target)
        opts = fill(dict(step.options), values)
        if isinstance(out, CommandRun):
            return checks.command(self.s.context, out, opts,
                                  lambda name: self._output(step, name))
        if not isinstance(out, Exchange):
            raise CaseDataError(f"{step.where}: {step.target!r} is not one exchange")
        return self._expect_exchange(step, out, opts)

    def _expect_exchange(self, step: Step, ex: Exchange, opts) -> list[str]:
        if ex.error:
            return [ex.error]
        problems = checks.outcome(ex, opts.get("outcome", "any"))
        if problems:
            return problems  # nothing else can be read from it
        if "http_status" in opts and ex.status != int(opts["http_status"]):
            problems.append(f"HTTP status {ex.status}, expected {opts['http_status']}")
        # outcome "either" (round 26's S-AHEAD-01: a permission): a fault is judged by the
        # step's fault as a client fault, an answer by its xpath
        refused = opts.get("outcome") == "either" and ex.envelope().is_fault
        try:
            for name in opts.get("checks", []):
                if name not in checks.NAMED:
                    raise CaseDataError(f"{step.where}.checks: unknown check {name!r}")
                problems += checks.NAMED[name](self.s.context, ex)
            if opts.get("outcome") == "fault" or refused:  # every expected fault is the client's
                problems += checks.fault(self.s.context, ex,
                                         checks.client_fault_spec(ex, opts.get("fault"),
                                                                  self.s.context))
            if "xpath" in opts and not refused:
                problems += checks.xpath(self.s.context, ex, opts["xpath"])
            if "unseen" in opts:
                problems += per_request.unseen(ex, str(opts["unseen"]), self.s.observed.answers,
                                              self.s.context.namespaces)
            if "same_body_as" in opts:
                other = self._output(step, opts["same_body_as"])
                problems += checks.outcome(other, "any") or checks.same_body(
                    ex, other, opts.get("ignore", []), self.s.context.namespaces)
        except ValueError as exc:  # the answer lacks what the check reads (e.g. no header)
            problems.append(str(exc))
        return problems

    def _validate(self, step: Step, values) -> list[str]:
        out = self._output(step, step.target)
        which = step.get("message", "response")
        if isinstance(out, CommandRun):
            if not out.requests:
                return ["the product sent no request"]
            out = out.requests[-1]
        if out.error and which == "response":
            return [out.error]
        try:
            env = out.envelope(which)
        except ValueError as exc:
            return [str(exc)]
        if step.get("part", "body") == "header":
            problems = self.s.validation.header(env)
            if problems and env.is_fault:
                problems.insert(0, f"the {which} is a SOAP Fault: {checks.fault_summary(env)}")
            return problems
        if env.is_fault:
            return [f"the {which} is a SOAP Fault: {checks.fault_summary(env)}"]
        spec = self._service(out.service, step.where)
        if step.get("against", "schema") == "rules":
            return self.s.validation.body_rules(env.body)
        tag = spec.response_tag if which == "response" else spec.request_tag
        return self.s.validation.body_schema(env.body, tag)

    def _wait(self, step: Step, values) -> list[str]:
        timeout, every = self._timeout(step, values), float(step.get("every", 0.2))
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            attempts += 1
            marks = len(self.result.exchanges), len(self.result.commands)
            problems = [m for sub in step.get("steps") for m in self._do(sub, values)]
            if not problems:
                return []
            if time.monotonic() + every > deadline:
                return [f"not so within {timeout:g} s ({attempts} attempts); the last: "
                        + "; ".join(problems)]
            # the evidence keeps the last attempt only, not hundreds of identical ones
            del self.result.exchanges[marks[0]:], self.result.commands[marks[1]:]
            time.sleep(every)  # a poll interval against a deadline, not a blind wait

    def _invariant(self, step: Step, values) -> list[str]:
        if step.target not in invariants.NAMES:
            raise CaseDataError(f"{step.where}: no invariant {step.target!r}; known: "
                                f"{', '.join(invariants.NAMES)}")
        count, problems = invariants.judge(step.target, self.s.context, self.s.observed)
        if not count:
            self.skip_reason = "no answer from the product was observed in this run"
        return problems

    def _log(self, step: Step, values) -> list[str]:
        if self.s.harness is None:
            raise CaseDataError(f"{step.where}: log needs a level-2 profile (a hub)")
        return check_hops(self.s.harness, self._output(step, step.target),
                          fill(dict(step.options), values), self.s.params,
                          self._timeout(step, values))
