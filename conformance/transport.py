"""HTTP to the product: SOAP POSTs and WSDL GETs with a hard deadline per step, TLS options.

``requests``' own timeout bounds each socket read, not the whole answer: a product trickling a
byte a second would never time out. The body is therefore read in chunks against a deadline, so
every step ends within its timeout whatever the product does (ITB's complaint: handlers that
hang forever).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from .records import Exchange

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class TlsOptions:
    """TLS client options for an https:// product (the platform's default is mutual TLS)."""

    ca_file: str | None = None  # CA bundle the product's certificate must chain to
    cert_file: str | None = None  # the suite's client certificate (PEM)
    key_file: str | None = None  # its private key (PEM), if not inside cert_file
    insecure: bool = False  # do not verify the product's certificate (never for a certificate)

    def apply(self, session: requests.Session) -> None:
        if self.insecure:
            session.verify = False
        elif self.ca_file:
            session.verify = self.ca_file
        if self.cert_file:
            session.cert = (self.cert_file, self.key_file) if self.key_file else self.cert_file

    def describe(self) -> dict:
        return {"ca_file": self.ca_file, "client_certificate": bool(self.cert_file),
                "verify": not self.insecure}


class Transport:
    def __init__(self, tls: TlsOptions = TlsOptions()):
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy from the environment: loopback stays local
        tls.apply(self.session)

    def close(self) -> None:
        self.session.close()

    def exchange(self, ex: Exchange, timeout: float) -> Exchange:
        """Perform ``ex`` (method, url, request, request_headers); fill in the answer."""
        started = ex.sent_monotonic = time.monotonic()
        deadline = started + timeout
        try:
            response = self.session.request(ex.method, ex.url, data=ex.request or None,
                                            headers=ex.request_headers, timeout=timeout,
                                            stream=True, allow_redirects=False)
            with response:
                chunks = []
                for chunk in response.iter_content(_CHUNK):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TimeoutError
                ex.status = response.status_code
                ex.response = b"".join(chunks)
                ex.response_headers = dict(response.headers)
        except (TimeoutError, requests.Timeout):
            ex.error = f"no complete answer within {timeout:g} s"
        except requests.RequestException as exc:
            ex.error = f"transport failure: {_reason(exc)}"
        ex.elapsed = time.monotonic() - started
        return ex


def _reason(exc: Exception) -> str:
    """The innermost cause, without the URL noise requests wraps around it."""
    inner = exc
    while inner.__cause__ is not None or inner.__context__ is not None:
        inner = inner.__cause__ or inner.__context__
    return f"{type(exc).__name__}: {inner}"
