"""``pfbus demo files`` runs end to end and says what happened."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from bus.cli.demo_files import change_file
from tests.integration.processes import REPO

pytestmark = pytest.mark.integration


def test_demo_files(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "demo", "files", "--workdir",
                           str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "receipt: accepted, rows 120" in out
    assert "項目5 異動年月日 [type:date]" in out and "[codelist:change_reason]" in out
    assert "receipt: duplicate of file 1" in out
    assert out.count("identical") == 2
    assert out.count("file_confirmed") == 2 and out.count("file_delivered") == 2
    # the routing log never holds the file's content: no 宛名番号 of the file in any record
    numbers = {line.split(",")[1] for line in change_file(120).decode().splitlines()[1:]}
    conn = sqlite3.connect(tmp_path / "routing-log.sqlite3")
    try:
        cells = {str(v) for row in conn.execute("SELECT * FROM hops") for v in row}
    finally:
        conn.close()
    assert not any(n in cell for n in numbers for cell in cells)
    # nothing left behind: the hub's spool and staging are empty once all is confirmed
    assert list((tmp_path / "files" / ".hub" / "spool").iterdir()) == []
    assert list((tmp_path / "files" / ".hub" / "staging").iterdir()) == []
