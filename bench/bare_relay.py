"""A bare relay for benchmarks: the hub's HTTP plumbing without the hub's work.

Same twisted.web server and the same ``bus.hub.forwarder.Forwarder`` (persistent pooled
connections) as the hub, but no parsing, no validation, no routing log and no event log: every
POST is forwarded unchanged to ``--to`` and the answer relayed back. Measured beside the hub, it
splits the hub's cost into "Twisted relaying HTTP" and "what pfbus does per message".

    python bench/bare_relay.py --to http://127.0.0.1:PORT/soap   # prints {"port": N}
"""

from __future__ import annotations

import argparse
import json
import sys

from twisted.internet import defer, reactor
from twisted.web import resource, server

from bus.core.faults import HubFault
from bus.hub.forwarder import Forwarder


class Relay(resource.Resource):
    isLeaf = True

    def __init__(self, to: str, forwarder: Forwarder):
        super().__init__()
        self.to = to
        self.forwarder = forwarder

    def render_POST(self, request):
        raw = request.content.read()
        ctype = (request.getHeader("content-type") or "text/xml; charset=utf-8")
        d = defer.Deferred.fromCoroutine(self.forwarder.post(self.to, raw, ctype, None, 10.0))
        d.addCallbacks(self._relay, self._failed, callbackArgs=(request,),
                       errbackArgs=(request,))
        return server.NOT_DONE_YET

    @staticmethod
    def _relay(answer, request) -> None:
        if request._disconnected:
            return
        request.setResponseCode(answer.status)
        request.setHeader(b"content-type", (answer.content_type or "text/xml").encode())
        request.write(answer.body)
        request.finish()

    @staticmethod
    def _failed(failure, request) -> None:
        failure.trap(HubFault)
        if not request._disconnected:
            request.setResponseCode(502)
            request.write(f"{failure.value}\n".encode())
            request.finish()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", required=True, help="the provider's URL")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any)")
    args = parser.parse_args(argv)
    site = server.Site(Relay(args.to, Forwarder(reactor, 64)))
    port = reactor.listenTCP(args.port, site, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
