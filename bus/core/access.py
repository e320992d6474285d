"""Who may do what (アクセス権): adapter identities and access rights, as pure decisions.

An **adapter** is a connected vendor system, known by its TLS client certificate (SHA-256
fingerprint, or subject CN under the hub's client CA) and owning one or more **parties** — the
sender identities (``団体コード/業務ユニット/システムID``) it may put in a header's ``Sender``.
An **access right** grants adapters one right on (service, receiver 団体コード):

- ``call`` — send requests of a request-response service;
- ``publish`` — send notices (異動通知) of a notice service;
- ``subscribe`` — be a ``[[subscriptions]]`` subscriber of a notice service (checked at start).

Everything not granted is denied (X-Road: services are added disabled). ``check`` raises a
HubFault: ``PF-SENDER-SPOOFED`` when the header's Sender is not one of the caller's parties,
``PF-ACCESS-DENIED`` when the caller is not authenticated, unknown, or holds no right.

Identity comes from the certificate (``identity = "certificate"``, a TLS hub) or — only on a
development hub over plain HTTP — from the header's claimed Sender (``identity = "claimed"``):
the adapter owning that party is taken to be the caller, so rights still apply but nothing stops
a caller from claiming another adapter's party.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from . import faults
from .faults import HubFault
from .findings import Finding

class Right(StrEnum):
    """An access right (アクセス権) on (service, receiver 団体コード): ``[[access]] right``."""

    CALL = "call"  # send a request of a request-response service
    PUBLISH = "publish"  # send a notice
    SUBSCRIBE = "subscribe"  # receive a notice ([[subscriptions]])


class Identity(StrEnum):
    """Where the caller's identity comes from (see the module doc)."""

    CERTIFICATE = "certificate"  # the verified TLS client certificate (a TLS hub)
    CLAIMED = "claimed"  # the header's Sender (plain HTTP, development only)


RIGHTS = tuple(r.value for r in Right)  # the config's choice, in declaration order
ANY_CODE = "*"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def normalise_fingerprint(text: str) -> str | None:
    """``SHA256:AB:CD:…`` / ``ab cd …`` / plain hex → 64 lowercase hex digits, or None."""
    value = text.strip()
    if value.upper().startswith("SHA256:"):
        value = value[len("SHA256:"):]
    value = re.sub(r"[\s:]", "", value).lower()
    return value if _HEX64.fullmatch(value) else None


def format_fingerprint(hex_digest: str) -> str:
    """64 hex digits → ``SHA256:AB:CD:…`` (the form written in configs and printed by tools)."""
    h = hex_digest.upper()
    return "SHA256:" + ":".join(h[i:i + 2] for i in range(0, len(h), 2))


@dataclass(frozen=True)
class Adapter:
    id: str
    fingerprints: tuple[str, ...] = ()  # normalised SHA-256 fingerprints of its certificates
    subject_cn: str | None = None  # or: any certificate under the client CA with this CN
    parties: tuple[str, ...] = ()  # sender identities it owns: "131016/07/vendor-b-tax"


@dataclass(frozen=True)
class AccessRule:
    service_id: str
    local_gov_code: str  # the receiver's 団体コード, or "*" for every tenant
    adapters: tuple[str, ...]
    right: Right

    def __post_init__(self) -> None:  # read as text (a test, a tool): the member, or ValueError
        object.__setattr__(self, "right", Right(self.right))


@dataclass
class AccessPolicy:
    adapters: dict[str, Adapter] = field(default_factory=dict)
    rules: tuple[AccessRule, ...] = ()
    identity: Identity = Identity.CERTIFICATE

    def __post_init__(self) -> None:
        self.identity = Identity(self.identity)
        self._by_fingerprint = {fp: a.id for a in self.adapters.values() for fp in a.fingerprints}
        self._by_cn = {a.subject_cn: a.id for a in self.adapters.values() if a.subject_cn}
        self._by_party = {p: a.id for a in self.adapters.values() for p in a.parties}
        self._granted = {(r.service_id, r.local_gov_code, r.right, a)
                         for r in self.rules for a in r.adapters}

    # -- identity ---------------------------------------------------------------------------
    def identify(self, fingerprint: str | None, subject_cn: str | None = None) -> str | None:
        """The adapter ID of a verified client certificate, or None when it is not registered.
        A fingerprint match wins over a subject CN match."""
        if fingerprint and fingerprint in self._by_fingerprint:
            return self._by_fingerprint[fingerprint]
        if subject_cn and subject_cn in self._by_cn:
            return self._by_cn[subject_cn]
        return None

    # -- rights -----------------------------------------------------------------------------
    def allows(self, adapter_id: str, service_id: str, local_gov_code: str, right: Right) -> bool:
        return ((service_id, local_gov_code, right, adapter_id) in self._granted
                or (service_id, ANY_CODE, right, adapter_id) in self._granted)

    def check(self, peer: str | None, sender: str, service_id: str, local_gov_code: str,
              right: Right, path: str | None = None, line: int | None = None,
              message_id: str | None = None) -> str:
        """The adapter acting, once it may send this message; else raise HubFault."""
        def deny(code: faults.FaultCode, rule: str, message: str) -> HubFault:
            return HubFault(code, (Finding(rule, message, path, line),), message_id)

        if self.identity is Identity.CLAIMED:
            adapter = self._by_party.get(sender)
            if adapter is None:
                raise deny(faults.ACCESS_DENIED, "access:adapter",
                           f"no [[adapters]] entry owns the sender {sender}")
        else:
            if peer is None:
                raise deny(faults.ACCESS_DENIED, "access:authenticated",
                           "no client certificate: the caller is not authenticated")
            adapter = peer
            owned = self.adapters[peer].parties if peer in self.adapters else ()
            if sender not in owned:
                raise deny(faults.SENDER_SPOOFED, "access:sender",
                           f"adapter {peer} does not own the sender identity {sender}")
        if not self.allows(adapter, service_id, local_gov_code, right):
            raise deny(faults.ACCESS_DENIED, f"access:{right}",
                       f"adapter {adapter} has no {str(right)!r} right on {service_id} of 団体コード "
                       f"{local_gov_code}")
        return adapter
