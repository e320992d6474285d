"""The character defects of the independent adapter: a text layer that normalises, folds or
re-encodes on the way out, and the helpers of those legacy layers (code pages, half-width kana)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .standard import CMN


class CharacterLayer:
    """Mixed into Adapter: ``self.defect`` chooses what the layer does to an answer's text."""

    defect: str | None

    def _degrade_text(self, response) -> None:
        """The character defects: a text layer that normalises on the way out."""
        change, scope = {
            "nfc-everywhere": (lambda t: unicodedata.normalize("NFC", t), response),
            "nfkc-address": (lambda t: unicodedata.normalize("NFKC", t), f"{{{CMN}}}Address"),
            "nfkc-name-text": (lambda t: unicodedata.normalize("NFKC", t), f"{{{CMN}}}Name"),
            "cp932-storage": (lambda t: t.replace("\u2212", "\uff0d"), response),
            "extract-nfkc": (lambda t: unicodedata.normalize("NFKC", t),
                             response if "FullExtract" in response.tag else None),
            # the reading written the way the vendor's own screens keep it: half-width
            "kana-half-width": (_half_width_kana, f"{{{CMN}}}Kana"),
            "katagaki-nfkd": (lambda t: unicodedata.normalize("NFKD", t), f"{{{CMN}}}Katagaki"),
            "wave-dash-cp932": (lambda t: t.replace("\u301c", "\uff5e"), response),
            "banchi-minus-to-hyphen": (lambda t: t.replace("\u2212", "-"), f"{{{CMN}}}Banchi"),
            "former-surname-nfc": (lambda t: unicodedata.normalize("NFC", t),
                                   f"{{{CMN}}}FormerSurname"),
            # utf8mb3 storage: characters beyond the BMP (𠮷, IVS selectors) become 〓
            "nonbmp-geta-everywhere": (lambda t: re.sub("[\U00010000-\U0010FFFF]", "〓", t),
                                       response),
            "name-spaces-removed": (lambda t: re.sub("[ \u3000]", "", t), f"{{{CMN}}}Name"),
            "hashigo-taka-folded": (lambda t: t.translate(_JIS0208_FOLD), response),
            "address-digits-narrowed": (lambda t: t.translate(_NARROW_DIGITS),
                                        f"{{{CMN}}}Address"),
            "katagaki-sjis-14-bytes": (lambda t: _truncate_bytes(t, 14, "cp932"),
                                       f"{{{CMN}}}Katagaki"),
            "name-half-width-widened": (
                lambda t: re.sub("[\uff61-\uff9f]+",
                                 lambda m: unicodedata.normalize("NFKC", m[0]), t),
                f"{{{CMN}}}Name"),
            "kana-nfd": (lambda t: unicodedata.normalize("NFD", t), f"{{{CMN}}}Kana"),
            "former-surname-ivs-stripped": (
                lambda t: "".join(c for c in t if not 0xE0100 <= ord(c) <= 0xE01EF),
                f"{{{CMN}}}FormerSurname"),
            "katagaki-half-width-widened": (
                lambda t: re.sub("[\uff61-\uff9f]+",
                                 lambda m: unicodedata.normalize("NFKC", m[0]), t),
                f"{{{CMN}}}Katagaki"),
            # the sixth batch: 全銀-style readings (no small kana), a reading table without ヴ,
            # 全角-only columns, and 番地 printed in kanji numerals
            "kana-small-to-large": (lambda t: t.translate(_SMALL_KANA), f"{{{CMN}}}Kana"),
            "kana-vu-folded": (lambda t: re.sub("ヴ[ァィェォ]?", lambda m: _VU[m[0]], t),
                               f"{{{CMN}}}Kana"),
            "katagaki-digits-widened": (lambda t: t.translate(_WIDE_DIGITS),
                                        f"{{{CMN}}}Katagaki"),
            "banchi-kanji-numerals": (lambda t: t.translate(_KANJI_DIGITS), f"{{{CMN}}}Banchi"),
        }.get(self.defect, (None, None))
        if self.defect == "resident-kind-foreigner-3":  # the vendor's legacy code: 3 外国人
            for el in response.iter(f"{{{CMN}}}ResidentKind"):
                el.text = "3" if el.text == "2" else el.text
        if self.defect == "dates-shifted-via-utc":  # midnight JST formatted as a UTC date
            for el in response.iter(f"{{{CMN}}}DateOfBirth", f"{{{CMN}}}BecameResidentOn",
                                    f"{{{CMN}}}AddressFixedOn"):
                el.text = (dt.date.fromisoformat(el.text) - dt.timedelta(days=1)).isoformat()
        if change is None or scope is None:
            return
        roots = [scope] if not isinstance(scope, str) else list(response.iter(scope))
        for root in roots:
            for el in root.iter():
                if el.text:
                    el.text = change(el.text)



def _truncate_bytes(text: str, limit: int, codec: str) -> str:
    """What fits in a column of ``limit`` bytes in ``codec`` (characters kept whole)."""
    out = ""
    for c in text:
        if len((out + c).encode(codec, "replace")) > limit:
            break
        out += c
    return out


def _cesu8(char: str) -> bytes:
    """A character beyond the BMP as CESU-8: its two UTF-16 surrogates, 3 bytes each."""
    hi, lo = divmod(ord(char) - 0x10000, 0x400)
    return (chr(0xD800 + hi) + chr(0xDC00 + lo)).encode("utf-8", "surrogatepass")




_NARROW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_WIDE_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_KANJI_DIGITS = str.maketrans("0123456789０１２３４５６７８９", "〇一二三四五六七八九" * 2)
_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VU = {"ヴ": "ブ", "ヴァ": "バ", "ヴィ": "ビ", "ヴェ": "ベ", "ヴォ": "ボ"}
# JIS X 0208 fallbacks of a legacy character layer: 髙 → 高, 﨑 → 崎, 德 → 徳, 濵 → 濱
_JIS0208_FOLD = str.maketrans("髙﨑德濵", "高崎徳濱")


def _half_width_kana(text: str) -> str:
    """Full-width katakana → half-width (the inverse of NFKC for kana): a legacy layout."""
    out = []
    for c in text:
        decomposed = unicodedata.normalize("NFD", c)
        base, marks = decomposed[0], decomposed[1:]
        half = _HALF.get(base, base)
        out.append(half + "".join({"\u3099": "\uff9e", "\u309a": "\uff9f"}.get(m, m)
                                  for m in marks))
    return "".join(out)


_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
