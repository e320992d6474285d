"""The edge generator (conformance/edges.py) on its own: every value it derives is valid against
its XSD type and differs from the value it was derived from; the classes the eighth blind batch
missed are among them (pure: no product runs)."""

from __future__ import annotations

import uuid

import pytest

from conformance import edges
from conformance.edge_cases import side_by_side
from conformance.runner import _catalog

CANONICAL = {"standard_version": "1.0", "user_id": "conformance-suite",
             "sender_system_id": "pfbus-conformance"}


def test_dates_cover_leap_days_eras_and_the_epoch_and_are_valid_xs_dates():
    values = {e.value for e in edges.date_edges(timezones=True)}
    assert {"2000-02-29", "2020-02-29", "1988-02-29", "1989-01-07", "1989-01-08", "2019-04-30",
            "2019-05-01", "1969-12-31", "1970-01-01", "2020-02-29+09:00"} <= values
    assert all(e.value <= "2000" for e in edges.date_edges(until=edges.dt.date(1999, 12, 31)))
    assert edges.wareki(edges.dt.date(2020, 2, 29)) == "令和2"
    assert edges.wareki(edges.dt.date(1989, 1, 7)) == "昭和64"


def test_sent_at_has_fractions_of_every_length_and_stays_in_jst():
    values = [e.value for e in edges.jst_date_time_edges()]
    assert sorted(len(v.split(".")[1].split("+")[0]) for v in values) == [1, 3, 3, 6, 9]
    assert all(v.endswith("+09:00") for v in values)


@pytest.mark.parametrize("name,canonical,wanted", [
    ("KanaTextType", "ヨシダ", {"ヨ・シダ", "ヨーシダ", "ヨ\u3000シダ", "ァ"}),
    ("AddressCodeType", "131010001", {"0"}),
])
def test_pattern_edges_name_every_special_character_and_are_valid(name, canonical, wanted):
    t = edges.common_type(name)
    values = {e.value for e in edges.pattern_edges(name, t, canonical)}
    assert wanted <= values and canonical not in values
    assert all(t.is_valid(v) for v in values)


def test_header_edges_are_valid_and_cover_versions_case_and_uuid_versions():
    fresh = [str(uuid.uuid4()) for _ in range(16)]
    pairs = edges.header_edges(CANONICAL, fresh, sender=True)
    for field, e in pairs:
        name = {"sent_at": "SentAt", "standard_version": "StandardVersion", "user_id": "UserId",
                "message_id": "MessageId"}.get(field)
        if name:
            assert edges.header_type(name).is_valid(e.value), (field, e)
    ids = [e.value for f, e in pairs if f == "message_id"]
    assert {i[14] for i in ids} >= {"1", "8"} and {i[19] for i in ids} >= {"8", "9", "a", "b"}
    assert len(set(ids)) == len(ids)
    assert "CONFORMANCE-SUITE" in {e.value for f, e in pairs if f == "user_id"}
    # side by side: every value sent once, as many messages as the field with the most
    combined = side_by_side(pairs)
    assert sum(len(h) for _, h in combined) == len(pairs)
    assert len(combined) == max(sum(f == g for f, _ in pairs) for g, _ in pairs)


def test_identifier_edges_are_other_valid_numbers_of_the_same_digits():
    t = edges.common_type("AddresseeNumberType")
    values = [e.value for e in edges.identifier_edges("宛名番号", t, "0000010014")]
    assert values == ["00000010014", "000000000010014", "10014"]
    assert edges.identifier_edges("個人番号", edges.common_type("IndividualNumberType"),
                                  "000123456785") == []  # one length: no other number


def test_a_pattern_beyond_classes_and_counts_gets_no_edges():
    assert edges.parse_pattern("(ab)+") is None and edges.parse_pattern("a|b") is None
    assert edges.parse_pattern("[0-9]{2,15}")[0].high == 15


def test_every_code_of_the_residents_code_lists():
    codes = edges.code_edges(_catalog(()).codelists)
    assert {f for f, _ in codes} == {"Gender", "Relationship", "ResidentKind", "ResidentStatus"}
    assert len([e for f, e in codes if f == "Relationship"]) == 19
