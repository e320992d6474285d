"""Characters end to end over real sockets, every party its own process (tests/integration/
processes.py): vendor A's registry → hub → vendor B's tax system.

- names with MJ characters (髙, 𠮷) and a Moji_Joho IVS sequence (葛 + U+E0102) arrive byte for
  byte: the hub never rewrites a message, the SDK never normalises;
- vendor A's 外字 (its private code for 邊 + U+E010E) leaves as the MJ character through vendor
  A's table and lands as vendor B's own 外字 code through vendor B's table;
- a receiver declaring JIS X 0213 only gets the 縮退 (高橋美咲) with the registered name beside it,
  and the hub's routing log records which MJ characters were substituted, not the name;
- a 外字 vendor A's table does not map is refused, with the code point, rule and field named.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adapters.sdk.consumer import ConsumerClient, PlatformFault
from adapters.vendor_a_registry.store import SEED_RESIDENTS, RegistryStore, seed
from adapters.vendor_b_tax.linkage import resident_inquiry
from adapters.vendor_b_tax.originals import originals
from adapters.vendor_b_tax.store import TaxStore
from bus.core.header import Party

from tests.support.routing_log import wait_for_hops

from .processes import REPO, python, start_hub

pytestmark = pytest.mark.integration

MISAKI, YOSHIDA, WATANABE, UNMAPPED = "0000010057", "0000010073", "0000010081", "0000010103"
KUZU_IVS = "葛\U000E0102"  # MJ022335, 髙橋美咲's 旧氏 葛西 in vendor A's seed
WATANABE_IVS = "邊\U000E010E"  # MJ026201: vendor A's 外字 U+E000, vendor B's U+F100
REGISTRY = Party("131016", "01", "vendor-a-juki")
CMN = "urn:pfbus:platform:common:v1"


def _resident(serial_no: str, household: str, kanji: str) -> dict:
    return {**SEED_RESIDENTS[0], "宛名番号": serial_no, "世帯番号": household, "個人番号": None,
            "住民票コード": None, "氏名1": "わたなべ", "氏名2": "たろう", "氏名3": kanji}


@pytest.fixture(scope="module")
def linkage(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chars")
    store = RegistryStore.open(tmp / "a.sqlite3")
    seed(store)
    # vendor A keeps these names with its own 外字 codes: U+E000 is in its table, U+E0FF is not
    store.upsert_resident(_resident(WATANABE, "0000050059", "渡\ue000太郎"))
    store.upsert_resident(_resident(UNMAPPED, "0000050067", "渡\ue0ff太郎"))
    store.close()
    registry = python("-m", "adapters.vendor_a_registry", "--db", str(tmp / "a.sqlite3"))
    url = registry.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
    config = tmp / "hub.toml"
    config.write_text(f"""
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
[store]
routing_log = "log.sqlite3"
[[tenants]]
local_gov_code = "131016"
name = "千代田区"
addressee_number = {{ scheme = "modulus11", weights = [2, 3, 4, 5, 6, 7], length = 10 }}
[[providers]]
id = "vendor-a-juki"
url = "{url}"
[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "vendor-a-juki"
[[systems]]
party = "131016/07/vendor-b-legacy"   # a tax system that stores only JIS X 0213
characters = "jisx0213"
""", encoding="utf-8")
    hub, hub_url = start_hub(config)
    yield {"hub": hub_url, "tmp": tmp, "log": tmp / "log.sqlite3"}
    for p in (hub, registry):
        p.stop()


def fetch(linkage, addressee: str, *options: str, db: str = "b.sqlite3") -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "adapters.vendor_b_tax", "fetch-resident", "--hub",
         linkage["hub"], "--db", str(linkage["tmp"] / db), *options, addressee],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stored_bytes(path, table: str, key: str, column: str, value: str) -> bytes:
    import sqlite3
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT CAST("{column}" AS BLOB) FROM "{table}" WHERE "{key}" = ?',
                            (value,)).fetchone()[0]
    finally:
        conn.close()


def hops(linkage, message_id: str, hop: str, present: bool = True) -> list:
    """The routing log's hops of one exchange (polled until written: the log commits in the
    background), waiting up to 10 s for ``hop`` when ``present``."""
    rows = wait_for_hops(linkage["log"], message_id=message_id, done=lambda rows: any(
        h.hop == "replied" for h in rows) and (not present or any(h.hop == hop for h in rows)))
    return [h for h in rows if h.hop == hop]


def test_mj_and_ivs_names_arrive_in_vendor_b_byte_for_byte(linkage):
    for number in (MISAKI, YOSHIDA):
        result = fetch(linkage, number)
        sent = stored_bytes(linkage["tmp"] / "a.sqlite3", "住民", "宛名番号", "氏名3", number)
        kept = stored_bytes(linkage["tmp"] / "b.sqlite3", "宛名", "宛名番号", "名前(漢字)", number)
        assert kept == sent and kept.decode() in ("髙橋美咲", "𠮷田一郎")
        assert hops(linkage, result["message_id"], "shrink", present=False) == []
    # the 旧氏 with its selector, as a consumer receives it over the wire
    client = ConsumerClient(linkage["hub"], Party("131016", "07", "vendor-b-tax"), "clerk01")
    reply = client.call("juki.ResidentInquiry", REGISTRY, resident_inquiry(MISAKI))
    former = reply.body.find(f".//{{{CMN}}}FormerSurname/{{{CMN}}}Text").text
    assert former == KUZU_IVS + "西" and (KUZU_IVS + "西").encode() in reply.raw


def test_vendor_a_gaiji_goes_through_its_table_to_vendor_b_s_own_code(linkage):
    fetch(linkage, WATANABE)
    kept = TaxStore.open(linkage["tmp"] / "b.sqlite3").addressee(WATANABE)["名前(漢字)"]
    assert kept == "渡\uf100太郎"  # vendor B's 外字 for MJ026201
    # on the wire: the MJ character, no private code
    client = ConsumerClient(linkage["hub"], Party("131016", "07", "vendor-b-tax"), "clerk01")
    reply = client.call("juki.ResidentInquiry", REGISTRY, resident_inquiry(WATANABE))
    assert reply.body.find(f".//{{{CMN}}}Name/{{{CMN}}}Text").text == f"渡{WATANABE_IVS}太郎"
    assert "\ue000".encode() not in reply.raw and "\uf100".encode() not in reply.raw


def test_a_jis_only_receiver_gets_shrink_and_the_hub_logs_which_characters(linkage):
    result = fetch(linkage, MISAKI, "--system-id", "vendor-b-legacy", "--characters",
                   "jisx0213", db="legacy.sqlite3")
    store = TaxStore.open(linkage["tmp"] / "legacy.sqlite3")
    row = store.addressee(MISAKI)
    assert (row["名前(漢字)"], row["世帯主名"]) == ("高橋美咲", "高橋健一")
    assert originals(store, MISAKI) == {"名前(漢字)": "髙橋美咲", "世帯主名": "髙橋健一"}
    [shrink] = hops(linkage, result["message_id"], "shrink")
    assert shrink.status == "ok" and shrink.rule == "shrink"
    assert shrink.path.endswith("/juki:Resident/cmn:Name/cmn:Text") and shrink.line
    assert "131016/07/vendor-b-legacy" in shrink.reason
    assert "MJ028902→U+9AD8" in shrink.reason and "MJ022335→U+845B" in shrink.reason
    assert not any(ch in shrink.reason for ch in "髙高橋美咲葛西健一")  # never the name


def test_an_unmapped_gaiji_is_refused_naming_code_point_rule_and_field(linkage):
    client = ConsumerClient(linkage["hub"], Party("131016", "07", "vendor-b-tax"), "clerk01")
    with pytest.raises(PlatformFault) as info:
        client.call("juki.ResidentInquiry", REGISTRY, resident_inquiry(UNMAPPED))
    detail = info.value.detail
    assert detail.code == "PF-PROVIDER-INVALID-RESPONSE" and detail.party == "provider"
    response = "/juki:ResidentInquiryResponse"
    assert [(f.rule, f.path) for f in detail.findings] == [
        ("mj_characters", f"{response}/juki:Resident/cmn:Name/cmn:Text"),
        ("mj_characters", f"{response}/juki:Household/cmn:HeadName/cmn:Text"),
        ("mj_characters", f"{response}/juki:Household/cmn:Member/cmn:Name/cmn:Text")]
    assert all(f.message.startswith("U+E0FF (character 2): private-use character (外字) with no "
                                    "外字 mapping registered") for f in detail.findings)
    # the provider refused its own answer: nothing reached the consumer but the fault
