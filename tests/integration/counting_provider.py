"""A slow provider that counts its connections: ``python -m tests.integration.counting_provider
DELAY [stall-body|huge-body|huge-chunked|two-lengths]``. It answers ResidentInquiry (not-found)
``DELAY`` seconds after each request (with ``stall-body``: sends the head and half the body, then
nothing more; with ``huge-body``: declares and sends 1 MB beyond the answer; with
``huge-chunked``: the same without Content-Length, chunk by chunk; with ``two-lengths``: the
answer framed by two Content-Length headers, on the raw connection, which it then leaves open), and
``GET /connections`` tells how many TCP connections carrying SOAP requests were open at most at
once, how many are open now, how many there were and how many requests arrived — the provider's
side of a connection cap (the GET's own connection is not counted)."""

from __future__ import annotations

import json
import sys

from twisted.internet import reactor
from twisted.web import server

from .fake_provider import ScriptedProvider


class CountingSite(server.Site):
    def __init__(self, resource):
        super().__init__(resource)
        self.soap: set = set()  # open connections that carried a POST
        self.max_open = self.total = 0

    def carried_post(self, channel) -> None:
        if channel not in self.soap:
            self.soap.add(channel)
            self.total += 1
            self.max_open = max(self.max_open, len(self.soap))

    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        lost = protocol.connectionLost

        def connection_lost(reason):
            self.soap.discard(protocol)
            lost(reason)

        protocol.connectionLost = connection_lost
        return protocol


HUGE = 1024 * 1024


class SlowCountingProvider(ScriptedProvider):
    def __init__(self, delay: float, mode: str | None = None):
        super().__init__("valid")
        self.delay = delay
        self.mode = mode
        self.site: CountingSite | None = None

    def render_GET(self, request):
        site = self.site
        assert site is not None
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"open": len(site.soap), "max_open": site.max_open,
                           "connections": site.total, "received": self.received}).encode()

    def render_POST(self, request):
        assert self.site is not None
        self.site.carried_post(request.channel)
        reply = super().render_POST(request)
        if self.mode == "stall-body":
            request.setHeader(b"content-length", b"%d" % len(reply))
            request.write(reply[:len(reply) // 2])  # and never the rest
            return server.NOT_DONE_YET
        if self.mode == "two-lengths":
            request.channel.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "
                b"%d\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), len(reply), reply))
            return server.NOT_DONE_YET
        if self.mode in ("huge-body", "huge-chunked"):
            padding = b" " * HUGE  # white space after the envelope: only its size is wrong
            if self.mode == "huge-body":
                request.setHeader(b"content-length", b"%d" % (len(reply) + HUGE))
            request.write(reply)
            for start in range(0, HUGE, 65536):
                request.write(padding[start:start + 65536])
            request.finish()
            return server.NOT_DONE_YET
        reactor.callLater(self.delay, self._late, request, reply)
        return server.NOT_DONE_YET


def main() -> None:
    provider = SlowCountingProvider(float(sys.argv[1]), sys.argv[2] if sys.argv[2:] else None)
    site = provider.site = CountingSite(provider)
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
