"""What a profile run's result says, as the suite's own tests read it."""

from __future__ import annotations


from conformance import request_shapes, waiting


def waited(r) -> bool:
    """A case result skipped because it waits (waiting.py: J-FULL-17, P-CLOCK-01), which a run
    not asking for waiting cases skips in every profile it is in."""
    return r.verdict == "skip" and r.reason == waiting.skip_reason()


def not_passed(result) -> dict[str, str]:
    """Cases that did not pass — except the durability cases, skipped here because the
    in-process references cannot be killed (test_conformance_independent.py runs them against
    processes, with their mutants), the waiting cases, skipped in an ordinary run
    (test_conformance_round13.py runs them), and P-EQUIV-02 where the sample is the only shape
    (課税状況照会: no optional element, no choice)."""
    return {r.id: f"{r.verdict}: {r.reason or '; '.join(map(str, r.findings))}"
            for r in result.results if r.verdict != "pass"
            and not waited(r)
            and not (r.verdict == "skip" and (r.reason.startswith("needs --restart-command")
                                              or r.reason.startswith(request_shapes.ONLY_SAMPLE)))}
