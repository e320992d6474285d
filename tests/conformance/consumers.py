"""Consumers for the consumer profile: the reference (vendor B's own code) and faulty ones.

Each is a trigger: ``fn(values) -> exit status`` (or (status, stdout)), called with the suite's
hub URL in ``values["hub_url"]`` — the in-process form of ``--trigger``. The faulty consumer is a
minimal hand-written client with ONE defect per mode.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import replace

import requests
from lxml import etree

from adapters.sdk.consumer import ConsumerClient, ConsumerError
from adapters.vendor_b_tax.linkage import fetch_resident
from adapters.vendor_b_tax.store import TaxStore
from bus.core.faults import SOAP11_NS
from bus.core.header import Party, PlatformHeader, request_digest
from .proxy import header_find

TAX = Party("131016", "07", "vendor-b-tax")
REGISTRY = Party("131016", "01", "vendor-a-juki")
JUKI = "urn:pfbus:unit:juki:v1"
SERVICE = "juki.ResidentInquiry"
ACTION = "urn:pfbus:service:juki.ResidentInquiry"
FIXED_ID = str(uuid.UUID(int=0x1234, version=4))


def reference(values) -> tuple[int, str]:
    """Vendor B's fetch-resident, as its command runs it, on a store of its own."""
    store = TaxStore.open()
    client = ConsumerClient(values["hub_url"], TAX, "tax-clerk-01",
                            timeout=float(values.get("consumer_timeout", 10)))
    try:
        reply, stored = fetch_resident(client, store, REGISTRY, values["addressee_number"])
    except ConsumerError as exc:
        return 1, json.dumps({"error": str(exc)})
    finally:
        store.close()
    return 0, json.dumps({"message_id": reply.request_header.message_id, "stored": stored},
                         ensure_ascii=False)


def faulty(mode: str):
    """A consumer breaking one requirement (MODES says which)."""
    def trigger(values) -> int:
        number = values["addressee_number"]
        ns = JUKI.replace(":v1", ":v0") if mode == "body-wrong-namespace" else JUKI
        if mode == "bad-check-digit":
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        header = PlatformHeader.new(sender=TAX, receiver=REGISTRY, service_id=SERVICE,
                                    user_id="tax-clerk-01")
        if mode == "sent-at-utc":
            header = replace(header, sent_at=dt.datetime.now(dt.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"))
        if mode == "wrong-unit":
            header = replace(header, receiver=replace(REGISTRY, business_unit="07"))
        if mode == "fixed-message-id":
            header = replace(header, message_id=FIXED_ID)
        head = etree.tostring(header.to_element(), encoding="unicode")
        raw = (f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Header>{head}</soap:Header>'
               f'<soap:Body><j:ResidentInquiryRequest xmlns:j="{ns}"><j:AddresseeNumber>'
               f'{number}</j:AddresseeNumber></j:ResidentInquiryRequest></soap:Body>'
               f'</soap:Envelope>').encode()
        ctype = "application/soap+xml; charset=utf-8" if mode == "wrong-content-type" \
            else "text/xml; charset=utf-8"
        timeout = None if mode == "waits-forever" else float(values.get("consumer_timeout", 10))
        try:
            r = requests.post(f"{values['hub_url']}/services/{SERVICE}", data=raw,
                              timeout=timeout,
                              headers={"Content-Type": ctype, "SOAPAction": f'"{ACTION}"'})
        except requests.Timeout:
            return 0 if mode == "timeout-as-not-found" else 1
        except requests.RequestException:
            return 0 if mode == "connection-error-as-not-found" else 1
        root = etree.fromstring(r.content)
        if root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault") is not None:
            return 0 if mode == "fault-as-not-found" else 1
        reply = PlatformHeader.from_element(header_find(root))
        if mode != "no-binding-check":
            if reply.relates_to != header.message_id:
                return 1
            if mode != "relates-to-only" and reply.request_hash != request_digest(raw):
                return 1
        if mode == "nonbmp-rejected" and any(ord(c) > 0xFFFF for c in r.content.decode()):
            return 1  # a UCS-2 era store that cannot hold 𠮷
        return 0
    return trigger


# mode → the consumer cases it must fail
MODES = {
    "body-wrong-namespace": ("C-MSG-01/*",),
    "bad-check-digit": ("C-MSG-02/*",),
    "sent-at-utc": ("C-MSG-03/*",),
    "wrong-unit": ("C-MSG-04/*",),
    "fixed-message-id": ("C-MSG-05/*",),
    "wrong-content-type": ("C-SOAP-01/*",),
    # no check at all fails both binding cases; checking RelatesTo only fails one
    "no-binding-check": ("C-BIND-01/*", "C-BIND-02/*"),
    "relates-to-only": ("C-BIND-02/*",),
    "fault-as-not-found": ("C-BIND-03/*",),
    "nonbmp-rejected": ("C-BEH-01/*",),
    "connection-error-as-not-found": ("C-BEH-02/*",),
    # no timeout at all: killed at the end of the step (the suite's bound, not the product's)
    "waits-forever": ("C-BEH-03/*",),
    "timeout-as-not-found": ("C-BEH-03/*",),
}
