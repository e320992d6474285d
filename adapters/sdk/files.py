"""File linkage for vendor systems (ファイル連携の参照実装): how to send and how to receive files
the way the hub's pickup and delivery rules expect (docs/files.md). The conformance profiles
``*.file-producer`` and ``*.file-consumer`` use these as their reference tools.

- ``write_file(folder, name, data)``: into a drop folder (or a local folder an SFTP client then
  uploads), complete only at the end: written under ``NAME.part``, fsynced, renamed.
- ``take_files(outbox, store)``: each delivered file, in the order the hub delivered it (its
  modification time, then its name), copied into the system's own store (fsynced) and only then
  removed from the outbox — the removal is the confirmation; a file already stored (a copy that
  survived a crash before the removal) is not taken twice.

- over SFTP (paramiko, ``sftp_session``; the hub's host key checked against a known_hosts
  file): ``upload(sftp, name, data)`` puts ``/inbox/NAME.part`` and renames it;
  ``take_over_sftp(sftp, store)`` lists ``/outbox`` and takes like ``take_files`` (SFTP shows
  whole-second modification times: the hub keeps them a second apart in delivery order).

    python -m adapters.sdk.files produce --out DIR [--rows N] [--code 131016]
    python -m adapters.sdk.files consume --outbox DIR --store DIR
    python -m adapters.sdk.files produce-sftp --host H --port P --user U --key KEY --known-hosts F
    python -m adapters.sdk.files consume-sftp --host H --port P --user U --key KEY --known-hosts F \
        --store DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

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


def _delivered(name: str) -> bool:
    return not name.endswith(".receipt.json") and not name.startswith(".")


def take_files(outbox: Path, store: Path) -> list[str]:
    """Every delivered file, in delivery order, stored then removed; the names taken."""
    store.mkdir(parents=True, exist_ok=True)
    files = [p for p in outbox.iterdir() if p.is_file() and _delivered(p.name)]
    taken = []
    for path in sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name)):
        target = store / path.name
        if not target.exists():  # stored before a crash that came before the removal
            write_file(store, path.name, path.read_bytes())
            taken.append(path.name)
        path.unlink()  # the confirmation
    return taken


def sftp_session(host: str, port: int, user: str, key: Path, known_hosts: Path) -> Any:
    """A paramiko SSH client logged in with ``key``, the hub's host key checked against
    ``known_hosts`` (an unknown host key is refused); ``.open_sftp()`` gives the session."""
    import paramiko  # only the SFTP tools need it (pip install paramiko)
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host, port, username=user, key_filename=str(key), allow_agent=False,
                   look_for_keys=False, timeout=30)
    return client


def upload(sftp: Any, name: str, data: bytes) -> None:
    """``/inbox/NAME``, complete when it appears: uploaded as NAME.part, then renamed."""
    import io
    sftp.putfo(io.BytesIO(data), f"/inbox/{name}.part")
    sftp.rename(f"/inbox/{name}.part", f"/inbox/{name}")


def take_over_sftp(sftp: Any, store: Path) -> list[str]:
    """``take_files`` over SFTP: each file of /outbox in delivery order (modification time,
    then name), stored (fsynced) then removed; a file stored before is not taken twice."""
    import io
    store.mkdir(parents=True, exist_ok=True)
    files = [a for a in sftp.listdir_attr("/outbox") if _delivered(a.filename)]
    taken = []
    for attrs in sorted(files, key=lambda a: (a.st_mtime, a.filename)):
        if not (store / attrs.filename).exists():
            data = io.BytesIO()
            sftp.getfo(f"/outbox/{attrs.filename}", data)
            write_file(store, attrs.filename, data.getvalue())
            taken.append(attrs.filename)
        sftp.remove(f"/outbox/{attrs.filename}")  # the confirmation
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
    for command in ("produce-sftp", "consume-sftp"):
        over = sub.add_parser(command, help=f"{command[:-5]} over the hub's SFTP server")
        over.add_argument("--host", default="127.0.0.1")
        over.add_argument("--port", type=int, required=True)
        over.add_argument("--user", required=True)
        over.add_argument("--key", type=Path, required=True)
        over.add_argument("--known-hosts", type=Path, required=True)
        if command == "produce-sftp":
            over.add_argument("--code", default="131016")
            over.add_argument("--rows", type=int, default=100)
            over.add_argument("--name", default=None)
        else:
            over.add_argument("--store", type=Path, required=True)
    args = parser.parse_args(argv)
    name = getattr(args, "name", None) or f"juki_change_{getattr(args, 'code', '')}_20261201.csv"
    if args.command == "produce":
        write_file(args.out, name, change_file(args.code, args.rows))
        print(json.dumps({"written": [name]}))
    elif args.command == "consume":
        print(json.dumps({"taken": take_files(args.outbox, args.store)}, ensure_ascii=False))
    else:
        with sftp_session(args.host, args.port, args.user, args.key, args.known_hosts) as ssh:
            sftp = ssh.open_sftp()
            if args.command == "produce-sftp":
                upload(sftp, name, change_file(args.code, args.rows))
                print(json.dumps({"written": [name]}))
            else:
                print(json.dumps({"taken": take_over_sftp(sftp, args.store)},
                                 ensure_ascii=False))
            sftp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
