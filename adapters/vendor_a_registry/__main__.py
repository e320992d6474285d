"""Vendor A's resident registry (住民基本台帳) as a provider process.

``python -m adapters.vendor_a_registry --db vendor-a.sqlite3 [--seed] [--port 0]``
"""

from __future__ import annotations

import argparse

from adapters.sdk.provider import ProviderApp
from adapters.sdk.runner import run_provider
from adapters.sdk.characters import CharacterPolicy
from bus.core.header import Party

from . import GAIJI_TABLE

from .mapping import MappingError
from .service import handlers
from .store import RegistryStore, UnknownExtract, seed

SYSTEM_ID = "vendor-a-juki"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_a_registry",
                                     description=__doc__)
    parser.add_argument("--db", required=True, help="vendor A's own SQLite store")
    parser.add_argument("--seed", action="store_true", help="add the demo residents if empty")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--local-gov-code", default="131016", help="団体コード it serves")
    parser.add_argument("--system-id", default=SYSTEM_ID)
    parser.add_argument("--gaiji", default=str(GAIJI_TABLE), metavar="TSV",
                        help="vendor A's 外字 table (code → MJ文字図形名); '' for none")
    args = parser.parse_args(argv)
    store = RegistryStore.open(args.db, local_gov_code=args.local_gov_code)
    if args.seed and not store.residents():
        seed(store)
    party = Party(args.local_gov_code, "01", args.system_id)
    characters = CharacterPolicy(args.gaiji or None)  # its 外字 leave as MJ characters
    app = ProviderApp(party, handlers(store),
                      errors={UnknownExtract: "VENDOR-A-EXTRACT-UNKNOWN",
                              MappingError: "VENDOR-A-DATA-ERROR"}, characters=characters)
    run_provider(app, name=args.system_id, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
