"""Hub configuration (TOML), validated at start: every error names the file and the key.

See ``examples/hub.toml`` for a complete, commented example.
"""

from __future__ import annotations

import socket
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from schemas import BUILTIN_CATALOG

from .access import RIGHTS, ANY_CODE, AccessPolicy, AccessRule, Adapter, normalise_fingerprint
from .envelope import Limits
from .ratelimit import AdapterLimits, LimitPolicy
from .identifiers import (DEFAULT_ADDRESSEE_SCHEME, AddresseeNumberScheme, Modulus11Scheme,
                          NoCheckDigit, is_valid_local_gov_code)
from .retry import RetryPolicy
from .character_config import SystemCharacters, parse_systems, repertoire
from .routing import Provider, Route, ServiceRegistry, Subscription


class ConfigError(ValueError):
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

    def with_port(self, port: int) -> HubConfig:
        return replace(self, port=port)


def load_config(path: str | Path) -> HubConfig:
    path = Path(path).resolve()
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(doc, path)


def parse_config(doc: dict[str, Any], path: Path | None) -> HubConfig:
    where = str(path) if path else "<config>"
    base = path.parent if path else Path.cwd()

    def err(key: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: {key}: {message}")

    def get(table: dict, key: str, kind: type | tuple, default: Any, full_key: str) -> Any:
        value = table.get(key, default)
        if value is default:
            return value
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise err(full_key, f"must be a {names}")
        return value

    def table(parent: dict, key: str, full_key: str) -> dict:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise err(full_key, "must be a table")
        return value

    def array(key: str) -> list[dict]:
        value = doc.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise err(key, f"must be an array of tables ([[{key}]])")
        return value

    known = {"hub", "store", "schemas", "tenants", "providers", "routes", "systems",
             "subscriptions", "adapters", "access"}
    for key in doc:
        if key not in known:
            raise err(key, f"unknown section; known: {', '.join(sorted(known))}")

    hub = table(doc, "hub", "hub")
    listen = get(hub, "listen", str, "127.0.0.1:8080", "hub.listen")
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise err("hub.listen", "must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0 = any free port)")
    public_url = get(hub, "public_url", str, None, "hub.public_url")
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise err("hub.public_url", "must be an http:// or https:// URL")
    limits = Limits(
        max_bytes=_positive(get(hub, "max_message_bytes", int, Limits.max_bytes,
                                "hub.max_message_bytes"), err, "hub.max_message_bytes"),
        max_depth=_positive(get(hub, "max_depth", int, Limits.max_depth, "hub.max_depth"), err,
                            "hub.max_depth"))
    adapter_limits = _adapter_limits(table(hub, "limits", "hub.limits"), err, get)
    read_timeout = float(get(hub, "read_timeout", (int, float), 30.0, "hub.read_timeout"))
    if read_timeout <= 0:
        raise err("hub.read_timeout", "must be a positive number of seconds")
    max_conn = _positive(get(hub, "max_connections_per_provider", int, 64,
                             "hub.max_connections_per_provider"), err,
                         "hub.max_connections_per_provider")

    def pem(value: Any, key: str) -> Path:
        if not isinstance(value, str) or not value:
            raise err(key, "must be the path of a PEM file")
        p = (base / value).resolve()
        if not p.is_file():
            raise err(key, f"file not found: {p}")
        return p

    tls = None
    tls_table = hub.get("tls")
    if tls_table is not None:
        if not isinstance(tls_table, dict):
            raise err("hub.tls", "must be a table: { certificate = …, key = …, client_ca = … }")
        known_tls = {"certificate", "key", "client_ca", "require_client_certificate"}
        for k in tls_table:
            if k not in known_tls:
                raise err(f"hub.tls.{k}", "unknown key; known: " + ", ".join(sorted(known_tls)))
        for k in ("certificate", "key"):
            if k not in tls_table:
                raise err(f"hub.tls.{k}", "is required")
        client_ca = (pem(tls_table["client_ca"], "hub.tls.client_ca")
                     if "client_ca" in tls_table else None)
        require = get(tls_table, "require_client_certificate", bool, client_ca is not None,
                      "hub.tls.require_client_certificate")
        if require and client_ca is None:
            raise err("hub.tls.require_client_certificate",
                      "needs hub.tls.client_ca (the CA that signs adapters' certificates)")
        tls = TlsServer(pem(tls_table["certificate"], "hub.tls.certificate"),
                        pem(tls_table["key"], "hub.tls.key"), client_ca, require)
    allow_plain_http = get(hub, "allow_plain_http", bool, False, "hub.allow_plain_http")
    if tls is not None and allow_plain_http:
        raise err("hub.allow_plain_http", "cannot be combined with hub.tls: choose one")
    provider_ca = (pem(hub["provider_ca"], "hub.provider_ca")
                   if "provider_ca" in hub else None)
    client_certificate = (pem(hub["client_certificate"], "hub.client_certificate")
                          if "client_certificate" in hub else None)
    client_key = pem(hub["client_key"], "hub.client_key") if "client_key" in hub else None
    if (client_certificate is None) != (client_key is None):
        raise err("hub.client_key" if client_key is None else "hub.client_certificate",
                  "hub.client_certificate and hub.client_key go together")

    store = table(doc, "store", "store")
    routing_log = (base / get(store, "routing_log", str, "var/routing-log.sqlite3",
                              "store.routing_log")).resolve()
    notice_store = _store_url(get(store, "notices", str, "sqlite:var/notices.sqlite3",
                                  "store.notices"), base, err)
    archive = _archive(store, base, err, get)
    node_id = get(hub, "node_id", str, socket.gethostname(), "hub.node_id")
    if not node_id or len(node_id) > 64:
        raise err("hub.node_id", "must be 1 to 64 characters")

    schemas = table(doc, "schemas", "schemas")
    catalog_names = get(schemas, "catalogs", list, ["builtin"], "schemas.catalogs")
    catalogs = []
    for i, c in enumerate(catalog_names):
        if not isinstance(c, str):
            raise err(f"schemas.catalogs[{i}]", "must be a path or \"builtin\"")
        p = BUILTIN_CATALOG if c == "builtin" else (base / c).resolve()
        if not p.is_file():
            raise err(f"schemas.catalogs[{i}]", f"file not found: {p}")
        catalogs.append(p)

    tenants: dict[str, Tenant] = {}
    for i, t in enumerate(array("tenants")):
        key = f"tenants[{i}]"
        code = get(t, "local_gov_code", str, "", f"{key}.local_gov_code")
        if not is_valid_local_gov_code(code):
            raise err(f"{key}.local_gov_code", f"{code!r} is not a valid 団体コード (6 digits, "
                                               "check digit)")
        if code in tenants:
            raise err(f"{key}.local_gov_code", f"団体コード {code} is listed twice")
        scheme_table = table(t, "addressee_number", f"{key}.addressee_number")
        tenants[code] = Tenant(code, get(t, "name", str, code, f"{key}.name"),
                               _scheme(scheme_table, err, f"{key}.addressee_number", get),
                               repertoire(t.get("characters", "mj"), err, f"{key}.characters"))
    systems = parse_systems(array("systems"), base, err)

    providers: dict[str, Provider] = {}
    for i, p in enumerate(array("providers")):
        key = f"providers[{i}]"
        pid = get(p, "id", str, "", f"{key}.id")
        if not pid:
            raise err(f"{key}.id", "is required")
        if pid in providers:
            raise err(f"{key}.id", f"provider {pid!r} is listed twice")
        url = get(p, "url", str, "", f"{key}.url")
        if not url.startswith(("http://", "https://")):
            raise err(f"{key}.url", "must be an http:// or https:// URL")
        timeout = float(get(p, "timeout", (int, float), 10.0, f"{key}.timeout"))
        if timeout <= 0:
            raise err(f"{key}.timeout", "must be a positive number of seconds")
        policy = _policy(table(p, "delivery", f"{key}.delivery"), err, f"{key}.delivery", get)
        concurrency = _positive(get(p, "concurrency", int, 8, f"{key}.concurrency"), err,
                                f"{key}.concurrency")
        providers[pid] = Provider(pid, url, timeout, policy, concurrency)

    def binding(entry: dict, key: str, provider_key: str) -> tuple[str, str, str]:
        """(団体コード, service, provider ID) of a route or a subscription, each checked."""
        code = get(entry, "local_gov_code", str, "", f"{key}.local_gov_code")
        if code not in tenants:
            raise err(f"{key}.local_gov_code", f"団体コード {code!r} is not among [[tenants]]")
        service = get(entry, "service", str, "", f"{key}.service")
        if not service:
            raise err(f"{key}.service", "is required")
        pid = get(entry, provider_key, str, "", f"{key}.{provider_key}")
        if pid not in providers:
            raise err(f"{key}.{provider_key}", f"no [[providers]] entry with id {pid!r}")
        return code, service, pid

    routes = []
    seen = set()
    for i, r in enumerate(array("routes")):
        key = f"routes[{i}]"
        code, service, pid = binding(r, key, "provider")
        if (code, service) in seen:
            raise err(key, f"a second route for {service} of {code}")
        seen.add((code, service))
        timeout = float(get(r, "timeout", (int, float), providers[pid].timeout, f"{key}.timeout"))
        if timeout <= 0:
            raise err(f"{key}.timeout", "must be a positive number of seconds")
        routes.append(Route(code, service, providers[pid], timeout))

    subscriptions = []
    seen = set()
    for i, sub in enumerate(array("subscriptions")):
        key = f"subscriptions[{i}]"
        code, service, pid = binding(sub, key, "subscriber")
        if (code, service, pid) in seen:
            raise err(key, f"{pid} subscribes to {service} of {code} twice")
        seen.add((code, service, pid))
        subscriptions.append(Subscription(code, service, providers[pid]))

    access = _access(array("adapters"), array("access"), tenants, subscriptions,
                     tls is not None, err, get)

    return HubConfig(path=path, host=host, port=int(port_text), public_url=public_url,
                     limits=limits, routing_log=routing_log, catalogs=tuple(catalogs),
                     tenants=tenants, registry=ServiceRegistry(routes, subscriptions),
                     max_connections_per_provider=max_conn, systems=systems, node_id=node_id,
                     notice_store=notice_store, adapter_limits=adapter_limits,
                     read_timeout=read_timeout, archive=archive[0], archive_key_env=archive[1],
                     archive_key_file=archive[2], tls=tls, allow_plain_http=allow_plain_http,
                     provider_ca=provider_ca, client_certificate=client_certificate,
                     client_key=client_key, access=access)


def _access(adapter_tables: list[dict], access_tables: list[dict], tenants: dict,
            subscriptions: list[Subscription], over_tls: bool, err, get) -> AccessPolicy | None:
    """``[[adapters]]`` and ``[[access]]``. Access control is on for every TLS hub (and then
    needs ``[[access]]`` entries: default deny) and for a plain-HTTP hub that configures either
    section; a plain-HTTP hub with neither runs without it (development)."""
    if not over_tls and not adapter_tables and not access_tables:
        return None
    if over_tls and not access_tables:
        raise err("access", "a hub listening over TLS enforces access rights (default deny): "
                            "grant them with [[access]] entries (docs/security.md)")
    adapters: dict[str, Adapter] = {}
    owner: dict[str, str] = {}
    fingerprints: dict[str, str] = {}
    for i, a in enumerate(adapter_tables):
        key = f"adapters[{i}]"
        known = {"id", "certificate_fingerprint", "certificate_fingerprints", "certificate_cn",
                 "parties"}
        for k in a:
            if k not in known:
                raise err(f"{key}.{k}", "unknown key; known: " + ", ".join(sorted(known)))
        aid = get(a, "id", str, "", f"{key}.id")
        if not aid:
            raise err(f"{key}.id", "is required")
        if aid in adapters:
            raise err(f"{key}.id", f"adapter {aid!r} is listed twice")
        fps = []
        texts = ([get(a, "certificate_fingerprint", str, "", f"{key}.certificate_fingerprint")]
                 if "certificate_fingerprint" in a else [])
        many = get(a, "certificate_fingerprints", list, [], f"{key}.certificate_fingerprints")
        for j, text in enumerate([*texts, *many]):
            k = (f"{key}.certificate_fingerprint" if j < len(texts)
                 else f"{key}.certificate_fingerprints[{j - len(texts)}]")
            fp = normalise_fingerprint(text) if isinstance(text, str) else None
            if fp is None:
                raise err(k, "must be a SHA-256 fingerprint, SHA256:AB:CD:… (64 hex digits)")
            if fp in fingerprints:
                raise err(k, f"the same certificate is already adapter {fingerprints[fp]!r}'s")
            fingerprints[fp] = aid
            fps.append(fp)
        cn = get(a, "certificate_cn", str, None, f"{key}.certificate_cn")
        if over_tls and not fps and not cn:
            raise err(f"{key}.certificate_fingerprint",
                      "is required (or certificate_cn): how the hub recognises this adapter")
        parties = get(a, "parties", list, [], f"{key}.parties")
        if not parties:
            raise err(f"{key}.parties", "is required: the sender identities this adapter owns, "
                                        "e.g. [\"131016/07/vendor-b-tax\"]")
        for j, party in enumerate(parties):
            pk = f"{key}.parties[{j}]"
            bits = party.split("/") if isinstance(party, str) else []
            if len(bits) != 3 or not all(bits):
                raise err(pk, "must be 団体コード/業務ユニット/システムID")
            if party in owner:
                raise err(pk, f"{party} is already owned by adapter {owner[party]!r}")
            owner[party] = aid
        adapters[aid] = Adapter(aid, tuple(fps), cn, tuple(parties))

    rules = []
    for i, r in enumerate(access_tables):
        key = f"access[{i}]"
        service = get(r, "service", str, "", f"{key}.service")
        if not service:
            raise err(f"{key}.service", "is required")
        code = get(r, "local_gov_code", str, "", f"{key}.local_gov_code")
        if code != ANY_CODE and code not in tenants:
            raise err(f"{key}.local_gov_code", f"団体コード {code!r} is not among [[tenants]] "
                                               f"(or \"{ANY_CODE}\" for all)")
        right = get(r, "right", str, "", f"{key}.right")
        if right not in RIGHTS:
            raise err(f"{key}.right", "must be one of " + ", ".join(RIGHTS))
        names = get(r, "adapters", list, [], f"{key}.adapters")
        if not names:
            raise err(f"{key}.adapters", "is required: the adapters granted this right")
        for j, name in enumerate(names):
            if name not in adapters:
                raise err(f"{key}.adapters[{j}]", f"no [[adapters]] entry with id {name!r}")
        rules.append(AccessRule(service, code, tuple(names), right))
    policy = AccessPolicy(adapters, tuple(rules), "certificate" if over_tls else "claimed")
    for i, sub in enumerate(subscriptions):
        if not policy.allows(sub.subscriber.id, sub.service_id, sub.local_gov_code, "subscribe"):
            raise err(f"subscriptions[{i}].subscriber",
                      f"{sub.subscriber.id!r} has no 'subscribe' right on {sub.service_id} of "
                      f"{sub.local_gov_code} in [[access]] (the subscriber's [[adapters]] id)")
    return policy

def _adapter_limits(t: dict, err, get) -> LimitPolicy:
    """``[hub] limits = { rate, burst, concurrency, adapters = { ID = { … } } }``: the defaults
    and per-adapter overrides (keyed by adapter ID, or Sender party without TLS identity)."""
    def one(table: dict, key: str, base: AdapterLimits, nested: bool) -> AdapterLimits:
        known = {"rate", "burst", "concurrency"} | ({"adapters"} if nested else set())
        for name in table:
            if name not in known:
                raise err(f"{key}.{name}", "unknown key; known: " + ", ".join(sorted(known)))
        rate = float(get(table, "rate", (int, float), base.rate, f"{key}.rate"))
        if rate <= 0:
            raise err(f"{key}.rate", "must be a positive number of requests per second")
        burst = _positive(get(table, "burst", int, base.burst, f"{key}.burst"), err,
                          f"{key}.burst")
        concurrency = _positive(get(table, "concurrency", int, base.concurrency,
                                    f"{key}.concurrency"), err, f"{key}.concurrency")
        return AdapterLimits(rate, burst, concurrency)

    default = one(t, "hub.limits", AdapterLimits(), True)
    adapters = t.get("adapters", {})
    if not isinstance(adapters, dict):
        raise err("hub.limits.adapters", "must be a table of adapter ID = { rate, burst, "
                                          "concurrency }")
    per_adapter = {}
    for name, value in adapters.items():
        if not isinstance(value, dict):
            raise err(f"hub.limits.adapters.{name}", "must be a table")
        per_adapter[name] = one(value, f"hub.limits.adapters.{name}", default, False)
    return LimitPolicy(default, per_adapter)


def _archive(store: dict, base: Path, err, get) -> tuple:
    """``archive = "sqlite:PATH"`` with the key from ``archive_key_env`` (an environment
    variable's name, preferred) or ``archive_key_file``; the key itself never sits in the TOML."""
    value = get(store, "archive", str, None, "store.archive")
    env = get(store, "archive_key_env", str, None, "store.archive_key_env")
    key_file = get(store, "archive_key_file", str, None, "store.archive_key_file")
    if value is None:
        if env or key_file:
            raise err("store.archive", "archive_key_env/archive_key_file given but no archive")
        return None, None, None
    if not value.startswith("sqlite:") or not value[len("sqlite:"):]:
        raise err("store.archive", "must be sqlite:PATH")
    if bool(env) == bool(key_file):
        raise err("store.archive_key_env", "give exactly one of archive_key_env (the name of "
                                           "an environment variable, preferred) and "
                                           "archive_key_file")
    return ((base / value[len("sqlite:"):]).resolve(), env,
            (base / key_file).resolve() if key_file else None)


def _store_url(value: str, base: Path, err) -> str:
    """``sqlite:PATH`` (relative to the config file) or a ``postgresql://`` URL."""
    if value.startswith("sqlite:"):
        return "sqlite:" + str((base / value[len("sqlite:"):]).resolve())
    if value.startswith(("postgresql://", "postgres://")):
        return value
    raise err("store.notices", "must be sqlite:PATH or a postgresql:// URL")


def _policy(t: dict, err, key: str, get) -> RetryPolicy:
    """A subscriber's redelivery policy; every bound must be positive."""
    d = RetryPolicy()
    values = {}
    for name, kind in (("max_attempts", int), ("max_age", (int, float)),
                       ("backoff_initial", (int, float)), ("backoff_max", (int, float))):
        value = get(t, name, kind, getattr(d, name), f"{key}.{name}")
        if value <= 0:
            raise err(f"{key}.{name}", "must be positive")
        values[name] = value
    unknown = set(t) - set(values)
    if unknown:
        raise err(f"{key}.{sorted(unknown)[0]}", "unknown key; known: " + ", ".join(values))
    return RetryPolicy(**values)


def _positive(value: int, err, key: str) -> int:
    if value <= 0:
        raise err(key, "must be a positive integer")
    return value


def _scheme(t: dict, err, key: str, get) -> AddresseeNumberScheme:
    if not t:
        return DEFAULT_ADDRESSEE_SCHEME
    kind = get(t, "scheme", str, "modulus11", f"{key}.scheme")
    length = get(t, "length", int, None, f"{key}.length")
    if kind == "none":
        return NoCheckDigit(length)
    if kind != "modulus11":
        raise err(f"{key}.scheme", "must be \"modulus11\" or \"none\"")
    weights = get(t, "weights", list, [2, 3, 4, 5, 6, 7], f"{key}.weights")
    if not weights or not all(type(w) is int and 1 <= w <= 10 for w in weights):
        raise err(f"{key}.weights", "must be a list of integers 1..10, rightmost digit first")
    remainder_one = get(t, "remainder_one", int, 0, f"{key}.remainder_one")
    return Modulus11Scheme(tuple(weights), remainder_one, length)
