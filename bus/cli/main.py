"""The ``pfbus`` command and its subcommands (``pfbus --help`` lists them)."""

from __future__ import annotations

import argparse
import os
import sys

from conformance import cli as conformance_command

from . import (admin_command, archive_command, certs_command, chars_command, config_command,
               demo_command, dlq_command, layout_command, log_command, migrate_command,
               queue_command, retention_command, serve_command, validate_command)

COMMANDS = {
    "serve": (serve_command, "run the hub with a TOML configuration"),
    "validate": (validate_command, "validate a message file offline with the hub's rules"),
    "config": (config_command, "check a hub configuration: load everything the hub would"),
    "log": (log_command, "query the routing log"),
    "demo": (demo_command, "run the hub, the reference adapters and a realistic linkage"),
    "queue": (queue_command, "each subscriber's notice queue at a glance"),
    "dlq": (dlq_command, "list, show, replay or purge dead letters"),
    "conformance": (conformance_command,
                    "certify a product against a profile: list | run | verify"),
    "archive": (archive_command, "read the encrypted payload archive (every read is logged)"),
    "retention": (retention_command, "delete what [retention] no longer keeps (routing log: "
                                     "verified, anchored, optionally exported first)"),
    "certs": (certs_command, "a test CA and certificates; a certificate's fingerprint"),
    "layout": (layout_command, "中間標準レイアウト: list the layouts, validate an extract folder"),
    "migrate": (migrate_command, "データ移行: reconcile the old and the new system's extracts"),
    "admin": (admin_command, "maintenance mode and pauses on a running hub (its admin "
                             "listener)"),
    "chars": (chars_command, "what each character of a text is (MJ, JIS X 0213, 外字) and "
                             "whether each receiver can store it"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pfbus", description="pfbus — the 地域情報プラットフォーム "
                                     "message hub for municipal systems")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # `pfbus … | head`: the reader left early, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # quiet exit flush
        return 0


if __name__ == "__main__":
    sys.exit(main())
