"""Test helpers for adapters (結合試験用): run a provider and a stand-in hub on loopback.

* :func:`reactor_thread` runs Twisted's global reactor in a daemon thread, once per process, so
  synchronous test code (pytest, the zeep consumer) can drive Twisted servers;
* :func:`serve` listens on an ephemeral loopback port and returns its base URL;
* :class:`HubStub` stands in for the hub: ``GET /services/<id>?wsdl`` answers the catalog's
  standard WSDL with its schemaLocations and soap:address rewritten to absolute URLs (as the hub
  does), ``/schemas/<catalog name>/…`` serves the XSDs, and ``POST /services/<id>`` forwards the
  exact request bytes to a provider and its exact reply back (``tamper`` may alter the reply);
* :class:`NoticeSink` answers notices with receipts as the hub does (accepted, then duplicate),
  or fails on request, to test a publisher's resending;
* :func:`sample_request` reads the example request body the catalog declares per service.

Waits are bounded (``timeout``); nothing here sleeps blindly.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from lxml import etree
from twisted.internet import reactor
from twisted.internet.threads import blockingCallFromThread, deferToThread
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from bus.core.catalog import Catalog
from bus.hub.wsdl import WsdlPublisher
from schemas import BUILTIN_CATALOG

from .site import provider_site

_reactor_lock = threading.Lock()
_reactor_threads: list[threading.Thread] = []


def reactor_thread(timeout: float = 10.0):
    """The global reactor, running in a daemon thread (started on the first call)."""
    with _reactor_lock:
        if not reactor.running:
            started = threading.Event()
            reactor.callWhenRunning(started.set)
            thread = threading.Thread(target=reactor.run,
                                      kwargs={"installSignalHandlers": False},
                                      name="twisted-reactor", daemon=True)
            thread.start()
            _reactor_threads.append(thread)
            if not started.wait(timeout):
                raise RuntimeError(f"the reactor did not start within {timeout}s")
    return reactor


def stop_reactor_thread(timeout: float = 10.0) -> None:
    """Stop the reactor started by :func:`reactor_thread`, if any, and wait for it.

    Call it before the interpreter exits (e.g. at the end of a test session): the reactor's
    thread pool workers (``deferToThread``) are not daemon threads, and interpreter shutdown would
    wait for them forever."""
    with _reactor_lock:
        if reactor.running and _reactor_threads:
            reactor.callFromThread(reactor.stop)
        for thread in _reactor_threads:
            thread.join(timeout)


@dataclass
class Server:
    url: str  # http://127.0.0.1:<port>
    port: object  # IListeningPort

    def close(self) -> None:
        blockingCallFromThread(reactor, self.port.stopListening)


def serve(resource: Resource) -> Server:
    """Serve ``resource`` on 127.0.0.1:<ephemeral> from the reactor thread."""
    reactor_thread()
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, provider_site(resource),
                                  interface="127.0.0.1")
    return Server(url=f"http://127.0.0.1:{port.getHost().port}", port=port)


class HubStub(Resource):
    """A stand-in for the hub in adapter tests: standard WSDLs, XSDs, and a byte-exact relay.

    ``provider_url(service_id)`` is where POSTs are forwarded; ``tamper(raw) -> raw`` may alter a
    provider reply before it is returned (to test the consumer's checks). WSDLs and XSDs are
    published exactly as the hub publishes them (``bus.hub.wsdl.WsdlPublisher``).
    """

    def __init__(self, provider_url: Callable[[str], str], catalog: Path = BUILTIN_CATALOG,
                 tamper: Callable[[bytes], bytes] | None = None, timeout: float = 30.0):
        super().__init__()
        self.catalog = Catalog.load([catalog])
        self.services = self.catalog.services
        self.provider_url = provider_url
        self.tamper = tamper
        self.timeout = timeout
        self._publishers: dict[str, WsdlPublisher] = {}
        self.putChild(b"services", _Services(self))
        self.putChild(b"schemas", _SchemaFiles(self))

    def publisher(self, request) -> WsdlPublisher:
        """The publisher for the address this request reached (known only once listening)."""
        host = request.getHost()
        base_url = f"http://{host.host}:{host.port}"
        if base_url not in self._publishers:
            self._publishers[base_url] = WsdlPublisher(self.catalog, base_url)
        return self._publishers[base_url]


class _SchemaFiles(Resource):
    """``/schemas/<catalog>/<path>``: the catalog's schema files, and nothing else (like the hub)."""

    isLeaf = True

    def __init__(self, hub: HubStub):
        super().__init__()
        self.hub = hub

    def render_GET(self, request):
        parts = [p.decode("utf-8") for p in request.postpath]
        body = self.hub.publisher(request).schema_file(parts[0], "/".join(parts[1:])) \
            if len(parts) >= 2 else None
        if body is None:
            request.setResponseCode(404)
            return b"not a schema of this catalog"
        request.setHeader(b"content-type", b"application/xml")
        return body


class _Services(Resource):
    def __init__(self, hub: HubStub):
        super().__init__()
        self.hub = hub

    def getChild(self, path: bytes, request):
        sid = path.decode("ascii", errors="replace")
        if sid in self.hub.services:
            return _Service(self.hub, sid)
        return super().getChild(path, request)


class _Service(Resource):
    isLeaf = True

    def __init__(self, hub: HubStub, service_id: str):
        super().__init__()
        self.hub, self.service_id = hub, service_id

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/xml; charset=utf-8")
        return self.hub.publisher(request).wsdl(self.service_id)

    def render_POST(self, request):
        raw = request.content.read()
        headers = {k: request.getHeader(k) for k in ("content-type", "soapaction")
                   if request.getHeader(k) is not None}
        d = deferToThread(requests.post, self.hub.provider_url(self.service_id), data=raw,
                          headers=headers, timeout=self.hub.timeout)

        def relay(response):
            body = response.content
            if self.hub.tamper is not None:
                body = self.hub.tamper(body)
            request.setResponseCode(response.status_code)
            request.setHeader(b"content-type", response.headers.get("content-type", "text/xml"))
            request.write(body)
            request.finish()

        def failed(failure):
            request.setResponseCode(502)
            request.write(f"relay failed: {failure.getErrorMessage()}".encode())
            request.finish()

        d.addCallbacks(relay, failed)
        return NOT_DONE_YET


class NoticeSink(Resource):
    """Stands in for the hub's receiving side of notices, for publisher tests (mount it as the
    ``provider_url`` of a HubStub, which serves the WSDLs): every POST is recorded in
    ``posts`` as (message ID, exact bytes, answer); a message ID seen before is answered
    ``duplicate``, a new one ``accepted`` (kept in ``accepted``, in order). ``script`` lists what
    to do with the next POSTs instead of answering: ``"503"`` (refuse, nothing kept) or
    ``"lose"`` (keep the notice, but answer 500 without a receipt, as if the receipt was lost).
    """

    isLeaf = True

    def __init__(self, subscribers: int = 1):
        super().__init__()
        self.subscribers = subscribers
        self.script: list[str] = []
        self.posts: list[tuple[str, bytes, str]] = []
        self.accepted: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def render_POST(self, request):
        from bus.core.header import HEADER_TAG, PlatformHeader

        from .receiver import ACCEPTED, DUPLICATE, notice_receipt

        raw = request.content.read()
        root = etree.fromstring(raw)
        soap = etree.QName(root).namespace
        header = PlatformHeader.from_element(root.find(f"{{{soap}}}Header/{HEADER_TAG}"))
        with self._lock:
            action = self.script.pop(0) if self.script else "answer"
            seen = any(m == header.message_id for m, _ in self.accepted)
            if action != "503" and not seen:
                self.accepted.append((header.message_id, raw))
            status = DUPLICATE if seen else ACCEPTED
            self.posts.append((header.message_id, raw, action if action != "answer" else status))
        if action in ("503", "lose"):
            request.setResponseCode(503 if action == "503" else 500)
            return b"no receipt"
        env = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
        reply = header.reply(raw, sender=header.receiver)
        etree.SubElement(env, f"{{{soap}}}Header").append(reply.to_element())
        etree.SubElement(env, f"{{{soap}}}Body").append(
            notice_receipt(header.message_id, status, self.subscribers))
        request.setHeader(b"content-type", request.getHeader(b"content-type") or b"text/xml")
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


# --- sample bodies ------------------------------------------------------------------------------

JUKI_NS = "urn:pfbus:unit:juki:v1"
CMN_NS = "urn:pfbus:platform:common:v1"
TAX_NS = "urn:pfbus:unit:kojin-juminzei:v1"
KOKUHO_NS = "urn:pfbus:unit:kokuho:v1"


def fill(parent: etree._Element, ns: str, spec: list) -> etree._Element:
    """Append ``[(name, text | [nested spec]), ...]`` to ``parent``, every element in ``ns``."""
    for name, value in spec:
        child = etree.SubElement(parent, f"{{{ns}}}{name}")
        if isinstance(value, list):
            fill(child, ns, value)
        else:
            child.text = value
    return parent


def sample_resident(addressee_number: str = "1000000015") -> list:
    """A resident (住民) in the cmn vocabulary: 総務翔子, 千代田区霞が関."""
    return [("AddresseeNumber", addressee_number), ("HouseholdNumber", "2000000011"),
            ("Name", [("Text", "総務翔子"), ("Kana", [("Family", "ソウム"), ("Given", "ショウコ")])]),
            ("DateOfBirth", "1990-04-01"), ("Gender", "2"), ("Relationship", "01"),
            ("ResidentKind", "1"), ("ResidentStatus", "1"),
            ("Address", [("Prefecture", "東京都"), ("City", "千代田区"), ("Town", "霞が関"),
                         ("Chome", "2")])]


def sample_request(service_id: str, catalog: Path = BUILTIN_CATALOG) -> etree._Element:
    """A fresh copy of the example request body the catalog declares for ``service_id``
    (``sample = …`` of its ``[[services]]`` entry); KeyError when it declares none."""
    spec = _catalog(catalog).service(service_id)
    if spec is None or spec.sample is None:
        raise KeyError(service_id)
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True, resolve_entities=False,
                             no_network=True)
    return etree.parse(str(spec.sample), parser).getroot()


@functools.lru_cache(maxsize=8)
def _catalog(path: Path) -> Catalog:
    return Catalog.load([path])
