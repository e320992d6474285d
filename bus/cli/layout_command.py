"""``pfbus layout``: the 中間標準レイアウト layouts and the streaming validator.

``pfbus layout validate DIR`` validates an extract folder (manifest.json + one CSV per record
file): bytes and RFC 4180 quoting, header, column counts, every item's type, length, required,
code list, check digit (団体コード, 個人番号, 宛名番号 by the tenant's scheme) and characters
(MJ; private-use 外字 only through an agreed table), sort order, and the keys across files
(duplicates, references, 世帯員数, history against the current state). Memory stays constant
(the key index is a scratch file on disk). Findings name file, line, item and rule — never a
value. Exit status: 0 no findings, 1 findings, 2 usage (unreadable layout or config).
``pfbus layout list`` lists the layouts; ``pfbus layout show ID/VERSION`` their items.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.gaiji import GaijiTable, GaijiTableError
from ..core.identifiers import DEFAULT_ADDRESSEE_SCHEME
from ..migration import report as reports
from ..migration.items import ItemRules
from ..migration.layout import TYPE_LABELS, LayoutCatalog, LayoutError
from ..migration.manifest import read_manifest
from ..migration.validator import validate_extract
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = sub.add_parser("validate", help="validate an extract folder (streaming)")
    v.add_argument("folder", metavar="DIR", help="manifest.json and the layout's CSV files")
    v.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    v.add_argument("--html", metavar="FILE", help="also write the report as HTML")
    v.add_argument("--format", choices=("text", "json"), default="text",
                   help="what to print on standard output")
    v.add_argument("--config", metavar="FILE", help="hub config: the tenant's 宛名番号 scheme "
                   "(by the manifest's 団体コード)")
    v.add_argument("--gaiji", metavar="TSV", help="an agreed 外字 table: its private-use codes "
                   "are accepted in names (the extract still carries them)")
    v.add_argument("--max-findings", type=int, default=1000, metavar="N",
                   help="findings listed per rule and file (all are counted)")
    for p in (v, *(sub.add_parser(n, help=h) for n, h in (
            ("list", "list the layouts of the catalog"),
            ("show", "the record files and items of one layout")))):
        p.add_argument("--layouts", action="append", default=[], metavar="DIR-OR-FILE",
                       help="more layout files (an official layout dropped in); repeatable")
    sub.choices["show"].add_argument("ident", metavar="ID/VERSION", help="e.g. juki/pfbus-1")


def run(args: argparse.Namespace) -> int:
    name = "layout validate" if args.action == "validate" else "layout"
    return common.run_command(name, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    try:
        catalog = LayoutCatalog.load(args.layouts)
    except LayoutError as exc:
        raise common.CommandError(str(exc)) from None
    if args.action == "list":
        common.print_lines(common.table(("layout", "title", "files"), (
            (layout.ident, layout.title,
             ", ".join(f"{f.file} ({f.title}, {len(f.items)} items)" for f in layout.files))
            for layout in catalog)))
        return common.EXIT_OK
    if args.action == "show":
        layout_id, _, version = args.ident.partition("/")
        layout = catalog.get(layout_id, version)
        if layout is None:
            raise common.CommandError(f"no layout {args.ident}")
        for f in layout.files:
            print(f"{f.file}  {f.title}  key {'・'.join(f.key)}  order {'・'.join(f.order)}")
            common.print_lines("  " + line for line in common.table(
                ("no", "item", "type", "length", "required", "rules"),
                ((i.no, i.name, TYPE_LABELS[i.type],
                  "" if i.length is None else ("=" if i.exact else "≤") + str(i.length),
                  "必須" if i.required else "",
                  ", ".join(x for x in (i.codelist and f"code list {i.codelist}",
                                        i.identifier and f"check {i.identifier}",
                                        i.characters and f"characters {i.characters}") if x))
                 for i in f.items), right=(0,)))
        return common.EXIT_OK
    return _validate(args, catalog)


def _validate(args: argparse.Namespace, catalog: LayoutCatalog) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise common.CommandError(f"{folder}: not a folder")
    scheme = DEFAULT_ADDRESSEE_SCHEME
    try:
        gaiji = GaijiTable.load(args.gaiji).private if args.gaiji else frozenset()
        if args.config:
            config = common.hub_config(args.config)
            manifest, _ = read_manifest(folder)
            tenant = config.tenants.get(manifest.local_gov_code) if manifest else None
            if tenant is not None:
                scheme = tenant.addressee_scheme
    except GaijiTableError as exc:
        raise common.CommandError(str(exc)) from None
    report = validate_extract(folder, catalog, ItemRules(scheme, gaiji),
                              max_per_rule=args.max_findings)
    try:
        if args.json:
            Path(args.json).write_text(reports.dumps(report) + "\n", encoding="utf-8")
        if args.html:
            Path(args.html).write_text(reports.to_html(report), encoding="utf-8")
    except OSError as exc:
        raise common.CommandError(f"cannot write the report: {exc}") from None
    if args.format == "json":
        print(json.dumps(reports.to_json(report), ensure_ascii=False, indent=2))
    else:
        print("\n".join(reports.to_text(report)))
    return common.EXIT_OK if report.ok else common.EXIT_FINDINGS
