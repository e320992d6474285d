"""Running a profile: set up what the profile's role and level need, run every case, tear down.

Provider and subscriber profiles talk to ``--target``; consumer profiles start the suite's hub
simulator and make the product call it (``--trigger``); level-2 profiles start a real hub and the
counterpart adapters around the product. Cases run one after another, in the profile's order.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml

from bus.core.catalog import Catalog
from schemas import BUILTIN_CATALOG

from . import SUITE_VERSION, checks, invariants, waiting
from .hubsim import HubSimulator
from .interop import InteropHarness
from .interpreter import CaseRunner, Command, RunState
from .late_answers import LateAnswers
from .late_sends import LateSends, NotedRestart
from .model import Profile, Suite, SuiteError
from .records import ERROR, FAIL, PASS, SKIP, CaseResult, now_iso
from .reobservation import RecordingObserve
from .run_time import TimeSplit, split
from .transport import TlsOptions, Transport
from .validation import Validation


@dataclass
class RunOptions:
    profile: str
    target: str | None = None
    wsdl: str | None = None  # URL template, {service} replaced by the service ID
    params: Mapping[str, Any] = field(default_factory=dict)
    tls: TlsOptions = TlsOptions()
    trigger: Command | None = None
    observe: Command | None = None
    restart: Command | None = None  # stops the product abruptly and starts it again
    cases: Sequence[str] = ()  # only case IDs starting with one of these
    catalogs: Sequence[Path] = ()  # further schema catalogs (an official schema set)
    workdir: Path | None = None
    startup_timeout: float = 30.0
    # the suite's own mutation measurement asks only whether a defect is caught at all: the
    # run ends at the first failing case (a certification run never stops early)
    stop_at_first_failure: bool = False


@dataclass
class RunResult:
    profile: Profile
    options: RunOptions
    params: dict[str, Any]
    environment: dict[str, Any]
    results: list[CaseResult]
    suite_fingerprint: str
    suite: Suite
    started_at: str
    finished_at: str
    duration: float
    prefixes: dict[str, str] = field(default_factory=dict)  # namespace -> catalog prefix
    time_split: TimeSplit | None = None  # the product's, waiting on purpose, the suite's

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)

    @property
    def verdict(self) -> str:
        """pass: no case failed or erred and at least one passed."""
        if self.count(FAIL) or self.count(ERROR) or not self.count(PASS):
            return FAIL
        return PASS


def run_profile(options: RunOptions, suite: Suite | None = None,
                progress: Callable[[CaseResult], None] | None = None) -> RunResult:
    suite = suite or Suite.load()
    profile = suite.profiles.get(options.profile)
    if profile is None:
        raise SuiteError(f"no profile {options.profile!r}; known: "
                         f"{', '.join(sorted(suite.profiles))}")
    params = {**profile.params, **options.params}
    catalog = _catalog(tuple(options.catalogs))
    validation = Validation(catalog, params)
    started, t0 = now_iso(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pfbus-conformance-") as tmp:
        workdir = Path(options.workdir or tmp).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        state = RunState(suite, profile, params, catalog, validation,
                         checks.Context(catalog, validation, params), Transport(options.tls),
                         workdir, options.target, options.wsdl, trigger=options.trigger,
                         observe=options.observe, restart=options.restart)
        if not options.stop_at_first_failure:  # a measurement ends at the first late answer
            state.transport.late = LateAnswers.of(params)
        if state.observe is not None:  # S-RELOAD-01 observes again what the run observed
            state.observe = RecordingObserve(state.observe, state.observations)
            state.transport.watchers.append(state.observations.sent)
        # what a case sends again at the end of the run (P-LATE-01's 全件 first requests,
        # S-LATE-02's notices), the first on a held connection; when the product last restarted
        late: LateSends = state.received_notices if profile.role == "subscriber" \
            else state.extract_requests
        state.transport.watchers.append(late.note)
        late.hold_connection(state.transport)
        if state.restart is not None:
            state.restart = NotedRestart(state.restart, late)
        results: list[CaseResult] = []
        setup_error = None
        try:
            if profile.level == 2:
                state.harness = InteropHarness(suite, profile, params, options.target, workdir,
                                               options.startup_timeout)
                state.harness.start()
            elif profile.role == "consumer":
                state.simulator = HubSimulator(catalog)
        except (RuntimeError, ValueError, OSError) as exc:
            setup_error = f"setting up the run failed: {exc}"
        try:
            # invariants judge the answers of every other case: they run last
            ordered = [i for i in sorted(suite.instances(profile),
                                         key=lambda i: i.case.steps[0].kind == "invariant")
                       if not options.cases or i.id.startswith(tuple(options.cases))]
            time_limit = next((i for i in ordered if _judges_time_limit(i)), None) \
                if options.stop_at_first_failure else None
            judged = 0  # the answers observed before the case that ran last
            for instance in ordered:
                result = _skip_reason(instance, state, setup_error)
                if result is None:
                    result = CaseRunner(state, instance).run()
                results.append(result)
                if progress:
                    progress(result)
                if options.stop_at_first_failure and result.verdict == FAIL:
                    break
                # a measurement ends at the first answer past the time limit, not after every
                # other case (INV-BEH-04 judged now, over the answers so far): a product
                # answering late on every kept-alive connection made a run of hours (the
                # forty-seventh blind batch); a certification run judges it last, as always
                if time_limit is not None and instance is not time_limit and \
                        _late(state, state.observed.answers[judged:]):
                    results.append(CaseRunner(state, time_limit).run())
                    if progress:
                        progress(results[-1])
                    break
                judged = len(state.observed.answers)
        finally:
            if state.simulator:
                state.simulator.close()
            if state.harness:
                state.harness.close()
            state.transport.close()
    duration = time.monotonic() - t0
    commands = [(run.started_monotonic, run.started_monotonic + run.elapsed)
                for result in results for run in result.commands]
    return RunResult(profile, options, params, environment(options, catalog, suite), results,
                     suite.fingerprint, suite, started, now_iso(), duration,
                     dict(catalog.prefixes),
                     split(duration, state.transport.awaited() + commands,
                           state.transport.pauses))


@functools.lru_cache(maxsize=4)
def _catalog(extra: tuple[Path, ...]) -> Catalog:
    # compiled once per process: a catalog is read-only once loaded, and compiling its XSDs is
    # most of a short run's time
    return Catalog.load([BUILTIN_CATALOG, *extra])


def _judges_time_limit(instance) -> bool:
    step = instance.case.steps[0]
    return step.kind == "invariant" and step.target == invariants.TIME_LIMIT


def _late(state: RunState, answers) -> bool:
    return any(invariants.time_limit(state.context, seen.exchange) for seen in answers)


def _skip_reason(instance, state: RunState, setup_error: str | None) -> CaseResult | None:
    case = instance.case
    reason, verdict = None, SKIP
    if case.status == "pending":
        reason = f"pending: {case.pending_reason}"
    elif "trigger" in case.requires and state.trigger is None:
        reason = "needs --trigger (the command that makes the product call)"
    elif "observe" in case.requires and state.observe is None:
        reason = "needs --observe (the command that shows the product's records)"
    elif "restart" in case.requires and state.restart is None:
        reason = "needs --restart-command (the command that kills and restarts the product)"
    elif "waiting" in case.requires and not waiting.enabled(state.params):
        reason = waiting.skip_reason()
    elif setup_error:
        reason, verdict = setup_error, ERROR
    elif state.transport.late.given_up and case.steps[0].kind != "invariant":
        reason, verdict = state.transport.late.reason("run"), ERROR
    if reason is None:
        return None
    return CaseResult(instance.id, case.id, case.title, case.requirements, instance.service,
                      verdict, reason=reason)


def environment(options: RunOptions, catalog: Catalog, suite: Suite) -> dict[str, Any]:
    """Where and with what the run happened: enough to reproduce it."""
    digest = hashlib.sha256()
    for source in catalog.sources:
        for path in sorted(p for p in source.root.rglob("*") if p.is_file()
                           and p.suffix in (".xsd", ".wsdl", ".csv", ".toml")):
            digest.update(path.relative_to(source.root).as_posix().encode() + b"\0"
                          + path.read_bytes())

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    trigger = options.trigger
    return {
        "suite_version": SUITE_VERSION,
        "suite_data_sha256": suite.fingerprint,
        "pfbus": version("pfbus"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "catalogs": [s.name for s in catalog.sources],
        "catalog_files_sha256": digest.hexdigest(),
        "target": options.target,
        "wsdl": options.wsdl or "the catalog's standard WSDL",
        "tls": options.tls.describe(),
        "trigger": None if trigger is None else str(getattr(trigger, "template", None)
                                                    or getattr(trigger, "name", "callable")),
        "observe": None if options.observe is None else str(
            getattr(options.observe, "template", None) or getattr(options.observe, "name", "")),
        "restart": None if options.restart is None else str(
            getattr(options.restart, "template", None) or getattr(options.restart, "name", "")),
    }
