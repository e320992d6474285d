"""Subscribers applying 異動通知 to their own layouts: vendor B (個人住民税), vendor C (国保).

Notices are built the way vendor A publishes them (its outbox's ``build_notice`` from its rows),
then applied through the SDK's IdempotentReceiver on each vendor's in-memory store.
"""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from adapters.sdk.juki_notice import changes, reason_group
from adapters.sdk.receiver import APPLIED, DUPLICATE, IdempotentReceiver, receipt_fields
from adapters.sdk.seed import with_m11_check
from adapters.vendor_a_registry.outbox import build_notice, status_after
from adapters.vendor_a_registry.store import SEED_RESIDENTS
from adapters.vendor_b_tax import notices as b_notices
from adapters.vendor_b_tax.mapping import MappingError as BMappingError
from adapters.vendor_b_tax.store import TaxStore
from adapters.vendor_c_kokuho import notices as c_notices
from adapters.vendor_c_kokuho.mapping import MappingError as CMappingError
from adapters.vendor_c_kokuho.mapping import CANDIDATE, to_halfwidth_kana
from adapters.vendor_c_kokuho.service import qualification_inquiry
from adapters.vendor_c_kokuho.store import KokuhoStore, seed
from bus.core.catalog import Catalog
from bus.core.header import Party, PlatformHeader
from bus.core.validator import MessageValidator
from schemas import BUILTIN_CATALOG

SHOKO, HARUTO, KENICHI = with_m11_check(1001), with_m11_check(1003), with_m11_check(1004)
KOKUHO = "urn:pfbus:unit:kokuho:v1"


def seed_row(number: str, **changes_) -> dict:
    row = {**next(r for r in SEED_RESIDENTS if r["宛名番号"] == number), **changes_}
    return row


def notice(*items: tuple[dict, int, str, str]) -> etree._Element:
    """A notice with one Change per (row, 異動連番, 異動事由, 異動年月日)."""
    built = [build_notice({**row, "住民状態": status_after(reason, row["住民状態"])}, seq, reason,
                          dt.date.fromisoformat(day)) for row, seq, reason, day in items]
    for extra in built[1:]:
        built[0].append(extra[0])
    return built[0]


def header() -> PlatformHeader:
    return PlatformHeader.new(sender=Party("131016", "01", "vendor-a-juki"),
                              receiver=Party("131016", "01", "hub"),
                              service_id="juki.ResidentChangeNotice", user_id="juki-batch")


@pytest.fixture
def tax():
    store = TaxStore.open()
    yield store, IdempotentReceiver(store.conn, lock=store.lock)
    store.close()


@pytest.fixture
def kokuho():
    store = KokuhoStore.open()
    seed(store)
    yield store, IdempotentReceiver(store.conn, lock=store.lock)
    store.close()


def test_changes_come_in_sequence_order_with_their_reason_groups():
    body = notice((seed_row(SHOKO), 3, "C01", "2024-06-01"), (seed_row(SHOKO), 2, "C10",
                                                               "2024-05-01"))
    assert [(s, r, d) for s, r, d, _ in changes(body)] == [(2, "C10", "2024-05-01"),
                                                            (3, "C01", "2024-06-01")]
    assert [reason_group(c) for c in ("A01", "B03", "C05")] == ["記載", "消除", "修正"]
    with pytest.raises(ValueError):
        reason_group("Z99")


# --- vendor B ------------------------------------------------------------------------------------

def test_vendor_b_keeps_a_move_in_its_own_layout_once(tax):
    store, receiver = tax
    h = header()
    body = notice((seed_row(SHOKO, 住所1="永田町", 住所2="12"), 1, "C01", "2024-05-01"))
    assert receipt_fields(receiver.receive(b_notices.apply_change_notice, h, body))[1] == APPLIED
    assert receipt_fields(receiver.receive(b_notices.apply_change_notice, h, body))[1] == \
        DUPLICATE
    row = store.addressee(SHOKO)
    assert (row["名前1"], row["名前2"], row["名前(漢字)"], row["町名"], row["丁"]) == \
        ("ソウム", "ショウコ", "総務翔子", "永田町", "十二")
    assert (row["最終異動日"], row["消除区分"], row["世帯主名"]) == (20240501, None, "総務翔子")
    (log,) = store.applied_changes(SHOKO)
    assert (log["異動連番"], log["異動事由"], log["メッセージID"], log["適用結果"]) == \
        (1, "C01", h.message_id, "applied")


def test_vendor_b_marks_deletion_its_own_way_and_a_cancellation_restores(tax):
    store, receiver = tax
    store.upsert_addressee({"宛名番号": HARUTO, "名前(漢字)": "総務陽翔", "生年月日": 20210615,
                            "性別": "M", "世帯主名": "総務翔子"})
    receiver.receive(b_notices.apply_change_notice, header(),
                     notice((seed_row(HARUTO), 1, "B03", "2024-07-07")))
    row = store.addressee(HARUTO)
    assert (row["消除区分"], row["消除日"], row["住民状態"]) == ("D", 20240707, "3")
    assert row["世帯主名"] == "総務翔子"  # not the 世帯主: what vendor B knew is kept
    receiver.receive(b_notices.apply_change_notice, header(),
                     notice((seed_row(HARUTO), 2, "A07", "2024-07-08")))
    row = store.addressee(HARUTO)
    assert (row["消除区分"], row["消除日"], row["住民状態"]) == (None, None, "1")
    receiver.receive(b_notices.apply_change_notice, header(),
                     notice((seed_row(HARUTO), 3, "B01", "2024-08-01")))
    assert store.addressee(HARUTO)["消除区分"] == "T"


def test_vendor_b_applies_in_sequence_order_and_never_goes_back(tax):
    store, receiver = tax
    receiver.receive(b_notices.apply_change_notice, header(), notice(
        (seed_row(SHOKO, 住所1="麹町"), 2, "C01", "2024-06-01"),
        (seed_row(SHOKO, 住所1="永田町"), 1, "C01", "2024-05-01")))
    assert store.addressee(SHOKO)["町名"] == "麹町"  # 1 then 2, whatever the document order
    receiver.receive(b_notices.apply_change_notice, header(),
                     notice((seed_row(SHOKO, 住所1="霞が関"), 2, "C10", "2024-05-02")))
    assert store.addressee(SHOKO)["町名"] == "麹町"
    assert [(c["異動連番"], c["適用結果"]) for c in store.applied_changes(SHOKO)] == \
        [(1, "applied"), (2, "applied"), (2, "stale")]


def test_vendor_b_a_change_it_cannot_map_changes_nothing(tax):
    store, receiver = tax
    h = header()
    body = notice((seed_row(SHOKO), 1, "C01", "2024-05-01"),
                  (seed_row(HARUTO, 住所2="10000"), 1, "C01", "2024-05-01"))  # 丁 > 9999
    with pytest.raises(BMappingError):
        receiver.receive(b_notices.apply_change_notice, h, body)
    assert store.addressees() == [] and store.applied_changes() == []
    assert not receiver.seen(h.message_id)  # the hub retries; nothing half-applied meanwhile


# --- vendor C ------------------------------------------------------------------------------------

def ask(store: KokuhoStore, number: str, as_of: str) -> tuple[str, ...]:
    request = etree.Element(f"{{{KOKUHO}}}QualificationInquiryRequest")
    etree.SubElement(request, f"{{{KOKUHO}}}AddresseeNumber").text = number
    etree.SubElement(request, f"{{{KOKUHO}}}AsOf").text = as_of
    response = qualification_inquiry(store, None, request)
    assert VALIDATOR.validate(response) == []
    return tuple(response.xpath(f"string({p})", namespaces={"k": KOKUHO}) for p in (
        "k:Status", "k:Qualification/k:QualificationStatus", "k:Qualification/k:AcquiredOn",
        "k:Qualification/k:LostOn", "k:Qualification/k:InsurerNumber"))


VALIDATOR = MessageValidator(Catalog.load([BUILTIN_CATALOG]))


def apply_c(kokuho, *items) -> list:
    store, receiver = kokuho
    results = []

    def collect(conn, h, body):
        results.extend(c_notices.apply_change_notice(conn, h, body))

    receiver.receive(collect, header(), notice(*items))
    return [r[2] for r in results]


def test_vendor_c_move_in_makes_a_candidate_in_its_own_layout(kokuho):
    assert apply_c(kokuho, (seed_row(SHOKO), 1, "A01", "2024-04-01")) == ["取得候補"]
    row = kokuho[0].insured(SHOKO)
    assert (row["カナ氏名"], row["漢字氏名"], row["住所"], row["生年月日"]) == \
        ("ｿｳﾑ ｼｮｳｺ", "総務翔子", "東京都千代田区霞が関２丁目1番2号", "1990/04/01")
    assert (row["資格区分"], row["候補登録日"], row["取得事由"]) == ("0", "20240401", "01")
    assert ask(kokuho[0], SHOKO, "2024-04-02")[:3] == ("found", "candidate", "")


def test_vendor_c_birth_into_an_insured_household_acquires_at_once(kokuho):
    baby = seed_row(KENICHI, 宛名番号=with_m11_check(1010), 氏名2="はな", 氏名3="髙橋花",
                    生年月日="R06.05.05", 続柄="子", 個人番号=None, 住民票コード=None)
    assert apply_c(kokuho, (baby, 1, "A03", "2024-05-05")) == ["資格取得"]
    assert ask(kokuho[0], baby["宛名番号"], "2024-05-05")[:3] == \
        ("found", "insured", "2024-05-05")
    assert kokuho[0].insured(baby["宛名番号"])["カナ氏名"] == "ﾀｶﾊｼ ﾊﾅ"


def test_vendor_c_move_out_and_death_lose_the_qualification_the_day_after(kokuho):
    assert apply_c(kokuho, (seed_row(KENICHI), 1, "B01", "2024-09-30")) == ["資格喪失"]
    row = kokuho[0].insured(KENICHI)
    assert (row["資格区分"], row["資格喪失日"], row["喪失事由"]) == ("9", "20241001", "11")
    assert ask(kokuho[0], KENICHI, "2024-09-30")[:2] == ("found", "insured")
    assert ask(kokuho[0], KENICHI, "2024-10-01") == ("found", "lost", "1998-03-10",
                                                      "2024-10-01", "139998")
    assert ask(kokuho[0], KENICHI, "1990-01-01")[1] == "not-yet"
    misaki = with_m11_check(1005)
    assert apply_c(kokuho, (seed_row(misaki), 1, "B03", "2024-02-29")) == ["資格喪失"]
    assert kokuho[0].insured(misaki)["喪失事由"] == "12"
    # 取消し of the 消除: the qualification comes back
    assert apply_c(kokuho, (seed_row(misaki), 2, "A07", "2024-03-05")) == ["資格回復"]
    assert ask(kokuho[0], misaki, "2024-03-05")[1] == "insured"


def test_vendor_c_candidate_moving_out_is_cancelled_and_strangers_are_taken_on(kokuho):
    assert apply_c(kokuho, (seed_row(SHOKO), 1, "A01", "2024-04-01"),
                   (seed_row(SHOKO), 2, "B01", "2024-04-20")) == ["取得候補", "候補取消"]
    assert ask(kokuho[0], SHOKO, "2024-04-21")[0] == "not-found"
    # the record kept, marked, dated like a 喪失 (docs/notices.md: the state after a 消除)
    assert kokuho[0].insured(SHOKO)["資格喪失日"] == "20240421"
    # a 修正 of someone never seen carries their whole state: a candidate, as by a 転入;
    # a 消除 of someone never seen is no 国保 matter
    assert apply_c(kokuho, (seed_row(HARUTO), 1, "C01", "2024-04-01")) == ["取得候補"]
    assert kokuho[0].insured(HARUTO)["資格区分"] == CANDIDATE
    stranger = with_m11_check(1077)
    assert apply_c(kokuho, (seed_row(HARUTO, 宛名番号=stranger), 1, "B03", "2024-04-01")) == \
        ["対象外"]
    assert kokuho[0].insured(stranger) is None
    assert apply_c(kokuho, (seed_row(SHOKO), 2, "C01", "2024-04-01")) == ["旧異動"]
    assert [c["処理結果"] for c in kokuho[0].processed_changes(SHOKO)] == \
        ["取得候補", "候補取消", "旧異動"]


def test_half_width_katakana():
    assert to_halfwidth_kana("ガッコウ・ヴィオラー　パ") == "ｶﾞｯｺｳ･ｳﾞｨｵﾗｰ ﾊﾟ"
    assert to_halfwidth_kana("ヰヱヶ") == "ｲｴｹ"  # 縮退: no half-width forms
    with pytest.raises(CMappingError):
        to_halfwidth_kana("かな")  # hiragana is not a reading vendor C can keep
