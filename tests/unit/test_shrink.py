"""縮退 for a receiver that stores only JIS X 0213 (bus.core.shrink, adapters.sdk.characters):
name fields found through the catalog's types, the original kept in cmn:Original, the result
still valid; the hub's audit computes the same plan and records MJ names, never the name."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.sdk.characters import CharacterPolicy, GaijiTable
from adapters.vendor_a_registry import GAIJI_TABLE as VENDOR_A_TABLE
from bus.core.envelope import parse_envelope
from bus.core.shrink import CharacterAudit, Receiver, apply_shrink, plan_shrink, summary
from bus.core.validator import MessageValidator
from messages import CMN_NS, builtin_catalog, envelope, inquiry_response_body

KUZU_IVS = "葛\U000E0102"  # MJ022335
WATANABE_IVS = "邊\U000E010E"  # MJ026201
RESIDENT = "/soap:Envelope/soap:Body/juki:ResidentInquiryResponse/juki:Resident"


def c(name: str) -> str:
    return f"{{{CMN_NS}}}{name}"


def body_with(name="髙橋美咲", former=KUZU_IVS + "西", head="髙橋健一", town="霞が関"):
    xml = inquiry_response_body()
    xml = xml.replace("<cmn:Text>総務翔子</cmn:Text>", f"<cmn:Text>{name}</cmn:Text>", 1)
    xml = xml.replace("<cmn:DateOfBirth>", f"<cmn:FormerSurname><cmn:Text>{former}</cmn:Text>"
                      "</cmn:FormerSurname><cmn:DateOfBirth>", 1)
    xml = xml.replace("<cmn:HeadName><cmn:Text>総務翔子", f"<cmn:HeadName><cmn:Text>{head}", 1)
    xml = xml.replace("<cmn:Town>霞が関</cmn:Town>", f"<cmn:Town>{town}</cmn:Town>", 1)
    return parse_envelope(envelope(xml)).body


def test_apply_substitutes_names_and_keeps_each_original_right_after_its_text():
    body = body_with()
    done = apply_shrink(body, builtin_catalog())
    assert [(s.path, [ch.original.mj for ch in s.changes]) for s in done] == [
        (f"{RESIDENT}/cmn:Name/cmn:Text", ["MJ028902"]),
        (f"{RESIDENT}/cmn:FormerSurname/cmn:Text", ["MJ022335"]),
        ("/soap:Envelope/soap:Body/juki:ResidentInquiryResponse/juki:Household/cmn:HeadName/"
         "cmn:Text", ["MJ028902"])]
    resident = body.find("{urn:pfbus:unit:juki:v1}Resident")
    name = resident.find(c("Name"))
    assert [etree.QName(e).localname for e in name] == ["Text", "Original", "Kana"]
    assert (name.findtext(c("Text")), name.findtext(c("Original"))) == ("高橋美咲", "髙橋美咲")
    former = resident.find(c("FormerSurname"))
    assert (former.findtext(c("Text")), former.findtext(c("Original"))) == \
        ("葛西", KUZU_IVS + "西")
    # the result is still a valid message: the schema has room for Original, the rules pass
    assert MessageValidator(builtin_catalog()).validate(body) == []


def test_fields_without_room_for_the_original_are_left_alone():
    body = body_with(town="髙田")  # cmn:AddressTextType has no Original beside it
    apply_shrink(body, builtin_catalog())
    assert body.find(f".//{c('Town')}").text == "髙田"


def test_jis_names_are_untouched_and_an_original_is_never_added_twice():
    body = body_with(name="総務翔子", former="葛西", head="総務翔子")
    assert apply_shrink(body, builtin_catalog()) == []
    assert body.find(f".//{c('Original')}") is None
    shrunk = body_with()
    apply_shrink(shrunk, builtin_catalog())
    assert apply_shrink(shrunk, builtin_catalog()) == []
    assert len(shrunk.findall(f".//{c('Name')}/{c('Original')}")) == 1


def test_plan_is_what_apply_does_without_changing_anything():
    body = body_with()
    before = etree.tostring(body)
    plan = plan_shrink(body, builtin_catalog())
    assert etree.tostring(body) == before
    assert plan == apply_shrink(body_with(), builtin_catalog())


def test_summary_names_mj_characters_never_the_text():
    text = summary(plan_shrink(body_with(), builtin_catalog()))
    assert text == "MJ028902→U+9AD8 ×2, MJ022335→U+845B"
    assert not any(ch in text for ch in "髙高橋美咲健一葛西")


def test_the_hub_audits_only_receivers_declaring_jis_x_0213():
    audit = CharacterAudit(builtin_catalog(), {"131016/07/legacy": Receiver("jisx0213"),
                                               "131016/07/modern": Receiver("mj")})
    body = body_with()
    assert [s.changes[0].original.mj for s in audit.shrink_plan(body, "131016/07/legacy")] == \
        ["MJ028902", "MJ022335", "MJ028902"]
    assert audit.shrink_plan(body, "131016/07/modern") == []
    assert audit.shrink_plan(body, "131016/07/unknown") == []
    assert not CharacterAudit(builtin_catalog(), {"x": Receiver("mj")})


def test_the_receivers_own_gaiji_stand_in_instead_of_shrink():
    keep = frozenset({WATANABE_IVS})
    body = body_with(name=f"渡{WATANABE_IVS}太郎", former="葛西", head="総務翔子")
    assert plan_shrink(body, builtin_catalog(), keep) == []
    assert [s.changes[0].original.mj for s in plan_shrink(body, builtin_catalog())] == \
        ["MJ026201"]


# --- the SDK's policy ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vendor_a_policy():
    return CharacterPolicy(VENDOR_A_TABLE).bind(builtin_catalog())


def test_outbound_maps_the_vendors_gaiji_into_a_copy(vendor_a_policy):
    body = body_with(name="渡\ue000太郎", former="\ue003西", head="\ue001橋健一")
    out = vendor_a_policy.outbound(body)
    assert out is not body and body.find(f".//{c('Text')}").text == "渡\ue000太郎"
    texts = [t.text for t in out.iter(c("Text"))]
    assert texts[:3] == [f"渡{WATANABE_IVS}太郎", KUZU_IVS + "西", "髙橋健一"]
    assert MessageValidator(builtin_catalog()).validate(out) == []


def test_inbound_for_a_jis_only_vendor_with_gaiji():
    table = GaijiTable.from_mapping({"\uf100": "MJ026201"})
    policy = CharacterPolicy(table, "jisx0213").bind(builtin_catalog())
    body = body_with(name=f"渡{WATANABE_IVS}髙", former=KUZU_IVS + "西")
    done = policy.inbound(body)
    name = body.find(f".//{c('Name')}")
    # 邊 variant: the vendor's own 外字; 髙: 縮退; the original keeps both as sent (then the
    # vendor's codes apply to it too: it is stored by the vendor)
    assert name.findtext(c("Text")) == "渡\uf100高"
    assert name.findtext(c("Original")) == "渡\uf100髙"
    assert [ch.original.mj for s in done for ch in s.changes][:2] == ["MJ028902", "MJ022335"]


def test_policy_without_table_or_restriction_changes_nothing(vendor_a_policy):
    plain = CharacterPolicy()
    body = body_with()
    assert not plain and plain.outbound(body) is body and plain.inbound(body) == []
    assert vendor_a_policy and vendor_a_policy.unmapped("\ue000\ue0ff")[0].codepoints == "U+E0FF"
    with pytest.raises(ValueError):
        CharacterPolicy(characters="sjis")
