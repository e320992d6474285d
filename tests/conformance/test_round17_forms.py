"""The pure parts of round 17's cases: the envelope attribute forms (envelope_attributes.py), the
calendar's boundaries (calendar_boundaries.py) and the days P-CAL-02 and S-CAL-02 take from them,
and S-CHR-15's pairs (notice_equivalents.py)."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from lxml import etree

from conformance import (calendar_inquiries, envelope_attributes, equivalence, grid, notice_dates,
                         parties)
from conformance.calendar_boundaries import boundaries, iso_week_year_days, one_of_each
from conformance.notice_equivalents import PAIRS, equivalent_points

REQUEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org'
           '/2003/05/soap-envelope"><soap:Header><h:H xmlns:h="urn:x"><h:U>1</h:U></h:H>'
           '</soap:Header><soap:Body><b:B xmlns:b="urn:y"><b:K>2</b:K></b:B></soap:Body>'
           '</soap:Envelope>')
SOAP12 = "{http://www.w3.org/2003/05/soap-envelope}"
FORMS = [v for v in equivalence.VARIANTS if v.name.startswith("envelope-")]


@pytest.mark.parametrize("variant", FORMS, ids=lambda v: v.name)
def test_each_envelope_form_puts_qualified_attributes_on_envelope_header_and_body(variant):
    raw, _ = equivalence.rewrite(REQUEST.encode(), {}, "1.2", variant)
    root = etree.fromstring(raw)
    for el in (root, root.find(f"{SOAP12}Header"), root.find(f"{SOAP12}Body")):
        assert el.attrib, el.tag
        assert all(etree.QName(a).namespace not in (None, SOAP12[1:-1]) for a in el.attrib)
    assert root.find(f"{SOAP12}Body/{{urn:y}}B").attrib == {}  # the payload untouched


def test_the_envelope_check_refuses_a_form_that_changes_the_message():
    changed = envelope_attributes.wsu_ids(REQUEST).replace("<b:K>2", "<b:K>3")
    with pytest.raises(ValueError, match="changes the message"):
        envelope_attributes.equivalent(REQUEST.encode(), changed.encode())
    unqualified = REQUEST.replace("<soap:Body>", '<soap:Body id="b">')
    with pytest.raises(ValueError, match="changes the message"):  # not SOAP's to allow
        envelope_attributes.equivalent(REQUEST.encode(), unqualified.encode())
    with pytest.raises(ValueError, match="adds no attribute"):
        envelope_attributes.equivalent(REQUEST.encode(), REQUEST.encode())


def test_every_boundary_turns_its_period_between_two_adjacent_days():
    found = boundaries(range(2019, 2026))
    assert {b.kind for b in found} == {"calendar year", "ISO week-year", "年度", "month", "era"}
    assert all(b.after - b.before == dt.timedelta(days=1) for b in found)
    days = dict(iso_week_year_days(range(2020, 2028)))
    assert days[dt.date(2024, 12, 30)] == 2025 and days[dt.date(2027, 1, 1)] == 2026
    assert dt.date(2024, 1, 1) not in days  # a Monday: ISO 2024-W01
    kinds = [b.kind for b in one_of_each(range(2019, 2026))]
    assert kinds.count("ISO week-year") == 2  # one ahead of the calendar year, one behind


def test_p_cal_02_takes_the_days_the_test_data_tells_apart():
    model = grid.load_model("juki_residents.xml")
    years = range(1998, 2026)
    week = {day: moved for day, _, moved in calendar_inquiries.week_year_days(model, years)}
    assert sorted(week) == [dt.date(2022, 1, 2), dt.date(2024, 12, 31)]
    for day, moved in week.items():  # the week-year reading moves each resident named
        misread = day.replace(year=day.isocalendar().year)
        assert moved and all(grid.lived_here(r, day) != grid.lived_here(r, misread)
                             for r in moved)
    days = dict(calendar_inquiries.boundary_days(model, years))
    assert dt.date(2015, 3, 31) in days and dt.date(2015, 4, 1) in days  # 総務翔子 moved in
    assert dt.date(2025, 2, 28) in days and dt.date(2025, 3, 1) in days  # 都筑ﾕｷ moved in


def test_s_cal_02_sequences_cross_each_boundary_and_its_dates_are_what_they_say():
    groups = {"A01": "記載", "B01": "消除", "B03": "消除", "C12": "修正"}
    points = notice_dates.date_points([], groups)
    crossing = [p for p in points if p.dimension == "暦の境界"]
    assert len(crossing) == len(one_of_each(notice_dates.YEARS))
    for p in crossing:  # 1 and 2 and 5 on the last day, 4 on the first: 2 kept out, 5 applied
        (one,), (four,), (two,), (five,) = (s.changes for s in p.steps)
        assert [c.sequence for c in (one, four, two, five)] == ["1", "4", "2", "5"]
        assert one.occurred == two.occurred == five.occurred < four.occurred
    iso = [p for p in points if "ISO week-year" in p.what and p.dimension == "日付の関係"]
    for p in iso:
        day = dt.date.fromisoformat(p.steps[0].changes[0].occurred)
        assert day.isocalendar().year != day.year
    late = [p.steps[0].changes[0] for p in points if "届出" in p.what]
    assert any((dt.date.fromisoformat(c.fields["NotifiedOn"])
                - dt.date.fromisoformat(c.occurred)).days > 14 for c in late)
    early = next(p for p in points if "before the move" in p.what).steps[1].changes[0]
    assert early.fields["NotifiedOn"] < early.occurred


@pytest.mark.parametrize("hour,minute", [(0, 20), (8, 20), (9, 20), (23, 20), (23, 40)])
def test_s_cal_02_sends_one_notice_more_than_a_day_old_at_any_hour_of_the_run(hour, minute):
    # a run just after midnight JST once sent both less than a day old: a receiver refusing day-old
    # notices then passed S-CAL-02 (CI, 5 December 2026 00:20 JST)
    now = dt.datetime(2026, 12, 5, hour, minute, tzinfo=notice_dates.JST)
    ages = sorted(p.steps[0].age for p in notice_dates.sent_at_points(now))
    assert ages[0] < 86400 < ages[1]
    sent = [dt.datetime.fromisoformat(p.what.split()[2]) for p in notice_dates.sent_at_points(now)]
    assert [s.date() == s.astimezone(dt.timezone.utc).date() for s in sent] == [True, False]


def test_s_chr_15_pairs_are_other_values_equal_under_a_folding():
    def folded(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold().strip()
        text = "".join(c for c in text if not 0xE0100 <= ord(c) <= 0xE01EF)
        return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text) \
            .replace("〜", "~")  # the CP932 table maps U+301C to U+FF5E, NFKC that to ~
    for what, a, b, *where in PAIRS:
        name = (where or ["田中{}花子"])[0]
        assert a != b, what
        assert folded(name.format(a)) == folded(name.format(b)), what
    points = equivalent_points([], {})
    assert {p.steps[0].soap for p in points} == {"1.1", "1.2"}
    for p in points:
        first, second = (s.changes[0] for s in p.steps)
        assert first.name != second.name and second.reason == "C12"


def test_other_senders_include_the_receivers_own_unit_once_it_is_known():
    values = {"sut_local_gov_code": "131016", "suite_business_unit": "07"}
    own = [h for label, h in parties.other_senders(values, "01") if "own" in label]
    assert own == [{"sender_business_unit": "01"},
                   {"sender_local_gov_code": "271004", "sender_business_unit": "01"}]
    assert len(parties.other_senders(values)) == 4  # no unit named: the round-14 four
    assert len(parties.other_senders(values, "07")) == 4  # the suite's own unit: nothing new
