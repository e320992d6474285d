"""File linkage for vendor systems (ファイル連携の参照実装): how to send and how to receive files
the way the hub's pickup and delivery rules expect (docs/files.md). The conformance profiles
``*.file-producer`` and ``*.file-consumer`` use these as their reference tools.

- ``write_file(folder, name, data)``: into a drop folder (or a local folder an SFTP client then
  uploads), complete only at the end: written under ``NAME.part``, fsynced, renamed.
- ``take_files(outbox, store)``: each delivered file, in the order the hub delivered it (its
  modification time, then its name), copied into the system's own store (fsynced) and only then
  removed from the outbox — the removal is the confirmation; a file already stored (a copy that
  survived a crash before the removal) is not taken twice.

    python -m adapters.sdk.files produce --out DIR [--rows N] [--code 131016]
    python -m adapters.sdk.files consume --outbox DIR --store DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bus.core.identifiers import Modulus11Scheme

CHANGE_HEADER = ("団体コード,宛名番号,異動連番,異動事由,異動年月日,届出年月日,異動後住民状態,"
                 "異動後世帯番号")


def change_file(code: str, rows: int, start: int = 1) -> bytes:
    """A juki-change (異動履歴) file of synthetic 転居 rows, valid and sorted."""
    scheme = Modulus11Scheme()

    def number(n: int) -> str:
        body = f"{n:09d}"
        return body + str(scheme.check_digit(body))
    lines = [CHANGE_HEADER] + [f"{code},{number(i)},1,C01,20261201,20261202,1,"
                               f"{number(i + 500000)}" for i in range(start, start + rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_file(folder: Path, name: str, data: bytes) -> Path:
    """``data`` as ``folder/name``, complete when it appears (temporary name, fsync, rename)."""
    part = folder / f"{name}.part"
    with part.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    target = folder / name
    os.rename(part, target)
    return target


def take_files(outbox: Path, store: Path) -> list[str]:
    """Every delivered file, in delivery order, stored then removed; the names taken."""
    store.mkdir(parents=True, exist_ok=True)
    files = [p for p in outbox.iterdir() if p.is_file() and not p.name.endswith(".receipt.json")
             and not p.name.startswith(".")]
    taken = []
    for path in sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name)):
        target = store / path.name
        if not target.exists():  # stored before a crash that came before the removal
            write_file(store, path.name, path.read_bytes())
            taken.append(path.name)
        path.unlink()  # the confirmation
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.sdk.files")
    sub = parser.add_subparsers(dest="command", required=True)
    produce = sub.add_parser("produce", help="write a juki-change file into --out")
    produce.add_argument("--out", type=Path, required=True)
    produce.add_argument("--code", default="131016")
    produce.add_argument("--rows", type=int, default=100)
    produce.add_argument("--name", default=None)
    consume = sub.add_parser("consume", help="take the delivered files of --outbox")
    consume.add_argument("--outbox", type=Path, required=True)
    consume.add_argument("--store", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "produce":
        name = args.name or f"juki_change_{args.code}_20261201.csv"
        write_file(args.out, name, change_file(args.code, args.rows))
        print(json.dumps({"written": [name]}))
    else:
        print(json.dumps({"taken": take_files(args.outbox, args.store)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
