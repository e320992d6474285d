"""Provider side of the adapter SDK (サービス提供側): a vendor's system answering platform services.

A vendor writes one handler per service: it receives the validated request header and the
standard request body element (e.g. ``{urn:pfbus:unit:juki:v1}ResidentInquiryRequest``) and
returns the standard response body element, a Deferred firing with it, or a :class:`Held`
answer (sent once something it waits for is done). Everything else is here:

* SOAP 1.1 and 1.2 on spyne inside Twisted (spyne parses the envelope, dispatches, writes the
  response or fault envelope); each request is answered in its own SOAP version, chosen by the
  ``Content-Type`` (``application/soap+xml`` is 1.2, ``text/xml`` 1.1; a POST naming neither
  is refused PF-CONTENT-TYPE, 415, as the hub refuses it);
* the body is carried as is: a tiny spyne model (``StandardXml``) hands the body element through
  untouched in both directions, so the response body is exactly the handler's element;
* the request header is checked against the header XSD and against this service and party;
  request and response bodies against the catalog's standard XSDs (``validate=True``);
* the reply header is ``PlatformHeader.reply(raw, sender=party)`` over the exact request bytes as
  received (read from the Twisted request, identical to spyne's ``ctx.in_string``);
* a :class:`ProviderError` (and any failure) becomes a SOAP Fault with a ``pff:FaultDetail``.

Handlers run in the reactor thread: blocking work (a database) belongs in ``deferToThread``. An
answer a handler gives through a Deferred is checked (外字, validation) in a worker thread.
``ProviderApp.resource()`` answers all its services at one URL (the hub's provider ``url``),
dispatching by body element, and each at ``<url>/<ServiceId>``; ``GET <url>/<ServiceId>?wsdl``
is spyne's own description (bodies ``xs:anyType``): the contract is the catalog's WSDL, which the
hub serves. docs/adapter-sdk.md has the fault codes and the spyne notes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure
from twisted.web.resource import Resource

from bus.core import faults
from bus.core.catalog import Catalog, ServiceSpec
from bus.core.faults import SOAP11_NS, SOAP12_NS
from bus.core.findings import Finding, breaks_schema
from bus.core.header import (HEADER_NS, HEADER_TAG, Party, PlatformHeader, notice_addressee,
                             readable_message_id)
from bus.core.service_pattern import ServicePattern
from bus.core.soap_headers import not_understood_by_receiver
from bus.core.validator import MessageValidator
from bus.core.xmlpath import element_path
from bus.hub.http_answers import content_type_finding, error_answer, soap_ns_of_content_type
from schemas import BUILTIN_CATALOG

from . import spyne_compat, version_check
from .characters import CharacterPolicy
from .dispatch import body_tag
from .soap_protocol import (PlatformFault, Soap11Protocol, Soap12Protocol, StandardXml,
                            platform_fault)

# spyne after .soap_protocol, which applies spyne_compat before spyne.server.twisted is imported
from spyne import Application, ServiceBase, rpc
from spyne.server.twisted import TwistedWebResource
from spyne.util.appreg import unregister_application

log = logging.getLogger(__name__)


Handler = Callable[[PlatformHeader, etree._Element], "etree._Element | Deferred | Held"]

__all__ = ["Handler", "Held", "ProviderApp", "ProviderError", "provider_resource"]


@dataclass(frozen=True)
class Held:
    """A handler's answer that may leave only once ``until`` has fired — e.g. once the record
    of the access it answers is durable (vendor A's 照会記録). It is checked at once, in the
    reactor, as an answer returned directly is, while ``until`` is awaited; if ``until`` fails,
    the caller gets PF-PROVIDER-INTERNAL instead (the failure logged), never the answer."""

    element: etree._Element
    until: Deferred


class ProviderError(Exception):
    """Raised by a handler to answer with a SOAP Fault (Party=provider) instead of a response.

    ``code`` is the vendor's stable code (e.g. ``"VENDOR-A-DB-DOWN"``); ``message`` is for humans
    and is sent to the caller, so it must not carry personal data (個人情報).
    """

    def __init__(self, code: str, message: str, findings: Sequence[Finding] = ()):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.findings = tuple(findings)


class _ServiceResource(Resource):
    """One service: hands each request to the spyne resource of its SOAP version."""

    isLeaf = True

    def __init__(self, soap11: Resource, soap12: Resource):
        super().__init__()
        self._soap11, self._soap12 = soap11, soap12

    def render(self, request):
        raw_type = request.getHeader(b"content-type")
        content_type = (raw_type or b"").decode("latin-1")
        if request.method == b"POST" and soap_ns_of_content_type(raw_type) is None:
            # docs/faults.md: no SOAP media type, no SOAP message — refused as the hub does
            status, media, body = error_answer(faults.CONTENT_TYPE,
                                               content_type_finding(raw_type), SOAP11_NS)
            request.setResponseCode(status)
            request.setHeader(b"content-type", media.encode())
            return body
        if request.method == b"POST":  # a root of another SOAP version: VersionMismatch
            refused = version_check.refusal(request.content, content_type)
            if refused is not None:
                status, media, body = refused
                request.setResponseCode(status)
                request.setHeader(b"content-type", media.encode())
                return body
        if version_check.expected_namespace(content_type) == SOAP12_NS:
            return self._soap12.render(request)
        return self._soap11.render(request)


class _EndpointResource(Resource):
    """All services at one URL (the hub's ``[[providers]] url``), plus ``/<ServiceId>`` each.

    A POST to the endpoint itself goes to the service whose request element is the body's
    first child, found by a partial parse that stops there (spyne dispatches by body element
    too, but within one Application of one namespace, and services span namespaces).
    """

    def __init__(self, by_id: dict[str, _ServiceResource], by_tag: dict[str, _ServiceResource]):
        super().__init__()
        self._by_tag = by_tag
        self._fallback = next(iter(by_id.values()))  # answers spyne's fault for the unknown
        for sid, res in by_id.items():
            self.putChild(sid.encode("ascii"), res)

    def getChild(self, path, request):
        if path == b"":
            return self
        return super().getChild(path, request)

    def render_POST(self, request):
        request.content.seek(0)
        tag = body_tag(request.content)
        request.content.seek(0)
        return self._by_tag.get(tag, self._fallback).render(request)


class ProviderApp:
    """A vendor system's provider endpoint: one handler per service ID (``juki.ResidentInquiry``).

    ``party`` is this system (団体コード/業務ユニット/システムID): the sender of every reply and,
    with ``check_receiver``, the only receiver accepted. ``catalogs`` name the schema catalogs
    defining the services (the built-in one by default). ``validate`` checks request and response
    bodies against the standard XSDs (the header is always checked). ``errors`` maps exception
    classes a handler may raise to fault codes, as if it had raised ``ProviderError(code,
    str(exc))`` (e.g. ``{UnknownExtract: "VENDOR-A-EXTRACT-UNKNOWN"}``) — or to ``(code,
    message)`` when the exception's text may quote a value (personal data must never leave in a
    fault: the hub keeps a subscriber's message with its dead letter); anything else unexpected
    is ``PF-PROVIDER-INTERNAL``, logged with its traceback, its text not sent. ``client_errors``
    maps the same way the exceptions that mean the request, though valid, is the caller's error
    — an unknown or expired ExtractId (docs/notices.md) —: a fault of Party client
    (soap:Client / env:Sender), not the provider's. ``characters``
    (``adapters.sdk.characters.CharacterPolicy``): this system's 外字 table and repertoire; a
    handler then gets requests in its own characters and may answer in them.

    A notice service (pattern ``notice``) is delivered by the hub as the publisher sent it,
    addressed to the hub: ``check_receiver`` then accepts exactly the Receiver (this 団体コード,
    the notice service's 業務ユニット, ``hub``) — not another system's, not another unit's hub.
    """

    def __init__(self, party: Party, handlers: Mapping[str, Handler], *,
                 catalogs: Sequence[Path | str] = (BUILTIN_CATALOG,), validate: bool = True,
                 check_receiver: bool = True,
                 errors: Mapping[type[BaseException], str | tuple[str, str]] | None = None,
                 client_errors: Mapping[type[BaseException], str | tuple[str, str]] | None = None,
                 characters: CharacterPolicy | None = None):
        schema_catalogs = list(catalogs)
        if Path(BUILTIN_CATALOG) not in map(Path, schema_catalogs):
            schema_catalogs.insert(0, BUILTIN_CATALOG)  # the header and fault XSDs live there
        catalog = Catalog.load(schema_catalogs)
        services = catalog.services
        unknown = sorted(set(handlers) - set(services))
        if unknown:
            raise ValueError(f"no catalog defines service(s) {', '.join(unknown)}")
        self.party = party
        self.validate = validate
        self.check_receiver = check_receiver
        self.errors = dict(errors or {})
        self.client_errors = dict(client_errors or {})
        self._handlers = dict(handlers)
        self._services = {sid: services[sid] for sid in handlers}
        # The same validation as the hub's (XSD and the rules beyond it), from the pure core.
        self._validator = MessageValidator(catalog)
        self._prefixes = catalog.prefixes  # a finding's path, written as the hub writes it
        # Answers checked in worker threads (_respond_in_thread) have their own validator: an
        # lxml XMLSchema keeps its error log on the object, so each is used by one thread at a
        # time, and the reactor's must never wait for a page's check (~40 ms, longer while
        # other threads hold the GIL).
        self._worker_validator = MessageValidator(catalog.with_own_schema())
        self._worker_validating = threading.Lock()
        # 外字 table and repertoire of this system (docs/characters.md), applied to every body
        self.characters = characters.bind(catalog) if characters else None
        self._resources = {sid: self._service_resource(info) for sid, info in
                           self._services.items()}

    def resource(self) -> Resource:
        """The endpoint to mount (e.g. at ``/soap``, the URL the hub's provider entry names).

        POST to it: dispatched by body element. ``<it>/<ServiceId>``: that service only, and
        ``GET <it>/<ServiceId>?wsdl`` is spyne's description of it.
        """
        by_tag = {self._services[sid].request_tag: res for sid, res in self._resources.items()}
        return _EndpointResource(self._resources, by_tag)

    def service_resource(self, service_id: str) -> Resource:
        """The Resource of one service, to mount at a path of your choosing."""
        return self._resources[service_id]

    # --- spyne wiring -------------------------------------------------------------------------

    def _service_resource(self, info: ServiceSpec) -> Resource:
        req_ns, req_local = info.request_tag[1:].split("}", 1)

        def operation(ctx, body):
            return self._invoke(ctx, info, body)

        method = rpc(StandardXml, _returns=StandardXml, _body_style="bare",
                     _in_message_name=req_local, _out_message_name=info.response_tag)(operation)
        service = type(info.operation, (ServiceBase,), {info.operation: method})
        resources = []
        for protocol in (Soap11Protocol, Soap12Protocol):
            app = Application([service], tns=req_ns, name=info.operation,
                              in_protocol=protocol(prefixes=self._prefixes),
                              out_protocol=protocol(prefixes=self._prefixes))
            # spyne keeps every Application in a process-wide debug registry keyed by
            # (tns, name) and warns on "overwriting"; we never look them up there.
            unregister_application(app)
            app.event_manager.add_listener("method_context_closed",
                                            spyne_compat.release_documents)
            resources.append(TwistedWebResource(app))
        return _ServiceResource(*resources)

    # --- one exchange --------------------------------------------------------------------------

    def _invoke(self, ctx, info: ServiceSpec, body: etree._Element):
        raw = _raw_request(ctx)
        header = None
        try:
            header = self._read_header(ctx.in_header_doc, ctx.in_protocol.ns_soap_env, info,
                                       body)
            if self.characters:
                self.characters.standardize(body)  # codes of this system's own 外字 table
            if self.validate:
                findings = self._validator.validate(body, data_owner=self.party.local_gov_code)
                if findings:
                    schema = breaks_schema(findings)  # as the hub tells them apart
                    raise platform_fault(faults.SCHEMA_INVALID if schema else faults.RULE_VIOLATION,
                                 "client", "the request body is invalid" if schema else
                                 "the request breaks a rule beyond XSD", findings,
                                 header.message_id)
            if self.characters:
                # after validation: 縮退, this system's 外字
                self.characters.inbound(body, standardized=True)
            result = self._handlers[info.id](header, body)
        except Exception as e:  # noqa: BLE001 - every failure must become a fault
            raise self._as_fault(e, header) from None
        if isinstance(result, Held):
            try:
                answer = self._respond(result.element, ctx, info, header, raw)
            except Exception as e:  # noqa: BLE001
                raise self._as_fault(e, header) from None
            held = result.until.addCallback(lambda _: answer)
            held.addErrback(self._fault_from_failure, header)
            return held.addBoth(_unless_caller_gone, ctx.transport.req)
        if isinstance(result, Deferred):
            result.addCallback(self._respond_in_thread, ctx, info, header, raw)
            result.addErrback(self._fault_from_failure, header)
            return result.addBoth(_unless_caller_gone, ctx.transport.req)
        try:
            return self._respond(result, ctx, info, header, raw)
        except Exception as e:  # noqa: BLE001
            raise self._as_fault(e, header) from None

    def _read_header(self, header_doc, soap_ns: str, info: ServiceSpec,
                     body: etree._Element) -> PlatformHeader:
        docinfo = body.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise platform_fault(faults.DTD_FORBIDDEN, "client", "a DTD is not allowed in SOAP",
                         [Finding("soap:no-dtd", "the message has a document type declaration")])
        # SOAP's processing model: a block for this system that it must understand and does
        # not is refused before anything else is processed (docs/faults.md, Header blocks)
        found = [el for el in (header_doc or []) if el.tag == HEADER_TAG]
        unknown = not_understood_by_receiver(header_doc or [], soap_ns)
        if unknown:  # the fault names the request's MessageId when its header has one
            message_id = found[0].findtext(f"{{{HEADER_NS}}}MessageId") if found else None
            raise platform_fault(faults.MUST_UNDERSTAND, "client", "a header block addressed to this "
                         "system with mustUnderstand is not understood", unknown,
                         (message_id or "").strip() or None)
        if len(found) != 1:
            code = faults.HEADER_MISSING if not found else faults.HEADER_INVALID
            rule = "header:required" if not found else "header:single"
            # the place, as the hub names it: the Envelope without one, the second block
            place = found[1] if found else body.getroottree().getroot()
            raise platform_fault(code, "client", "one pfh:PlatformHeader is required",
                         [self._at(Finding(rule, f"soap:Header has {len(found)} pfh:PlatformHeader"),
                              place)])
        findings = self._validator.validate(found[0])
        if findings:
            raise platform_fault(faults.HEADER_INVALID, "client", "the platform header is invalid",
                         findings, readable_message_id(found[0]))
        header = PlatformHeader.from_element(found[0])
        wrong = []
        if header.service_id != info.id:
            wrong.append(self._at(Finding("service:endpoint", f"the header names "
                                     f"{header.service_id}, the body is {info.id}'s request"),
                             found[0], "Service", "ServiceId"))
        elif header.service_version != info.version:
            wrong.append(self._at(Finding("service:version", f"version {header.service_version} is "
                                     f"not served here (served: {info.version})"),
                             found[0], "Service", "Version"))
        if self.check_receiver and not _addressed_to(header.receiver, self.party, info):
            wrong.append(self._at(Finding("header:receiver", f"addressed to {header.receiver}, "
                                     f"this system accepts {_accepted(self.party, info)}"),
                             found[0], "Receiver"))
        if wrong:
            raise platform_fault(faults.PROVIDER_MISROUTED, "client", "the message is not for this "
                         "endpoint", wrong, header.message_id)
        return header

    def _at(self, finding: Finding, el: etree._Element, *children: str) -> Finding:
        """``finding`` placed at ``el`` (or its descendant ``children``, platform header names,
        when present): the element path and line in the request (fault-v1.xsd: a finding
        about a place in the message names both)."""
        for name in children:
            child = el.find(f"{{{HEADER_NS}}}{name}")
            if child is None:
                break
            el = child
        return Finding(finding.rule, finding.message, element_path(el, self._prefixes),
                       el.sourceline)

    def _respond(self, element, ctx, info: ServiceSpec, header: PlatformHeader, raw: bytes):
        return self._reply(self._checked(element, info, header, self._validator), ctx, header,
                           raw)

    def _respond_in_thread(self, element, ctx, info: ServiceSpec, header: PlatformHeader,
                           raw: bytes) -> Deferred:
        """An answer that came through a Deferred (a handler doing I/O — a 全件 page of a
        thousand residents takes tens of ms to check) is checked in a worker thread, so the
        reactor answers other requests meanwhile."""
        def check() -> etree._Element:
            with self._worker_validating:
                return self._checked(element, info, header, self._worker_validator)

        return deferToThread(check).addCallback(self._reply, ctx, header, raw)

    def _reply(self, element: etree._Element, ctx, header: PlatformHeader, raw: bytes):
        ctx.udc = header.reply(raw, sender=self.party).to_element()
        return element

    def _checked(self, element, info: ServiceSpec, header: PlatformHeader,
                 validator: MessageValidator) -> etree._Element:
        """The handler's answer as it leaves: the service's response element, in standard
        characters, valid by ``validator`` (one a single thread uses at a time); else a
        fault."""
        if not isinstance(element, etree._Element) or element.tag != info.response_tag:
            got = element.tag if isinstance(element, etree._Element) else type(element).__name__
            raise platform_fault(faults.PROVIDER_INVALID, "provider", "wrong response element",
                         [Finding("service:element", f"handler returned {got}, the service "
                                  f"answers {info.response_tag}")], header.message_id)
        if self.characters:
            element = self.characters.outbound(element)  # this system's 外字 → MJ
        if self.validate:
            findings = validator.validate(element, data_owner=self.party.local_gov_code)
            if findings:
                raise platform_fault(faults.PROVIDER_INVALID, "provider",
                             "the handler's response is invalid", findings, header.message_id)
        return element

    def _fault_from_failure(self, failure: Failure, header: PlatformHeader | None):
        raise self._as_fault(failure.value, header)

    def _as_fault(self, error: BaseException, header: PlatformHeader | None) -> PlatformFault:
        message_id = header.message_id if header is not None else None
        if isinstance(error, PlatformFault):
            return error
        if isinstance(error, ProviderError):
            return platform_fault(error.code, "provider", error.message, error.findings, message_id)
        for party, mapping in (("client", self.client_errors), ("provider", self.errors)):
            for kind, code in mapping.items():
                if isinstance(error, kind):
                    code, message = code if isinstance(code, tuple) else (code, str(error))
                    return platform_fault(code, party, message or kind.__name__, (), message_id)
        log.error("handler failed (message %s)", message_id, exc_info=error)
        return platform_fault(faults.PROVIDER_INTERNAL, "provider", "the provider failed to answer",
                      message_id=message_id)


def _unless_caller_gone(result, request):
    """The caller (the hub) may disconnect while a handler works: it stops, or gave up at its
    timeout. Its answer then has nobody to go to, and spyne writing it to the closed request
    fails inside Twisted ("Unhandled error in Deferred" in the log). The handler's work stands
    (the hub redelivers; IdempotentReceiver answers duplicate) and a failure was logged by
    ``_as_fault``: nothing is left to say, so spyne's chain is left waiting, harmlessly."""
    if request._disconnected:
        return Deferred()  # never fires: no write, no error
    return result


def _accepted(party: Party, info: ServiceSpec) -> Party:
    """The one Receiver ``party`` answers for ``info``.

    A notice is addressed to the hub of its municipality and service — (団体コード, the notice
    service's 業務ユニット, ``hub``), docs/notices.md — which delivers the publisher's exact
    bytes to every subscriber it registered: a subscriber accepts a notice so addressed to the
    hub of its own 団体コード, and no other (another system's, another 業務ユニット's hub).
    """
    if info.pattern is ServicePattern.NOTICE:
        return notice_addressee(party.local_gov_code, info.unit)
    return party


def _addressed_to(receiver: Party, party: Party, info: ServiceSpec) -> bool:
    """Whether a message to ``receiver`` may be answered by ``party`` (README: a system answers
    only what is addressed to it)."""
    return receiver == _accepted(party, info)




def _raw_request(ctx) -> bytes:
    """The request body exactly as received (what RequestHash covers)."""
    content = ctx.transport.req.content
    content.seek(0)
    return content.read()


def provider_resource(party: Party, handlers: Mapping[str, Handler], **options) -> Resource:
    """Shorthand for ``ProviderApp(party, handlers, **options).resource()``."""
    return ProviderApp(party, handlers, **options).resource()
