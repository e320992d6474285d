"""Namespace declarations placed where else they may be (round 16b; P-EQUIV-01, S-EQUIV-01).

Namespaces in XML 1.0 §6.1: a declaration's scope is the element that carries it and that
element's content, so where a sender writes it is the sender's choice — all of them on the
Envelope, the payload's on soap:Body, a prefix bound again inside its scope, a prefix bound on
the Envelope to another namespace and rebound on the payload, the payload's namespace as the
Envelope's default, two prefixes for one namespace. The suite's canonical envelope
(``envelopes.envelope``) declares each namespace on the element that first uses it (soap on the
Envelope, pfh on the header block, the payload's on its root): a receiver that cuts a block out
of the text and parses it alone, or resolves a prefix by the first declaration it meets, reads
that form only.

Round 46a (P-FAULT-14/15, ``tamper``): a request breaking a rule sent ``unprefixed`` — every
element in its namespace as the default one, as a writer that knows no prefixes serialises it —
or with the payload's namespace as the Envelope's default, so that a Finding's Path is judged on
elements no prefix names.

Every function is ``text -> text`` over the canonical envelope; ``equivalent`` compares the
result with the canonical form element by element (expanded names, attributes, text), so that a
rewrite that would change the message is an error of the suite, never sent.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .lexical import NotApplicable

_START_TAG = re.compile(r"<(?![!?/])[^>]*>")
_DECLARATION = re.compile(r'\s+xmlns(?::([A-Za-z_][\w.-]*))?="([^"]*)"')
_SHADOW = "urn:example:conformance:shadowed:"  # a namespace no message uses


def _declarations(text: str) -> list[tuple[str, str]]:
    """(prefix, namespace) of every declaration in a start tag of ``text`` ("" the default)."""
    return [(m.group(1) or "", m.group(2)) for tag in _START_TAG.findall(text)
            for m in _DECLARATION.finditer(tag)]


def _undeclared(text: str) -> str:
    """``text`` without any namespace declaration (in start tags only: never in a value)."""
    return _START_TAG.sub(lambda m: _DECLARATION.sub("", m.group(0)), text)


def _attributes(pairs: list[tuple[str, str]]) -> str:
    return "".join(f' xmlns:{p}="{ns}"' if p else f' xmlns="{ns}"' for p, ns in pairs)


def _add_to(text: str, tag: str, pairs: list[tuple[str, str]]) -> str:
    """``pairs`` declared on the first start tag named ``tag`` (``<soap:Body>`` …)."""
    at = text.index(f"<{tag}") + len(tag) + 1
    return text[:at] + _attributes(pairs) + text[at:]


def _span(text: str, tag: str) -> tuple[int, int]:
    """Start and end of the content of ``<tag>…</tag>`` (the first of them)."""
    start = text.index(">", text.index(f"<{tag}")) + 1
    return start, text.index(f"</{tag}>", start)


def _one_binding(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The declarations once each; a prefix bound to two namespaces cannot be hoisted."""
    bound: dict[str, str] = {}
    for prefix, ns in pairs:
        if bound.setdefault(prefix, ns) != ns:
            raise NotApplicable(f"the prefix {prefix!r} names two namespaces")
    return list(bound.items())


def all_on_envelope(text: str) -> str:
    """Every declaration of the document on the Envelope, none anywhere else: the header block
    and the payload use prefixes declared only on an ancestor."""
    start = text.index("<soap:Envelope")
    pairs = _one_binding(_declarations(text[start:]))
    return _add_to(text[:start] + _undeclared(text[start:]), "soap:Envelope", pairs)


def on_body_and_header(text: str) -> str:
    """The payload's declarations on soap:Body, the header blocks' on soap:Header."""
    for tag in ("soap:Body", "soap:Header"):
        start, end = _span(text, tag)
        pairs = _one_binding(_declarations(text[start:end]))
        text = _add_to(text[:start] + _undeclared(text[start:end]) + text[end:], tag, pairs)
    return text


def redeclared_in_scope(text: str) -> str:
    """Each binding declared again inside its own scope: soap on soap:Body, the header block's
    prefixes on its first child, the payload's on the payload's first child."""
    text = _add_to(text, "soap:Body", [("soap", _bound(text, "soap"))])
    for tag in ("soap:Header", "soap:Body"):
        start, end = _span(text, tag)
        block = text[start:end]
        pairs = _one_binding(_declarations(block))
        child = [m for m in _START_TAG.finditer(block)][1:2]  # the block's first child
        if pairs and child:
            at = start + child[0].end() - 1
            text = text[:at] + _attributes(pairs) + text[at:]
    return text


def prefixes_shadowed(text: str) -> str:
    """The Envelope binds every prefix the header block and the payload use to a namespace no
    message has; their own declarations bind it again to the right one (the inner declaration
    is in force: a reader taking the first declaration it meets reads another namespace)."""
    start = text.index("<soap:Header")
    inner = [p for p, _ in _one_binding(_declarations(text[start:])) if p and p != "soap"]
    return _add_to(text, "soap:Envelope", [(p, _SHADOW + p) for p in inner])


def default_namespace_on_envelope(text: str) -> str:
    """The payload root's namespace as the Envelope's default namespace; the payload's elements
    of that namespace unprefixed, its declaration of the prefix dropped (the soap and header
    elements are prefixed: the default does not reach them)."""
    start, end = _span(text, "soap:Body")
    body = text[start:end]
    root = re.match(r"\s*<([A-Za-z_][\w.-]*):", body)
    if not root:
        raise NotApplicable("the payload has no prefix")
    prefix = root.group(1)
    ns = _bound(body, prefix)
    body = re.sub(rf"(</?){re.escape(prefix)}:", r"\1", body)
    body = body.replace(f' xmlns:{prefix}="{ns}"', "")
    return _add_to(text[:start] + body + text[end:], "soap:Envelope", [("", ns)])


def two_prefixes_for_one_namespace(text: str) -> str:
    """The payload's root keeps its prefix; the elements below it of the same namespace use a
    second prefix bound to that namespace on the root."""
    start, end = _span(text, "soap:Body")
    body = text[start:end]
    root = re.match(r"\s*<([A-Za-z_][\w.-]*):[^>]*>", body)
    if not root:
        raise NotApplicable("the payload has no prefix")
    prefix, head = root.group(1), root.group(0)
    other = f"{prefix}2"
    rest = re.sub(rf"(</?){re.escape(prefix)}:", rf"\g<1>{other}:", body[len(head):])
    close = rest.rindex(f"</{other}:")  # the root's own end tag keeps the root's prefix
    rest = rest[:close] + f"</{prefix}:" + rest[close + len(other) + 3:]
    head = head[:-1] + f' xmlns:{other}="{_bound(body, prefix)}">'
    return text[:start] + head + rest + text[end:]


def unprefixed(text: str) -> str:
    """Every element unprefixed: the default namespace declared on each element whose namespace
    is not its parent's (the Envelope's the SOAP version's) — a message as a writer that knows no
    prefixes serialises it. A namespaced attribute keeps a prefix, declared on its element."""
    start = _START_TAG.search(text)  # the root element's
    if start is None:
        raise NotApplicable("no root element")
    root = etree.fromstring(text[start.start():].encode("utf-8"),
                            etree.XMLParser(resolve_entities=False, no_network=True))
    return text[:start.start()] + _written(root, None)


def _written(el: etree._Element, default: str | None) -> str:
    if not isinstance(el.tag, str):  # a comment or a processing instruction: as it was
        return etree.tostring(el, encoding="unicode", with_tail=False) + escape(el.tail or "")
    name = etree.QName(el)
    ns = name.namespace or ""
    attrs = f" xmlns={quoteattr(ns)}" if ns != (default or "") else ""
    declared: set[str] = set()
    for key, value in el.attrib.items():
        attr = etree.QName(key)
        if attr.namespace:
            prefix = next(p for p, n in el.nsmap.items() if p and n == attr.namespace)
            if prefix not in declared:
                declared.add(prefix)
                attrs += f" xmlns:{prefix}={quoteattr(attr.namespace)}"
            key = f"{prefix}:{attr.localname}"
        attrs += f" {key}={quoteattr(value)}"
    inner = escape(el.text or "") + "".join(_written(child, ns) for child in el)
    return f"<{name.localname}{attrs}>{inner}</{name.localname}>" + escape(el.tail or "")


# round 46a: the forms a request breaking a rule is sent in (P-FAULT-14/15, envelopes.tamper)
TAMPERS = {"unprefixed": unprefixed,
           "default_namespace_on_envelope": default_namespace_on_envelope}


def tamper(raw: bytes, how: str) -> bytes:
    """``raw`` (a UTF-8 request) in the form ``how``, checked to mean the same message."""
    out = TAMPERS[how](raw.decode("utf-8")).encode("utf-8")
    equivalent(raw, out)
    return out


def _bound(text: str, prefix: str) -> str:
    for p, ns in _declarations(text):
        if p == prefix:
            return ns
    raise NotApplicable(f"no declaration of {prefix!r}")


# --- the check that a form means the same message ---------------------------------------------

def _infoset(raw: bytes) -> list[tuple[str, tuple, str, str]]:
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    return [(el.tag, tuple(sorted(el.attrib.items())), el.text or "", el.tail or "")
            for el in root.iter() if isinstance(el.tag, str)]


def equivalent(canonical: bytes, form: bytes) -> None:
    """Raise ValueError unless ``form`` holds the canonical message's elements — expanded names,
    attributes and text — in the same order (only where namespaces are declared may differ)."""
    a, b = _infoset(canonical), _infoset(form)
    if a != b:
        pairs = enumerate(zip(a, b, strict=False))
        where = next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))
        raise ValueError(f"namespace form changes the message at element {where}: "
                         f"{a[where] if where < len(a) else None} → "
                         f"{b[where] if where < len(b) else None}")
