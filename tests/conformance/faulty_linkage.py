"""Faulty providers whose ONE defect is a reply header field the standard ties to the request
(RQ-BIND-05: LinkageKind 連携種別, StandardVersion), behind the tampering proxy. Each shows on
some answers only, so only the per-message invariant INV-BIND-04 sees it — written from the
class (a reply's header field derived from something other than its request), not copied from
the independent adapter's variant."""

from __future__ import annotations

from lxml import etree


from .faulty_wire import _edit_header, _h
from .proxy import Call, Reply, header_find, is_fault, serialize, tree


def linkage_kind_by_record_count(call: Call) -> Reply:
    """連携種別 guessed from the answer: 'full' when it lists several residents, 'delta'
    otherwise — right for inquiries and full 全件 pages, wrong for a last page of one resident
    and for the page past the end (the request said full)."""
    if is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    header = header_find(root)
    body = root[-1]  # soap:Body (the header comes first)
    records = sum(1 for el in body[0] if etree.QName(el).localname == "Resident") \
        if len(body) else 0
    header.find(_h("LinkageKind")).text = "full" if records > 1 else "delta"
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def standard_version_own(header, request):
    # the newest version the product implements, not the one the request speaks
    header.find(_h("StandardVersion")).text = "1.1"


LINKAGE = {
    "linkage-kind-by-record-count": {"on_reply": linkage_kind_by_record_count},
    "standard-version-own": {"on_reply": _edit_header(standard_version_own)},
}
