"""``pfbus queue --config FILE``: each subscriber's queue at a glance.

Depth, in flight, delivered, dead letters and the oldest pending notice's age. A subscriber that
exhausted its policy for some notices is flagged EXHAUSTED and the exit status is 3, so that
monitoring notices it: nothing is ever silently paused.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..core.config import ConfigError, load_config
from ..store.notices import open_notice_store

EXIT_OK, EXIT_USAGE, EXIT_DEAD_LETTERS = 0, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE", help="hub TOML configuration")
    parser.add_argument("--format", choices=("table", "json"), default="table")


def open_store(args: argparse.Namespace):
    """The notice store named by ``[store] notices`` of ``--config``."""
    config = load_config(args.config)
    if not config.notice_store:
        raise ConfigError(f"{config.path}: store.notices: no notice store configured")
    return open_notice_store(config.notice_store)


def run(args: argparse.Namespace) -> int:
    try:
        store = open_store(args)
    except (ConfigError, ValueError, OSError) as exc:
        print(f"pfbus queue: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        stats = store.stats()
    finally:
        store.close()
    if args.format == "json":
        for s in stats:
            print(json.dumps({**s.__dict__, "exhausted": s.dead > 0}, ensure_ascii=False))
    else:
        rows = [("subscriber", "pending", "inflight", "delivered", "dead", "oldest", "state",
                 "last error")]
        for s in stats:
            age = "" if s.oldest_pending_age is None else f"{s.oldest_pending_age:.0f}s"
            state = f"EXHAUSTED ({s.dead} dead letters)" if s.dead else "ok"
            rows.append((s.subscriber, str(s.pending), str(s.inflight), str(s.delivered),
                         str(s.dead), age, state, s.last_error or ""))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_DEAD_LETTERS if any(s.dead for s in stats) else EXIT_OK
