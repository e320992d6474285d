"""Every receipt the hub writes fits the format vendors read (schemas/files/receipt-v1.schema.json):
accepted, rejected by each kind of rule, duplicate, and a rejection concluded after a restart —
and the schema is no rubber stamp: receipts that break the format are refused by it."""

from __future__ import annotations

import copy
import json

import pytest

from .files_data import broken_file, change_file, name
from .receipt_schema import problems
from .pipeline_kit import Hub, manifest_of


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[dict]:
    """The receipts of one hub that took every kind of file."""
    hub = Hub(tmp_path_factory.mktemp("receipts"))
    try:
        hub.drop("vendor-a", name(), change_file(3))  # accepted
        hub.pipeline.turn()
        hub.drop("vendor-a", name("again"), change_file(3))  # the same bytes: duplicate
        hub.drop("vendor-a", name("broken"), broken_file())  # layout findings
        hub.drop("vendor-a", "residents.csv", change_file(2))  # file:kind
        hub.drop("vendor-a", name(code="141003"), change_file(2, code="141003"))  # file:sender
        hub.drop("vendor-x", name(code="141003"), change_file(2, code="141003"))  # route:none
        hub.drop("vendor-a", "ido.csv.manifest.json", manifest_of(change_file(4), rows=5))
        hub.drop("vendor-a", "ido.csv", change_file(4))  # manifest:rows
        hub.pipeline.turn()
        # a verdict whose receipt was not written before a restart: concluded by the next run
        hub.drop("vendor-a", name("late"), broken_file())
        hub.pipeline.on_stage = _stop_at("decided")
        with pytest.raises(_Stopped):
            hub.pipeline.turn()
        hub.close()
        hub.open()
        hub.pipeline.turn()
        return [json.loads(p.read_text("utf-8")) for adapter in ("vendor-a", "vendor-x")
                for p in sorted((hub.config.root / adapter / "outbox").glob("*.receipt.json"))]
    finally:
        hub.close()


class _Stopped(Exception):
    pass


def _stop_at(step: str):
    def on_stage(at: str) -> None:
        if at == step:
            raise _Stopped(at)
    return on_stage


def test_every_receipt_written_fits_the_format(written):
    assert len(written) == 8, [(r["file"], r["status"]) for r in written]
    assert {r["status"] for r in written} == {"accepted", "rejected", "duplicate"}
    rules = {f["rule"] for r in written for f in r.get("findings", [])}
    assert {"type:date", "file:kind", "file:sender", "route:none", "manifest:rows"} <= rules
    for receipt in written:
        assert problems(receipt) == [], receipt


@pytest.mark.parametrize("status, breakage", [
    ("accepted", lambda r: r.pop("subscribers")),
    ("accepted", lambda r: r.update(rows=None)),
    ("accepted", lambda r: r.update(status="ok")),
    ("accepted", lambda r: r.update(sha256=r["sha256"].upper())),
    ("accepted", lambda r: r.update(extra=1)),
    ("rejected", lambda r: r["findings"][0].update(value="20260231")),  # a value: never
    ("rejected", lambda r: r.pop("findings")),
    ("rejected", lambda r: r.update(subscribers=["vendor-b"])),
    ("duplicate", lambda r: r.pop("duplicate_of")),
])
def test_the_format_refuses_a_receipt_that_breaks_it(written, status, breakage):
    receipt = copy.deepcopy(next(r for r in written if r["status"] == status))
    assert problems(receipt) == []
    breakage(receipt)
    assert problems(receipt) != []
