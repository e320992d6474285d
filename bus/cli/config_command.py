"""``pfbus config check --config FILE``: load everything the hub would load, without serving.

The configuration (every key declared, bus/core/settings/hub.py), its schema catalogs (XSDs,
WSDLs and their references, code lists, rules), 外字 tables, PEM files (readable, matching,
valid now), archive key, routes → providers and services, subscriptions → notice services,
access → adapters and services. Prints a summary and every finding; exit 0 when there is none,
1 when there is any, 2 on usage errors. Opens no store and creates no file.
"""

from __future__ import annotations

import argparse
import re

from ..core.catalog import Catalog
from ..core.config import HubConfig
from ..core.config_checks import catalog_findings, pem_findings
from ..core.settings import SettingsError
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="load everything the hub would; list every finding",
                           description="load everything the hub would; list every finding")
    common.add_config_argument(check)


def run(args: argparse.Namespace) -> int:
    return common.run_command("config", lambda: _check(args.config))


def _check(path: str) -> int:
    try:
        config = common.hub_config(path)
    except SettingsError as exc:  # the file itself: nothing beyond it can be checked
        return _report([], [str(exc)])
    findings: list[str] = []
    summary = _summary(config)
    try:
        catalog = Catalog.load(config.catalogs)
    except SettingsError as exc:
        findings.append(str(exc))
    else:
        summary.insert(1, ("catalogs", "; ".join(
            f"{s.name} ({s.path})" for s in catalog.sources)
            + f": {len(catalog.services)} services, {len(catalog.codelists)} code lists"))
        findings += catalog_findings(config, catalog)
    findings += pem_findings(config)
    findings += _archive_key(config)
    return _report(summary, findings)


def _summary(config: HubConfig) -> list[tuple[str, str]]:
    registry = config.registry
    scheme = "https (mutual TLS)" if config.tls and config.tls.client_ca else \
        "https" if config.tls else "plain HTTP (development only)"
    access = "off" if config.access is None else (
        f"{len(config.access.adapters)} adapter(s), {len(config.access.rules)} rule(s), "
        f"identity by {config.access.identity}")
    return [
        ("config", str(config.path)),
        ("listen", f"{config.host}:{config.port}, {scheme}"),
        ("tenants", ", ".join(f"{c} {t.name}" for c, t in config.tenants.items()) or "none"),
        ("providers in use", str(len({r.provider.id for r in registry}
                                     | set(registry.all_subscribers())))),
        ("routes", str(len(registry))),
        ("subscribers", ", ".join(sorted(registry.all_subscribers())) or "none"),
        ("access", access),
        ("routing log", str(config.routing_log_url and _masked(config.routing_log_url)
                            or config.routing_log)),
        ("notices", _masked(config.notice_store) if config.notice_store else "off"),
        ("archive", str(config.archive) if config.archive else "off"),
        ("admin", f"{config.admin.host}:{config.admin.port}" if config.admin else "off"),
    ]


def _archive_key(config: HubConfig) -> list[str]:
    if config.archive is None:
        return []
    from ..store.archive import ArchiveKeyError, load_key

    try:
        load_key(config.archive_key_env, config.archive_key_file)
    except ArchiveKeyError as exc:
        key = "store.archive_key_env" if config.archive_key_env else "store.archive_key_file"
        return [f"{config.path}: {key}: {exc}"]
    return []


def _masked(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//…@", url)  # never print a password


def _report(summary: list[tuple[str, str]], findings: list[str]) -> int:
    width = max((common.text_width(k) for k, _ in summary), default=0)
    lines = [f"{k}{' ' * (width - common.text_width(k))}  {v}" for k, v in summary]
    if findings:
        lines += ["", f"{len(findings)} finding(s):", *(f"  {f}" for f in findings)]
    else:
        lines += ["", "no findings: the hub would start with this configuration"]
    common.print_lines(lines)
    return common.EXIT_FINDINGS if findings else common.EXIT_OK
