"""Building a schema model after a module declared a zope interface on a collections.abc
subclass (twisted.internet.testing does, for EventLoggingObserver): xmlschema 4.3 alone failed
with ``AttributeError: __provides__`` — the hub's catalog could not load in such a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalog_loads_after_twisted_internet_testing_is_imported():
    # A process of its own: the import changes collections.abc for the rest of the process.
    code = ("import twisted.internet.testing\n"
            "from bus.core.catalog import BUILTIN_CATALOG, Catalog\n"
            "print(len(Catalog.load([BUILTIN_CATALOG]).services))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout) >= 5
