"""Check digits (検査数字) of 団体コード, 個人番号 and 宛名番号 (bus.core.identifiers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bus.core.identifiers import (DEFAULT_ADDRESSEE_SCHEME, Modulus11Scheme, NoCheckDigit,
                                  individual_number_check_digit, is_valid_individual_number,
                                  is_valid_local_gov_code, local_gov_code_check_digit,
                                  weighted_sum)

DIGITS = "0123456789"


# --- 団体コード -------------------------------------------------------------------------------

@pytest.mark.parametrize("code, name", [
    ("011002", "札幌市"), ("130001", "東京都"), ("131016", "千代田区"), ("141003", "横浜市"),
    ("271004", "大阪市"),
    ("011011", "札幌市中央区"),  # S mod 11 = 0: check is the last digit of 11, i.e. 1
    ("131130", "渋谷区"),  # S mod 11 = 1: check is the last digit of 10, i.e. 0
])
def test_local_gov_code_examples_are_valid(code, name):
    assert is_valid_local_gov_code(code), name
    assert local_gov_code_check_digit(code[:5]) == int(code[5])


@pytest.mark.parametrize("last", [d for d in DIGITS if d != "6"])
def test_every_other_last_digit_of_chiyoda_is_invalid(last):
    assert not is_valid_local_gov_code("13101" + last)


@pytest.mark.parametrize("code", [
    "", "13101", "1310160", "13101a", "a31016", " 131016", "131016 ",
    "１３１０１６",  # full-width digits: str.isdigit() is true for them
    "١٣١٠١٦",  # Arabic-Indic digits of 131016: int() would read them
])
def test_local_gov_code_must_be_six_ascii_digits(code):
    assert not is_valid_local_gov_code(code)


# --- 個人番号 ---------------------------------------------------------------------------------

def test_documented_individual_number_is_valid():
    assert is_valid_individual_number("123456789018")
    assert individual_number_check_digit("12345678901") == 8


@pytest.mark.parametrize("last", [d for d in DIGITS if d != "8"])
def test_other_last_digits_of_the_individual_number_are_invalid(last):
    assert not is_valid_individual_number("12345678901" + last)


@pytest.mark.parametrize("position", range(11))
def test_single_digit_mutations_of_the_body_are_invalid(position):
    number = "123456789018"
    for d in DIGITS:
        if d != number[position]:
            assert not is_valid_individual_number(number[:position] + d + number[position + 1:])


@pytest.mark.parametrize("body, check", [
    ("00000000001", 9),  # weight 2 on the rightmost digit: S=2, 11-2
    ("10000000000", 5),  # weight 6 on the 11th digit from the right: S=6, 11-6
    ("00000000005", 1),  # S=10: remainder 10 -> 1
    ("00000000006", 0),  # S=12: remainder 1 -> 0
    ("00000000031", 0),  # S=3*3+1*2=11: remainder 0 -> 0
])
def test_individual_number_weights_and_remainders(body, check):
    assert individual_number_check_digit(body) == check
    assert is_valid_individual_number(body + str(check))


@pytest.mark.parametrize("number", [
    "", "12345678901", "1234567890180", "12345678901a", "１２３４５６７８９０１８",
])
def test_individual_number_must_be_twelve_ascii_digits(number):
    assert not is_valid_individual_number(number)


@given(st.text(alphabet=DIGITS, min_size=11, max_size=11))
def test_appending_the_check_digit_gives_the_only_valid_number(body):
    check = individual_number_check_digit(body)
    assert 0 <= check <= 9
    assert is_valid_individual_number(body + str(check))
    for d in DIGITS:
        if int(d) != check:
            assert not is_valid_individual_number(body + d)


@given(st.text(alphabet=DIGITS, min_size=5, max_size=5))
def test_local_gov_code_check_digit_is_the_only_valid_one(first5):
    check = local_gov_code_check_digit(first5)
    assert [d for d in DIGITS if is_valid_local_gov_code(first5 + d)] == [str(check)]


# --- 宛名番号: Modulus11Scheme and NoCheckDigit ------------------------------------------------

def test_default_scheme_is_modulus11_weights_2_to_7_without_fixed_length():
    assert DEFAULT_ADDRESSEE_SCHEME == Modulus11Scheme((2, 3, 4, 5, 6, 7), 0, None)


def test_modulus11_default_weights_from_the_right():
    scheme = Modulus11Scheme()
    # 123456789 from the right: 9·2+8·3+7·4+6·5+5·6+4·7+3·2+2·3+1·4 = 174; 174 mod 11 = 9 -> 2
    assert scheme.check_digit("123456789") == 2
    assert scheme.problem("1234567892") is None
    # the weights cycle: the 7th digit from the right weighs 2 again (S=2 -> 9)
    assert scheme.check_digit("1000000") == 9
    assert scheme.problem("10000009") is None


@pytest.mark.parametrize("last", [d for d in DIGITS if d != "2"])
def test_modulus11_other_last_digits_are_invalid(last):
    assert "check digit" in Modulus11Scheme().problem("123456789" + last)


def test_modulus11_remainder_zero_gives_zero():
    # 28: 8·2 + 2·3 = 22, remainder 0
    assert Modulus11Scheme().check_digit("28") == 0
    assert Modulus11Scheme().problem("280") is None


def test_modulus11_remainder_one_is_configurable():
    # 6: 6·2 = 12, remainder 1 (11 - 1 = 10 is no digit)
    assert Modulus11Scheme().problem("60") is None
    assert Modulus11Scheme().problem("61") is not None
    assert Modulus11Scheme(remainder_one=1).problem("61") is None
    assert Modulus11Scheme(remainder_one=1).problem("60") is not None


def test_modulus11_custom_weights():
    scheme = Modulus11Scheme(weights=(1, 3, 7))
    # 1234 from the right: 4·1 + 3·3 + 2·7 + 1·1 = 28; 28 mod 11 = 6 -> 5
    assert scheme.check_digit("1234") == 5
    assert scheme.problem("12345") is None
    assert Modulus11Scheme().problem("12345") is not None  # 4·2+3·3+2·4+1·5 = 30 -> 3
    assert "1-3-7" in scheme.problem("12340")


def test_modulus11_fixed_length_counts_the_check_digit():
    scheme = Modulus11Scheme(length=10)
    assert scheme.problem("0000123455") is None
    assert scheme.problem("00123455") == "must be 10 digits long, check digit included"
    assert Modulus11Scheme().problem("00123455") is None  # same check digit, no fixed length


@pytest.mark.parametrize("number", ["", "5", "12a4", "１２３", "12 3"])
def test_modulus11_needs_at_least_two_ascii_digits(number):
    assert Modulus11Scheme().problem(number) == "must be at least 2 ASCII digits"


def test_no_check_digit_checks_only_the_length():
    assert NoCheckDigit().problem("0000123456") is None
    assert NoCheckDigit().problem("1") is None
    assert NoCheckDigit(8).problem("12345678") is None
    assert NoCheckDigit(8).problem("1234567") == "must be 8 digits long"


# --- the sums on character codes (issue 13) agree with the formulas, digit by digit -------------

def _by_formula(digits: str, weights: tuple[int, ...]) -> int:
    return sum(w * int(d) for w, d in zip(weights, digits, strict=True))


@given(st.lists(st.integers(0, 9), min_size=0, max_size=20).flatmap(lambda ws: st.tuples(
    st.text(alphabet=DIGITS + "１２３٣", min_size=len(ws), max_size=len(ws)), st.just(tuple(ws)))))
def test_weighted_sum_is_the_formula(case):
    digits, weights = case
    assert weighted_sum(digits, weights) == _by_formula(digits, weights)


@pytest.mark.parametrize("digits, weights", [("123", (1, 2)), ("12", (1, 2, 3)), ("1a", (1, 2))])
def test_weighted_sum_refuses_what_the_formula_refuses(digits, weights):
    with pytest.raises(ValueError):
        _by_formula(digits, weights)
    with pytest.raises(ValueError):
        weighted_sum(digits, weights)


@given(st.text(alphabet=DIGITS, min_size=1, max_size=16),
       st.lists(st.integers(1, 10), min_size=1, max_size=8).map(tuple))
def test_modulus11_check_digit_is_the_formula(body, weights):
    s = sum(int(d) * weights[i % len(weights)] for i, d in enumerate(reversed(body)))
    r = s % 11
    assert Modulus11Scheme(weights).check_digit(body) == (0 if r == 0 else 0 if r == 1
                                                          else 11 - r)


@given(st.text(alphabet=DIGITS, min_size=11, max_size=11))
def test_individual_number_check_digit_is_the_formula(first11):
    s = sum(int(d) * (n + 1 if n <= 6 else n - 5)
            for n, d in enumerate(reversed(first11), start=1))
    assert individual_number_check_digit(first11) == (0 if s % 11 <= 1 else 11 - s % 11)
    assert is_valid_individual_number(first11 + str(individual_number_check_digit(first11)))


@given(st.text(alphabet=DIGITS, min_size=5, max_size=5))
def test_local_gov_code_check_digit_is_the_formula(first5):
    s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), first5, strict=True))
    assert local_gov_code_check_digit(first5) == (11 - s % 11) % 10


def test_the_rule_remembers_each_code_as_the_formula_decides_it(monkeypatch):
    """LocalGovCodeRule keeps each value's verdict (issue 13): asked again, and after its
    memory starts over, it says what the check digit formula says, for valid and invalid
    codes alike."""
    from bus.core import rules

    monkeypatch.setattr(rules, "MAX_KNOWN_CODES", 50)
    rule = rules.LocalGovCodeRule()
    ctx = rules.RuleContext()
    codes = [f"{n:05d}{d}" for n in range(0, 100_000, 997) for d in (0, 3, 7)]
    codes += ["13101", "1310166", "13101６", " 131016", "abcdef", ""]
    for _ in range(2):
        for code in codes:
            valid = (len(code) == 6 and code.isascii() and code.isdigit()
                     and int(code[5]) == local_gov_code_check_digit(code[:5]))
            assert (rule.problem(code, ctx) is None) is valid, code
            assert len(rule._known) <= 50
