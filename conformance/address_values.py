"""Every value of an address's domain in a stored notice (住所の値域): S-PREF-01, points for the
notice grid's receiver model (grid_notices.py, step ``grid = "addresses"``).

common-v1.xsd's cmn:AddressType: PostalCode (``[0-9]{7}``, optional), AddressCode
(``[0-9]{1,16}``, optional), Prefecture, City and Town (cmn:AddressTextType: 1 to 200
characters, white space preserved, the rule ``mj_characters``), Chome (xs:positiveInteger,
optional), Banchi and Katagaki (AddressTextType, optional). A subscriber stores and receipts
every value the type admits (docs/notices.md "What a subscriber does with each change"); a
valid notice is receipted ``applied``, never refused nor answered PF-PROVIDER-INTERNAL.

Sent here, on fresh residents, a 国内転入 each:

- every 都道府県 of JIS X 0401 (``PREFECTURES``: 47, codes 01 … 47 — no code list of the
  catalog names them, and a Prefecture is free text to the XSD; the 4-character 神奈川県,
  和歌山県 and 鹿児島県 among them), one resident each, its City the prefecture's seat;
- each text part at AddressTextType's edges: every one at 1 character, every one at 200
  (``EDGES``), and one resident with only the required parts (no PostalCode, AddressCode,
  Chome, Banchi, Katagaki) beside one with every optional part — AddressCode at 1 and 16
  digits, a PostalCode with a leading zero.

Batched ``PER_NOTICE`` residents to a notice (a notice of several residents is one unit: each
change must be valid, and is), SOAP 1.1 and 1.2 in turn. Judged: each receipt (``applied``); with
``--observe`` each resident's name and count, and — when the observe command prints the optional
``address`` (docs/conformance.md) — every part but Chome character for character.
"""

from __future__ import annotations

from .grid_notices import FIRST, Change, Point, Send

TEXT_MAX = 200  # common-v1.xsd AddressTextType maxLength (minLength 1)
PER_NOTICE = 13

# JIS X 0401 都道府県コード → name, and the prefecture's seat (県庁所在地) as its City
PREFECTURES = {
    "01": ("北海道", "札幌市"), "02": ("青森県", "青森市"), "03": ("岩手県", "盛岡市"),
    "04": ("宮城県", "仙台市"), "05": ("秋田県", "秋田市"), "06": ("山形県", "山形市"),
    "07": ("福島県", "福島市"), "08": ("茨城県", "水戸市"), "09": ("栃木県", "宇都宮市"),
    "10": ("群馬県", "前橋市"), "11": ("埼玉県", "さいたま市"), "12": ("千葉県", "千葉市"),
    "13": ("東京都", "新宿区"), "14": ("神奈川県", "横浜市"), "15": ("新潟県", "新潟市"),
    "16": ("富山県", "富山市"), "17": ("石川県", "金沢市"), "18": ("福井県", "福井市"),
    "19": ("山梨県", "甲府市"), "20": ("長野県", "長野市"), "21": ("岐阜県", "岐阜市"),
    "22": ("静岡県", "静岡市"), "23": ("愛知県", "名古屋市"), "24": ("三重県", "津市"),
    "25": ("滋賀県", "大津市"), "26": ("京都府", "京都市"), "27": ("大阪府", "大阪市"),
    "28": ("兵庫県", "神戸市"), "29": ("奈良県", "奈良市"), "30": ("和歌山県", "和歌山市"),
    "31": ("鳥取県", "鳥取市"), "32": ("島根県", "松江市"), "33": ("岡山県", "岡山市"),
    "34": ("広島県", "広島市"), "35": ("山口県", "山口市"), "36": ("徳島県", "徳島市"),
    "37": ("香川県", "高松市"), "38": ("愛媛県", "松山市"), "39": ("高知県", "高知市"),
    "40": ("福岡県", "福岡市"), "41": ("佐賀県", "佐賀市"), "42": ("長崎県", "長崎市"),
    "43": ("熊本県", "熊本市"), "44": ("大分県", "大分市"), "45": ("宮崎県", "宮崎市"),
    "46": ("鹿児島県", "鹿児島市"), "47": ("沖縄県", "那覇市"),
}
TEXT_PARTS = ("Prefecture", "City", "Town", "Banchi", "Katagaki")  # AddressTextType
OPTIONAL_PARTS = ("PostalCode", "AddressCode", "Chome", "Banchi", "Katagaki")
_FILL = "東西南北上下中央本新"  # kanji of JIS X 0208 level 1: any repertoire holds them


def text_of(width: int, first: str = "") -> str:
    """An AddressTextType value of ``width`` characters (``first`` leading it)."""
    body = first + _FILL * (width // len(_FILL) + 1)
    return body[:width]


def full_address(prefecture: str, city: str) -> dict[str, str]:
    """Every part present (a PostalCode with a leading zero, a 16-digit AddressCode)."""
    return {"PostalCode": "0600001", "AddressCode": "1234567890123456", "Prefecture": prefecture,
            "City": city, "Town": "本町", "Chome": "1", "Banchi": "1番1号", "Katagaki": "県営住宅101"}


def addresses() -> list[tuple[str, dict[str, str]]]:
    """(what, the Address.* parts) of every resident S-PREF-01 sends."""
    out = [(f"{code} {pref}", {k: v for k, v in full_address(pref, city).items()
                               if k != "AddressCode" or int(code) % 2})  # with and without
           for code, (pref, city) in PREFECTURES.items()]
    out.append((f"every text part at {TEXT_MAX} characters, AddressCode of 1 digit",
                {**full_address(text_of(TEXT_MAX, "大"), text_of(TEXT_MAX, "市")),
                 "AddressCode": "0", "Town": text_of(TEXT_MAX, "町"),
                 "Banchi": text_of(TEXT_MAX, "番"), "Katagaki": text_of(TEXT_MAX, "方")}))
    out.append(("every text part at 1 character",
                {**full_address("都", "市"), "Town": "町", "Banchi": "1", "Katagaki": "棟"}))
    out.append(("only the required parts (Prefecture, City, Town)",
                {"Prefecture": "東京都", "City": "千代田区", "Town": "永田町"}))
    return out


def address_points() -> list[Point]:
    """S-PREF-01's one point: every resident of ``addresses``, ``PER_NOTICE`` to a notice."""
    values = addresses()
    sends = []
    for start in range(0, len(values), PER_NOTICE):
        changes = tuple(
            Change(k, "1", FIRST, relationship="01" if k == 0 else "02",
                   fields={f"Address.{p}": v for p, v in parts.items()})
            for k, (_, parts) in enumerate(values[start:start + PER_NOTICE], start=start))
        sends.append(Send(changes, soap="1.2" if len(sends) % 2 else "1.1"))
    what = (f"{len(values)} residents: the {len(PREFECTURES)} 都道府県 of JIS X 0401, every "
            f"address text part at 1 and at {TEXT_MAX} characters, only the required parts; "
            f"{len(sends)} notices")
    return [Point("addresses", what, len(values), tuple(sends), judge_address=True)]


def exchanges() -> int:
    return sum(len(p.steps) for p in address_points())
