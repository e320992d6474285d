"""``pfbus dlq list | show ID --reason TEXT [--reveal] | replay | purge``: the dead letter channel
(配信不能キュー).

A dead letter is a notice a subscriber could not take within its policy, with the last error.
``show`` prints the stored notice with its personal data masked (``bus.core.masking``) unless
``--reveal`` is given; either way it first records the read in the routing log (hop
``payload_read``: the operator's account, the reason, masked or revealed — never the content), and
shows nothing if the read cannot be recorded.
``replay`` hands dead letters back to delivery (in their original order, attempts reset) once the
subscriber is fixed; ``purge`` gives them up (kept for audit, never delivered). Both are recorded
in the routing log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys

from ..core.masking import mask_payload
from ..store.routing_log import Hop, HopRecord, RoutingLogError, Status
from . import common

READ_ONLY = ("list", "show")
MAX_REASON = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_config_argument(parser)
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="dead letters, oldest first")
    listing.add_argument("--subscriber", metavar="ID")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="one dead letter with its message, personal data masked "
                                       "(the read is logged)")
    show.add_argument("id", type=int, help="delivery ID (from list)")
    show.add_argument("--reason", required=True, metavar="TEXT",
                      help="why you read it (kept in the routing log; no personal data)")
    show.add_argument("--reveal", action="store_true",
                      help="show names, addresses and numbers unmasked (recorded as such)")
    for name, text in (("replay", "deliver again"), ("purge", "give up, keep for audit")):
        p = sub.add_parser(name, help=text)
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--subscriber", metavar="ID", help="every dead letter of a subscriber")
        which.add_argument("--id", type=int, action="append", dest="ids", metavar="N",
                           help="one delivery ID (repeatable)")
        which.add_argument("--all", action="store_true", help="every dead letter")


def run(args: argparse.Namespace) -> int:
    return common.run_command("dlq", lambda: _dlq(args))


def _dlq(args: argparse.Namespace) -> int:
    """``list`` and ``show`` read the store only; ``replay`` and ``purge`` change it, and
    neither ever creates a store (a missing one is an error naming it)."""
    config = common.hub_config(args.config)
    store = common.notice_store_readonly(config)
    if args.action not in READ_ONLY:  # it exists: now open it for the change
        store.close()
        store = common.notice_store_writable(config)
    try:
        return _ACTIONS[args.action](store, args, config)
    finally:
        store.close()


HEADINGS = ("id", "subscriber", "message", "service", "attempts", "died", "last error")


def _list(store, args, config) -> int:
    letters = store.dead_letters(args.subscriber, args.limit)
    if args.format == "json":
        common.print_json({k: v for k, v in d.__dict__.items() if k != "payload"}
                          for d in letters)
    elif letters:
        common.print_lines(common.table(HEADINGS, (
            (d.delivery_id, d.subscriber, d.message_id, d.service_id, d.attempts,
             _iso(d.died_at), d.last_error) for d in letters), right=(0, 4)))
    if not letters:
        print("no dead letters", file=sys.stderr)
    return common.EXIT_OK


def _show(store, args, config) -> int:
    reason = " ".join(str(args.reason).split())[:MAX_REASON]
    if not reason:
        raise common.CommandError("--reason must say why you read this dead letter")
    d = store.dead_letter(args.id)
    if d is None:
        print(f"pfbus dlq: no dead letter {args.id}", file=sys.stderr)
        return common.EXIT_FINDINGS
    shown = "revealed" if args.reveal else "masked"
    log = common.routing_log_existing(config)  # the read is recorded first
    try:
        log.record(HopRecord(hop=Hop.PAYLOAD_READ, status=Status.OK, message_id=d.message_id,
                             service_id=d.service_id, provider=d.subscriber,
                             reason=f"by {_operator()}: {reason} (dead letter {d.delivery_id}, "
                                    f"{shown})"))
        log.flush()
    except (RoutingLogError, TimeoutError) as exc:
        raise common.CommandError(f"cannot record the read in the routing log, so nothing is "
                                  f"shown: {exc}") from None
    finally:
        log.close()
    for key in ("delivery_id", "subscriber", "message_id", "service_id", "attempts"):
        print(f"{key}: {getattr(d, key)}")
    print(f"enqueued_at: {_iso(d.enqueued_at)}\ndied_at: {_iso(d.died_at)}")
    print(f"last_error: {d.last_error}\npayload: {shown}\n")
    payload = d.payload or b""
    sys.stdout.write((payload.decode("utf-8", "replace") if args.reveal
                      else mask_payload(payload)) + "\n")
    return common.EXIT_OK


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): still log the read
        return "unknown"


def _change(store, args, config) -> int:
    selector = dict(subscriber=args.subscriber, delivery_ids=args.ids)
    letters = store.dead_letters(args.subscriber, limit=1_000_000) if not args.ids else \
        [d for d in (store.dead_letter(i) for i in args.ids) if d is not None]
    log = common.routing_log_existing(config)  # before the change: it is recorded
    try:
        count = (store.replay if args.action == "replay" else store.purge)(**selector)
        _record(log, args, letters)
    finally:
        log.close()
    print(f"{args.action}: {count} dead letter(s)")
    return common.EXIT_OK if count else common.EXIT_FINDINGS


def _record(log, args, letters) -> None:
    """The operator's action, in the routing log, one hop per dead letter."""
    for d in letters:
        log.record(HopRecord(hop=Hop.REPLAYED if args.action == "replay" else Hop.DEAD_LETTERED,
                             status=Status.OK, message_id=d.message_id, service_id=d.service_id,
                             provider=d.subscriber, reason=f"operator: dlq {args.action}"))


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="seconds")


_ACTIONS = {"list": _list, "show": _show, "replay": _change, "purge": _change}
