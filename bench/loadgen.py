"""Closed-loop HTTP load generators for the benchmarks: wrk, or Python processes.

Both keep ``conns`` keep-alive connections busy for ``seconds``, POST the same body on each —
with a fresh MessageId and SentAt every time (``fresh``: the hub refuses a replayed MessageId
and a stale SentAt; the slots keep their length, so Content-Length does not change) — and
count as an error every answer that is not HTTP 200 containing ``expect`` (and every socket
error or timeout). Both return ``{"requests", "seconds", "errors", "p50", "p95", "p99"}``, latencies in
milliseconds.

- wrk (apt package ``wrk``): C, epoll; a Lua script checks each answer.
- Python: one process per share of the connections, each running asyncio clients with a minimal
  HTTP/1.1 reader (Content-Length or chunked). Processes, not threads: one interpreter's GIL would
  make the client the bottleneck.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

CONTENT_TYPE = "text/xml; charset=utf-8"
# Placeholders a body carries where each request gets its own values (same lengths).
MESSAGE_ID_SLOT = "00000000-0000-4000-8000-000000000000"
SENT_AT_SLOT = "2000-01-01T00:00:00+09:00"
_JST = dt.timezone(dt.timedelta(hours=9))


def fresh(body: bytes) -> bytes:
    """``body`` with a new MessageId and the current SentAt (JST) in the slots."""
    now = dt.datetime.now(_JST).replace(microsecond=0).isoformat().encode()
    return body.replace(MESSAGE_ID_SLOT.encode(), str(uuid.uuid4()).encode(), 1).replace(
        SENT_AT_SLOT.encode(), now, 1)


WRK_SCRIPT = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "@CTYPE@"
local body = [==[@BODY@]==]
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("tid", #threads) end
function init(args)
  ok, bad, n = 0, 0, 0
  -- the stream number: wrk runs started in the same second draw MessageIds of their own
  math.randomseed(os.time() * 1000 + tid + 100 * @STREAM@)
  run = math.random(0, 0x7fffffff)
end
-- every request: its own MessageId (run, thread, counter) and the current SentAt (JST)
function request()
  n = n + 1
  local mid = string.format("%08x-%04x-4%03x-8%03x-%06x%06x", run, tid % 0x10000, 0, 0,
                            math.floor(n / 0x1000000) % 0x1000000, n % 0x1000000)
  local sent = os.date("!%Y-%m-%dT%H:%M:%S", os.time() + 32400) .. "+09:00"
  local b = body:gsub("@MID_SLOT@", mid, 1):gsub("@SENT_SLOT@", sent, 1)
  return wrk.format(nil, nil, nil, b)
end
function response(status, headers, body)
  if status == 200 and body:find("@EXPECT@", 1, true) then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local good, wrong = 0, 0
  for _, t in ipairs(threads) do good = good + t:get("ok"); wrong = wrong + t:get("bad") end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "seconds": %f, "ok": %d, "bad": %d, ' ..
    '"socket_errors": %d, "p50": %f, "p95": %f, "p99": %f}\\n', summary.requests,
    summary.duration / 1e6, good, wrong, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""


def run_wrk(url: str, body: bytes, expect: str, conns: int, seconds: float,
            workdir: Path, stream: int = 0) -> dict:
    """``stream``: a number of its own for each wrk run at the same time (its MessageIds)."""
    script = workdir / "post.lua"
    script.write_text(WRK_SCRIPT.replace("@BODY@", body.decode("utf-8"))
                      .replace("@EXPECT@", expect).replace("@CTYPE@", CONTENT_TYPE)
                      .replace("@MID_SLOT@", MESSAGE_ID_SLOT.replace("-", "%-"))
                      .replace("@SENT_SLOT@", SENT_AT_SLOT.replace("-", "%-")
                               .replace("+", "%+")).replace("@STREAM@", str(stream)), "utf-8")
    threads = min(conns, os.cpu_count() or 1)
    seconds = max(1, round(seconds))  # wrk takes whole seconds
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout",
                           "10s", "-s", str(script), url], capture_output=True, text=True,
                          timeout=seconds + 60)
    if done.returncode != 0 or "WRKJSON" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    doc = json.loads(done.stdout.split("WRKJSON", 1)[1])
    return {"requests": doc["requests"], "seconds": doc["seconds"],
            "errors": doc["bad"] + doc["socket_errors"], "p50": doc["p50"], "p95": doc["p95"],
            "p99": doc["p99"]}


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts = []
    while size := int((await reader.readline()).split(b";")[0], 16):
        parts.append((await reader.readexactly(size + 2))[:-2])
    while await reader.readline() not in (b"\r\n", b""):  # trailers
        pass
    return status, b"".join(parts)


async def _connections(url: str, body: bytes, expect_text: str, conns: int,
                       seconds: float) -> tuple[list, int]:
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    head = (f"POST /{path} HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    expect = expect_text.encode()
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = 0

    async def one() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            try:
                reader, writer = await asyncio.open_connection(host, int(port))
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    writer.write(head + fresh(body))
                    status, answer = await asyncio.wait_for(_read_response(reader), 10)
                    latencies.append(time.perf_counter() - started)
                    errors += status != 200 or expect not in answer
                writer.close()
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError,
                    IndexError):
                errors += 1
                await asyncio.sleep(0.01)  # no busy loop against a refusing port

    await asyncio.gather(*(one() for _ in range(conns)))
    return latencies, errors


def _python_worker(args: tuple) -> tuple[list, int]:
    return asyncio.run(_connections(*args))


def run_python(url: str, body: bytes, expect: str, conns: int, seconds: float,
               processes: int) -> dict:
    processes = max(1, min(processes, conns))
    shares = [conns // processes + (i < conns % processes) for i in range(processes)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(_python_worker, [(url, body, expect, n, seconds) for n in shares])
    # A request in flight at the deadline is still awaited and counted: the rate is over the
    # time until the last answer (at 5 s latencies the deadline alone overstated it by half).
    elapsed = time.perf_counter() - started
    latencies = sorted(x for lat, _ in results for x in lat) or [float("nan")]

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3

    return {"requests": sum(len(lat) for lat, _ in results), "seconds": max(elapsed, seconds),
            "errors": sum(e for _, e in results), "p50": pick(0.50), "p95": pick(0.95),
            "p99": pick(0.99)}


def smoke(url: str, body: bytes, expect: str) -> int:
    """One request; exit showing the answer unless it is HTTP 200 with ``expect``. Returns its
    size in bytes."""
    req = urllib.request.Request(url, data=fresh(body), headers={"Content-Type": CONTENT_TYPE})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, answer = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, answer = exc.code, exc.read()
    if status != 200 or expect.encode() not in answer:
        raise SystemExit(f"{url} answered {status}:\n{answer.decode('utf-8', 'replace')}")
    return len(answer)
