"""Check digits of the platform's identifiers (検査数字).

- 団体コード (local_gov_code): JIS X 0402 five digits + check digit.
- 個人番号 (individual_number): 11 digits + check digit (番号法施行令).
- 宛名番号 (addressee_number): per municipality; modulus 11 with configurable weights.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from operator import mul

_LOCAL_GOV_WEIGHTS = (6, 5, 4, 3, 2)
_INDIVIDUAL_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1))  # left to right


def weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    """Σ weight·digit, ``weights`` listed left to right, one per digit.

    These sums run for every identifier of every message, both ways (issue 13): for ASCII
    digits they are taken on the characters' codes (``ord("0")`` is 48, so Σ w·(c − 48) is
    Σ w·c − 48·Σ w), one C-level ``sum(map(mul, …))`` instead of an ``int()`` and a generator
    step per digit. Anything else is read as before, digit by digit with ``int()`` (which
    raises on what is not a digit), and must have exactly one weight per digit."""
    if len(digits) == len(weights) and digits.isascii() and digits.isdigit():
        total: int = sum(map(mul, digits.encode("ascii"), weights))
        return total - 48 * sum(weights)
    return sum(w * int(d) for w, d in zip(weights, digits, strict=True))


def local_gov_code_check_digit(first5: str) -> int:
    """団体コード: S = 6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5; check = last digit of (11 − S mod 11)."""
    return (11 - weighted_sum(first5, _LOCAL_GOV_WEIGHTS) % 11) % 10


def is_valid_local_gov_code(code: str) -> bool:
    return (len(code) == 6 and code.isascii() and code.isdigit()
            and int(code[5]) == local_gov_code_check_digit(code[:5]))


def individual_number_check_digit(first11: str) -> int:
    """個人番号: Pn weighted by Qn = n+1 (n ≤ 6) or n−5 (n ≥ 7), n counted from the right; mod 11."""
    weights = _INDIVIDUAL_WEIGHTS if len(first11) == 11 else tuple(
        n + 1 if n <= 6 else n - 5 for n in range(len(first11), 0, -1))
    r = weighted_sum(first11, weights) % 11
    return 0 if r <= 1 else 11 - r


_INDIVIDUAL_OFFSET = 48 * sum(_INDIVIDUAL_WEIGHTS)  # Σ w·ord("0"): see weighted_sum


def is_valid_individual_number(number: str) -> bool:
    # individual_number_check_digit's sum taken on the twelve ASCII codes at once (map stops
    # at the eleventh weight): the same arithmetic without its slices and checks (issue 13:
    # a 100 KB answer carries ~110 個人番号)
    if len(number) != 12 or not (number.isascii() and number.isdigit()):
        return False
    codes = number.encode("ascii")
    r = (sum(map(mul, codes, _INDIVIDUAL_WEIGHTS)) - _INDIVIDUAL_OFFSET) % 11
    return codes[11] - 48 == (0 if r <= 1 else 11 - r)


@dataclass(frozen=True)
class Modulus11Scheme:
    """宛名番号 check-digit scheme of one municipality (M11, weights cycling from the right).

    ``weights`` are applied to the digits before the check digit, starting at the rightmost;
    ``remainder_one`` says what a remainder of 1 (which would give 10) maps to. ``length`` fixes
    the total length, check digit included, when the municipality numbers with a fixed width.
    """

    weights: tuple[int, ...] = (2, 3, 4, 5, 6, 7)
    remainder_one: int = 0
    length: int | None = None

    def check_digit(self, body: str) -> int:
        r = weighted_sum(body, _cycled(self.weights, len(body))) % 11
        if r == 0:
            return 0
        if r == 1:
            return self.remainder_one
        return 11 - r

    def problem(self, number: str) -> str | None:
        """Why ``number`` is not valid under this scheme, or None when it is."""
        if not (number.isascii() and number.isdigit()) or len(number) < 2:
            return "must be at least 2 ASCII digits"
        if self.length is not None and len(number) != self.length:
            return f"must be {self.length} digits long, check digit included"
        # check_digit(number[:-1]) on the ASCII codes (weighted_sum's arithmetic, no slices)
        weights, offset = _cycled_offset(self.weights, len(number) - 1)
        r = (sum(map(mul, number.encode("ascii"), weights)) - offset) % 11
        if ord(number[-1]) - 48 != (0 if r == 0 else self.remainder_one if r == 1 else 11 - r):
            return "check digit does not match (modulus 11, weights " + \
                "-".join(map(str, self.weights)) + ")"
        return None

    def all_valid(self, numbers: Iterable[str]) -> bool:
        """Whether ``problem`` finds nothing in any of ``numbers``: its checks in one loop,
        the weights looked up once per length (a big answer carries ~110 宛名番号)."""
        size, offset = -1, 0
        weights: tuple[int, ...] = ()
        length, remainder_one = self.length, self.remainder_one
        for number in numbers:
            if len(number) != size:
                size = len(number)
                if size < 2 or (length is not None and size != length):
                    return False
                weights, offset = _cycled_offset(self.weights, size - 1)
            if not (number.isascii() and number.isdigit()):
                return False
            r = (sum(map(mul, number.encode("ascii"), weights)) - offset) % 11
            if ord(number[-1]) - 48 != (0 if r == 0 else remainder_one if r == 1 else 11 - r):
                return False
        return True


@functools.lru_cache(maxsize=64)
def _cycled(weights: tuple[int, ...], length: int) -> tuple[int, ...]:
    """``weights`` applied from the rightmost of ``length`` digits (cycling), listed left to
    right; a municipality's numbers have one or two lengths, so these are few."""
    return tuple(weights[i % len(weights)] for i in range(length - 1, -1, -1))


@functools.lru_cache(maxsize=64)
def _cycled_offset(weights: tuple[int, ...], length: int) -> tuple[tuple[int, ...], int]:
    """``_cycled`` and Σ w·ord("0") over it (weighted_sum's offset)."""
    cycled = _cycled(weights, length)
    return cycled, 48 * sum(cycled)


@dataclass(frozen=True)
class NoCheckDigit:
    """A municipality whose 宛名番号 carries no check digit: only the length is checked."""

    length: int | None = None

    def problem(self, number: str) -> str | None:
        if self.length is not None and len(number) != self.length:
            return f"must be {self.length} digits long"
        return None

    def all_valid(self, numbers: Iterable[str]) -> bool:
        return self.length is None or all(len(n) == self.length for n in numbers)


AddresseeNumberScheme = Modulus11Scheme | NoCheckDigit
DEFAULT_ADDRESSEE_SCHEME: AddresseeNumberScheme = Modulus11Scheme()
