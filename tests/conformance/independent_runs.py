"""Running the independent adapter through the suite (issue 11's measurement): one variant or
alternative per run, and the measurement of a batch of defects.

``python -m tests.conformance.independent_runs EIGHTH_BATCH`` measures one batch (a name in
tests/conformance/independent/variants.py): each variant and the case that caught it, or
MISSED, then the rate — how a new blind batch is first measured, before any case is written
for it.

``python -m tests.conformance.independent_runs --pinpoint`` records, for every variant, the case
instances that catch it on their own (``caught_by.json``): the detection test runs those first
and the whole profile only for a variant they no longer catch (see ``detected``).
"""

from __future__ import annotations

import functools
import json
import re
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from conformance.commands import CallableCommand
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from .independent import variants
from .independent.process import IndependentAdapter
from .independent.variants import INTEROP, PROFILE, SYSTEM_ID
from .outcomes import waited


PINPOINTS = Path(__file__).parent / "independent" / "caught_by.json"


def run(suite, profile: str, adapter: IndependentAdapter, stop_at_first_failure: bool = False,
        cases: tuple[str, ...] = ()):
    params = {"sut_system_id": adapter.system_id}
    if adapter.business_unit:
        params["sut_business_unit"] = adapter.business_unit
    return run_profile(RunOptions(
        profile, target=adapter.url, params=params,
        observe=CallableCommand(adapter.observe, "independent observe"),
        restart=CallableCommand(adapter.restart, "independent restart"),
        stop_at_first_failure=stop_at_first_failure, cases=cases), suite)


def outcome(suite, tmp_path, role: str, level: int, *, defect=None, alternative=None,
            profile=None, stop_at_first_failure: bool = False, cases: tuple[str, ...] = ()):
    """Run the independent adapter (one defect or alternative) through its profile, or through
    ``profile`` (another unit's subscriber profile: the adapter then serves as that unit)."""
    unit = suite.profiles[profile].unit if profile else None
    adapter = IndependentAdapter(role, tmp_path, system_id=SYSTEM_ID[role], defect=defect,
                                 alternative=alternative, business_unit=unit)
    try:
        result = run(suite, profile or (PROFILE if level == 1 else INTEROP)[role], adapter,
                     stop_at_first_failure, cases)
    finally:
        adapter.close()
    return result, {r.id: f"{r.verdict}: {r.reason or '; '.join(map(str, r.findings))}"[:500]
                    for r in result.results if r.verdict != "pass" and not waited(r)}


@functools.cache
def loaded_suite() -> Suite:
    return Suite.load()


def first_failure(name: str, role: str, workdir: str, cases: tuple[str, ...] = ()) -> str | None:
    """The case that caught one variant ("ID: why"), or None. Caught or not is all this asks:
    the run ends at its first failing case (a missed variant still runs every case, the
    invariants last). ``cases``: only the case instances named (all when empty)."""
    Path(workdir).mkdir(parents=True, exist_ok=True)
    _, failed = outcome(loaded_suite(), Path(workdir), role, 1, defect=name,
                        stop_at_first_failure=True, cases=cases)
    return next((f"{case}: {why}" for case, why in failed.items() if why.startswith("fail")),
                None)


# an invariant's finding names the case instance whose answer broke it: "... [P-X-01/svc, step"
_SEEN_IN = re.compile(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?:/[\w.]+)?), ")


def pinpoint(caught: str) -> tuple[str, ...]:
    """The case instances to run alone to see a catch again: the failing one, and for an
    invariant (which judges the answers of other cases) first the instance it saw."""
    instance, _, why = caught.partition(": ")
    seen = _SEEN_IN.findall(why)[:1] if instance.startswith("INV-") else []
    return tuple(dict.fromkeys([*seen, instance]))


@functools.cache
def pinpoints() -> dict[str, list[str]]:
    """``caught_by.json``: "name@role" -> the case instances that caught it alone."""
    return json.loads(PINPOINTS.read_text("utf-8")) if PINPOINTS.exists() else {}


def detected(name: str, role: str, workdir: str) -> bool:
    """Whether the suite catches the variant: first by the case instances recorded as catching
    it on their own (a failing case is a catch whatever else runs; the correct adapter passes
    them alone, test_conformance_independent.py), else — none recorded, or they no longer catch
    it — by a whole run to its first failure."""
    cases = tuple(pinpoints().get(f"{name}@{role}", ()))
    if cases and first_failure(name, role, f"{workdir}/pinpointed", cases) is not None:
        return True
    return first_failure(name, role, workdir) is not None


def record_pinpoints() -> None:
    """Measure every variant by a whole run, keep the instances that catch it alone (checked by
    running just them), write ``caught_by.json``."""
    todo = variants.ALL_VARIANTS
    workdir = tempfile.mkdtemp(prefix="pfbus-pinpoint-")
    with ProcessPoolExecutor(MEASURING_PROCESSES, mp_context=get_context("spawn")) as pool:
        caught = list(pool.map(first_failure, [n for n, _ in todo], [r for _, r in todo],
                               [f"{workdir}/{i}" for i in range(len(todo))]))
        hints = {f"{n}@{r}": pinpoint(c) for (n, r), c in zip(todo, caught, strict=True) if c}
        keys = list(hints)
        again = pool.map(first_failure, [k.rsplit("@", 1)[0] for k in keys],
                         [k.rsplit("@", 1)[1] for k in keys],
                         [f"{workdir}/again-{i}" for i in range(len(keys))],
                         [hints[k] for k in keys])
        kept = {k: list(hints[k]) for k, c in zip(keys, again, strict=True) if c}
    PINPOINTS.write_text(json.dumps(dict(sorted(kept.items())), indent=1, ensure_ascii=False)
                         + "\n", "utf-8")
    print(f"{len(kept)} of {len(todo)} variants pinpointed ({caught.count(None)} missed by a "
          f"whole run, {len(hints) - len(kept)} not caught by their cases alone)")


# Variants are measured side by side: a run mostly waits (on its adapter, on time-limit and
# redelivery cases), and each variant has its own process, port and database. Two at a time keep
# the load of a 2-core machine low enough that no time-limit case is missed for the machine's sake.
MEASURING_PROCESSES = 2


def measure(batch_name: str) -> float:
    """Print each variant of one batch as CAUGHT (with its case) or MISSED; return the rate."""
    batch = getattr(variants, batch_name)
    entries = {**variants.DEFECTS, **variants.APART}
    todo = [(name, role) for name, (_, roles, _) in entries.items() for role in roles
            if name in batch]
    workdir = tempfile.mkdtemp(prefix="pfbus-measure-")
    with ProcessPoolExecutor(MEASURING_PROCESSES, mp_context=get_context("spawn")) as pool:
        found = pool.map(first_failure, [n for n, _ in todo], [r for _, r in todo],
                         [f"{workdir}/{i}" for i in range(len(todo))])
        caught = 0
        for (name, role), hit in zip(todo, found, strict=True):
            caught += hit is not None
            cls, _, what = entries[name]
            print(f"{'CAUGHT' if hit else 'MISSED'} {name} ({role}, class {cls}): "
                  f"{hit[:200] if hit else what}", flush=True)
    rate = caught / len(todo)
    print(f"{batch_name}: {caught}/{len(todo)} = {rate:.1%}")
    return rate


if __name__ == "__main__":
    record_pinpoints() if sys.argv[1] == "--pinpoint" else measure(sys.argv[1])
