"""Files made read-only for real (``chattr +i``: even root cannot write them), for the tests that
take a store's writing away from a running hub."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def chattr(flag: str, *paths: Path) -> None:
    for p in paths:
        subprocess.run(["chattr", flag, str(p)], check=True, capture_output=True)


def require_chattr(folder: Path) -> None:
    """Skip (outside CI only, saying why) when ``chattr +i`` is not permitted on ``folder``."""
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("chattr +i is not permitted here; the test needs it in CI")
        pytest.skip("chattr +i not permitted (not root, or the filesystem lacks it)")
    chattr("-i", folder)
