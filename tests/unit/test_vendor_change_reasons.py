"""Every 異動事由 of the change_reason code list, through every reference adapter, for a person
the adapter already knows and for one it has never seen (table-driven from the code list, so a
reason added to it is covered automatically).

Vendor A records the change (its 住民 row and outbox notice in one transaction); vendors B and C
apply the notice vendor A publishes through the SDK's IdempotentReceiver. Every change carries a
new address (永田町12), so each test also sees that the change reached the vendor's own layout.
"""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3

import pytest

from adapters.sdk.juki_notice import DELETED, MODIFIED, RECORDED, reason_group
from adapters.sdk.receiver import APPLIED, IdempotentReceiver, receipt_fields
from adapters.sdk.seed import with_m11_check
from adapters.sdk.upsert import IncompleteRow, upsert
from adapters.vendor_a_registry.outbox import build_notice, status_after
from adapters.vendor_a_registry.store import SEED_RESIDENTS, RegistryStore
from adapters.vendor_a_registry.store import seed as seed_registry
from adapters.vendor_b_tax import notices as b_notices
from adapters.vendor_b_tax.store import TaxStore
from adapters.vendor_c_kokuho import notices as c_notices
from adapters.vendor_c_kokuho.mapping import CANDIDATE
from adapters.vendor_c_kokuho.store import KokuhoStore
from adapters.vendor_c_kokuho.store import seed as seed_kokuho
from bus.core.header import Party, PlatformHeader
from schemas import BUILTIN_CATALOG

with (BUILTIN_CATALOG.parent / "codelists" / "change_reason.csv").open(encoding="utf-8-sig") as f:
    REASONS = [row["code"] for row in csv.DictReader(f)]

KNOWN = with_m11_check(1004)  # 髙橋健一: in vendor A's registry and insured at vendor C
STRANGER = with_m11_check(1001)  # 総務翔子: in vendor A's registry, unknown to vendor C
NEW = with_m11_check(1090)  # nobody's: moves in
MOVED = {"住所1": "永田町", "住所2": "12"}


def resident(number: str) -> dict:
    base = next((r for r in SEED_RESIDENTS if r["宛名番号"] == number), None)
    if base is None:  # a newcomer: the registry's first record of them
        base = {**next(r for r in SEED_RESIDENTS if r["宛名番号"] == STRANGER),
                "宛名番号": number, "世帯番号": with_m11_check(5090), "個人番号": None,
                "住民票コード": None, "続柄": "世帯主"}
    return {**base, **MOVED}


def notice_of(number: str, sequence: int, reason: str):
    row = resident(number)
    return build_notice({**row, "住民状態": status_after(reason, row["住民状態"])}, sequence,
                        reason, dt.date(2024, 6, 1))


def header() -> PlatformHeader:
    return PlatformHeader.new(sender=Party("131016", "01", "vendor-a-juki"),
                              receiver=Party("131016", "01", "hub"),
                              service_id="juki.ResidentChangeNotice", user_id="juki-batch")


def test_the_code_list_has_every_group():
    assert {reason_group(r) for r in REASONS} == {RECORDED, DELETED, MODIFIED}


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("who", ["known", "new"])
def test_vendor_a_records_every_change(reason, who):
    store = RegistryStore.open()
    try:
        seed_registry(store)
        number = KNOWN if who == "known" else NEW
        row = {**resident(number), "住民状態": status_after(reason, "住民")}
        entry = store.record_change(row, reason, "2024-06-01")
        assert (entry["宛名番号"], entry["異動事由"], entry["異動連番"]) == (number, reason, 1)
        kept = store.resident_by_addressee_number(number)
        assert (kept["住所1"], kept["住民状態"]) == ("永田町", row["住民状態"])
    finally:
        store.close()


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("who", ["known", "new"])
def test_vendor_b_applies_every_change(reason, who):
    store = TaxStore.open()
    receiver = IdempotentReceiver(store.conn, lock=store.lock)
    try:
        sequence = 1
        if who == "known":  # vendor B knows them from an earlier notice
            receiver.receive(b_notices.apply_change_notice, header(),
                             notice_of(KNOWN, 1, "C10"))
            store.conn.execute('UPDATE "宛名" SET "町名" = \'旧町\' WHERE "宛名番号" = ?',
                               (KNOWN,))
            store.conn.commit()
            sequence = 2
        number = KNOWN if who == "known" else NEW
        receipt = receiver.receive(b_notices.apply_change_notice, header(),
                                   notice_of(number, sequence, reason))
        assert receipt_fields(receipt)[1] == APPLIED
        assert store.applied_changes(number)[-1]["適用結果"] == b_notices.APPLIED
        row = store.addressee(number)
        assert row["町名"] == "永田町" and row["最終異動日"] == 20240601
        assert (row["消除区分"] is not None) == (reason_group(reason) == DELETED)
    finally:
        store.close()


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("who", ["known", "new"])
def test_vendor_c_applies_every_change(reason, who):
    store = KokuhoStore.open()
    receiver = IdempotentReceiver(store.conn, lock=store.lock)
    try:
        seed_kokuho(store)
        number = KNOWN if who == "known" else STRANGER
        before = store.insured(number)
        receipt = receiver.receive(c_notices.apply_change_notice, header(),
                                   notice_of(number, 1, reason))
        assert receipt_fields(receipt)[1] == APPLIED
        (done,) = store.processed_changes(number)
        row = store.insured(number)
        if who == "new" and reason_group(reason) == DELETED:
            assert (done["処理結果"], row) == ("対象外", None)  # not a 国保 matter
            return
        if who == "new" and reason_group(reason) == MODIFIED:  # the whole state: a candidate
            assert (done["処理結果"], row["資格区分"]) == ("取得候補", CANDIDATE)
        assert row is not None and row["資格区分"] is not None
        assert row["住所"].startswith("東京都千代田区永田町")
        if who == "known":
            assert row["被保険者ID"] == before["被保険者ID"]  # updated in place
            assert row["資格取得日"] == before["資格取得日"] or done["処理結果"] == "資格取得"
    finally:
        store.close()


def test_upsert_updates_only_what_it_is_given_and_names_missing_columns():
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE t ("k" TEXT PRIMARY KEY, "a" TEXT NOT NULL, "b" TEXT, '
                 '"c" TEXT NOT NULL DEFAULT \'x\')')
    assert upsert(conn, "t", ("k",), {"k": "1", "a": "A", "b": "B"}) == "inserted"
    assert upsert(conn, "t", ("k",), {"k": "1", "b": "B2"}) == "updated"  # a is kept
    assert conn.execute("SELECT a, b, c FROM t").fetchall() == [("A", "B2", "x")]
    with pytest.raises(IncompleteRow, match='a new t row needs a') as refused:
        upsert(conn, "t", ("k",), {"k": "2", "b": "B"})
    assert refused.value.missing == ("a",)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
