"""Faulty products for round 33b (docs/conformance-testing.md, "Round 33b"), each the reference
adapter or the crashable SDK-built subscriber with ONE defect, written from the classes the
thirty-third blind batch's misses showed (a Content-Type read by position, a SystemId at the
edges of its pattern, what a start-up reloads, a notice's optional header field on the
durability path), not from the batch's variants:

- the charset read from the Content-Type's first parameter only: a UTF-16 request labelled after
  another parameter is read as UTF-8 and refused as not well-formed
  (``charset-of-first-parameter-only``) — P-EQUIV-01's ``utf-16-charset-last``;
- the reply's Receiver SystemId written through a "clean-up" that strips trailing ``.``, ``-``
  and ``_`` (``reply-receiver-trailing-punctuation-stripped``) — P-PARTY-01 / S-PARTY-01;
- a start-up that reloads each resident's name stripped of white space at both ends
  (``names-stripped-at-start``), and one that reloads the 異動連番 watermarks as 32-bit signed
  integers (``watermarks-int32-at-start``) — S-FIELD-01;
- the seen MessageIds of notices carrying RelatesTo ("answers, not new data") kept in memory
  only (``relates-to-notices-seen-in-memory``) — S-RST-01.
"""

from __future__ import annotations

import codecs

from bus.core import faults
from bus.core.faults import SOAP11_NS, SOAP12_NS, HubFault, fault_envelope

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .faulty_round25 import ALL
from .faulty_round30 import _RECEIVER_SYSTEM
from .proxy import Call, Reply


def unreadable(call: Call) -> Reply:
    """A front end that could not read the request: PF-MALFORMED-XML in the SOAP version its
    Content-Type names, without a MessageId (none was read)."""
    soap12 = call.received.get("content-type", "").lower().startswith("application/soap+xml")
    body = fault_envelope(HubFault(faults.MALFORMED_XML), SOAP12_NS if soap12 else SOAP11_NS)
    return Reply(400 if soap12 else 500, body,
                 "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8")


def charset_of_first_parameter_only(call: Call) -> bytes | Reply:
    """``Content-Type.split(";")[1]`` taken for the charset: UTF-16 bytes labelled after another
    parameter decoded as UTF-8 — not well-formed."""
    ctype = call.received.get("content-type", "")
    params = [p.strip().lower() for p in ctype.split(";")[1:]]
    utf16 = call.request.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if utf16 and params and not params[0].startswith("charset="):
        return unreadable(call)
    return call.request


def receiver_trailing_punctuation_stripped(call: Call) -> Reply:
    """The reply's Receiver SystemId with trailing ``.``, ``-`` and ``_`` stripped."""
    reply = call.reply
    assert reply is not None
    m = _RECEIVER_SYSTEM.search(reply.body)
    if m is None or not m.group(2).endswith((b".", b"-", b"_")):
        return reply
    body = reply.body[:m.start(2)] + m.group(2).rstrip(b"._-") + reply.body[m.end(2):]
    return Reply(reply.status, body, reply.content_type)


ROUND33_FAULTS: list[tuple] = [
    # (a request it cannot read: its fault names no MessageId, INV-FAULT-06)
    ("charset-of-first-parameter-only", "RQ-SOAP-06", ALL, ("P-EQUIV-01/*", "INV-FAULT-06")),
    # (the reply's binding to the request, judged on every answer: INV-BIND-03)
    ("reply-receiver-trailing-punctuation-stripped", "RQ-MSG-05", ALL,
     ("P-PARTY-01/*", "S-PARTY-01/*", "INV-BIND-03")),
]
ROUND33_NAMES = {entry[0] for entry in ROUND33_FAULTS}
ROUND33_WIRE = {
    "charset-of-first-parameter-only": {"on_request": charset_of_first_parameter_only},
    "reply-receiver-trailing-punctuation-stripped": {"on_reply": receiver_trailing_punctuation_stripped},
}

# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round33
ROUND33_MODES: dict[str, tuple[str, tuple[str, ...]]] = with_restart_cases_also_failed({
    "names-stripped-at-start": ("RQ-SUB-05", ("S-FIELD-01",)),
    "watermarks-int32-at-start": ("RQ-SUB-05", ("S-FIELD-01",)),
    "relates-to-notices-seen-in-memory": ("RQ-SUB-05", ("S-RST-01", "S-LATE-02")),
})


def _int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


class StartUpReloadSubscriber(CrashableSubscriber):
    """The crashable subscriber with one defect of what its start-up reloads (ROUND33_MODES)."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.in_memory: set[str] = set()  # relates-to-notices-seen-in-memory: never written

    def handler(self, header, notice):
        if self.mode == "relates-to-notices-seen-in-memory" and header.relates_to:
            with self.lock:
                fresh = header.message_id not in self.seen
            answer = super().handler(header, notice)
            if fresh:
                with self.lock:
                    self.in_memory.add(header.message_id)
            return answer
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            if self.mode == "relates-to-notices-seen-in-memory":
                self.seen -= self.in_memory
                self.in_memory.clear()
            for state in self.residents.values():
                if self.mode == "names-stripped-at-start" and state.get("name"):
                    state["name"] = state["name"].strip(" \u3000")
                if self.mode == "watermarks-int32-at-start":
                    state["last"] = _int32(state["last"])
        return code
