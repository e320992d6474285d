"""What the kernel says of a listening socket (``ss``, iproute2)."""

from __future__ import annotations

import subprocess


def listen_backlog(port: int) -> int:
    """The accept-queue size of the TCP socket listening on loopback ``port``: for a listening
    socket ``ss -ltn`` shows it as Send-Q (the ``backlog`` given to listen(), capped by
    net.core.somaxconn)."""
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    if len(rows) != 1:
        raise AssertionError(f"expected one socket listening on port {port}, ss shows {out!r}")
    state, _recv_q, send_q = rows[0][:3]
    assert state == "LISTEN", rows[0]
    return int(send_q)


def somaxconn() -> int:
    with open("/proc/sys/net/core/somaxconn", encoding="ascii") as f:
        return int(f.read())
