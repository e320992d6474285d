"""Commands the suite runs: the product's trigger and observer, reference adapters' actions, and
the long-running processes of a level-2 run (the hub, counterparts).

Every wait has a deadline; a command still running at its step's timeout is killed with its
whole process group, so a hanging product ends as a verdict, not as a hung suite.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .records import CommandRun


class Placeholders(dict):
    """``str.format_map`` values; a missing name is an error that names it."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"no value for {{{key}}} in the command (a parameter, --param {key}=…, "
                       f"or the step's vars)")


def argv_of(template: str | list[str], values: Mapping[str, object]) -> list[str]:
    """A command template (a string split like a shell would, or a list) with {name} filled."""
    parts = shlex.split(template) if isinstance(template, str) else list(template)
    table = Placeholders({k: str(v) for k, v in values.items()}, python=sys.executable)
    return [p.format_map(table) for p in parts]


def parse_json(stdout: str):
    """The command's result: its output as one JSON value, or its last line as one."""
    text = stdout.strip()
    for candidate in (text, text.splitlines()[-1] if text else ""):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def run_command(step: str, argv: list[str], timeout: float, cwd: Path | None = None) -> CommandRun:
    started = time.monotonic()
    run = CommandRun(step=step, argv=argv, exit_code=None, started_monotonic=started)
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except OSError as exc:
        run.stderr = f"cannot start {argv[0]}: {exc}"
        run.exit_code = 127
        return run
    try:
        run.stdout, run.stderr = proc.communicate(timeout=timeout)
        run.exit_code = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        run.stdout, run.stderr = proc.communicate()
    run.elapsed = time.monotonic() - started
    run.json = parse_json(run.stdout)
    return run


@dataclass(frozen=True)
class CallableCommand:
    """An in-process stand-in for a command (tests, or a Python API user): ``fn(values)`` returns
    an exit status, or (status, stdout). It runs in a thread so the step's timeout still holds."""

    fn: Callable[[Mapping[str, object]], int | tuple[int, str]]
    name: str = "callable"

    def run(self, step: str, values: Mapping[str, object], timeout: float) -> CommandRun:
        started = time.monotonic()
        run = CommandRun(step=step, argv=[self.name], exit_code=None, started_monotonic=started)
        box: dict = {}

        def call() -> None:
            try:
                box["result"] = self.fn(values)
            except Exception as exc:  # noqa: BLE001 - the product's failure is a result
                box["result"] = (70, "")
                box["error"] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=call, daemon=True, name=f"command-{step}")
        thread.start()
        thread.join(timeout)
        run.elapsed = time.monotonic() - started
        if "result" not in box:
            return run  # still running: timed out (the thread is abandoned, it is a daemon)
        result = box["result"]
        run.exit_code, run.stdout = result if isinstance(result, tuple) else (result, "")
        run.stderr = box.get("error", "")
        run.json = parse_json(run.stdout)
        return run


@dataclass(frozen=True)
class TemplateCommand:
    """A command line given by the user (``--trigger``, ``--observe``) or by the profile data."""

    template: str | list[str]
    cwd: Path | None = None

    def run(self, step: str, values: Mapping[str, object], timeout: float) -> CommandRun:
        try:
            argv = argv_of(self.template, values)
        except (KeyError, ValueError) as exc:
            return CommandRun(step=step, argv=[str(self.template)], exit_code=127,
                              stderr=str(exc).strip("'\""))
        return run_command(step, argv, timeout, self.cwd)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Service:
    """A long-running child (hub, counterpart adapter): started, awaited by what it prints,
    stopped. Its output is collected on a thread so that every wait has a deadline."""

    def __init__(self, name: str, argv: list[str], cwd: Path | None = None):
        self.name = name
        self.argv = argv
        self.popen = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True,
                                      start_new_session=True,
                                      env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.output: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True, name=f"{name}-output").start()

    def _pump(self) -> None:
        for line in self.popen.stdout:
            self.output.append(line)
            self._lines.put(line)

    def wait_event(self, event: str, timeout: float) -> dict:
        """The first JSON line printed with ``"event": event``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            exited = self.popen.poll() is not None and self._lines.empty()
            if remaining <= 0 or exited:
                raise RuntimeError(f"{self.name} did not report {event!r} within {timeout:g} s"
                                   f"{' (it exited)' if exited else ''}; output:\n"
                                   + "".join(self.output[-30:]))
            try:
                line = self._lines.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue
            doc = parse_json(line)
            if isinstance(doc, dict) and doc.get("event") == event:
                return doc

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.popen)
                self.popen.wait(5)
