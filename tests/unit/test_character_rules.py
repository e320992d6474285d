"""Validation of characters in names (mj_characters, bound to cmn:NameTextType in the catalog):
MJ accepted, JIS X 0213 only where a tenant says so, 外字 only from a sender that registered its
table; each finding names the character (code points, MJ name), the field and the line."""

from __future__ import annotations

import uuid

import pytest

from bus.core import faults
from bus.core.character_rules import make_character_rule
from bus.core.envelope import parse_envelope
from bus.core.faults import HubFault
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.rules import RuleContext
from bus.core.validator import MessageValidator
from messages import (CHIYODA, JUKI_SYSTEM, YOKOHAMA, builtin_catalog, envelope, inquiry_body,
                      inquiry_response_body, line_of, request_header)

KUZU_IVS = "葛\U000E0102"  # MJ022335
RESIDENT = "/soap:Envelope/soap:Body/juki:ResidentInquiryResponse/juki:Resident"
NAME_TEXT = f"{RESIDENT}/cmn:Name/cmn:Text"
SENDER = str(JUKI_SYSTEM)  # 131016/01/vendor-a-juki, the registry answering


def response_with(name: str, former: str | None = None, original: str | None = None) -> str:
    """A ResidentInquiryResponse whose resident is called ``name`` (旧氏 ``former``)."""
    body = inquiry_response_body()
    extra = f"<cmn:Original>{original}</cmn:Original>" if original is not None else ""
    body = body.replace("<cmn:Text>総務翔子</cmn:Text>", f"<cmn:Text>{name}</cmn:Text>{extra}", 1)
    if former is not None:
        body = body.replace("<cmn:DateOfBirth>", f"<cmn:FormerSurname><cmn:Text>{former}"
                            "</cmn:Text></cmn:FormerSurname><cmn:DateOfBirth>", 1)
    return body


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    return MessageValidator(builtin_catalog(), {CHIYODA: Modulus11Scheme(length=10)},
                            characters={CHIYODA: "mj", YOKOHAMA: "jisx0213"},
                            gaiji={"131016/01/vendor-x": frozenset({"\ue000"})})


def findings(validator, body: str, owner: str = CHIYODA, sender: str | None = SENDER):
    raw = envelope(body)
    return raw, validator.validate(parse_envelope(raw).body, data_owner=owner, sender=sender)


def test_mj_names_with_ivs_and_non_bmp_characters_are_valid(validator):
    for name, former in (("髙橋美咲", KUZU_IVS + "西"), ("𠮷田一郎", None), ("ROSSI VIOLA", None)):
        assert findings(validator, response_with(name, former))[1] == []


def test_a_tenant_keeping_to_jis_x_0213_gets_one_finding_per_mj_character(validator):
    raw, found = findings(validator, response_with("髙橋美咲", KUZU_IVS + "西"), owner=YOKOHAMA)
    assert [(f.rule, f.path) for f in found] == [
        ("mj_characters", NAME_TEXT), ("mj_characters", f"{RESIDENT}/cmn:FormerSurname/cmn:Text")]
    first, second = found
    assert first.line == line_of(raw, "髙橋美咲")
    assert first.message == ("U+9AD9 髙 MJ028902 (character 1): not in JIS X 0213, which 団体 "
                             "141003 requires (縮退 candidate: 高)")
    assert second.message.startswith(f"U+845B U+E0102 {KUZU_IVS} MJ022335 (character 1)")
    assert second.line == line_of(raw, KUZU_IVS)


def test_an_unmapped_private_use_character_is_refused_precisely(validator):
    raw, found = findings(validator, response_with("渡\ue000太郎"))
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.path, f.line) == ("mj_characters", NAME_TEXT, line_of(raw, "渡\ue000太郎"))
    assert f.message == ("U+E000 (character 2): private-use character (外字) with no 外字 mapping "
                         f"registered for the sender {SENDER}; send the MJ character instead")


def test_each_bad_character_is_its_own_finding(validator):
    _, found = findings(validator, response_with("\ue000\U0001F600\ue001"))
    assert [f.message.split(" (")[0] for f in found] == ["U+E000", "U+1F600 \U0001F600",
                                                         "U+E001"]
    assert "neither in JIS X 0213 nor an MJ character" in found[1].message


def test_a_sender_with_a_registered_table_may_send_its_mapped_codes(validator):
    assert findings(validator, response_with("渡\ue000太郎"), sender="131016/01/vendor-x")[1] == []
    # only the codes it registered, and only that sender
    assert findings(validator, response_with("渡\ue001太郎"), sender="131016/01/vendor-x")[1]
    assert findings(validator, response_with("渡\ue000太郎"), sender=SENDER)[1]


def test_an_ivs_sequence_outside_mj_and_a_lone_selector_are_refused(validator):
    _, found = findings(validator, response_with("葛\U000E0100西"))
    assert "outside the Moji_Joho collection" in found[0].message
    _, found = findings(validator, response_with("\U000E0102西"))
    assert "no character before it" in found[0].message


def test_the_original_of_a_shrunk_name_is_valid_and_checked(validator):
    assert findings(validator, response_with("高橋美咲", original="髙橋美咲"))[1] == []
    _, found = findings(validator, response_with("高橋美咲", original="\ue000橋美咲"))
    assert [f.path for f in found] == [f"{RESIDENT}/cmn:Name/cmn:Original"]


def test_validation_never_changes_the_text(validator):
    raw = envelope(response_with("髙橋美咲", KUZU_IVS + "西"))
    env = parse_envelope(raw)
    validator.validate(env.body, data_owner=YOKOHAMA, sender=SENDER)
    texts = [t.text for t in env.body.iter("{urn:pfbus:platform:common:v1}Text")]
    assert "髙橋美咲" in texts and KUZU_IVS + "西" in texts


def test_the_jisx0213_rule_ignores_the_tenant():
    rule = make_character_rule("jisx0213_characters")
    problem = rule.problem("𠮷田", RuleContext(characters="mj"))
    assert problem == ("U+20BB7 𠮷 MJ032129 (character 1): not in JIS X 0213, which this field "
                       "requires (縮退 candidate: 吉)",)
    assert rule.problem("吉田", RuleContext()) is None


def test_the_hub_accepts_registered_gaiji_from_the_sender_named_in_the_header():
    catalog = builtin_catalog()
    provider = Provider("vendor-a-juki", "http://127.0.0.1:9001/soap", 10.0)
    inspector = Inspector(catalog, MessageValidator(catalog, gaiji={SENDER: frozenset("\ue000")}),
                          ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry", provider, 3.0)]))
    request = inspector.inspect_request(envelope(inquiry_body(), request_header()))

    def reply(name: str) -> bytes:
        return envelope(response_with(name), request.header.reply(request.envelope.raw))

    assert not inspector.inspect_response(reply("渡\ue000太郎"), request).is_fault
    with pytest.raises(HubFault) as info:
        inspector.inspect_response(reply("渡\ue001太郎"), request)
    assert info.value.fault is faults.PROVIDER_INVALID
    assert info.value.first.rule == "mj_characters" and "U+E001" in info.value.first.message
    assert info.value.first.path == NAME_TEXT
    assert uuid.UUID(info.value.message_id)
