"""Faulty adapters whose ONE defect is on the SOAP 1.2 path only: SOAP 1.1 requests reach the
reference adapter, SOAP 1.2 requests one of the suite's faulty adapters (faulty.py) — a product
whose second endpoint has a handler of its own. Each is the mutation check of a case that runs
once per binding (``each_binding``): run over SOAP 1.1 only, the case would pass it."""

from __future__ import annotations

import requests

from .proxy import Call, Reply

# name → the faulty adapter answering SOAP 1.2
SOAP12_ONLY = {
    "soap12-header-optional": "header-optional",
    "soap12-unknown-as-404-page": "unknown-as-404-page",
    "soap12-malformed-as-html": "malformed-as-html",
    "soap12-deep-request-as-html": "deep-request-as-html",
    "soap12-duplicate-refused": "duplicate-refused",
    "soap12-extract-unknown-id-empty-page": "extract-unknown-id-empty-page",
    "soap12-extract-per-request": "extract-per-request",
    "soap12-not-found-as-fault": "not-found-as-fault",
    "soap12-wrong-fiscal-year": "wrong-fiscal-year",
    "soap12-insurer-number-wrong": "insurer-number-wrong",
    "soap12-qualification-as-of-ignored": "qualification-as-of-ignored",
    "soap12-qualification-lost-ignored": "qualification-lost-ignored",
    "soap12-receiver-unchecked": "receiver-unchecked",
}


def soap12_router(soap12_url: str) -> dict:
    """The TamperProxy hook sending SOAP 1.2 requests (``application/soap+xml``) to
    ``soap12_url`` as they came, and the rest on to the reference adapter."""
    session = requests.Session()

    def on_request(call: Call) -> bytes | Reply:
        content_type = next((v for k, v in call.headers.items()
                             if k.lower() == "content-type"), "")
        if not content_type.lower().startswith("application/soap+xml"):
            return call.request
        r = session.post(soap12_url, data=call.request, headers=call.headers, timeout=30)
        return Reply(r.status_code, r.content, r.headers.get("content-type", ""))

    return {"on_request": on_request}
