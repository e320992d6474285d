"""Faulty products for the classes the ninth blind batch showed the suite never exercised: the
reply's binding under a Sender of mixed case and under concurrent requests (P-BIND-04/05),
answers in another encoding than UTF-8 (INV-MSG-11), paging judged per request (J-FULL-10…12),
ExtractIds across a restart (J-DUR-01), idempotency keys compared whole (S-ONCE-05/06) and
names with the characters escaping touches (S-CHR-09).

Each is the reference adapter with ONE defect of the class, written from the class (the XSD, the
docs), not from the batch's variant: another folding of the parties, another piece of state
shared by requests, another shortened key, another escaping."""

from __future__ import annotations

import copy
import threading
import time

from lxml import etree

from adapters.sdk.provider import ProviderError
from conformance.commands import CallableCommand

from .faulty_handlers import EXTRACT
from .faulty_wire import JUKI, _edit_header, _h
from .proxy import Call, Reply, header_find, is_fault, tree
from .references import References
from .subscriber import CMN, TestSubscriber

# --- on the wire (a TamperProxy in front of the reference) --------------------------------------


def _receiver_case_folded(header, request) -> None:
    """The reply's Receiver read back from a routing table keyed in lower case."""
    el = header.find(f"{_h('Receiver')}/{_h('SystemId')}")
    el.text = el.text.lower()


def _note_current(call: Call) -> bytes:
    """The MessageId of the request being served kept in one field of the service object."""
    header = header_find(tree(call.request))
    if header is not None:
        call.state["current"] = header.findtext(_h("MessageId"))
    return call.request


def _relates_to_current(call: Call) -> Reply:
    """The reply's RelatesTo written from that field after the lookup (30 ms: the vendor's
    database): a request arriving meanwhile has overwritten it."""
    time.sleep(0.03)
    root = tree(call.reply.body)
    header = header_find(root)
    el = header.find(_h("RelatesTo")) if header is not None else None
    if el is None or "current" not in call.state:
        return call.reply
    el.text = call.state["current"]
    return Reply(call.reply.status, etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
                 call.reply.content_type)


def _answer_in_euc_jp(call: Call) -> Reply:
    """Every answer written in EUC-JP by the batch exporter's serialiser, labelled so; characters
    beyond it as character references (nothing is lost: only the encoding is wrong)."""
    root = tree(call.reply.body)
    media = call.reply.content_type.split(";")[0]
    return Reply(call.reply.status, etree.tostring(root, xml_declaration=True, encoding="EUC-JP"),
                 f"{media}; charset=EUC-JP")


def _labelled_utf8(call: Call) -> Reply:
    """Answers labelled with the database driver's name of the encoding (charset=utf8)."""
    media = call.reply.content_type.split(";")[0]
    return Reply(call.reply.status, call.reply.body, f"{media}; charset=utf8")


def _faults_remembered(call: Call) -> bytes | Reply:
    """A MessageId taken on arrival, before the checks: the fault its first delivery got is the
    answer to every later message under it, the corrected one included."""
    header = header_find(tree(call.request))
    mid = header.findtext(_h("MessageId")) if header is not None else None
    refused = call.state.setdefault("refused", {})
    return refused.get(mid, call.request) if mid else call.request


def _remember_fault(call: Call) -> Reply:
    if is_fault(call.reply.body):
        header = header_find(tree(call.request))
        if header is not None:
            call.state.setdefault("refused", {})[header.findtext(_h("MessageId"))] = call.reply
    return call.reply


NINTH_WIRE = {
    "reply-receiver-case-folded": {"on_reply": _edit_header(_receiver_case_folded)},
    "relates-to-shared-field": {"on_request": _note_current, "on_reply": _relates_to_current},
    "answers-in-euc-jp": {"on_reply": _answer_in_euc_jp},
    "answers-labelled-utf8": {"on_reply": _labelled_utf8},
    "refused-message-id-taken": {"on_request": _faults_remembered, "on_reply": _remember_fault},
}

# --- 全件抽出 handlers (vendor A's, with one defect) ----------------------------------------------


def request_id_prefix(refs: References, profile: str) -> str:
    """RequestId kept in a VARCHAR(40) column (the XSD allows 64): two RequestIds alike in their
    first 40 characters find each other's snapshot."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        el = request.find(f"{{{JUKI}}}RequestId")
        if el is not None and len(el.text) > 40:
            request = copy.deepcopy(request)
            request.find(f"{{{JUKI}}}RequestId").text = el.text[:40]
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


def request_id_released_when_paging(refs: References, profile: str) -> str:
    """The (Sender, RequestId) row deleted once a later page is asked ("the transfer is under
    way, the retry window is over"): a first request retried then gets a second snapshot."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]
    made: dict[str, str] = {}  # RequestId → the ExtractId its first answer named
    paging: set[str] = set()  # ExtractIds a later page was asked of
    lock = threading.Lock()

    def handler(header, request):
        request_id = request.findtext(f"{{{JUKI}}}RequestId")
        extract_id = request.findtext(f"{{{JUKI}}}ExtractId")
        with lock:
            if extract_id and int(request.findtext(f"{{{JUKI}}}Page")) > 1:
                paging.add(extract_id)
            released = request_id is not None and made.get(request_id) in paging
        if released:  # asked as if new: the reference makes another snapshot
            request = copy.deepcopy(request)
            el = request.find(f"{{{JUKI}}}RequestId")
            el.getparent().remove(el)
        response = inner(header, request)
        if request_id is not None and not released:
            with lock:
                made.setdefault(request_id, response.findtext(f"{{{JUKI}}}ExtractId"))
        return response

    return refs.app(profile, {**handlers, EXTRACT: handler})


def page_read_as_int64(refs: References, profile: str) -> str:
    """Page read into a signed 64-bit integer (Long.parseLong): a Page of 2⁶³ or more is a
    fault, though xs:positiveInteger allows it and a page past the end is a normal answer."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        if int(request.findtext(f"{{{JUKI}}}Page")) > 2**63 - 1:
            raise ProviderError("VENDOR-A-PAGE", "the page number cannot be read")
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


NINTH_HANDLERS = {
    "request-id-prefix-40": request_id_prefix,
    "request-id-released-when-paging": request_id_released_when_paging,
    "page-read-as-int64": page_read_as_int64,
}


# --- ExtractIds across a restart (J-DUR-01): a provider "restarted" in this process ------------

class CountedExtracts:
    """Vendor A's 全件抽出 whose ExtractIds are E1, E2, … from a counter in memory, mapped onto
    the reference's snapshots: ``restart`` (a new process) starts the counter again, so the
    first snapshot made after it is named like the first one made before."""

    def __init__(self, refs: References, profile: str):
        handlers = refs.handlers(profile)
        self.inner = handlers[EXTRACT]
        self.lock = threading.Lock()
        self.restart_command = CallableCommand(self.restart, "counted-extracts restart")
        self.restart(None)
        self.url = refs.app(profile, {**handlers, EXTRACT: self.handler})

    def restart(self, values) -> tuple[int, str]:
        with self.lock:
            self.ours: dict[str, str] = {}  # E<n> → the reference's ExtractId
            self.count = 0
        return 0, ""

    def handler(self, header, request):
        el = request.find(f"{{{JUKI}}}ExtractId")
        if el is not None:
            request = copy.deepcopy(request)
            with self.lock:  # an unknown E<n> stays unknown to the reference too
                request.find(f"{{{JUKI}}}ExtractId").text = self.ours.get(el.text, el.text)
        response = self.inner(header, request)
        out = response.find(f"{{{JUKI}}}ExtractId")
        with self.lock:
            mine = next((k for k, v in self.ours.items() if v == out.text), None)
            if mine is None:
                self.count += 1
                mine = f"E{self.count}"
                self.ours[mine] = out.text
        out.text = mine
        return response


# mode → (the requirement it breaks, the cases it must fail)
PROVIDER_RESTART_MODES = {"extract-ids-counted-per-process": ("RQ-BEH-03", ("J-DUR-01",))}


# --- subscribers ------------------------------------------------------------------------------

class NinthSubscriber(TestSubscriber):
    """The SDK-built subscriber with one defect: seen MessageIds kept by their first group
    (a CHAR(8) column), or names escaped for SQL before they are bound as parameters."""

    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        if self.mode == "seen-id-first-group":
            with self.lock:
                if any(m[:8] == header.message_id[:8] for m in self.seen):
                    self.seen.add(header.message_id)  # taken for a redelivery
        return super().handler(header, notice)

    def _apply(self, change: etree._Element) -> None:
        if self.mode == "name-sql-escaped":
            change = copy.deepcopy(change)
            el = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text")
            el.text = el.text.replace("'", "''").replace("\\", "\\\\")
        super()._apply(change)


# mode → (the requirement it breaks, the subscriber cases it must fail); "refused-message-id-
# taken" is a TamperProxy in front of the subscriber (NINTH_WIRE)
SUBSCRIBER_MODES = {
    # (round 16b: P-IDENT-01 and S-IDENT-01 send MessageIds alike but for one hex digit too)
    "seen-id-first-group": ("RQ-SUB-02", ("S-ONCE-06", "P-IDENT-01/juki.ResidentChangeNotice",
                                          "S-IDENT-01")),
    # (round 22: S-GRID-01's ASCII-punctuation row holds apostrophes and a backslash too)
    "name-sql-escaped": ("RQ-MSG-06", ("S-CHR-09", "S-GRID-01")),
    "refused-message-id-taken": ("RQ-SUB-02", ("S-ONCE-05",)),
}
