"""Faulty providers for the paging contract read directly (J-FULL-08/09): vendor A's 全件抽出 with
ONE defect that a forward read at a small PageSize never shows — written from the juki XSD's
paging annotation (Page names a page; one stable order; PageSize up to 1000), not from any blind
batch's variants."""

from __future__ import annotations

import copy
import threading

from .faulty_handlers import EXTRACT
from .faulty_wire import JUKI
from .references import References


def page_size_three_digits(refs: References, profile: str) -> str:
    """PageSize kept in a three-digit field (NUMBER(3)): 1000, the XSD's maximum, becomes 0, so
    the page's slice is empty — TotalPages and TotalCount come from the count query and are
    right, and the answer is a valid response (all P-MSG-07 asks)."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        response = inner(header, request)
        if int(request.findtext(f"{{{JUKI}}}PageSize")) % 1000 == 0:
            for resident in response.findall(f"{{{JUKI}}}Resident"):
                response.remove(resident)
        return response

    return refs.app(profile, {**handlers, EXTRACT: handler})


def page_from_cursor(refs: References, profile: str) -> str:
    """Later pages served from a server-side cursor per ExtractId: each request naming the
    extract gets the slice after the last one served, whatever its Page says (its Page is
    echoed). Read forward, page after page, every answer is right."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]
    cursors: dict[str, int] = {}
    lock = threading.Lock()

    def handler(header, request):
        extract_id = request.findtext(f"{{{JUKI}}}ExtractId")
        asked = request.findtext(f"{{{JUKI}}}Page")
        if extract_id:
            with lock:
                cursors[extract_id] = cursors.get(extract_id, 1) + 1
                served = cursors[extract_id]
            request = copy.deepcopy(request)
            request.find(f"{{{JUKI}}}Page").text = str(served)
        response = inner(header, request)
        response.find(f"{{{JUKI}}}Page").text = asked
        return response

    return refs.app(profile, {**handlers, EXTRACT: handler})


def pages_cut_at_snapshot(refs: References, profile: str) -> str:
    """The snapshot is cut into pages once, when it is made, at the first request's PageSize (a
    page table per ExtractId); a later request's own PageSize is not looked at (J-FULL-09).
    Read at one PageSize throughout, every answer is right."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]
    sizes: dict[str, str] = {}
    lock = threading.Lock()

    def handler(header, request):
        extract_id = request.findtext(f"{{{JUKI}}}ExtractId")
        with lock:
            cut = sizes.get(extract_id or "")
        if cut is not None:
            request = copy.deepcopy(request)
            request.find(f"{{{JUKI}}}PageSize").text = cut
        response = inner(header, request)
        made = response.findtext(f"{{{JUKI}}}ExtractId")
        if made:
            with lock:
                sizes.setdefault(made, request.findtext(f"{{{JUKI}}}PageSize"))
        return response

    return refs.app(profile, {**handlers, EXTRACT: handler})


PAGING_HANDLERS = {
    "pages-cut-at-snapshot": pages_cut_at_snapshot,
    "page-size-three-digits": page_size_three_digits,
    "page-from-cursor": page_from_cursor,
}
