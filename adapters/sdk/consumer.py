"""Consumer side of the adapter SDK (サービス利用側): a vendor's system calling platform services.

:class:`ConsumerClient` calls a service through the hub with zeep, WSDL first: it loads
``<hub_url>/services/<ServiceId>?wsdl`` once per service, picks the SOAP 1.1 or 1.2 port, and has
zeep build the envelope with the ``pfh:PlatformHeader`` as ``_soapheaders``. zeep also checks the
body against the WSDL's types (a missing required element fails here, not at the hub); the body
sent is then the caller's own element, unchanged, because zeep's rendering of typed values is
lossy (``2024-01-01+09:00`` loses its timezone, ``02`` becomes ``2``). The envelope is serialised
here and those exact bytes are POSTed, so the reply can be checked against them: ``RelatesTo`` is
the request's message ID, ``RequestHash`` the digest of the bytes sent, the service the one called.

``call`` = ``send(prepare(...))``: a one-way notice that got no receipt is resent as the same
bytes and message ID by keeping the :class:`Prepared` (or its ``sent`` bytes) and sending it again.

zeep and requests are synchronous: from Twisted code, call :meth:`ConsumerClient.call` through
``twisted.internet.threads.deferToThread``. One client may be shared by threads.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.wsdl.bindings.soap import Soap11Binding, Soap12Binding

from bus.core.faults import FAULT_DETAIL_TAG, SOAP11_NS, SOAP12_NS, FaultDetail
from bus.core.header import HEADER_TAG, LINKAGE_DELTA, Party, PlatformHeader, request_digest
from bus.core.shrink import FieldSubstitution

from .characters import CharacterPolicy

_BINDINGS = {11: Soap11Binding, 12: Soap12Binding}
_ENVELOPE_NS = {11: SOAP11_NS, 12: SOAP12_NS}
# Replies are parsed like the hub parses requests: no DTD, no entities, no network.
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

__all__ = ["ConsumerClient", "ConsumerError", "PlatformFault", "Prepared", "Reply",
           "ReplyMismatch", "TransportError", "tls_session"]


class _TLSSession(requests.Session):
    """A session whose own ``verify`` wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (requests
    otherwise lets the environment override a session's CA file)."""

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        return super().merge_environment_settings(
            url, proxies, stream, self.verify if verify is None else verify, cert)


def tls_session(certificate: str | None = None, key: str | None = None,
                ca: str | bool = True) -> requests.Session:
    """A requests session for a hub over TLS: ``certificate``/``key`` (PEM files) are this
    adapter's client certificate — the hub takes the adapter's identity from it — and ``ca`` the
    CA file that signed the hub's certificate (``True``: the system's trust store). Pass it as
    ``ConsumerClient(..., session=tls_session("vendor-b-tax.pem", "vendor-b-tax.key",
    "ca.pem"))``."""
    session = _TLSSession()
    if certificate is not None:
        session.cert = (certificate, key) if key else certificate
    session.verify = ca
    return session


class ConsumerError(Exception):
    """Base of every error a call raises."""


class TransportError(ConsumerError):
    """The hub could not be reached, or answered without a SOAP envelope."""

    def __init__(self, message: str, status: int | None = None, raw: bytes = b""):
        super().__init__(message)
        self.status = status
        self.raw = raw


class ReplyMismatch(ConsumerError):
    """The reply is not provably the answer to the request sent (応答の対応関係の不一致)."""

    def __init__(self, message: str, raw: bytes = b""):
        super().__init__(message)
        self.raw = raw


class PlatformFault(ConsumerError):
    """The hub or the provider answered with a SOAP Fault.

    ``detail`` is its ``pff:FaultDetail`` (code, party at fault, findings), or None when the fault
    carried none; ``soap_code`` is the fault code (``soap:Client``, ``soap:Receiver``…) and
    ``soap_string`` the fault string / reason text.
    """

    def __init__(self, soap_code: str, soap_string: str, detail: FaultDetail | None,
                 status: int, raw: bytes, request_header: PlatformHeader | None = None):
        code = detail.code if detail else soap_code
        super().__init__(f"{code}: {soap_string}")
        self.soap_code = soap_code
        self.soap_string = soap_string
        self.detail = detail
        self.status = status
        self.raw = raw
        self.request_header = request_header  # the header of the request this answers


@dataclass(frozen=True)
class Reply:
    """A verified reply: its header, its body element (the standard XML; with the client's
    ``characters`` policy, converted to this system's characters), the bytes received."""

    header: PlatformHeader
    body: etree._Element
    raw: bytes
    request_header: PlatformHeader
    sent: bytes  # the exact request bytes; RequestHash covers them
    substitutions: tuple[FieldSubstitution, ...] = ()  # 縮退 applied to ``body`` (where, what)


@dataclass(frozen=True)
class Prepared:
    """A request built once and sendable again byte for byte (:meth:`ConsumerClient.send`).

    A publisher that got no receipt for a notice must resend the SAME message: keep ``sent`` (e.g.
    in an outbox row) and rebuild this with :meth:`from_bytes` after a restart.
    """

    service_id: str
    soap_version: int  # 11 or 12
    header: PlatformHeader
    sent: bytes  # the exact envelope bytes POSTed

    @classmethod
    def from_bytes(cls, sent: bytes) -> Prepared:
        """Read back an envelope this SDK built (SOAP version and header from the bytes)."""
        root = etree.fromstring(sent, etree.XMLParser(**_PARSER_OPTIONS))
        version = {ns: v for v, ns in _ENVELOPE_NS.items()}.get(etree.QName(root).namespace)
        headers = root.findall(f"{{{etree.QName(root).namespace}}}Header/{HEADER_TAG}")
        if version is None or len(headers) != 1:
            raise ValueError("not a SOAP envelope with one pfh:PlatformHeader")
        header = PlatformHeader.from_element(headers[0])
        return cls(header.service_id, version, header, sent)


@dataclass
class _Service:
    client: zeep.Client
    lock: threading.Lock  # create_message is not documented as thread-safe


class ConsumerClient:
    """Calls platform services through the hub as ``party`` on behalf of ``user_id`` (操作者ID).

    ``wsdl_url`` maps a service ID to its WSDL (default ``<hub_url>/services/<id>?wsdl``);
    ``endpoint_url`` maps it to the address to POST to (default: the WSDL port's address, which the
    hub rewrites to its own). ``session`` carries TLS client certificates and the like.
    ``characters`` (``adapters.sdk.characters.CharacterPolicy``): this system's 外字 table and
    repertoire: bodies go out as standard text, replies come back in this system's characters.
    """

    def __init__(self, hub_url: str, party: Party, user_id: str, *, timeout: float = 30.0,
                 session: requests.Session | None = None, standard_version: str = "1.0",
                 wsdl_url: Callable[[str], str] | None = None,
                 endpoint_url: Callable[[str], str] | None = None,
                 characters: CharacterPolicy | None = None):
        self.hub_url = hub_url.rstrip("/")
        # this system's 外字 table and repertoire (docs/characters.md), applied to every body
        self.characters = characters.bind() if characters else None
        self.party = party
        self.user_id = user_id
        self.standard_version = standard_version
        self._transport = Transport(session=session or requests.Session(), timeout=timeout,
                                    operation_timeout=timeout)
        self._wsdl_url = wsdl_url or (lambda sid: f"{self.hub_url}/services/{sid}?wsdl")
        self._endpoint_url = endpoint_url
        self._services: dict[str, _Service] = {}
        self._lock = threading.Lock()

    def call(self, service_id: str, receiver: Party, body: etree._Element, *,
             soap_version: int = 11, linkage_kind: str = LINKAGE_DELTA,
             service_version: str = "1", relates_to: str | None = None,
             message_id: str | None = None) -> Reply:
        """Send ``body`` (the standard request element) to ``receiver`` and return the reply.

        ``message_id`` pre-assigns the request's MessageId (default: a fresh UUID). Raises
        :class:`PlatformFault` for a SOAP Fault, :class:`ReplyMismatch` when the reply
        is not bound to this request, :class:`TransportError` for HTTP trouble, ``ValueError``
        when ``body`` is not this service's request element.
        """
        return self.send(self.prepare(service_id, receiver, body, soap_version=soap_version,
                                      linkage_kind=linkage_kind, service_version=service_version,
                                      relates_to=relates_to, message_id=message_id))

    def prepare(self, service_id: str, receiver: Party, body: etree._Element, *,
                soap_version: int = 11, linkage_kind: str = LINKAGE_DELTA,
                service_version: str = "1", relates_to: str | None = None,
                message_id: str | None = None, user_id: str | None = None) -> Prepared:
        """Build the envelope :meth:`call` would send, without sending it (``user_id``
        overrides the client's 操作者ID for this message)."""
        if soap_version not in _BINDINGS:
            raise ValueError("soap_version must be 11 or 12")
        header = PlatformHeader.new(sender=self.party, receiver=receiver, service_id=service_id,
                                    service_version=service_version,
                                    user_id=user_id or self.user_id, linkage_kind=linkage_kind,
                                    standard_version=self.standard_version, relates_to=relates_to)
        if message_id is not None:
            header = dataclasses.replace(header, message_id=message_id)
        if self.characters:
            body = self.characters.outbound(body)  # this system's 外字 → MJ (a copy)
        sent, _, _, _ = self._build(service_id, soap_version, header, body)
        return Prepared(service_id, soap_version, header, sent)

    def send(self, prepared: Prepared) -> Reply:
        """POST ``prepared.sent`` (again: the same bytes, the same message ID) and verify the
        reply as :meth:`call` does. Sending again is for notices, whose duplicate the hub
        receipts as ``duplicate``; a request the hub already received within its replay window
        is refused (PF-DUPLICATE-MESSAGE): retry a request with a new :meth:`prepare`."""
        sid, version = prepared.service_id, prepared.soap_version
        _, _, port, operation = self._operation(sid, version)
        address, http_headers = self._target(sid, version, port, operation)
        try:
            response = self._transport.post(address, prepared.sent, http_headers)
        except requests.RequestException as e:
            raise TransportError(f"{sid}: POST {address} failed: {e}") from e
        reply = self._verify(prepared.header, prepared.sent, version, operation, response)
        if self.characters:  # 縮退 and this system's 外字, on the verified body (raw unchanged)
            reply = dataclasses.replace(
                reply, substitutions=tuple(self.characters.inbound(reply.body)))
        return reply

    # --- request --------------------------------------------------------------------------------

    def _service(self, service_id: str) -> _Service:
        with self._lock:
            svc = self._services.get(service_id)
            if svc is None:
                url = self._wsdl_url(service_id)
                try:
                    client = zeep.Client(url, transport=self._transport)
                except (requests.RequestException, zeep.exceptions.Error) as e:
                    raise TransportError(f"{service_id}: cannot load the WSDL {url}: {e}") from e
                svc = self._services[service_id] = _Service(client, threading.Lock())
            return svc

    def _operation(self, service_id, soap_version):
        svc = self._service(service_id)
        service_name, port = _port(svc.client, soap_version, service_id)
        try:
            operation = port.binding.get(service_id.split(".", 1)[-1])
        except ValueError:
            raise ValueError(f"{service_id}: the WSDL has no operation "
                             f"{service_id.split('.', 1)[-1]}") from None
        return svc, service_name, port, operation

    def _target(self, service_id, soap_version, port, operation):
        """(address, HTTP headers) of a POST of this service in this SOAP version."""
        action = operation.soapaction or ""
        if soap_version == 11:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        else:
            headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}
        address = (self._endpoint_url(service_id) if self._endpoint_url
                   else port.binding_options["address"])
        return address, headers

    def _build(self, service_id, soap_version, header, body):
        svc, service_name, port, operation = self._operation(service_id, soap_version)
        client = svc.client
        name = service_id.split(".", 1)[-1]
        expected = operation.input.body.qname.text
        if body.tag != expected:
            raise ValueError(f"{service_id}: the body must be {expected}, not {body.tag}")
        with svc.lock:
            try:
                value = operation.input.body.parse(body, client.wsdl.types)
                proxy = client.bind(service_name, port.name)
                envelope = client.create_message(proxy, name, _soapheaders=[header.to_element()],
                                                 **dict(value.__values__))
            except zeep.exceptions.Error as e:
                raise ValueError(f"{service_id}: the body does not fit the WSDL: {e}") from e
        soap = _ENVELOPE_NS[soap_version]
        soap_body = envelope.find(f"{{{soap}}}Body")
        soap_body[0] = copy.deepcopy(body)  # the caller's exact element, not zeep's rendering
        sent = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
        address, headers = self._target(service_id, soap_version, port, operation)
        return sent, address, headers, operation

    # --- reply ----------------------------------------------------------------------------------

    def _verify(self, request: PlatformHeader, sent: bytes, soap_version: int, operation,
                response: requests.Response) -> Reply:
        raw = response.content
        sid = request.service_id
        soap = _ENVELOPE_NS[soap_version]
        try:
            # a parser per call: an lxml parser must not be used by two threads at once
            root = etree.fromstring(raw, etree.XMLParser(**_PARSER_OPTIONS))
        except etree.XMLSyntaxError as e:
            raise TransportError(f"{sid}: HTTP {response.status_code}, not XML: {e}",
                                 response.status_code, raw) from None
        if root.getroottree().docinfo.doctype:
            raise TransportError(f"{sid}: the reply carries a DTD, which SOAP forbids",
                                 response.status_code, raw)
        if root.tag != f"{{{soap}}}Envelope":
            raise TransportError(f"{sid}: HTTP {response.status_code}, not a SOAP "
                                 f"{soap_version // 10}.{soap_version % 10} envelope: {root.tag}",
                                 response.status_code, raw)
        soap_body = root.find(f"{{{soap}}}Body")
        entry = soap_body[0] if soap_body is not None and len(soap_body) else None
        if entry is not None and entry.tag == f"{{{soap}}}Fault":
            raise _fault(entry, soap, response.status_code, raw, request)
        if response.status_code != 200:
            raise TransportError(f"{sid}: HTTP {response.status_code} without a fault",
                                 response.status_code, raw)
        headers = root.findall(f"{{{soap}}}Header/{HEADER_TAG}")
        if len(headers) != 1:
            raise ReplyMismatch(f"{sid}: the reply has {len(headers)} pfh:PlatformHeader", raw)
        header = PlatformHeader.from_element(headers[0])
        problems = []
        if header.relates_to != request.message_id:
            problems.append(f"RelatesTo {header.relates_to} is not the request's "
                            f"MessageId {request.message_id}")
        if header.request_hash != request_digest(sent):
            problems.append(f"RequestHash {header.request_hash} is not the digest of the bytes "
                            f"sent ({request_digest(sent)})")
        if header.service_id != sid:
            problems.append(f"ServiceId {header.service_id} is not {sid}")
        expected = operation.output.body.qname.text
        if entry is None or entry.tag != expected:
            problems.append(f"body is {None if entry is None else entry.tag}, not {expected}")
        if problems:
            raise ReplyMismatch(f"{sid}: " + "; ".join(problems), raw)
        return Reply(header=header, body=entry, raw=raw, request_header=request, sent=sent)


def _port(client: zeep.Client, soap_version: int, service_id: str):
    """The first port of the WSDL whose binding is of the wanted SOAP version."""
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            if isinstance(port.binding, _BINDINGS[soap_version]):
                return service.name, port
    raise ValueError(f"{service_id}: the WSDL has no SOAP {soap_version // 10}."
                     f"{soap_version % 10} port")


def _fault(fault: etree._Element, soap: str, status: int, raw: bytes,
           request: PlatformHeader) -> PlatformFault:
    if soap == SOAP11_NS:
        code = fault.findtext("faultcode") or ""
        reason = fault.findtext("faultstring") or ""
        detail_holder = fault.find("detail")
    else:
        code = fault.findtext(f"{{{soap}}}Code/{{{soap}}}Value") or ""
        reason = fault.findtext(f"{{{soap}}}Reason/{{{soap}}}Text") or ""
        detail_holder = fault.find(f"{{{soap}}}Detail")
    detail_el = None if detail_holder is None else detail_holder.find(FAULT_DETAIL_TAG)
    detail = None if detail_el is None else FaultDetail.from_element(detail_el)
    return PlatformFault(code.strip(), reason.strip(), detail, status, raw, request)
