"""Rules judging many values at once (Rule.all_pass, issue 13 item 2: big messages).

The validator gathers a body's texts by element name and lets each rule judge all of its values
in one call. Each rule's ``all_pass`` must say exactly what ``problem`` says value by value, and
a big answer's findings — valid or not, wherever the defect is — must stay the walk's.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bus.core.envelope import parse_envelope
from bus.core.identifiers import Modulus11Scheme, NoCheckDigit
from bus.core.rules import WHITESPACE, RuleContext
from bus.core.validator import MessageValidator
from messages import (ADDRESSEE_10, ADDRESSEE_BAD, CHIYODA, CMN_NS, INDIVIDUAL_NUMBER, JUKI_NS,
                      JUKI_SYSTEM, YOKOHAMA, builtin_catalog, envelope, resident_xml)

KUZU_IVS = "葛\U000E0102"  # MJ022335

# what names and codes are made of here: JIS X 0213, MJ (with and without IVS), combining marks
# that pair with a kana before them, selectors alone, private use (外字), whitespace, digits
PIECES = ["総務", "翔子", "か", "\u309a", "\u0300", "ㇷ", "髙", "𠮷", KUZU_IVS, "葛\U000E0100",
          "\U000E0102", "\ue000", "\U000F0001", "\u3000", " ", "\t", "\n", "\r", "ROSSI", "1",
          "01", "2", "3", "99", "A01", "\ufe00", "é", "\x85"]
TEXTS = st.lists(st.one_of(st.none(), st.lists(st.sampled_from(PIECES), max_size=5).map("".join),
                           st.text(max_size=4)), max_size=8)
DIGITS = st.lists(st.one_of(
    st.none(), st.sampled_from([INDIVIDUAL_NUMBER, ADDRESSEE_10, ADDRESSEE_BAD, "123456789010",
                                f" {INDIVIDUAL_NUMBER}\n", "12345678901８", "0000123455 "]),
    st.text(alphabet="0123456789 \t", max_size=13)), max_size=8)
CONTEXTS = [RuleContext(), RuleContext(characters="jisx0213", owner=YOKOHAMA),
            RuleContext(gaiji=frozenset({"\ue000"}), sender="131016/01/x"),
            RuleContext(Modulus11Scheme(length=10)), RuleContext(NoCheckDigit(length=10)),
            RuleContext(Modulus11Scheme(weights=(3, 7), remainder_one=1))]


def _rules():
    seen = {}
    for node in builtin_catalog().plan.roots.values():
        pending, visited = [node], set()
        while pending:
            at = pending.pop()
            if id(at) in visited:
                continue
            visited.add(id(at))
            for rule in at.rules:
                seen.setdefault(rule.name, rule)
            pending.extend(at.children.values())
    return seen


RULES = _rules()


def test_the_catalog_binds_every_kind_of_rule():
    assert {"mj_characters", "individual_number", "addressee_number", "local_gov_code",
            "codelist:gender"} <= set(RULES)


def _value_by_value(rule, texts, ctx) -> bool:
    return all(rule.problem((t or "").strip(WHITESPACE), ctx) is None for t in texts)


@pytest.mark.parametrize("name", sorted(RULES))
@settings(max_examples=150, deadline=None)
@given(texts=st.one_of(TEXTS, DIGITS))
def test_all_pass_says_what_problem_says_value_by_value(name, texts):
    rule = RULES[name]
    for ctx in CONTEXTS:
        assert rule.all_pass(texts, ctx) == _value_by_value(rule, texts, ctx), (texts, ctx)


def test_a_combining_mark_is_not_paired_across_two_values():
    rule = RULES["mj_characters"]
    for texts in (["か", "\u309a"], ["か\u309a", "\u309a"], ["ROSSI", "\U000E0102"]):
        assert rule.all_pass(texts, RuleContext()) == _value_by_value(rule, texts, RuleContext())


def _big_answer(members: int, defect: int | None = None, **change) -> bytes:
    """An answer of ``members`` household members; member ``defect`` carries ``change``."""
    household = "".join(resident_xml("cmn:Member", **(change if i == defect else {}))
                        for i in range(members))
    body = (f'<juki:ResidentInquiryResponse xmlns:juki="{JUKI_NS}" xmlns:cmn="{CMN_NS}">'
            f"<juki:Status>found</juki:Status>{resident_xml()}<juki:Household>"
            f"<cmn:HouseholdNumber>0000000019</cmn:HouseholdNumber>"
            f"<cmn:HeadName><cmn:Text>総務翔子</cmn:Text></cmn:HeadName>{household}"
            f"</juki:Household></juki:ResidentInquiryResponse>")
    return envelope(body)


DEFECTS = [
    {}, {"addressee": ADDRESSEE_BAD}, {"individual": "123456789010"}, {"gender": "3"},
    {"relationship": "99"}, {"resident_kind": "9"}, {"addressee": "00001234"},
]


@pytest.mark.parametrize("change", DEFECTS)
@pytest.mark.parametrize("where", [0, 57, 109])
@pytest.mark.parametrize("owner", [CHIYODA, YOKOHAMA])
def test_a_big_answers_findings_are_the_walks(change, where, owner, monkeypatch):
    validator = MessageValidator(builtin_catalog(), {CHIYODA: Modulus11Scheme(length=10)},
                                 characters={CHIYODA: "mj", YOKOHAMA: "jisx0213"})
    raw = _big_answer(110, where, **change)
    if where == 57 and owner == YOKOHAMA:  # a name outside JIS X 0213 too, for that tenant
        raw = raw.replace("総務翔子".encode(), "髙橋美咲".encode(), 40)
    env = parse_envelope(raw)

    def findings() -> list:
        return [(f.rule, f.message, f.path, f.line) for f in
                validator.validate(env.body, None, owner, str(JUKI_SYSTEM))]

    through_all_pass = findings()
    monkeypatch.setattr(validator, "_passes", lambda el, node, ctx, *_: False)  # the walk alone
    assert through_all_pass == findings()
    assert bool(through_all_pass) == bool(change or (where == 57 and owner == YOKOHAMA))


@settings(max_examples=400, deadline=None)
@given(number=st.text(alphabet="0123456789", min_size=10, max_size=13) | st.text(max_size=13),
       weights=st.sampled_from([(2, 3, 4, 5, 6, 7), (3, 7), (1,)]),
       remainder_one=st.sampled_from([0, 1]), length=st.sampled_from([None, 10, 12]))
def test_check_digits_on_the_ascii_codes_are_the_digit_by_digit_ones(number, weights,
                                                                     remainder_one, length):
    from bus.core.identifiers import individual_number_check_digit, is_valid_individual_number
    digits = len(number) >= 2 and number.isascii() and number.isdigit()
    assert is_valid_individual_number(number) == (
        len(number) == 12 and digits and int(number[11]) == individual_number_check_digit(
            number[:11]))
    scheme = Modulus11Scheme(weights, remainder_one, length)
    valid = digits and (length is None or len(number) == length) and int(
        number[-1]) == scheme.check_digit(number[:-1])
    assert (scheme.problem(number) is None) == valid


def test_every_name_bearing_the_character_rule_is_read_in_one_iteration():
    from bus.core.typeplan import rule_index
    plan = builtin_catalog().plan
    index = rule_index(plan.node_for(f"{{{JUKI_NS}}}ResidentInquiryResponse"), plan.roots)
    groups = [names for names, rules in index.groups
              if [r.name for r in rules] == ["mj_characters"]]
    assert len(groups) == 1 and {f"{{{CMN_NS}}}Text", f"{{{CMN_NS}}}Town"} <= set(groups[0])
