"""Vendor B's individual resident tax system (個人住民税) as a process.

``python -m adapters.vendor_b_tax serve --db vendor-b.sqlite3 [--seed] [--port 0]`` — provides
kojinjuminzei.TaxationStatusInquiry and receives juki.ResidentChangeNotice (異動通知, applied
once each to vendor B's 宛名);
``python -m adapters.vendor_b_tax full-load --db vendor-b.sqlite3 --hub URL --transfer-id T1`` —
loads every resident (全件), resumable;
``python -m adapters.vendor_b_tax fetch-resident --db vendor-b.sqlite3 --hub URL 0000010014`` —
asks the registry through the hub and keeps the resident in vendor B's layout.
"""

from __future__ import annotations

import argparse
import json
import sys

from adapters.sdk.characters import CharacterPolicy
from adapters.sdk.consumer import ConsumerClient, ConsumerError
from adapters.sdk.full_transfer import TransferError
from adapters.sdk.runner import add_backlog_option
from bus.core.header import Party

from . import GAIJI_TABLE
from .linkage import fetch_resident, full_load
from .store import TaxStore, seed

SYSTEM_ID = "vendor-b-tax"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_b_tax", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="provide TaxationStatusInquiry, receive 異動通知")
    serve.add_argument("--seed", action="store_true", help="add the demo taxation rows if empty")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    add_backlog_option(serve)
    fetch = sub.add_parser("fetch-resident", help="ask the registry for a resident via the hub")
    fetch.add_argument("addressee_number", help="宛名番号")
    full = sub.add_parser("full-load", help="全件: load every resident, resumable by its ID")
    full.add_argument("--transfer-id", required=True,
                      help="names the transfer; run again with it to resume after a failure")
    full.add_argument("--page-size", type=int, default=500)
    full.add_argument("--max-pages", type=int, help="stop after this many pages (this run)")
    full.add_argument("--window", type=int, default=4,
                      help="pages fetched at once, applied in order (default 4)")
    for p in (fetch, full):
        p.add_argument("--hub", required=True, help="the hub's URL")
        p.add_argument("--registry-system", default="vendor-a-juki")
        p.add_argument("--user-id", default="tax-clerk-01", help="操作者ID")
    for p in (serve, fetch, full):
        p.add_argument("--db", required=True, help="vendor B's own SQLite store")
        p.add_argument("--local-gov-code", default="131016", help="団体コード")
        p.add_argument("--system-id", default=SYSTEM_ID)
        p.add_argument("--gaiji", default=str(GAIJI_TABLE), metavar="TSV",
                       help="vendor B's 外字 table (code → MJ文字図形名); '' for none")
        p.add_argument("--characters", choices=("mj", "jisx0213"), default="mj",
                       help="what vendor B stores: MJ, or only JIS X 0213 (names in 縮退, the "
                            "registered form kept in its 原字 table)")
    args = parser.parse_args(argv)
    store = TaxStore.open(args.db, local_gov_code=args.local_gov_code)
    party = Party(args.local_gov_code, "07", args.system_id)
    characters = CharacterPolicy(args.gaiji or None, args.characters)
    if args.command == "serve":
        from adapters.sdk.provider import ProviderApp
        from adapters.sdk.runner import run_provider

        from .notices import notice_handlers
        from .service import ERRORS, handlers

        if args.seed:
            seed(store)
        app = ProviderApp(party, {**handlers(store), **notice_handlers(store)},
                          errors=ERRORS, characters=characters)
        run_provider(app, name=args.system_id, host=args.host, port=args.port,
                     backlog=args.backlog)
        return 0
    client = ConsumerClient(args.hub, party, args.user_id, characters=characters)
    registry = Party(args.local_gov_code, "01", args.registry_system)
    if args.command == "full-load":
        try:
            state = full_load(client, store, registry, args.transfer_id,
                              page_size=args.page_size, max_pages=args.max_pages,
                              window=args.window)
        except (ConsumerError, TransferError) as exc:
            print(f"full-load: {exc} (run again with the same --transfer-id to resume)",
                  file=sys.stderr)
            return 1
        print(json.dumps(state.__dict__, ensure_ascii=False))
        return 0
    try:
        reply, stored = fetch_resident(client, store, registry, args.addressee_number)
    except ConsumerError as exc:
        print(f"fetch-resident: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"message_id": reply.request_header.message_id, "stored": stored,
                      "row": store.addressee(stored) if stored else None}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
