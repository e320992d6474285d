"""Attributes SOAP lets a sender put on the envelope's own elements (round 17; P-EQUIV-01,
S-EQUIV-01).

SOAP 1.1 §4.1.1 and its envelope schema (``xs:anyAttribute namespace="##other"`` on Envelope,
Header and Body), SOAP 1.2 Part 1 §5.1, §5.2 and §5.3 ("zero or more namespace-qualified
attribute information items" on each of env:Envelope, env:Header and env:Body): a sender may put
attributes of any other namespace there — a WS-Security ``wsu:Id`` naming the part it signs, an
``xml:lang``, a middleware's trace mark. They mean nothing to the receiver of the message (SOAP
defines none of them), so the message is the canonical one. The suite's canonical envelope
(``envelopes.envelope``) has none: a receiver refusing any attribute there passed every case.

Not sent: attributes on the header block and the payload — header-v1.xsd allows only SOAP's own
on pfh:PlatformHeader (P-SOAP-06 sends them) and the payloads' XSDs none; an unqualified
attribute on the envelope's elements (both SOAP versions forbid it); SOAP 1.1's
``encodingStyle`` (WS-I Basic Profile R1005 forbids it on the envelope's elements of
document/literal messages) and SOAP 1.1's elements after soap:Body (R1011 forbids them; SOAP 1.2
has none).

Every function is ``text -> text`` over the canonical envelope; ``equivalent`` checks that the
result, without the attributes added, is the canonical message element for element.
"""

from __future__ import annotations

from lxml import etree

from .namespace_forms import _add_to, _infoset

WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
EXTENSION = "urn:example:conformance:extension"  # a middleware's namespace no message uses
_TAGS = ("soap:Envelope", "soap:Header", "soap:Body")


def wsu_ids(text: str) -> str:
    """``wsu:Id`` on Envelope, Header and Body (WS-Security's parts to sign), the wsu prefix
    declared on the Envelope."""
    for tag, value in zip(reversed(_TAGS), ("body-1", "header-1", "envelope-1"), strict=True):
        at = text.index(f"<{tag}") + len(tag) + 1
        text = text[:at] + f' wsu:Id="{value}"' + text[at:]
    return _add_to(text, "soap:Envelope", [("wsu", WSU)])


def declared_in_place(text: str) -> str:
    """``xml:lang`` on the Envelope (the xml prefix is bound without a declaration) and an
    attribute of a middleware's namespace on Header and Body, each declared on the element that
    carries it."""
    for tag, value in (("soap:Body", "body"), ("soap:Header", "header")):
        at = text.index(f"<{tag}") + len(tag) + 1
        text = text[:at] + f' xmlns:x="{EXTENSION}" x:trace="{value}"' + text[at:]
    at = text.index("<soap:Envelope") + len("soap:Envelope") + 1
    return text[:at] + ' xml:lang="ja"' + text[at:]


def _without_added(raw: bytes) -> bytes:
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    soap = etree.QName(root).namespace
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == soap:
            for name in [a for a in el.attrib if etree.QName(a).namespace not in (None, soap)]:
                del el.attrib[name]
    return etree.tostring(root)


def equivalent(canonical: bytes, form: bytes) -> None:
    """Raise ValueError unless ``form`` adds only foreign attributes to the envelope's own
    elements: without them, the canonical message element for element."""
    if _infoset(canonical) != _infoset(_without_added(form)):
        raise ValueError("an envelope attribute form changes the message")
    if _infoset(canonical) == _infoset(form):
        raise ValueError("an envelope attribute form adds no attribute")
