"""Vendor C's national health insurance system (国民健康保険) as a process.

``python -m adapters.vendor_c_kokuho serve --db vendor-c.sqlite3 [--seed] [--port 0]`` — provides
kokuho.QualificationInquiry (資格照会) and receives juki.ResidentChangeNotice (異動通知, applied
once each to vendor C's 被保険者). Prints ``{"event": "adapter.listening", …}`` once bound.
"""

from __future__ import annotations

import argparse
import sys

from adapters.sdk.runner import add_backlog_option
from bus.core.header import Party

from .store import DEMO_INSURER_NUMBER, KokuhoStore, seed

SYSTEM_ID = "vendor-c-kokuho"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_c_kokuho", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="provide 資格照会, receive 異動通知")
    serve.add_argument("--db", required=True, help="vendor C's own SQLite store")
    serve.add_argument("--seed", action="store_true", help="add the demo 被保険者 rows")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--local-gov-code", default="131016", help="団体コード")
    serve.add_argument("--insurer-number", default=DEMO_INSURER_NUMBER, help="保険者番号")
    serve.add_argument("--system-id", default=SYSTEM_ID)
    add_backlog_option(serve)
    args = parser.parse_args(argv)

    from adapters.sdk.provider import ProviderApp
    from adapters.sdk.runner import run_provider

    from .notices import notice_handlers
    from .service import ERRORS, handlers

    store = KokuhoStore.open(args.db, local_gov_code=args.local_gov_code,
                             insurer_number=args.insurer_number)
    if args.seed:
        seed(store)
    party = Party(args.local_gov_code, "11", args.system_id)
    app = ProviderApp(party, {**handlers(store), **notice_handlers(store)},
                      errors=ERRORS)
    run_provider(app, name=args.system_id, host=args.host, port=args.port,
                 backlog=args.backlog)
    return 0


if __name__ == "__main__":
    sys.exit(main())
