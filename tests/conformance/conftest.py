"""Fixtures the suite's test modules share: the suite as loaded from conformance/, and the
in-process reference adapters (one set per module, closed at its end)."""

from __future__ import annotations

import pytest

from conformance.model import Suite

from .references import References


@pytest.fixture(scope="module")
def suite():
    return Suite.load()


@pytest.fixture(scope="module")
def refs():
    r = References()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _close_the_tests_servers(request):
    """The servers a test started on the module's ``refs`` (its faulty variants) close at its end."""
    if "refs" not in request.fixturenames:
        yield
        return
    close = request.getfixturevalue("refs").closer_of_new_servers()
    yield
    close()


@pytest.fixture
def indie_process(tmp_path):
    """Start the independent adapter as a process — ``start(role, defect)`` — closed after the
    test (the batch tests that need its HTTP front end: chunking, connections, the Date)."""
    from .independent.process import IndependentAdapter

    started: list[IndependentAdapter] = []

    def start(role: str, defect: str | None) -> IndependentAdapter:
        started.append(IndependentAdapter(role, tmp_path, system_id="indie", defect=defect))
        return started[-1]
    yield start
    for adapter in started:
        adapter.close()

