"""Check digits of the platform's identifiers (検査数字).

- 団体コード (local_gov_code): JIS X 0402 five digits + check digit.
- 個人番号 (individual_number): 11 digits + check digit (番号法施行令).
- 宛名番号 (addressee_number): per municipality; modulus 11 with configurable weights.
"""

from __future__ import annotations

from dataclasses import dataclass


def local_gov_code_check_digit(first5: str) -> int:
    """団体コード: S = 6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5; check = last digit of (11 − S mod 11)."""
    s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), first5, strict=True))
    return (11 - s % 11) % 10


def is_valid_local_gov_code(code: str) -> bool:
    return (len(code) == 6 and code.isascii() and code.isdigit()
            and int(code[5]) == local_gov_code_check_digit(code[:5]))


def individual_number_check_digit(first11: str) -> int:
    """個人番号: Pn weighted by Qn = n+1 (n ≤ 6) or n−5 (n ≥ 7), n counted from the right; mod 11."""
    s = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(first11), start=1))
    r = s % 11
    return 0 if r <= 1 else 11 - r


def is_valid_individual_number(number: str) -> bool:
    return (len(number) == 12 and number.isascii() and number.isdigit()
            and int(number[11]) == individual_number_check_digit(number[:11]))


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
        s = sum(int(d) * self.weights[i % len(self.weights)] for i, d in enumerate(reversed(body)))
        r = s % 11
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
        if int(number[-1]) != self.check_digit(number[:-1]):
            return "check digit does not match (modulus 11, weights " + \
                "-".join(map(str, self.weights)) + ")"
        return None


@dataclass(frozen=True)
class NoCheckDigit:
    """A municipality whose 宛名番号 carries no check digit: only the length is checked."""

    length: int | None = None

    def problem(self, number: str) -> str | None:
        if self.length is not None and len(number) != self.length:
            return f"must be {self.length} digits long"
        return None


AddresseeNumberScheme = Modulus11Scheme | NoCheckDigit
DEFAULT_ADDRESSEE_SCHEME: AddresseeNumberScheme = Modulus11Scheme()
