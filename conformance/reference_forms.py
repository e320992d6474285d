"""Every form of a character reference (round 19; P-EQUIV-01, S-EQUIV-01).

XML 1.0 §4.1, production [66]: ``CharRef ::= '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'`` — a
reference names any Char (§2.2: up to U+10FFFF, outside the BMP included), in decimal or in
hexadecimal with digits of either case and any number of leading zeros. The round 11
``character-references`` form writes the payload's characters alternately as ``&#NNN;`` and
``&#xHHHH;`` (upper-case digits, no zeros), so a character at an even place is never read in
hexadecimal, and the header block and attribute values are not written as references at all.

``every_form`` writes every character of every leaf text *and every attribute value* of the
header and the payload (namespace declarations excepted: their values are names, not data) as a
reference, the other way round: characters at even places in hexadecimal — lower-case digits,
upper-case digits, eight digits with leading zeros, in turn — and at odd places in decimal
with leading zeros. With the older form, each character of a message is thus read once in each
base, and a character outside the BMP (𠮷, U+20BB7: five hexadecimal digits) is among them
wherever the message carries one. Existing references (``&amp;`` …) are kept as they are.
"""

from __future__ import annotations

import re

_LEAF = re.compile(r"(<[^/!?>][^>]*(?<!/)>)([^<]+)(?=</)")
_ATTRIBUTE = re.compile(r'(\s)(?!xmlns[:=])([\w.:-]+\s*=\s*)"([^"]*)"')
_UNIT = re.compile(r"&[^;]+;|.", re.DOTALL)  # a reference already there is one unit


def _reference(i: int, c: str) -> str:
    if i % 2:
        return f"&#{ord(c):07d};"
    return (f"&#x{ord(c):x};", f"&#x{ord(c):X};", f"&#x{ord(c):08X};")[i // 2 % 3]


def _references(value: str) -> str:
    return "".join(u if len(u) > 1 else _reference(i, u)
                   for i, u in enumerate(_UNIT.findall(value)))


def every_form(text: str) -> str:
    """Every leaf text and attribute value inside soap:Header and soap:Body as references."""
    start = text.index("<soap:Header")

    def tag(m: re.Match) -> str:
        return _ATTRIBUTE.sub(lambda a: f'{a.group(1)}{a.group(2)}"{_references(a.group(3))}"',
                              m.group(0))
    inner = re.sub(r"<(?![!?/])[^>]*>", tag, text[start:])
    inner = _LEAF.sub(lambda m: m.group(1) + _references(m.group(2)), inner)
    return text[:start] + inner
