"""Running an adapter as its own process: serve a provider, announce where, stop cleanly."""

from __future__ import annotations

import json
import sys

from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

from .provider import ProviderApp


def run_provider(app: ProviderApp, *, name: str, host: str = "127.0.0.1", port: int = 0,
                 path: str = "soap") -> None:
    """Serve ``app`` at ``http://host:port/<path>`` until SIGINT/SIGTERM.

    Prints one JSON line ``{"event": "adapter.listening", "adapter": name, "url": …}`` once
    bound, so a supervisor (or ``pfbus demo``) learns the address of a port-0 listener.
    """
    root = Resource()
    root.putChild(path.encode("ascii"), app.resource())
    site = Site(root)
    site.displayTracebacks = False
    listening = reactor.listenTCP(port, site, interface=host)
    url = f"http://{host}:{listening.getHost().port}/{path}"
    print(json.dumps({"event": "adapter.listening", "adapter": name, "url": url}), flush=True)
    reactor.run()
    print(json.dumps({"event": "adapter.stopped", "adapter": name}), file=sys.stderr, flush=True)
