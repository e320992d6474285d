"""Round 34's checks (the wire grid, conformance/wire_grid.py): the grid covers every pair of
values of any two of its dimensions, each of its requests holds the canonical message in the
wire forms its row names, and the faulty product of faulty_round34.py fails exactly it."""

from __future__ import annotations

import codecs
import itertools

import pytest

from conformance import equivalence, wire_grid
from conformance.envelopes import http_headers

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round34 import ROUND34_NAMES

_ACTION = "urn:pfbus:service:juki.ResidentInquiry"
_CANON = ('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<e xmlns="urn:x"><n>𠮷田</n><k>ﾊﾅ</k></e>')


def test_every_pair_of_two_dimensions_is_in_a_request():
    rows = wire_grid.ROWS
    for i, j in itertools.combinations(range(4), 2):
        pairs = {(row[i], row[j]) for row in rows}
        wanted = set(itertools.product(wire_grid.DIMENSIONS[i], wire_grid.DIMENSIONS[j]))
        assert pairs == wanted, (i, j, wanted - pairs)
    # no more requests than the encodings × labels it must hold, and a few for pairs left
    assert len(rows) <= len(wire_grid.ENCODINGS) * len(wire_grid.LABELS) + 4
    assert len({wire_grid.name_of(row) + row[2] for row in rows}) == len(rows)


@pytest.mark.parametrize("row", wire_grid.ROWS, ids=wire_grid.name_of)
def test_each_request_is_its_row_and_the_canonical_message(row):
    encoding, label, soap, option = row
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
