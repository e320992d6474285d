"""Round 14's changes to the independent adapter, in process (variant_transcripts.py): the
correct adapter reads a date with white space around it as XML Schema does, and the old variant
``changes-collapsed-per-resident`` has its one defect only."""

from __future__ import annotations

import re

from .variant_transcripts import change, extract, inquiry, notice, transcript


def _bodies(lines: list[str]) -> list[str]:
    """Each answer's body without its header (the header names the message, not the data)."""
    return [re.sub(r"<soap:Header>.*</soap:Header>", "", line, flags=re.S) for line in lines]


def test_a_date_with_white_space_around_it_is_read_as_the_date(tmp_path):
    # xs:date's whiteSpace is collapse: "\n 2020-01-01\t" is 2020-01-01 (libxml2 refuses it; the
    # adapter validates again with it stripped, then reads the 基準日 stripped)
    plain = [inquiry("890123456780", by="IndividualNumber", as_of="2020-01-01"),
             inquiry("0000010022", as_of="2018-06-01"), extract(1, as_of="2018-06-01")]
    spaced = [inquiry("890123456780", by="IndividualNumber", as_of="\n 2020-01-01\t"),
              inquiry("0000010022", as_of=" 2018-06-01\r\n"), extract(1, as_of="\t2018-06-01 ")]
    canonical = transcript("provider", tmp_path / "a.db", None, plain)
    assert "not-found" in canonical[0] and ">found<" in canonical[1]  # the dates matter here
    assert _bodies(transcript("provider", tmp_path / "b.db", None, spaced)) == _bodies(canonical)


def test_changes_collapsed_per_resident_keeps_each_notice_its_own_message_id(tmp_path):
    # the variant's loop once reused ``key``, the notice's de-duplication key, for the 宛名番号:
    # a second notice about the same resident was then receipted duplicate — a second defect
    steps = [notice(change(seq=1), change(seq=2)),
             notice(change(seq=3, name="総務花子"), change(seq=4, name="総務花子")),
             ("observe", "0000010014")]
    out = transcript("subscriber", tmp_path / "s.db", "changes-collapsed-per-resident", steps)
    assert all("<pfr:Status>applied</pfr:Status>" in line for line in out[:2]), out[:2]
    assert out[2] == repr({"name": "総務花子", "changes_applied": 2})
