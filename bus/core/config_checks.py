"""What a configuration needs beyond its own file: the catalogs' services, the PEM files'
contents. Each finding names the file and the key (``pfbus config check`` lists them all; the
hub refuses to start on the first)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from .catalog import Catalog
from .config import HubConfig
from .service_pattern import ServicePattern


def catalog_findings(config: HubConfig, catalog: Catalog) -> list[str]:
    """Routes and access rules name services of a loaded catalog, subscriptions notice
    services."""
    where = str(config.path) if config.path else "<config>"
    findings = []
    for i, route in enumerate(config.registry):
        if catalog.service(route.service_id) is None:
            findings.append(f"{where}: routes[{i}].service: {route.service_id!r} is not defined "
                            f"by any schema catalog")
    for service_id in sorted(config.registry.subscribed_services()):
        service = catalog.service(service_id)
        if service is None or service.pattern is not ServicePattern.NOTICE:
            findings.append(f"{where}: subscriptions: {service_id!r} is not a notice service of "
                            f"any schema catalog")
    for i, rule in enumerate(config.access.rules if config.access else ()):
        if catalog.service(rule.service_id) is None:
            findings.append(f"{where}: access[{i}].service: {rule.service_id!r} is not defined "
                            f"by any schema catalog")
    return findings


def pem_findings(config: HubConfig, now: dt.datetime | None = None) -> list[str]:
    """Each configured certificate parses and is valid now; each key parses and matches its
    certificate."""
    where = str(config.path) if config.path else "<config>"
    now = now or dt.datetime.now(dt.timezone.utc)
    findings: list[str] = []
    pairs: list[tuple[str, Path | None, str, Path | None]] = [
        ("hub.client_certificate", config.client_certificate, "hub.client_key",
         config.client_key)]
    cas: list[tuple[str, Path | None]] = [("hub.provider_ca", config.provider_ca)]
    if config.tls is not None:
        pairs.append(("hub.tls.certificate", config.tls.certificate, "hub.tls.key",
                      config.tls.key))
        cas.append(("hub.tls.client_ca", config.tls.client_ca))
    if config.admin is not None and config.admin.tls is not None:
        pairs.append(("admin.tls.certificate", config.admin.tls.certificate, "admin.tls.key",
                      config.admin.tls.key))
        cas.append(("admin.tls.client_ca", config.admin.tls.client_ca))
    for cert_key, cert_path, key_key, key_path in pairs:
        if cert_path is None or key_path is None:
            continue
        certs = _certificates(cert_key, cert_path, now, where, findings)
        key = _private_key(key_key, key_path, where, findings)
        if certs and key is not None and (key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                != certs[0].public_key().public_bytes(
                    serialization.Encoding.DER,
                    serialization.PublicFormat.SubjectPublicKeyInfo)):
            findings.append(f"{where}: {key_key}: {key_path} is not the key of {cert_path}")
    for ca_key, ca_path in cas:
        if ca_path is not None:
            _certificates(ca_key, ca_path, now, where, findings)
    return findings


def _certificates(key: str, path: Path, now: dt.datetime, where: str,
                  findings: list[str]) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        findings.append(f"{where}: {key}: {path}: not a PEM certificate: {exc}")
        return []
    for cert in certs:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            findings.append(f"{where}: {key}: {path}: {cert.subject.rfc4514_string()} is valid "
                            f"from {cert.not_valid_before_utc:%Y-%m-%d} to "
                            f"{cert.not_valid_after_utc:%Y-%m-%d}, not now")
    return certs


def _private_key(key: str, path: Path, where: str,
                 findings: list[str]) -> PrivateKeyTypes | None:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        findings.append(f"{where}: {key}: {path}: not an unencrypted PEM private key: {exc}")
        return None
