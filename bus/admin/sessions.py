"""Console login, sessions and CSRF tokens — pure (no Twisted, no sockets).

- Login by a token from ``[admin] token_file`` (lines ``ROLE NAME TOKEN``) or by a client
  certificate whose CN ``[admin] client_roles`` names. Tokens are compared in constant time and
  kept only as SHA-256 digests in memory.
- A session expires after ``ttl`` seconds without use, and after ``MAX_AGE`` in any case.
- Every change (a POST) must carry the session's CSRF token (synchroniser token); the session
  cookie is also ``SameSite=Strict``.
- Roles: ``viewer`` reads; ``operator`` also changes (maintenance, pause, replay, purge, reveal).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..core.console_roles import ROLES, ConsoleRole

MAX_AGE = 8 * 3600.0  # a session ends after a working day however active
MIN_TOKEN = 16


class TokenFileError(ValueError):
    """The token file cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: ConsoleRole

    def __post_init__(self) -> None:  # a role read as text becomes the member (or ValueError)
        object.__setattr__(self, "role", ConsoleRole(self.role))

    @property
    def can_change(self) -> bool:
        return self.role is ConsoleRole.OPERATOR


@dataclass
class Session:
    id: str
    principal: Principal
    csrf: str
    created: float
    last_used: float


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def parse_token_file(text: str, where: str = "token file") -> dict[bytes, Principal]:
    """``ROLE NAME TOKEN`` per line; ``#`` comments and blank lines ignored."""
    tokens: dict[bytes, Principal] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3:
            raise TokenFileError(f"{where}:{number}: expected ROLE NAME TOKEN")
        role, name, token = parts
        if role not in ROLES:
            raise TokenFileError(f"{where}:{number}: role must be one of {', '.join(ROLES)}")
        if len(token) < MIN_TOKEN:
            raise TokenFileError(f"{where}:{number}: the token must have at least {MIN_TOKEN} "
                                 f"characters")
        if _digest(token) in tokens:
            raise TokenFileError(f"{where}:{number}: this token is already listed")
        tokens[_digest(token)] = Principal(name, ConsoleRole(role))
    return tokens


def load_token_file(path: Path) -> dict[bytes, Principal]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TokenFileError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_token_file(text, str(path))


class Sessions:
    def __init__(self, tokens: dict[bytes, Principal], client_roles: dict[str, str],
                 ttl: float):
        self.tokens = tokens
        self.client_roles = client_roles
        self.ttl = ttl
        self._sessions: dict[str, Session] = {}

    def authenticate_token(self, token: str) -> Principal | None:
        want = _digest(token or "")
        found = None
        for digest, principal in self.tokens.items():  # every entry compared: constant time
            if hmac.compare_digest(digest, want):
                found = principal
        return found

    def authenticate_certificate(self, cn: str | None) -> Principal | None:
        role = self.client_roles.get(cn or "")
        return Principal(f"cert:{cn}", ConsoleRole(role)) if role else None

    def open(self, principal: Principal, now: float) -> Session:
        self._expire(now)
        session = Session(secrets.token_urlsafe(32), principal, secrets.token_urlsafe(32), now,
                          now)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None, now: float) -> Session | None:
        """The live session of this cookie value (its idle time restarts), or None."""
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        if now - session.last_used > self.ttl or now - session.created > MAX_AGE:
            del self._sessions[session.id]
            return None
        session.last_used = now
        return session

    def close(self, session_id: str | None) -> None:
        self._sessions.pop(session_id or "", None)

    def _expire(self, now: float) -> None:
        for sid, s in list(self._sessions.items()):
            if now - s.last_used > self.ttl or now - s.created > MAX_AGE:
                del self._sessions[sid]


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


def same_origin(origin: str | None, host: str | None) -> bool:
    """A browser's Origin header (when it sends one) must name this listener."""
    if not origin:
        return True  # not a browser form post (CLI), or an old browser: the CSRF token decides
    if not host:
        return False
    return origin.split("://", 1)[-1].rstrip("/") == host
