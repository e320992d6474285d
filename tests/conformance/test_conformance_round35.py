"""Round 35b's checks: S-MULTI-05's notices (conformance/multi_change_restarts.py) hold every
arrangement of equal 異動連番 and of dates against them, the ones stamped ahead of the clock sent
right before the restart and every notice sent again after it; J-GRID-03's new sequences
(conformance/paging_sequences.py) send the 基準日 × LinkageKind × retry pairs; the faulty products
of faulty_round35.py fail exactly them."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace

import pytest

from bus.core import faults
from bus.core.faults import HubFault, fault_envelope
from conformance import late_retries, late_sends, message_ids
from conformance import multi_change_restarts as mcr
from conformance import paging_sequences
from conformance.envelopes import envelope, request_header
from conformance.grid_notices import Held, Resend, Restart, Send
from conformance.records import CommandRun, Exchange

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_durability import crash_run
from .faulty_round35 import ROUND35_MODES, ROUND35_NAMES, Round35Subscriber
from .outcomes import not_passed
from .tiers import subscriber_runs


def test_every_distinct_order_of_every_multiset_with_each_date_pattern():
    orders = mcr.arrangements()
    assert len(orders) == len(set(orders)) == 6 + 3 + 3 + 1
    assert {tuple(sorted(o)) for o in orders} == set(mcr.MULTISETS)
    assert len(mcr.members()) == len(orders) * len(mcr.DATES)
    dated = {dates: [c.occurred for c in mcr._changes(0, (10, 20, 30), dates)]
             for dates in mcr.DATES}
    assert dated[mcr.DATES[0]] == ["2024-04-01"] * 3
    assert dated[mcr.DATES[1]] == sorted(dated[mcr.DATES[1]]) != dated[mcr.DATES[2]]
    assert dated[mcr.DATES[2]] == sorted(dated[mcr.DATES[2]], reverse=True)


def test_the_notices_ahead_of_the_clock_come_last_and_every_notice_comes_again():
    [point] = mcr.multi_restart_points()
    steps = point.steps
    restart = next(i for i, s in enumerate(steps) if isinstance(s, Restart))
    before = [s for s in steps[:restart] if isinstance(s, Send)]
    assert len(before) == restart == len(mcr.members())
    ahead = [i for i, s in enumerate(before) if s.age < 0]
    assert ahead and ahead == list(range(len(before) - len(ahead), len(before)))
    again = [s for s in steps[restart + 1:] if isinstance(s, Resend)]
    assert sorted(r.key for r in again) == sorted(s.key for s in before)
    assert {r.soap for r in again} > {None}  # some over the other SOAP version
    # every resident's changes in one notice, and its one probe after the restart
    per_resident = Counter(c.who for s in before for c in s.changes)
    assert set(per_resident) == set(range(point.residents))


def test_each_arrangement_and_dating_goes_at_both_magnitudes_and_a_double_misreads_the_large():
    """Round 37b: beyond 2⁵³ the highest 異動連番 of a notice is one a double rounds down, so an
    equal change compares greater against a watermark held as a double."""
    seen = {(tuple(sorted(set(order))) > (2**53,), dates) for order, dates in mcr.members()}
    assert seen == {(big, dates) for big in (False, True) for dates in mcr.DATES}
    for multiset in mcr.MULTISETS:
        written = {tuple(sorted(mcr.magnitude(n, m) for n in multiset)) for m in mcr.MAGNITUDES}
        assert written <= {tuple(sorted(o)) for o, _ in mcr.members()}
    large = [max(order) for order, _ in mcr.members() if max(order) > 2**53]
    assert large and all(float(top) < top for top in large)


def test_the_model_keeps_the_first_of_equal_changes_and_the_highest_through_the_probes():
    """A resident of each arrangement: the name of its highest 異動連番's first change; the
    probe equal to it kept out, the one above applied."""
    for order, dates in mcr.members():
        changes = [(c, f"n{i}") for i, c in enumerate(mcr._changes(0, order, dates))]
        held = Held()
        held.take(changes, {})
        top = max(order)
        assert held.last == top and held.name == f"n{order.index(top)}"
        equal = Held(last=held.last, name=held.name)
        assert equal.take([(mcr.Change(0, str(top)), "probe")], {}) == 0
        assert equal.take([(mcr.Change(0, str(top + 1)), "probe")], {}) == 1


def test_the_paging_grid_sends_each_pair_of_as_of_linkage_kind_and_retry():
    asks = [a for s in paging_sequences.SEQUENCES for a in s.asks]
    pairs = {(a.as_of, a.kind, a.first and a.request_id) for a in asks}
    for as_of in (paging_sequences.BEFORE, paging_sequences.MID):
        assert (as_of, "delta", True) in pairs or (as_of, "", True) in pairs
    assert (paging_sequences.MID, "delta", True) in pairs
    # a retry with another 基準日 than its first request's
    for sequence in paging_sequences.SEQUENCES:
        firsts = [a for a in sequence.asks if a.first and a.request_id]
        if len({a.as_of for a in firsts}) > 1:
            break
    else:
        pytest.fail("no retry with another 基準日")
    # an empty extract's ExtractId named again
    empty = [s for s in paging_sequences.SEQUENCES
             if s.asks[0].as_of == paging_sequences.BEFORE]
    assert empty and any(not a.first for a in empty[0].asks)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND35_NAMES))
def test_faulty_adapter_fails_exactly_its_round35_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND35_MODES))
def test_faulty_subscriber_fails_exactly_its_round35_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, Round35Subscriber(mode), profile)[1])
    assert set(failed) == set(ROUND35_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


def _extract_exchange(body: str, answer: str, sender: str = "pfbus-conformance") -> Exchange:
    """A 全件 request of ``body`` from ``sender`` and an answer of ``answer`` (a body, or
    ``"fault"``), as the transport would have recorded them."""
    spec = SimpleNamespace(id=late_retries.SERVICE, unit="01", version="1")
    params = {"sut_local_gov_code": "131016", "suite_business_unit": "07",
              "suite_system_id": sender, "sut_system_id": "vendor-a", "user_id": "u1"}
    header = request_header(spec, params)  # type: ignore[arg-type]
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://x/",
                  request=envelope(body, "1.1", header), service=late_retries.SERVICE,
                  soap_version="1.1", sent_header=header)
    ex.mark_sent()
    reply = replace(header, message_id=message_ids.fresh(), relates_to=header.message_id,
                    sender=header.receiver, receiver=header.sender)
    ex.response = fault_envelope(HubFault(faults.RULE_VIOLATION, [])) if answer == "fault" \
        else envelope(answer, "1.1", reply)
    return ex


def _request(*, rid: str | None = None, extract: str | None = None) -> str:
    return (f'<juki:ResidentFullExtractRequest xmlns:juki="{late_retries.JUKI}">'
            + (f"<juki:ExtractId>{extract}</juki:ExtractId>" if extract else "")
            + "<juki:Page>1</juki:Page><juki:PageSize>2</juki:PageSize>"
            + (f"<juki:RequestId>{rid}</juki:RequestId>" if rid else "")
            + "</juki:ResidentFullExtractRequest>")


_ANSWER = (f'<juki:ResidentFullExtractResponse xmlns:juki="{late_retries.JUKI}">'
           "<juki:ExtractId>e1</juki:ExtractId><juki:Page>1</juki:Page>"
           "<juki:TotalPages>0</juki:TotalPages><juki:TotalCount>0</juki:TotalCount>"
           "</juki:ResidentFullExtractResponse>")


def test_late_retries_take_the_last_answered_first_request_of_each_sender_and_request_id():
    log = late_retries.ExtractRequests()
    kept = [_extract_exchange(_request(rid="r1"), _ANSWER),
            _extract_exchange(_request(rid="r1"), _ANSWER, sender="other-system")]
    for ex in (_extract_exchange(_request(rid="r1"), _ANSWER),  # an earlier answer to r1
               *kept,
               _extract_exchange(_request(rid="r2"), "fault"),  # refused: nothing to retry
               _extract_exchange(_request(), _ANSWER),  # no RequestId: a new snapshot anyway
               _extract_exchange(_request(rid="r3", extract="e1"), _ANSWER)):  # a later page
        log.note(ex)
    retried = log.retried()
    assert [rid for _, rid in retried] == ["r1", "r1"] and list(retried.values()) == kept
    assert not any(log.before_restart(ex) for ex in kept)
    log.restart(time.monotonic())  # the product restarted: a RequestId may be forgotten (J-DUR-02)
    assert all(log.before_restart(ex) for ex in kept) and log.retried() == retried


def test_a_restart_is_noted_for_the_late_retries():
    class Restart:
        template = "restart it"

        def run(self, step, values, timeout):
            return CommandRun("restart", [], 0)

    log = late_retries.ExtractRequests()
    log.note(_extract_exchange(_request(rid="r1"), _ANSWER))
    noted = late_sends.NotedRestart(Restart(), log)
    assert noted.template == "restart it" and noted.run("s", {}, 1.0).exit_code == 0
    assert log.before_restart(log.sent[0])
