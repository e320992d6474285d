"""Command lines for a vendor's migration tools, built on ``adapters.sdk.migration``.

A vendor's exporter and importer modules call ``export_main`` / ``import_main`` with a factory
for their ``Exporter`` / ``Importer``; the options (外字 table, repertoire, batch size, dry run,
pause between batches) and the output (one JSON object: files, rows, character changes by
MJ文字図形名 — never a value) are the same for every vendor. Exit status: 0 done, 1 the
migration stopped (the message says where; an import run again resumes), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from bus.core.gaiji import GaijiTable, GaijiTableError
from bus.migration.layout import LayoutCatalog, LayoutError
from bus.migration.manifest import Manifest, read_manifest
from bus.migration.validator import validate_extract

from .migration import (Exporter, Importer, MigrationError, TargetCharacters, character_summary,
                        export_extract, import_extract)


def _common(parser: argparse.ArgumentParser, gaiji_default: str | None) -> None:
    parser.add_argument("--db", required=True, help="the vendor's own database")
    parser.add_argument("--gaiji", default=gaiji_default or "", metavar="TSV",
                        help="the vendor's 外字 table (code → MJ文字図形名); '' for none")
    parser.add_argument("--layouts", action="append", default=[], metavar="DIR-OR-FILE",
                        help="more layout files (an official layout dropped in)")


def _gaiji(path: str) -> GaijiTable | None:
    return GaijiTable.load(path) if path else None


def export_main(argv: list[str] | None, make: Callable[[argparse.Namespace], Exporter], *,
                prog: str, gaiji_default: str | None = None,
                extra: Callable[[argparse.ArgumentParser], None] | None = None,
                fills_new_db: Callable[[argparse.Namespace], bool] = lambda ns: False) -> int:
    """An export reads the vendor's existing database: a missing ``--db`` is an error naming
    it (exit 2), never a new empty database exported as an empty registry — unless
    ``fills_new_db(args)`` says the command fills it first (demo seeding)."""
    parser = argparse.ArgumentParser(prog=prog, description="データ抽出: export to the "
                                     "中間標準レイアウト (CSV + manifest.json)")
    _common(parser, gaiji_default)
    parser.add_argument("--out", required=True, metavar="DIR", help="the extract folder")
    if extra:
        extra(parser)
    args = parser.parse_args(argv)
    if not Path(args.db).is_file() and not fills_new_db(args):
        print(f"{prog}: {args.db}: no such database", file=sys.stderr)
        return 2
    try:
        catalog = LayoutCatalog.load(args.layouts)
        result = export_extract(make(args), args.out, gaiji=_gaiji(args.gaiji), catalog=catalog)
    except (GaijiTableError, LayoutError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except MigrationError as exc:
        print(f"{prog}: export stopped: {exc}", file=sys.stderr)
        return 1
    m = result.manifest
    print(json.dumps({"event": "export.done", "folder": str(result.folder),
                      "layout": f"{m.layout}/{m.version}",
                      "files": {n: e.rows for n, e in m.files.items()},
                      "seconds": round(result.seconds, 3),
                      "per_100k": [w.to_json() for w in result.per_100k],
                      "character_changes": character_summary(m.character_changes)},
                     ensure_ascii=False))
    return 0


def import_main(argv: list[str] | None,
                make: Callable[[argparse.Namespace, Manifest], Importer], *, prog: str,
                gaiji_default: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description="データ取込: validate, then load a "
                                     "中間標準レイアウト extract; run again to resume")
    _common(parser, gaiji_default)
    parser.add_argument("folder", metavar="DIR", help="the extract folder")
    parser.add_argument("--characters", choices=("mj", "jisx0213"), default="mj",
                        help="what the target stores: MJ, or only JIS X 0213 (縮退, the "
                             "registered form kept alongside)")
    parser.add_argument("--batch-rows", type=int, default=2000, metavar="N",
                        help="rows per transaction (whole households: a batch may exceed it)")
    parser.add_argument("--dry-run", action="store_true",
                        help="read, convert and count everything; write nothing")
    parser.add_argument("--pause", type=float, default=0.0, metavar="S",
                        help="seconds between batches (spares a live database)")
    parser.add_argument("--no-validate", action="store_true",
                        help="skip the layout validation done before loading (when the extract "
                             "was just validated with pfbus layout validate)")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    manifest, problems = read_manifest(folder)
    if manifest is None:
        print(f"{prog}: {'; '.join(str(p) for p in problems)}", file=sys.stderr)
        return 2
    try:
        catalog = LayoutCatalog.load(args.layouts)
        characters = TargetCharacters(_gaiji(args.gaiji), args.characters)
        if not args.no_validate:
            report = validate_extract(folder, catalog)
            if not report.ok:
                for finding in report.findings[:20]:
                    print(f"{prog}: {finding}", file=sys.stderr)
                print(f"{prog}: the extract does not pass the layout validation "
                      f"({sum(report.counts.values())} findings); nothing was loaded",
                      file=sys.stderr)
                return 1
        result = import_extract(folder, make(args, manifest), characters=characters,
                                batch_rows=args.batch_rows, dry_run=args.dry_run,
                                catalog=catalog, pause=args.pause)
    except (GaijiTableError, LayoutError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except MigrationError as exc:
        print(f"{prog}: import stopped: {exc} (nothing of the failed batch was written; fix "
              "and run again to resume)", file=sys.stderr)
        return 1
    out = result.to_json()
    out["character_changes"] = character_summary(result.changes)
    out["per_100k"] = [w.to_json() for w in result.per_100k]  # [file, wall s, CPU s]
    print(json.dumps({"event": "import.done", **out}, ensure_ascii=False))
    return 0
