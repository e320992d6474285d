"""The SDK's SOAP 1.1 and 1.2 protocols on spyne (SOAP プロトコル): the standard body carried
through untouched, the reply PlatformHeader inserted, and every fault — ours and spyne's own —
written with a ``pff:FaultDetail`` (docs/faults.md). Used by :mod:`adapters.sdk.provider`."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from lxml import etree

from bus.core import faults
from bus.core.faults import FaultDetail, Party as FaultParty
from bus.core.findings import Finding
from bus.core.header import HEADER_NS, HEADER_TAG
from bus.core.xmlpath import element_path

from . import spyne_compat

spyne_compat.apply()  # before spyne.server.twisted is imported

from spyne import AnyXml  # noqa: E402
from spyne.const.http import HTTP_400, HTTP_500  # noqa: E402
from spyne.model.fault import Fault  # noqa: E402
from spyne.protocol.soap import Soap11, Soap12  # noqa: E402

__all__ = ["PlatformFault", "Soap11Protocol", "Soap12Protocol", "StandardXml", "callers_fault",
           "platform_fault"]


def callers_fault(fault: object) -> bool:
    """Whether ``fault`` is a spyne Fault answering the caller's error (Party client)."""
    if not isinstance(fault, Fault):
        return False
    detail = getattr(fault, "platform_detail", None)
    if detail is not None:
        return bool(detail.party == FaultParty.CLIENT)
    code = str(fault.faultcode)
    return code == "Client" or code.startswith("Client.")


# spyne logs every fault it answers at ERROR, twice (spyne.application[.client] with a traceback,
# spyne.server.twisted.http), and a request that is not XML with its bytes (soap11.invalid). A
# fault of the caller's making is answered with its code and findings, and the hub keeps it in
# its routing log: no operator event, and the request's bytes may be personal data. Those records
# are dropped before they are formatted (the tracebacks were ~4 % of vendor A's CPU in a
# conformance run, where many cases send bad input on purpose); provider-side faults are logged.
for _name in ("spyne.application", "spyne.application.client", "spyne.server.twisted.http"):
    logging.getLogger(_name).addFilter(lambda record: not callers_fault(record.msg))
logging.getLogger("spyne.protocol.soap.soap11.invalid").addFilter(lambda record: False)

class StandardXml(AnyXml):
    """A body entry that is already standard XML: passed through, never (de)serialised by spyne."""


class PlatformFault(Fault):
    """A spyne Fault that carries our FaultDetail (added to the envelope in ``serialize``)."""

    def __init__(self, detail: FaultDetail, reason: str, soap_code: str | None = None):
        """``soap_code``: a code SOAP defines (``MustUnderstand``) instead of Client/Server."""
        super().__init__(soap_code or ("Client" if detail.party == FaultParty.CLIENT
                                       else "Server"), reason)
        self.platform_detail = detail


def platform_fault(code: str | faults.FaultCode, party: str, reason: str,
           findings: Iterable[Finding] = (), message_id: str | None = None) -> PlatformFault:
    soap_code = code.soap_code if isinstance(code, faults.FaultCode) else None
    code = code.code if isinstance(code, faults.FaultCode) else code
    detail = FaultDetail(code=code, party=party, message_id=message_id, findings=tuple(findings))
    first = detail.findings[0] if detail.findings else None
    return PlatformFault(detail, f"{code}: {reason}" + (f" ({first})" if first else ""),
                          soap_code)


class _ProtocolMixin:
    """What our spyne SOAP protocols add: body pass-through, reply header, fault detail."""

    def __init__(self, *args, prefixes: dict[str, str] | None = None, **kwargs):
        """``prefixes``: the catalog's (namespace → prefix), for the paths of findings."""
        kwargs.setdefault("parse_xsi_type", False)  # the body is opaque to spyne
        super().__init__(*args, **kwargs)
        self.prefixes = dict(prefixes or {})
        self.serialization_handlers[StandardXml] = self._standard_to_parent
        self.deserialization_handlers[StandardXml] = self._standard_from_element

    def _standard_to_parent(self, ctx, cls, inst, parent, ns, *args, **kwargs):
        parent.append(inst)

    def _standard_from_element(self, ctx, cls, element):
        return element

    def serialize(self, ctx, message):
        super().serialize(ctx, message)
        soap = self.ns_soap_env
        if ctx.out_error is not None:
            self._add_fault_detail(ctx.out_document.find(f"{{{soap}}}Body/{{{soap}}}Fault"),
                                   ctx.out_error, _request_message_id(ctx), ctx)
        elif isinstance(ctx.udc, etree._Element):  # the reply PlatformHeader set by _respond
            header = etree.Element(f"{{{soap}}}Header")
            header.append(ctx.udc)
            ctx.out_document.insert(0, header)

    def _add_fault_detail(self, fault_el: etree._Element | None, error: Exception,
                          message_id: str | None = None, ctx=None) -> None:
        if fault_el is None:
            return
        detail = getattr(error, "platform_detail", None)
        if detail is None:  # spyne's own fault (bad envelope, unknown body element...)
            code = str(getattr(error, "faultcode", ""))
            client = code == "Client" or code.startswith("Client.")
            text = str(getattr(error, "faultstring", error))
            place: etree._Element | None = None  # what the finding is about (fault-v1.xsd)
            line = None
            if code == "Client.ResourceNotFound":  # no service here has this request element
                pf_code, rule = faults.SCHEMA_INVALID, "service:element"
                place = getattr(ctx, "in_body_doc", None)
            elif code == "Client.XMLSyntaxError":  # the hub's code and rule (docs/faults.md)
                pf_code, rule = faults.MALFORMED_XML, "xml:well-formed"
                lines = _PARSER_LINE.findall(text)  # no element: the parser's line only
                line = int(lines[-1]) if lines else None
            elif client:
                pf_code, rule = faults.NOT_SOAP, f"spyne:{code}"
                place = _request_root(ctx) if code == "Client.SoapError" else None
            else:
                pf_code, rule = faults.PROVIDER_INTERNAL, f"spyne:{code}"
            finding = Finding(rule=rule, message=text, line=line)
            if isinstance(place, etree._Element):
                finding = Finding(rule, text, element_path(place, self.prefixes),
                                  place.sourceline)
            detail = FaultDetail(code=pf_code.code, party="client" if client else "provider",
                                 findings=(finding,), message_id=message_id)
        soap = self.ns_soap_env
        for empty in ("faultactor", f"{{{soap}}}Role"):  # spyne writes them empty
            el = fault_el.find(empty)
            if el is not None and not (el.text or "").strip():
                fault_el.remove(el)
        tag = "detail" if soap == Soap11.ns_soap_env else f"{{{soap}}}Detail"
        holder = fault_el.find(tag)
        if holder is None:
            holder = etree.SubElement(fault_el, tag)
        holder.append(detail.to_element())


_PARSER_LINE = re.compile(r"\bline (\d+)")  # lxml's message: "…, line 3, column 7 (…)"


def _request_root(ctx) -> etree._Element | None:
    """The request's root element as spyne parsed it (before its envelope is split, spyne
    holds ``(root, ids)``)."""
    doc = getattr(ctx, "in_document", None)
    if isinstance(doc, tuple) and doc:
        doc = doc[0]
    return doc if isinstance(doc, etree._Element) else None


def _request_message_id(ctx) -> str | None:
    """The request's MessageId when its header could be read, for spyne's own faults (an
    unknown body element): a fault names the message it answers (docs/faults.md)."""
    root = getattr(ctx, "in_document", None)
    if not isinstance(root, etree._Element):
        return None
    # the platform header is a child of the Header (a block), never a copy nested in another
    text = root.findtext(f"{{{etree.QName(root).namespace}}}Header/{HEADER_TAG}/"
                         f"{{{HEADER_NS}}}MessageId")
    return text.strip() if text and text.strip() else None


class Soap11Protocol(_ProtocolMixin, Soap11):
    pass


class Soap12Protocol(_ProtocolMixin, Soap12):
    def gen_fault_codes(self, faultstring):
        # spyne knows Client and Server only; SOAP 1.2's own codes keep their name
        if faultstring == "MustUnderstand":
            return f"{self.soap_env}:MustUnderstand", []
        return super().gen_fault_codes(faultstring)

    def fault_to_http_response_code(self, fault):
        # SOAP 1.2 part 2, 7.5.2: env:Sender faults are 400, others 500.
        code = str(getattr(fault, "faultcode", ""))
        return HTTP_400 if code == "Client" or code.startswith("Client.") else HTTP_500
