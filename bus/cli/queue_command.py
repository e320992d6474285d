"""``pfbus queue --config FILE``: each subscriber's queue at a glance.

Depth, in flight, delivered, dead letters and the oldest pending notice's age. A subscriber that
exhausted its policy for some notices is flagged EXHAUSTED and the exit status is 3, so that
monitoring notices it: nothing is ever silently paused. Reads the store only (never creates one).
"""

from __future__ import annotations

import argparse

from . import common

EXIT_DEAD_LETTERS = 3
HEADINGS = ("subscriber", "pending", "inflight", "delivered", "dead", "oldest", "state",
            "last error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_config_argument(parser)
    parser.add_argument("--format", choices=("table", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    return common.run_command("queue", lambda: _queue(args))


def _queue(args: argparse.Namespace) -> int:
    store = common.notice_store_readonly(common.hub_config(args.config))
    try:
        stats = store.stats()
    finally:
        store.close()
    if args.format == "json":
        common.print_json({**s.__dict__, "exhausted": s.dead > 0} for s in stats)
    else:
        common.print_lines(common.table(HEADINGS, (
            (s.subscriber, s.pending, s.inflight, s.delivered, s.dead,
             "" if s.oldest_pending_age is None else f"{s.oldest_pending_age:.0f}s",
             f"EXHAUSTED ({s.dead} dead letters)" if s.dead else "ok", s.last_error)
            for s in stats), right=(1, 2, 3, 4, 5)))
    return EXIT_DEAD_LETTERS if any(s.dead for s in stats) else common.EXIT_OK
