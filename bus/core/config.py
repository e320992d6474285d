"""Hub configuration (TOML), validated at start: every error names the file and the key.

The file's tables and keys are declared once in ``bus/core/settings/hub.py`` (kinds, defaults,
checks, docs); this module turns what was read into ``HubConfig`` and checks what spans tables
(routes → providers, access → adapters, subscriptions → rights). See ``examples/hub.toml``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from schemas import BUILTIN_CATALOG

from .access import (ANY_CODE, AccessPolicy, AccessRule, Adapter, Identity, Right,
                     normalise_fingerprint)
from .character_config import SystemCharacters, parse_systems
from .envelope import Limits
from .files_config import FilesConfig, parse_files
from .pg_url import is_postgres, split_url
from .identifiers import (DEFAULT_ADDRESSEE_SCHEME, AddresseeNumberScheme, Modulus11Scheme,
                          NoCheckDigit)
from .ratelimit import AdapterLimits, LimitPolicy
from .retry import RetryPolicy
from .routing import Provider, Route, ServiceRegistry, Subscription
from .settings import Section, SettingsError, Source, load_toml, read
from .settings import hub as declared


class ConfigError(SettingsError):
    """The configuration cannot be used. The message names the file and the key."""


@dataclass(frozen=True)
class Tenant:
    """A municipality served by this hub (団体)."""

    local_gov_code: str  # 団体コード
    name: str
    addressee_scheme: AddresseeNumberScheme = DEFAULT_ADDRESSEE_SCHEME  # 宛名番号の検査数字方式
    characters: str = "mj"  # what names of its data keep to: "mj" or "jisx0213"


@dataclass(frozen=True)
class TlsServer:
    """``[hub] tls``: the hub's listening side over TLS, optionally mutual TLS."""

    certificate: Path  # PEM: the hub's certificate (chain)
    key: Path  # PEM: its private key
    client_ca: Path | None = None  # PEM: CA(s) that sign adapters' client certificates
    require_client_certificate: bool = True  # only with client_ca


@dataclass(frozen=True)
class AdminConfig:
    """``[admin]``: the operators' listener (metrics, health, readiness, console), apart from
    the SOAP listener so that it can be firewalled apart. None when not configured."""

    host: str = "127.0.0.1"
    port: int = 9090  # 0: any free port
    token_file: Path | None = None  # lines "ROLE NAME TOKEN" (ROLE: operator | viewer)
    tls: TlsServer | None = None  # the console over TLS; with client_ca: login by certificate
    client_roles: dict[str, str] = field(default_factory=dict)  # certificate CN → role
    session_ttl: float = 900.0  # idle seconds before a console session expires
    state: Path = Path("var/admin-state.json")  # maintenance and pauses, kept across restarts
    retry_after: int = 120  # seconds, the Retry-After of a maintenance/pause refusal


@dataclass(frozen=True)
class Retention:
    """``[retention]``: how long each store keeps rows, in seconds; None keeps them for ever."""

    routing_log: float | None = 5 * 365 * 86_400.0
    delivered_notices: float | None = 90 * 86_400.0
    dead_letters: float | None = 365 * 86_400.0
    archive: float | None = 365 * 86_400.0


@dataclass(frozen=True)
class HubConfig:
    path: Path | None
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None  # the address put into served WSDLs
    limits: Limits = Limits()
    routing_log: Path = Path("var/routing-log.sqlite3")
    catalogs: tuple[Path, ...] = (BUILTIN_CATALOG,)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    registry: ServiceRegistry = field(default_factory=lambda: ServiceRegistry([]))
    max_connections_per_provider: int = 64
    systems: dict[str, SystemCharacters] = field(default_factory=dict)  # party → characters
    node_id: str = field(default_factory=socket.gethostname)  # this hub process in a cluster
    notice_store: str | None = None  # "sqlite:PATH" or "postgresql://…"; None: no notices
    tls: TlsServer | None = None  # None: plain HTTP, only with allow_plain_http
    allow_plain_http: bool = False  # development only: no TLS, identities are only claimed
    provider_ca: Path | None = None  # trust for https:// providers; None: the system's
    client_certificate: Path | None = None  # the hub's certificate towards providers (mTLS)
    client_key: Path | None = None
    access: AccessPolicy | None = None  # None: access control off (plain HTTP, none configured)
    adapter_limits: LimitPolicy = LimitPolicy()  # [hub] limits: rate, burst, concurrency
    read_timeout: float = 30.0  # [hub] read_timeout: seconds to receive one whole request
    # [store] archive: encrypted payload archive, off by default; the key's source (env preferred)
    archive: Path | None = None
    archive_key_env: str | None = None
    archive_key_file: Path | None = None
    # [store] routing_log = "postgresql://…": the URL (then routing_log is unused);
    # ``routing_log_location`` is whichever is in use
    routing_log_url: str | None = None
    # [store] seen_messages: "sqlite:PATH" or "postgresql://…"; None: where the routing log is
    seen_messages: str | None = None
    drain_timeout: float = 30.0  # [hub] drain_timeout: seconds for in-flight work on a stop
    backlog: int = 1024  # [hub] backlog: the listening socket's queue
    # [hub] big_message_bytes / big_message_threads: big messages inspected off the reactor
    big_message_bytes: int = 0  # 0: none (off by default: docs/performance.md)
    big_message_threads: int = 2
    workers: int = 1  # [hub] workers: hub processes sharing the listening socket ("auto" read)
    replay_window: float = 24 * 3600.0  # [hub] replay_window: seconds a MessageId is remembered
    clock_skew: float = 300.0  # [hub] clock_skew: seconds a SentAt may lie in the future
    max_age: float = 3600.0  # [hub] max_age: seconds a SentAt may lie in the past
    admin: AdminConfig | None = None  # [admin]; None: no admin listener
    retention: Retention = Retention()
    files: FilesConfig | None = None  # [files]: file linkage (ファイル連携); None: off

    @property
    def routing_log_location(self) -> str | Path:
        """The routing log in use: a postgresql:// URL, or the SQLite file."""
        return self.routing_log_url or self.routing_log

    @property
    def seen_messages_location(self) -> str:
        """``[store] seen_messages``, by default where the routing log is: its PostgreSQL
        database and schema (one table for every hub of a cluster), or ``NAME.seen.sqlite3``
        beside its file (shared by the workers of one machine)."""
        if self.seen_messages is not None:
            return self.seen_messages
        log = self.routing_log
        return self.routing_log_url or f"sqlite:{log.with_name(log.stem + '.seen.sqlite3')}"

    def with_port(self, port: int) -> HubConfig:
        return replace(self, port=port)


def worker_count(value: int | str) -> int:
    """``[hub] workers`` or ``--workers``: a count, or "auto" for one per core this process may
    run on (its CPU affinity, e.g. ``taskset``; not the machine's count)."""
    return len(os.sched_getaffinity(0)) if value == "auto" else int(value)


def load_config(path: str | Path) -> HubConfig:
    path = Path(path).resolve()
    return parse_config(load_toml(path, ConfigError), path)


def parse_config(doc: dict[str, Any], path: Path | None) -> HubConfig:
    source = Source(str(path) if path else "<config>", path.parent if path else Path.cwd(),
                    ConfigError)
    top = read(declared.CONFIG, doc, source)
    hub, store = top["hub"], top["store"]
    host, _, port = hub["listen"].rpartition(":")
    tenants = _tenants(top["tenants"])
    providers = _providers(top["providers"])
    subscriptions = _subscriptions(top["subscriptions"], tenants, providers)
    tls = _tls(hub["tls"])
    if tls is not None and hub["allow_plain_http"]:
        raise hub.error("allow_plain_http", "cannot be combined with hub.tls: choose one")
    client_certificate, client_key = hub.file("client_certificate"), hub.file("client_key")
    if (client_certificate is None) != (client_key is None):
        raise hub.error("client_key" if client_key is None else "client_certificate",
                        "hub.client_certificate and hub.client_key go together")
    routing_log, routing_log_url = _routing_log(store)
    archive = _archive(store)
    return HubConfig(
        path=path, host=host, port=int(port), public_url=hub["public_url"],
        limits=Limits(max_bytes=hub["max_message_bytes"], max_depth=hub["max_depth"]),
        routing_log=routing_log, routing_log_url=routing_log_url,
        seen_messages=_seen_messages(store),
        catalogs=_catalogs(top["schemas"]), tenants=tenants,
        registry=ServiceRegistry(_routes(top["routes"], tenants, providers), subscriptions),
        max_connections_per_provider=hub["max_connections_per_provider"],
        systems=parse_systems(top["systems"]), node_id=hub["node_id"],
        notice_store=_store_url(store, "notices"), adapter_limits=_adapter_limits(hub["limits"]),
        read_timeout=hub["read_timeout"], archive=archive[0], archive_key_env=archive[1],
        archive_key_file=archive[2], tls=tls, allow_plain_http=hub["allow_plain_http"],
        provider_ca=hub.file("provider_ca"), client_certificate=client_certificate,
        client_key=client_key,
        access=_access(top, top["adapters"], top["access"], tenants, subscriptions,
                       tls is not None),
        drain_timeout=hub["drain_timeout"], backlog=hub["backlog"],
        big_message_bytes=hub["big_message_bytes"],
        big_message_threads=hub["big_message_threads"],
        workers=worker_count(hub["workers"]),
        replay_window=hub["replay_window"], clock_skew=hub["clock_skew"], max_age=hub["max_age"],
        admin=_admin(top["admin"]), retention=Retention(**top["retention"]),
        files=parse_files(top["files"], top["adapters"], frozenset(tenants)))


def _tls(t: Section | None) -> TlsServer | None:
    if t is None:
        return None
    client_ca = t.file("client_ca")
    require = t["require_client_certificate"]
    if require is None:
        require = client_ca is not None
    if require and client_ca is None:
        raise t.error("require_client_certificate",
                      "needs hub.tls.client_ca (the CA that signs adapters' certificates)")
    certificate, key = t.file("certificate"), t.file("key")
    assert certificate is not None and key is not None  # required keys
    return TlsServer(certificate, key, client_ca, require)


def _catalogs(schemas: Section) -> tuple[Path, ...]:
    catalogs = []
    for i, name in enumerate(schemas["catalogs"]):
        p = BUILTIN_CATALOG if name == "builtin" else (schemas.source.base / name).resolve()
        if not p.is_file():
            raise schemas.error(f"catalogs[{i}]", f"file not found: {p}")
        catalogs.append(p)
    return tuple(catalogs)


def _tenants(entries: list[Section]) -> dict[str, Tenant]:
    tenants: dict[str, Tenant] = {}
    for t in entries:
        code = t["local_gov_code"]
        if code in tenants:
            raise t.error("local_gov_code", f"団体コード {code} is listed twice")
        tenants[code] = Tenant(code, t["name"] or code, _scheme(t["addressee_number"]),
                               t["characters"])
    return tenants


def _scheme(t: Section | None) -> AddresseeNumberScheme:
    if t is None or not t.given:
        return DEFAULT_ADDRESSEE_SCHEME
    if t["scheme"] == "none":
        return NoCheckDigit(t["length"])
    return Modulus11Scheme(tuple(t["weights"]), t["remainder_one"], t["length"])


def _providers(entries: list[Section]) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for p in entries:
        if p["id"] in providers:
            raise p.error("id", f"provider {p['id']!r} is listed twice")
        policy = RetryPolicy(**p["delivery"])
        providers[p["id"]] = Provider(p["id"], p["url"], p["timeout"], policy, p["concurrency"])
    return providers


def _binding(entry: Section, tenants: dict[str, Tenant], providers: dict[str, Provider],
             provider_key: str) -> tuple[str, str, Provider]:
    """(団体コード, service, provider) of a route or a subscription, each checked."""
    code = entry["local_gov_code"]
    if code not in tenants:
        raise entry.error("local_gov_code", f"団体コード {code!r} is not among [[tenants]]")
    pid = entry[provider_key]
    if pid not in providers:
        raise entry.error(provider_key, f"no [[providers]] entry with id {pid!r}")
    return code, entry["service"], providers[pid]


def _routes(entries: list[Section], tenants: dict[str, Tenant],
            providers: dict[str, Provider]) -> list[Route]:
    routes = []
    seen = set()
    for r in entries:
        code, service, provider = _binding(r, tenants, providers, "provider")
        if (code, service) in seen:
            raise r.error("", f"a second route for {service} of {code}")
        seen.add((code, service))
        routes.append(Route(code, service, provider, r["timeout"] or provider.timeout))
    return routes


def _subscriptions(entries: list[Section], tenants: dict[str, Tenant],
                   providers: dict[str, Provider]) -> list[Subscription]:
    subscriptions = []
    seen = set()
    for s in entries:
        code, service, subscriber = _binding(s, tenants, providers, "subscriber")
        if (code, service, subscriber.id) in seen:
            raise s.error("", f"{subscriber.id} subscribes to {service} of {code} twice")
        seen.add((code, service, subscriber.id))
        subscriptions.append(Subscription(code, service, subscriber))
    return subscriptions


def _access(top: Section, adapter_tables: list[Section], access_tables: list[Section],
            tenants: dict[str, Tenant], subscriptions: list[Subscription],
            over_tls: bool) -> AccessPolicy | None:
    """``[[adapters]]`` and ``[[access]]``. Access control is on for every TLS hub (and then
    needs ``[[access]]`` entries: default deny) and for a plain-HTTP hub that configures either
    section; a plain-HTTP hub with neither runs without it (development)."""
    if not over_tls and not adapter_tables and not access_tables:
        return None
    if over_tls and not access_tables:
        raise top.error("access", "a hub listening over TLS enforces access rights (default "
                                  "deny): grant them with [[access]] entries (docs/security.md)")
    adapters = _adapters(adapter_tables, over_tls)
    rules = []
    for r in access_tables:
        code = r["local_gov_code"]
        if code != ANY_CODE and code not in tenants:
            raise r.error("local_gov_code", f"団体コード {code!r} is not among [[tenants]] "
                                            f"(or \"{ANY_CODE}\" for all)")
        for j, name in enumerate(r["adapters"]):
            if name not in adapters:
                raise r.error(f"adapters[{j}]", f"no [[adapters]] entry with id {name!r}")
        rules.append(AccessRule(r["service"], code, tuple(r["adapters"]), Right(r["right"])))
    policy = AccessPolicy(adapters, tuple(rules),
                          Identity.CERTIFICATE if over_tls else Identity.CLAIMED)
    for i, sub in enumerate(subscriptions):
        if not policy.allows(sub.subscriber.id, sub.service_id, sub.local_gov_code,
                              Right.SUBSCRIBE):
            raise top.error(f"subscriptions[{i}].subscriber",
                            f"{sub.subscriber.id!r} has no 'subscribe' right on {sub.service_id} "
                            f"of {sub.local_gov_code} in [[access]] (the subscriber's "
                            f"[[adapters]] id)")
    return policy


def _adapters(entries: list[Section], over_tls: bool) -> dict[str, Adapter]:
    adapters: dict[str, Adapter] = {}
    owner: dict[str, str] = {}
    fingerprints: dict[str, str] = {}
    for a in entries:
        aid = a["id"]
        if aid in adapters:
            raise a.error("id", f"adapter {aid!r} is listed twice")
        texts = [("certificate_fingerprint", a["certificate_fingerprint"])] \
            if a["certificate_fingerprint"] is not None else []
        texts += [(f"certificate_fingerprints[{j}]", t)
                  for j, t in enumerate(a["certificate_fingerprints"])]
        fps = []
        for key, text in texts:
            fp = normalise_fingerprint(text)
            if fp is None:
                raise a.error(key, "must be a SHA-256 fingerprint, SHA256:AB:CD:… (64 hex digits)")
            if fp in fingerprints:
                raise a.error(key, f"the same certificate is already adapter "
                                   f"{fingerprints[fp]!r}'s")
            fingerprints[fp] = aid
            fps.append(fp)
        cn = a["certificate_cn"]
        if over_tls and not fps and not cn:
            raise a.error("certificate_fingerprint",
                          "is required (or certificate_cn): how the hub recognises this adapter")
        if not a["parties"]:
            raise a.error("parties", "is required: the sender identities this adapter owns, "
                                     "e.g. [\"131016/07/vendor-b-tax\"]")
        for j, party in enumerate(a["parties"]):
            bits = party.split("/")
            if len(bits) != 3 or not all(bits):
                raise a.error(f"parties[{j}]", "must be 団体コード/業務ユニット/システムID")
            if party in owner:
                raise a.error(f"parties[{j}]", f"{party} is already owned by adapter "
                                               f"{owner[party]!r}")
            owner[party] = aid
        adapters[aid] = Adapter(aid, tuple(fps), cn, tuple(a["parties"]))
    return adapters


def _adapter_limits(t: Section) -> LimitPolicy:
    """``[hub] limits = { rate, burst, concurrency, adapters = { ID = { … } } }``: the defaults
    and per-adapter overrides (keyed by adapter ID, or Sender party without TLS identity)."""
    def one(values: Section, base: AdapterLimits) -> AdapterLimits:
        return AdapterLimits(*(base.__dict__[k] if values[k] is None else values[k]
                               for k in ("rate", "burst", "concurrency")))

    default = one(t, AdapterLimits())
    return LimitPolicy(default, {name: one(v, default) for name, v in t["adapters"].items()})


def _archive(store: Section) -> tuple[Path | None, str | None, Path | None]:
    """``archive = "sqlite:PATH"`` with the key from ``archive_key_env`` (an environment
    variable's name, preferred) or ``archive_key_file``; the key itself never sits in the TOML."""
    value, env, key_file = store["archive"], store["archive_key_env"], store["archive_key_file"]
    if value is None:
        if env or key_file:
            raise store.error("archive", "archive_key_env/archive_key_file given but no archive")
        return None, None, None
    if not value.startswith("sqlite:") or not value[len("sqlite:"):]:
        raise store.error("archive", "must be sqlite:PATH")
    if bool(env) == bool(key_file):
        raise store.error("archive_key_env", "give exactly one of archive_key_env (the name of "
                                             "an environment variable, preferred) and "
                                             "archive_key_file")
    return ((store.source.base / value[len("sqlite:"):]).resolve(), env,
            store.path("archive_key_file"))


def _store_url(store: Section, name: str) -> str:
    """``sqlite:PATH`` (relative to the config file) or a ``postgresql://`` URL."""
    value: str = store[name]
    if value.startswith("sqlite:"):
        return "sqlite:" + str((store.source.base / value[len("sqlite:"):]).resolve())
    return value


def _routing_log(store: Section) -> tuple[Path, str | None]:
    """A SQLite path (relative to the config file), or a postgresql:// URL (issue 13 item 5:
    ``(the default path beside the config, the URL)``)."""
    value: str = store["routing_log"]
    if is_postgres(value):
        try:
            split_url(value, "pfbus_log", "routing log")
        except ValueError as exc:
            raise store.error("routing_log", str(exc)) from None
        return (store.source.base / "var/routing-log.sqlite3").resolve(), value
    path = store.path("routing_log")
    assert path is not None
    return path, None


def _seen_messages(store: Section) -> str | None:
    """``[store] seen_messages`` if given (``HubConfig.seen_messages_location``: the default)."""
    if store["seen_messages"] is None:
        return None
    if is_postgres(store["seen_messages"]):
        try:
            split_url(store["seen_messages"], "pfbus_log", "seen messages")
        except ValueError as exc:
            raise store.error("seen_messages", str(exc)) from None
    return _store_url(store, "seen_messages")


def _admin(t: Section | None) -> AdminConfig | None:
    """``[admin]``; absent: no admin listener. A listener off loopback must use TLS."""
    if t is None:
        return None
    host, _, port = t["listen"].rpartition(":")
    tls = None
    if t["tls"] is not None:
        certificate, key = t["tls"].file("certificate"), t["tls"].file("key")
        assert certificate is not None and key is not None  # required keys
        tls = TlsServer(certificate, key, t["tls"].file("client_ca"), False)
    if t["client_roles"] and (tls is None or tls.client_ca is None):
        raise t.error("client_roles", "needs admin.tls.client_ca (login by certificate)")
    loopback = host in ("127.0.0.1", "[::1]", "::1", "localhost") or host.startswith("127.")
    if not loopback and tls is None:
        raise t.error("listen", f"{host} is not a loopback address: the admin listener leaves "
                                "loopback only over TLS (admin.tls)")
    state = t.path("state")
    assert state is not None
    return AdminConfig(host, int(port), t.file("token_file"), tls, dict(t["client_roles"]),
                       t["session_ttl"], state, t["retry_after"])
