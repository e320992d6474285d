"""The payload archive (optional, off by default): the exact bytes of requests, responses and
notices, encrypted at rest.

Each payload is sealed with AES-256-GCM (the ``cryptography`` package: a well-kept, audited AEAD;
we do not write crypto) under a fresh random 96-bit nonce, with ``message ID + kind`` as
associated data — a ciphertext moved to another message's row does not decrypt. The key (32
bytes, base64 or hex) comes from an environment variable (preferred: ``[store] archive_key_env``)
or a key file (``archive_key_file``), never from the TOML itself. The file holds a key check
value, so a wrong key is refused with a clear error instead of garbage.

Writes go through a queue to one writer thread (encryption included), like the routing log: the
reactor never waits for the disk or the cipher. Reading is ``pfbus archive show``, which records
every read in the routing log (hop ``archive_read``: who and why, never the content).

Evidence or refuse, as for the routing log: ``store()`` never drops a payload. A batch whose
commit fails (disk full, read-only file, database error) is kept and retried until it is written;
``health()`` says ``failing`` meanwhile (the hub refuses new exchanges, bus/hub/evidence.py), and
``behind`` while more than ``high_water`` payloads or ``high_water_bytes`` bytes wait (the hub
holds new exchanges, then refuses them; it stops reading requests meanwhile). Memory is bounded
that way, by admission, not by dropping. ``committed()``/``on_commit`` let the hub release a reply
only once its payloads are in the file. Only ``close()`` gives up, after its timeout (``lost``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from enum import StrEnum

from .group_writer import GroupWriter
from .routing_log import _connect
from .write_turns import WriteTurns

log = logging.getLogger(__name__)


class PayloadKind(StrEnum):
    """Which payload of an exchange (``payloads.kind``; with the MessageId, the AEAD's
    associated data: the text must never change)."""

    REQUEST = "request"
    RESPONSE = "response"
    NOTICE = "notice"


KINDS = tuple(k.value for k in PayloadKind)
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
MAX_BATCH = 200  # payloads per commit
HIGH_WATER = 10_000  # payloads waiting beyond this: "behind", new exchanges wait
HIGH_WATER_BYTES = 64 << 20  # or bytes waiting beyond this (payloads can be large)
_KEY_CHECK = b"pfbus payload archive key check v1"
_KEY_CHECK_AD = b"pfbus:key-check"

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS archive_meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS payloads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        exchange_id TEXT,
        at TEXT NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS payloads_message_id ON payloads (message_id)",
]


class ArchiveError(Exception):
    """The archive cannot be opened, written or read."""


class ArchiveKeyError(ArchiveError):
    """No usable key, or the key does not open this archive."""


def load_key(env: str | None = None, key_file: str | Path | None = None,
             environ: Mapping[str, str] | None = None) -> bytes:
    """The archive key from the environment variable ``env`` or the file ``key_file``: 32 bytes
    written as base64 (``openssl rand -base64 32``) or 64 hex digits. The error never shows it."""
    environ = os.environ if environ is None else environ
    if env:
        text = environ.get(env)
        if not text:
            raise ArchiveKeyError(f"the environment variable {env} (store.archive_key_env) is not "
                                  f"set: export it with the archive key (openssl rand -base64 32)")
        where = f"the environment variable {env}"
    elif key_file:
        try:
            text = Path(key_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ArchiveKeyError(f"cannot read the archive key file {key_file}: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from None
        where = f"the key file {key_file}"
    else:
        raise ArchiveKeyError("no archive key: set store.archive_key_env (preferred) or "
                              "store.archive_key_file")
    text = text.strip()
    key = None
    if len(text) == 2 * KEY_BYTES:
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = None
    if key is None:
        try:
            key = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) != KEY_BYTES:
        raise ArchiveKeyError(f"{where} does not hold a {KEY_BYTES}-byte key as base64 or hex "
                              f"(make one with: openssl rand -base64 32)")
    return key


def _aead(key: bytes):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _ad(message_id: str, kind: str) -> bytes:
    return f"pfbus:payload:{message_id}:{kind}".encode("utf-8")


@dataclass(frozen=True)
class ArchivedPayload:
    message_id: str
    kind: str
    at: str
    exchange_id: str | None
    payload: bytes


class PayloadArchive(GroupWriter):
    """``PayloadArchive(path, key)`` opens or creates the archive; ``readonly=True`` only reads.

    ``store()`` is non-blocking, thread-safe and never drops; ``flush()`` waits for everything
    stored so far; ``health()`` is the writer's state (see the module doc); ``read(message_id)``
    decrypts (for ``pfbus archive show``, which logs the read).
    """

    WHAT = "payload archive"
    UNIT = "payloads"
    MAX_BATCH = MAX_BATCH
    Error = ArchiveError

    def __init__(self, path: str | Path, key: bytes, *, readonly: bool = False,
                 high_water: int = HIGH_WATER, high_water_bytes: int = HIGH_WATER_BYTES,
                 on_commit: Callable[[int], None] | None = None,
                 on_state: Callable[[dict], None] | None = None) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.readonly = readonly
        # The queue, writer thread, retries and health: GroupWriter (bus/store/group_writer.py).
        # The hub sets on_commit/on_state (bus/hub/evidence.py).
        self._init_writer(high_water=high_water, high_water_bytes=high_water_bytes,
                          on_commit=on_commit, on_state=on_state)
        self._aead = _aead(key)
        self._turns: WriteTurns | None = None
        try:
            if readonly:
                if not self.path.is_file():
                    raise ArchiveError(f"{self.path}: no such payload archive")
                self._conn = _connect(self.path, readonly=True)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._turns = WriteTurns(self.path)  # every worker writes it: bus/store/write_turns.py
                self._conn = _connect(self.path, readonly=False)
                self._conn.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA:
                    self._conn.execute(statement)
                if self._meta("key_check") is None:
                    nonce = os.urandom(NONCE_BYTES)
                    self._conn.execute("INSERT INTO archive_meta (key, value) VALUES (?, ?)",
                                       ("key_check", nonce + self._aead.encrypt(
                                           nonce, _KEY_CHECK, _KEY_CHECK_AD)))
                self._conn.execute("COMMIT")
            self._check_key()
        except sqlite3.Error as exc:
            self._close_connections()
            raise ArchiveError(f"{self.path}: {exc}") from exc
        except ArchiveError:
            self._close_connections()
            raise
        if not readonly:
            self._start_writer(f"payload-archive:{self.path.name}")

    def _meta(self, key: str):
        row = self._conn.execute("SELECT value FROM archive_meta WHERE key = ?",
                                 (key,)).fetchone()
        return row[0] if row else None

    def _check_key(self) -> None:
        from cryptography.exceptions import InvalidTag

        try:
            check = self._meta("key_check")
        except sqlite3.Error as exc:
            raise ArchiveError(f"{self.path}: not a payload archive ({exc})") from None
        if check is None:
            raise ArchiveError(f"{self.path}: not a payload archive (no key check)")
        try:
            ok = self._aead.decrypt(check[:NONCE_BYTES], check[NONCE_BYTES:],
                                    _KEY_CHECK_AD) == _KEY_CHECK
        except InvalidTag:
            ok = False
        if not ok:
            raise ArchiveKeyError(f"{self.path}: wrong key: the configured archive key does not "
                                  f"open this archive (it was created with another key)")

    # -- writing -----------------------------------------------------------------------------

    @property
    def dropped(self) -> int:
        """Payloads not archived (the name the metrics used): only ever ``lost`` at close."""
        return self.lost

    def store(self, message_id: str, kind: str, payload: bytes,
              exchange_id: str | None = None) -> int:
        """Queue one payload; never waits for the disk and never drops it. Returns its sequence
        number in this process: ``committed()`` reaches it once it is in the file."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        payload = bytes(payload)
        return self._enqueue((message_id, kind, exchange_id, at, payload), size=len(payload))

    def _prepare(self, batch: list[tuple]) -> tuple[list[tuple], int, int]:
        """Sealed once per batch: a retry writes the same ciphertexts."""
        rows = []
        size = 0
        for message_id, kind, exchange_id, at, payload in batch:
            nonce = os.urandom(NONCE_BYTES)  # random per payload: never reused under one key
            rows.append((message_id, kind, exchange_id, at, nonce,
                         self._aead.encrypt(nonce, payload, _ad(message_id, kind))))
            size += len(payload)
        return rows, len(batch), size

    def _write(self, rows: list[tuple]) -> Exception | None:
        started = time.monotonic()
        assert self._turns is not None
        with self._turns:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany("INSERT INTO payloads (message_id, kind, exchange_id, "
                                       "at, nonce, ciphertext) VALUES (?, ?, ?, ?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except Exception as exc:  # e.g. disk full: the caller keeps the batch and retries
                try:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                return exc
        self.last_commit_seconds = time.monotonic() - started
        self.last_commit_at = time.time()
        return None

    def _close_connections(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            del self._conn
        if self._turns is not None:
            self._turns.close()
            self._turns = None

    # -- reading -----------------------------------------------------------------------------

    def read(self, message_id: str) -> list[ArchivedPayload]:
        """Every payload archived under ``message_id`` (request, response, notice), oldest
        first, decrypted. A row that fails authentication raises ArchiveError naming it."""
        from cryptography.exceptions import InvalidTag

        rows = self._conn.execute("SELECT id, kind, exchange_id, at, nonce, ciphertext FROM "
                                  "payloads WHERE message_id = ? ORDER BY id",
                                  (message_id,)).fetchall()
        out = []
        for rid, kind, exchange_id, at, nonce, ciphertext in rows:
            try:
                plain = self._aead.decrypt(nonce, ciphertext, _ad(message_id, kind))
            except InvalidTag:
                raise ArchiveError(f"{self.path}: archived payload {rid} does not authenticate "
                                   f"(changed, or moved from another message)") from None
            out.append(ArchivedPayload(message_id, kind, at, exchange_id, plain))
        return out


def open_configured(config) -> PayloadArchive | None:
    """The hub's archive from ``[store] archive`` (None when off, the default). Raises
    ArchiveError (ArchiveKeyError for a missing or wrong key) so that the hub does not start."""
    if config.archive is None:
        return None
    return PayloadArchive(config.archive, load_key(config.archive_key_env,
                                                   config.archive_key_file))
