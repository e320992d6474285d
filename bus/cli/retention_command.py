"""``pfbus retention run --config FILE``: delete what ``[retention]`` no longer keeps.

Routing log (verified, optionally exported, anchored, then deleted in batches), notices whose
deliveries are all finished and old enough, archived payloads. Safe while the hub runs (short
transactions); the hub also runs it daily. Exit status: 0 done, 1 refused (e.g. the routing log's
chain is broken in the range: nothing deleted), 2 usage, configuration or store error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..store.retention import RetentionError, run_retention
from . import common

NAME = "retention run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("run", help="delete what the retention periods no longer keep",
                           description="delete what the retention periods no longer keep")
    common.add_config_argument(p)
    p.add_argument("--export-dir", metavar="DIR",
                   help="first export the routing-log range to DIR (pfbus log verify-export)")


def run(args: argparse.Namespace) -> int:
    return common.run_command(NAME, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    config = common.hub_config(args.config)
    routing_log = common.routing_log_existing(config)
    notices = None
    try:
        if config.notice_store and _exists(config.notice_store):
            notices = common.notice_store_writable(config)
        done = run_retention(config.retention, routing_log, notices, config.archive,
                             export_dir=Path(args.export_dir) if args.export_dir else None)
    except RetentionError as exc:
        raise common.CommandError(f"refused: {exc}", common.EXIT_FINDINGS) from None
    finally:
        if notices is not None:
            notices.close()
        routing_log.close()
    for purged in done:
        print(json.dumps({"store": purged.store, "deleted": purged.deleted,
                          "detail": purged.detail or None}, ensure_ascii=False))
    return common.EXIT_OK


def _exists(url: str) -> bool:
    """A SQLite notice store not created yet has nothing to delete (and is not created)."""
    return not url.startswith("sqlite:") or Path(url[len("sqlite:"):]).is_file()
