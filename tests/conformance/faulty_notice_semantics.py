"""Faulty subscribers whose ONE defect is in what a notice does to the records, written from the
classes the eighth blind batch showed unjudged: a refused notice half applied (atomicity), a
change that leaves the state as held not recorded, and a name column written through a legacy
code page — each in its own way, not as the blind variants do it.

``SEMANTICS_MODES``: mode → (the requirement it breaks, the subscriber cases it must fail).
``build`` serves one as the product of a subscriber profile: its URL, its ``--observe`` command
and what to close.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import requests
from lxml import etree

from bus.core.header import HEADER_NS
from conformance.commands import CallableCommand

from .proxy import Call, Reply, TamperProxy, is_fault, serialize, tree
from .references import References
from .subscriber import CMN, JUKI, SERVICE, TestSubscriber

SEMANTICS_MODES = {
    # a staged import: after the notice is refused, its changes are imported one by one as
    # separate batches until the first refused one — those before it stay
    "staged-import-after-refusal": ("RQ-SUB-06", ("S-ATOM-01",)),
    # an UPDATE … WHERE name <> new: a change carrying the state held updates no row, so its
    # 異動連番 is not recorded either (the last one stays the older number); a 消除 carrying the
    # name held is lost the same way (S-EDGE-03's 記載 then 消除), and so are S-MULTI-03's 254
    # changes repeating the name of the one before
    "unchanged-row-not-touched": ("RQ-SUB-03", ("S-ORD-03", "S-GRID-01", "S-EDGE-03",
                                                "S-MULTI-03")),
    # the name column is written through a Shift_JIS table and read through CP932's (a
    # batch job and the screens using different code pages for the same column)
    "name-column-ms932": ("RQ-MSG-06", ("S-CHR-04", "S-GRID-01", "S-CHR-15")),
}



def _through_code_pages(text: str) -> str:
    """Written by a Shift_JIS (JIS X 0208) table, read by CP932's: each character the first
    encodes comes back as the second decodes its bytes (〜 U+301C → ～ U+FF5E, − → －, ¢ → ￠ …);
    one it cannot encode (𠮷, an IVS) is kept as is, so only the signs change."""
    out = []
    for c in text:
        try:
            out.append(c.encode("shift_jis").decode("cp932"))
        except UnicodeError:
            out.append(c)
    return "".join(out)


class SemanticsSubscriber(TestSubscriber):
    """TestSubscriber (correct) plus one of SEMANTICS_MODES that changes the records."""

    __test__ = False

    def __init__(self, mode: str):
        super().__init__()
        self.semantics_mode = mode

    def _apply(self, change: etree._Element) -> None:
        mode = self.semantics_mode
        resident = change.find(f"{{{JUKI}}}Resident")
        number = resident.findtext(f"{{{CMN}}}AddresseeNumber")
        name = resident.find(f"{{{CMN}}}Name/{{{CMN}}}Text")
        held = self.residents.get(number)
        if mode == "unchanged-row-not-touched" and held is not None and \
                int(change.findtext(f"{{{JUKI}}}Sequence")) > held["last"] and \
                held.get("name") == name.text:
            return  # no row updated: neither the count nor the 異動連番 moves
        if mode == "name-column-ms932" and name is not None and name.text:
            name.text = _through_code_pages(name.text)
        super()._apply(change)


def _single_change_notices(raw: bytes) -> list[bytes]:
    """The notice's changes as notices of one change each, in document order, each under a new
    MessageId (the import's batches: the same header otherwise)."""
    out = []
    count = len(tree(raw).findall(f".//{{{JUKI}}}Change"))
    for keep in range(count):
        root = tree(raw)
        root.find(f".//{{{HEADER_NS}}}MessageId").text = str(uuid.uuid4())
        for i, change in enumerate(root.findall(f".//{{{JUKI}}}Change")):
            if i != keep:
                change.getparent().remove(change)
        out.append(serialize(root))
    return out


def staged_import(call: Call) -> Reply:
    """A notice of several changes the product refused is imported again change by change
    (its 'error recovery'); the import stops at the first change refused. The refusal goes to
    the caller unchanged."""
    if call.reply is None or not is_fault(call.reply.body) or \
            b"PF-RULE-VIOLATION" not in call.reply.body:
        return call.reply
    for single in _single_change_notices(call.request):
        r = requests.post(call.state["inner"], data=single, headers=call.headers, timeout=30)
        if b"Fault" in r.content:
            break
    return call.reply


def build(refs: References, mode: str, profile: str) -> tuple[str, CallableCommand,
                                                              list[Callable[[], None]]]:
    """Serve the faulty subscriber ``mode`` as the product of ``profile``."""
    sub = SemanticsSubscriber(mode)
    observe = CallableCommand(sub.observe, f"faulty subscriber {mode}")
    url = refs.app(profile, {SERVICE: sub.handler})
    if mode != "staged-import-after-refusal":
        return url, observe, []
    proxy = TamperProxy(url, on_reply=staged_import, state={"inner": url})
    return proxy.url, observe, [proxy.close]
