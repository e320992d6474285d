"""The hub's checks on each exchange, as pure functions of bytes: the gatekeeper of the router.

``inspect_request`` turns the bytes a client sent into an accepted request (parsed once,
validated, routed) or a HubFault; ``inspect_response`` does the same for what the provider
answered, including the binding of the answer to its request (RelatesTo and RequestHash). No I/O
here: the Twisted edge calls these and moves the bytes.
"""

from __future__ import annotations

import copy
import functools
import re
import time
from collections.abc import Callable
from typing import NoReturn
from dataclasses import dataclass

from lxml import etree

from . import faults
from .access import AccessPolicy, Right
from .catalog import Catalog, ServiceSpec
from .envelope import SOAP_VERSION_NAME, Envelope, Limits, parse_envelope
from .faults import SOAP11_NS, SOAP12_NS, HubFault
from .findings import Finding, breaks_schema
from .frozen import built
from .header import (HEADER_NS, HUB_SYSTEM_ID, PlatformHeader, descendant_items,
                     readable_message_id, request_digest)
from .replay import DEFAULT_FRESHNESS, Freshness, request_only_fields
from .routing import Provider, Route, ServiceRegistry
from .service_pattern import ServicePattern
from .soap_headers import not_understood_in
from .validator import MessageValidator
from .xmlpath import element_path



@dataclass(frozen=True)
class AcceptedRequest:
    envelope: Envelope
    header: PlatformHeader
    service: ServiceSpec
    route: Route | None  # request-response: the provider
    subscribers: tuple[Provider, ...] = ()  # notice: the recipient list
    subjects: tuple[str, ...] = ()  # notice: ordering keys
    adapter: str | None = None  # the adapter acting, when access control is on

    @property
    def is_notice(self) -> bool:
        return self.service.pattern is ServicePattern.NOTICE


@dataclass(frozen=True)
class AcceptedResponse:
    envelope: Envelope
    header: PlatformHeader | None  # None for a provider's SOAP Fault without a platform header

    @property
    def is_fault(self) -> bool:
        return self.envelope.is_fault


@dataclass(frozen=True)
class RequestBinding:
    """What a provider's answer is bound to and checked against: the request's SOAP version,
    MessageId, service and exact bytes (RelatesTo, RequestHash, the response schema). Built from
    an accepted request, or — for a stored notice (異動通知) — from the fields the notice store
    kept at acceptance, so that delivery need not parse the stored bytes again."""

    soap_ns: str
    message_id: str
    service: ServiceSpec
    raw: bytes
    # the SHA-256 (base64) of ``raw`` when known beforehand: a stored notice's, kept at
    # acceptance (None: computed from ``raw`` when the answer is checked)
    digest: str | None = None

    @property
    def soap_version(self) -> str:
        return SOAP_VERSION_NAME[self.soap_ns]

    @classmethod
    def of(cls, request: AcceptedRequest) -> RequestBinding:
        return built(cls, soap_ns=request.envelope.soap_ns,
                     message_id=request.header.message_id, service=request.service,
                     raw=request.envelope.raw, digest=None)


class Inspector:
    def __init__(self, catalog: Catalog, validator: MessageValidator, registry: ServiceRegistry,
                 limits: Limits = Limits(), access: AccessPolicy | None = None,
                 freshness: Freshness | None = DEFAULT_FRESHNESS,
                 clock: Callable[[], float] = time.time):
        self.catalog = catalog
        self.validator = validator
        self.registry = registry
        self.limits = limits
        self.access = access  # None: access control off (development hub over plain HTTP)
        self.freshness = freshness  # SentAt bounds ([hub] clock_skew, max_age); None: off
        self.clock = clock  # the hub's time (seconds since the epoch) for the freshness check

    def with_own_schema(self) -> Inspector:
        """This inspector for another thread (bus/hub/inspection_threads.py): the same
        checks, with a validator whose compiled XSD is its own."""
        own = copy.copy(self)
        own.validator = self.validator.with_own_schema()
        return own

    def _read_header(self, envelope: Envelope, missing: faults.FaultCode,
                     schema_fault: faults.FaultCode, rule_fault: faults.FaultCode
                     ) -> PlatformHeader:
        """Validate and read the platform header, or raise."""
        if envelope.header is None:
            raise HubFault(missing, (Finding(
                "header:required", "the soap:Header must hold one pfh:PlatformHeader",
                element_path(envelope.root, self.catalog.prefixes), envelope.root.sourceline),))
        # One pass over the header's nodes serves its rules and its model (issue 13: the rules'
        # walk and the model's read per level were two passes over the same ~17 elements).
        items = descendant_items(envelope.header)
        findings = self.validator.validate(envelope.header, descendants=items)
        if findings:
            is_schema = any(f.rule.startswith("xsd:") for f in findings)
            raise HubFault(schema_fault if is_schema else rule_fault, tuple(findings),
                           readable_message_id(envelope.header), sender=_claimed_sender(envelope.header))
        return (PlatformHeader.from_descendants(items)
                or PlatformHeader.from_element(envelope.header))

    def inspect_request(self, raw: bytes, endpoint_service: str | None = None,
                        soap_action: str | None = None, content_type: str | None = None,
                        peer: str | None = None) -> AcceptedRequest:
        """``content_type`` and ``soap_action``, when given, are the HTTP headers: the envelope's
        SOAP version must be the one the Content-Type names, and a non-empty action (SOAPAction
        in 1.1, the ``action`` parameter of the Content-Type in 1.2) must name the service.
        ``peer``: the adapter authenticated by its client certificate (bus.core.access); access
        rights are checked once the header and service are known, before the body."""
        envelope = parse_envelope(raw, self.limits)
        action = check_media_type(envelope, content_type, soap_action)
        # SOAP's processing model: mustUnderstand before anything else is processed.
        findings = () if envelope.soap_header is None else not_understood_in(
            envelope.soap_header, envelope.soap_ns, self.catalog.prefixes)
        if findings:
            raise HubFault(faults.MUST_UNDERSTAND, findings,
                           readable_message_id(envelope.header) if envelope.header is not None else None)
        header = self._read_header(envelope, faults.HEADER_MISSING, faults.HEADER_INVALID,
                                   faults.RULE_VIOLATION)
        try:
            if action and action != SERVICE_ACTION + header.service_id:
                assert envelope.header is not None  # _read_header refused an envelope without
                raise HubFault(faults.HEADER_INVALID, (Finding(
                    "soap:action", f"the SOAP action {action[:100]} does not name the header's "
                    f"service (expected {SERVICE_ACTION}{header.service_id})",
                    element_path(envelope.header, self.catalog.prefixes),
                    envelope.header.sourceline),), header.message_id)
            return self._accept(envelope, header, endpoint_service, peer)
        except HubFault as fault:  # the routing log records who sent what to whom
            raise fault.but(header=header).with_traceback(fault.__traceback__) from None

    def _accept(self, envelope: Envelope, header: PlatformHeader,
                endpoint_service: str | None, peer: str | None = None) -> AcceptedRequest:
        mid = header.message_id
        header_el = envelope.header
        assert header_el is not None  # _read_header refused an envelope without

        def at_header(rule: str, message: str) -> Finding:
            # the header's path and line, computed only for a refusal (issue 13: the paths
            # were built on every exchange and thrown away)
            return Finding(rule, message, element_path(header_el, self.catalog.prefixes),
                           header_el.sourceline)

        if endpoint_service and endpoint_service != header.service_id:
            raise HubFault(faults.HEADER_INVALID, (at_header(
                "service:endpoint", f"posted to the endpoint of {endpoint_service} but the header "
                f"names {header.service_id}"),), mid)
        service = self.catalog.service(header.service_id)
        if service is None:
            raise HubFault(faults.SERVICE_UNKNOWN, (at_header(
                "service:known", f"no catalog defines service {header.service_id}"),), mid)
        if header.service_version != service.version:
            raise HubFault(faults.SERVICE_UNKNOWN, (at_header(
                "service:version", f"{service.id} is offered in version {service.version}, not "
                f"{header.service_version}"),), mid)
        if header.receiver.business_unit != service.unit:
            raise HubFault(faults.HEADER_INVALID, (at_header(
                "service:unit", f"{service.id} belongs to 業務ユニット {service.unit}, the receiver "
                f"names {header.receiver.business_unit}"),), mid)
        code = header.receiver.local_gov_code
        adapter = None
        if self.access is not None:
            adapter = self.access.check(peer, str(header.sender), service.id, code,
                                        Right.PUBLISH if service.pattern is ServicePattern.NOTICE
                                        else Right.CALL,
                                        element_path(header_el, self.catalog.prefixes),
                                        header_el.sourceline, mid)
        self._check_request_header(header_el, header, service.pattern is ServicePattern.NOTICE)
        if service.pattern is ServicePattern.NOTICE:
            if header.receiver.system_id != HUB_SYSTEM_ID:
                # a notice is addressed to the hub (docs/notices.md); every subscriber refuses
                # one addressed elsewhere, so stored it would only become dead letters
                place = header_el.find(f"{{{HEADER_NS}}}Receiver/{{{HEADER_NS}}}SystemId")
                place = header_el if place is None else place
                raise HubFault(faults.HEADER_INVALID, (Finding(
                    "header:receiver", f"a notice is addressed to the hub ({HUB_SYSTEM_ID}), "
                    f"not to {header.receiver.system_id[:64]}",
                    element_path(place, self.catalog.prefixes), place.sourceline),), mid)
            # The publisher owns the data it announces: its 宛名番号 scheme applies.
            self._check_body(envelope, header, service.request_tag, header.sender.local_gov_code,
                             faults.SCHEMA_INVALID, faults.RULE_VIOLATION, mid)
            subscribers = self.registry.subscribers(code, service.id)
            if not subscribers:
                raise HubFault(faults.ROUTE_NOT_FOUND, (at_header(
                    "route:subscribed", f"nobody subscribes to {service.id} of 団体コード {code}"
                ),), mid)
            return AcceptedRequest(envelope, header, service, None, subscribers,
                                   service.subjects(envelope.body, header.sender.local_gov_code),
                                   adapter)
        # The receiver owns the data asked about: its 宛名番号 scheme applies.
        self._check_body(envelope, header, service.request_tag, code, faults.SCHEMA_INVALID,
                         faults.RULE_VIOLATION, mid)
        route = self.registry.route(code, service.id)
        if route is None:
            raise HubFault(faults.ROUTE_NOT_FOUND, (at_header(
                "route:registered", f"no provider of {service.id} is registered for 団体コード "
                f"{header.receiver.local_gov_code}"),), mid)
        return built(AcceptedRequest, envelope=envelope, header=header, service=service,
                     route=route, subscribers=(), subjects=(), adapter=adapter)

    def _check_request_header(self, header_el: etree._Element, header: PlatformHeader,
                              is_notice: bool) -> None:
        """Reply-only fields, then SentAt's freshness (bus.core.replay). The findings' paths
        are computed only when there are findings (the checks are pure: asked again with the
        paths, they say the same)."""
        if request_only_fields(header, is_notice=is_notice):
            raise HubFault(faults.HEADER_INVALID, request_only_fields(
                header, is_notice=is_notice, path=element_path(header_el, self.catalog.prefixes),
                line=header_el.sourceline), header.message_id)
        if self.freshness is not None:
            now = self.clock()
            if self.freshness.check(header.sent_at, now, is_notice=is_notice) is None:
                return
            sent_at = header_el.find(f"{{{HEADER_NS}}}SentAt")  # the schema requires it
            at = sent_at if sent_at is not None else header_el
            stale = self.freshness.check(header.sent_at, now, is_notice=is_notice,
                                         path=element_path(at, self.catalog.prefixes),
                                         line=at.sourceline)
            assert stale is not None  # the same question, the same answer
            raise HubFault(faults.MESSAGE_STALE, (stale,), header.message_id)

    def stored_request(self, raw: bytes, subscriber: Provider) -> AcceptedRequest:
        """A notice accepted earlier, read back for delivery to ``subscriber`` (it was validated
        when accepted; only parsed again, so that the subscriber's answer can be checked)."""
        envelope = parse_envelope(raw, self.limits)
        header = PlatformHeader.from_element(envelope.header)
        service = self.catalog.service(header.service_id)
        if service is None:
            raise HubFault(faults.SERVICE_UNKNOWN, (Finding(
                "service:known", f"no catalog defines service {header.service_id} any more"),),
                header.message_id)
        return AcceptedRequest(envelope, header, service, None, (subscriber,))

    def stored_binding(self, raw: bytes, soap_ns: str, message_id: str,
                       service_id: str, digest: str | None = None) -> RequestBinding:
        """What a stored notice's receipt is checked against, from the fields the store kept
        when the notice was accepted (and validated): no second parse of ``raw``, and — with
        the ``digest`` of ``raw`` kept then — no second hash of it."""
        service = self.catalog.service(service_id)
        if service is None:
            raise HubFault(faults.SERVICE_UNKNOWN, (Finding(
                "service:known", f"no catalog defines service {service_id} any more"),),
                message_id)
        return built(RequestBinding, soap_ns=soap_ns, message_id=message_id, service=service,
                     raw=raw, digest=digest)

    def inspect_response(self, raw: bytes,
                         request: AcceptedRequest | RequestBinding) -> AcceptedResponse:
        """Check the provider's answer; any problem is the provider's (PROVIDER_INVALID)."""
        bound = request if isinstance(request, RequestBinding) else RequestBinding.of(request)
        invalid = faults.PROVIDER_INVALID
        try:
            envelope = parse_envelope(raw, self.limits)
        except HubFault as exc:
            raise HubFault(invalid, exc.findings, bound.message_id) from None
        if envelope.soap_ns != bound.soap_ns:
            raise HubFault(invalid, (Finding(
                "soap:version", f"answered in SOAP {envelope.soap_version} to a SOAP "
                f"{bound.soap_version} request", element_path(envelope.root),
                envelope.root.sourceline),), bound.message_id)
        if envelope.is_fault and envelope.header is None:
            return AcceptedResponse(envelope, None)
        header = self._read_header(envelope, invalid, invalid, invalid)
        header_el = envelope.header
        assert header_el is not None  # _read_header refused an envelope without
        digest = bound.digest or request_digest(bound.raw)
        if (header.relates_to != bound.message_id or header.request_hash != digest
                or header.service_id != bound.service.id):
            self._refuse_binding(header, header_el, bound, digest)  # findings only then
        if not envelope.is_fault:
            # The provider (the response's sender) owns the data it returns.
            self._check_body(envelope, header, bound.service.response_tag,
                             header.sender.local_gov_code, invalid, invalid, bound.message_id)
        return built(AcceptedResponse, envelope=envelope, header=header)

    def _refuse_binding(self, header: PlatformHeader, header_el: etree._Element,
                        bound: RequestBinding, digest: str) -> NoReturn:
        """The binding's findings (RelatesTo, RequestHash, service), each one that fails."""
        expected = {
            "binding:relates_to": (header.relates_to, bound.message_id,
                                   "RelatesTo must echo the request's MessageId"),
            "binding:request_hash": (header.request_hash, digest,
                                     "RequestHash must be the SHA-256 of the request bytes"),
            "binding:service": (header.service_id, bound.service.id,
                                "the response must name the request's service"),
        }
        path = element_path(header_el, self.catalog.prefixes)
        raise HubFault(faults.PROVIDER_INVALID, tuple(
            Finding(rule, message, path, header_el.sourceline)
            for rule, (got, want, message) in expected.items() if got != want),
            bound.message_id)

    def _check_body(self, envelope: Envelope, header: PlatformHeader, expected_tag: str,
                    data_owner: str, schema_fault: faults.FaultCode, rule_fault: faults.FaultCode,
                    message_id: str) -> None:
        # The sender's registered 外字 are acceptable in names (the header is valid by now and
        # was read once, into ``header``: not read from the element a second time).
        sender = str(header.sender)
        findings = self.validator.validate(envelope.body, expected_tag, data_owner, sender)
        if findings:
            raise HubFault(schema_fault if breaks_schema(findings) else rule_fault,
                           tuple(findings), message_id)


SERVICE_ACTION = "urn:pfbus:service:"  # + service ID: the soapAction every WSDL declares
_MEDIA_NS = {"text/xml": SOAP11_NS, "application/soap+xml": SOAP12_NS}


def check_media_type(envelope: Envelope, content_type: str | None,
                     soap_action: str | None) -> str | None:
    """Check the envelope against the Content-Type it came with; return the SOAP action the
    HTTP headers name (quotes stripped; None or "" when none)."""
    if content_type is None:
        return _unquote(soap_action)
    media, expected, action = _media_type(content_type)
    if expected is not None and expected != envelope.soap_ns:
        # a version error (SOAP 1.1 4.1.2; SOAP 1.2 Part 1 Appendix A.1: VersionMismatch in a
        # SOAP 1.1 fault), answered in SOAP 1.1 (envelope.version_mismatch_ns)
        raise HubFault(faults.VERSION_MISMATCH, (Finding(
            "soap:version", f"a SOAP {envelope.soap_version} envelope sent as {media}, "
            f"which is SOAP {SOAP_VERSION_NAME[expected]}'s media type",
            element_path(envelope.root), envelope.root.sourceline),))
    if envelope.soap_ns == SOAP12_NS:
        return action
    return _unquote(soap_action)


# RFC 9110 §5.6.6: parameters = *( OWS ";" OWS [ parameter ] ), a value a token or a
# quoted-string (§5.6.4), which may hold ";", "=" and quoted-pairs. An unquoted value is read up
# to the next ";" or white space: senders write action=urn:… unquoted, ":" being no tchar
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAMETER = re.compile(rf'[ \t]*;[ \t]*(?:({_TOKEN})=([^\s;"]+|"(?:[^"\\]|\\.)*"))?')


@functools.lru_cache(maxsize=256)
def _media_type(content_type: str) -> tuple[str, str | None, str | None]:
    """A Content-Type's media type (lower case), the SOAP namespace it names (None: neither
    SOAP's) and its first ``action`` parameter, unquoted (None: none). Read once per distinct
    header value: a client sends the same one every time (~8 k instructions, issue 13).
    Parameters are read as RFC 9110 writes them (a quoted action may hold ";" and quoted-pairs);
    reading stops at text the grammar does not admit: the hub judges the envelope, the product
    behind it the rest of the header (README, Encodings and the Content-Type)."""
    end = content_type.find(";")
    media = (content_type if end < 0 else content_type[:end]).strip().lower()
    action = None
    while end >= 0 and (match := _PARAMETER.match(content_type, end)) and match.end() > end:
        name, value = match.group(1, 2)
        if name is not None and name.lower() == "action":
            action = (re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith('"')
                      else value)
            break
        end = match.end()
    return media, _MEDIA_NS.get(media), action


def _unquote(action: str | None) -> str | None:
    if action is None:
        return None
    action = action.strip()
    if len(action) >= 2 and action[0] == action[-1] == '"':
        action = action[1:-1]
    return action


_SENDER_PARTS = (("LocalGovCode", re.compile(r"[0-9]{6}")),
                 ("BusinessUnit", re.compile(r"[0-9]{2}")),
                 ("SystemId", re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")))


def _claimed_sender(header_el: etree._Element) -> str | None:
    """The Sender of an invalid header for the routing log, only if each part has the schema's
    shape (団体コード, 業務ユニット, system ID): never echo arbitrary text."""
    sender = header_el.find(f"{{{HEADER_NS}}}Sender")
    if sender is None:
        return None
    parts: list[str] = []
    for name, shape in _SENDER_PARTS:
        child = sender.find(f"{{{HEADER_NS}}}{name}")
        text = (child.text or "").strip() if child is not None else ""
        if not shape.fullmatch(text):
            return None
        parts.append(text)
    return "/".join(parts)


