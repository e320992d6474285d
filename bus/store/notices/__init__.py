"""Durable store-and-forward of one-way notices (異動通知): one interface, SQLite and PostgreSQL.

``open_notice_store(url)`` picks the store from the hub's configuration:

- ``sqlite:PATH`` — embedded (the default deployment); PATH is used as given, so a relative path
  is relative to the hub's working directory;
- ``postgresql://…`` (or ``postgres://…``) — shared by several hub processes; an optional
  ``?schema=name`` selects the schema (default ``pfbus``), every other parameter goes to libpq.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .base import NoticeStore
from .group_commit import NoticeStoreError, check_notice

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def open_notice_store(url: str, *, readonly: bool = False) -> NoticeStore:
    """Open (creating and migrating if needed) the store named by ``url``; see the module doc.
    ``readonly``: only an existing store, read in read-only mode (NoticeStoreError if none)."""
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
        if not path:
            raise ValueError("notice store URL 'sqlite:' needs a path, e.g. sqlite:var/notices.db")
        from .sqlite_store import SqliteNoticeStore
        return SqliteNoticeStore(path, readonly=readonly)
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schemas = [value for key, value in query if key == "schema"]
        if len(schemas) > 1:
            raise ValueError(f"notice store URL gives ?schema= {len(schemas)} times")
        schema = schemas[0] if schemas else "pfbus"
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError(f"notice store schema {schema!r}: use lower-case letters, digits "
                             f"and _ (at most 63, not starting with a digit)")
        # libpq refuses parameters it does not know: hand it the URL without ours.
        dsn = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query
                                                         if k != "schema"])))
        from .postgres_store import PostgresNoticeStore
        return PostgresNoticeStore(dsn, schema=schema, readonly=readonly)
    shown = re.sub(r"//[^@/]*@", "//…@", url)  # never echo a password into a log
    raise ValueError(f"unknown notice store URL {shown!r}: expected sqlite:PATH or "
                     f"postgresql://user@host/db[?schema=name]")


__all__ = ["NoticeStoreError", "check_notice", "open_notice_store"]
