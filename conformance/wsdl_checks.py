"""Static checks of a service description (WSDL 1.1) against the catalog's service.

Each check answers one requirement (RQ-WSDL-01 … 04) and returns the problems it found; the
document is read with the same hardened parser as messages (no DTD, no entities, no network).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from bus.core.catalog import ServiceSpec
from bus.core.envelope import Limits, parse_document
from bus.core.faults import FAULT_DETAIL_TAG, HubFault
from bus.core.header import HEADER_TAG

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
BINDING_NS = {SOAP11: "SOAP 1.1", SOAP12: "SOAP 1.2"}


def _w(name: str) -> str:
    return f"{{{WSDL}}}{name}"


def _qname(el: etree._Element, value: str | None) -> str | None:
    """An attribute's QName value (``tns:Foo``) as ``{ns}Foo``, by the element's prefixes."""
    if not value:
        return None
    prefix, _, local = value.rpartition(":")
    ns = el.nsmap.get(prefix or None)
    return f"{{{ns}}}{local}" if ns else local


@dataclass
class Description:
    """The parts of a WSDL the checks read."""

    target_ns: str
    messages: dict[str, list[str]] = field(default_factory=dict)  # message → part elements
    operations: dict[str, dict] = field(default_factory=dict)  # op → {input, output, faults}
    bindings: list[etree._Element] = field(default_factory=list)
    ports: dict[str, list[str]] = field(default_factory=dict)  # binding → port addresses

    @classmethod
    def parse(cls, raw: bytes) -> Description:
        try:
            root = parse_document(raw, Limits(max_bytes=16 * 1024 * 1024))
        except HubFault as fault:
            raise ValueError(f"not a readable WSDL: {fault}") from None
        if root.tag != _w("definitions"):
            raise ValueError(f"not a WSDL 1.1 document: the root is {root.tag}")
        tns = root.get("targetNamespace", "")
        d = cls(tns)
        for m in root.iter(_w("message")):
            d.messages[f"{{{tns}}}{m.get('name')}"] = [
                _qname(p, p.get("element")) for p in m.iter(_w("part"))]
        for pt in root.iter(_w("portType")):
            for op in pt.iter(_w("operation")):
                io = {k: _qname(e, e.get("message")) for k in ("input", "output")
                      if (e := op.find(_w(k))) is not None}
                io["faults"] = [_qname(f, f.get("message")) for f in op.findall(_w("fault"))]
                d.operations[op.get("name")] = io
        d.bindings = list(root.iter(_w("binding")))
        for port in root.iter(_w("port")):
            addresses = [a.get("location", "") for ns in BINDING_NS
                         for a in port.findall(f"{{{ns}}}address")]
            d.ports.setdefault(_qname(port, port.get("binding")), []).extend(addresses)
        return d

    def binding_soap(self, binding: etree._Element) -> tuple[str | None, etree._Element | None]:
        for ns in BINDING_NS:
            el = binding.find(f"{{{ns}}}binding")
            if el is not None:
                return ns, el
        return None, None

    def binding_operation(self, binding: etree._Element, name: str) -> etree._Element | None:
        return next((op for op in binding.findall(_w("operation")) if op.get("name") == name),
                    None)


def check(raw: bytes, spec: ServiceSpec, name: str) -> list[str]:
    try:
        d = Description.parse(raw)
    except ValueError as exc:
        return [str(exc)]
    return CHECKS[name](d, spec)


def operations(d: Description, spec: ServiceSpec) -> list[str]:
    op = d.operations.get(spec.operation)
    if op is None:
        return [f"no portType operation {spec.operation} (found: "
                f"{', '.join(sorted(d.operations)) or 'none'})"]
    problems = [f"operation {spec.operation} has no {k}" for k in ("input", "output")
                if not op.get(k)]
    if not op["faults"]:
        problems.append(f"operation {spec.operation} declares no fault")
    if not d.bindings:
        problems.append("no binding")
    for b in d.bindings:
        if d.binding_operation(b, spec.operation) is None:
            problems.append(f"binding {b.get('name')} does not bind {spec.operation}")
    return problems


def namespaces(d: Description, spec: ServiceSpec) -> list[str]:
    op = d.operations.get(spec.operation)
    if op is None:
        return [f"no portType operation {spec.operation}"]
    problems = []
    for key, want in (("input", spec.request_tag), ("output", spec.response_tag)):
        parts = d.messages.get(op.get(key) or "", [])
        if parts != [want]:
            problems.append(f"{key} message parts are {parts or 'missing'}, expected {want}")
    for fault in op["faults"]:
        if d.messages.get(fault) != [FAULT_DETAIL_TAG]:
            problems.append(f"fault message {fault} is {d.messages.get(fault)}, expected "
                            f"{FAULT_DETAIL_TAG}")
    for b in d.bindings:
        ns, _ = d.binding_soap(b)
        bop = d.binding_operation(b, spec.operation)
        if ns is None or bop is None:
            continue
        for key in ("input", "output"):
            headers = bop.findall(f"{{{WSDL}}}{key}/{{{ns}}}header")
            elements = [p for h in headers
                        for p in _header_parts(d, h)]
            if HEADER_TAG not in elements:
                problems.append(f"binding {b.get('name')} {key}: no soap header part "
                                f"{HEADER_TAG} (found {elements or 'none'})")
    return problems


def _header_parts(d: Description, header: etree._Element) -> list[str]:
    parts = d.messages.get(_qname(header, header.get("message")) or "", [])
    return parts[:1] if parts else []


def document_literal(d: Description, spec: ServiceSpec) -> list[str]:
    problems = []
    if not d.bindings:
        return ["no binding"]
    for b in d.bindings:
        ns, soap_binding = d.binding_soap(b)
        if ns is None:
            continue  # not a SOAP binding (e.g. HTTP): not this check's business
        if soap_binding.get("style", "document") != "document":
            problems.append(f"binding {b.get('name')} is style={soap_binding.get('style')}")
        for op in b.findall(_w("operation")):
            soap_op = op.find(f"{{{ns}}}operation")
            if soap_op is not None and soap_op.get("style", "document") != "document":
                problems.append(f"{b.get('name')}/{op.get('name')} is style="
                                f"{soap_op.get('style')}")
            for el in op.iter(f"{{{ns}}}body", f"{{{ns}}}header", f"{{{ns}}}fault"):
                if el.get("use") != "literal":
                    problems.append(f"{b.get('name')}/{op.get('name')}: "
                                    f"{etree.QName(el).localname} use={el.get('use')}")
                if el.get("encodingStyle"):
                    problems.append(f"{b.get('name')}/{op.get('name')}: encodingStyle "
                                    f"{el.get('encodingStyle')}")
    return problems


def bindings(d: Description, spec: ServiceSpec) -> list[str]:
    found: dict[str, list[str]] = {}
    for b in d.bindings:
        ns, soap_binding = d.binding_soap(b)
        if ns is None:
            continue
        qname = f"{{{d.target_ns}}}{b.get('name')}"
        if soap_binding.get("transport") != HTTP_TRANSPORT:
            continue
        if any(d.ports.get(qname, [])):
            found.setdefault(BINDING_NS[ns], []).append(b.get("name"))
    return [f"no {version} binding over HTTP exposed by a port with an address"
            for version in BINDING_NS.values() if version not in found]


CHECKS = {"operations": operations, "namespaces": namespaces,
          "document_literal": document_literal, "bindings": bindings}
