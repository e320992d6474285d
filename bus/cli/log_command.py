"""``pfbus log``: read the routing log (経路ログ) — where messages went and why.

Newest first (``--oldest-first`` to turn it round); ``--tail N`` the last N in time order and
``--follow`` keeps printing new records (JSON: one object per line then). Message and exchange
IDs match by prefix (the 8 characters the table prints find their rows). Table times in JST
(``--tz utc`` for UTC; JSON keeps the stored UTC). When ``--limit`` cut rows, stderr says how
many there were.

Exit status: 0 rows found, 1 none matched, 2 usage or file error. Never creates a file.

``pfbus log verify`` walks the hash chain (exit 0 intact, 1 not: the first bad record is named;
3 intact but with gap records: records lost after a crash);
``pfbus log export`` writes a time range with what is needed to check it offline;
``pfbus log verify-export FILE`` checks such a file without the database.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time
from pathlib import Path

from bus.cli import common
from bus.cli.common import CommandError
from bus.store import hop_cells, hop_search
from bus.store.hop_search import HopQuery
from bus.store.log_follow import LogFollower
from bus.store.hop_cells import TABLE_COLUMNS
from bus.store.routing_log import (HOPS, STATUSES, HopRecord, RoutingLogError, is_postgres,
                                   open_readonly, to_utc_iso)

EXIT_FOUND, EXIT_NONE = common.EXIT_OK, common.EXIT_FINDINGS
JST = dt.timezone(dt.timedelta(hours=9), "JST")
FOLLOW_POLL = 0.5  # seconds between two reads of --follow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH|URL", help="routing log file (SQLite) or "
                        "postgresql://…?schema=NAME")
    parser.add_argument("--config", metavar="FILE",
                        help="hub config whose [store] routing_log names the file (instead of --db)")
    parser.add_argument("--message-id", metavar="ID",
                        help="a message ID or its prefix; also shows the hops of its reply and "
                             "its exchange")
    parser.add_argument("--exchange-id", metavar="ID", help="one inbound HTTP exchange (or a "
                        "prefix of its ID)")
    parser.add_argument("--service", metavar="ID", help="service ID")
    parser.add_argument("--sender", metavar="PARTY", help="sender 団体コード/業務ユニット/system, "
                        "or a prefix of it (131016/07)")
    parser.add_argument("--code", metavar="団体コード", help="the receiver's 団体コード")
    parser.add_argument("--fault-code", metavar="PF-…", help="a fault code")
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--hop", choices=HOPS, metavar="NAME", help=f"one of: {', '.join(HOPS)}")
    parser.add_argument("--since", metavar="ISO",
                        help="from this time, inclusive (ISO-8601; no offset means UTC)")
    parser.add_argument("--until", metavar="ISO",
                        help="up to this time, exclusive (ISO-8601; no offset means UTC)")
    parser.add_argument("--limit", type=_positive_int, default=1000, metavar="N",
                        help="at most N rows (default 1000); stderr says when rows were cut")
    parser.add_argument("--oldest-first", action="store_true",
                        help="oldest first (default: newest first)")
    parser.add_argument("--tail", type=_positive_int, metavar="N",
                        help="the last N records, in time order")
    parser.add_argument("--follow", action="store_true",
                        help="keep printing new records as they are written (Ctrl-C stops)")
    parser.add_argument("--tz", choices=("jst", "utc"), default="jst",
                        help="table times in JST (default) or UTC")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table (default) or json (one array; one object per line with "
                             "--follow)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    # SUPPRESS: a subcommand's unset option must not overwrite the same option given before it
    keep = argparse.SUPPRESS
    for name, help_text in (("verify", "walk the hash chain; name the first bad record"),
                            ("export", "write a time range with what is needed to check it "
                                       "offline")):
        p = actions.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH|URL", default=keep,
                       help="routing log file (SQLite) or postgresql://…?schema=NAME")
        p.add_argument("--config", metavar="FILE", default=keep,
                       help="hub config whose [store] routing_log names the file")
        p.add_argument("--node", metavar="NODE_ID", default=keep,
                       help="PostgreSQL: only this node's chain; SQLite written by several "
                            "workers: only worker NODE_ID's file (default: "
                            + ("every chain" if name == "verify" else "the only chain") + ")")
        if name == "export":
            p.add_argument("--since", metavar="ISO", default=keep, help="from (inclusive)")
            p.add_argument("--until", metavar="ISO", default=keep, help="up to (exclusive)")
            p.add_argument("--out", metavar="FILE", required=True, help="the export (JSON lines)")
        else:
            _anchor_option(p)
    p = actions.add_parser("verify-export", help="check an export offline, without the database",
                           description="check an export offline, without the database")
    p.add_argument("file", metavar="FILE")
    _anchor_option(p)


def _anchor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--anchor", metavar="ID:HASH", action="append", default=[],
                   help="a head hash kept elsewhere (a routing_log.checkpoint line, an "
                        "export's last hash): the record must still have it (repeatable)")


def resolve_db_path(args: argparse.Namespace) -> str | Path:
    """Where the routing log is: ``--db`` (a path or a postgresql:// URL), else the
    ``[store] routing_log`` of ``--config``."""
    db = getattr(args, "db", None)
    if db:
        return db if is_postgres(db) else Path(db)
    if getattr(args, "config", None):
        return common.hub_config(args.config).routing_log_location
    raise CommandError("give --db PATH or --config FILE")

def open_log(args: argparse.Namespace):
    """The routing log the options name, read-only (a RoutingLogError is a usage error)."""
    try:
        return open_readonly(resolve_db_path(args))
    except RoutingLogError as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if action is not None:
        from . import log_verify_command

        return common.run_command(f"log {action}", lambda: log_verify_command.run(action, args))
    return common.run_command("log", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    since = _time_option(args, "since")
    until = _time_option(args, "until")
    routing_log = open_log(args)
    try:
        query = HopQuery(message_id=args.message_id, exchange_id=getattr(args, "exchange_id",
                                                                         None),
                         service_id=args.service, local_gov_code=args.code, sender=args.sender,
                         status=args.status, hop=args.hop, fault_code=args.fault_code,
                         since=since, until=until,
                         newest_first=not args.oldest_first or bool(args.tail or args.follow))
    except ValueError as exc:
        routing_log.close()
        raise CommandError(str(exc)) from None
    try:
        return _show(routing_log, query, args)
    except RoutingLogError as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:  # the end of --follow
        return EXIT_FOUND
    finally:
        routing_log.close()


def _show(routing_log, query: HopQuery, args: argparse.Namespace) -> int:
    location = routing_log.path or resolve_db_path(args)
    limit = args.tail or args.limit
    if args.follow:
        return _follow(routing_log, location, query, limit, args)
    rows = hop_search.search(routing_log, query, limit)
    if args.tail:  # the newest N, shown in time order
        rows.reverse()
    if len(rows) == limit and not args.tail:
        total = hop_search.count(routing_log, query)
        if total > len(rows):
            print(f"{len(rows):,} of {total:,} shown; --limit", file=sys.stderr)
    hops = [h for _, h in rows]
    if args.format == "json":  # one JSON array, [] when nothing matched
        common.print_json(dataclasses.asdict(h) for h in hops)
    elif hops:
        common.print_lines(format_table(hops, args.tz))
    if not hops:
        print("pfbus log: no matching records", file=sys.stderr)
        return EXIT_NONE
    return EXIT_FOUND


def _follow(routing_log, location, query: HopQuery, limit: int,
            args: argparse.Namespace) -> int:
    """The newest ``limit`` rows, then every row committed since, each once (LogFollower)."""
    follower = LogFollower(query)
    _write_following([h for _, h in follower.start(routing_log, limit)], args, header=True)
    while True:
        time.sleep(FOLLOW_POLL)
        # Opened afresh each time: a log no hub had open was read as an immutable snapshot.
        with open_readonly(location) as fresh:
            more = follower.poll(fresh)
        if more:
            _write_following([h for _, h in more], args, header=False)


def _write_following(hops: list[HopRecord], args: argparse.Namespace, header: bool) -> None:
    """--follow prints as it goes: JSON Lines, or table rows under one heading."""
    if args.format == "json":
        common.print_lines(json.dumps(dataclasses.asdict(h), ensure_ascii=False, default=str)
                           for h in hops)
    elif hops:
        lines = format_table(hops, args.tz)
        common.print_lines(lines if header else lines[2:])


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _time_option(args: argparse.Namespace, name: str) -> str | None:
    value = getattr(args, name, None)
    if value is None:
        return None
    try:
        return to_utc_iso(value)
    except (ValueError, TypeError):
        raise CommandError(f"--{name}: not an ISO-8601 time: {value!r} "
                           f"(e.g. 2026-11-27T15:00:00+09:00)") from None


def _at(at: str, tz: str) -> str:
    moment = dt.datetime.fromisoformat(at)
    if tz == "utc":
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " JST"


def format_table(hops: list[HopRecord], tz: str = "jst") -> list[str]:
    """The table of ``hops``: its columns are the declaration's (``TABLE_COLUMNS``)."""
    columns = TABLE_COLUMNS
    return common.table([hop_cells.heading(c) for c in columns],
                        ([hop_cells.cell(h, c, lambda at: _at(at, tz)) for c in columns]
                         for h in hops),
                        right=[i for i, c in enumerate(columns) if c.table.right],
                        limits=[c.table.width for c in columns])
