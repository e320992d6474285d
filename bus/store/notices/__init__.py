"""Durable store-and-forward of one-way notices (異動通知): one interface, SQLite and PostgreSQL.

``open_notice_store(url)`` picks the store from the hub's configuration:

- ``sqlite:PATH`` — embedded (the default deployment); PATH is used as given, so a relative path
  is relative to the hub's working directory;
- ``postgresql://…`` (or ``postgres://…``) — shared by several hub processes; an optional
  ``?schema=name`` selects the schema (default ``pfbus``), every other parameter goes to libpq.
"""

from __future__ import annotations

from ...core.pg_url import is_postgres, redacted, split_url
from .base import NoticeStore
from .group_commit import NoticeStoreError, check_notice



def open_notice_store(url: str, *, readonly: bool = False) -> NoticeStore:
    """Open (creating and migrating if needed) the store named by ``url``; see the module doc.
    ``readonly``: only an existing store, read in read-only mode (NoticeStoreError if none)."""
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
        if not path:
            raise ValueError("notice store URL 'sqlite:' needs a path, e.g. sqlite:var/notices.db")
        from .sqlite_store import SqliteNoticeStore
        return SqliteNoticeStore(path, readonly=readonly)
    if is_postgres(url):
        dsn, schema = split_url(url, "pfbus", "notice store")
        from .postgres_store import PostgresNoticeStore
        return PostgresNoticeStore(dsn, schema=schema, readonly=readonly)
    raise ValueError(f"unknown notice store URL {redacted(url)!r}: expected sqlite:PATH or "
                     f"postgresql://user@host/db[?schema=name]")


__all__ = ["NoticeStoreError", "check_notice", "open_notice_store"]
