"""``pfbus conformance list | run | verify``: certify a product against a profile.

    pfbus conformance list [--profile P] [--requirements] [--format json]
    pfbus conformance run --profile P --target URL [--wsdl URL] [--param k=v …] [--trigger CMD]
                          [--observe CMD] [--restart-command CMD] [--cacert F --cert F --key F | --insecure]
                          --report DIR [--redact]
    pfbus conformance verify REPORT_DIR [--digest HEX]

Exit status of ``run``: 0 the product passed, 1 it did not, 2 the run could not be made.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bus.cli import common
from bus.core.settings import load_toml

from .commands import TemplateCommand
from .model import Suite, SuiteError
from .records import PASS, VERDICTS
from .report import verify, write_report
from .report.digest import CERTIFICATE, MANIFEST, REPORT_FILES
from .runner import RunOptions, run_profile
from .transport import TlsOptions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="conformance_command", required=True, metavar="ACTION")
    ls = sub.add_parser("list", help="list profiles, their cases, or the requirements")
    ls.add_argument("--profile", help="list this profile's cases")
    ls.add_argument("--requirements", action="store_true", help="list the requirements")
    ls.add_argument("--format", choices=("text", "json"), default="text")

    run = sub.add_parser("run", help="run a profile against a product and write the report")
    run.add_argument("--profile", required=True, help="e.g. juki.provider (see `list`)")
    run.add_argument("--target", metavar="URL",
                     help="the product's endpoint (providers, subscribers, level-2 providers)")
    run.add_argument("--wsdl", metavar="URL", help="the WSDL the product publishes; {service} "
                     "is replaced by the service ID (default: the catalog's standard WSDL)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a profile parameter (the product's party, its test data)")
    run.add_argument("--params", metavar="FILE", help="parameters from a TOML file")
    run.add_argument("--trigger", metavar="CMD", help="consumer profiles: the command that "
                     "makes the product call; {hub_url} and case values like "
                     "{addressee_number} are filled in; exit 0 = the answer was accepted")
    run.add_argument("--observe", metavar="CMD", help="subscriber profiles: the command that "
                     "prints the resident {addressee_number} as the product holds it (JSON)")
    run.add_argument("--restart-command", metavar="CMD", help="subscriber profiles: the "
                     "command that stops the product abruptly (as a crash would: no graceful "
                     "shutdown) and starts it again; exit 0 once it accepts requests at --target "
                     "again. Durability cases (S-DUR-*) are skipped without it")
    run.add_argument("--case", action="append", default=[], metavar="ID",
                     help="only cases whose ID starts with this (repeatable)")
    run.add_argument("--catalog", action="append", default=[], type=Path, metavar="FILE",
                     help="a further schema catalog (an official schema set)")
    run.add_argument("--cacert", metavar="FILE", help="CA bundle for an https:// product")
    run.add_argument("--cert", metavar="FILE", help="client certificate (PEM) for mutual TLS")
    run.add_argument("--key", metavar="FILE", help="the client certificate's key (PEM)")
    run.add_argument("--insecure", action="store_true",
                     help="do not verify the product's certificate (tests only)")
    run.add_argument("--report", required=True, type=Path, metavar="DIR",
                     help="folder for report.json, junit.xml, report.html, manifest, certificate")
    run.add_argument("--redact", action="store_true",
                     help="mask personal data in the report's evidence")
    run.add_argument("--workdir", type=Path, metavar="DIR",
                     help="scratch folder for level-2 processes (default: a temporary one)")
    run.add_argument("--quiet", action="store_true", help="no line per case")

    mig = sub.add_parser("migration", help="certify a migration tool (*.migration-export, "
                         "*.migration-import): see docs/migration.md")
    mig.add_argument("--profile", help="e.g. juki.migration-import (without it: list them)")
    mig.add_argument("--export", metavar="CMD", help="the product's export command ({out})")
    mig.add_argument("--import", dest="import_", metavar="CMD",
                     help="the product's import command ({extract})")
    mig.add_argument("--report", type=Path, metavar="DIR", help="folder for report.json/.html")
    mig.add_argument("--workdir", type=Path, metavar="DIR", help="keep the run's files here")

    fil = sub.add_parser("files", help="certify a file producer or consumer (*.file-producer, "
                         "*.file-consumer): see docs/files.md")
    fil.add_argument("--profile", help="e.g. juki.file-consumer (without it: list them)")
    fil.add_argument("--command", metavar="CMD", help="the product's command ({out} for a "
                     "producer; {outbox}, {store} for a consumer); default: the reference tool")
    fil.add_argument("--report", type=Path, metavar="DIR", help="folder for report.json")
    fil.add_argument("--workdir", type=Path, metavar="DIR", help="keep the run's files here")
    fil.add_argument("--sftp", action="store_true", help="over SFTP: the suite runs a hub as the "
                     "product's counterpart; the command gets {host} {port} {user} {key} "
                     "{known_hosts} (and {store} for a consumer)")
    fil.add_argument("--restart-command", metavar="CMD", help="file consumers: the command "
                     "that stops the product abruptly and starts it again, run between the two "
                     "passes")

    ver = sub.add_parser("verify", help="check that a report folder was not changed")
    ver.add_argument("report", type=Path, metavar="REPORT_DIR")
    ver.add_argument("--digest", metavar="HEX", help="the digest printed when it was written")


def run(args: argparse.Namespace) -> int:
    return common.run_command("conformance", lambda: _command(args))


def _command(args: argparse.Namespace) -> int:
    try:
        return {"list": _list, "run": _run, "verify": _verify,
                "migration": _migration, "files": _files}[args.conformance_command](args)
    except SuiteError as exc:
        raise common.CommandError(str(exc)) from None


def _list(args) -> int:
    suite = Suite.load()
    if args.requirements:
        rows = [{"id": r.id, "title": r.title, "roles": list(r.roles), "text": r.text,
                 "sources": list(r.sources)} for r in suite.requirements.values()]
        if args.format == "json":
            common.print_json(rows)
        if args.format == "text":
            common.print_lines(common.table(("requirement", "title", "roles"), (
                (r["id"], r["title"], ", ".join(r["roles"])) for r in rows)))
        return common.EXIT_OK
    if args.profile:
        profile = suite.profiles.get(args.profile)
        if profile is None:
            raise SuiteError(f"no profile {args.profile!r}; known: {', '.join(suite.profiles)}")
        rows = [{"id": i.id, "title": i.case.title, "requirements": list(i.case.requirements),
                 "status": i.case.status, "requires": list(i.case.requires)}
                for i in suite.instances(profile)]
        if args.format == "json":
            common.print_json(rows)
        if args.format == "text":
            common.print_lines(common.table(("case", "requirements", "title"), (
                (r["id"], ",".join(r["requirements"]), r["title"] + (
                    " (pending)" if r["status"] == "pending" else
                    f" (needs --{', --'.join(r['requires'])})" if r["requires"] else ""))
                for r in rows)))
        return common.EXIT_OK
    rows = [{"id": p.id, "level": p.level, "role": p.role, "status": p.status,
             "title": p.title, "services": list(p.services),
             "cases": len(suite.instances(p)), "reference": p.reference}
            for p in suite.profiles.values()]
    if args.format == "json":
        common.print_json(rows)
    if args.format == "text":
        common.print_lines(common.table(("profile", "level", "role", "cases", "title"), (
            (r["id"], r["level"], r["role"], r["cases"],
             r["title"] + (" [draft]" if r["status"] == "draft" else "")) for r in rows),
            right=(1, 3)))
    return common.EXIT_OK


def _params(args) -> dict:
    params: dict = {}
    if args.params:  # free names: the profile's parameters; errors name the file
        params.update(load_toml(Path(args.params), SuiteError))
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SuiteError(f"--param {item!r}: expected NAME=VALUE")
        params[name.strip()] = value
    return params


def _run(args) -> int:
    report = args.report.resolve()
    if report.exists() and any(p.name not in (*REPORT_FILES, MANIFEST, CERTIFICATE)
                               for p in report.iterdir()):
        raise SuiteError(f"--report {report}: the folder holds other files; use a new one")
    options = RunOptions(
        profile=args.profile, target=args.target, wsdl=args.wsdl, params=_params(args),
        tls=TlsOptions(args.cacert, args.cert, args.key, args.insecure),
        trigger=TemplateCommand(args.trigger) if args.trigger else None,
        observe=TemplateCommand(args.observe) if args.observe else None,
        restart=TemplateCommand(args.restart_command) if args.restart_command else None,
        cases=tuple(args.case), catalogs=tuple(p.resolve() for p in args.catalog),
        workdir=args.workdir)
    suite = Suite.load()
    profile = suite.profiles.get(args.profile)
    if profile is None:
        raise SuiteError(f"no profile {args.profile!r}; known: {', '.join(suite.profiles)}")
    if profile.role == "consumer" and not args.trigger:
        hint = f" (the reference adapter's: {profile.reference_trigger!r})" \
            if profile.reference_trigger else ""
        raise SuiteError(f"{profile.id} needs --trigger{hint}")
    if profile.role != "consumer" and (profile.level == 1 or profile.hub_routes
                                       or profile.hub_subscriptions) and not args.target:
        raise SuiteError(f"{profile.id} needs --target URL")
    instances = suite.instances(profile)
    if instances and not args.observe and all("observe" in i.case.requires for i in instances):
        raise SuiteError(f"every case of {profile.id} needs --observe (a command that prints "
                         f"the resident as the product holds it)")

    def progress(result) -> None:
        if not args.quiet:
            note = result.reason or (str(result.findings[0]) if result.findings else "")
            print(f"{result.verdict.upper():<5} {result.id:<44} {note[:150]}", flush=True)

    result = run_profile(options, suite, progress)
    digest = write_report(result, report, redact=args.redact)
    counts = ", ".join(f"{result.count(v)} {v}" for v in VERDICTS)
    print(f"\n{profile.id}: {result.verdict.upper()} ({counts}) in {result.duration:.1f} s"
          + (f" ({result.time_split.describe()})" if result.time_split else ""))
    print(f"report: {report}")
    print(f"report digest (SHA-256): {digest}")
    return common.EXIT_OK if result.verdict == PASS else common.EXIT_FINDINGS


def _migration(args) -> int:
    from .migration import load_profiles, run_migration_profile, write_report as write
    profiles = load_profiles()
    if not args.profile:
        for p in profiles.values():
            print(f"{p.id:<28} {p.role:<17} {p.layout:<16} {p.title}")
        return common.EXIT_OK
    return _run_checked(profiles, "migration", args, write, lambda profile: run_migration_profile(
        profile, export=args.export, import_=args.import_, workdir=args.workdir))


def _files(args) -> int:
    from .files import PROFILES, run_file_profile, write_report as write
    if not args.profile:
        for p in PROFILES.values():
            print(f"{p.id:<24} {p.role:<14} {p.kind:<14} {p.title}")
        return common.EXIT_OK
    return _run_checked(PROFILES, "file", args, write,
                        lambda profile: run_file_profile(profile, args.command, args.workdir,
                                                         sftp=args.sftp,
                                                         restart=args.restart_command))


def _run_checked(profiles: dict, kind: str, args, write, run) -> int:
    """A profile judged by checks (migration tools, file producers/consumers): look it up, run
    it, print each check with its first details, write the report; exit 0 only on a pass."""
    profile = profiles.get(args.profile)
    if profile is None:
        raise SuiteError(f"no {kind} profile {args.profile!r}; known: {', '.join(profiles)}")
    if args.report is None:
        raise SuiteError("--report DIR is required to run a profile")
    result = run(profile)
    for check in result.checks:
        print(f"{check.verdict.upper():<5} {check.id} {check.title}")
        for detail in check.details[:10]:
            print(f"      {detail}")
    digest = write(result, args.report)
    print(f"\n{profile.id}: {result.verdict.upper()}; report: {args.report} (report.json SHA-256 "
          f"{digest})")
    return common.EXIT_OK if result.verdict == PASS else common.EXIT_FINDINGS


def _verify(args) -> int:
    digest, problems = verify(args.report, args.digest)
    if digest:
        print(f"report digest (SHA-256): {digest}")
    for p in problems:
        print(f"CHANGED: {p}")
    print("OK: the report is as it was written" if not problems else
          f"the report was changed or is incomplete ({len(problems)} problem(s))")
    return common.EXIT_OK if not problems else common.EXIT_FINDINGS
