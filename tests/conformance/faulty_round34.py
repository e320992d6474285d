"""Faulty products for round 34 (docs/conformance-testing.md, "Round 34" and "Round 34b"), each
with ONE defect:

- (the reference adapter, round 34: a pair of wire forms) a request that starts with a UTF-16
  byte order mark and has no XML declaration is decoded as UTF-16LE, Windows' "Unicode"
  (``bom-without-declaration-read-as-utf16le``): a big-endian one is not well-formed to it.
  P-EQUIV-01 sends UTF-16LE without a declaration and UTF-16BE with one, each right for this
  reader; only the wire grid (P-EQUIV-03, S-EQUIV-03) sends UTF-16BE without one;
- (the crashable subscriber, round 34b: a value × a restart) a start-up that reloads its
  resident table through a CHAR(10) key column, zero-filled: a 宛名番号 shorter than ten digits
  comes back padded (``86`` as ``0000000086``, on top of that resident if it is held)
  (``short-addressee-numbers-zero-filled-at-start``). S-WIDTH-01 sends such numbers and observes
  each before any restart; the restart cases hold ten-digit numbers, S-EDGE-01's forms are ten
  digits and more — only S-RELOAD-01 observes the short ones again. (A table keyed by the
  number's value instead merges S-EDGE-01's forms too: that one fails S-EDGE-01 as well.)
"""

from __future__ import annotations

import codecs

from .faulty_durability import CrashableSubscriber
from .faulty_round25 import ALL
from .faulty_round33 import unreadable
from .proxy import Call, Reply

_DECLARATION_BE = "<?xml".encode("utf-16-be")


def bom_without_declaration_read_as_utf16le(call: Call) -> bytes | Reply:
    """UTF-16 without an XML declaration taken for UTF-16LE: a big-endian body is refused as
    not well-formed."""
    raw = call.request
    if not raw.startswith(codecs.BOM_UTF16_BE) or raw[2:].startswith(_DECLARATION_BE):
        return raw
    return unreadable(call)


ROUND34_FAULTS: list[tuple] = [
    # (a request it cannot read: its fault names no MessageId, INV-FAULT-06)
    ("bom-without-declaration-read-as-utf16le", "RQ-SOAP-06", ALL,
     ("P-EQUIV-03", "S-EQUIV-03", "INV-FAULT-06")),
]
ROUND34_NAMES = {entry[0] for entry in ROUND34_FAULTS}
ROUND34_WIRE = {
    "bom-without-declaration-read-as-utf16le": {
        "on_request": bom_without_declaration_read_as_utf16le},
}


# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round34
ROUND34_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "short-addressee-numbers-zero-filled-at-start": ("RQ-SUB-05", ("S-RELOAD-01",)),
}


class ZeroFilledStartUpSubscriber(CrashableSubscriber):
    """The crashable subscriber whose start-up reloads each 宛名番号 zero-filled to ten digits
    (the last loaded wins where two meet); the numbers written after it are kept as sent."""

    __test__ = False

    def crash(self, values=None) -> int:
        code = super().crash(values)
        if self.mode == "short-addressee-numbers-zero-filled-at-start":
            with self.lock:
                self.residents = {number.zfill(10): state
                                  for number, state in self.residents.items()}
        return code
