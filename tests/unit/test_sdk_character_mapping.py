"""The SDK's 外字 mapping of a body (adapters/sdk/characters.py) finds the texts to change with
one XPath instead of a Python step per element: it must change exactly what a walk over every
element's text, tail (not the root's) and attributes changes — and nothing in a body without
the table's characters (no copy then)."""

from __future__ import annotations

import copy

from lxml import etree

from adapters.sdk.characters import CharacterPolicy, _map_text
from bus.core.gaiji import GaijiTable

WATANABE_IVS = "邊\U000E010E"
TABLE = GaijiTable.from_mapping({"\ue000": "MJ026201", "\ue001": "MJ028902",
                                 "\ue002": "MJ032129"})


def walk(root: etree._Element, convert) -> None:
    """The reference: every element of the subtree, one at a time (the SDK's former way)."""
    for el in root.iter(etree.Element):
        if el.text:
            el.text = convert(el.text)
        if el is not root and el.tail:
            el.tail = convert(el.tail)
        for name, value in el.attrib.items():
            el.set(name, convert(value))


DOCUMENT = (
    '<outer>before<r a="x\ue002" b="plain">'
    '<n>渡\ue000太郎</n>tail \ue001<!-- \ue000 in a comment -->after \ue001'
    '<m><![CDATA[\ue000 in CDATA]]> then \ue001</m>'
    f'<k z="{WATANABE_IVS}">{WATANABE_IVS}と邊</k>'
    '<e/><deep><deeper>\U00020BB7 \ue002</deeper></deep>'
    '</r>root tail \ue000</outer>')


def test_the_mapped_texts_are_those_a_walk_over_every_element_maps():
    # a few characters (one XPath) and many (which occur is looked up first)
    many = "".join(chr(c) for c in range(0xE003, 0xE010))
    for convert, chars in ((TABLE.to_standard, "\ue000\ue001\ue002"),
                           (TABLE.to_standard, "\ue000\ue001\ue002" + many),
                           (TABLE.from_standard, "邊髙\U00020BB7"),
                           (TABLE.from_standard, "邊髙\U00020BB7" + many)):
        ours = etree.fromstring(DOCUMENT)
        reference = copy.deepcopy(ours)
        _map_text(ours[0], convert, chars)
        walk(reference[0], convert)
        assert etree.tostring(ours) == etree.tostring(reference)
    assert "\ue000" in etree.fromstring(DOCUMENT)[0].tail  # the root's own tail: not its text


def test_outbound_copies_only_a_body_it_changes():
    policy = CharacterPolicy(TABLE)
    plain = etree.fromstring("<r><n>総務翔子</n><k>渡邊</k></r>")
    assert policy.outbound(plain) is plain
    body = etree.fromstring("<r><n>総務翔子</n><k>渡\ue000</k></r>")
    out = policy.outbound(body)
    assert out is not body and out.findtext("k") == f"渡{WATANABE_IVS}"
    assert body.findtext("k") == "渡\ue000"


def test_inbound_maps_the_kept_mj_sequences_back_to_codes_in_place():
    policy = CharacterPolicy(TABLE)
    body = etree.fromstring(f"<r><n>渡{WATANABE_IVS}</n><k>渡邊 \U00020BB7</k><j>髙</j></r>")
    assert policy.inbound(body) == []
    assert [el.text for el in body] == ["渡\ue000", "渡邊 \ue002", "\ue001"]


def test_inbound_of_a_standardized_body_scans_it_once_less(monkeypatch):
    """The provider standardizes a request before validating it: its ``inbound`` then does
    not repeat that scan of the whole body, and the body comes out the same."""
    from adapters.sdk import characters

    scans = []
    real = characters._texts_with
    monkeypatch.setattr(characters, "_texts_with", lambda root, chars: scans.append(chars)
                        or real(root, chars))
    policy = CharacterPolicy(TABLE, "jisx0213")
    text = f"<r><n>渡\ue000</n><k>渡{WATANABE_IVS} \U00020BB7</k></r>"
    twice, once = etree.fromstring(text), etree.fromstring(text)
    policy.standardize(twice)
    policy.inbound(twice)
    assert len(scans) == 3
    scans.clear()
    policy.standardize(once)
    policy.inbound(once, standardized=True)
    assert len(scans) == 2
    assert etree.tostring(once) == etree.tostring(twice)
    assert [el.text for el in once] == ["渡\ue000", "渡\ue000 \ue002"]


def test_an_ascii_body_is_not_searched_for_a_tables_characters(monkeypatch):
    """A table's characters are never ASCII: a body whose text is all ASCII (a request padded
    with white space) holds none of them, known without a scan; ASCII ones are still found."""
    from adapters.sdk import characters

    searched = []
    real = characters._any_of
    monkeypatch.setattr(characters, "_any_of", lambda chars: searched.append(chars)
                        or real(chars))
    body = etree.fromstring("<r a='x'><n>sato</n>" + " " * 1000 + "</r>")
    assert characters._texts_with(body, "\ue000\ue001") == [] and searched == []
    assert [str(t) for t in characters._texts_with(body, "\ue000t")] == ["sato"]
    assert searched == ["t"]
    japanese = etree.fromstring("<r><n>渡\ue000</n></r>")
    assert [str(t) for t in characters._texts_with(japanese, "\ue000\ue001")] == ["渡\ue000"]
