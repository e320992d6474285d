"""The migration tools' conformance profiles pass the reference tools and fail faulty ones."""

from __future__ import annotations

import json

import pytest

from bus.cli.main import main as pfbus
from conformance.migration import load_profiles, run_migration_profile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def profiles():
    return load_profiles()


def verdicts(run) -> dict[str, str]:
    return {c.id: c.verdict for c in run.checks}


def test_the_reference_exporter_passes(profiles, tmp_path):
    report = tmp_path / "report"
    assert pfbus(["conformance", "migration", "--profile", "juki.migration-export",
                  "--report", str(report)]) == 0
    doc = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert doc["verdict"] == "pass" and [c["id"] for c in doc["checks"]] == \
        ["ME-01", "ME-02", "ME-03", "ME-04"]


def test_an_exporter_leaking_its_gaiji_fails(profiles, tmp_path):
    profile = profiles["juki.migration-export"]
    run = run_migration_profile(profile, export=profile.export + " --gaiji ''",
                                workdir=tmp_path)
    assert verdicts(run) == {"ME-01": "pass", "ME-02": "fail", "ME-03": "fail", "ME-04": "pass"}
    details = next(c for c in run.checks if c.id == "ME-02").details
    assert any("characters:private-use" in d and "U+E001" in d for d in details)
    assert not any("髙" in d or "橋" in d for c in run.checks for d in c.details)


@pytest.mark.slow
def test_the_reference_importer_passes_and_a_lossy_one_fails(profiles, tmp_path):
    profile = profiles["juki.migration-import"]
    good = run_migration_profile(profile, workdir=tmp_path / "good")
    assert good.verdict == "pass", [(c.id, c.details) for c in good.checks]
    lossy = profile.import_.replace("-m adapters.vendor_b_tax.registry import",
                                    "-m tests.migration.faulty_import import")
    bad = run_migration_profile(profile, import_=lossy, workdir=tmp_path / "bad")
    assert verdicts(bad)["MI-03"] == "fail" and verdicts(bad)["MI-01"] == "pass"
    details = next(c for c in bad.checks if c.id == "MI-03").details
    assert any("missing" in d for d in details)
