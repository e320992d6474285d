"""The benchmark's processes and the machine they share: start/stop a server process and wait
for the JSON line it prints when ready; CPU time and memory from /proc; how busy the machine is.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


class Child:
    """A server process; its output goes to a file (the hub writes one JSON line per exchange)."""

    def __init__(self, name: str, args: list[str], workdir: Path, env: dict | None = None):
        self.name, self.log = name, workdir / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                          env={**os.environ, "PYTHONUNBUFFERED": "1",
                                               **(env or {})})

    def wait_json(self, key: str, value=None, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.popen.poll() is None:
            for line in self.log.read_text("utf-8", "replace").splitlines():
                try:
                    doc = json.loads(line)
                except ValueError:
                    continue
                if isinstance(doc, dict) and key in doc and value in (None, doc[key]):
                    return doc
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready:\n{self.log.read_text('utf-8', 'replace')}")

    def cpu_seconds(self, task: str = "") -> float:
        """utime + stime of the whole process, or of one thread (``task`` = "task/TID")."""
        return _cpu(self.popen.pid, task)

    def main_thread_cpu(self) -> float:
        return self.cpu_seconds(f"task/{self.popen.pid}/")

    def tree_cpu_seconds(self) -> float:
        """``cpu_seconds`` of the process and its live children (``pfbus serve --workers N``:
        the supervisor and its workers; a child's time reaches the parent only once reaped)."""
        return _cpu(self.popen.pid) + sum(_cpu(pid) for pid in self.children())

    def tree_main_thread_cpu(self) -> float:
        return _cpu(self.popen.pid, f"task/{self.popen.pid}/") + sum(
            _cpu(pid, f"task/{pid}/") for pid in self.children())

    def children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rpartition(")")[2].split()[1]) == self.popen.pid:
                    found.append(int(entry.name))
        return found

    def status_kb(self, key: str) -> int:
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def wait_listening(hub: Child, workers: int, timeout: float = 60.0) -> str:
    """The hub's URL once every worker listens (one ``hub.listening`` line each)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in hub.log.read_text("utf-8", "replace").splitlines()
                 if '"hub.listening"' in line]
        if len(lines) >= workers:
            return lines[0]["url"]
        time.sleep(0.1)
    raise RuntimeError(f"{hub.name}: {workers} worker(s) not listening:\n"
                       f"{hub.log.read_text('utf-8', 'replace')}")


def _cpu(pid: int, task: str = "") -> float:
    try:
        stat = Path(f"/proc/{pid}/{task}stat").read_text()
    except OSError:  # gone meanwhile
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait), from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


def machine(generator: str, processes: int) -> dict:
    import lxml.etree
    import twisted
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                  .splitlines() if line.startswith("model name")), platform.processor())
    gen = (subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0]
           .strip() if generator == "wrk" else f"Python asyncio clients in {processes} processes")
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "twisted": twisted.__version__, "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
            "libxml2": ".".join(map(str, lxml.etree.LIBXML_VERSION)), "generator": gen}


def wait_quiet(max_wait: float, threshold: float = 0.15) -> float:
    """Wait (at most ``max_wait`` s) until the machine's busy CPU over one second is below
    ``threshold`` cores: between runs this benchmark's own processes are idle, so what is busy
    then is someone else (other test suites on a shared machine). Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < max_wait:
        before = busy_seconds()
        time.sleep(1.0)
        if busy_seconds() - before < threshold:
            break
    return time.monotonic() - started
