"""Which service a POST to the SDK endpoint is for: the element that starts its SOAP Body,
found without spyne (it dispatches within one Application of one namespace; the services of
an endpoint span namespaces). Used by ``provider._EndpointResource``."""

from __future__ import annotations

import threading

from lxml import etree

from bus.core.envelope import SOAP11_NS, SOAP12_NS


def body_tag(stream) -> str | None:
    """The QName of the SOAP Body's first child: the start tag that follows a Body child of the
    root, reading no further than it. A request of a few kB is parsed whole instead (half the
    CPU of an incremental parse's set-up); one that is not well-formed is read incrementally,
    as then the answer depends on where the error is."""
    data = stream.read(_WHOLE + 1)
    if len(data) <= _WHOLE:
        try:
            root = etree.fromstring(data, _whole_parser())
        except etree.XMLSyntaxError:
            pass
        else:
            after_body = False
            for el in root.iter(etree.Element):  # the start tags, in document order
                if after_body:
                    return el.tag
                parent = el.getparent()
                after_body = (el.tag in _BODY_TAGS and parent is not None
                              and parent.getparent() is None)
            return None
    stream.seek(0)
    return _body_tag_incrementally(stream)


_WHOLE = 64 * 1024  # requests up to this size are parsed whole by body_tag
_PARSERS = threading.local()  # an lxml parser is used by one thread at a time


def _whole_parser() -> etree.XMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:  # the options of the incremental parse
        parser = _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True,
                                                   load_dtd=False, huge_tree=False)
    return parser


def _body_tag_incrementally(stream) -> str | None:
    in_body = False
    try:
        for _, el in etree.iterparse(stream, events=("start",), resolve_entities=False,
                                     no_network=True, load_dtd=False, huge_tree=False):
            if in_body:
                return el.tag
            parent = el.getparent()
            in_body = el.tag in _BODY_TAGS and parent is not None and parent.getparent() is None
    except etree.XMLSyntaxError:
        pass  # spyne answers the fault for it
    return None


_BODY_TAGS = (f"{{{SOAP11_NS}}}Body", f"{{{SOAP12_NS}}}Body")
