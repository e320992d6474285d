"""Fresh 宛名番号 (conformance/fresh_addressees.py): valid, never repeated in a process, shared
by every run of it."""

from __future__ import annotations

from bus.core.identifiers import Modulus11Scheme
from conformance.fresh_addressees import HIGH, LOW, PROCESS_STREAM, FreshAddressees
from conformance.interpreter import RunState


def _remainder(body: str) -> int:
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body))) % 11


def test_draws_are_valid_consecutive_and_wrap_to_the_first_nine_digit_body():
    stream = FreshAddressees(start=HIGH - 3)
    drawn = [stream.draw() for _ in range(6)]
    assert [int(n[:9]) for n in drawn] == [HIGH - 3, HIGH - 2, HIGH - 1, LOW, LOW + 1, LOW + 2]
    assert all(Modulus11Scheme(length=10).problem(n) is None for n in drawn)


def test_remainder_zero_draws_have_check_digit_zero_by_a_zero_remainder_and_skip_ahead():
    stream = FreshAddressees(start=123456789)
    drawn = [stream.draw(remainder_zero=True) for _ in range(20)]
    assert all(_remainder(n[:9]) == 0 and n[9] == "0" for n in drawn)
    assert len(set(drawn)) == 20
    assert stream.draw() > drawn[-1]  # the ones skipped are not drawn later


def test_no_number_repeats_across_many_runs_of_one_process():
    """The tests' module-scoped reference stores keep the residents of hundreds of runs."""
    drawn = [PROCESS_STREAM.draw(remainder_zero=i % 3 == 0) for i in range(30_000)]
    assert len(set(drawn)) == len(drawn)


def test_every_run_state_draws_from_the_process_stream():
    assert RunState.__dataclass_fields__["fresh"].default is PROCESS_STREAM
