"""SOAP envelope reading: a hardened parse, the limits, and the envelope's structure.

The parser never loads a DTD, never expands entities and never touches the network; a document
that carries a DTD at all is refused (SOAP forbids it). Each message is parsed exactly once; the
resulting tree is what validation and routing read.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lxml import etree

from . import faults
from .faults import SOAP11_NS, SOAP12_NS, HubFault
from .findings import Finding
from .frozen import built
from .header import HEADER_TAG
from .xmlpath import element_path

CONTENT_TYPES = {SOAP11_NS: "text/xml; charset=utf-8",
                 SOAP12_NS: "application/soap+xml; charset=utf-8"}
SOAP_VERSION_NAME = {SOAP11_NS: "1.1", SOAP12_NS: "1.2"}


@dataclass(frozen=True)
class Limits:
    """Bounds on what one message may cost to read."""

    max_bytes: int = 8 * 1024 * 1024
    max_depth: int = 64


@dataclass(frozen=True)
class Envelope:
    """A parsed SOAP message: the raw bytes as received and the parts the hub reads."""

    raw: bytes
    root: etree._Element
    soap_ns: str
    header: etree._Element | None  # the pfh:PlatformHeader block
    body: etree._Element  # the single child of soap:Body
    soap_header: etree._Element | None = None  # the soap:Header element, when there is one

    @property
    def soap_version(self) -> str:
        return SOAP_VERSION_NAME[self.soap_ns]

    @property
    def is_fault(self) -> bool:
        return bool(self.body.tag == f"{{{self.soap_ns}}}Fault")


_local = threading.local()


def _parser() -> etree.XMLParser:
    # One parser per thread: lxml parsers are not thread-safe, and building one per message
    # would put work on the hot path.
    parser = getattr(_local, "parser", None)
    if parser is None:
        # Comments and processing instructions are dropped from the tree (the bytes forwarded
        # keep them): a value like ``00000<!-- -->10014`` is one value, which the XSD reads
        # whole, but in lxml's tree it is two text nodes, and every rule reading ``.text``
        # would judge "00000" — a valid message refused.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 dtd_validation=False, huge_tree=False, remove_comments=True,
                                 remove_pis=True, collect_ids=False)
        _local.parser = parser
    return parser


def parse_envelope(raw: bytes, limits: Limits = Limits()) -> Envelope:
    """Parse and structurally check a SOAP 1.1/1.2 message, or raise HubFault."""
    return _split(raw, parse_document(raw, limits))


def parse_document(raw: bytes, limits: Limits = Limits()) -> etree._Element:
    """The hardened parse of any XML document: limits, no DTD, no entities, no network."""
    if len(raw) > limits.max_bytes:
        raise HubFault(faults.TOO_LARGE, (Finding(
            "limit:max_bytes", f"{len(raw)} bytes exceeds the limit of {limits.max_bytes}"),))
    # Refused before libxml2 reads it: it would try to fetch an external subset and report
    # entity amplification (billion laughs) as a syntax error rather than as a DTD.
    doctype_line = _doctype_line(raw)
    if doctype_line is not None:
        raise _dtd_forbidden(doctype_line)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise HubFault(faults.MALFORMED_XML, (Finding("xml:well-formed", exc.msg, None, line),)) \
            from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _dtd_forbidden(1)  # a prolog the byte scan cannot read (e.g. UTF-16)
    # A document nests no deeper than it has elements, and each element's start tag has a "<"
    # byte in UTF-8 (in UTF-16/32 too, which libxml2 may report as UTF-8): a small message
    # with at most max_depth "<" is decided without the XPath (~20 k instructions per
    # request, issue 13). Counting costs ~3 instructions a byte, so only small ones are
    # counted; any other encoding (EBCDIC, UTF-7 …) may write "<" otherwise: the XPath decides.
    if (len(raw) > _COUNTED_BYTES or raw.count(b"<") > limits.max_depth
            or (docinfo.encoding or "").upper() != "UTF-8"):
        _check_depth(root, limits.max_depth)
    return root


_COUNTED_BYTES = 2048  # see parse_document: larger messages go straight to the XPath


def _dtd_forbidden(line: int) -> HubFault:
    return HubFault(faults.DTD_FORBIDDEN, (Finding(
        "soap:no-dtd", "a SOAP message must not contain a document type declaration", None,
        line),))


# A prolog of at most an XML declaration and whitespace, up to the root element's start tag: no
# document type declaration can be in it (the walk below says None for it). Matched at the start,
# it decides the common case without reading the rest of the message (a scan of the whole
# message for "<!DOCTYPE" read 100 KB per 100 KB answer, issue 13 item 2).
_PLAIN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*(?:<\?xml[^>]*\?>)?[ \t\r\n]*"
                           rb"<[A-Za-z_:\x80-\xff]")


def _doctype_line(raw: bytes) -> int | None:
    """The line of a ``<!DOCTYPE`` in the prolog (after BOM, XML declaration, PIs, comments)."""
    if _PLAIN_PROLOG.match(raw) is not None or b"<!DOCTYPE" not in raw:
        return None
    i = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while i < len(raw) and raw[i] in b" \t\r\n":
            i += 1
        for start, end in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if raw.startswith(start, i):
                j = raw.find(end, i + len(start))
                if j < 0:
                    return None
                i = j + len(end)
                break
        else:
            return raw.count(b"\n", 0, i) + 1 if raw.startswith(b"<!DOCTYPE", i) else None


def _check_depth(root: etree._Element, max_depth: int) -> None:
    # The elements one level too deep, found by libxml2's XPath (one step per level, in C): a
    # Python walk over every element cost 7 % of the hub's CPU on a 100 KB answer. The first in
    # document order is where a walk would have stopped (anything deeper lies inside one).
    too_deep = _too_deep(max_depth)(root)
    if too_deep:
        raise HubFault(faults.TOO_DEEP, (Finding(
            "limit:max_depth", f"elements nest deeper than {max_depth} levels",
            element_path(too_deep[0]), too_deep[0].sourceline),))


def _too_deep(max_depth: int) -> etree.XPath:
    """Elements at depth ``max_depth + 1`` (the root is at depth 1). One XPath per thread, like
    the parser: an lxml XPath object runs one evaluation at a time (its own lock), and big
    messages are parsed on several threads (bus/hub/inspection_threads.py)."""
    made = getattr(_local, "too_deep", None)
    if made is None:
        made = _local.too_deep = {}
    xpath = made.get(max_depth)
    if xpath is None:  # max_depth ≥ 1: the config's rule
        xpath = made[max_depth] = etree.XPath("/".join(["*"] * max_depth))
    return xpath


_ENVELOPE_TAGS = {ns: (f"{{{ns}}}Envelope", f"{{{ns}}}Header", f"{{{ns}}}Body")
                  for ns in (SOAP11_NS, SOAP12_NS)}


def _split(raw: bytes, root: etree._Element) -> Envelope:
    # Each tag is read once, and only where it is needed (lxml builds a new "{ns}name" string
    # per read; issue 13): the Body's child is told from a comment, PI or entity by its class.
    tag = root.tag
    soap_ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    tags = _ENVELOPE_TAGS.get(soap_ns)
    if tags is None or tag != tags[0]:
        # SOAP 1.1 4.1.2, SOAP 1.2 Part 1 5.4.7: a version error, SOAP's VersionMismatch
        raise HubFault(faults.VERSION_MISMATCH, (Finding(
            "soap:envelope", "the root element must be the Envelope of SOAP 1.1 "
            f"({SOAP11_NS}) or SOAP 1.2 ({SOAP12_NS})", element_path(root), root.sourceline),))
    _, header_tag, body_tag = tags
    children = list(root)
    names = [c.tag for c in children]
    if names != [body_tag] and names != [header_tag, body_tag]:
        kept = [(c, name) for c, name in zip(children, names, strict=True)
                if isinstance(name, str)]
        children, names = [c for c, _ in kept], [name for _, name in kept]
        if names != [body_tag] and names != [header_tag, body_tag]:
            raise _not_soap(root, "an Envelope holds at most one Header followed by exactly "
                                  "one Body, and nothing else")
    body_el = children[-1]
    body_children = [c for c in body_el if not isinstance(c, _NOT_ELEMENTS)]
    if len(body_children) != 1:
        raise _not_soap(body_el, f"the Body must hold exactly one element, found "
                                 f"{len(body_children)}")
    header = soap_header = None
    if len(children) == 2:
        soap_header = children[0]
        blocks = [c for c in soap_header if c.tag == HEADER_TAG]
        if len(blocks) > 1:
            raise HubFault(faults.HEADER_INVALID, (Finding(
                "header:single", "the Header holds more than one PlatformHeader", element_path(blocks[1]),
                blocks[1].sourceline),))
        header = blocks[0] if blocks else None
    return built(Envelope, raw=raw, root=root, soap_ns=soap_ns, header=header,
                 body=body_children[0], soap_header=soap_header)


def version_mismatch_ns(fault: HubFault, content_type: str | None) -> str:
    """The SOAP version a VersionMismatch fault is written in: SOAP 1.2 (with its Upgrade
    block) when the request came as ``application/soap+xml`` and its root is no SOAP Envelope
    (Part 1 5.4.7); SOAP 1.1 otherwise — a root of no SOAP version sent as ``text/xml`` or with
    no SOAP media type (SOAP 1.1 4.1.2), and an envelope of the other version than the media
    type names (``soap:version``: SOAP 1.1 4.1.2 for a 1.2 envelope as ``text/xml``, SOAP 1.2
    Part 1 Appendix A.1 for a 1.1 envelope as ``application/soap+xml``: a SOAP/1.1 fault)."""
    soap12 = (content_type or "").split(";")[0].strip().lower() == "application/soap+xml"
    first = fault.first
    if soap12 and not (first is not None and first.rule == "soap:version"):
        return SOAP12_NS
    return SOAP11_NS


# The nodes among an element's children whose ``tag`` is not a string (lxml's factories).
_NOT_ELEMENTS = (etree._Comment, etree._ProcessingInstruction, etree._Entity)


def _not_soap(el: etree._Element, message: str) -> HubFault:
    return HubFault(faults.NOT_SOAP, (Finding("soap:envelope", message, element_path(el),
                                              el.sourceline),))
