"""Fixtures of the file linkage tests."""

from tests.integration.conftest import keep  # noqa: F401  # processes stopped after a test
