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
"""

from __future__ import annotations

import atexit
import base64
import binascii
import datetime as dt
import logging
import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from enum import StrEnum

from .batching import STOP, Flush, next_batch
from .routing_log import _connect

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
MAX_QUEUED = 10_000
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




class PayloadArchive:
    """``PayloadArchive(path, key)`` opens or creates the archive; ``readonly=True`` only reads.

    ``store()`` is non-blocking and thread-safe; ``flush()`` waits for everything stored so far;
    ``read(message_id)`` decrypts (for ``pfbus archive show``, which logs the read).
    """

    def __init__(self, path: str | Path, key: bytes, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.dropped = 0
        self._aead = _aead(key)
        self._queue: queue.Queue = queue.Queue(maxsize=MAX_QUEUED)
        self._lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None
        try:
            if readonly:
                if not self.path.is_file():
                    raise ArchiveError(f"{self.path}: no such payload archive")
                self._conn = _connect(self.path, readonly=True)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
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
            self._conn_close()
            raise ArchiveError(f"{self.path}: {exc}") from exc
        except ArchiveError:
            self._conn_close()
            raise
        if not readonly:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"payload-archive:{self.path.name}")
            self._thread.start()
            atexit.register(_close_ref, weakref.ref(self))

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

    def store(self, message_id: str, kind: str, payload: bytes,
              exchange_id: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        with self._lock:
            if self._closed or self.readonly:
                raise ArchiveError(f"{self.path}: payload archive is "
                                   f"{'read-only' if self.readonly else 'closed'}")
            try:
                self._queue.put_nowait((message_id, kind, exchange_id, at, bytes(payload)))
            except queue.Full:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.error("payload archive %s: queue full, %d payloads not archived",
                              self.path, self.dropped)

    def flush(self, timeout: float = 5.0) -> None:
        if self._thread is None or not self._thread.is_alive():
            return
        marker = Flush()
        self._queue.put(marker, timeout=timeout)
        if not marker.done.wait(timeout):
            raise TimeoutError(f"payload archive {self.path}: flush not done in {timeout} s")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._queue.put(STOP)
            self._thread.join()
        self._conn_close()

    def __enter__(self) -> PayloadArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, markers, stop = next_batch(self._queue, 200)
            if batch:
                self._write(batch)
            for marker in markers:
                marker.done.set()

    def _write(self, batch: list[tuple]) -> None:
        rows = []
        for message_id, kind, exchange_id, at, payload in batch:
            nonce = os.urandom(NONCE_BYTES)  # random per payload: never reused under one key
            rows.append((message_id, kind, exchange_id, at, nonce,
                         self._aead.encrypt(nonce, payload, _ad(message_id, kind))))
        try:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT INTO payloads (message_id, kind, exchange_id, at, "
                                   "nonce, ciphertext) VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._conn.execute("COMMIT")
        except Exception as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self.dropped += len(batch)
            log.error("payload archive %s: %d payloads not archived: %s", self.path,
                      len(batch), exc)

    def _conn_close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            del self._conn

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


def _close_ref(ref: weakref.ref) -> None:
    archive = ref()
    if archive is not None:
        archive.close()


def open_configured(config) -> PayloadArchive | None:
    """The hub's archive from ``[store] archive`` (None when off, the default). Raises
    ArchiveError (ArchiveKeyError for a missing or wrong key) so that the hub does not start."""
    if config.archive is None:
        return None
    return PayloadArchive(config.archive, load_key(config.archive_key_env,
                                                   config.archive_key_file))
