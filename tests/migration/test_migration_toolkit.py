"""The migration toolkit end to end: vendor A exports, vendor B (the new registry) imports.

The 外字/IVS/縮退 path, dry run, a batch failing halfway, a real import process killed and
resumed (the database ends as an uninterrupted import leaves it), the manifest refusing an
altered file, and reconciliation finding planted differences without printing any value.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.sdk.migration import (MigrationError, TargetCharacters, character_summary,
                                    export_extract, import_extract)
from adapters.vendor_b_tax import GAIJI_TABLE as B_GAIJI
from adapters.vendor_b_tax.registry import RegistryExporter, RegistryImporter
from adapters.vendor_a_registry.store import SEED_RESIDENTS
from adapters.vendor_b_tax.store import TaxStore
from bus.cli.main import main as pfbus
from bus.core.gaiji import GaijiTable
from bus.migration.manifest import read_manifest
from bus.migration.reconcile import reconcile

from tests.support.polling import wait_until

from .extracts import export_vendor_a, field, lines, rewrite

ROOT = Path(__file__).resolve().parents[2]
B_TABLES = ("宛名", "住民記録", "世帯", "異動履歴", "原字", "世帯原字")


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    return export_vendor_a(tmp_path_factory.mktemp("a") / "extract", residents=400)


def b_import(extract: Path, db: Path, **kwargs):
    manifest, _ = read_manifest(extract)
    store = TaxStore.open(db)
    try:
        characters = TargetCharacters(GaijiTable.load(B_GAIJI), "jisx0213")
        return import_extract(extract, RegistryImporter(store, manifest.created),
                              characters=characters, **kwargs)
    finally:
        store.close()


def dump(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1, 2, 3').fetchall()
                for t in B_TABLES}
    finally:
        conn.close()


def test_export_maps_vendor_gaiji_to_mj(extract):
    manifest, _ = read_manifest(extract)
    changes = {(c.source, c.target, c.kind) for c in manifest.character_changes}
    assert ("U+E001", "MJ028902", "gaiji-to-mj") in changes  # 髙
    assert ("U+E003", "MJ022335", "gaiji-to-mj") in changes  # 葛 + IVS
    text = (extract / "resident.csv").read_text(encoding="utf-8")
    assert not any(0xE000 <= ord(c) <= 0xF8FF for c in text)
    assert "髙橋健一" in text and "葛\U000E0102西" in text


def test_import_shrinks_and_maps_to_the_targets_characters_keeping_originals(extract, tmp_path):
    result = b_import(extract, tmp_path / "b.sqlite3")
    summary = character_summary(result.changes)
    assert any(s.startswith("MJ028902 → U+9AD8 (縮退)") for s in summary)  # 髙 → 高
    assert any(s.startswith("MJ022335 → U+845B (縮退)") for s in summary)  # 葛+IVS → 葛
    assert any(s.startswith("MJ026201 → U+F100 (MJ→外字)") for s in summary)  # vendor B's 外字
    conn = sqlite3.connect(tmp_path / "b.sqlite3")
    name, = conn.execute('SELECT "名前(漢字)" FROM "宛名" WHERE "宛名番号" = ?',
                         ("0000010049",)).fetchone()
    original, = conn.execute('SELECT "原字" FROM "原字" WHERE "宛名番号" = ? AND "項目" = ?',
                             ("0000010049", "名前(漢字)")).fetchone()
    former, = conn.execute('SELECT "原字" FROM "原字" WHERE "宛名番号" = ? AND "項目" = ?',
                           ("0000010057", "旧氏")).fetchone()
    conn.close()
    assert (name, original, former) == ("高橋健一", "髙橋健一", "葛\U000E0102西")


def test_round_trip_through_vendor_b_is_identical(extract, tmp_path):
    db = tmp_path / "b.sqlite3"
    b_import(extract, db)
    store = TaxStore.open(db)
    back = export_extract(RegistryExporter(store), tmp_path / "b-export",
                          gaiji=GaijiTable.load(B_GAIJI))
    store.close()
    assert ("U+F100", "MJ026201") in {(c.source, c.target) for c in back.manifest.character_changes}
    result = reconcile(extract, tmp_path / "b-export")
    assert result.identical, result.to_json()


def test_dry_run_writes_nothing(extract, tmp_path):
    db = tmp_path / "b.sqlite3"
    dry = b_import(extract, db, dry_run=True)
    assert dry.rows["resident"] == len(SEED_RESIDENTS) + 400 and dry.changes
    assert all(not rows for rows in dump(db).values())
    real = b_import(extract, db)
    assert (real.rows, real.changes) == (dry.rows, dry.changes)


def test_a_failing_batch_leaves_whole_households_and_resumes(extract, tmp_path, monkeypatch):
    db = tmp_path / "b.sqlite3"
    calls = {"n": 0}
    original = RegistryImporter.load

    def failing(self, record, rows):
        calls["n"] += 1
        if calls["n"] == 5:  # in the third batch (two loads per batch: 世帯, 住民)
            raise RuntimeError("disk full (simulated)")
        return original(self, record, rows)
    monkeypatch.setattr(RegistryImporter, "load", failing)
    with pytest.raises(RuntimeError):
        b_import(extract, db, batch_rows=100)
    half = dump(db)
    assert 0 < len(half["世帯"]) < 160
    _assert_whole_households(db, extract)
    monkeypatch.setattr(RegistryImporter, "load", original)
    resumed = b_import(extract, db, batch_rows=100)
    assert resumed.resumed and resumed.skipped["household"] == len(half["世帯"])
    whole = tmp_path / "whole.sqlite3"
    b_import(extract, whole, batch_rows=100)
    assert dump(db) == dump(whole)


def _assert_whole_households(db: Path, extract: Path) -> None:
    """Every household in the database has exactly the members the extract gives it."""
    members: dict[str, int] = {}
    for line in lines(extract, "resident.csv")[1:]:
        members[field(line, 2)] = members.get(field(line, 2), 0) + 1
    conn = sqlite3.connect(db)
    try:
        loaded = dict(conn.execute('SELECT h."世帯番号", (SELECT count(*) FROM "宛名" a WHERE '
                                   'a."世帯番号" = h."世帯番号") FROM "世帯" h'))
        orphans = conn.execute('SELECT count(*) FROM "宛名" a WHERE NOT EXISTS (SELECT 1 FROM '
                               '"世帯" h WHERE h."世帯番号" = a."世帯番号")').fetchone()[0]
    finally:
        conn.close()
    assert orphans == 0
    assert all(loaded[h] == members[h] for h in loaded), "half a household was written"


KILL_ATTEMPTS = 3  # an import that ended before the signal arrived is run again


@pytest.mark.integration
def test_a_killed_import_process_resumes_to_the_same_database(extract, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The poll sees the checkpoint only after the fact: on a loaded host the import can end
    # between it and the signal. A kill counts only if the process died of it (its exit status,
    # read after the signal); otherwise the import is tried again on a fresh database.
    for attempt in range(KILL_ATTEMPTS):
        db = tmp_path / f"b{attempt}.sqlite3"
        command = [sys.executable, "-m", "adapters.vendor_b_tax.registry", "import", "--db",
                   str(db), str(extract), "--characters", "jisx0213", "--batch-rows", "40",
                   "--pause", "0.05"]
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            wait_until(lambda proc=proc, db=db: proc.poll() is not None
                       or _checkpoint_batches(db) >= 4, 60, "four committed batches",
                       interval=0.02)
            proc.send_signal(signal.SIGKILL)  # a no-op if it has already ended
        finally:
            proc.wait(timeout=30)
            proc.stdout.close(), proc.stderr.close()
        if proc.returncode == -signal.SIGKILL:
            break
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    batches = _checkpoint_batches(db)  # read after the kill: what the killed import committed
    assert batches >= 4
    _assert_whole_households(db, extract)
    again = subprocess.run(command[:-2] + ["--batch-rows", "40"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["resumed"] is True and report["skipped"]["household"] > 0
    whole = tmp_path / "whole.sqlite3"
    b_import(extract, whole, batch_rows=40)
    assert dump(db) == dump(whole)


def _checkpoint_batches(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute('SELECT "状態" FROM "移行取込チェックポイント"').fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return 0 if row is None else json.loads(row[0])["batches"]


def test_an_altered_file_is_refused_before_anything_is_written(extract, tmp_path):
    altered = tmp_path / "altered"
    shutil.copytree(extract, altered)
    data = (altered / "resident.csv").read_bytes()
    (altered / "resident.csv").write_bytes(data[:-100])
    with pytest.raises(MigrationError, match="SHA-256"):
        b_import(altered, tmp_path / "b.sqlite3")
    assert all(not rows for rows in dump(tmp_path / "b.sqlite3").values())


def test_reconcile_finds_planted_differences_without_printing_values(extract, tmp_path, capsys):
    new = tmp_path / "new"
    shutil.copytree(extract, new)
    data = lines(new, "resident.csv")
    born = field(data[3], 10)
    name_line = next(i for i, x in enumerate(data) if "髙" in x.decode())

    def edit(ls):
        ls[3] = ls[3].replace(born.encode(), b"19991231", 1)  # a value difference
        ls[name_line] = ls[name_line].replace("髙".encode(), "高".encode(), 1)  # 縮退
        del ls[6]  # a record lost
    rewrite(new, "resident.csv", edit)
    result = reconcile(extract, new)
    kinds = {(d.kind, d.old_line, d.item_name) for d in result.differences}
    assert ("value", 4, "生年月日") in kinds
    assert ("character", name_line + 1, "氏名") in kinds
    assert ("missing", 7, None) in kinds
    assert result.character_changes == {("MJ028902", "MJ028901"): 1}
    assert not result.equal
    assert pfbus(["migrate", "reconcile", str(extract), str(new), "--list", "50"]) == 1
    out = capsys.readouterr().out
    assert "MJ028902 → MJ028901 ×1" in out and "項目11 生年月日 value differs" in out
    assert born not in out and "髙橋" not in out and "高橋" not in out
    assert pfbus(["migrate", "reconcile", str(extract), str(extract)]) == 0


def test_the_import_command_refuses_an_extract_that_does_not_validate(extract, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(extract, bad)
    rewrite(bad, "resident.csv", lambda ls: ls.__setitem__(3, ls[3].replace(b",1,", b",9,", 1)))
    db = tmp_path / "b.sqlite3"
    run = subprocess.run([sys.executable, "-m", "adapters.vendor_b_tax.registry", "import",
                          "--db", str(db), str(bad)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1 and "nothing was loaded" in run.stderr
    assert "resident.csv:4" in run.stderr
    assert not db.exists()  # vendor B's database was not even opened


@pytest.mark.parametrize("module", ["adapters.vendor_a_registry.migration",
                                    "adapters.vendor_b_tax.registry"])
def test_an_export_of_a_missing_database_is_an_error_not_an_empty_registry(tmp_path, module):
    db = tmp_path / "typo.sqlite3"
    run = subprocess.run([sys.executable, "-m", module, "export", "--db", str(db), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2 and f"{db}: no such database" in run.stderr
    assert not db.exists() and not (tmp_path / "out").exists()


def test_live_changes_keep_the_history_that_the_export_hands_over(tmp_path):
    """A registry in live use hands over a history that adds up to its current state: vendor A's
    異動 (record_change) appends its 異動履歴 row with the outbox entry, so an export taken after
    転居 and 転出 of a known resident validates without a finding."""
    from adapters.vendor_a_registry import GAIJI_TABLE as A_GAIJI
    from adapters.vendor_a_registry.migration import VendorAExporter
    from adapters.vendor_a_registry.outbox import status_after
    from bus.migration.validator import validate_extract

    from .extracts import vendor_a_store

    store = vendor_a_store(tmp_path / "a.sqlite3", residents=0)
    try:
        number = SEED_RESIDENTS[0]["宛名番号"]
        before = len(store.conn.execute('SELECT * FROM "異動履歴" WHERE "宛名番号" = ?',
                                        (number,)).fetchall())
        for reason, town in (("C01", "永田町"), ("B01", None)):
            row = store.resident_by_addressee_number(number)
            row = {**row, "住民状態": status_after(reason, row["住民状態"]),
                   **({"住所1": town} if town else {})}
            store.record_change(row, reason, "2026-11-30")
        history = store.conn.execute(
            'SELECT "異動連番", "異動事由", "異動後住民状態" FROM "異動履歴" WHERE "宛名番号" = ? '
            'ORDER BY "異動連番"', (number,)).fetchall()
        assert [tuple(r) for r in history[before:]] == [
            (before + 1, "C01", "住民"), (before + 2, "B01", status_after("B01", "住民"))]
        export_extract(VendorAExporter(store), tmp_path / "out", gaiji=GaijiTable.load(A_GAIJI))
    finally:
        store.close()
    report = validate_extract(tmp_path / "out")
    assert report.ok, [str(f) for f in report.findings]
