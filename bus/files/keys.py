"""SSH key pairs made fresh for the file linkage demo and tests (never a key checked into the
repository): an adapter's login key, the hub's host key."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def key_pair(folder: Path, name: str) -> tuple[Path, str]:
    """An Ed25519 private key file (OpenSSH format, mode 0600) and its public key line."""
    key = ed25519.Ed25519PrivateKey.generate()
    path = folder / name
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    (folder / f"{name}.pub").write_text(public + f" {name}\n")
    return path, f"{public} {name}"
