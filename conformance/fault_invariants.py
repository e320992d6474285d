"""The per-message invariants of faults (invariants.py runs them on every answer of a run): a
fault's own structure as SOAP defines it — its codes QNames that resolve, its parts in SOAP's
order (INV-SOAP-04) —, the request's MessageId named (INV-FAULT-06) and every Finding's place a
place of the request (INV-FAULT-13)."""

from __future__ import annotations

import re

from bus.core.faults import FAULT_DETAIL_TAG, SOAP11_NS, FaultDetail
from bus.hub.http_answers import soap_ns_of_content_type

from . import checks, fault_place
from .records import Exchange


def _detail(env) -> FaultDetail | None:
    detail = env.body.find(f".//{FAULT_DETAIL_TAG}")
    return None if detail is None else FaultDetail.from_element(detail)


def detail_code(env) -> str | None:
    detail = _detail(env)
    return None if detail is None else detail.code


def fault_code(env) -> list[str]:
    """A fault's code (1.1 faultcode, 1.2 Code/Value) is a QName in the SOAP envelope's
    namespace (soap:Client, soap:Sender): an unprefixed 'Client' names no SOAP code at all.
    Every SOAP 1.2 Subcode/Value is a QName too (Part 1 §5.4.1.3), of any namespace, whose
    prefix a declaration in scope binds (Namespaces in XML 1.0 §5; blind batch 40 wrote
    pff:PF-RULE-VIOLATION with pff declared only inside the Detail)."""
    path = "faultcode" if env.soap_ns == SOAP11_NS else \
        f"{{{env.soap_ns}}}Code/{{{env.soap_ns}}}Value"
    el = env.body.find(path)
    if el is None:
        return [f"the fault has no {path.rpartition('}')[2] or path}"]
    prefix, colon, local = (el.text or "").strip().rpartition(":")
    if el.nsmap.get(prefix or None) != env.soap_ns:
        return [f"fault code {el.text!r} is not a QName of the SOAP namespace {env.soap_ns}"]
    if env.soap_ns == SOAP11_NS:
        return []
    problems = []
    for value in env.body.iterfind(f".//{{{env.soap_ns}}}Subcode/{{{env.soap_ns}}}Value"):
        text = (value.text or "").strip()
        prefix = text.rpartition(":")[0]
        if not _QNAME.fullmatch(text):
            problems.append(f"Subcode Value {text!r} is not a QName (SOAP 1.2 Part 1 §5.4.1.3)")
        elif prefix and prefix not in value.nsmap:
            problems.append(f"Subcode Value {text!r}: no declaration in scope binds the prefix "
                            f"{prefix!r} (Namespaces in XML 1.0 §5)")
    return problems


_NAME = r"[^\W\d][\w.\-]*"  # an NCName, near enough (letters, digits, '.', '-', '_')
_QNAME = re.compile(f"(?:{_NAME}:)?{_NAME}")


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_SOAP11_FAULT_PARTS = ("faultcode", "faultstring", "faultactor", "detail")
_SOAP12_FAULT_PARTS = ("Code", "Reason", "Node", "Role", "Detail")


def fault_parts(env) -> list[str]:
    """The Fault's own structure as SOAP defines it, whoever wrote it: SOAP 1.1 §4.4 —
    faultcode and faultstring, unqualified, and no other unqualified child than faultactor and
    detail; SOAP 1.2 Part 1 §5.4 — Code, Reason, then Node, Role, Detail at most once each, in
    that order, nothing else, and every Reason/Text with the xml:lang SOAP requires."""
    fault = env.body
    children = [c for c in fault if isinstance(c.tag, str)]
    if env.soap_ns == SOAP11_NS:
        names = [c.tag for c in children if not c.tag.startswith("{")]
        problems = [f"the SOAP 1.1 fault has no unqualified {part}"
                    for part in _SOAP11_FAULT_PARTS[:2] if part not in names]
        return problems + [f"the SOAP 1.1 fault has an unqualified {n} (SOAP defines "
                           f"faultcode, faultstring, faultactor, detail)"
                           for n in names if n not in _SOAP11_FAULT_PARTS]
    ns = f"{{{env.soap_ns}}}"
    names = [c.tag[len(ns):] if c.tag.startswith(ns) else c.tag for c in children]
    order = [_SOAP12_FAULT_PARTS.index(n) for n in names if n in _SOAP12_FAULT_PARTS]
    if (len(order) != len(names) or order != sorted(set(order)) or names[:2] != ["Code", "Reason"]):
        return [f"the SOAP 1.2 fault holds {names}; SOAP 1.2 wants Code, Reason, then Node, Role "
                f"and Detail at most once each, in that order"]
    texts = children[1].findall(f"{ns}Text")
    if not texts:
        return ["the SOAP 1.2 fault's Reason holds no Text"]
    return ["a SOAP 1.2 fault's Reason/Text has no xml:lang (SOAP 1.2 Part 1 §5.4.2)"
            for t in texts if t.get(_XML_LANG) is None][:1]


def fault_names_message(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-FAULT-06: a fault answering a request with a readable header names its MessageId.
    A header header-v1.xsd refuses (P-FAULT-11) is not taken as read: which of its fields a
    product may trust is not written down, so naming the MessageId is not judged there; nor is
    a request of no SOAP media type (P-MEDIA-01), which is refused before its body is read
    (docs/faults.md: PF-CONTENT-TYPE, as the hub refuses it)."""
    env = ex.usable()
    if env is None or not env.is_fault or ex.sent_header_read() is None \
            or checks.sent_header_invalid(ctx, ex) or not _soap_media_type(ex):
        return []
    return checks.fault_message_id(ctx, ex)


def _soap_media_type(ex: Exchange) -> bool:
    ctype = next((v for k, v in ex.request_headers.items() if k.lower() == "content-type"), "")
    return soap_ns_of_content_type(ctype.encode("latin-1")) is not None


def finding_place(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-FAULT-13: in every fault, every Finding that gives a Path gives a path of an element
    of the request (fault_place.unplaced: from the Envelope, step by step), and every Line
    given is a line of the request, not before the line of the element the Path names
    (fault_place.line_before) — whichever rule the Finding names, header or body; a Finding
    about the XML itself (xml:well-formed, soap:no-dtd) gives no Path, there being no element
    (docs/faults.md; round 43b: the forty-third blind batch named the element open where the
    parser stopped)."""
    env = ex.usable()
    if env is None or not env.is_fault or ex.direction != "to-product":
        return []
    detail = _detail(env)
    findings = () if detail is None else detail.findings
    placed = [f for f in findings if f.path is not None or f.line is not None]
    if not placed:
        return []
    root = checks.request_root(ex)
    lines = fault_place.request_lines(ex.request)
    problems = []
    for f in placed:
        if f.path is not None and f.rule in fault_place.ABOUT_THE_XML:
            problems.append(f"the Finding of {f.rule} names Path {f.path}: a finding about the "
                            "XML itself names the line the parser reports and no path")
            continue
        why = None if f.path is None or root is None else fault_place.unplaced(f.path, root)
        problems += [f"the Finding of {f.rule}: {why}"] if why else []
        problems += [p for p in [fault_place.line_problem(f, lines)] if p]
        if root is not None and not why:
            problems += [p for p in [fault_place.line_before(f, root)] if p]
    return problems
