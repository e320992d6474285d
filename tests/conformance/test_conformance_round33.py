"""Round 33b's checks (the thirty-third blind batch's misses, as classes): UTF-16 labelled after
another parameter, SystemIds ending in punctuation, S-FIELD-01's residents a start-up reloads
wrongly, S-RST-01's notices carrying RelatesTo; each faulty product of faulty_round33.py failing
exactly its targets."""

from __future__ import annotations

import codecs

import pytest

from conformance import encoding_forms, start_fields
from conformance.envelopes import http_headers

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_durability import crash_run
from .faulty_round33 import ROUND33_MODES, ROUND33_NAMES, StartUpReloadSubscriber
from .outcomes import not_passed
from .tiers import subscriber_runs

_ACTION = "urn:pfbus:service:juki.ResidentInquiry"
_CANON = '<?xml version="1.0" encoding="UTF-8"?>\n<e xmlns="urn:x">名</e>'


@pytest.mark.parametrize("soap,first", [("1.1", "x-conformance=1"),
                                        ("1.2", f'action="{_ACTION}"')])
def test_utf16_is_labelled_after_another_parameter(soap, first):
    raw, headers = encoding_forms.utf16_charset_last(_CANON, http_headers(soap, _ACTION), soap)
    assert raw.startswith(codecs.BOM_UTF16_LE)
    params = [p.strip() for p in headers["Content-Type"].split(";")[1:]]
    assert params == [first, "charset=utf-16"]


def test_s_field_01_holds_residents_a_start_up_reloads_wrongly():
    point = start_fields.field_points({})[0]
    changes = [c for s in point.steps for c in getattr(s, "changes", ())]
    sequences = {c.sequence for c in changes}
    assert {"9", "10", str(2**31 - 1), str(2**31)} <= sequences
    spaced = [c for c in changes if c.name == start_fields.SPACED_NAME]
    assert len({c.who for c in spaced}) == 1  # one resident, its 転入 and a 修正 keep the name
    assert spaced[0].name[0] == " " and spaced[0].name[-1] == "\u3000"
    changed = next(s for s in point.steps if getattr(s, "key", "") == "changed").changes
    kept = {spaced[0].who} | {c.who for c in changed if c.sequence in ("10", str(2**31))}
    later = {c.who for c in point.steps[-1].changes}  # the later changes: none replaces them
    assert len(kept) == 3 and not kept & later


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND33_NAMES))
def test_faulty_adapter_fails_exactly_its_round33_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND33_MODES))
def test_faulty_start_up_fails_exactly_its_round33_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, StartUpReloadSubscriber(mode), profile)[1])
    assert set(failed) == set(ROUND33_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
