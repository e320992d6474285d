"""A scripted provider for failure tests: it answers ResidentInquiry in one chosen (mis)behaviour.

Run as ``python -m tests.integration.fake_provider MODE``; prints ``{"port": N}`` once
listening. ``GET /received`` tells how many SOAP requests reached it, which is how tests prove
that a rejected message was never forwarded.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from lxml import etree
from twisted.internet import reactor
from twisted.web import resource, server

from bus.core.envelope import CONTENT_TYPES, parse_envelope
from bus.core.header import PlatformHeader, request_digest

JUKI = "urn:pfbus:unit:juki:v1"
MODES = ("valid", "invalid-body", "wrong-hash", "slow", "slow-2s", "http-error")
DELAYS = {"slow": 30, "slow-2s": 2}  # seconds before a slow mode answers


class ScriptedProvider(resource.Resource):
    isLeaf = True

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        self.received = 0

    def render_GET(self, request):
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"received": self.received}).encode()

    def render_POST(self, request):
        self.received += 1
        raw = request.content.read()
        env = parse_envelope(raw)
        request.setHeader(b"content-type", CONTENT_TYPES[env.soap_ns].encode())
        if self.mode == "http-error":
            request.setResponseCode(503)
            return b"<html>maintenance</html>"
        reply = self._reply(env, raw)
        if self.mode in DELAYS:
            reactor.callLater(DELAYS[self.mode], self._late, request, reply)
            return server.NOT_DONE_YET
        return reply

    @staticmethod
    def _late(request, body: bytes) -> None:
        if not request._disconnected:
            request.write(body)
            request.finish()

    def _reply(self, env, raw: bytes) -> bytes:
        header = PlatformHeader.from_element(env.header).reply(raw)
        if self.mode == "wrong-hash":
            header = replace(header, request_hash=request_digest(b"other bytes"))
        soap = env.soap_ns
        root = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
        etree.SubElement(root, f"{{{soap}}}Header").append(header.to_element())
        body = etree.SubElement(root, f"{{{soap}}}Body")
        answer = etree.SubElement(body, f"{{{JUKI}}}ResidentInquiryResponse", nsmap={"j": JUKI})
        status = etree.SubElement(answer, f"{{{JUKI}}}Status")
        status.text = "perhaps" if self.mode == "invalid-body" else "not-found"
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def main() -> None:
    mode = sys.argv[1]
    if mode not in MODES:
        raise SystemExit(f"mode must be one of {MODES}")
    site = server.Site(ScriptedProvider(mode))
    if len(sys.argv) > 2 and sys.argv[2] == "--tls":  # --tls CERT KEY [CLIENT_CA]: https
        port = reactor.listenSSL(0, site, _tls_options(*sys.argv[3:6]), interface="127.0.0.1")
    else:
        port = reactor.listenTCP(0, site, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)
    reactor.run()


def _tls_options(cert: str, key: str, client_ca: str | None = None):
    """Server TLS; with ``client_ca`` a client certificate signed by it is required (mTLS)."""
    from pathlib import Path

    from OpenSSL import crypto
    from twisted.internet import ssl

    def load(path: str):
        return crypto.load_certificate(crypto.FILETYPE_PEM, Path(path).read_bytes())

    extra = dict(verify=True, caCerts=[load(client_ca)], requireCertificate=True) \
        if client_ca else {}
    return ssl.CertificateOptions(
        privateKey=crypto.load_privatekey(crypto.FILETYPE_PEM, Path(key).read_bytes()),
        certificate=load(cert), **extra)


if __name__ == "__main__":
    main()
