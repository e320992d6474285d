"""Faulty products for round 40b (docs/conformance-testing.md, "Round 40b"), each with ONE defect,
written from the class of the thirty-ninth blind batch's finding-place miss (a Finding's Path that
ends in the right names but is no path of the message), not from its variant:

- (a front end behind which the reference adapter answers, every role) a fault writer that
  writes each Finding's Path from the element its validator was handed — the payload element
  or the header block — not from the Envelope (``path-from-the-validated-element``):
  /juki:ResidentInquiryRequest/juki:AddresseeNumber for
  /soap:Envelope/soap:Body/juki:ResidentInquiryRequest/juki:AddresseeNumber. Its last names
  are right, so only INV-FAULT-13 (every Path a path of the request) can see it;
- (the crashable subscriber) a start-up that reloads the seen MessageIds of one publisher only,
  the system it first received a notice from (``seen-ids-of-the-first-publisher-at-start``): a
  notice a second publisher (a standby, another SystemId) sent before the restart is new again
  after it — S-RST-01's points published by a standby and delivered again by the suite's
  own system.

The batch's other miss of these classes, a later 全件 page asked for with a SentAt before its
snapshot was made, is caught by its own variant after the fact (J-FULL-01/02); no faulty product
of ours is written for it.
"""

from __future__ import annotations

from .faulty_durability import CrashableSubscriber
from .faulty_round19 import ALL
from .proxy import Call, Reply, serialize, tree

_PFF = "{urn:pfbus:platform:fault:v1}"


def path_from_the_validated_element(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    try:
        root = tree(reply.body)
    except ValueError:
        return reply
    paths = list(root.iter(f"{_PFF}Path"))
    for el in paths:
        steps = (el.text or "").split("/")
        at = next((i for i, s in enumerate(steps) if s.endswith(("Body", "Header"))), None)
        if at is not None and at + 1 < len(steps):
            el.text = "/" + "/".join(steps[at + 1:])
    return Reply(reply.status, serialize(root), reply.content_type) if paths else reply


ROUND40_FAULTS: list[tuple] = [
    ("path-from-the-validated-element", "RQ-FAULT-13", ALL, ("INV-FAULT-13",)),
]
ROUND40_NAMES = {entry[0] for entry in ROUND40_FAULTS}
ROUND40_WIRE = {
    "path-from-the-validated-element": {"on_reply": path_from_the_validated_element},
}


# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round40
ROUND40_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "seen-ids-of-the-first-publisher-at-start": ("RQ-SUB-05", ("S-RST-01",)),
}


class Round40Subscriber(CrashableSubscriber):
    """The crashable subscriber with one of ROUND40_MODES."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.publisher: dict[str, str] = {}  # MessageId → the Sender SystemId it came from

    def handler(self, header, notice):
        with self.lock:
            self.publisher.setdefault(header.message_id, header.sender.system_id)
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        if self.mode == "seen-ids-of-the-first-publisher-at-start" and self.publisher:
            first = next(iter(self.publisher.values()))
            with self.lock:
                self.seen = {m for m in self.seen if self.publisher.get(m, first) == first}
        return code

