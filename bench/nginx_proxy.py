"""nginx as a pure reverse proxy in front of the benchmark's provider: what a proxy costs that
does nothing with the message (no parsing, validation, routing log), for the side by side with
the hub (``hub_vs_direct.py --nginx``).

Run as a child of the benchmark (``daemon off``) with a generated configuration in the run's
temporary directory: one worker process (the hub is one process too), 127.0.0.1 only, keep-alive
connections to the provider (``keepalive 64``, HTTP/1.1), answers buffered in memory up to 16 MB
and never spooled to disk, no access log. Debian package ``nginx-light``.
"""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

from procs import Child

CONFIG = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    client_max_body_size 16m;
    client_body_buffer_size 64k;
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    proxy_buffer_size 16k;
    proxy_buffers 1024 16k;
    proxy_busy_buffers_size 64k;
    proxy_max_temp_file_size 0;
    upstream provider {{
        server {upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=1024;
        location / {{
            proxy_pass http://provider{path};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 10s;
        }}
    }}
}}
"""


def available() -> bool:
    return shutil.which("nginx") is not None


def start(workdir: Path, upstream_url: str, timeout: float = 15.0) -> tuple[Child, str]:
    """nginx proxying every path to ``upstream_url``; the process and the URL to load."""
    rest = upstream_url.removeprefix("http://")
    upstream, _, path = rest.partition("/")
    with socket.socket() as s:  # a free port: nginx cannot report one it chose itself
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = workdir / "nginx.conf"
    conf.write_text(CONFIG.format(tmp=workdir, upstream=upstream, path="/" + path, port=port),
                    "utf-8")
    child = Child("nginx", ["nginx", "-e", str(workdir / "nginx-error.log"), "-c", str(conf),
                            "-p", str(workdir), "-g", "daemon off;"], workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.popen.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{child.log.read_text('utf-8', 'replace')}"
                               f"{(workdir / 'nginx-error.log').read_text('utf-8', 'replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return child, f"http://127.0.0.1:{port}/soap"
        except OSError:
            time.sleep(0.05)
    child.stop()
    raise RuntimeError("nginx did not listen")
