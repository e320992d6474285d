"""Faulty adapters of round 15b (docs/conformance-testing.md, "Round 15b: the documents agreed"): each is
the reference adapter with ONE defect that the documents, now agreed, make one — what the SDK or
the documents did before the round, or the plainest way to get the settled rule wrong:

- ``notice-receiver-gov-code-only``: a subscriber that accepts any notice of its 団体コード (the
  SDK's ``_addressed_to`` before the round), where docs/notices.md addresses a notice to
  (団体コード, the notice service's 業務ユニット, ``hub``) — S-ADDR-01;
- ``version-mismatch-as-client``: an envelope of another namespace answered PF-SOAP-ENVELOPE as
  the caller's fault (soap:Client / env:Sender: what the SDK answered before), where SOAP names
  the code VersionMismatch — P-SOAP-08;
- ``finding-line-as-offset``: a Finding's Line is the parser's byte offset of the element, not
  its line (a position reported in the wrong unit) — the cases that know the element a rule is
  broken at (P-FAULT-02/07/08/09/10).

The processing instruction's defect of this round is ``processing-instruction-refused``
(faulty_equivalence.py): answered as the product's own failure, neither of the two answers SOAP
1.2 allows.
"""

from __future__ import annotations

import re

from lxml import etree
from twisted.web.resource import Resource

from adapters.sdk.provider import ProviderApp
from adapters.sdk.soap_protocol import platform_fault
from adapters.vendor_b_tax.mapping import MappingError as VendorBMappingError
from adapters.vendor_c_kokuho import service as vendor_c
from bus.core import faults
from bus.core.faults import FAULT_NS, SOAP11_NS, SOAP12_NS
from bus.core.findings import Finding

from .faulty_inputs import _refuse
from .proxy import Call, Reply
from .references import KOKUHO_SUB_PROFILE, PARTIES, References

_ENVELOPES = {f"{{{SOAP11_NS}}}Envelope", f"{{{SOAP12_NS}}}Envelope"}


# --- a notice's Receiver (S-ADDR-01) ---------------------------------------------------------------

class _GovCodeOnly(ProviderApp):
    """The SDK with its receiver check as it was: a notice of this 団体コード is accepted
    whatever its 業務ユニット and SystemId (checked where the SDK checks, before the body)."""

    def _read_header(self, header_doc, soap_ns, info, body):
        header = super()._read_header(header_doc, soap_ns, info, body)
        if header.receiver.local_gov_code != self.party.local_gov_code:
            raise platform_fault(faults.PROVIDER_MISROUTED, "client", "the message is not for "
                                 "this endpoint", [Finding("header:receiver", f"addressed to "
                                                           f"{header.receiver}")],
                                 header.message_id)
        return header


def notice_receiver_gov_code_only(refs: References, profile: str) -> str:
    errors = vendor_c.ERRORS if profile == KOKUHO_SUB_PROFILE else \
        {VendorBMappingError: "VENDOR-B-DATA-ERROR"}
    app = _GovCodeOnly(PARTIES[profile], refs.handlers(profile), errors=errors,
                       check_receiver=False)
    root = Resource()
    root.putChild(b"soap", app.resource())
    return refs.serve(root) + "/soap"


# --- VersionMismatch (P-SOAP-08) ---------------------------------------------------------------

def version_mismatch_as_client(call: Call) -> bytes | Reply:
    """An envelope of another namespace refused as the caller's error, as any other envelope it
    cannot read (soap:Client, HTTP 500 / env:Sender, HTTP 400)."""
    try:
        root = etree.fromstring(call.request, etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        return call.request  # not this defect's: the reference answers it
    if root.getroottree().docinfo.doctype or root.tag in _ENVELOPES:
        return call.request
    return _refuse(call, "PF-SOAP-ENVELOPE", "soap:envelope", "not a SOAP envelope")


# --- a Finding's Line (P-FAULT-02/07/08/09/10) ------------------------------------------------

_LINE = re.compile(rb"(<pff:Line>)(\d+)(</pff:Line>)")
_PATH = re.compile(rb"<pff:Path>([^<]*)</pff:Path>\s*<pff:Line>\d+</pff:Line>")


def finding_line_as_offset(call: Call) -> Reply:
    """Each Finding's Line replaced by the byte offset of its element's start tag in the
    request (its Path's last name; the reference writes pff: and the Path before the Line)."""
    reply = call.reply
    assert reply is not None
    if FAULT_NS.encode() not in reply.body:
        return reply
    offsets = []
    for path in _PATH.findall(reply.body):
        local = path.rsplit(b"/", 1)[-1].split(b"[")[0].rsplit(b":", 1)[-1]
        m = re.search(rb"<(?:[\w.-]+:)?" + re.escape(local) + rb"[\s/>]", call.request)
        offsets.append(str(m.start() if m else len(call.request)).encode())
    if not offsets:
        return reply
    it = iter(offsets)
    body = _PATH.sub(lambda m: _LINE.sub(lambda n: n.group(1) + next(it) + n.group(3),
                                         m.group(0)), reply.body)
    return Reply(reply.status, body, reply.content_type)


ROUND15B_WIRE = {
    "version-mismatch-as-client": {"on_request": version_mismatch_as_client},
    "finding-line-as-offset": {"on_reply": finding_line_as_offset},
}
ROUND15B_HANDLERS = {"notice-receiver-gov-code-only": notice_receiver_gov_code_only}
