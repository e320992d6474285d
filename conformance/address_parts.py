"""A notice's explicit address (住所: cmn:AddressType, round 24): written from a change's
``fields`` keys ``Address.<element>`` (each element present exactly when its key is), and the
``address`` an --observe command may print judged against it (docs/conformance.md: optional;
printed, it is judged)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from .grid_notices import Change

ADDRESS_PARTS = ("PostalCode", "AddressCode", "Prefecture", "City", "Town", "Chome", "Banchi",
                 "Katagaki")  # cmn:AddressType's elements, in its order


def address_of(c: Change) -> dict[str, str] | None:
    """The address a change gives explicitly (``fields`` keys ``Address.<element>``: each
    element present exactly when its key is, round 24), or None: the grid's own address."""
    parts = {k[len("Address."):]: v for k, v in c.fields.items() if k.startswith("Address.")}
    return parts or None


def address_xml(parts: Mapping[str, str]) -> str:
    return "".join(f"<cmn:{p}>{escape(parts[p])}</cmn:{p}>" for p in ADDRESS_PARTS if p in parts)


def address_problems(printed: object, sent: Mapping[str, str]) -> list[str]:
    """The observed ``address`` (optional in the --observe contract, docs/conformance.md)
    against the one the model holds: each text and code part character for character, a part
    not sent null or left out. Chome is a number each system writes in its own numerals: not
    compared."""
    if not isinstance(printed, dict):
        return [f"address is {printed!r}, not an object of cmn:AddressType's parts"]
    out = []
    for part in ADDRESS_PARTS:
        if part == "Chome":
            continue
        got, want = printed.get(part), sent.get(part)
        if got != want:
            out.append(f"address {part} is {show(got)}, the notice gave {show(want)}")
    return out


def show(text: object) -> str:
    """A value with its code points (a truncated or folded part shows which)."""
    if not isinstance(text, str):
        return repr(text)
    return f"{text!r} [{' '.join(f'U+{ord(c):04X}' for c in text)}]"
