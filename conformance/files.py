"""Conformance of file linkage (ファイル連携の準拠確認): ``*.file-producer`` and
``*.file-consumer`` profiles. A vendor's side of file linkage is a command, so these profiles run
commands and judge folders, with the hub's own rules (bus/files):

* **producer** — the vendor's command writes files into a folder (``{out}``) as it would into its
  drop folder or upload over SFTP. Judged by the pickup rules (no temporary file left behind,
  every complete file's name is of the profile's file kind and 団体コード) and by the whole-file
  validation the hub applies (the layout validator, every row's 団体コード the file's): no
  finding allowed.
* **consumer** — the suite plays the hub: it delivers reference files into an outbox
  (``{outbox}``) with the hub's pipeline, runs the vendor's command, delivers more, runs the
  command again (a restart: a new process). Judged by the hub's ledger and the command's output
  (one JSON object, ``{"taken": [names]}``): every file confirmed (removed from the outbox), each
  taken exactly once, in delivery order, across the restart.

Commands are templates: ``{python}``, ``{out}``, ``{outbox}``, ``{store}`` (a folder the consumer
may keep its files in). The report is ``report.json`` in ``--report``.

With ``sftp=True`` (``--sftp``) both profiles run against the vendor over SFTP instead, the suite
running a real hub as its counterpart (``files_sftp``): the same checks, judged by the hub's
receipts and delivery ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from adapters.sdk.files import change_file, write_file
from bus.core.files_config import Account, FilesConfig, FileSubscription
from bus.files.kinds import FileKindCatalog
from bus.files.ledger import FileLedger
from bus.files.names import complete_files, is_temporary, marker_target
from bus.files.judgement import code_items
from bus.files.pipeline import FilePipeline
from bus.migration.items import ItemRules
from bus.migration.validator import FileValidator
from bus.store.routing_log import RoutingLog

from .commands import argv_of, parse_json, run_command
from .migration import Check
from .records import FAIL, PASS, Verdict


@dataclass(frozen=True)
class FileProfile:
    id: str
    title: str
    role: str  # file-producer | file-consumer
    kind: str  # a file kind of schemas/file_kinds.toml
    local_gov_code: str
    command: str  # the reference command (template)
    sftp_command: str  # the reference command over SFTP (template)
    timeout: float = 120.0


PROFILES = {p.id: p for p in (
    FileProfile("juki.file-producer", "住民異動ファイルの作成: pickup rules and whole-file "
                "validation", "file-producer", "juki-change", "131016",
                "{python} -m adapters.sdk.files produce --out {out} --rows 200",
                "{python} -m adapters.sdk.files produce-sftp --host {host} --port {port} "
                "--user {user} --key {key} --known-hosts {known_hosts} --rows 200"),
    FileProfile("juki.file-consumer", "住民異動ファイルの受取: each file once, in order, confirmed, "
                "across a restart", "file-consumer", "juki-change", "131016",
                "{python} -m adapters.sdk.files consume --outbox {outbox} --store {store}",
                "{python} -m adapters.sdk.files consume-sftp --host {host} --port {port} "
                "--user {user} --key {key} --known-hosts {known_hosts} --store {store}"),
)}


@dataclass
class FileRun:
    profile: FileProfile
    checks: list[Check]
    started_at: str
    finished_at: str = ""
    transport: str = "folder"  # or "sftp"

    @property
    def verdict(self) -> Verdict:
        return PASS if all(c.verdict == PASS for c in self.checks) else FAIL


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_file_profile(profile: FileProfile, command: str | None = None,
                     workdir: Path | None = None, *, sftp: bool = False,
                     restart: str | None = None) -> FileRun:
    """``restart`` (consumers): the command that kills the product and starts it again between
    the two passes."""
    run = FileRun(profile, [], _now(), transport="sftp" if sftp else "folder")
    scratch = None
    if workdir is None:
        scratch = workdir = Path(tempfile.mkdtemp(prefix="pfbus-files-conformance-"))
    try:
        if sftp:
            from . import files_sftp
            if profile.role == "file-producer":
                files_sftp.producer(profile, command or profile.sftp_command, workdir,
                                    run.checks)
            else:
                files_sftp.consumer(profile, command or profile.sftp_command, restart, workdir,
                                    run.checks)
        elif profile.role == "file-producer":
            _producer(profile, command or profile.command, workdir, run)
        else:
            _consumer(profile, command or profile.command, restart, workdir, run)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    run.finished_at = _now()
    return run


def _producer(profile: FileProfile, command: str, workdir: Path, run: FileRun) -> None:
    out = workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    produce = Check("files.produce", "the command writes its files and exits 0")
    pickup = Check("files.pickup", "no temporary file left; every complete file is of the "
                   f"profile's kind ({profile.kind}) and 団体コード ({profile.local_gov_code})")
    valid = Check("files.validation", "every file passes the hub's whole-file validation")
    run.checks += [produce, pickup, valid]
    done = run_command("produce", argv_of(command, {"out": out}), profile.timeout)
    if done.exit_code != 0:
        produce.fail(f"exit status {done.exit_code}; stderr: {done.stderr.strip()[-300:]}")
        return
    names = sorted(p.name for p in out.iterdir())
    for n in names:
        if is_temporary(n):
            pickup.fail(f"{n}: a temporary name left behind (an upload never completed)")
    complete = [n for n, _ in complete_files(names)]
    if not complete:
        pickup.fail("no complete file was written")
    kinds = FileKindCatalog.load()
    for n in complete:
        identified = kinds.identify(n)
        if identified is None or identified[0].kind != profile.kind or \
                identified[1] != profile.local_gov_code:
            pickup.fail(f"{n}: not a {profile.kind} file name of {profile.local_gov_code} "
                        f"({kinds.kinds[profile.kind].pattern})")
            continue
        kind, code = identified
        validator = FileValidator(kind.layout, kind.record, ItemRules(),
                                  fixed=code_items(kind, code))
        with (out / n).open("rb") as stream:
            for finding in validator.run(stream):
                if len(valid.details) < 50:
                    valid.fail(f"{n}: {finding}")
        if validator.counts and len(valid.details) >= 50:
            valid.fail(f"{n}: {sum(validator.counts.values())} findings in all")
    for n in names:
        if marker_target(n) is not None and marker_target(n) not in names:
            pickup.fail(f"{n}: a marker without its file")


def _consumer(profile: FileProfile, command: str, restart: str | None, workdir: Path,
              run: FileRun) -> None:
    code, consumer = profile.local_gov_code, "consumer"
    config = FilesConfig(root=workdir / "hub", ledger=workdir / "ledger.sqlite3",
                         accounts={"suite": Account("suite", (f"{code}/01/suite",), ()),
                                   consumer: Account(consumer, (f"{code}/99/consumer",), ())},
                         subscriptions=(FileSubscription(code, profile.kind, consumer),))
    for account in config.accounts:
        for folder in ("inbox", "outbox"):
            (config.root / account / folder).mkdir(parents=True, exist_ok=True)
    take = Check("files.take", "the command exits 0 and says what it took ({\"taken\": [...]})")
    confirm = Check("files.confirm", "every delivered file is confirmed (removed from the outbox)")
    once = Check("files.once", "each file taken exactly once, none missing, across a restart")
    order = Check("files.order", "files taken in the order the hub delivered them")
    run.checks += [take, confirm, once, order]
    log = RoutingLog(workdir / "routing-log.sqlite3")
    ledger = FileLedger(config.ledger)
    try:
        pipeline = FilePipeline(config, FileKindCatalog.load(), ledger, log)
        sent: list[str] = []
        taken: list[str] = []
        for batch in range(2):  # the second run of the command is a restart
            if batch and restart:  # the product killed and started again between the runs
                done = run_command("restart", argv_of(restart, {
                    "outbox": config.root / consumer / "outbox", "store": workdir / "store"}),
                    profile.timeout)
                if done.exit_code != 0:
                    take.fail(f"--restart-command: exit status {done.exit_code}; stderr: "
                              f"{done.stderr.strip()[-300:]}")
                    return
            for i in range(3):  # names that sort against their delivery order
                n = f"juki_change_{code}_2026120{batch + 1}-{3 - i}.csv"
                write_file(config.root / "suite" / "inbox", n,
                           change_file(code, 20, start=1 + 100 * (3 * batch + i)))
                sent.append(n)
                pipeline.turn()  # one at a time: the hub takes the files of one turn by name
            done = run_command(f"consume {batch + 1}", argv_of(command, {
                "outbox": config.root / consumer / "outbox", "store": workdir / "store"}),
                profile.timeout)
            if done.exit_code != 0:
                take.fail(f"run {batch + 1}: exit status {done.exit_code}; stderr: "
                          f"{done.stderr.strip()[-300:]}")
                continue
            result = parse_json(done.stdout)
            if not isinstance(result, dict) or not isinstance(result.get("taken"), list):
                take.fail(f"run {batch + 1}: no {{\"taken\": [names]}} on stdout")
                continue
            taken += [str(n) for n in result["taken"]]
            pipeline.turn()  # the confirmations
        states = ledger.deliveries("pending", "staged", "delivered")
        for d in states:
            confirm.fail(f"{d.name}: {d.state}, not confirmed")
        sent = [d.name for d in ledger.deliveries("pending", "staged", "delivered", "confirmed")]
        counts = {n: taken.count(n) for n in set(taken) | set(sent)}
        for n in sent:
            if counts.get(n, 0) != 1:
                once.fail(f"{n}: taken {counts.get(n, 0)} times")
        for n in set(taken) - set(sent):
            once.fail(f"{n}: taken but never delivered")
        if [n for n in taken if n in sent] != [n for n in sent if n in taken]:
            order.fail(f"taken in the order {taken}, delivered {sent}")
    finally:
        ledger.close()
        log.close()


def write_report(run: FileRun, folder: Path) -> str:
    """report.json; returns its SHA-256."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"profile": run.profile.id, "title": run.profile.title, "role": run.profile.role,
           "kind": run.profile.kind, "transport": run.transport, "verdict": run.verdict,
           "started_at": run.started_at,
           "finished_at": run.finished_at,
           "checks": [{"id": c.id, "title": c.title, "verdict": c.verdict,
                       "details": c.details} for c in run.checks]}
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    (folder / "report.json").write_bytes(data)
    return hashlib.sha256(data).hexdigest()
