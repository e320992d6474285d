"""The SOAP processing model for header blocks: which blocks are addressed to the hub, and which of
those it must understand (SOAP 1.1 §4.2.2–4.2.3, SOAP 1.2 Part 1 §2.2–2.4).

The hub is a SOAP intermediary between an adapter and the provider (or subscribers). A header
block is addressed to it when

- SOAP 1.1: its ``actor`` is ``http://schemas.xmlsoap.org/soap/actor/next`` or the hub's own role
  ``HUB_ROLE``;
- SOAP 1.2: its ``role`` is ``http://www.w3.org/2003/05/soap-envelope/role/next`` or ``HUB_ROLE``.

A block without actor/role is addressed to the ultimate receiver — the provider — and so is a
SOAP 1.2 block with role ``…/role/ultimateReceiver``; SOAP 1.2's ``…/role/none`` addresses
nobody. The hub understands one block, ``pfh:PlatformHeader``. A block addressed to the hub with
``mustUnderstand`` true that it does not understand is refused with a MustUnderstand fault before
anything else is processed. Every block passes through to the provider unchanged: the hub
forwards the client's bytes (the answer's RequestHash binds them), so it does not remove the
blocks addressed to it as SOAP 1.2 would have an intermediary do. The ultimate receiver (an
adapter built with the SDK) applies the same rule to the blocks addressed to it
(``not_understood_by_receiver``).
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from .faults import SOAP11_NS, SOAP12_NS
from .findings import Finding
from .header import HEADER_TAG
from .xmlpath import element_path

HUB_ROLE = "urn:pfbus:role:hub"
SOAP11_NEXT = "http://schemas.xmlsoap.org/soap/actor/next"
SOAP12_NEXT = "http://www.w3.org/2003/05/soap-envelope/role/next"
SOAP12_ULTIMATE = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
UNDERSTOOD = frozenset({HEADER_TAG})
_ROLE_ATTRIBUTE = {SOAP11_NS: f"{{{SOAP11_NS}}}actor", SOAP12_NS: f"{{{SOAP12_NS}}}role"}
_FOR_THE_HUB = {SOAP11_NS: frozenset({SOAP11_NEXT, HUB_ROLE}),
                SOAP12_NS: frozenset({SOAP12_NEXT, HUB_ROLE})}
# the ultimate receiver (a provider or subscriber) plays "next" too, and is who a block without
# actor/role is for (SOAP 1.1 §4.2.2, SOAP 1.2 Part 1 §5.2.2)
_FOR_THE_RECEIVER = {SOAP11_NS: frozenset({"", SOAP11_NEXT}),
                     SOAP12_NS: frozenset({"", SOAP12_NEXT, SOAP12_ULTIMATE})}
_TRUE = {SOAP11_NS: frozenset({"1"}), SOAP12_NS: frozenset({"1", "true"})}


def not_understood(root: etree._Element, soap_ns: str,
                   prefixes: dict[str, str] | None = None) -> tuple[Finding, ...]:
    """Findings (rule ``soap:mustUnderstand``) for each header block of the envelope ``root``
    addressed to the hub with mustUnderstand true that the hub does not understand."""
    header = next((c for c in root if c.tag == f"{{{soap_ns}}}Header"), None)
    if header is None:
        return ()
    return not_understood_in(header, soap_ns, prefixes)


def not_understood_in(header: etree._Element, soap_ns: str,
                      prefixes: dict[str, str] | None = None) -> tuple[Finding, ...]:
    """``not_understood`` of an envelope whose ``soap:Header`` element is ``header``, when the
    caller has it (envelope.Envelope.soap_header): the envelope's children not read again."""
    return _not_understood(header, soap_ns, _FOR_THE_HUB[soap_ns], "the hub", prefixes or {})


def not_understood_by_receiver(blocks: Iterable[etree._Element], soap_ns: str,
                               understood: frozenset[str] = UNDERSTOOD) -> tuple[Finding, ...]:
    """The same for the ultimate receiver (an adapter answering or receiving): the header
    ``blocks`` addressed to it with mustUnderstand true whose tag is not in ``understood``."""
    return _not_understood(blocks, soap_ns, _FOR_THE_RECEIVER[soap_ns], "this system", {},
                           understood)


def _not_understood(blocks: Iterable[etree._Element], soap_ns: str, roles: frozenset[str],
                    who: str, prefixes: dict[str, str],
                    understood: frozenset[str] = UNDERSTOOD) -> tuple[Finding, ...]:
    role_attr, must_attr = _ROLE_ATTRIBUTE[soap_ns], f"{{{soap_ns}}}mustUnderstand"
    findings = []
    for block in blocks:
        tag = block.tag  # read once: lxml makes a new string per read
        if not isinstance(tag, str) or tag in understood:
            continue
        if (block.get(must_attr, "").strip() not in _TRUE[soap_ns]
                or block.get(role_attr, "").strip() not in roles):
            continue
        findings.append(Finding("soap:mustUnderstand", f"the header block {block.tag} is "
                                f"addressed to {who} with mustUnderstand, and {who} does "
                                f"not understand it", element_path(block, prefixes),
                                block.sourceline))
    return tuple(findings)
