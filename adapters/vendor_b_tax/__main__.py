"""Vendor B's individual resident tax system (個人住民税) as a process.

``python -m adapters.vendor_b_tax serve --db vendor-b.sqlite3 [--seed] [--port 0]`` — provides
kojinjuminzei.TaxationStatusInquiry and receives juki.ResidentChangeNotice (異動通知, applied
once each to vendor B's 宛名);
``python -m adapters.vendor_b_tax fetch-resident --db vendor-b.sqlite3 --hub URL 0000010014`` —
asks the registry through the hub and keeps the resident in vendor B's layout.
"""

from __future__ import annotations

import argparse
import json
import sys

from adapters.sdk.characters import CharacterPolicy
from adapters.sdk.consumer import ConsumerClient, ConsumerError
from bus.core.header import Party

from . import GAIJI_TABLE
from .linkage import fetch_resident
from .store import TaxStore, seed

SYSTEM_ID = "vendor-b-tax"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_b_tax", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="provide TaxationStatusInquiry, receive 異動通知")
    serve.add_argument("--seed", action="store_true", help="add the demo taxation rows if empty")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    fetch = sub.add_parser("fetch-resident", help="ask the registry for a resident via the hub")
    fetch.add_argument("--hub", required=True, help="the hub's URL")
    fetch.add_argument("--registry-system", default="vendor-a-juki")
    fetch.add_argument("--user-id", default="tax-clerk-01", help="操作者ID")
    fetch.add_argument("addressee_number", help="宛名番号")
    for p in (serve, fetch):
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

        from .mapping import MappingError
        from .notices import notice_handlers
        from .service import handlers

        if args.seed:
            seed(store)
        app = ProviderApp(party, {**handlers(store), **notice_handlers(store)},
                          errors={MappingError: "VENDOR-B-DATA-ERROR"}, characters=characters)
        run_provider(app, name=args.system_id, host=args.host, port=args.port)
        return 0
    client = ConsumerClient(args.hub, party, args.user_id, characters=characters)
    registry = Party(args.local_gov_code, "01", args.registry_system)
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
