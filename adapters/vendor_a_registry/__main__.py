"""Vendor A's resident registry (住民基本台帳) as a process.

``python -m adapters.vendor_a_registry [serve] --db vendor-a.sqlite3 [--seed] [--port 0]
[--hub URL]`` — provides juki.ResidentInquiry and juki.ResidentFullExtract; with ``--hub`` it
also publishes the 異動通知 of its outbox to the hub (in order per resident, resent until a
receipt arrives);
``python -m adapters.vendor_a_registry change --db vendor-a.sqlite3 --addressee 0000010014
--reason C01 --set 住所1=永田町 --set 住所2=1`` — a clerk's 異動: the 住民 row and its 異動通知
written in one transaction (a serving process with ``--hub`` publishes it);
``python -m adapters.vendor_a_registry outbox --db vendor-a.sqlite3`` — the outbox, one JSON line
per notice (状態 未送信/送信済, 試行回数, 最終エラー).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys

from adapters.sdk.characters import CharacterPolicy
from adapters.sdk.runner import add_backlog_option
from bus.core.header import JST, Party

from . import GAIJI_TABLE

from .mapping import MappingError
from .outbox import OutboxError, status_after
from .store import RegistryStore, UnknownExtract, seed

SYSTEM_ID = "vendor-a-juki"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="vendor A's own SQLite store")
    parser.add_argument("--local-gov-code", default="131016", help="団体コード it serves")


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_a_registry [serve]",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(parser)
    parser.add_argument("--seed", action="store_true", help="add the demo residents if empty")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--system-id", default=SYSTEM_ID)
    parser.add_argument("--gaiji", default=str(GAIJI_TABLE), metavar="TSV",
                        help="vendor A's 外字 table (code → MJ文字図形名); '' for none")
    parser.add_argument("--hub", help="the hub's URL: publish the outbox's 異動通知 there")
    parser.add_argument("--user-id", default="juki-batch", help="操作者ID of the publisher")
    parser.add_argument("--soap-version", type=int, choices=(11, 12), default=11)
    parser.add_argument("--publish-interval", type=float, default=1.0,
                        help="seconds between looks at the outbox when idle")
    parser.add_argument("--retry-base", type=float, default=1.0,
                        help="first backoff (seconds) after a failed send; doubles each time")
    parser.add_argument("--retry-max", type=float, default=300.0, help="longest backoff")
    add_backlog_option(parser)
    args = parser.parse_args(argv)

    from twisted.internet import reactor

    from adapters.sdk.provider import ProviderApp
    from adapters.sdk.runner import run_provider

    from .service import handlers

    store = RegistryStore.open(args.db, local_gov_code=args.local_gov_code)
    if args.seed and not store.residents():
        seed(store)
    party = Party(args.local_gov_code, "01", args.system_id)
    characters = CharacterPolicy(args.gaiji or None)  # its 外字 leave as MJ characters
    extracts = inquiries = None
    if store.path is not None:  # 全件抽出 built in batches off the reactor (extracts.py)
        from .access_journal import AccessJournal, journaled_inquiry
        from .extracts import ExtractService

        extracts = ExtractService(store, reactor, gaiji=characters.gaiji)
        extracts.start()
        journal = AccessJournal(store.path, reactor)  # 照会記録 in group commits, off the reactor
        journal.start()
        inquiries = functools.partial(journaled_inquiry, store, journal)
    app = ProviderApp(party, handlers(store, extracts.handle if extracts else None, inquiries),
                      errors={MappingError: "VENDOR-A-DATA-ERROR"},
                      client_errors={UnknownExtract: "VENDOR-A-EXTRACT-UNKNOWN"},
                      characters=characters)
    if args.hub:
        from adapters.sdk.consumer import ConsumerClient

        from .publisher import OutboxPublisher, PublishLoop

        client = ConsumerClient(args.hub, party, args.user_id, timeout=10.0)
        publisher = OutboxPublisher(store.outbox(), client, soap_version=args.soap_version,
                                    retry_base=args.retry_base, retry_max=args.retry_max)
        PublishLoop(publisher, reactor, interval=args.publish_interval).start()
    run_provider(app, name=args.system_id, host=args.host, port=args.port,
                 backlog=args.backlog)
    return 0


def _assignment(text: str) -> tuple[str, str | None]:
    column, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected 列=値, got {text!r}")
    return column, value or None


def change(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_a_registry change",
                                     description="record a 異動 and its 異動通知 (outbox)")
    _common(parser)
    parser.add_argument("--addressee", required=True, help="宛名番号")
    parser.add_argument("--reason", required=True, help="異動事由 code (change_reason: C01 転居…)")
    parser.add_argument("--occurred-on", type=dt.date.fromisoformat,
                        help="異動年月日 YYYY-MM-DD (default: today in Japan, whatever the "
                             "host's time zone)")
    parser.add_argument("--notified-on", type=dt.date.fromisoformat, help="届出年月日")
    parser.add_argument("--set", dest="sets", type=_assignment, action="append", default=[],
                        metavar="列=値", help="a 住民 column's new value (empty: NULL)")
    parser.add_argument("--row-json", help="the whole 住民 row (a resident new to the registry)")
    parser.add_argument("--user-id", default="juki-clerk", help="操作者ID of the clerk")
    parser.add_argument("--gaiji", default=str(GAIJI_TABLE), metavar="TSV",
                        help="vendor A's 外字 table (code → MJ文字図形名); '' for none")
    args = parser.parse_args(argv)
    store = RegistryStore.open(args.db, local_gov_code=args.local_gov_code)
    try:
        row = (json.loads(args.row_json) if args.row_json
               else store.resident_by_addressee_number(args.addressee))
        if row is None:
            print(f"change: no resident {args.addressee}; give --row-json", file=sys.stderr)
            return 1
        row = {**row, "宛名番号": args.addressee, **dict(args.sets)}
        if "住民状態" not in dict(args.sets):
            row["住民状態"] = status_after(args.reason, row.get("住民状態"))
        occurred_on = args.occurred_on or dt.datetime.now(JST).date()  # RecordedOn's day too
        entry = store.record_change(row, args.reason, occurred_on,
                                    notified_on=args.notified_on, user_id=args.user_id,
                                    characters=CharacterPolicy(args.gaiji or None))
    except (OutboxError, MappingError, KeyError, ValueError) as exc:
        print(f"change: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(json.dumps({k: entry[k] for k in ("送信番号", "宛名番号", "異動連番", "メッセージID",
                                            "異動事由", "状態")}, ensure_ascii=False))
    return 0


def show_outbox(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_a_registry outbox",
                                     description="list the 異動通知 outbox")
    _common(parser)
    parser.add_argument("--addressee", help="only this 宛名番号")
    args = parser.parse_args(argv)
    store = RegistryStore.open(args.db, local_gov_code=args.local_gov_code)
    try:
        for entry in store.outbox().entries(args.addressee):
            print(json.dumps(entry, ensure_ascii=False))
    finally:
        store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"serve": serve, "change": change, "outbox": show_outbox}
    if argv and argv[0] in commands:
        return commands[argv[0]](argv[1:])
    return serve(argv)  # the original form: options only


if __name__ == "__main__":
    sys.exit(main())
