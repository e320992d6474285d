"""``pfbus conformance`` as a vendor runs it: real processes, the report folder, ``verify``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from conformance.model import Suite
from tests.integration.processes import REPO, python

pytestmark = pytest.mark.integration


def pfbus(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bus.cli.main", "conformance", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Vendor A's registry as its own process, as a vendor would run its product."""
    tmp = tmp_path_factory.mktemp("vendor-a")
    process = python("-m", "adapters.vendor_a_registry", "--db", str(tmp / "a.sqlite3"), "--seed")
    url = process.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
    yield url
    process.stop()


def test_list_shows_profiles_cases_and_requirements():
    profiles = json.loads(pfbus("list", "--format", "json").stdout)
    assert {p["id"] for p in profiles} >= {"juki.provider", "kojinjuminzei.provider",
                                          "kojinjuminzei.consumer", "kojinjuminzei.subscriber",
                                          "interop.juki.provider"}
    cases = pfbus("list", "--profile", "juki.provider").stdout
    assert "J-FULL-01" in cases and "P-BIND-02/juki.ResidentInquiry" in cases
    assert "RQ-BIND-02" in pfbus("list", "--requirements").stdout


def test_full_provider_run_passes_writes_a_verifiable_report_and_verify_catches_an_edit(
        registry, tmp_path):
    report = tmp_path / "report"
    started = time.monotonic()
    done = pfbus("run", "--profile", "juki.provider", "--target", registry, "--report",
                 str(report))
    elapsed = time.monotonic() - started
    print(f"full juki.provider run as a process: {elapsed:.1f} s")  # measured, not asserted
    assert done.returncode == 0, done.stdout + done.stderr
    suite = Suite.load()
    instances = suite.instances(suite.profiles["juki.provider"])
    # without --restart-command the restart cases (J-DUR-01) are skipped, and say why; so are
    # the waiting cases (J-FULL-17) without --param waiting_cases=true
    skipped = sum(bool({"restart", "waiting"} & set(i.case.requires)) for i in instances)
    assert skipped and f"juki.provider: PASS ({len(instances) - skipped} pass, 0 fail, 0 error, " \
        f"{skipped} skip)" in done.stdout
    assert "needs --restart-command" in done.stdout and "waiting_cases=true" in done.stdout
    # the run's time, split: the product's answers, waits on purpose, the suite's own work
    assert re.search(r" s \(the product [\d.]+ s, waiting on purpose [\d.]+ s, the suite [\d.]+ s\)",
                     done.stdout), done.stdout[-300:]
    run = json.loads((report / "report.json").read_text("utf-8"))["run"]
    assert run["product_s"] > 0 and run["suite_s"] > 0
    assert abs(run["product_s"] + run["waiting_s"] + run["suite_s"] - run["duration_s"]) < 0.01
    digest = re.search(r"report digest \(SHA-256\): ([0-9a-f]{64})", done.stdout)[1]
    assert sorted(p.name for p in report.iterdir()) == [
        "certificate.txt", "junit.xml", "manifest.json", "report.html", "report.json"]
    ok = pfbus("verify", str(report), "--digest", digest)
    assert ok.returncode == 0 and "OK" in ok.stdout
    html = (report / "report.html").read_bytes()
    i = html.index(b"PASS")
    (report / "report.html").write_bytes(html[:i] + b"F" + html[i + 1:])  # one byte
    changed = pfbus("verify", str(report), "--digest", digest)
    assert changed.returncode == 1
    assert "CHANGED: report.html" in changed.stdout


def test_a_failing_product_exits_1_and_the_report_says_why(registry, tmp_path):
    # a registry addressed as another system: every exchange is refused as misrouted
    done = pfbus("run", "--profile", "juki.provider", "--target", registry, "--report",
                 str(tmp_path / "r"), "--param", "sut_system_id=vendor-x", "--case", "P-BIND")
    assert done.returncode == 1
    doc = json.loads((tmp_path / "r" / "report.json").read_text("utf-8"))
    suite = Suite.load()
    binding = [i for i in suite.instances(suite.profiles["juki.provider"])
               if i.case.id.startswith("P-BIND")]
    assert doc["verdict"] == "fail" and doc["summary"]["cases"] == len(binding) >= 6
    assert all("PF-PROVIDER-MISROUTED" in c["findings"][0]["message"] for c in doc["cases"])


def test_consumer_run_with_the_reference_adapters_command(tmp_path):
    trigger = ("{python} -m adapters.vendor_b_tax fetch-resident --db {workdir}/vendor-b.sqlite3 "
               "--hub {hub_url} {addressee_number}")
    done = pfbus("run", "--profile", "kojinjuminzei.consumer", "--trigger", trigger,
                 "--case", "C-MSG-01", "--case", "C-BIND-02", "--report", str(tmp_path / "r"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(2 pass, 0 fail, 0 error, 0 skip)" in done.stdout


def test_usage_errors_exit_2():
    assert pfbus("run", "--profile", "kojinjuminzei.consumer", "--report", "/tmp/x"
                 ).returncode == 2  # needs --trigger
    assert pfbus("run", "--profile", "juki.provider", "--report", "/tmp/x").returncode == 2
    assert pfbus("run", "--profile", "no.such", "--target", "http://127.0.0.1:9",
                 "--report", "/tmp/x").returncode == 2


@pytest.mark.slow
def test_level_2_subscriber_run_with_processes_only(tmp_path):
    """Vendor B as its own process, the suite starting a hub and vendor A publishing: 異動 at
    the registry, observed in vendor B's database by the vendor's own --observe command."""
    db = tmp_path / "b.sqlite3"
    tax = python("-m", "adapters.vendor_b_tax", "serve", "--db", str(db))
    try:
        url = tax.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
        observe = f"{{python}} -m tests.conformance.observe_vendor_b --db {db} {{addressee_number}}"
        done = pfbus("run", "--profile", "interop.kojinjuminzei.subscriber", "--target", url,
                     "--observe", observe, "--report", str(tmp_path / "r"))
    finally:
        tax.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(2 pass, 0 fail, 0 error, 0 skip)" in done.stdout


def test_a_profile_whose_cases_all_need_observe_refuses_to_run_without_it():
    done = pfbus("run", "--profile", "interop.kojinjuminzei.subscriber", "--target",
                 "http://127.0.0.1:9/soap", "--report", "/tmp/x")
    assert done.returncode == 2 and "--observe" in done.stderr
