"""The delivery ledger on PostgreSQL (``[files] ledger = "postgresql://…?schema=NAME"``): the same
tables and statements as on SQLite (``ledger.FileLedger``), in its own schema (default
``pfbus_files``). Every statement commits before it returns (autocommit), the verdict with its
deliveries in one explicit transaction — the same steps the pipeline's crash safety relies on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..core.pg_url import split_url
from .ledger import SCHEMA, FileLedger, TxLike


def _placeholders(sql: str) -> str:
    return sql.replace("?", "%s")


class _PostgresTx:
    def __init__(self, conn: Any):
        self._pg = conn

    def execute(self, sql: str, params: tuple = ()) -> None:
        self._pg.execute(_placeholders(sql), params)

    def one(self, sql: str, params: tuple = ()) -> Any:
        return self._pg.execute(_placeholders(sql), params).fetchone()[0]


class PostgresFileLedger(FileLedger):
    SERIAL = "BIGSERIAL PRIMARY KEY"

    def __init__(self, url: str):  # noqa: D107 - FileLedger's interface, another connection
        import psycopg
        from psycopg import sql

        dsn, schema = split_url(url, "pfbus_files", "file ledger")
        self.path = None  # type: ignore[assignment]  # no file
        self.schema = schema
        self._lock = threading.Lock()
        self._pg: Any = psycopg.connect(dsn, autocommit=True)
        with self._pg.transaction():
            self._pg.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(schema)))
            self._pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            for statement in SCHEMA.format(serial=self.SERIAL).split(";"):
                if statement.strip():
                    self._pg.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._pg.close()

    def _write(self, sql: str, params: tuple = ()) -> None:
        with self._lock:
            self._pg.execute(_placeholders(sql), params)

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._pg.execute(_placeholders(sql), params).fetchall()

    def _insert(self, sql: str, params: tuple) -> int:
        with self._lock:
            row = self._pg.execute(_placeholders(sql) + " RETURNING id", params).fetchone()
            return int(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[TxLike]:
        with self._lock, self._pg.transaction():
            yield _PostgresTx(self._pg)
