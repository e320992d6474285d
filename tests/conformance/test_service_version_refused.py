"""README: a provider or subscriber refuses a message whose Service it does not serve — a Version
other than the one it serves (catalog.toml: "1"), or another ServiceId of the catalog — with
PF-PROVIDER-MISROUTED (service:version, service:endpoint), before it reads the body: the
independent adapter in both roles, and the SDK-built reference adapters."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import requests

from .independent.adapter import Adapter
from conformance.envelopes import envelope, http_headers, request_header, substitute
from conformance.runner import _catalog

from .references import JUKI_PROFILE, KOKUHO_PROFILE, PARTIES, SUB_PROFILE, TAX_PROFILE
from .variant_transcripts import GOV, change, inquiry, notice, request

OTHER_VERSIONS = ("2", "1.0", "01")


def _independent(role: str, raw: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        adapter = Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                          db=Path(tmp) / "indie.sqlite3")
        return adapter.handle(raw, "text/xml; charset=utf-8", '""')


def _inquiry(version: str) -> bytes:
    return request('<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1"><j:AddresseeNumber>'
                   "0000010014</j:AddresseeNumber></j:ResidentInquiryRequest>",
                   service="juki.ResidentInquiry", version=version)


def _notice(version: str) -> bytes:
    return notice(change()).replace(b"<pfh:Version>1</pfh:Version>",
                                    f"<pfh:Version>{version}</pfh:Version>".encode(), 1)


@pytest.mark.parametrize("version", OTHER_VERSIONS)
@pytest.mark.parametrize("role", ["provider", "subscriber"])
def test_the_independent_adapter_refuses_another_version(role, version):
    answer = _independent(role, _inquiry(version) if role == "provider" else _notice(version))
    body = answer.body.decode()
    assert answer.status == 500, body
    assert "PF-PROVIDER-MISROUTED" in body and "service:version" in body, body


def test_the_independent_adapter_refuses_another_known_service_as_misrouted():
    """An inquiry whose header names the 異動通知 (a service of the catalog, not this endpoint's):
    misrouted, as the SDK answers it — not PF-HEADER-INVALID (the header is valid)."""
    raw = request('<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1"><j:AddresseeNumber>'
                  "0000010014</j:AddresseeNumber></j:ResidentInquiryRequest>",
                  service="juki.ResidentChangeNotice")
    body = _independent("provider", raw).body.decode()
    assert "PF-PROVIDER-MISROUTED" in body and "service:endpoint" in body, body


@pytest.mark.parametrize("role", ["provider", "subscriber"])
def test_the_independent_adapter_answers_the_version_it_serves(role):
    answer = _independent(role, inquiry("0000010014") if role == "provider" else
                          notice(change()))
    assert answer.status == 200, answer.body.decode()


@pytest.mark.integration
@pytest.mark.parametrize("profile", [JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE, SUB_PROFILE])
def test_the_reference_adapters_refuse_another_version(refs, suite, profile):
    """Each reference's every service, its @sample sent with Version 2 (the SDK's check)."""
    for service in suite.profiles[profile].services:
        spec = _catalog(()).service(service)
        params = {**suite.profiles[profile].params, "notice_addressee": "0000010014",
                  "sequence": "1", "sut_system_id": PARTIES[profile].system_id}
        header = request_header(spec, params, {"service_version": "2"})
        body = substitute(suite.message("@sample", service, "test").body, params, xml=True)
        answer = requests.post(refs.url(profile), data=envelope(body, "1.1", header),
                               headers=http_headers("1.1", ""), timeout=10)
        assert answer.status_code == 500, (service, answer.text)
        assert "PF-PROVIDER-MISROUTED" in answer.text and "service:version" in answer.text
