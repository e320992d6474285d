"""Level 2 (相互接続確認): a real hub and reference adapters around the product.

The suite starts ``pfbus serve`` as its own process, with a configuration written for the run:
the product's 団体コード as a tenant, the product (``--target``) as the provider of the profile's
``hub_routes`` and the subscriber of its ``hub_subscriptions``, and each counterpart (a reference
adapter started as a process) as the provider of its services. A counterpart that needs the hub
(a publisher: ``after_hub``) starts once the hub listens. The hub's routing log is the evidence
of what crossed it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from bus.store.routing_log import HopRecord, open_readonly

from .commands import Service, argv_of
from .model import Profile, Suite


class InteropHarness:
    def __init__(self, suite: Suite, profile: Profile, params: Mapping[str, object],
                 target: str | None, workdir: Path, timeout: float = 30.0):
        self.suite, self.profile, self.params = suite, profile, params
        self.target, self.workdir, self.timeout = target, workdir, timeout
        self.services: list[Service] = []
        self.hub_url: str | None = None
        self.routing_log = workdir / "routing-log.sqlite3"
        self.config_path = workdir / "hub.toml"

    def start(self) -> None:
        providers: dict[str, tuple[str, list[str]]] = {}
        if self.profile.hub_routes or self.profile.hub_subscriptions:
            if not self.target:
                raise ValueError(f"{self.profile.id} has the hub call the product: --target is "
                                 f"required")
            providers["product"] = (self.target, list(self.profile.hub_routes))
        later = []
        for name in self.profile.counterparts:
            spec = self.suite.counterparts[name]
            if spec.get("after_hub"):
                later.append((name, spec))
            else:
                providers[name] = (self._start(name, spec), list(spec.get("services", [])))
        self.config_path.write_text(self._config(providers), encoding="utf-8")
        hub = Service("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                              str(self.config_path), "--port", "0"])
        self.services.append(hub)
        self.hub_url = hub.wait_event("hub.listening", self.timeout)["url"]
        for name, spec in later:
            self._start(name, spec)

    def _start(self, name: str, spec: Mapping) -> str:
        argv = argv_of(spec["command"], {"workdir": self.workdir, "hub_url": self.hub_url or ""})
        service = Service(name, argv)
        self.services.append(service)
        return service.wait_event(spec.get("ready_event", "adapter.listening"),
                                  self.timeout)["url"]

    def _config(self, providers: Mapping[str, tuple[str, list[str]]]) -> str:
        code = self.params["sut_local_gov_code"]
        limit = float(self.params.get("response_limit", 10.0))
        notices = (self.workdir / "notices.sqlite3").as_posix()
        lines = ['[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n',
                 f'[store]\nrouting_log = "{self.routing_log.as_posix()}"\n'
                 f'notices = "sqlite:{notices}"\n',
                 f'[[tenants]]\nlocal_gov_code = "{code}"\nname = "conformance"\n']
        if self.params.get("addressee_scheme") == "none":
            lines[-1] += 'addressee_number = { scheme = "none" }\n'
        for pid, (url, services) in providers.items():
            lines.append(f'[[providers]]\nid = "{pid}"\nurl = "{url}"\ntimeout = {limit}\n')
            for sid in services:
                lines.append(f'[[routes]]\nlocal_gov_code = "{code}"\nservice = "{sid}"\n'
                             f'provider = "{pid}"\n')
        for sid in self.profile.hub_subscriptions:
            lines.append(f'[[subscriptions]]\nlocal_gov_code = "{code}"\nservice = "{sid}"\n'
                         f'subscriber = "product"\n')
        return "\n".join(lines)

    def hops(self, done: Callable[[list[HopRecord]], bool], since: str,
             message_id: str | None = None, timeout: float = 10.0) -> list[HopRecord]:
        """The hops since ``since`` (of ``message_id``, if given) once ``done`` says they are
        all there — the hub commits its log in the background — or whatever is there at the
        deadline."""
        deadline = time.monotonic() + timeout
        while True:
            rows: list[HopRecord] = []
            if self.routing_log.exists():
                log = open_readonly(self.routing_log)
                try:
                    rows = log.query(message_id=message_id, since=since, limit=None)
                finally:
                    log.close()
            if done(rows) or time.monotonic() >= deadline:
                return rows
            time.sleep(0.05)  # polling a file another process writes, against a deadline

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()
