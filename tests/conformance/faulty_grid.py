"""Faulty providers for the model-based grids (J-GRID-01/02): semantic boundary defects that no
example case of the suite sends an input for — only a grid point on the boundary shows them.
Each is the reference adapter with that one defect, written here from the classes of the
independent adapter's fourth and fifth blind batches (paging off-by-ones, 基準日 semantics on
one key, a rare check-digit remainder), not copied from its variants."""

from __future__ import annotations

import copy
import datetime as dt
import re

from adapters.sdk.provider import ProviderError

from .faulty_handlers import EXTRACT, INQUIRY
from .faulty_shapes import _original_hash
from .faulty_wire import JUKI
from .proxy import Call, Reply, is_fault, serialize, tree
from .references import References


def _individual_remainder(number: str) -> int:
    return sum(int(d) * (n + 1 if n <= 6 else n - 5)
               for n, d in enumerate(reversed(number[:11]), start=1)) % 11


def individual_number_as_of_utc(refs: References, profile: str) -> str:
    """The 個人番号 branch alone reads the 基準日 as JST midnight turned into a UTC date (a day
    early); the 宛名番号 branch is right, so every 基準日 case asked by 宛名番号 passes."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        as_of = request.find(f"{{{JUKI}}}AsOf")
        if request.find(f"{{{JUKI}}}IndividualNumber") is not None and as_of is not None:
            request = copy.deepcopy(request)
            el = request.find(f"{{{JUKI}}}AsOf")
            el.text = (dt.date.fromisoformat(el.text[:10]) - dt.timedelta(days=1)).isoformat()
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def individual_remainder_one_refused(refs: References, profile: str) -> str:
    """個人番号 check digit written ``r if r < 2 else 11 − r``: remainder 1 expects 1, so a valid
    number with remainder 1 (check digit 0) is refused — the test data holds none."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        number = request.findtext(f"{{{JUKI}}}IndividualNumber")
        if number and _individual_remainder(number) == 1 and number[-1] != "1":
            raise ProviderError("VENDOR-CHECK-DIGIT", "個人番号 check digit does not match")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def extract_as_of_exclusive(refs: References, profile: str) -> str:
    """全件's snapshot takes residents who moved in strictly before the 基準日 (< for ≤): one
    who moved in on that very day is left out."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        el = request.find(f"{{{JUKI}}}AsOf")
        if el is not None and el.text:
            request = copy.deepcopy(request)
            el = request.find(f"{{{JUKI}}}AsOf")
            el.text = (dt.date.fromisoformat(el.text[:10]) - dt.timedelta(days=1)).isoformat()
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


def one_page_counted_as_two(call: Call) -> Reply:
    """TotalPages from ``TotalCount // PageSize + (TotalCount >= PageSize)``: a PageSize equal
    to TotalCount (everything on one page) says two pages."""
    if is_fault(call.reply.body) or b"ResidentFullExtractResponse" not in call.reply.body:
        return call.reply
    size = int(tree(call.request).findtext(f".//{{{JUKI}}}PageSize"))
    root = tree(call.reply.body)
    response = root.find(f".//{{{JUKI}}}ResidentFullExtractResponse")
    count = int(response.findtext(f"{{{JUKI}}}TotalCount"))
    if count != size:
        return call.reply
    response.find(f"{{{JUKI}}}TotalPages").text = "2"
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


GRID = {"one-page-counted-as-two": {"on_reply": one_page_counted_as_two}}
GRID_HANDLERS = {
    "individual-number-as-of-utc": individual_number_as_of_utc,
    "individual-remainder-one-refused": individual_remainder_one_refused,
    "extract-as-of-exclusive": extract_as_of_exclusive,
}


def receiver_unit_unchecked(call: Call) -> bytes:
    """The Receiver matched on 団体コード and SystemId: the 業務ユニット is taken to be its own."""
    own = call.state["receiver"].business_unit.encode()
    return re.sub(rb"(<(\w+:)?Receiver>\s*<(\w+:)?LocalGovCode>[0-9]{6}</(\w+:)?LocalGovCode>\s*"
                  rb"<(\w+:)?BusinessUnit>)[0-9]{2}", rb"\g<1>" + own, call.request, count=1)


GRID["receiver-unit-unchecked"] = {"on_request": receiver_unit_unchecked,
                                   "on_reply": _original_hash}
