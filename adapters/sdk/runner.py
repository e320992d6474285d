"""Running an adapter as its own process: serve a provider, announce where, stop cleanly."""

from __future__ import annotations

import json
import sys

from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

from .provider import ProviderApp


def run_provider(app: ProviderApp, *, name: str, host: str = "127.0.0.1", port: int = 0,
                 path: str = "soap", tls=None) -> None:
    """Serve ``app`` at ``http://host:port/<path>`` until SIGINT/SIGTERM.

    ``tls``: a ``twisted.internet.ssl.CertificateOptions`` (the provider's certificate; with
    ``verify=True, caCerts=[hub CA], requireCertificate=True`` only the hub's client certificate
    gets in): then it serves ``https://`` — give the hub ``[hub] provider_ca`` and, for mutual
    TLS, ``client_certificate`` / ``client_key`` (docs/security.md).

    Prints one JSON line ``{"event": "adapter.listening", "adapter": name, "url": …}`` once
    bound, so a supervisor (or ``pfbus demo``) learns the address of a port-0 listener.
    """
    root = Resource()
    root.putChild(path.encode("ascii"), app.resource())
    site = Site(root)
    site.displayTracebacks = False
    if tls is not None:
        listening = reactor.listenSSL(port, site, tls, interface=host)
    else:
        listening = reactor.listenTCP(port, site, interface=host)
    scheme = "https" if tls is not None else "http"
    url = f"{scheme}://{host}:{listening.getHost().port}/{path}"
    print(json.dumps({"event": "adapter.listening", "adapter": name, "url": url}), flush=True)
    reactor.run()
    print(json.dumps({"event": "adapter.stopped", "adapter": name}), file=sys.stderr, flush=True)
