"""Faulty products for round 39b (docs/conformance-testing.md, "Round 39b"), each with ONE defect,
written from the class of the thirty-ninth blind batch's broken-envelope miss (an envelope of the
right version whose own structure is broken), not from its variant:

- (a front end before the reference adapter, every role) a dispatcher that routes by the Body's
  first child and, finding none, fails inside: an envelope whose Body holds no element (empty or
  white space only) is answered PF-PROVIDER-INTERNAL, a server fault
  (``body-without-element-as-server-fault``); every other broken shape it leaves to the product.

The batch's other misses of round 39b's classes — a Sender differing only in its SystemId's case
(J-FULL-07), a date whose local midnight Japan's summer time skipped (the date edges) — are
caught by the batch's own variants after the fact; no faulty product of ours is written for them.
"""

from __future__ import annotations

import re

from bus.core import faults

from .faulty_round19 import ALL, _fault
from .proxy import Call, Reply

_EMPTY_BODY = re.compile(rb"<(?:[\w.-]+:)?Body(?:\s[^>]*)?>\s*</(?:[\w.-]+:)?Body>|"
                         rb"<(?:[\w.-]+:)?Body(?:\s[^>]*)?/>")


def body_without_element_as_server_fault(call: Call) -> bytes | Reply:
    if _EMPTY_BODY.search(call.request) is None:
        return call.request
    return _fault(call, faults.PROVIDER_INTERNAL, "provider:dispatch", "no operation for ''")


ROUND39_FAULTS: list[tuple] = [
    ("body-without-element-as-server-fault", "RQ-SOAP-15", ALL, ("P-SOAP-09/*",)),
]
ROUND39_NAMES = {entry[0] for entry in ROUND39_FAULTS}
ROUND39_WIRE = {
    "body-without-element-as-server-fault": {"on_request": body_without_element_as_server_fault},
}
