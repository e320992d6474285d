"""The file linkage conformance profiles: the reference tools pass; producers and consumers that
break a rule fail the check that names it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.files import PROFILES, run_file_profile
from tests.integration.processes import REPO

PRODUCER, CONSUMER = PROFILES["juki.file-producer"], PROFILES["juki.file-consumer"]


def verdicts(run) -> dict[str, str]:
    return {c.id: c.verdict for c in run.checks}


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "tool.py"
    path.write_text("import os, sys, json, pathlib\n"
                    "from adapters.sdk.files import change_file, write_file, take_files\n" + body)
    return f"{{python}} {path}"


def test_the_reference_producer_passes(tmp_path):
    run = run_file_profile(PRODUCER, workdir=tmp_path)
    assert run.verdict == "pass", run.checks


@pytest.mark.parametrize("body, failing", [
    ("out = pathlib.Path(sys.argv[1])\n"
     "(out / 'juki_change_131016_1.csv.part').write_bytes(change_file('131016', 5))\n",
     "files.pickup"),  # never renamed
    ("out = pathlib.Path(sys.argv[1])\n"
     "write_file(out, 'juki_change_131016_1.csv', change_file('131016', 5).replace("
     "b',C01,', b',Z99,', 1))\n", "files.validation"),
    ("out = pathlib.Path(sys.argv[1])\n"
     "write_file(out, 'juki_change_131016_1.csv', change_file('141003', 5))\n",
     "files.validation"),  # rows of another municipality
    ("out = pathlib.Path(sys.argv[1])\nwrite_file(out, 'residents.csv', b'x')\n", "files.pickup"),
])
def test_a_producer_breaking_a_rule_fails_it(tmp_path, body, failing):
    run = run_file_profile(PRODUCER, script(tmp_path, body) + " {out}", workdir=tmp_path / "w")
    assert verdicts(run)[failing] == "fail", run.checks
    assert run.verdict == "fail"


def test_the_reference_consumer_passes(tmp_path):
    run = run_file_profile(CONSUMER, workdir=tmp_path)
    assert run.verdict == "pass", run.checks


@pytest.mark.parametrize("body, failing", [
    # reads but never removes: nothing confirmed, and the second run takes them again
    ("outbox = pathlib.Path(sys.argv[1])\n"
     "print(json.dumps({'taken': sorted(p.name for p in outbox.glob('*.csv'))}))\n",
     "files.confirm"),
    ("outbox = pathlib.Path(sys.argv[1])\n"
     "print(json.dumps({'taken': sorted(p.name for p in outbox.glob('*.csv'))}))\n",
     "files.once"),
    # takes by name, not in delivery order (the suite's names sort against it)
    ("outbox = pathlib.Path(sys.argv[1])\nnames = sorted(p.name for p in outbox.glob('*.csv'))\n"
     "for n in names: (outbox / n).unlink()\n"
     "print(json.dumps({'taken': names}))\n", "files.order"),
    ("sys.exit(3)\n", "files.take"),
])
def test_a_consumer_breaking_a_rule_fails_it(tmp_path, body, failing):
    run = run_file_profile(CONSUMER, script(tmp_path, body) + " {outbox} {store}",
                           workdir=tmp_path / "w")
    assert verdicts(run)[failing] == "fail", run.checks


def test_a_restart_command_runs_between_the_passes_and_must_succeed(tmp_path):
    restarted = tmp_path / "restarted"
    restart = f"{{python}} -c \"import pathlib; pathlib.Path('{restarted}').touch()\""
    run = run_file_profile(CONSUMER, workdir=tmp_path / "w", restart=restart)
    assert run.verdict == "pass" and restarted.exists(), run.checks
    run = run_file_profile(CONSUMER, workdir=tmp_path / "w2",
                           restart="{python} -c 'raise SystemExit(1)'")
    assert verdicts(run)["files.take"] == "fail", run.checks


def test_the_cli_lists_runs_and_reports(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "bus.cli.main", "conformance", "files"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "juki.file-producer" in listed.stdout and "juki.file-consumer" in listed.stdout
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "conformance", "files",
                           "--profile", "juki.file-consumer", "--report", str(tmp_path / "r")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "pass" and len(report["checks"]) == 4


# -- over SFTP: the suite runs a hub as the product's counterpart ---------------------------------

SFTP_ARGS = " {host} {port} {user} {key} {known_hosts}"
SESSION = ("host, port, user, key, known = sys.argv[1:6]\n"
           "from adapters.sdk.files import sftp_session, upload, take_over_sftp\n"
           "import io\n"
           "ssh = sftp_session(host, int(port), user, pathlib.Path(key), pathlib.Path(known))\n"
           "s = ssh.open_sftp()\n")


def sftp_script(tmp_path: Path, body: str) -> str:
    return script(tmp_path, SESSION + body) + SFTP_ARGS


def test_the_reference_producer_passes_over_sftp(tmp_path):
    run = run_file_profile(PRODUCER, workdir=tmp_path, sftp=True)
    assert run.verdict == "pass", run.checks
    assert run.transport == "sftp"


@pytest.mark.slow  # a hub process per run; the folder-mode mutants run by default
@pytest.mark.parametrize("body, failing", [
    ("s.putfo(io.BytesIO(change_file('131016', 5)), '/inbox/juki_change_131016_1.csv.part')\n",
     {"files.pickup"}),  # never renamed
    ("upload(s, 'juki_change_131016_1.csv', change_file('131016', 5).replace(b',C01,', "
     "b',Z99,', 1))\n", {"files.validation"}),
    ("upload(s, 'juki_change_131016_1.csv', change_file('141003', 5))\n", {"files.validation"}),
    ("upload(s, 'residents.csv', change_file('131016', 5))\n", {"files.pickup"}),
])
def test_a_producer_breaking_a_rule_over_sftp_fails_exactly_it(tmp_path, body, failing):
    run = run_file_profile(PRODUCER, sftp_script(tmp_path, body), workdir=tmp_path / "w",
                           sftp=True)
    assert {c for c, v in verdicts(run).items() if v == "fail"} == failing, run.checks


def test_the_reference_consumer_passes_over_sftp_across_a_restart_command(tmp_path):
    restarted = tmp_path / "restarted"
    restart = f"{{python}} -c \"import pathlib; pathlib.Path('{restarted}').touch()\""
    run = run_file_profile(CONSUMER, workdir=tmp_path / "w", sftp=True, restart=restart)
    assert run.verdict == "pass", run.checks
    assert restarted.exists()


LISTED = ("names = [a.filename for a in sorted(s.listdir_attr('/outbox'), key=lambda a: "
          "(a.st_mtime, a.filename)) if a.filename.endswith('.csv')]\n")


STORE = "store = pathlib.Path(sys.argv[6]); store.mkdir(exist_ok=True)\n"


@pytest.mark.slow  # a hub process per run; the folder-mode mutants run by default
@pytest.mark.parametrize("body, failing", [
    # stores and remembers what it took, but never removes it: nothing confirmed
    (STORE + LISTED + "new = [n for n in names if not (store / n).exists()]\n"
     "for n in new: (store / n).touch()\nprint(json.dumps({'taken': new}))\n",
     {"files.confirm"}),
    # confirms each file, but forgets across the restart what it took: taken twice
    (STORE + LISTED + "log = store / 'log'\n"
     "for n in names: s.remove('/outbox/' + n)\n"
     "with log.open('a') as f: f.writelines(n + '\\n' for n in names)\n"
     "print(json.dumps({'taken': log.read_text().split()}))\n", {"files.once"}),
    # whole-second times tie: by name alone is not the delivery order
    ("names = sorted(n for n in s.listdir('/outbox') if n.endswith('.csv'))\n"
     "for n in names: s.remove('/outbox/' + n)\nprint(json.dumps({'taken': names}))\n",
     {"files.order"}),
    ("sys.exit(3)\n", {"files.take", "files.confirm", "files.once"}),
])
def test_a_consumer_breaking_a_rule_over_sftp_fails_exactly_it(tmp_path, body, failing):
    run = run_file_profile(CONSUMER, sftp_script(tmp_path, body) + " {store}",
                           workdir=tmp_path / "w", sftp=True)
    assert {c for c, v in verdicts(run).items() if v == "fail"} == failing, run.checks


@pytest.mark.slow  # a hub process per run; the folder-mode mutants run by default
def test_a_restart_command_that_fails_fails_the_consumer(tmp_path):
    run = run_file_profile(CONSUMER, workdir=tmp_path / "w", sftp=True,
                           restart="{python} -c 'raise SystemExit(1)'")
    assert verdicts(run)["files.take"] == "fail", run.checks
