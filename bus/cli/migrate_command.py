"""``pfbus migrate reconcile OLD NEW``: compare the old system's extract with the new one's.

Prints per record file the row counts, how many per-item checksums agree, the differences by
kind (missing / extra records, value differences, character changes) and every character change
by MJ文字図形名, then a verdict; ``--list N`` lists the first N differences by file, line in each
extract and item. Nothing printed carries a value or a key. Exit status: 0 equal (character
changes allowed unless --strict), 1 different, 2 usage. Exporting and importing are the vendors'
tools, built on the SDK (``adapters.sdk.migration``; the reference ones:
``python -m adapters.vendor_a_registry.migration export`` and
``python -m adapters.vendor_b_tax.registry import``).
"""

from __future__ import annotations

import argparse
import json

from ..migration.layout import LayoutCatalog, LayoutError
from ..migration.reconcile import ReconcileError, reconcile, summary
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    r = sub.add_parser("reconcile", help="compare two extracts of the same layout")
    r.add_argument("old", metavar="OLD", help="the old system's extract folder")
    r.add_argument("new", metavar="NEW", help="the new system's extract folder")
    r.add_argument("--layouts", action="append", default=[], metavar="DIR-OR-FILE")
    r.add_argument("--list", type=int, default=20, metavar="N",
                   help="differences to list (by position, never by value)")
    r.add_argument("--strict", action="store_true",
                   help="character changes count as differences too")
    r.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    return common.run_command("migrate reconcile", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    try:
        result = reconcile(args.old, args.new, LayoutCatalog.load(args.layouts),
                           limit=max(args.list, 0))
    except (ReconcileError, LayoutError) as exc:
        raise common.CommandError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(summary(result)))
        for d in result.differences[:args.list]:
            print(f"  {d}")
    ok = result.identical if args.strict else result.equal
    return common.EXIT_OK if ok else common.EXIT_FINDINGS
