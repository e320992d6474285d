"""Stable fault codes and the SOAP Fault the hub answers with (SOAP 1.1 and 1.2).

Each code names one class of failure; operators and vendors can rely on it (docs/faults.md).
The detail (``pff:FaultDetail``) carries the code, who was at fault, the message ID when it could
be read, and every finding with its rule — and, when the finding is about a place in the message,
its element path and line.
"""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError, dataclass, field, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from lxml import etree

from .findings import Finding

if TYPE_CHECKING:  # header.py builds on this module
    from .header import PlatformHeader

FAULT_NS = "urn:pfbus:platform:fault:v1"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"


class Party(StrEnum):
    """Who caused the failure (a closed vocabulary: also the routing log's ``party``)."""

    CLIENT = "client"
    PROVIDER = "provider"
    HUB = "hub"


@dataclass(frozen=True)
class FaultCode:
    code: str
    party: Party
    http_status: int
    summary: str
    soap_code: str | None = None  # a SOAP-defined code (e.g. MustUnderstand)


def _c(code: str, party: Party, http_status: int, summary: str,
       soap_code: str | None = None) -> FaultCode:
    return FaultCode(code, party, http_status, summary, soap_code)


C, P, H = Party.CLIENT, Party.PROVIDER, Party.HUB
MALFORMED_XML = _c("PF-XML-MALFORMED", C, 400, "the message is not well-formed XML")
DTD_FORBIDDEN = _c("PF-XML-DTD", C, 400, "a document type declaration is not allowed in SOAP")
TOO_LARGE = _c("PF-LIMIT-SIZE", C, 413, "the message exceeds the maximum size")
TOO_DEEP = _c("PF-LIMIT-DEPTH", C, 400, "the message nests elements too deeply")
LIMIT_RATE = _c("PF-LIMIT-RATE", C, 429, "the adapter sends faster than its rate limit")
LIMIT_CONCURRENCY = _c("PF-LIMIT-CONCURRENCY", C, 429,
                       "the adapter has too many requests in flight")
LIMIT_TIME = _c("PF-LIMIT-TIME", C, 408, "the request was not received within the read timeout")
CONTENT_TYPE = _c("PF-CONTENT-TYPE", C, 415,
                  "the Content-Type is not text/xml (SOAP 1.1) or application/soap+xml (1.2)")
NOT_SOAP = _c("PF-SOAP-ENVELOPE", C, 400, "the message is not a valid SOAP 1.1 or 1.2 envelope")
HEADER_MISSING = _c("PF-HEADER-MISSING", C, 400, "the platform header is missing")
HEADER_INVALID = _c("PF-HEADER-INVALID", C, 400, "the platform header is invalid")
SCHEMA_INVALID = _c("PF-SCHEMA-INVALID", C, 400, "the body violates the service's schema")
RULE_VIOLATION = _c("PF-RULE-VIOLATION", C, 400, "the message breaks a platform rule")
SERVICE_UNKNOWN = _c("PF-SERVICE-UNKNOWN", C, 404, "no schema catalog defines this service")
ROUTE_NOT_FOUND = _c("PF-ROUTE-NOT-FOUND", C, 404,
                     "no provider is registered for this service and 団体コード")
PROVIDER_UNREACHABLE = _c("PF-PROVIDER-UNREACHABLE", P, 502, "the provider could not be reached")
PROVIDER_TIMEOUT = _c("PF-PROVIDER-TIMEOUT", P, 504, "the provider did not answer in time")
PROVIDER_INVALID = _c("PF-PROVIDER-INVALID-RESPONSE", P, 502, "the provider's response is invalid")
PROVIDER_FAULT = _c("PF-PROVIDER-FAULT", P, 502, "the subscriber answered a notice with a fault")
PROVIDER_HTTP_ERROR = _c("PF-PROVIDER-HTTP-ERROR", P, 502,
                         "the provider answered with an HTTP error and no SOAP fault")
ACCESS_DENIED = _c("PF-ACCESS-DENIED", C, 403,
                   "the caller has no right to send this message (default deny)")
SENDER_SPOOFED = _c("PF-SENDER-SPOOFED", C, 403,
                    "the header's sender is not an identity of the authenticated adapter")
DUPLICATE_MESSAGE = _c("PF-DUPLICATE-MESSAGE", C, 409,
                       "this MessageId was already received within the replay window; nothing "
                       "was forwarded")
MESSAGE_STALE = _c("PF-MESSAGE-STALE", C, 400,
                   "SentAt is older than the hub accepts or ahead of the hub's clock")
MUST_UNDERSTAND = _c("PF-MUST-UNDERSTAND", C, 500,
                     "a header block addressed to the hub with mustUnderstand is not understood",
                     soap_code="MustUnderstand")
# Answered by the HTTP layer (bus/hub/http.py, bus/hub/resource.py): a SOAP Fault on the SOAP
# endpoints, a small JSON document elsewhere.
HTTP_BAD_REQUEST = _c("PF-HTTP-BAD-REQUEST", C, 400, "the HTTP request is malformed")
HTTP_NOT_FOUND = _c("PF-HTTP-NOT-FOUND", C, 404, "nothing is served at this path")
HTTP_METHOD = _c("PF-HTTP-METHOD", C, 405, "this HTTP method is not served at this path")
LIMIT_URI = _c("PF-LIMIT-URI", C, 414, "the request line is longer than the hub reads")
LIMIT_HEADERS = _c("PF-LIMIT-HEADERS", C, 431,
                   "a header line, the header section or the number of headers exceeds the limit")
HUB_INTERNAL = _c("PF-HUB-INTERNAL", H, 500, "the hub failed to process the message")
STORE_UNAVAILABLE = _c("PF-STORE-UNAVAILABLE", H, 503,
                       "the notice could not be stored; nothing was accepted: send it again")
# An operator's decision (pfbus admin): answered 503 with Retry-After, whatever the SOAP version.
MAINTENANCE = _c("PF-MAINTENANCE", H, 503,
                 "the hub is in maintenance: send the message again later (Retry-After)")
PAUSED = _c("PF-PAUSED", H, 503,
            "an operator paused this route: send the message again later (Retry-After)")
HUB_STOPPING = _c("PF-HUB-STOPPING", H, 503,
                  "the hub is stopping and did not complete the request: send it again")
LOG_UNAVAILABLE = _c("PF-LOG-UNAVAILABLE", H, 503,
                     "the routing log cannot record the exchange (evidence or refuse): send it "
                     "again later")
# Raised by an adapter's provider side (adapters.sdk.provider).
PROVIDER_MISROUTED = _c("PF-PROVIDER-MISROUTED", C, 400,
                        "the message is addressed to another system or service")
PROVIDER_INTERNAL = _c("PF-PROVIDER-INTERNAL", P, 500, "the provider failed to answer")

ALL_CODES = tuple(v for v in globals().values() if isinstance(v, FaultCode))
# PF-SOAP-ENVELOPE answered with SOAP's own code (SOAP 1.1 4.1.2, SOAP 1.2 Part 1 5.4.7): the
# root element is not the Envelope of the SOAP version the binding carries. The same stable
# code, so it is not in ALL_CODES twice; HTTP 500 in both versions (SOAP 1.2 Part 2 7.5.2.2).
VERSION_MISMATCH = _c("PF-SOAP-ENVELOPE", C, 500, "the message is not a SOAP envelope of the "
                      "version its binding carries (a version error)",
                      soap_code="VersionMismatch")


@dataclass(frozen=True, eq=False)
class HubFault(Exception):
    """A failure the hub answers with a SOAP Fault: a value — what a later step knows (the
    MessageId, the header read) goes into a new fault, ``fault.but(message_id=…)``."""

    fault: FaultCode
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    message_id: str | None = None
    header: PlatformHeader | None = None  # when it was read before the failure
    # the Sender an invalid header claims, when its parts have the schema's shape (routing log)
    sender: str | None = None

    def __str__(self) -> str:
        first = f": {self.findings[0]}" if self.findings else ""
        return f"{self.fault.code}{first}"

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def detail(self) -> FaultDetail:
        return FaultDetail(self.fault.code, self.fault.party.value, self.message_id,
                           tuple(self.findings))

    def but(self, **changes: Any) -> HubFault:
        """This fault with ``changes`` (``message_id``, ``header``, ``sender``, ``findings``)."""
        return replace(self, **changes)

    def __reduce__(self) -> tuple[Any, ...]:
        # copy and pickle rebuild it through __init__: BaseException's default restores the
        # fields by assignment, which a frozen value refuses
        return (type(self), (self.fault, self.findings, self.message_id, self.header,
                             self.sender))


def _assign_exception_state(self: HubFault, name: str, value: Any) -> None:
    """The frozen dataclass refuses every assignment; the fields stay refused, but what Python
    sets on any raised exception (``__traceback__``, ``__cause__``, ``__context__`` — contextlib
    assigns ``__traceback__`` in Python code) and ``__notes__`` must pass."""
    if name in _HUB_FAULT_FIELDS:
        raise FrozenInstanceError(f"cannot assign to field {name!r}: a HubFault is a value, "
                                  f"build another with fault.but({name}=...)")
    Exception.__setattr__(self, name, value)


_HUB_FAULT_FIELDS = frozenset(f.name for f in fields(HubFault))
setattr(HubFault, "__setattr__", _assign_exception_state)  # noqa: B010 — set after @dataclass,
# which refuses a class that defines its own __setattr__ with frozen=True


def fault_envelope(fault: HubFault, soap_ns: str = SOAP11_NS) -> bytes:
    """Serialise ``fault`` as a SOAP Fault envelope in the given SOAP version."""
    env = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns, "pff": FAULT_NS})
    body = etree.SubElement(env, f"{{{soap_ns}}}Body")
    f = etree.SubElement(body, f"{{{soap_ns}}}Fault")
    reason = f"{fault.fault.code}: {fault.fault.summary}"
    if fault.first is not None:
        reason += f" ({fault.first.rule} at {fault.first.path or '-'}, line {fault.first.line})"
    reason = xml_text(reason)
    is_sender = fault.fault.party is Party.CLIENT
    soap_code = fault.fault.soap_code
    if soap_ns == SOAP11_NS:
        etree.SubElement(f, "faultcode").text = (
            f"soap:{soap_code}" if soap_code else "soap:Client" if is_sender else "soap:Server")
        etree.SubElement(f, "faultstring").text = reason
        detail_parent = etree.SubElement(f, "detail")
    else:
        code = etree.SubElement(f, f"{{{soap_ns}}}Code")
        etree.SubElement(code, f"{{{soap_ns}}}Value").text = (
            f"soap:{soap_code}" if soap_code else "soap:Sender" if is_sender else "soap:Receiver")
        text = etree.SubElement(etree.SubElement(f, f"{{{soap_ns}}}Reason"), f"{{{soap_ns}}}Text")
        text.text = reason
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        detail_parent = etree.SubElement(f, f"{{{soap_ns}}}Detail")
    detail_parent.append(fault.detail().to_element())
    if soap_code == VERSION_MISMATCH.soap_code:
        _add_upgrade(env, soap_ns)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def _add_upgrade(env: etree._Element, soap_ns: str) -> None:
    """A VersionMismatch fault's Header: SOAP 1.2's ``Upgrade`` block (Part 1 5.4.7; in a SOAP
    1.1 fault too, as its Appendix A shows) listing the envelopes this node reads, the answer's
    own version first (the order of preference). Built in place: each ``qname`` uses a prefix
    declared where it stands."""
    header = etree.SubElement(env, f"{{{soap_ns}}}Header")
    env.insert(0, header)
    upgrade = etree.SubElement(header, f"{{{SOAP12_NS}}}Upgrade",
                               nsmap=None if soap_ns == SOAP12_NS else {"upg": SOAP12_NS})
    for ns in (soap_ns, SOAP11_NS if soap_ns == SOAP12_NS else SOAP12_NS):
        prefix = next((k for k, v in upgrade.nsmap.items() if v == ns and k), None)
        supported = etree.SubElement(upgrade, f"{{{SOAP12_NS}}}SupportedEnvelope",
                                     nsmap=None if prefix else {"v": ns})
        supported.set("qname", f"{prefix or 'v'}:Envelope")


FAULT_DETAIL_TAG = f"{{{FAULT_NS}}}FaultDetail"
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with characters XML cannot carry (controls, lone surrogates) as U+FFFD: a finding
    may quote what the client sent (a SOAPAction, a parser message), and the fault must still
    serialise."""
    return _NOT_XML_CHAR.sub("\ufffd", text)


def _fq(name: str) -> str:
    return f"{{{FAULT_NS}}}{name}"


@dataclass(frozen=True)
class FaultDetail:
    """The ``pff:FaultDetail`` of a SOAP Fault: stable code, who was at fault, findings.

    Written by the hub and by the SDK's provider side, read by the SDK's consumer side.
    """

    code: str
    party: str  # client | provider | hub
    message_id: str | None = None
    findings: tuple[Finding, ...] = ()

    def to_element(self) -> etree._Element:
        d = etree.Element(FAULT_DETAIL_TAG, nsmap={"pff": FAULT_NS})
        etree.SubElement(d, _fq("Code")).text = self.code
        etree.SubElement(d, _fq("Party")).text = self.party
        if self.message_id:
            etree.SubElement(d, _fq("MessageId")).text = self.message_id
        for finding in self.findings:
            fe = etree.SubElement(d, _fq("Finding"))
            etree.SubElement(fe, _fq("Rule")).text = finding.rule
            if finding.path:
                etree.SubElement(fe, _fq("Path")).text = xml_text(finding.path)
            if finding.line is not None:
                etree.SubElement(fe, _fq("Line")).text = str(finding.line)
            etree.SubElement(fe, _fq("Message")).text = xml_text(finding.message)
        return d

    @classmethod
    def from_element(cls, el: etree._Element) -> FaultDetail:
        """Read a ``pff:FaultDetail``; tolerant of missing optional parts (it may be foreign)."""

        def text(parent: etree._Element, name: str) -> str | None:
            child = parent.find(_fq(name))
            return None if child is None else (child.text or "")

        findings = []
        for fe in el.findall(_fq("Finding")):
            line = text(fe, "Line")
            findings.append(Finding(rule=text(fe, "Rule") or "", message=text(fe, "Message") or "",
                                    path=text(fe, "Path"),
                                    line=int(line) if line and line.isdigit() else None))
        return cls(code=text(el, "Code") or "", party=text(el, "Party") or "",
                   message_id=text(el, "MessageId"), findings=tuple(findings))
