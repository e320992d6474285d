"""What every ``pfbus`` command shares: loading ``--config``, exit statuses, errors on stderr,
opening stores read-only, ONE table renderer and JSON output.

Exit statuses: 0 done (or found), 1 findings (or nothing found), 2 usage, configuration or
file error; a command may add its own above 2 (``queue``: 3, dead letters). Errors print as
``pfbus COMMAND: error: MESSAGE`` — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..core.config import HubConfig, load_config
from ..core.settings import SettingsError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """Ends a command: the message on stderr, ``exit_code`` as its status."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code


def run_command(name: str, body: Callable[[], int]) -> int:
    """``body()``'s status; a CommandError or a configuration error becomes its message on
    stderr and its exit status (a closed stdout, ``| head``, is handled in main.py)."""
    try:
        return body()
    except (CommandError, SettingsError) as exc:
        print(f"pfbus {name}: error: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, CommandError) else EXIT_USAGE


def add_config_argument(parser: argparse.ArgumentParser, required: bool = True,
                        help: str = "hub TOML configuration", **kwargs: Any) -> None:
    parser.add_argument("--config", required=required, metavar="FILE", help=help, **kwargs)


def hub_config(path: str | Path) -> HubConfig:
    """The hub configuration; a ConfigError names the file and the key (exit 2)."""
    return load_config(path)


# -- stores, opened read-only --------------------------------------------------------------------

def notice_store_readonly(config: HubConfig):
    """The ``[store] notices`` store, read-only: a missing store is an error naming it."""
    from ..store.notices import open_notice_store

    if not config.notice_store:
        raise CommandError(f"{config.path}: store.notices: no notice store configured")
    try:
        return open_notice_store(config.notice_store, readonly=True)
    except Exception as exc:  # NoticeStoreError, ValueError, psycopg's errors: say, not trace
        raise CommandError(_store_problem(exc)) from None


def notice_store_writable(config: HubConfig):
    """The ``[store] notices`` store for an operator's change (dlq replay, purge); call it once
    ``notice_store_readonly`` has shown that the store exists."""
    from ..store.notices import open_notice_store

    assert config.notice_store
    try:
        return open_notice_store(config.notice_store)
    except Exception as exc:
        raise CommandError(_store_problem(exc)) from None


def routing_log_existing(config):
    """The hub's routing log (``[store] routing_log``) for recording an operator's action, in
    the chain of the config's ``[hub] node_id``: it must exist already (an operator's command
    never starts a new, empty log beside the hub's)."""
    from ..store.routing_log import RoutingLogError, is_postgres, open_routing_log

    location = config.routing_log_location
    if not is_postgres(location) and not Path(location).is_file():
        raise CommandError(f"{location}: no such routing log")
    try:
        if is_postgres(location):
            open_routing_log(location, readonly=True).close()  # exists: never a new schema
        return open_routing_log(location, node=config.node_id)
    except RoutingLogError as exc:
        raise CommandError(str(exc)) from None


def store_errors() -> tuple[type[BaseException], ...]:
    """What opening the hub's stores raises when a file or a server cannot be used."""
    import sqlite3

    from ..store.archive import ArchiveError
    from ..store.migrations import SchemaVersionError
    from ..store.notices import NoticeStoreError
    from ..store.routing_log import RoutingLogError

    # OSError: a store's folder that cannot be created (a typo in a path, a read-only mount)
    errors: tuple[type[BaseException], ...] = (RoutingLogError, NoticeStoreError, ArchiveError,
                                               SchemaVersionError, sqlite3.Error, OSError)
    try:
        import psycopg
    except ImportError:  # the PostgreSQL extra is not installed: no such store in use
        return errors
    return (*errors, psycopg.Error)


def _store_problem(exc: Exception) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text if exc.__class__.__module__.startswith("bus.") else \
        f"notice store: {exc.__class__.__name__}: {text}"


# -- output ----------------------------------------------------------------------------------------

def text_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two; combining marks,
    variation selectors (異体字 IVS) and format characters none."""
    width = 0
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return width


def fit(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` columns, ending with … when cut."""
    if limit is None or text_width(text) <= limit:
        return text
    while text and text_width(text) > limit - 1:
        text = text[:-1]
    return text + "…"


def table(headings: Sequence[str], rows: Iterable[Sequence[object]], *,
          right: Iterable[int] = (), limits: Sequence[int | None] | None = None,
          rule: bool = True) -> list[str]:
    """Lines of an aligned table (two spaces between columns, trailing blanks cut); ``right``:
    the indexes of right-aligned columns; ``limits``: the most columns a cell may take."""
    right = set(right)
    cells = [[fit("" if v is None else str(v), limits[i] if limits else None)
              for i, v in enumerate(row)] for row in rows]
    widths = [max(text_width(text) for text in column)
              for column in zip(headings, *cells, strict=False)]
    lines = [list(headings), *([["-" * w for w in widths]] if rule else []), *cells]
    return ["  ".join(_pad(text, w, i in right) for i, (text, w)
                      in enumerate(zip(line, widths, strict=True))).rstrip() for line in lines]


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - text_width(text))
    return fill + text if right else text + fill


def json_text(items: Iterable[Any]) -> str:
    """ONE JSON document: an array, one element per line (``[]`` when empty)."""
    parts = [json.dumps(item, ensure_ascii=False, default=str) for item in items]
    return "[" + ",\n ".join(parts) + "]\n" if parts else "[]\n"


def print_json(items: Iterable[Any]) -> None:
    sys.stdout.write(json_text(items))
    sys.stdout.flush()


def print_lines(lines: Iterable[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
