"""The seventh batch's defects of the independent adapter (variants.py SEVENTH_BATCH), where they
change a whole answer or a stored name: household members read through other views, dates kept
in 和暦, readings in hiragana, CHAR columns, a vendor's 外字 table, and numbers checked with the
weights read the wrong way round. The smaller ones sit inline where they happen (provider.py,
subscriber.py, answers.py, adapter.py)."""

from __future__ import annotations

import datetime as dt
import re

from .standard import CMN, JUKI

# the vendor's 外字 table: a character outside JIS X 0208 (with its IVS selector, if any) is kept
# as a private-use code of the vendor's own — the table is not applied on the way out
_GAIJI = {"髙": "\ue001", "\U00020bb7": "\ue002", "葛\U000e0102": "\ue003", "﨑": "\ue004"}
_GRAPHEME = re.compile("(.)([\U000e0100-\U000e01ef\ufe00-\ufe0f]?)", re.S)


def gaiji_to_pua(text: str) -> str:
    """Each grapheme Shift_JIS (JIS X 0208) cannot hold → the vendor's PUA code for it."""
    def one(m: re.Match) -> str:
        grapheme = m[0]
        try:
            grapheme.encode("shift_jis")
            return grapheme
        except UnicodeEncodeError:
            return _GAIJI.get(grapheme) or chr(0xE100 + ord(m[1]) % 0x700)
    return _GRAPHEME.sub(one, text)


def mynumber_weights_from_left(number: str) -> bool:
    """個人番号 with the 施行令's weights applied from the left (n counted from the first digit)."""
    s = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(number[:11], start=1))
    r = s % 11
    return int(number[11]) == (0 if r <= 1 else 11 - r)


def _reiwa_off_by_one(text: str) -> str:
    """A 令和 date converted back with 2019 as 令和 0 (令和3年 → 2022): one year late."""
    day = dt.date.fromisoformat(text)
    if day < dt.date(2019, 5, 1):
        return text
    try:
        return day.replace(year=day.year + 1).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28).isoformat()


def _hiragana(text: str) -> str:
    """Readings as the vendor keeps them (vendor A of platform.md: そうむ しょうこ)."""
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


class SeventhBatch:
    """Mixed into Adapter: what the seventh batch's variants do to an answer's body."""

    defect: str | None

    def _seventh_answer(self, response) -> None:
        d = self.defect
        household = response.find(f"{{{JUKI}}}Household")
        members = [] if household is None else household.findall(f"{{{CMN}}}Member")
        if d == "member-individual-number-omitted":  # the household view has no 個人番号
            for m in members:
                for el in m.findall(f"{{{CMN}}}IndividualNumber"):
                    m.remove(el)
        if d == "member-relationship-unpadded":  # the household view: 続柄 a NUMBER column
            for m in members:
                el = m.find(f"{{{CMN}}}Relationship")
                el.text = str(int(el.text))
        if d == "member-former-surname-dropped":  # the household view has no 旧氏
            for m in members:
                for el in m.findall(f"{{{CMN}}}FormerSurname"):
                    m.remove(el)
        if d == "head-name-kana-dropped" and household is not None:  # 世帯 table: kanji only
            head = household.find(f"{{{CMN}}}HeadName")
            for el in head.findall(f"{{{CMN}}}Kana"):
                head.remove(el)
        if d == "empty-katagaki-written":  # an empty column written as an empty element
            for address in response.iter(f"{{{CMN}}}Address"):
                if address.find(f"{{{CMN}}}Katagaki") is None:
                    address.append(address.makeelement(f"{{{CMN}}}Katagaki"))
        if d == "wareki-reiwa-year-off-by-one":
            for el in response.iter(f"{{{CMN}}}DateOfBirth", f"{{{CMN}}}BecameResidentOn",
                                    f"{{{CMN}}}AddressFixedOn"):
                el.text = _reiwa_off_by_one(el.text)
        if d == "kana-as-hiragana":
            for kana in response.iter(f"{{{CMN}}}Kana"):
                for el in kana:
                    el.text = _hiragana(el.text)
        names = [t for n in response.iter(f"{{{CMN}}}Name", f"{{{CMN}}}HeadName",
                                          f"{{{CMN}}}FormerSurname")
                 for t in n.findall(f"{{{CMN}}}Text")]
        if d == "name-char-column-padded":  # a 全角 CHAR(10) column, padded with U+3000
            for t in names:
                t.text = t.text.ljust(10, "\u3000")
        if d == "name-gaiji-as-pua":
            for t in names:
                t.text = gaiji_to_pua(t.text)


def surrogate_references(body: bytes) -> bytes:
    """nonbmp-surrogate-references: a character beyond the BMP written as two character
    references to its UTF-16 surrogates (a Java writer escaping char by char)."""
    def refs(m: re.Match) -> bytes:
        hi, lo = divmod(ord(m[0].decode()) - 0x10000, 0x400)
        return f"&#x{0xD800 + hi:X};&#x{0xDC00 + lo:X};".encode()
    return re.sub(rb"[\xf0-\xf4][\x80-\xbf]{3}", refs, body)
