"""The claim-selection rule (per-subject ordering of 異動通知), without any database."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bus.store.notices.claiming import Candidate, select_claimable

NOW = 1000.0
A, B, C = "131016:0000010014", "131016:0000010022", "131016:0000010030"


def row(id_, state="pending", subjects=(A,), not_before=0.0, lease_until=None):
    return Candidate(id=id_, seq=id_, state=state, not_before=not_before,
                     lease_until=lease_until, subjects=tuple(subjects))


def ids(rows, limit=10, blocked=()):
    return [r.id for r in select_claimable(rows, NOW, limit, blocked)]


def test_one_per_subject_and_different_subjects_in_parallel():
    rows = [row(1, subjects=[A]), row(2, subjects=[A]), row(3, subjects=[B]), row(4, subjects=[])]
    assert ids(rows) == [1, 3, 4]


def test_live_lease_blocks_expired_lease_is_claimable():
    live = [row(1, "inflight", lease_until=NOW + 1), row(2)]
    assert ids(live) == []
    expired = [row(1, "inflight", lease_until=NOW), row(2)]
    assert ids(expired) == [1]


def test_retry_not_yet_due_blocks_its_subject_only():
    rows = [row(1, not_before=NOW + 5), row(2), row(3, subjects=[B])]
    assert ids(rows) == [3]
    assert ids([row(1, not_before=NOW), row(2)]) == [1]  # due exactly now


def test_dead_row_and_blocked_subjects_block():
    assert ids([row(1, "dead"), row(2), row(3, subjects=[B])]) == [3]
    assert ids([row(2), row(3, subjects=[B])], blocked=[A]) == [3]


def test_a_notice_with_two_subjects_waits_for_both():
    rows = [row(1, subjects=[A]), row(2, subjects=[A, B]), row(3, subjects=[B])]
    assert ids(rows) == [1]  # 3 waits behind 2, which waits behind 1


def test_limit_and_rows_left_out_by_the_limit_still_block():
    rows = [row(1, subjects=[A]), row(2, subjects=[B]), row(3, subjects=[B]),
            row(4, subjects=[C])]
    assert ids(rows, limit=1) == [1]
    assert ids(rows, limit=0) == []


def test_the_input_is_consumed_lazily():
    def stream():
        yield row(1, subjects=[A])
        yield row(2, subjects=[B])
        raise AssertionError("read past the limit")
    assert ids(stream(), limit=2) == [1, 2]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="seq order"):
        ids([row(2), row(1)])
    with pytest.raises(ValueError, match="state"):
        ids([row(1, "delivered")])


# -- property: the rule, stated independently of the implementation ----------------------------

_rows = st.lists(st.tuples(
    st.sampled_from(["pending", "inflight", "dead"]),
    st.frozensets(st.sampled_from([A, B, C, "x:1", "x:2"]), max_size=3),
    st.sampled_from([NOW - 1, NOW, NOW + 1]),  # not_before or lease_until
), max_size=25)


def _available(r: Candidate) -> bool:
    return (r.state == "pending" and r.not_before <= NOW) or \
        (r.state == "inflight" and r.lease_until is not None and r.lease_until <= NOW)


@settings(max_examples=400, deadline=None)
@given(_rows, st.integers(min_value=1, max_value=8), st.frozensets(st.sampled_from([A, "x:2"])))
def test_property_order_is_never_violated_and_free_due_rows_are_claimed(spec, limit, blocked):
    rows = [Candidate(id=i + 100, seq=i * 3 + 1, state=state, subjects=tuple(sorted(subjects)),
                      not_before=t if state == "pending" else 0.0,
                      lease_until=t if state == "inflight" else None)
            for i, (state, subjects, t) in enumerate(spec)]
    chosen = select_claimable(rows, NOW, limit, blocked)
    chosen_ids = [r.id for r in chosen]
    assert len(chosen) <= limit
    assert chosen_ids == sorted(chosen_ids)  # seq order kept
    for r in chosen:
        assert _available(r)
        assert not set(r.subjects) & blocked
        earlier = rows[:rows.index(r)]
        # never a row behind an earlier unfinished row (any state, chosen or not) sharing a subject
        assert all(set(e.subjects).isdisjoint(r.subjects) for e in earlier)
    # every due row whose subjects are free is claimed, up to the limit
    free = [r for i, r in enumerate(rows) if _available(r) and not set(r.subjects) & blocked
            and all(set(e.subjects).isdisjoint(r.subjects) for e in rows[:i])]
    assert chosen == free[:limit]


def test_subjects_are_decoded_once_per_distinct_text_and_must_be_an_array_of_strings():
    from bus.store.notices.claiming import decode_subjects
    text = f'["{A}", "{B}"]'
    assert decode_subjects(text) == (A, B)
    equal = "".join(list(text))  # an equal string, another object
    assert equal is not text and decode_subjects(equal) is decode_subjects(text)  # cached
    assert decode_subjects("[]") == ()
    for bad in ('{"a": 1}', '"131016:0000010014"', "[1]"):
        with pytest.raises(ValueError):
            decode_subjects(bad)
