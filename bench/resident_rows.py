"""Realistic 住民 rows (juki/pfbus-1 resident.csv) for the file linkage benchmark: households of
one to five, surnames and given names in kanji with their katakana readings — MJ characters
among them (髙, 𠮷, 﨑, 邊 with an IVS selector, 葛 and 辻 with their MJ variation sequences,
濵, 德, 栁, 齋), some 旧氏, addresses of 千代田区 with 丁目, 番地 and 方書 (building and room).
Every row is valid: the benchmark measures the validator's ordinary path over varied text, not
its findings. Deterministic (no randomness): row i is always the same."""

from __future__ import annotations

from collections.abc import Iterator

from adapters.sdk.seed import individual_number, resident_code
from bus.core.identifiers import DEFAULT_ADDRESSEE_SCHEME

HEADER = ("団体コード,宛名番号,世帯番号,住民票コード,個人番号,氏名,氏名フリガナ氏,氏名フリガナ名,旧氏,"
          "旧氏フリガナ,生年月日,性別,続柄,住民種別,住民状態,郵便番号,住所コード,都道府県,市区町村,町名,"
          "丁目,番地,方書,住民となった年月日,住所を定めた年月日")

SURNAMES = (("佐藤", "サトウ"), ("鈴木", "スズキ"), ("髙橋", "タカハシ"), ("田中", "タナカ"),
            ("渡邊\U000e010e", "ワタナベ"), ("伊藤", "イトウ"), ("𠮷田", "ヨシダ"), ("山本", "ヤマモト"),
            ("葛\U000e0102西", "カサイ"), ("辻\U000e0102本", "ツジモト"), ("中村", "ナカムラ"),
            ("小林", "コバヤシ"), ("加藤", "カトウ"), ("山﨑", "ヤマザキ"), ("齋藤", "サイトウ"),
            ("濵田", "ハマダ"), ("德永", "トクナガ"), ("栁田", "ヤナギダ"), ("長谷川", "ハセガワ"),
            ("五十嵐", "イガラシ"), ("大和田", "オオワダ"), ("東海林", "ショウジ"), ("小鳥遊", "タカナシ"),
            ("一", "ニノマエ"), ("勅使河原", "テシガワラ"), ("鬼塚", "オニツカ"), ("神谷", "カミヤ"),
            ("森", "モリ"), ("林", "ハヤシ"), ("清水", "シミズ"), ("斎藤", "サイトウ"), ("石井", "イシイ"))
GIVEN = (("翔子", "ショウコ", "2"), ("大輔", "ダイスケ", "1"), ("陽翔", "ハルト", "1"),
         ("美咲", "ミサキ", "2"), ("健一", "ケンイチ", "1"), ("結衣", "ユイ", "2"), ("蓮", "レン", "1"),
         ("陽菜", "ヒナ", "2"), ("一郎", "イチロウ", "1"), ("さくら", "サクラ", "2"),
         ("マリア", "マリア", "2"), ("龍之介", "リュウノスケ", "1"), ("彌生", "ヤヨイ", "2"),
         ("惠子", "ケイコ", "2"), ("祐介", "ユウスケ", "1"), ("琴音", "コトネ", "2"), ("湊", "ミナト", "1"),
         ("凜", "リン", "2"), ("吉之助", "キチノスケ", "1"), ("ひなた", "ヒナタ", "2"),
         ("瑛太", "エイタ", "1"), ("千尋", "チヒロ", "2"), ("髙志", "タカシ", "1"), ("澪", "ミオ", "2"))
TOWNS = (("霞が関", "1000013", 3), ("神田神保町", "1010051", 3), ("麹町", "1020083", 6),
         ("永田町", "1000014", 2), ("丸の内", "1000005", 3), ("九段南", "1020074", 4),
         ("外神田", "1010021", 6), ("一番町", "1020082", 0), ("紀尾井町", "1020094", 0))
BUILDINGS = ("", "", "", "霞が関ハイツ", "コーポ神保町", "麹町グランドメゾン", "ライオンズマンション九段",
             "第二德永ビル", "サンシャイン永田町", "メゾン・ド・𠮷田")
RELATIONS = ("01", "03", "06", "06", "10")  # 世帯主, 妻, 子, 子, 母


def _number(n: int) -> str:
    body = f"{n:09d}"
    return body + str(DEFAULT_ADDRESSEE_SCHEME.check_digit(body))


def resident_rows(count: int, code: str = "131016") -> Iterator[str]:
    """The header, then ``count`` rows (lines without their CRLF), sorted by 世帯番号, 宛名番号."""
    yield HEADER
    made = house = 0
    while made < count:
        house += 1
        size = min(1 + (house * 7) % 5, count - made)
        surname, surname_kana = SURNAMES[(house * 13) % len(SURNAMES)]
        town, postal, chome_max = TOWNS[house % len(TOWNS)]
        chome = str(1 + house % chome_max) if chome_max else ""
        building = BUILDINGS[house % len(BUILDINGS)]
        room = f"{building}{1 + house % 12}0{1 + house % 8}号室" if building else ""
        household = _number(50_000_000 + house)
        for member in range(size):
            made += 1
            given, given_kana, gender = GIVEN[(house * 5 + member * 11) % len(GIVEN)]
            former, former_kana = (SURNAMES[(house + 3) % len(SURNAMES)] if member == 1 and
                                   house % 3 == 0 else ("", ""))
            born = f"{1940 + (made * 7) % 80:04d}{1 + made % 12:02d}{1 + made % 28:02d}"
            since = max(f"{1990 + made % 35:04d}{1 + made % 12:02d}{1 + (made * 3) % 28:02d}", born)
            yield ",".join((
                code, _number(1_000_000 + made), household,
                resident_code(f"{2_000_000_000 + made:010d}"),
                individual_number(f"{10_000_000_000 + made:011d}"),
                f"{surname}\u3000{given}", surname_kana, given_kana, former, former_kana, born,
                gender, RELATIONS[member], "1", "1", postal, "", "東京都", "千代田区", town, chome,
                f"{1 + house % 30}番{1 + made % 20}号", room, since, since))
