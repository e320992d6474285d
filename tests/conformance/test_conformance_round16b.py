"""Round 16b's faulty subscribers (faulty_round16b_subscribers.py) each fail exactly their
targets: seen MessageIds keyed short or through uuid (S-IDENT-01, P-IDENT-01), changes ordered by
SentAt and a 個人番号 check-digit table (S-GRID-01), and — crashed in process — a watermark restored
from the last change received and a seen-ID journal rotated at start-up (S-DUR-08). The faulty
providers are in faulty.py's list (test_conformance_providers); the pure models here."""

from __future__ import annotations

import random
import re

import pytest

from conformance import check_digits, identifiers, paging_sequences
from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile
from bus.core.identifiers import is_valid_local_gov_code

from .faulty_durability import serve_crashable
from .faulty_round16b_subscribers import (ROUND16B_CRASH_MODES, ROUND16B_MODES,
                                          Round16bCrashable, Round16bSubscriber)
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

# header-v1.xsd MessageIdType and juki-v1.xsd ExtractIdType (the RequestId)
MESSAGE_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
REQUEST_ID = r"[A-Za-z0-9\-]{1,64}"


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND16B_MODES))
def test_faulty_subscriber_fails_exactly_its_round16b_targets(refs, suite, mode, profile):
    subscriber = Round16bSubscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND16B_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND16B_CRASH_MODES))
def test_crashed_subscriber_fails_exactly_s_dur_08(refs, suite, mode, profile):
    subscriber = Round16bCrashable(mode)
    url = serve_crashable(refs, subscriber, profile)
    result = run_profile(RunOptions(
        profile, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND16B_CRASH_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
    assert subscriber.crashes >= 2  # S-DUR-08 restarts twice


# --- the pure parts ---------------------------------------------------------------------------

def test_request_id_pairs_are_valid_different_texts_a_normaliser_merges():
    pairs = identifiers.request_id_pairs("0000123456")
    seen = set()
    for what, one, two in pairs:
        for value in (one, two):
            assert re.fullmatch(REQUEST_ID, value) and value not in seen, (what, value)
            seen.add(value)
        assert one != two
    numbers = {what: (one, two) for what, one, two in pairs}
    one, two = numbers["equal as doubles (19 digits)"]
    assert float(one) == float(two) and int(one) != int(two)
    one, two = numbers["equal as numbers (leading zeros)"]
    assert int(one) == int(two)
    one, two = numbers["equal without separators"]
    assert one.replace("-", "") == two.replace("-", "")


def test_message_id_pairs_are_valid_and_differ_in_one_character():
    for what, one, two in identifiers.message_id_pairs(random.Random(7)):
        assert re.fullmatch(MESSAGE_ID, one) and re.fullmatch(MESSAGE_ID, two)
        assert sum(a != b for a, b in zip(one, two, strict=True)) == 1, what
    *_, (what, one, two) = identifiers.message_id_pairs(random.Random(7))
    assert float(one.replace("-", "")) == float(two.replace("-", "")), what


def test_a_sender_code_of_every_remainder_and_check_digit():
    codes = check_digits.local_gov_codes("131016")
    assert [r for r, _ in codes] == list(range(11))
    assert all(is_valid_local_gov_code(c) for _, c in codes)
    assert {c[5] for _, c in codes} == set("0123456789")
    assert dict(codes)[0][5] == "1" and dict(codes)[1][5] == "0"  # the two rare ones


@pytest.mark.parametrize("count", [0, 1, 2, 3, 11, 12])
def test_the_paging_model_answers_every_sequence(count):
    size = paging_sequences.page_size(count)
    counts = {paging_sequences.BEFORE: 0, paging_sequences.MID: count // 2}
    for sequence in paging_sequences.SEQUENCES:
        answers = paging_sequences.expect(sequence, count, size, counts)
        frozen: dict[int, int] = {}  # snapshot -> the TotalCount of the 基準日 that made it
        for ask, want in zip(sequence.asks, answers, strict=True):
            total = frozen.setdefault(want.snapshot, {**counts, "": count}[ask.as_of])
            pages = max(0, -(-total // size))
            assert want.total_pages == pages and want.total_count == total
            assert want.page == paging_sequences.number_of(ask.page, pages)
            assert 0 <= want.records <= size
            assert want.records == 0 if want.page > pages else want.records > 0
        # a first request with the sequence's RequestId again names the first snapshot
        named = [w.snapshot for a, w in zip(sequence.asks, answers, strict=True)
                 if a.first and a.request_id]
        assert len(set(named)) <= 1


def test_a_first_request_without_a_request_id_freezes_a_snapshot_of_its_own():
    ask = paging_sequences.Ask
    sequence = paging_sequences.Sequence("", (ask(1, first=True), ask(2), ask(1, first=True)))
    assert [w.snapshot for w in paging_sequences.expect(sequence, 11, 4)] == [0, 0, 1]


def test_a_retry_with_another_as_of_is_answered_from_the_first_snapshot():
    """Round 35b: the key is (Sender, RequestId) — a retry's 基準日 does not count."""
    ask, mid, before = paging_sequences.Ask, paging_sequences.MID, paging_sequences.BEFORE
    sequence = paging_sequences.Sequence("", (
        ask(1, first=True, request_id=True, as_of=mid), ask(2, first=True, request_id=True),
        ask(1, first=True, request_id=True, as_of=before, kind="delta")))
    answers = paging_sequences.expect(sequence, 11, 4, {mid: 6, before: 0})
    assert [(w.snapshot, w.total_count, w.total_pages, w.records) for w in answers] == [
        (0, 6, 2, 4), (0, 6, 2, 2), (0, 6, 2, 4)]
