"""Shared fixtures: the PostgreSQL server the notice store tests use, and ``hub_of`` (a hub on
a task.Clock: tests/support/clocked_hub.py).

``postgres_dsn`` is the one place that decides whether PostgreSQL tests run: outside CI (``CI``
unset) they skip, saying so, when no server answers; under ``CI=true`` a missing server (or a
missing psycopg) fails them instead. ``postgres_schema`` gives each test its own schema, dropped
afterwards, so parallel runs and other tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.support.clocked_hub import hub_of  # noqa: F401  # a fixture: pytest finds it here

POSTGRES_DSN = os.environ.get("PFBUS_TEST_POSTGRES_DSN",
                              "postgresql://postgres@127.0.0.1:5432/test")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The DSN of a PostgreSQL server that answers (see the module doc for skip vs fail)."""
    try:
        import psycopg
    except ImportError as exc:
        if _in_ci():
            pytest.fail(f"CI is set but psycopg is not installed: {exc}")
        pytest.skip("PostgreSQL tests skipped: psycopg is not installed (not in CI: CI unset)")
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        message = f"no PostgreSQL server answers at {POSTGRES_DSN}: {str(exc).strip()}"
        if _in_ci():
            pytest.fail(f"CI is set, so PostgreSQL tests must run, but {message}")
        pytest.skip(f"PostgreSQL tests skipped (not in CI: CI unset): {message}")
    return POSTGRES_DSN


@pytest.fixture
def postgres_schema(postgres_dsn: str):
    """A fresh schema name ``pfbus_test_<hex>``; the store creates it, this drops it after."""
    import psycopg
    from psycopg import sql

    schema = f"pfbus_test_{uuid.uuid4().hex}"
    yield schema
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def postgres_url(postgres_dsn: str, postgres_schema: str) -> str:
    """A notice store URL (``[store] notices``) on a fresh schema, for hub processes."""
    return f"{postgres_dsn}?schema={postgres_schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def notice_store_url(request, tmp_path) -> str:
    """A notice store URL on each store in turn: a fresh SQLite file, a fresh PostgreSQL schema
    (skipped, saying so, outside CI when no server answers)."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'notices.db'}"
    return f"{request.getfixturevalue('postgres_dsn')}?schema=" \
           f"{request.getfixturevalue('postgres_schema')}"


def pytest_sessionfinish(session, exitstatus):
    """Stop the in-process reactor some tests run in a thread: its thread pool would otherwise
    keep the interpreter from exiting after the run."""
    import sys

    testing = sys.modules.get("adapters.sdk.testing")
    if testing is not None:
        testing.stop_reactor_thread()
