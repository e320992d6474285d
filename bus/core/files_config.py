"""``[files]`` of the hub config (ファイル連携): accounts, folders, limits and the recipient list.

Declared in ``bus/core/settings/hub.py`` (``FILES``, and ``ssh_public_keys`` of ``[[adapters]]``);
this module turns what was read into ``FilesConfig`` and checks what spans tables: every
subscriber is an ``[[adapters]]`` entry, every 団体コード a ``[[tenants]]`` one, a listening SFTP
server has a host key, and no public key belongs to two adapters. File kinds are checked against
the kind catalogs when the hub loads them (``bus/files/kinds.py``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from .settings import Section

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521")


@dataclass(frozen=True)
class Account:
    """An adapter's file linkage account: its folders ROOT/ID/inbox and ROOT/ID/outbox."""

    adapter: str  # the [[adapters]] id, also the SFTP user name
    parties: tuple[str, ...]  # 団体コード/業務ユニット/システムID it owns (sender identities)
    public_keys: tuple[bytes, ...]  # SSH public key blobs (wire format), for SFTP login

    def codes(self) -> frozenset[str]:
        """The 団体コード it may send files for."""
        return frozenset(p.split("/", 1)[0] for p in self.parties)

    def party_for(self, code: str) -> str:
        """The sender party of a file of ``code`` (the first it owns)."""
        return next(p for p in self.parties if p.split("/", 1)[0] == code)


@dataclass(frozen=True)
class FileSubscription:
    local_gov_code: str
    kind: str
    subscriber: str  # an adapter id


@dataclass(frozen=True)
class FilesConfig:
    root: Path
    ledger: Path | str  # a SQLite path, or a postgresql:// URL
    accounts: dict[str, Account]
    subscriptions: tuple[FileSubscription, ...] = ()
    host: str | None = None  # SFTP listener; None: drop folders only
    port: int = 0
    host_key: Path | None = None
    kinds: tuple[str, ...] = ("builtin",)  # "builtin" or absolute paths
    layouts: tuple[Path, ...] = ()
    max_file_bytes: int = 2 * 1024 ** 3
    concurrency: int = 4  # uploads in flight per adapter
    min_free_bytes: int = 256 * 1024 ** 2
    scan_interval: float = 2.0
    markers: bool = False  # completion = "marker": a NAME.done marker completes an upload
    retention: float | None = 90 * 86_400.0  # seconds; None: for ever


def public_key_blob(text: str) -> bytes | None:
    """The wire-format blob of an OpenSSH public key line, or None when it is not one."""
    parts = text.split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    name = parts[0].encode()
    # the blob starts with its own type name: a key pasted under the wrong type is refused here
    if blob[:4] != len(name).to_bytes(4, "big") or blob[4:4 + len(name)] != name:
        return None
    return blob


def parse_files(files: Section | None, adapters: list[Section],
                tenant_codes: frozenset[str]) -> FilesConfig | None:
    """``[files]`` (None when absent) with the accounts of ``[[adapters]]``."""
    if files is None:
        return None
    accounts: dict[str, Account] = {}
    owner: dict[bytes, str] = {}
    for a in adapters:
        if not _plain_folder_name(a["id"]):
            raise a.error("id", "with [files], an adapter's id is also its folder and SFTP user "
                                "name: letters, digits, '-', '_' and '.', not starting with '.'")
        blobs = []
        for j, text in enumerate(a["ssh_public_keys"]):
            blob = public_key_blob(text)
            if blob is None:
                raise a.error(f"ssh_public_keys[{j}]", "must be an OpenSSH public key line: "
                              f"TYPE BASE64 [comment], TYPE one of {', '.join(KEY_TYPES)}")
            if blob in owner:
                raise a.error(f"ssh_public_keys[{j}]", f"the same key is already adapter "
                                                       f"{owner[blob]!r}'s")
            owner[blob] = a["id"]
            blobs.append(blob)
        accounts[a["id"]] = Account(a["id"], tuple(a["parties"]), tuple(blobs))
    subscriptions = []
    seen = set()
    for s in files["subscriptions"]:
        code, kind, subscriber = s["local_gov_code"], s["kind"], s["subscriber"]
        if code not in tenant_codes:
            raise s.error("local_gov_code", f"団体コード {code!r} is not among [[tenants]]")
        if subscriber not in accounts:
            raise s.error("subscriber", f"no [[adapters]] entry with id {subscriber!r}")
        if (code, kind, subscriber) in seen:
            raise s.error("", f"{subscriber} subscribes to {kind} of {code} twice")
        seen.add((code, kind, subscriber))
        subscriptions.append(FileSubscription(code, kind, subscriber))
    host: str | None = None
    port = 0
    if files["listen"] is not None:
        host, _, port_text = files["listen"].rpartition(":")
        port = int(port_text)
        if files["host_key"] is None:
            raise files.error("host_key", "is required with files.listen (the SFTP server's "
                                          "private host key, e.g. ssh-keygen -t ed25519)")
    kinds = []
    for i, name in enumerate(files["kinds"]):
        if name == "builtin":
            kinds.append(name)
            continue
        path = (files.source.base / name).resolve()
        if not path.is_file():
            raise files.error(f"kinds[{i}]", f"file not found: {path}")
        kinds.append(str(path))
    root = files.path("root")
    ledger: Path | str | None = files["ledger"] if files["ledger"].startswith(
        ("postgresql://", "postgres://")) else files.path("ledger")
    assert root is not None and ledger is not None  # keys with defaults
    return FilesConfig(
        root=root, ledger=ledger, accounts=accounts, subscriptions=tuple(subscriptions),
        host=host, port=port, host_key=files.file("host_key"), kinds=tuple(kinds),
        layouts=tuple((files.source.base / p).resolve() for p in files["layouts"]),
        max_file_bytes=files["max_file_bytes"], concurrency=files["concurrency"],
        min_free_bytes=files["min_free_bytes"], scan_interval=files["scan_interval"],
        markers=files["completion"] == "marker", retention=files["retention"])


def _plain_folder_name(name: str) -> bool:
    return (name.isascii() and not name.startswith(".") and len(name) <= 64
            and name.replace("-", "").replace("_", "").replace(".", "").isalnum())
