"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def keep():
    """Register processes a test starts; they are stopped after it, last started first."""
    started = []

    def keep(process):
        started.append(process)
        return process

    yield keep
    for p in reversed(started):
        p.stop()
