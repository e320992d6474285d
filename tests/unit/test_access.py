"""Access rights and adapter identities (bus.core.access) and their configuration."""

from __future__ import annotations

import pytest

from bus.core import faults
from bus.core.access import (AccessPolicy, AccessRule, Adapter, format_fingerprint,
                             normalise_fingerprint)
from bus.core.config import ConfigError, parse_config
from bus.core.faults import HubFault
from bus.hub.testca import make_test_ca

FP_B = "ab" * 32
FP_X = "cd" * 32
B, X = "131016/07/vendor-b-tax", "131016/07/vendor-x"


def policy(identity: str = "certificate") -> AccessPolicy:
    return AccessPolicy(
        {"vendor-b-tax": Adapter("vendor-b-tax", (FP_B,), None, (B,)),
         "vendor-x": Adapter("vendor-x", (FP_X,), "vendor-x.example", (X,))},
        (AccessRule("juki.ResidentInquiry", "131016", ("vendor-b-tax",), "call"),
         AccessRule("juki.ResidentMoved", "*", ("vendor-x",), "publish")), identity)


def code_and_rule(f, *args) -> tuple[str, str]:
    with pytest.raises(HubFault) as info:
        f(*args)
    return info.value.fault.code, info.value.first.rule


def test_fingerprints_are_normalised():
    fp = format_fingerprint(FP_B)
    assert fp.startswith("SHA256:AB:AB:") and normalise_fingerprint(fp) == FP_B
    assert normalise_fingerprint(FP_B.upper()) == FP_B
    assert normalise_fingerprint("SHA256:AB") is None


def test_identity_by_fingerprint_then_subject_cn():
    p = policy()
    assert p.identify(FP_B) == "vendor-b-tax"
    assert p.identify("00" * 32, "vendor-x.example") == "vendor-x"
    assert p.identify("00" * 32, "someone") is None


def test_certificate_identity_rights_and_default_deny():
    p = policy()
    assert p.check("vendor-b-tax", B, "juki.ResidentInquiry", "131016", "call") == "vendor-b-tax"
    # another municipality, another right, another adapter: denied (nothing granted)
    assert code_and_rule(p.check, "vendor-b-tax", B, "juki.ResidentInquiry", "141003",
                         "call") == ("PF-ACCESS-DENIED", "access:call")
    assert code_and_rule(p.check, "vendor-b-tax", B, "juki.ResidentMoved", "131016",
                         "publish") == ("PF-ACCESS-DENIED", "access:publish")
    assert code_and_rule(p.check, None, B, "juki.ResidentInquiry", "131016",
                         "call") == ("PF-ACCESS-DENIED", "access:authenticated")
    # a wildcard 団体コード
    assert p.check("vendor-x", X, "juki.ResidentMoved", "141003", "publish") == "vendor-x"


def test_a_sender_the_adapter_does_not_own_is_spoofing():
    assert code_and_rule(policy().check, "vendor-x", B, "juki.ResidentInquiry", "131016",
                         "call") == ("PF-SENDER-SPOOFED", "access:sender")


def test_claimed_identity_on_plain_http_uses_the_senders_owner():
    p = policy("claimed")
    assert p.check(None, B, "juki.ResidentInquiry", "131016", "call") == "vendor-b-tax"
    assert code_and_rule(p.check, None, X, "juki.ResidentInquiry", "131016",
                         "call") == ("PF-ACCESS-DENIED", "access:call")
    assert code_and_rule(p.check, None, "131016/07/nobody", "juki.ResidentInquiry", "131016",
                         "call") == ("PF-ACCESS-DENIED", "access:adapter")


def test_fault_codes_are_registered():
    assert faults.ACCESS_DENIED in faults.ALL_CODES and faults.SENDER_SPOOFED in faults.ALL_CODES
    assert faults.ACCESS_DENIED.http_status == 403


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    return d, make_test_ca(d, adapters=["vendor-b-tax"])


def base(d) -> dict:
    return {"hub": {"tls": {"certificate": str(d / "hub.pem"), "key": str(d / "hub.key"),
                            "client_ca": str(d / "ca.pem")}},
            "tenants": [{"local_gov_code": "131016"}],
            "adapters": [{"id": "vendor-b-tax", "certificate_fingerprint": "SHA256:" + FP_B,
                          "parties": [B]}],
            "access": [{"service": "juki.ResidentInquiry", "local_gov_code": "131016",
                        "adapters": ["vendor-b-tax"], "right": "call"}]}


def test_a_tls_config_is_read(pki):
    d, _ = pki
    config = parse_config(base(d), d / "hub.toml")
    assert config.tls.require_client_certificate and config.tls.client_ca == d / "ca.pem"
    assert config.access.identity == "certificate"
    assert config.access.identify(FP_B) == "vendor-b-tax"


def test_access_control_is_off_only_on_plain_http_without_adapters_or_access():
    assert parse_config({"hub": {"allow_plain_http": True}}, None).access is None
    doc = {"hub": {"allow_plain_http": True}, "tenants": [{"local_gov_code": "131016"}],
           "adapters": [{"id": "a", "parties": [B]}]}
    assert parse_config(doc, None).access.identity == "claimed"


def change(doc: dict, path: str, value) -> dict:
    import copy
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    target = doc
    for p in parents:
        target = target[int(p)] if p.isdigit() else target[p]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return doc


@pytest.mark.parametrize("path,value,key,message", [
    ("hub.tls.key", KeyError, "hub.tls.key", "is required"),
    ("hub.tls.certificate", "missing.pem", "hub.tls.certificate", "file not found"),
    ("hub.tls.cipher", "x", "hub.tls.cipher", "unknown key"),
    ("hub.tls", "yes", "hub.tls", "must be a table"),
    ("hub.allow_plain_http", True, "hub.allow_plain_http", "cannot be combined"),
    ("hub.client_certificate", "hub.pem", "hub.client_key", "go together"),
    ("access", [], "access", "enforces access rights"),
    ("adapters.0.certificate_fingerprint", "SHA256:12", "adapters[0].certificate_fingerprint",
     "SHA-256"),
    ("adapters.0.parties", [], "adapters[0].parties", "is required"),
    ("adapters.0.parties", ["131016-07"], "adapters[0].parties[0]", "団体コード/業務ユニット"),
    ("access.0.right", "read", "access[0].right", '"call", "publish", "subscribe"'),
    ("access.0.adapters", ["vendor-z"], "access[0].adapters[0]", "no [[adapters]] entry"),
    ("access.0.local_gov_code", "999999", "access[0].local_gov_code", "not among"),
])
def test_config_errors_name_the_key(pki, path, value, key, message):
    d, _ = pki
    doc = change(base(d), path, value)
    if path == "hub.client_certificate":
        doc["hub"]["client_certificate"] = str(d / "hub.pem")
    with pytest.raises(ConfigError) as info:
        parse_config(doc, d / "hub.toml")
    assert f"hub.toml: {key}: " in str(info.value) and message in str(info.value)


def test_a_subscriber_needs_the_subscribe_right(pki):
    d, _ = pki
    doc = base(d)
    doc["providers"] = [{"id": "vendor-b-tax", "url": "https://127.0.0.1:1/"}]
    doc["subscriptions"] = [{"local_gov_code": "131016", "service": "juki.ResidentMoved",
                             "subscriber": "vendor-b-tax"}]
    with pytest.raises(ConfigError, match=r"subscriptions\[0\]\.subscriber: .*'subscribe' right"):
        parse_config(doc, d / "hub.toml")
    doc["access"].append({"service": "juki.ResidentMoved", "local_gov_code": "131016",
                          "adapters": ["vendor-b-tax"], "right": "subscribe"})
    assert parse_config(doc, d / "hub.toml").access.allows(
        "vendor-b-tax", "juki.ResidentMoved", "131016", "subscribe")
