"""The ``paginate`` step: read a whole 全件 extract page by page and check it is consistent.

Paging is a protocol of the standard (ExtractId, Page, TotalPages, TotalCount), so it is one
step kind whose element names are the case's data. The loop is bounded by ``max_pages`` and by
the product's own TotalPages; one page past the end is asked for too (it must hold nothing).
``resize``: the extract read once more at that PageSize (each request's PageSize is its own).
``later_headers``: header fields (envelopes.HEADER_OVERRIDES) the later page requests take in
turn — a SentAt behind the suite's clock (a request may be up to max_age old: a requester whose
clock is behind the provider's asks with a SentAt before the snapshot was made; the
thirty-ninth blind batch refused it), another UserId of the requesting system (UserId is for
audit: a night operator resumes a clerk's transfer; the fortieth refused it) — each page is
a page like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import cast

from lxml import etree

from .checks import outcome
from .records import Exchange

# (message ref, vars, name, SOAP version or None for the step's, header fields or None)
SendPage = Callable[[str, Mapping[str, object], str, str | None, Mapping[str, str] | None],
                    Exchange]


def paginate(send: SendPage, first: str, following: str, options: Mapping[str, object],
             name: str, namespaces: Mapping[str, str]) -> list[str]:
    page_size = int(options["page_size"])
    max_pages = int(options.get("max_pages", 1000))
    later = cast(list, options.get("later_headers") or [])

    def read(ex: Exchange) -> dict | None:
        body = ex.envelope().body

        def one(path: str) -> str | None:
            found = body.xpath(path, namespaces=namespaces)
            return (found[0].text or "").strip() if found else None

        keys = [(item.xpath(options["key"], namespaces=namespaces) or [None])[0]
                for item in body.xpath(options["item"], namespaces=namespaces)]
        return {"extract_id": one(options["extract_id"]), "page": one(options["page"]),
                "total_pages": one(options["total_pages"]),
                "total_count": one(options["total_count"]),
                "keys": [k.text if isinstance(k, etree._Element) else k for k in keys]}

    problems: list[str] = []
    ex = send(first, {"page_size": page_size}, f"{name}[1]", None, None)
    if p := outcome(ex, "response"):
        return [f"page 1: {m}" for m in p]
    head = read(ex)
    try:
        total_pages, total_count = int(head["total_pages"]), int(head["total_count"])
    except (TypeError, ValueError):
        return [f"page 1: TotalPages {head['total_pages']!r} / TotalCount "
                f"{head['total_count']!r} are not numbers"]
    extract_id = head["extract_id"]
    if not extract_id:
        return ["page 1: no ExtractId: later pages cannot name the snapshot"]
    if total_pages != math.ceil(total_count / page_size):
        problems.append(f"TotalPages is {total_pages}; ⌈TotalCount {total_count} / PageSize "
                        f"{page_size}⌉ is {math.ceil(total_count / page_size)}")
    if total_pages > max_pages:
        return problems + [f"TotalPages {total_pages} exceeds the case's max_pages {max_pages}"]
    pages = {1: head}
    for number in range(2, total_pages + 2):  # … and one past the end
        header = later[(number - 2) % len(later)] if later else None
        ex = send(following, {"page_size": page_size, "page": number,
                              "extract_id": extract_id}, f"{name}[{number}]", None, header)
        if p := outcome(ex, "response"):
            problems += [f"page {number}: {m}" for m in p]
            continue
        pages[number] = read(ex)
    seen: list[str] = []
    for number, page in sorted(pages.items()):
        past_end = number > max(total_pages, 1) or (total_count == 0 and number == 1)
        if page["extract_id"] != extract_id:
            problems.append(f"page {number}: ExtractId {page['extract_id']!r}, page 1 named "
                            f"{extract_id!r}")
        if page["page"] != str(number):
            problems.append(f"page {number}: Page says {page['page']!r}")
        if (page["total_pages"], page["total_count"]) != (str(total_pages), str(total_count)):
            problems.append(f"page {number}: TotalPages/TotalCount {page['total_pages']}/"
                            f"{page['total_count']}, page 1 said {total_pages}/{total_count}")
        expected = 0 if past_end else \
            page_size if number < total_pages else total_count - page_size * (total_pages - 1)
        if len(page["keys"]) != expected:
            problems.append(f"page {number}: {len(page['keys'])} records, expected {expected}")
        if not past_end:
            seen += page["keys"]
    duplicates = sorted({k for k in seen if seen.count(k) > 1 and k is not None})
    if duplicates:
        problems.append(f"records on more than one page: {', '.join(duplicates[:5])}"
                        + (" …" if len(duplicates) > 5 else ""))
    if len(set(seen)) != total_count:
        problems.append(f"the pages hold {len(set(seen))} distinct records, TotalCount is "
                        f"{total_count}")
    if options.get("reread"):
        other = "1.1" if str(options.get("soap", "1.1")) == "1.2" else "1.2"
        for number in range(total_pages, 0, -1):
            ex = send(following, {"page_size": page_size, "page": number,
                                  "extract_id": extract_id}, f"{name} again[{number}]", other,
                      None)
            if p := outcome(ex, "response"):
                problems += [f"page {number} again (SOAP {other}): {m}" for m in p]
            elif number in pages and (again := read(ex)) != pages[number]:
                problems.append(f"page {number} again (SOAP {other}, last to first): "
                                f"{_differs(again, pages[number])}")
    if options.get("resize") and not problems:  # the order to judge against is known
        problems += _resized(send, following, int(options["resize"]), extract_id, seen, name,
                             read)
    return problems


def _resized(send: SendPage, following: str, size: int, extract_id: str, order: list[str],
             name: str, read) -> list[str]:
    """The same extract read again at another PageSize: PageSize is each request's own, so page
    p now holds the snapshot's residents (p − 1)·size + 1 … p·size in the order the first read
    showed, and TotalPages is ⌈TotalCount / size⌉ — not the first request's paging."""
    problems = []
    pages = math.ceil(len(order) / size)
    for number in range(1, pages + 1):
        ex = send(following, {"page_size": size, "page": number, "extract_id": extract_id},
                  f"{name} at PageSize {size}[{number}]", None, None)
        if p := outcome(ex, "response"):
            problems += [f"page {number} at PageSize {size}: {m}" for m in p]
            continue
        got, want = read(ex), order[(number - 1) * size:number * size]
        if got["total_pages"] != str(pages):
            problems.append(f"page {number} asked with PageSize {size}: TotalPages is "
                            f"{got['total_pages']}, ⌈TotalCount {len(order)} / {size}⌉ is {pages}")
        if got["keys"] != want:
            problems.append(f"page {number} asked with PageSize {size}: holds {got['keys']}, "
                            f"the snapshot's records {(number - 1) * size + 1}–"
                            f"{(number - 1) * size + len(want)} are {want}")
    return problems


def _differs(again: dict, first: dict) -> str:
    return "; ".join(f"{k} {again[k]!r}, the first read {first[k]!r}"
                     for k in first if again[k] != first[k])
