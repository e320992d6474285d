"""Conformance of migration tools (データ移行ツールの準拠確認): ``*.migration-export`` and
``*.migration-import`` profiles (``conformance/migration_profiles.toml``).

A migration tool is a command, not a service, so these profiles run commands and judge files:

* **export** — the vendor's export command writes an extract of its database (loaded with the
  profile's reference data set) into a folder. It is judged by the layout validator (every rule,
  no finding allowed), by its manifest (the profile's layout and version; no 外字 left unmapped)
  and by determinism (a second export of the same database gives the same files, byte for byte).
* **import** — the suite hands the vendor's import command a reference extract it builds (the
  seeded municipality: 外字 mapped to MJ, an IVS name, a non-BMP name, quotes and commas inside
  fields), then asks the vendor's export command for what the product now holds. Judged by round
  trip: that export passes the validator and reconciles with the reference — no record missing
  or extra, no value changed; character changes are allowed only when the import listed them
  by MJ文字図形名 — and by running the import a second time (a completed import run again leaves
  the product as it was).

Commands are templates: ``{python}``, ``{workdir}``, ``{out}`` (export folder), ``{extract}``
(import folder) are filled in. The import command prints one JSON object whose
``character_changes`` lists strings beginning with the MJ文字図形名 changed (what the SDK's
``import_main`` prints). The report is ``report.json`` and ``report.html`` in ``--report``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bus.migration.layout import LayoutCatalog
from bus.migration.manifest import read_manifest
from bus.migration.reconcile import reconcile, summary as reconcile_summary
from bus.migration.validator import validate_extract

from .commands import argv_of, run_command
from .model import SuiteError
from .records import FAIL, PASS, Verdict

PROFILES = Path(__file__).with_name("migration_profiles.toml")
ROLES = ("migration-export", "migration-import")
_PROFILE_KEYS = {"id", "title", "role", "layout", "reference", "export", "import", "timeout"}
_MJ = re.compile(r"MJ[0-9]{6}")


@dataclass(frozen=True)
class MigrationProfile:
    id: str
    title: str
    role: str
    layout: str  # "juki/pfbus-1"
    reference: str
    export: str  # the reference export command (template)
    import_: str  # the reference import command (import profiles)
    timeout: float


def load_profiles(path: Path = PROFILES) -> dict[str, MigrationProfile]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SuiteError(f"{path}: {exc}") from None
    unknown = set(data) - {"format", "profile"}
    if unknown or data.get("format") != 1:
        raise SuiteError(f"{path}: expected format = 1 and [[profile]] tables "
                         f"(unknown: {', '.join(sorted(unknown)) or '-'})")
    profiles = {}
    for i, p in enumerate(data.get("profile", [])):
        extra = set(p) - _PROFILE_KEYS
        if extra:
            raise SuiteError(f"{path}: profile[{i}].{sorted(extra)[0]}: unknown key; known: "
                             f"{', '.join(sorted(_PROFILE_KEYS))}")
        if p.get("role") not in ROLES:
            raise SuiteError(f"{path}: profile[{i}].role: must be one of {', '.join(ROLES)}")
        profiles[p["id"]] = MigrationProfile(
            p["id"], p["title"], p["role"], p["layout"], p.get("reference", ""), p["export"],
            p.get("import", ""), float(p.get("timeout", 600)))
    return profiles


@dataclass
class Check:
    id: str
    title: str
    verdict: Verdict = PASS  # PASS | FAIL
    details: list[str] = field(default_factory=list)  # positions and rules, never values

    def fail(self, detail: str) -> None:
        self.verdict = FAIL
        self.details.append(detail)


@dataclass
class MigrationRun:
    profile: MigrationProfile
    checks: list[Check]
    started_at: str
    finished_at: str = ""

    @property
    def verdict(self) -> Verdict:
        return PASS if all(c.verdict == PASS for c in self.checks) else FAIL


def _command(template: str, values: dict, step: str, timeout: float, check: Check):
    run = run_command(step, argv_of(template, values), timeout)
    if run.exit_code != 0:
        check.fail(f"{step}: exit status {run.exit_code} "
                   f"({'timed out' if run.exit_code is None else 'failed'}); stderr: "
                   f"{run.stderr.strip()[-300:]}")
    return run


def _validated(folder: Path, layout: str, check: Check) -> bool:
    report = validate_extract(folder)
    if report.layout != layout:
        check.fail(f"the extract's manifest names {report.layout or 'no known layout'}, the "
                   f"profile is {layout}")
    for finding in report.findings[:50]:
        check.fail(str(finding))
    if len(report.findings) > 50:
        check.fail(f"… {sum(report.counts.values()) - 50} more findings")
    return report.ok and report.layout == layout


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.csv"))}


def reference_extract(folder: Path, workdir: Path) -> Path:
    """The data set an import is certified with: vendor A's seeded municipality and synthetic
    households exported by the reference exporter, one 方書 holding quotes and a comma."""
    from adapters.sdk.migration import export_extract
    from adapters.vendor_a_registry import GAIJI_TABLE
    from adapters.vendor_a_registry.migration import VendorAExporter, populate, seed_as_stored
    from adapters.vendor_a_registry.store import RegistryStore
    from bus.core.gaiji import GaijiTable
    store = RegistryStore.open(workdir / "reference-vendor-a.sqlite3")
    try:
        gaiji = GaijiTable.load(GAIJI_TABLE)
        seed_as_stored(store, gaiji)
        populate(store, 200)
        store.conn.execute('UPDATE "住民" SET "方書" = ? WHERE "宛名番号" = ?',
                           ('ハイツ"青空",301号', "0000010022"))
        store.conn.commit()
        export_extract(VendorAExporter(store), folder, gaiji=gaiji)
    finally:
        store.close()
    return folder


def run_export_profile(profile: MigrationProfile, export: str, workdir: Path) -> list[Check]:
    out1, out2 = workdir / "export-1", workdir / "export-2"
    values = {"workdir": workdir, "out": out1}
    ran = Check("ME-01", "the export command exits 0 and writes an extract folder")
    _command(export, values, "export", profile.timeout, ran)
    if not (out1 / "manifest.json").is_file():
        ran.fail("no manifest.json in the folder the command was given ({out})")
        return [ran]
    valid = Check("ME-02", f"the extract passes every rule of the layout validator "
                           f"({profile.layout})")
    _validated(out1, profile.layout, valid)
    gaiji = Check("ME-03", "no vendor 外字 is left unmapped: names leave as MJ characters")
    manifest, problems = read_manifest(out1)
    for p in problems:
        gaiji.fail(str(p))
    if manifest is not None:
        for c in manifest.character_changes:
            if c.kind == "gaiji-unmapped":
                gaiji.fail(f"{c.source} ×{c.count}: a private-use code with no MJ character")
    again = Check("ME-04", "a second export of the same database gives the same files")
    _command(export, {**values, "out": out2}, "export again", profile.timeout, again)
    if again.verdict == PASS:
        first, second = _hashes(out1), _hashes(out2)
        for name in sorted(set(first) | set(second)):
            if first.get(name) != second.get(name):
                again.fail(f"{name} differs between two exports of the same data")
    return [ran, valid, gaiji, again]


def run_import_profile(profile: MigrationProfile, import_: str, export: str,
                       workdir: Path) -> list[Check]:
    extract = reference_extract(workdir / "reference-extract", workdir)
    out = workdir / "product-export"
    values = {"workdir": workdir, "extract": extract, "out": out}
    ran = Check("MI-01", "the import command loads the reference extract and exits 0")
    loaded = _command(import_, values, "import", profile.timeout, ran)
    exported = Check("MI-02", "the product's export of what it loaded passes the validator")
    _command(export, values, "export", profile.timeout, exported)
    if exported.verdict == FAIL or not (out / "manifest.json").is_file():
        exported.fail("no extract to judge")
        return [ran, exported]
    _validated(out, profile.layout, exported)
    trip = Check("MI-03", "round trip: no record missing or extra, no value changed; every "
                          "character change listed by the import by MJ文字図形名")
    result = reconcile(extract, out)
    counts = result.counts
    for kind in ("missing", "extra", "value"):
        if counts[kind]:
            trip.fail(f"{counts[kind]} {kind} difference(s)")
    for d in result.differences:
        if d.kind != "character":
            trip.fail(str(d))
            if len(trip.details) > 50:
                break
    listed = set()
    if isinstance(loaded.json, dict):
        for text in loaded.json.get("character_changes", []):
            listed.update(_MJ.findall(str(text)[:8]))
    for (source, target), n in result.character_changes.items():
        if source not in listed:
            trip.fail(f"{source} → {target} ×{n} changed but not listed by the import")
    trip.details += [f"reconcile: {line.strip()}" for line in reconcile_summary(result)] \
        if trip.verdict == PASS else []
    twice = Check("MI-04", "the import run again after it completed changes nothing")
    _command(import_, values, "import again", profile.timeout, twice)
    again = workdir / "product-export-again"
    _command(export, {**values, "out": again}, "export again", profile.timeout, twice)
    if twice.verdict == PASS:
        first, second = _hashes(out), _hashes(again)
        for name in sorted(set(first) | set(second)):
            if first.get(name) != second.get(name):
                twice.fail(f"{name}: the product's data changed when the import ran again")
    return [ran, exported, trip, twice]


def run_migration_profile(profile: MigrationProfile, *, export: str | None = None,
                          import_: str | None = None, workdir: Path | None = None
                          ) -> MigrationRun:
    started = dt.datetime.now(dt.timezone.utc).isoformat()
    if LayoutCatalog.load().get(*profile.layout.split("/", 1)) is None:
        raise SuiteError(f"{profile.id}: layout {profile.layout} is not in the catalog")
    with tempfile.TemporaryDirectory(prefix="pfbus-migration-conformance-") as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if profile.role == "migration-export":
            checks = run_export_profile(profile, export or profile.export, work)
        else:
            checks = run_import_profile(profile, import_ or profile.import_,
                                        export or profile.export, work)
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return MigrationRun(profile, checks, started, dt.datetime.now(dt.timezone.utc).isoformat())


def write_report(run: MigrationRun, folder: Path) -> str:
    """report.json and report.html; returns the SHA-256 of report.json."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"profile": run.profile.id, "title": run.profile.title, "layout": run.profile.layout,
           "verdict": run.verdict, "started_at": run.started_at, "finished_at": run.finished_at,
           "checks": [{"id": c.id, "title": c.title, "verdict": c.verdict,
                       "details": c.details} for c in run.checks]}
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    (folder / "report.json").write_bytes(data)
    e = html.escape
    rows = "".join(f"<tr><td>{e(c.id)}</td><td>{e(c.verdict.upper())}</td><td>{e(c.title)}"
                   f"</td><td>{'<br>'.join(map(e, c.details))}</td></tr>" for c in run.checks)
    (folder / "report.html").write_text(
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{e(run.profile.id)}"
        f"</title></head><body><h1>{e(run.profile.title)}</h1><p>{e(run.profile.id)}: "
        f"<b>{run.verdict.upper()}</b></p><table border='1'><tr><th>check</th><th>verdict</th>"
        f"<th>what</th><th>details (positions and rules only)</th></tr>{rows}</table>"
        "</body></html>\n", encoding="utf-8")
    return hashlib.sha256(data).hexdigest()
