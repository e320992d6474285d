"""An HTTP/1.1 channel whose parser refusals are the platform's answers, not Twisted's.

Twisted's HTTP parser answers what it refuses — a request line or header that is not HTTP,
conflicting lengths, bad chunking — with a bare ``400 Bad Request``, and drops the connection
without a word on a line longer than it reads. The hub's channel (bus/hub/http.py) and an
adapter's (adapters/sdk/site.py) answer those as docs/faults.md says: PF-HTTP-BAD-REQUEST (400),
PF-LIMIT-URI (414) for the request line, PF-LIMIT-HEADERS (431) for a header line — a SOAP
Fault to a POST (in the version its Content-Type names, if read by then), JSON to anything
else — then close the connection.
"""

from __future__ import annotations

from twisted.web import http

from ..core import faults
from ..core.faults import SOAP11_NS, FaultCode
from ..core.findings import Finding
from .http_answers import raw_error_response, soap_ns_of_content_type


class RefusingChannel(http.HTTPChannel):
    """``HTTPChannel`` answering its parser's refusals itself (see the module doc)."""

    _head_refused = False

    @property
    def _on_first_line(self) -> bool:
        # Twisted's own (name-mangled, undeclared) state: no request line yet
        return bool(self._HTTPChannel__first_line)  # type: ignore[attr-defined]

    def _respondToBadRequestAndDisconnect(self) -> None:
        # Twisted's parser refused the request line, a header, the lengths or the chunking
        self._refuse_head(faults.HTTP_BAD_REQUEST, Finding(
            "http:syntax", "the request line, a header or the body's framing is not valid "
                           "HTTP/1.1"))

    def lineLengthExceeded(self, line: bytes) -> None:
        # Twisted would drop the connection without a word
        if self._on_first_line:
            self._refuse_head(faults.LIMIT_URI, Finding(
                "limit:request_line", f"the request line is longer than {self.MAX_LENGTH} "
                                      f"bytes"), line)
        else:
            self._refuse_head(faults.LIMIT_HEADERS, Finding(
                "limit:header_line", f"a header line is longer than {self.MAX_LENGTH} bytes"))

    def _refuse_head(self, fault: FaultCode, finding: Finding, request_line: bytes = b"") -> None:
        """Answer a request whose head cannot be read, then close (what is still sent is
        ignored)."""
        if self._head_refused or self.transport is None:
            return
        self._head_refused = True
        self.head_refused(fault, finding)
        command = getattr(self, "_command", None) or request_line.split(b" ", 1)[0]
        soap_ns = None
        if command == b"POST":
            request = self.requests[-1] if self.requests else None
            content_type = request.requestHeaders.getRawHeaders(b"content-type", [None])[0] \
                if request is not None else None
            soap_ns = soap_ns_of_content_type(content_type) or SOAP11_NS
        self.transport.write(raw_error_response(fault, finding, soap_ns))
        self.loseConnection()

    def head_refused(self, fault: FaultCode, finding: Finding) -> None:
        """Called once, before the answer is written (the hub reports the refusal here)."""
