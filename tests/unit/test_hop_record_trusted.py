"""``trusted_record``: the hub's cheaper way to make a ``HopRecord`` gives the same record."""

from __future__ import annotations

import dataclasses

import pytest

from bus.core.faults import Party
from bus.store.hop_record import Hop, HopRecord, Status, trusted_record

COMMON = {"exchange_id": "0b0f8c1e-3c1a-4e59-9f0c-2b1d7a6e5f40", "request_bytes": 1081,
          "peer": None, "remote": "127.0.0.1:5000", "message_id": "m-1", "sender": "131016/07/x"}


@pytest.mark.parametrize("hop, status, extra", [
    (Hop.RECEIVED, Status.OK, {}),
    (Hop.REPLIED, Status.OK, {"http_status": 200, "response_bytes": 3193, "duration_ms": 1.5}),
    (Hop.REJECTED, Status.FAULT, {"fault_code": "PF-SCHEMA-INVALID", "party": Party.CLIENT,
                                  "rule": "xsd:pattern", "path": "/soap:Envelope", "line": 3}),
])
def test_the_same_record_as_init(hop, status, extra):
    values = {**COMMON, **extra}
    made = trusted_record(hop, status, values)
    expected = HopRecord(hop=hop, status=status, **values)
    assert dataclasses.replace(expected, at=made.at) == made  # made a moment apart
    assert made == dataclasses.replace(made)  # and __init__ accepts it as it is
    assert len(made.at) == 32 and made.at.endswith("+00:00")


def test_a_record_without_an_exchange_id_gets_one():
    values = {k: v for k, v in COMMON.items() if k != "exchange_id"}
    assert len(trusted_record(Hop.RECEIVED, Status.OK, values).exchange_id) == 36


@pytest.mark.parametrize("hop, status, extra", [
    ("received", "ok", {}),  # text, not members: __init__ checks and converts them
    (Hop.REPLIED, Status.OK, {"party": "provider"}),
    (Hop.REPLIED, Status.OK, {"at": "2026-12-03T07:00:00+09:00"}),  # normalised to UTC
])
def test_anything_else_goes_through_init(hop, status, extra):
    made = trusted_record(hop, status, {**COMMON, **extra})
    assert made == HopRecord(hop=hop, status=status, **{**COMMON, **extra, "at": made.at})
    assert type(made.hop) is Hop and type(made.status) is Status


def test_unknown_names_are_refused():
    with pytest.raises(TypeError):
        trusted_record(Hop.RECEIVED, Status.OK, {**COMMON, "colour": "red"})
    with pytest.raises(ValueError):
        trusted_record("arrived", "ok", COMMON)  # type: ignore[arg-type]
