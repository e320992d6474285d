"""Faulty products for round 37b (docs/conformance-testing.md, "Round 37b"), each with ONE defect,
written from the classes the thirty-seventh blind batch's misses belong to (the optional white
space of a header field × where it stands; a party value × the Receiver's own; a date × an
optional element; a 異動連番's magnitude × a restart), not from its variants:

- (a front end before the reference adapter, every role) the media type read as the
  Content-Type's part before its first ';' with spaces stripped, but not tabs
  (``media-type-stripped-of-spaces-only``): a tab before a ';', or after the whole value, leaves
  a media type nobody knows — refused PF-CONTENT-TYPE;
- (a front end, every role) a loop guard that refuses a message whose Sender SystemId is the
  Receiver's own (``sender-equal-to-receiver-refused``): PF-PROVIDER-MISROUTED;
- (the crashable subscriber) a plausibility check that refuses a change dated before
  2015-10-05 (マイナンバー制度's first day) whose resident carries a 個人番号
  (``individual-number-before-numbering-refused``); a start-up that reads each resident's last
  異動連番 back as a double (``watermark-read-back-as-double``): beyond 2⁵³ the one held rounds
  down, and a change equal to it is applied again.
"""

from __future__ import annotations

from bus.core import faults

from .faulty_durability import CrashableSubscriber
from .faulty_round16b import PFH
from .faulty_round19 import ALL, _fault
from .faulty_round20 import _content_type
from .proxy import Call, Reply, header_findtext, tree
from .subscriber import CMN, JUKI, ProviderError

_MEDIA_TYPES = ("text/xml", "application/soap+xml")
NUMBERING_BEGAN = "2015-10-05"  # 個人番号's first day (番号法 施行)


def media_type_stripped_of_spaces_only(call: Call) -> bytes | Reply:
    """``ctype.split(";")[0].strip(" ")``: a tab left beside the media type is part of it."""
    media = _content_type(call).split(";")[0].strip(" ").lower()
    if media in _MEDIA_TYPES:
        return call.request
    return _fault(call, faults.CONTENT_TYPE, "http:content-type",
                  f"unsupported media type {media!r}")


def sender_equal_to_receiver_refused(call: Call) -> bytes | Reply:
    """A message "from itself" taken for one of its own answers routed back: refused."""
    root = tree(call.request)
    sender = header_findtext(root, f"/{{{PFH}}}Sender/{{{PFH}}}SystemId")
    if sender is None or sender != header_findtext(root, f"/{{{PFH}}}Receiver/{{{PFH}}}SystemId"):
        return call.request
    return _fault(call, faults.PROVIDER_MISROUTED, "header:sender",
                  f"a message from {sender} to itself")


_PARTIES = ("P-PARTY-01/*", "S-PARTY-01/*")
ROUND37_FAULTS: list[tuple] = [
    ("media-type-stripped-of-spaces-only", "RQ-SOAP-06", ALL, ("P-EQUIV-03", "S-EQUIV-03")),
    ("sender-equal-to-receiver-refused", "RQ-FAULT-12", ALL, _PARTIES),
]
ROUND37_NAMES = {entry[0] for entry in ROUND37_FAULTS}
ROUND37_WIRE = {
    "media-type-stripped-of-spaces-only": {"on_request": media_type_stripped_of_spaces_only},
    "sender-equal-to-receiver-refused": {"on_request": sender_equal_to_receiver_refused},
}


# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round37
ROUND37_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "individual-number-before-numbering-refused": ("RQ-EDGE-01", ("S-EDGE-01",)),
    "watermark-read-back-as-double": ("RQ-SUB-05", ("S-MULTI-05",)),
}


class Round37Subscriber(CrashableSubscriber):
    """The crashable subscriber with one of ROUND37_MODES."""

    __test__ = False

    def handler(self, header, notice):
        if self.mode == "individual-number-before-numbering-refused":
            for change in notice.iterfind(f"{{{JUKI}}}Change"):
                occurred = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or ""
                numbered = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}IndividualNumber")
                if numbered is not None and occurred[:10] < NUMBERING_BEGAN:
                    raise ProviderError("VENDOR-INCONSISTENT",
                                        "a 個人番号 on a change before 2015-10-05")
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        if self.mode == "watermark-read-back-as-double":
            with self.lock:
                for state in self.residents.values():
                    state["last"] = float(state["last"])
        return code
