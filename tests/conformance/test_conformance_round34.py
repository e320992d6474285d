"""Round 34's checks (the wire grid, conformance/wire_grid.py): the grid covers every pair of
values of any two of its dimensions, each of its requests holds the canonical message in the
wire forms its row names, and the faulty product of faulty_round34.py fails exactly it; round
34b's (conformance/reobservation.py): which residents S-RELOAD-01 observes again, and the
crashable subscriber of faulty_round34.py failing exactly it."""

from __future__ import annotations

import codecs
import itertools
import time

import pytest

from conformance import cjk_blocks, equivalence, reobservation, value_restarts, wire_grid
from conformance.envelopes import http_headers
from conformance.grid_notices import Send
from conformance.records import CommandRun, Exchange

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_durability import crash_run
from .faulty_round34 import ROUND34_MODES, ROUND34_NAMES, ZeroFilledStartUpSubscriber
from .outcomes import not_passed
from .tiers import subscriber_runs

_ACTION = "urn:pfbus:service:juki.ResidentInquiry"
_CANON = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<e xmlns="urn:x"><n>𠮷田</n><k>ﾊﾅ</k></e>')


def test_every_pair_of_two_dimensions_is_in_a_request():
    rows = wire_grid.ROWS
    for i, j in itertools.combinations(range(len(wire_grid.DIMENSIONS)), 2):
        pairs = {(row[i], row[j]) for row in rows}
        wanted = set(itertools.product(wire_grid.DIMENSIONS[i], wire_grid.DIMENSIONS[j]))
        assert pairs == wanted, (i, j, wanted - pairs)
    # no more requests than the encodings × spacings it must hold, and a few for pairs left
    assert len(rows) <= len(wire_grid.ENCODINGS) * len(wire_grid.SPACINGS) + 4
    assert len({wire_grid.name_of(row) + wire_grid.version_of(row) for row in rows}) == len(rows)


@pytest.mark.parametrize("row", wire_grid.ROWS, ids=wire_grid.name_of)
def test_each_request_is_its_row_and_the_canonical_message(row):
    encoding, spacing, label, soap, option = row
    raw, headers = wire_grid.rewrite_for(row)(_CANON, http_headers(soap, _ACTION), soap)
    ctype = next(v for k, v in headers.items() if k.lower() == "content-type")
    charset = wire_grid.ENCODINGS[encoding][0]
    bom = {"utf-8-bom": codecs.BOM_UTF8, "utf-16le": codecs.BOM_UTF16_LE,
           "utf-16be": codecs.BOM_UTF16_BE, "utf-16be-no-declaration": codecs.BOM_UTF16_BE}
    assert raw.startswith(bom.get(encoding, b"<"))
    text = raw.decode({"utf-16le": "utf-16", "utf-16be": "utf-16",
                       "utf-16be-no-declaration": "utf-16"}.get(encoding, "utf-8-sig"))
    assert text.startswith("<?xml") != encoding.endswith(("no-declaration", "bom"))
    assert ("charset" in ctype.lower()) == (label != "absent")
    if label != "absent":
        assert charset in ctype.lower()
    assert ctype.lower().startswith("text/xml" if soap == "1.1" else "application/soap+xml")
    separator, padding = wire_grid.SPACINGS[spacing]
    assert ctype.endswith(padding) and (separator in ctype) == (ctype.count(";") > 0)
    if option == "field-names-lower-case":
        assert all(k == k.lower() for k in headers)
    if option == "action-both-ways":
        assert "SOAPAction" in headers and "action=" in ctype


def test_the_grid_is_sent_by_its_own_step_only():
    assert not {v.name for v in equivalence.GRID} & set(equivalence.NAMES)
    assert len(equivalence.GRID) == len(wire_grid.ROWS)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND34_NAMES))
def test_faulty_adapter_fails_exactly_its_round34_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND34_MODES))
def test_faulty_start_up_fails_exactly_its_round34_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, ZeroFilledStartUpSubscriber(mode), profile)[1])
    assert set(failed) == set(ROUND34_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


_NOTICE = ('<?xml version="1.0" encoding="UTF-8"?><e xmlns:c="urn:pfbus:platform:common:v1">'
           '<c:AddresseeNumber>0000000086</c:AddresseeNumber><c:AddresseeNumber>8<!-- x -->6'
           '</c:AddresseeNumber></e>')


def test_the_numbers_a_request_names_are_read_as_xml_in_any_form():
    assert reobservation.addressee_numbers(_NOTICE.encode()) == {"0000000086", "86"}
    utf16 = _NOTICE.replace("UTF-8", "UTF-16").encode("utf-16")
    assert reobservation.addressee_numbers(utf16) == {"0000000086", "86"}
    broken = b"<e><AddresseeNumber>19</AddresseeNumber>"  # not well-formed: by its text
    assert reobservation.addressee_numbers(broken) == {"19"}


def _run(exit_code: int, seen=None) -> CommandRun:
    return CommandRun("observe", [], exit_code, json=seen)


def test_only_residents_no_request_named_since_their_last_observation_are_observed_again():
    log = reobservation.ObservationLog()
    sent = Exchange(step="s", direction="to-product", method="POST", url="http://x/",
                    request=_NOTICE.encode())
    sent.mark_sent()
    log.sent(sent)
    log.observed({"addressee_number": "86"}, "after it", time.monotonic(), _run(0, {"n": 1}))
    log.observed({"addressee_number": "19"}, "never sent", time.monotonic(), _run(3))
    log.observed({"addressee_number": "0000000086"}, "first", time.monotonic(), _run(0, {}))
    later = Exchange(step="s", direction="to-product", method="POST", url="http://x/",
                     request=b"<e><AddresseeNumber>0000000086</AddresseeNumber></e>")
    later.mark_sent()
    log.sent(later)  # named again after its observation: its state may have changed
    assert [(n, o.seen) for n, o in log.unchanged()] == [("86", {"n": 1}), ("19", "not held")]


@pytest.mark.parametrize("point", [cjk_blocks.cjk_points, value_restarts.value_points],
                         ids=["S-CJK-01", "S-FIELD-02"])
def test_every_character_value_goes_in_both_soap_versions(point):
    for p in point():
        by_version = {s.soap: sorted((c.name or "", tuple(sorted(c.fields.items())))
                                     for c in s.changes) for s in p.steps if isinstance(s, Send)}
        assert set(by_version) == {"1.1", "1.2"} and by_version["1.1"] == by_version["1.2"]
