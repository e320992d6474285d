"""``pfbus chars FILE-OR-TEXT``: what each character is, and whether each receiver can store it.

For each grapheme (base character + IVS selector): its code points, its kind (JIS X 0213, MJ, MJ
through an IVS sequence, private use, unknown), its MJ文字図形名 and 縮退 candidates; then, per
receiver, what happens to it there. Receivers are the ``[[systems]]`` of ``--config`` (default:
one MJ and one JIS X 0213 receiver); a ``[[tenants]]`` column says whether names of that
municipality may carry it. ``--sender PARTY`` reads private-use characters through that system's
registered 外字 table. A FILE (an existing path) is read as UTF-8; its distinct non-ASCII
characters are listed with their first line:column. Exit status: 0, or 1 when a character would
be refused in a name (private use with no mapping, unknown); 2 on usage errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.character_config import SystemCharacters
from ..core.characters import (ATTRIBUTION, JIS, MJ, MJ_IVS, PRIVATE, CharInfo, graphemes,
                               mj_table)
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="FILE-OR-TEXT", help="a UTF-8 file, or the text itself")
    parser.add_argument("--config", metavar="FILE", help="hub config: its [[systems]] and "
                                                         "[[tenants]]")
    parser.add_argument("--sender", metavar="PARTY", help="read private-use characters with this "
                        "[[systems]] entry's 外字 table (団体コード/業務ユニット/システムID)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.epilog = f"MJ data: {ATTRIBUTION}"


def run(args: argparse.Namespace) -> int:
    return common.run_command("chars", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    systems: dict[str, SystemCharacters] = {
        "(any MJ receiver)": SystemCharacters("(any MJ receiver)", "mj"),
        "(any JIS X 0213 receiver)": SystemCharacters("(any JIS X 0213 receiver)", "jisx0213")}
    tenants: dict[str, str] = {}
    if args.config:
        config = common.hub_config(args.config)
        systems = config.systems or systems
        tenants = {f"names of {code} {t.name}": t.characters for code, t in config.tenants.items()}
    sender = systems.get(args.sender) if args.sender else None
    if args.sender and (sender is None or sender.gaiji is None):
        raise common.CommandError(f"{args.sender} has no registered 外字 table in the config")
    path = Path(args.input)
    try:
        is_file = path.is_file()
    except OSError:  # e.g. a "name" too long to be a path: it is text
        is_file = False
    try:
        text = path.read_text(encoding="utf-8-sig") if is_file else args.input
    except (OSError, UnicodeDecodeError) as exc:
        raise common.CommandError(f"{args.input}: {exc}") from None
    rows = [_row(info, where, sender, systems, tenants) for info, where in _items(text, is_file)]
    if args.format == "json":
        common.print_json(rows)
    else:
        _table(rows, [*systems, *tenants])
        print(f"\nMJ data: {ATTRIBUTION}")
    return common.EXIT_FINDINGS if any(r["refused"] for r in rows) else common.EXIT_OK


def _items(text: str, is_file: bool):
    """(CharInfo, where) per grapheme; for a file, distinct non-ASCII ones with line:column."""
    table = mj_table()
    if not is_file:
        for info in table.characters(text):
            yield info, f"{info.index}"
        return
    seen: set[str] = set()
    for line_no, line in enumerate(text.splitlines(), 1):
        column = 1
        for g in graphemes(line):
            if not g.isascii() and g not in seen:
                seen.add(g)
                yield table.classify(g, len(seen)), f"{line_no}:{column}"
            column += len(g)


def _row(info: CharInfo, where: str, sender: SystemCharacters | None,
         systems: dict[str, SystemCharacters], tenants: dict[str, str]) -> dict:
    standard = info
    via = ""
    if (info.kind == PRIVATE and sender is not None and sender.gaiji is not None
            and info.text[0] in sender.gaiji.private):
        mapped = sender.gaiji.to_standard(info.text)
        standard = mj_table().classify(mapped, info.index)
        via = f"外字 of {sender.party} = {standard.describe()}"
    refused = standard.kind not in (JIS, MJ, MJ_IVS)
    receivers: dict[str, str] = {}
    row = {"at": where, "char": info.text if info.kind != PRIVATE else "", "codepoints":
           info.codepoints, "kind": info.kind, "mj": standard.mj, "shrink": standard.shrink,
           "note": via or info.note, "refused": refused, "receivers": receivers}
    for name, system in systems.items():
        receivers[name] = _at_receiver(standard, system)
    for name, repertoire in tenants.items():
        allowed = (JIS,) if repertoire == "jisx0213" else (JIS, MJ, MJ_IVS)
        receivers[name] = "accepted" if standard.kind in allowed else (
            f"refused ({repertoire})")
    return row


def _at_receiver(c: CharInfo, system: SystemCharacters) -> str:
    if c.kind == PRIVATE:
        return "no: 外字 without a table"
    if c.kind not in (JIS, MJ, MJ_IVS):
        return "no: unknown"
    if system.gaiji is not None and c.text in system.gaiji.standard:
        return f"as its 外字 U+{ord(system.gaiji.from_standard(c.text)):04X}"
    if c.kind == JIS or system.characters == "mj":
        return "yes"
    return f"縮退 → {c.substitute()}"


def _table(rows: list[dict], receivers: list[str]) -> None:
    head = ["at", "char", "code points", "kind", "MJ", "縮退", *receivers]
    common.print_lines(common.table(head, ([
        r["at"], r["char"], r["codepoints"], r["kind"], r["mj"] or "-", r["shrink"] or "-",
        *(r["receivers"][n] for n in receivers)] for r in rows)))
    for r in rows:
        if r["note"]:
            print(f"  {r['at']}: {r['codepoints']}: {r['note']}")
