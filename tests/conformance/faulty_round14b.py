"""Faulty products for the classes the fourteenth blind batch passed through the suite (round
14b): HTTP request forms a server must accept, content after the document, the Receiver spelled
otherwise, Senders other than the suite, a requester's fast clock, a first 全件 request retried
with another PageSize or after a restart, several publishing systems, Latin names.

Each is the reference adapter (or the SDK-built subscriber) with ONE defect of the class, written
from RFC 9112, XML 1.0, header-v1.xsd, docs/security.md, docs/notices.md and docs/characters.md —
a front end that streams, a router comparing its target as a path, a strict trailer check, a
recovering parser, a collation, a trusted-peer list, a hybrid logical clock, an idempotency key
of every parameter, a map kept across restarts, a sequence per publisher, a name cleaner — not
from the batch's variants.
"""

from __future__ import annotations

import copy
import re
import threading
import unicodedata

from lxml import etree

from adapters.vendor_a_registry.store import UnknownExtract
from bus.core import faults
from bus.core.faults import SOAP11_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.header import request_digest
from conformance.commands import CallableCommand

from .faulty_handlers import EXTRACT
from .faulty_wire import JUKI
from .proxy import Call, Reply, TamperProxy, _Handler, header_find, soap_ns, tree
from .references import References
from .subscriber import CMN, TestSubscriber

PFH = "{urn:pfbus:platform:header:v1}"
_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?Envelope\s*>")


def _h(name: str) -> str:
    return f"{PFH}{name}"


def _message_id(raw: bytes) -> str | None:
    m = re.search(rb"<(?:[\w.-]+:)?MessageId>([^<]+)</", raw)
    return m.group(1).decode("ascii", "replace") if m else None


def _refusal(raw: bytes, code: FaultCode, rule: str, text: str) -> Reply:
    """A client fault in the request's SOAP version, naming its MessageId."""
    ns = soap_ns(raw) or (SOAP11_NS if b"soap/envelope/" in raw[:400] else
                         "http://www.w3.org/2003/05/soap-envelope")
    status, media = (500, "text/xml") if ns == SOAP11_NS else (400, "application/soap+xml")
    return Reply(status, fault_envelope(HubFault(code, (Finding(rule, text),), _message_id(raw)),
                                        ns), f"{media}; charset=utf-8")


def _edit_reply_header(call: Call, change) -> Reply:
    root = tree(call.reply.body)
    header = header_find(root)
    if header is None:
        return call.reply
    change(header)
    return Reply(call.reply.status, etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
                 call.reply.content_type)


def _rehashed(call: Call) -> Reply:
    """The reply's RequestHash of the bytes the product was sent (the proxy forwarded others):
    the product hashes what it received, before the defect's reading."""
    def fix(header):
        el = header.find(_h("RequestHash"))
        if el is not None:
            el.text = request_digest(call.request)
    return _edit_reply_header(call, fix)


# --- HTTP request forms (P-WIRE-01): the front end --------------------------------------------

class _Front(_Handler):
    """The proxy's handler with one front-end defect (``defect``)."""

    defect = ""

    def do_POST(self):
        if self.defect == "target-matched-as-path" and not self.path.startswith("/"):
            # the router compares the request target with its mount path, byte for byte
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return self._send(_404(raw))
        if self.defect == "answers-always-chunked":
            self.protocol_version = "HTTP/1.1"  # the framework's: whatever the request's
        return super().do_POST()

    def _send(self, reply: Reply) -> None:
        if self.defect != "answers-always-chunked":
            return super()._send(reply)
        # every answer streamed as it is produced, in chunks, whatever the request's version
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for i in range(0, len(reply.body), 512):
            part = reply.body[i:i + 512]
            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


def _404(raw: bytes) -> Reply:
    ns = soap_ns(raw) or SOAP11_NS
    fault = HubFault(faults.HTTP_NOT_FOUND, (Finding("http:path", "nothing is served here"),))
    return Reply(404, fault_envelope(fault, ns), "text/xml; charset=utf-8" if ns == SOAP11_NS
                 else "application/soap+xml; charset=utf-8")


def front(defect: str):
    def build(refs: References, profile: str) -> str:
        proxy = TamperProxy(refs.url(profile))
        proxy._server.RequestHandlerClass = type(  # type: ignore[attr-defined]
            "Front", (_Front,), {"owner": proxy, "defect": defect})
        refs._servers.append(proxy)  # closed with the references' servers  # type: ignore[arg-type]
        return proxy.url
    return build


def trailer_refused(call: Call) -> bytes | Reply:
    """The reader checks that the body ends with the root element's end tag — white space and a
    comment after it, which XML 1.0 2.1 allows, are refused as not well-formed."""
    ends = list(_ROOT_END.finditer(call.request))
    if ends and ends[-1].end() != len(call.request):
        return _refusal(call.request, faults.MALFORMED_XML, "xml:well-formed",
                        "content after the document")
    return call.request


# --- content after the document (P-HOST-07) ---------------------------------------------------

def extra_content_recovered(call: Call) -> bytes | Reply:
    """The parser is retried in libxml2's recover mode when the first parse reports "Extra
    content at the end of the document": the envelope before it is read, the rest dropped."""
    try:
        etree.fromstring(call.request)
        return call.request
    except etree.XMLSyntaxError as exc:
        if "Extra content" not in str(exc):
            return call.request
    ends = list(_ROOT_END.finditer(call.request))
    return call.request[:ends[0].end()] if ends else call.request


# --- the Receiver spelled otherwise (P-ADDR-05) -------------------------------------------------

def _receiver_matched(match):
    """A Receiver SystemId that ``match(received, own)`` takes for the product's is read as
    the product's own (the forwarded bytes name it), the reply hashed over what was sent."""
    def on_request(call: Call) -> bytes | Reply:
        own = call.state["receiver"].system_id
        m = re.search(rb"(<(?:[\w.-]+:)?Receiver>.*?<(?:[\w.-]+:)?SystemId>)([^<]*)(</)",
                      call.request, re.S)
        if m is None:
            return call.request
        got = m.group(2).decode("utf-8")
        if got == own or not match(got, own):
            return call.request
        return call.request[:m.start(2)] + own.encode() + call.request[m.end(2):]
    return {"on_request": on_request, "on_reply": _rehashed}


# --- Senders other than the suite (P-ADDR-06) ---------------------------------------------------

def sender_party_pinned(call: Call) -> bytes | Reply:
    """A trusted-peer list filled at installation with the first caller's 団体コード and
    業務ユニット: a Sender of another 団体 or unit is refused (access is judged here, not by the
    hub's rights)."""
    header = header_find(tree(call.request))
    sender = header.find(_h("Sender")) if header is not None else None
    if sender is None:
        return call.request
    party = (sender.findtext(_h("LocalGovCode")), sender.findtext(_h("BusinessUnit")))
    with call.state.setdefault("lock", threading.Lock()):
        trusted = call.state.setdefault("trusted", party)
    if party == trusted:
        return call.request
    return _refusal(call.request, faults.ACCESS_DENIED, "access:sender",
                    f"{party[0]}/{party[1]} is not a trusted peer")


# --- the requester's clock (P-MSG-11) -----------------------------------------------------------

def sent_at_hybrid_clock(call: Call) -> Reply:
    """A hybrid logical clock: the reply's SentAt is never earlier than any time received — a
    request from a fast clock sets the reply's time to the requester's."""
    got = header_find(tree(call.request), f"/{_h('SentAt')}")
    if got is None or call.reply is None:
        return call.reply

    def later(header):
        el = header.find(_h("SentAt"))
        if el is not None and got.text.strip() > el.text.strip():  # both +09:00, same form
            el.text = got.text.strip()
    return _edit_reply_header(call, later)


# --- 全件: the RequestId table (J-FULL-18, J-DUR-02) ---------------------------------------------

class _RequestIds:
    """Vendor A's 全件抽出 behind a (key) → ExtractId table of the wrapper's own."""

    def __init__(self, refs: References, profile: str):
        handlers = refs.handlers(profile)
        self.inner = handlers[EXTRACT]
        self.table: dict[tuple, str] = {}
        self.lock = threading.Lock()
        self.url = refs.app(profile, {**handlers, EXTRACT: self.handler})

    def key(self, header, request) -> tuple:
        return (header.sender, request.findtext(f"{{{JUKI}}}RequestId"))

    def handler(self, header, request):
        request_id = request.findtext(f"{{{JUKI}}}RequestId")
        if request_id is None or request.find(f"{{{JUKI}}}ExtractId") is not None:
            return self.inner(header, self.checked(request))
        key = self.key(header, request)
        request = copy.deepcopy(request)
        request.remove(request.find(f"{{{JUKI}}}RequestId"))  # the table is the wrapper's
        with self.lock:
            known = self.table.get(key)
            if known is not None:
                extract = etree.Element(f"{{{JUKI}}}ExtractId")
                extract.text = known
                request.insert(0, extract)
                return self.inner(header, self.checked(request))
            response = self.inner(header, request)
            self.table[key] = response.findtext(f"{{{JUKI}}}ExtractId")
            return response

    def checked(self, request):
        return request


class RequestIdsKeyedByParameters(_RequestIds):
    """The idempotency key is every parameter of the first request — Sender, RequestId,
    PageSize, 基準日 — as a generic idempotency layer keys a request: a retry with another
    PageSize is another request, and gets a second snapshot."""

    def key(self, header, request) -> tuple:
        return (header.sender, request.findtext(f"{{{JUKI}}}RequestId"),
                int(request.findtext(f"{{{JUKI}}}PageSize")), request.findtext(f"{{{JUKI}}}AsOf"))


def request_ids_keyed_by_parameters(refs: References, profile: str) -> str:
    return RequestIdsKeyedByParameters(refs, profile).url


class RequestIdsPersisted(_RequestIds):
    """The RequestId table is written to the database, the snapshots are kept in memory:
    ``restart`` loses every snapshot made before it (their ExtractIds are unknown from then on)
    and keeps the table, so a first request retried after it is answered with a lost one."""

    def __init__(self, refs: References, profile: str):
        self.live: set[str] = set()
        super().__init__(refs, profile)
        self.restart_command = CallableCommand(self.restart, "persisted-request-ids restart")

    def restart(self, values) -> tuple[int, str]:
        with self.lock:
            self.live = set()
        return 0, ""

    def checked(self, request):
        el = request.find(f"{{{JUKI}}}ExtractId")
        if el is not None and el.text not in self.live:
            raise UnknownExtract(el.text)
        return request

    def handler(self, header, request):
        response = super().handler(header, request)
        if request.find(f"{{{JUKI}}}ExtractId") is None:
            with self.lock:
                self.live.add(response.findtext(f"{{{JUKI}}}ExtractId"))
        return response


# mode → (the requirement it breaks, the cases it must fail): a provider restarted in process
# (round 35b: P-LATE-01's retries of the RequestIds answered before the restarts are refused too)
RESTART_MODES = {"request-ids-persisted": ("RQ-BEH-03", ("J-DUR-02", "P-LATE-01"))}


# --- subscribers: several publishers (S-ORD-05), Latin names (S-CHR-14) -------------------------

def _fold_diacritics(name: str) -> str:
    """A name cleaner for the 名寄せ key applied to the stored name: Latin letters with a
    diacritic (U+00C0–U+024F) decomposed and their marks dropped."""
    out = []
    for c in name:
        if 0xC0 <= ord(c) <= 0x24F:
            c = "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
        out.append(c)
    return "".join(out)


class Round14bSubscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 14b's classes."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.by_publisher: dict[tuple[str, str], int] = {}
        self.publisher = threading.local()

    def handler(self, header, notice: etree._Element) -> etree._Element:
        self.publisher.id = header.sender.system_id
        return super().handler(header, notice)

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        resident = change.find(f"{{{JUKI}}}Resident")
        number = resident.findtext(f"{{{CMN}}}AddresseeNumber")
        if self.mode == "sequence-per-publisher":  # the last 異動連番 per (publisher, resident)
            key = (self.publisher.id, number)
            state = self.residents.setdefault(number, {"last": 0, "changes_applied": 0})
            state["last"] = self.by_publisher.get(key, 0)
            super()._apply(change, checked)
            self.by_publisher[key] = state["last"]
            return
        if self.mode in ("latin-diacritics-folded", "foreign-name-given-first"):
            change = copy.deepcopy(change)
            el = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text")
            if self.mode == "latin-diacritics-folded":
                el.text = _fold_diacritics(el.text)
            elif resident.findtext(f"{{{CMN}}}ResidentKind") == "2" and " " in el.text:
                family, given = el.text.split(" ", 1)  # the screen's order: given name first
                el.text = f"{given} {family}"
        super()._apply(change, checked)


# mode → (the requirement it breaks, the subscriber cases it must fail)
SUBSCRIBER_MODES = {
    "sequence-per-publisher": ("RQ-SUB-03", ("S-ORD-05",)),
    "latin-diacritics-folded": ("RQ-MSG-06", ("S-CHR-14",)),
    "foreign-name-given-first": ("RQ-MSG-06", ("S-CHR-14",)),
}

ROUND14B_WIRE = {
    "trailer-refused": {"on_request": trailer_refused},
    "extra-content-recovered": {"on_request": extra_content_recovered, "on_reply": _rehashed},
    "receiver-collation-case-insensitive": _receiver_matched(
        lambda got, own: got.casefold() == own.casefold()),
    "receiver-matched-by-prefix": _receiver_matched(
        lambda got, own: got.startswith(own) or own.startswith(got)),
    "sender-party-pinned": {"on_request": sender_party_pinned},
    "sent-at-hybrid-clock": {"on_reply": sent_at_hybrid_clock},
}
ROUND14B_HANDLERS = {
    "target-matched-as-path": front("target-matched-as-path"),
    "answers-always-chunked": front("answers-always-chunked"),
    "request-ids-keyed-by-parameters": request_ids_keyed_by_parameters,
}
