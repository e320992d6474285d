"""Faulty providers whose ONE defect is an idempotency key not scoped by the party that chose it:
the reference's 全件 handler with the requester reduced to less than the whole Sender. Written
from the class (docs/notices.md: a RequestId is the requesting system's), not from the blind
batch's variant (which kept the RequestId alone)."""

from __future__ import annotations

from dataclasses import replace

from adapters.vendor_a_registry import service as vendor_a

from .faulty_handlers import EXTRACT
from .references import References


def request_id_per_municipality(refs: References, profile: str) -> str:
    """Snapshots found by (団体コード, RequestId): every system of the municipality shares one
    RequestId space, so another system's first request gets this one's snapshot."""
    handlers = refs.handlers(profile)

    def handler(header, request):
        municipality = replace(header, sender=replace(header.sender, business_unit="00",
                                                      system_id="municipality"))
        return vendor_a.full_extract(refs.juki_store, municipality, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


KEY_HANDLERS = {
    "request-id-per-municipality": request_id_per_municipality,
}
