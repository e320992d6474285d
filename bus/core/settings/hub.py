"""The hub configuration file (``pfbus serve --config FILE``), declared once.

Add a key: one ``Key(...)`` line in its table here (kind, default, doc, check), then read it in
``bus/core/config.py`` onto ``HubConfig`` and show it in examples/hub.toml. The generated test
(tests/unit/test_settings_typos.py) covers its misspellings without another line.
"""

from __future__ import annotations

import socket

from ..access import RIGHTS
from ..console_roles import ROLES as CONSOLE_ROLES
from ..characters import REPERTOIRES
from ..envelope import Limits
from ..identifiers import is_valid_local_gov_code
from ..ratelimit import AdapterLimits
from ..retry import RetryPolicy
from .declare import REQUIRED, Key, Table
from .kinds import Bool, Choice, CountOrAuto, Duration, Int, ListOf, MapOf, Number, Str, Sub, Tables

POSITIVE = Int(minimum=1)
PORT_TEXT = "must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0 = any free port)"
HTTP_URL = "must be an http:// or https:// URL"


def host_port(value: str) -> str | None:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        return PORT_TEXT
    return None


def http_url(value: str) -> str | None:
    return None if value.startswith(("http://", "https://")) else HTTP_URL


def store_url(value: str) -> str | None:
    if value.startswith(("postgresql://", "postgres://")) or (
            value.startswith("sqlite:") and value[len("sqlite:"):]):
        return None
    return "must be sqlite:PATH or a postgresql:// URL"


def local_gov_code(value: str) -> str | None:
    if is_valid_local_gov_code(value):
        return None
    return f"{value!r} is not a valid 団体コード (6 digits, check digit)"


def one_to_64(value: str) -> str | None:
    return None if 1 <= len(value) <= 64 else "must be 1 to 64 characters"


TLS = Table("hub.tls", (
    Key("certificate", Str(nonempty=True), REQUIRED, "PEM: the hub's certificate (chain)"),
    Key("key", Str(nonempty=True), REQUIRED, "PEM: its private key"),
    Key("client_ca", Str(nonempty=True), None,
        "PEM: the CA(s) that sign adapters' client certificates (mutual TLS)"),
    Key("require_client_certificate", Bool(), None,
        "refuse a client without a certificate; default: true when client_ca is given"),
), "the hub's listening side over TLS")

_LIMIT_KEYS = (
    Key("rate", Number(positive=True), None, "sustained requests per second (default "
        f"{AdapterLimits.rate}; per adapter: the [hub] limits value)"),
    Key("burst", POSITIVE, None, f"requests above the rate at once (default {AdapterLimits.burst})"),
    Key("concurrency", POSITIVE, None,
        f"requests in flight (default {AdapterLimits.concurrency})"),
)
ADAPTER_LIMITS = Table("hub.limits.adapters.ID", _LIMIT_KEYS, "one adapter's overrides")
LIMITS = Table("hub.limits", (
    *_LIMIT_KEYS,
    Key("adapters", MapOf(Sub(ADAPTER_LIMITS)), {},
        "overrides by adapter ID (or Sender party without TLS)"),
), "per-adapter admission: PF-LIMIT-RATE / PF-LIMIT-CONCURRENCY")

HUB = Table("hub", (
    Key("listen", Str(), "127.0.0.1:8080", "HOST:PORT of the SOAP listener; port 0: any free port",
        host_port),
    Key("public_url", Str(), None, "the address written into served WSDLs; default http(s)://listen",
        http_url),
    Key("max_message_bytes", POSITIVE, Limits.max_bytes,
        "a larger request: PF-LIMIT-SIZE; a larger answer: PF-PROVIDER-INVALID-RESPONSE"),
    Key("max_depth", POSITIVE, Limits.max_depth, "deeper nesting: PF-LIMIT-DEPTH"),
    Key("big_message_bytes", Int(minimum=0), 0, "a request or answer of this many bytes or "
        "more is parsed and validated on big_message_threads, off the reactor thread (the same "
        "checks and faults), e.g. 65536 where the hub has cores of its own; 0 (the default): "
        "every message on the reactor thread"),
    Key("big_message_threads", POSITIVE, 2, "threads that parse and validate big messages"),
    Key("limits", Sub(LIMITS), {}, "per-adapter rate, burst and concurrency"),
    Key("read_timeout", Duration(), 30.0, "time to receive one whole request (PF-LIMIT-TIME)"),
    Key("max_connections_per_provider", POSITIVE, 64, "connections open to each provider at once; "
        "more requests wait for one, their timeout running"),
    Key("tls", Sub(TLS), None, "listen over TLS: { certificate, key, client_ca }"),
    Key("allow_plain_http", Bool(), False, "development only: plain HTTP, identities only claimed"),
    Key("provider_ca", Str(nonempty=True), None, "PEM: trust for https:// providers; "
        "default: the system's"),
    Key("client_certificate", Str(nonempty=True), None,
        "PEM: the hub's certificate towards providers (mutual TLS)"),
    Key("client_key", Str(nonempty=True), None, "PEM: its key"),
    Key("node_id", Str(), socket.gethostname, "this hub process in a cluster; default: the host "
        "name", one_to_64),
    # Declared for issues 9 (drain), 10 (replay, freshness), 13 (backlog); wired there.
    Key("drain_timeout", Duration(), 30.0, "on SIGTERM, how long exchanges and deliveries in "
        "flight may take to finish"),
    Key("backlog", POSITIVE, 1024, "the listening socket's queue of connections not yet accepted"),
    Key("workers", CountOrAuto(), 1, 'hub processes sharing the listening socket, supervised; '
        '"auto": one per core (pfbus serve --workers overrides it)'),
    Key("replay_window", Duration(), 24 * 3600.0, "a MessageId seen within it is refused "
        "(PF-DUPLICATE-MESSAGE)"),
    Key("clock_skew", Duration(), 300.0, "how far into the future a header's SentAt may be"),
    Key("max_age", Duration(), 3600.0, "how far into the past a header's SentAt may be"),
), "the SOAP listener and its limits")

STORE = Table("store", (
    Key("routing_log", Str(nonempty=True), "var/routing-log.sqlite3",
        "the routing log (経路ログ): a SQLite path (with several workers, worker k > 1 writes "
        "STEM.worker-K.SUFFIX beside it), or a postgresql:// URL"),
    Key("notices", Str(), "sqlite:var/notices.sqlite3",
        "store-and-forward of notices: sqlite:PATH or a postgresql:// URL", store_url),
    Key("seen_messages", Str(), None, "the MessageIds seen within [hub] replay_window (a "
        "replay: PF-DUPLICATE-MESSAGE): sqlite:PATH or a postgresql://…?schema=NAME URL; "
        "default: the routing log's PostgreSQL database and schema when the log is there, "
        "else a file beside the routing log", store_url),
    Key("archive", Str(), None, "encrypted payload archive, sqlite:PATH; off by default"),
    Key("archive_key_env", Str(), None, "the environment variable holding the archive's key"),
    Key("archive_key_file", Str(), None, "or a file holding it"),
), "where the hub keeps what it records")

SCHEMAS = Table("schemas", (
    Key("catalogs", ListOf(Str()), ["builtin"],
        'schema catalogs: "builtin" (shipped) and paths of catalog.toml files'),
), "the schema catalogs the hub loads")

ADDRESSEE_NUMBER = Table("tenants.addressee_number", (
    Key("scheme", Choice(("modulus11", "none")), "modulus11", "宛名番号 check-digit scheme"),
    Key("length", POSITIVE, None, "digits, the check digit included; default: any"),
    Key("weights", ListOf(Int(1, 10), nonempty=True), [2, 3, 4, 5, 6, 7],
        "modulus 11 weights from the rightmost digit"),
    Key("remainder_one", Int(0, 9), 0, "the check digit when the remainder is 1"),
), "a municipality's 宛名番号 check digit")

TENANTS = Table("tenants", (
    Key("local_gov_code", Str(), REQUIRED, "団体コード (6 digits, check digit)", local_gov_code),
    Key("name", Str(), None, "the municipality's name; default: its 団体コード"),
    Key("addressee_number", Sub(ADDRESSEE_NUMBER), None, "宛名番号 scheme; default: modulus11"),
    Key("characters", Choice(REPERTOIRES), "mj", "what the names of its data keep to"),
), "a municipality (団体) served by this hub")

SYSTEMS = Table("systems", (
    Key("party", Str(), REQUIRED, "団体コード/業務ユニット/システムID"),
    Key("characters", Choice(REPERTOIRES), "mj", "what the system stores"),
    Key("gaiji", Str(nonempty=True), None, "its registered 外字 table (TSV)"),
), "what the hub knows of a vendor system's characters")

_RETRY = RetryPolicy()
DELIVERY = Table("providers.delivery", (
    Key("max_attempts", POSITIVE, _RETRY.max_attempts, "attempts before the dead letter channel"),
    Key("max_age", Duration(), _RETRY.max_age, "time since accepted before the dead letter "
        "channel"),
    Key("backoff_initial", Duration(), _RETRY.backoff_initial, "wait before the 2nd attempt"),
    Key("backoff_max", Duration(), _RETRY.backoff_max, "longest wait between attempts"),
), "a subscriber's redelivery policy")

PROVIDERS = Table("providers", (
    Key("id", Str(nonempty=True), REQUIRED, "the provider's ID, used by routes and subscriptions"),
    Key("url", Str(), REQUIRED, "its SOAP endpoint", http_url),
    Key("timeout", Duration(), 10.0, "time for a complete answer"),
    Key("delivery", Sub(DELIVERY), {}, "as a subscriber: its redelivery policy"),
    Key("concurrency", POSITIVE, 8, "as a subscriber: notices delivered at once"),
), "a vendor system that provides services or receives notices")

ROUTES = Table("routes", (
    Key("local_gov_code", Str(), REQUIRED, "the receiver 団体コード"),
    Key("service", Str(nonempty=True), REQUIRED, "service ID"),
    Key("provider", Str(), REQUIRED, "a [[providers]] id"),
    Key("timeout", Duration(), None, "default: the provider's"),
), "content-based routing: (団体コード, service) → provider")

SUBSCRIPTIONS = Table("subscriptions", (
    Key("local_gov_code", Str(), REQUIRED, "the receiver 団体コード"),
    Key("service", Str(nonempty=True), REQUIRED, "a notice service ID"),
    Key("subscriber", Str(), REQUIRED, "a [[providers]] id"),
), "who receives which notices")

ADAPTERS = Table("adapters", (
    Key("id", Str(nonempty=True), REQUIRED, "the adapter's ID"),
    Key("certificate_fingerprint", Str(), None, "SHA256:AB:CD:… of its client certificate"),
    Key("certificate_fingerprints", ListOf(Str()), [], "several (certificate rollover)"),
    Key("certificate_cn", Str(), None, "or its certificate's common name"),
    Key("parties", ListOf(Str()), REQUIRED, "the sender identities it owns"),
    Key("ssh_public_keys", ListOf(Str(nonempty=True)), [],
        "file linkage: OpenSSH public keys of its SFTP account (\"ssh-ed25519 AAAA… comment\")"),
), "a registered adapter and its TLS identity")

ACCESS = Table("access", (
    Key("service", Str(nonempty=True), REQUIRED, "service ID"),
    Key("local_gov_code", Str(), REQUIRED, '団体コード, or "*" for all'),
    Key("right", Choice(RIGHTS), REQUIRED, "what the adapters may do"),
    Key("adapters", ListOf(Str(), nonempty=True), REQUIRED, "the adapters granted the right"),
), "an access right (default deny over TLS)")

ADMIN_ROLES = CONSOLE_ROLES
ADMIN_TLS = Table("admin.tls", (
    Key("certificate", Str(nonempty=True), REQUIRED, "PEM: the admin listener's certificate"),
    Key("key", Str(nonempty=True), REQUIRED, "PEM: its private key"),
    Key("client_ca", Str(nonempty=True), None, "PEM: CA of operators' client certificates "
        "(login by certificate)"),
), "the admin listener over TLS")

# Issue 12 (ops): the listener is on only when [admin] is present, on loopback unless over TLS.
ADMIN = Table("admin", (
    Key("listen", Str(), "127.0.0.1:9090", "HOST:PORT of the admin listener (metrics, health, "
        "console); loopback by default; port 0: any free port", host_port),
    Key("token_file", Str(nonempty=True), None,
        'console logins: lines "ROLE NAME TOKEN" (ROLE: operator | viewer)'),
    Key("tls", Sub(ADMIN_TLS), None, "the console over TLS; with client_ca: login by certificate"),
    Key("client_roles", MapOf(Choice(ADMIN_ROLES)), {}, "certificate CN = role"),
    Key("session_ttl", Duration(), 900.0, "idle time before a console session expires"),
    Key("state", Str(nonempty=True), "var/admin-state.json",
        "maintenance and pauses, kept across restarts"),
    Key("retry_after", POSITIVE, 120, "seconds: Retry-After of a maintenance or pause refusal"),
), "the admin listener: on only when this table is present")

# Declared for issue 9 item 5 (log): "forever" keeps a store's rows for ever.
RETENTION = Table("retention", (
    Key("routing_log", Duration(forever=True), 5 * 365 * 86_400.0,
        "routing log records (5 years: municipal audit practice)"),
    Key("delivered_notices", Duration(forever=True), 90 * 86_400.0,
        "notices once delivered to every subscriber (the routing log keeps their trace)"),
    Key("dead_letters", Duration(forever=True), 365 * 86_400.0,
        "dead letters, replayed or purged or not"),
    Key("archive", Duration(forever=True), 365 * 86_400.0, "archived payloads (personal data)"),
), "how long each store keeps its rows")

# Issue 16 (ファイル連携): read onto FilesConfig by bus/core/files_config.py.
FILE_SUBSCRIPTIONS = Table("files.subscriptions", (
    Key("local_gov_code", Str(), REQUIRED, "the 団体コード of the files"),
    Key("kind", Str(nonempty=True), REQUIRED, "a file kind of the file kind catalogs"),
    Key("subscriber", Str(nonempty=True), REQUIRED, "an [[adapters]] id: gets the files in its "
        "outbox/"),
), "who receives which files (recipient list)")

FILES = Table("files", (
    Key("root", Str(nonempty=True), "var/files", "the accounts' folders: ROOT/ADAPTER/inbox and "
        "outbox (drop folders), and the hub's own ROOT/.hub"),
    Key("listen", Str(), None, "HOST:PORT of the SFTP server; absent: drop folders only",
        host_port),
    Key("host_key", Str(nonempty=True), None, "the SFTP server's private host key (OpenSSH "
        "format); required with listen"),
    Key("ledger", Str(nonempty=True), "var/file-ledger.sqlite3",
        "the delivery ledger: a SQLite path, or a postgresql://…?schema=NAME URL"),
    Key("kinds", ListOf(Str()), ["builtin"],
        'file kind catalogs: "builtin" (schemas/file_kinds.toml) and paths'),
    Key("layouts", ListOf(Str()), [], "layout files or folders besides the shipped ones"),
    Key("max_file_bytes", POSITIVE, 2 * 1024 ** 3, "a larger upload is refused"),
    Key("concurrency", POSITIVE, 4, "uploads in flight per adapter"),
    Key("min_free_bytes", Int(minimum=0), 256 * 1024 ** 2,
        "uploads are refused while the root's disk has less free space"),
    Key("completion", Choice(("rename", "marker")), "rename", 'when an upload is complete: '
        '"rename" (from a temporary name: .part, .tmp) or "marker" (a NAME.done beside it)'),
    Key("retention", Duration(forever=True), 90 * 86_400.0, "the ledger's rows of files done "
        "with (confirmed by every subscriber, rejected, duplicates) and receipts left in "
        "outboxes are removed after this; also how long a duplicate is recognised"),
    Key("scan_interval", Duration(), 2.0, "how often inboxes and outboxes are looked at"),
    Key("subscriptions", Tables(FILE_SUBSCRIPTIONS), [], FILE_SUBSCRIPTIONS.doc),
), "file linkage (ファイル連携): SFTP and drop folders; on only when this table is present")

CONFIG = Table("hub config", (
    Key("hub", Sub(HUB), {}, HUB.doc),
    Key("store", Sub(STORE), {}, STORE.doc),
    Key("schemas", Sub(SCHEMAS), {}, SCHEMAS.doc),
    Key("admin", Sub(ADMIN), None, ADMIN.doc),
    Key("retention", Sub(RETENTION), {}, RETENTION.doc),
    Key("tenants", Tables(TENANTS), [], TENANTS.doc),
    Key("systems", Tables(SYSTEMS), [], SYSTEMS.doc),
    Key("providers", Tables(PROVIDERS), [], PROVIDERS.doc),
    Key("routes", Tables(ROUTES), [], ROUTES.doc),
    Key("subscriptions", Tables(SUBSCRIPTIONS), [], SUBSCRIPTIONS.doc),
    Key("adapters", Tables(ADAPTERS), [], ADAPTERS.doc),
    Key("access", Tables(ACCESS), [], ACCESS.doc),
    Key("files", Sub(FILES), None, FILES.doc),
))
