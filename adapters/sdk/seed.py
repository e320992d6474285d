"""Identifiers for fictional seed data (デモ用の番号生成).

Only for building demonstration and test residents with valid check digits. Validating numbers
is the hub core's job (bus.core.identifiers); vendor adapters never reject traffic with these.
"""

from __future__ import annotations

DEMO_LOCAL_GOV_CODE = "131016"  # 千代田区 (団体コード, check digit included)
DEMO_PREFECTURE = "東京都"
DEMO_CITY = "千代田区"


def _digits(body: str, length: int | None = None) -> str:
    if not (body.isascii() and body.isdigit()) or (length is not None and len(body) != length):
        raise ValueError(f"expected {length or 'some'} ASCII digits, got {body!r}")
    return body


def m11_w27_remainder(body: str) -> int:
    """Σ digit × weight mod 11, weights 2,3,4,5,6,7,2,3… from the rightmost digit (M11W2-7)."""
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(_digits(body)))) % 11


def with_m11_check(serial: int, width: int = 9) -> str:
    """宛名番号 / 世帯番号: the zero-padded serial followed by its M11W2-7 check digit.

    Remainder 0 gives 0. Remainder 1 would give 10, and municipalities differ on what they write
    then (0, 1, or never issue the number), so the seed refuses such serials: pick another one.
    """
    body = _digits(str(serial).zfill(width), width)
    r = m11_w27_remainder(body)
    if r == 1:
        raise ValueError(f"serial {serial} has remainder 1 under M11W2-7; choose another")
    return body + str(0 if r == 0 else 11 - r)


def individual_number(first11: str) -> str:
    """個人番号: 11 digits + check digit (番号法施行令: weights 2–7 then 2–6 from the right,
    remainder 0 or 1 → 0, else 11 − remainder). ``individual_number("12345678901")`` is
    ``"123456789018"``."""
    s = sum(int(d) * (n + 1 if n <= 6 else n - 5)
            for n, d in enumerate(reversed(_digits(first11, 11)), start=1))
    r = s % 11
    return first11 + str(0 if r <= 1 else 11 - r)


def resident_code(first10: str) -> str:
    """住民票コード: 10 digits + check digit.

    The official check-digit rule was not confirmed from public sources; the seed assumes
    M11W2-7 (remainder 0 or 1 → 0). The hub binds no rule to 住民票コード, so nothing depends on it.
    """
    r = m11_w27_remainder(_digits(first10, 10))
    return first10 + str(0 if r <= 1 else 11 - r)
