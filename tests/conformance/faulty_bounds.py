"""Faulty providers of round 5: defects on inputs the suite never sent before the independent
adapter's fifth blind batch — a SOAP 1.2 request without its action parameter, white space after
the envelope, a deeply nested vendor header block, a request for another 団体コード, a resent
notice over SOAP 1.2, a PageSize that divides TotalCount, a 宛名番号 whose check-digit remainder
is 0, a 基準日 on the day a resident moved in. Each is the reference adapter with that one
defect, written in its own way (on the reference's wire or handlers), not copied from the
independent adapter's variants."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import re

from adapters.sdk.provider import ProviderError

from .faulty_handlers import EXTRACT, INQUIRY
from .faulty_inputs import _refuse
from .faulty_shapes import _original_hash
from .faulty_wire import JUKI, _h
from .proxy import Call, Reply, header_find, is_fault, serialize, tree
from .references import References


def soap12_action_required(call: Call) -> bytes | Reply:
    """Routes SOAP 1.2 requests by their action parameter: one without it is refused."""
    ctype = call.headers.get("Content-Type", call.headers.get("content-type", ""))
    if ctype.lower().startswith("application/soap+xml") and "action=" not in ctype.lower():
        return _refuse(call, "PF-SOAP-ENVELOPE", "soap:action", "the action is required")
    return call.request


def request_hash_stripped(call: Call) -> Reply:
    """The web framework hands the handler the body stripped: RequestHash over those bytes."""
    root = tree(call.reply.body)
    el = header_find(root, f"/{_h('RequestHash')}")
    if el is None:
        return call.reply
    el.text = base64.b64encode(hashlib.sha256(call.request.strip()).digest()).decode()
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def deep_request_as_html(call: Call) -> bytes | Reply:
    """A recursive walker over the request (for 外字) overflows past 50 levels: an error page."""
    depth = max(sum(1 for _ in el.iterancestors()) + 1 for el in tree(call.request).iter())
    if depth > 50:
        return Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                     "text/html")
    return call.request


def receiver_gov_code_unchecked(call: Call) -> bytes:
    """Single-tenant: the Receiver's 団体コード is taken to be its own, whatever it says."""
    own = call.state["receiver"].local_gov_code.encode()
    return re.sub(rb"(<(\w+:)?Receiver>\s*<(\w+:)?LocalGovCode>)[0-9]{6}", rb"\g<1>" + own,
                  call.request, count=1)


def total_pages_plus_one(call: Call) -> Reply:
    """TotalPages written as TotalCount // PageSize + 1: one too many when PageSize divides it."""
    if is_fault(call.reply.body) or b"ResidentFullExtractResponse" not in call.reply.body:
        return call.reply
    size = int(tree(call.request).findtext(f".//{{{JUKI}}}PageSize"))
    root = tree(call.reply.body)
    response = root.find(f".//{{{JUKI}}}ResidentFullExtractResponse")
    total = response.find(f"{{{JUKI}}}TotalPages")
    total.text = str(int(response.findtext(f"{{{JUKI}}}TotalCount")) // size + 1)
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def soap12_duplicate_as_applied(call: Call) -> Reply:
    """The SOAP 1.2 endpoint's own handler never looks up the MessageId: a resent notice is
    receipted applied (the reference behind it applies nothing twice; only the receipt shows)."""
    ctype = call.headers.get("Content-Type", call.headers.get("content-type", ""))
    if ctype.lower().startswith("application/soap+xml") and b">duplicate<" in call.reply.body:
        return Reply(call.reply.status, call.reply.body.replace(b">duplicate<", b">applied<"),
                     call.reply.content_type)
    return call.reply


def _m11_remainder(number: str) -> int:
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(number[:-1]))) % 11


def addressee_remainder_zero_refused(refs: References, profile: str) -> str:
    """The 宛名番号 check digit computed as (11 − remainder) mod 10: remainder 0 expects 1, so
    a valid number with remainder 0 is refused as a bad check digit."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        number = request.findtext(f"{{{JUKI}}}AddresseeNumber")
        if number and _m11_remainder(number) == 0 and number[-1] != "1":
            raise ProviderError("VENDOR-CHECK-DIGIT", "宛名番号 check digit does not match")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def as_of_day_early(refs: References, profile: str) -> str:
    """基準日 read as JST midnight and stored as a UTC date: the day before."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        as_of = request.find(f"{{{JUKI}}}AsOf")
        if as_of is not None and as_of.text:
            request = copy.deepcopy(request)
            day = dt.date.fromisoformat(request.findtext(f"{{{JUKI}}}AsOf")[:10])
            request.find(f"{{{JUKI}}}AsOf").text = (day - dt.timedelta(days=1)).isoformat()
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def extract_as_of_ignored(refs: References, profile: str) -> str:
    """The snapshot is always today's: 全件's 基準日 is read and never applied."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        request = copy.deepcopy(request)
        for as_of in request.findall(f"{{{JUKI}}}AsOf"):
            request.remove(as_of)
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


BOUNDS = {
    "soap12-action-required": {"on_request": soap12_action_required},
    "request-hash-stripped": {"on_reply": request_hash_stripped},
    "deep-request-as-html": {"on_request": deep_request_as_html},
    "receiver-gov-code-unchecked": {"on_request": receiver_gov_code_unchecked,
                                    "on_reply": _original_hash},
    "total-pages-plus-one": {"on_reply": total_pages_plus_one},
    "soap12-duplicate-as-applied": {"on_reply": soap12_duplicate_as_applied},
}
BOUND_HANDLERS = {
    "addressee-remainder-zero-refused": addressee_remainder_zero_refused,
    "as-of-day-early": as_of_day_early,
    "extract-as-of-ignored": extract_as_of_ignored,
}
