"""Running an adapter as its own process: serve a provider, announce where, stop cleanly."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .provider import ProviderApp

# The listening socket's queue of connections not yet accepted, as the hub's [hub] backlog:
# Twisted's default of 50 overflows when a few hundred clients (or a hub's pool) connect at once.
DEFAULT_BACKLOG = 1024


def run_provider(app: ProviderApp, *, name: str, host: str = "127.0.0.1", port: int = 0,
                 path: str = "soap", tls=None, backlog: int = DEFAULT_BACKLOG) -> None:
    """Serve ``app`` at ``http://host:port/<path>`` until SIGINT/SIGTERM.

    ``tls``: a ``twisted.internet.ssl.CertificateOptions`` (the provider's certificate; with
    ``verify=True, caCerts=[hub CA], requireCertificate=True`` only the hub's client certificate
    gets in): then it serves ``https://`` — give the hub ``[hub] provider_ca`` and, for mutual
    TLS, ``client_certificate`` / ``client_key`` (docs/security.md).

    ``backlog``: the listening socket's accept queue (the kernel caps it at
    ``net.core.somaxconn``).

    Prints one JSON line ``{"event": "adapter.listening", "adapter": name, "url": …}`` once
    bound, so a supervisor (or ``pfbus demo``) learns the address of a port-0 listener.
    """
    # Imported here: a command that only parses its options (add_backlog_option) installs no
    # reactor.
    from twisted.internet import reactor
    from twisted.web.resource import Resource

    root = Resource()
    root.putChild(path.encode("ascii"), app.resource())
    from .site import provider_site

    site = provider_site(root)
    if tls is not None:
        listening = reactor.listenSSL(port, site, tls, backlog=backlog, interface=host)
    else:
        listening = reactor.listenTCP(port, site, backlog=backlog, interface=host)
    scheme = "https" if tls is not None else "http"
    url = f"{scheme}://{host}:{listening.getHost().port}/{path}"
    print(json.dumps({"event": "adapter.listening", "adapter": name, "url": url}), flush=True)
    reactor.run()
    print(json.dumps({"event": "adapter.stopped", "adapter": name}), file=sys.stderr, flush=True)


def add_backlog_option(parser) -> None:
    """``--backlog N`` for an adapter's ``serve`` command (argparse)."""
    parser.add_argument("--backlog", type=int, default=DEFAULT_BACKLOG,
                        help="the listening socket's queue of connections not yet accepted "
                             f"(default {DEFAULT_BACKLOG})")
