"""``pfbus archive show MESSAGE_ID --config FILE [--reason TEXT]``: decrypt archived payloads.

Every read — and every refused attempt (wrong key) — is recorded in the routing log first (hop
``archive_read``: the operator's account, the reason, how many payloads; never the content). If
the read cannot be logged, nothing is shown.

Exit status: 0 shown, 1 nothing archived under that ID, 2 usage, key or file error.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bus.store.archive import KINDS, ArchiveError, ArchiveKeyError, PayloadArchive, load_key
from bus.store.routing_log import Hop, HopRecord, RoutingLog, RoutingLogError, Status

from . import common

EXIT_SHOWN, EXIT_NONE = common.EXIT_OK, common.EXIT_FINDINGS
MAX_REASON = 200
UNRECORDED = "cannot record the read in the routing log, so nothing is shown"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="decrypt and print one message's archived payloads "
                                           "(the read is logged)")
    show.add_argument("message_id", metavar="MESSAGE_ID",
                      help="the request's (or notice's) message ID")
    common.add_config_argument(show, help="hub config with [store] archive and the key's source")
    show.add_argument("--reason", metavar="TEXT", default="",
                      help="why you read it (kept in the routing log; no personal data)")
    show.add_argument("--kind", choices=KINDS, help="only this payload")


def run(args: argparse.Namespace) -> int:
    return common.run_command("archive", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    config = common.hub_config(args.config)
    if config.archive is None:
        raise common.CommandError(f"{config.path}: this hub has no payload archive ([store] archive)")
    reason = " ".join(str(args.reason).split())[:MAX_REASON] or "(no reason given)"
    who = _operator()
    try:  # an existing log: an operator's read never starts a new, empty one
        routing_log = common.routing_log_existing(config)
    except common.CommandError as exc:
        raise common.CommandError(f"{UNRECORDED}: {exc}") from None
    try:
        try:
            archive = PayloadArchive(config.archive, load_key(config.archive_key_env,
                                                              config.archive_key_file),
                                     readonly=True)
        except ArchiveKeyError as exc:
            _record(routing_log, args.message_id, Status.ERROR,
                    f"by {who}: refused, archive key missing or wrong; reason: {reason}")
            raise common.CommandError(str(exc)) from None
        except ArchiveError as exc:
            raise common.CommandError(str(exc)) from None
        try:
            payloads = archive.read(args.message_id)
        except ArchiveError as exc:
            _record(routing_log, args.message_id, Status.ERROR,
                    f"by {who}: refused, a payload does not authenticate; reason: {reason}")
            raise common.CommandError(str(exc)) from None
        finally:
            archive.close()
        if args.kind:
            payloads = [p for p in payloads if p.kind == args.kind]
        try:
            _record(routing_log, args.message_id, Status.OK,
                    f"by {who}: {reason} ({len(payloads)} payload(s)"
                    + (f", {args.kind} only" if args.kind else "") + ")")
        except (RoutingLogError, TimeoutError) as exc:
            raise common.CommandError(f"{UNRECORDED}: {exc}") from None
    finally:
        routing_log.close()
    if not payloads:
        print(f"pfbus archive: nothing archived under {args.message_id}", file=sys.stderr)
        return EXIT_NONE
    out = sys.stdout.buffer
    for p in payloads:
        out.write(f"# {p.kind} {p.message_id} at {p.at} exchange {p.exchange_id} "
                  f"({len(p.payload)} bytes)\n".encode())
        out.write(p.payload)
        if not p.payload.endswith(b"\n"):
            out.write(b"\n")
    out.flush()
    return EXIT_SHOWN


def _record(routing_log: RoutingLog, message_id: str, status: Status, reason: str) -> None:
    routing_log.record(HopRecord(hop=Hop.ARCHIVE_READ, status=status, message_id=message_id,
                                 reason=reason))
    routing_log.flush()


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): still log the read
        return "unknown"
