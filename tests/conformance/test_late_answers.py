"""A run stops sending once late or missing answers have cost it ``late_answer_budget`` seconds
(conformance/late_answers.py): a hung product ends a certification run in minutes, not hours."""

from __future__ import annotations

import socket
import threading

import pytest

from conformance.late_answers import LateAnswers
from conformance.records import ERROR, FAIL, PASS, Exchange
from conformance.runner import RunOptions, run_profile

from .references import JUKI_PROFILE

pytestmark = pytest.mark.integration


def _answered(elapsed: float, error: str | None = None) -> Exchange:
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://x/")
    ex.elapsed, ex.error = elapsed, error
    return ex


def test_late_and_missing_answers_are_counted_and_in_time_ones_are_not():
    late = LateAnswers(budget=10.0, within=1.0)
    late.note(_answered(0.5), timed_out=False)
    late.note(_answered(3.0, "transport failure: reset"), timed_out=False)  # an answer of sorts
    assert (late.count, late.spent, late.given_up) == (0, 0.0, False)
    late.note(_answered(4.0), timed_out=False)  # answered past the limit
    late.note(_answered(6.5, "no complete answer within 6.5 s"), timed_out=True)
    assert (late.count, late.spent, late.given_up) == (2, 10.5, True)
    assert "2 requests were answered past the 1 s limit or not at all" in late.reason()
    assert not LateAnswers(budget=0.0, within=1.0, count=99, spent=1e9).given_up  # 0: never


def test_a_product_late_everywhere_gets_a_short_run_with_the_time_limit_failed(refs, suite):
    # a limit no answer meets stands for the late product; a budget of 50 ms for its cost
    params = {"response_limit": 1e-9, "late_answer_budget": 0.05}
    run = run_profile(RunOptions(JUKI_PROFILE, target=refs.url(JUKI_PROFILE), params=params),
                      suite)
    verdicts = {r.id: r.verdict for r in run.results}
    assert verdicts["INV-BEH-04"] == FAIL and run.verdict == FAIL
    not_run = [r for r in run.results if r.verdict == ERROR]
    assert len(not_run) > len(run.results) // 2
    assert all(r.reason.startswith("not run: ") and "late_answer_budget=0" in r.reason
               for r in not_run)
    everything = run_profile(RunOptions(JUKI_PROFILE, target=refs.url(JUKI_PROFILE),
                                        params={**params, "late_answer_budget": 0},
                                        cases=("J-INQ-01", "J-INQ-02", "INV-BEH-04")), suite)
    assert [r.verdict for r in everything.results] == [PASS, PASS, FAIL]


@pytest.fixture
def hung_product():
    """A product that accepts connections, reads, and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/soap"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_product_is_given_up_on_after_the_budget(hung_product, suite):
    params = {"step_timeout": 0.2, "late_answer_budget": 1.0}
    run = run_profile(RunOptions(JUKI_PROFILE, target=hung_product, params=params), suite)
    sent = [ex for r in run.results for ex in r.exchanges if ex.method == "POST"
            and not (ex.error or "").startswith("not sent: ")]
    assert 5 <= len(sent) <= 6, sent  # 0.2 s each until more than 1 s was spent, then none
    assert all(ex.error == "no complete answer within 0.2 s" for ex in sent)
    assert run.verdict == FAIL
    assert sum(r.verdict == ERROR and r.reason.startswith("not run: ")
               for r in run.results) > len(run.results) // 2
