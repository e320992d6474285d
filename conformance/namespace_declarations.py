"""Every kind of namespace attribute a conforming message may hold (round 19; P-EQUIV-01,
S-EQUIV-01).

Round 16b (namespace_forms.py) moved the message's own declarations to other elements. This
module enumerates what else Namespaces in XML 1.0 lets a sender write, production by
production (§3 NSAttName = PrefixedAttName | DefaultAttName; §3 the reserved prefixes; §5/§6
scope and defaulting; NCName for a prefix):

- PrefixedAttName ``xmlns:xml`` — "MAY, but need not, be declared", bound to
  ``http://www.w3.org/XML/1998/namespace`` (§3): declared on every element (``reserved``);
- DefaultAttName with an empty value — ``xmlns=""`` "has the same effect ... of there being no
  default namespace" (§6.2): where no default is in scope, and undeclaring a default a
  sender declared on an ancestor (``reserved``);
- declarations no name uses (§5: a declaration only binds; an unused one changes no name), of
  the namespaces a product may search the bytes for: the other SOAP version's envelope, XML
  Schema's and its instance's, WS-Security's and WS-Addressing's, the platform's other
  namespaces (common, header, fault, receipt, every unit's) and the next version of the
  payload's own — on every element down to the leaves, written *after* the element's ordinary
  attributes (§3: attribute order is not significant) (``unused_well_known``);
- prefixes that are any NCName (§3, Namespaces 1.0 production [4]): the envelope's prefix named
  like the other SOAP version's (``soap12`` on a 1.1 envelope, ``SOAP-ENV`` on 1.2), a long
  prefix of non-ASCII name characters for the header block, a prefix equal to a local name
  (``Body``) for the payload's root and ``soap`` for its other namespaces (``lookalike``).

How the forms are combined: the three groups read different things (the reserved names, the
namespace names present, the prefix spellings), so each group is one message and the members of
a group, which do not change one another's names, are sent together — three messages per
service and SOAP version instead of one per member. Not sent: a prefix beginning with ``xml``
other than ``xml`` itself (§3: reserved, "SHOULD NOT" be used), ``xmlns:xmlns`` (forbidden) and
prefix undeclaration ``xmlns:p=""`` (Namespaces 1.1 only; the messages are XML 1.0).

Every function is ``text -> text`` over the canonical envelope; equivalence.py checks each
result with ``namespace_forms.equivalent`` (expanded names, attributes, text unchanged).
"""

from __future__ import annotations

import itertools
import re

from .lexical import NotApplicable

XML_NS = "http://www.w3.org/XML/1998/namespace"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_DEFAULT = "urn:example:conformance:default"  # a default namespace no element uses
WELL_KNOWN = {
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xsd": "http://www.w3.org/2001/XMLSchema",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "cmn": "urn:pfbus:platform:common:v1",
    "pfh": "urn:pfbus:platform:header:v1",
    "pff": "urn:pfbus:platform:fault:v1",
    "rcpt": "urn:pfbus:platform:receipt:v1",
    "juki": "urn:pfbus:unit:juki:v1",
    "juki2": "urn:pfbus:unit:juki:v2",
    "tax": "urn:pfbus:unit:kojin-juminzei:v1",
    "kokuho": "urn:pfbus:unit:kokuho:v1",
}
# an NCName of 64 characters, all non-ASCII but `_` and `.` (XML 1.0 NameStartChar/NameChar)
LONG_PREFIX = ("プラットフォーム共通ヘッダ" * 5)[:60] + "_ß.é"

_START_TAG = re.compile(r"<(?![!?/])([^\s>/]+)([^>]*?)(/?)>")


def _version(text: str) -> str:
    return SOAP12 if f'xmlns:soap="{SOAP12}"' in text else SOAP11


def _declares(attrs: str, prefix: str) -> bool:
    name = f"xmlns:{prefix}" if prefix else "xmlns"
    return re.search(rf"\s{re.escape(name)}\s*=", attrs) is not None


def _each_start_tag(text: str, add, *, after_attributes: bool) -> str:
    """``add(name, attrs) -> [(prefix, ns)]`` declared on every start tag from the Envelope on,
    before or after the tag's own attributes (the Envelope's: always before its own declaration
    of the envelope namespace); a prefix the tag declares already is left."""
    start = text.index("<soap:Envelope")

    def one(m: re.Match) -> str:
        name, attrs, empty = m.group(1), m.group(2), m.group(3)
        decls = "".join(f' xmlns:{p}="{ns}"' if p else f' xmlns="{ns}"'
                        for p, ns in add(name, attrs) if not _declares(attrs, p))
        inner = attrs + decls if after_attributes and name != "soap:Envelope" else decls + attrs
        return f"<{name}{inner}{empty}>"
    return text[:start] + _START_TAG.sub(one, text[start:])


def reserved(text: str) -> str:
    """``xmlns:xml`` bound to its own namespace on every element; ``xmlns=""`` on the Envelope
    (no default in scope); a default namespace no element uses declared on soap:Header and
    soap:Body and undeclared (``xmlns=""``) again on their children."""
    def add(name: str, attrs: str) -> list[tuple[str, str]]:
        pairs = [("xml", XML_NS)]
        if name == "soap:Envelope":
            pairs.append(("", ""))
        elif name in ("soap:Header", "soap:Body"):
            pairs.append(("", _DEFAULT))
        return pairs
    text = _each_start_tag(text, add, after_attributes=False)
    for tag in ("soap:Header", "soap:Body"):  # the first child of each undeclares the default
        at = text.index(">", text.index(f"<{tag}")) + 1
        child = _START_TAG.match(text, at)
        if child and not _declares(child.group(2), ""):
            end = child.start() + 1 + len(child.group(1))
            text = text[:end] + ' xmlns=""' + text[end:]
    return text


def unused_well_known(text: str) -> str:
    """The other SOAP version's envelope namespace (as ``soap12``/``env``/``SOAP-ENV`` on a 1.1
    message, ``soap11``/``SOAP-ENV`` on 1.2) and every namespace of ``WELL_KNOWN`` declared,
    unused: all on the Envelope (before its own declaration), the other version's and one more
    in turn on every element below it, after the element's attributes; the next version of the
    payload's own namespace as well. A prefix the message itself declares is left out (never rebound)."""
    other = SOAP12 if _version(text) == SOAP11 else SOAP11
    prefixes = ("soap12", "env", "SOAP-ENV") if other == SOAP12 else ("soap11", "SOAP-ENV")
    payload = re.findall(r'xmlns:[\w.-]+="(urn:pfbus:(?:service|unit):[^"]*:v)1"', text)
    pairs = [(p, other) for p in prefixes] + list(WELL_KNOWN.items()) + \
        [(f"next{i}", f"{ns}2") for i, ns in enumerate(sorted(set(payload)))]

    taken = set(_declared(text))  # a prefix the message binds is never bound again
    pairs = [(p, ns) for p, ns in pairs if p not in taken]
    turn = itertools.count()

    def add(name: str, attrs: str) -> list[tuple[str, str]]:
        # all on the Envelope; below it the other version's and one other in turn, to keep the
        # message small
        i = next(turn)
        return pairs if i == 0 else [pairs[0], pairs[1 + i % (len(pairs) - 1)]]
    return _each_start_tag(text, add, after_attributes=True)


def lookalike(text: str) -> str:
    """The envelope's prefix spelled like the other version's, the header block's a long
    non-ASCII NCName, the payload root's ``Body`` and the payload's other prefixes ``soap``,
    ``soap1``…: renamed in tags, attribute names and declarations (never in values or text)."""
    text = _rename(text, {"soap": "soap12" if _version(text) == SOAP11 else "SOAP-ENV"})
    head_start, head_end = _content(text, "Header")
    body_start, body_end = _content(text, "Body")
    header, body = text[head_start:head_end], text[body_start:body_end]
    root = re.match(r"\s*<([A-Za-z_][\w.-]*):", body)
    if not root or not _declared(header):
        raise NotApplicable("the payload or the header block has no prefix")
    header = _rename(header, {p: f"{LONG_PREFIX}{i or ''}" for i, p in enumerate(_declared(header))})
    others = [p for p in _declared(body) if p != root.group(1)]
    body = _rename(body, {root.group(1): "Body",
                          **{p: f"soap{i or ''}" for i, p in enumerate(others)}})
    return text[:head_start] + header + text[head_end:body_start] + body + text[body_end:]


def _content(text: str, local: str) -> tuple[int, int]:
    """Start and end of the content of the envelope's Header or Body, whatever its prefix."""
    start = re.search(rf"<[\w.-]+:{local}>", text)
    end = re.search(rf"</[\w.-]+:{local}>", text)
    assert start and end
    return start.end(), end.start()


def _declared(fragment: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'xmlns:([A-Za-z_][\w.-]*)="', fragment)))


def _rename(fragment: str, names: dict[str, str]) -> str:
    """Prefixes renamed in the element names, attribute names and declarations of
    ``fragment``'s tags."""
    def new(m: re.Match) -> str:
        return m.group(1) + names.get(m.group(2), m.group(2))

    def tag(m: re.Match) -> str:
        t = re.sub(r"^(</?)([\w.-]+)(?=:)", new, m.group(0))
        t = re.sub(r"(\sxmlns:)([\w.-]+)(?=\s*=)", new, t)
        return re.sub(r"(\s)([\w.-]+)(?=:[\w.-]+\s*=)", new, t)
    return re.sub(r"</?[^>!?]+>", tag, fragment)
