"""The SOAP envelope's own structure (INV-SOAP-05): what the W3C envelope schemas and the SOAP
specifications say of the Envelope, Header and Body elements themselves, judged on every answer.

The hardened parse (bus.core.envelope) already holds the element structure — an Envelope holding
at most one Header and exactly one Body with one child — and INV-SOAP-04 the media type, the
status and the Fault's parts. This judges what is left of the two schemas
(http://schemas.xmlsoap.org/soap/envelope/ and http://www.w3.org/2003/05/soap-envelope), as
rules rather than by validating against them:

- attributes of Envelope, Header and Body: both schemas give each ``anyAttribute
  namespace="##other"`` — namespace-qualified attributes of another namespace only; never an
  unqualified one, never one of the envelope's own namespace. SOAP 1.1 is the lenient side: its
  §4.1.1 lets ``encodingStyle`` appear on any element, the Envelope included (its schema's
  ``##other`` would refuse that: the specification is followed, so no correct SOAP 1.1 product
  fails); SOAP 1.2 Part 1 §5.1.1 allows ``env:encodingStyle`` only on header blocks, Body
  children, Detail children and their descendants — not on the Envelope, Header, Body or the
  Fault's own parts;
- character content: Envelope, Header and Body hold elements only (white space apart);
- header blocks: each namespace-qualified (SOAP 1.1 §4.2, SOAP 1.2 Part 1 §5.2); SOAP's own
  attributes on a block have their schema types — 1.1 ``mustUnderstand`` "0" | "1" and
  ``actor`` a URI, 1.2 ``mustUnderstand`` and ``relay`` xs:boolean, ``role`` a URI;
- processing instructions: none anywhere (SOAP 1.1 §3: a SOAP message MUST NOT contain them;
  SOAP 1.2 Part 1 §5: a sender MUST NOT put one in);
- a SOAP 1.2 fault's top Code/Value is one of the five codes the schema enumerates
  (VersionMismatch, MustUnderstand, DataEncodingUnknown, Sender, Receiver; Part 1 §5.4.6);
- an ``env:NotUnderstood`` header block (the blocks a MustUnderstand fault names, Part 1 §5.4.8)
  has a ``qname`` that is a QName of the schema's type: its prefix declared where it stands, so
  that a reader can resolve it (the thirtieth blind batch wrote the request's prefix, undeclared
  in the fault).
"""

from __future__ import annotations

from lxml import etree

from bus.core.faults import SOAP11_NS, SOAP12_NS

_SOAP12_CODES = ("VersionMismatch", "MustUnderstand", "DataEncodingUnknown", "Sender", "Receiver")
_BOOLEAN = {SOAP11_NS: ("0", "1"), SOAP12_NS: ("true", "false", "1", "0")}
_BLOCK_ATTRIBUTES = {SOAP11_NS: ("mustUnderstand", "actor", "encodingStyle"),
                     SOAP12_NS: ("mustUnderstand", "relay", "role", "encodingStyle")}
_FAULT_PARTS_12 = ("Code", "Value", "Subcode", "Reason", "Text", "Node", "Role", "Detail")


def _name(el: etree._Element) -> str:
    return etree.QName(el).localname


def _own_attributes(el: etree._Element, ns: str, unqualified: bool = True) -> list[str]:
    """Attributes Envelope, Header or Body (or, in 1.2, a Fault part: ``unqualified`` False,
    only the envelope namespace's) may not carry."""
    problems = []
    for key in el.attrib:
        qname = etree.QName(key)
        if qname.namespace is None:
            if unqualified:
                problems.append(f"soap:{_name(el)} carries the unqualified attribute {key!r} "
                                f"(the envelope schema allows attributes of other namespaces "
                                f"only)")
        elif qname.namespace == ns and not (ns == SOAP11_NS and
                                            qname.localname == "encodingStyle"):
            where = "SOAP 1.2 Part 1 §5.1.1" if qname.localname == "encodingStyle" \
                else "the envelope schema's ##other"
            problems.append(f"soap:{_name(el)} carries soap:{qname.localname} ({where}: not "
                            f"on this element)")
    return problems


def _text(el: etree._Element) -> list[str]:
    stray = (el.text or "").strip() or next(
        ((c.tail or "").strip() for c in el if (c.tail or "").strip()), "")
    return [f"soap:{_name(el)} holds character content {stray[:20]!r} (elements only)"] \
        if stray else []


def _block(block: etree._Element, ns: str) -> list[str]:
    if not isinstance(block.tag, str):
        return []  # a comment
    qname = etree.QName(block)
    if qname.namespace is None:
        return [f"the header block <{qname.localname}> is not namespace-qualified (SOAP 1.1 "
                f"§4.2, SOAP 1.2 Part 1 §5.2)"]
    problems = []
    for key, value in block.attrib.items():
        attr = etree.QName(key)
        if attr.namespace != ns or attr.localname not in _BLOCK_ATTRIBUTES[ns]:
            continue
        if attr.localname in ("mustUnderstand", "relay") and \
                value.strip() not in _BOOLEAN[ns]:
            problems.append(f"header block {qname.localname}: soap:{attr.localname}="
                            f"{value!r} is not one of {', '.join(_BOOLEAN[ns])}")
        if attr.localname in ("actor", "role") and (not value.strip() or " " in value.strip()):
            problems.append(f"header block {qname.localname}: soap:{attr.localname}={value!r} "
                            f"is not a URI")
    return problems


def _fault12(fault: etree._Element, ns: str) -> list[str]:
    problems = []
    value = fault.findtext(f"{{{ns}}}Code/{{{ns}}}Value")
    if value is not None and value.strip().rpartition(":")[2] not in _SOAP12_CODES:
        problems.append(f"the fault's Code/Value {value.strip()!r} is none of SOAP 1.2's codes "
                        f"({', '.join(_SOAP12_CODES)}; Part 1 §5.4.6 — a product's own code "
                        f"goes in a Subcode or the detail)")
    for part in fault.iter():
        if isinstance(part.tag, str) and etree.QName(part).namespace == ns and \
                _name(part) in _FAULT_PARTS_12:
            problems += _own_attributes(part, ns, unqualified=False)
    return problems


_PI_MARKS = (b"<?", "<?".encode("utf-16-le"), "<?".encode("utf-16-be"))
_KEEPING = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           remove_pis=False, huge_tree=True)


def _has_pi(root: etree._Element, raw: bytes | None) -> bool:
    """A processing instruction in the message. The hardened parse may drop them from its tree
    (a value split by one is one value), so the answer's bytes are searched too: any ``<?``
    past the XML declaration is read again with a parser that keeps them."""
    siblings = [*root.itersiblings(preceding=True), *root.itersiblings()]
    if any(isinstance(n, etree._ProcessingInstruction) for n in siblings) \
            or next(root.iter(etree.PI), None) is not None:
        return True
    if raw is None or not any(raw.find(mark, 8) >= 0 for mark in _PI_MARKS):
        return False
    try:
        again = etree.fromstring(raw, _KEEPING)
    except etree.XMLSyntaxError:
        return False
    return any(isinstance(n, etree._ProcessingInstruction) for n in
               [*again.itersiblings(preceding=True), *again.itersiblings(), *again.iter()])


def structure(root: etree._Element, ns: str, raw: bytes | None = None) -> list[str]:
    """Every rule of the module docstring for the envelope ``root`` of SOAP namespace ``ns``
    (``raw``: the answer's bytes, for what the parse left out of the tree)."""
    problems = _own_attributes(root, ns) + _text(root)
    if _has_pi(root, raw):
        problems.append("the message holds a processing instruction (SOAP 1.1 §3, SOAP 1.2 "
                        "Part 1 §5: not in a SOAP message)")
    for part in root:
        if not isinstance(part.tag, str):
            continue
        problems += _own_attributes(part, ns) + _text(part)
        if _name(part) == "Header":
            for block in part:
                problems += _block(block, ns) + _not_understood(block)
        elif _name(part) == "Body" and ns == SOAP12_NS:
            fault = part.find(f"{{{ns}}}Fault")
            if fault is not None:
                problems += _fault12(fault, ns)
    return problems


def _not_understood(block) -> list[str]:
    if block.tag != f"{{{SOAP12_NS}}}NotUnderstood":
        return []
    qname = (block.get("qname") or "").strip()
    prefix, _, local = qname.rpartition(":")
    if local and (not prefix or block.nsmap.get(prefix) is not None):
        return []
    return [f"env:NotUnderstood qname {qname!r} is not a QName whose prefix is declared in scope "
            f"(SOAP 1.2 Part 1 §5.4.8, the envelope schema's xs:QName)"]


def upgrade(root: etree._Element) -> list[str]:
    """SOAP 1.2 Part 1 5.4.7: the env:Upgrade header block a VersionMismatch fault SHOULD carry
    (not required here), when it carries one, lists the envelopes the product reads — SOAP 1.1
    and 1.2, as every product of the platform does (docs/faults.md: "SupportedEnvelope of SOAP
    1.1 and 1.2"), in either order — each ``qname`` the Envelope of a SOAP version, its prefix
    declared where it stands."""
    problems = []
    for block in root.iterfind(f"*/{{{SOAP12_NS}}}Upgrade"):
        listed = block.findall(f"{{{SOAP12_NS}}}SupportedEnvelope")
        named = set()
        for supported in listed:
            qname = (supported.get("qname") or "").strip()
            prefix, _, local = qname.rpartition(":")
            ns = supported.nsmap.get(prefix or None)
            if local != "Envelope" or ns not in (SOAP11_NS, SOAP12_NS):
                problems.append(f"env:SupportedEnvelope qname {qname!r} names no SOAP Envelope "
                                f"(a QName whose prefix is declared in scope)")
            named.add(ns)
        missing = [v for v, ns in (("1.1", SOAP11_NS), ("1.2", SOAP12_NS)) if ns not in named]
        if missing:
            problems.append(f"env:Upgrade does not list SOAP {' and '.join(missing)}'s envelope: "
                            f"it lists the envelopes the product reads, SOAP 1.1 and 1.2 "
                            f"(docs/faults.md)")
    return problems
