"""``pfbus demo migration``: a municipality changes registry vendor, end to end, on SQLite.

1. vendor A's registry holds the seeded municipality (names with vendor A's 外字 as private-use
   codes, an MJ IVS name, a non-BMP name) plus synthetic households;
2. vendor A exports to the 中間標準レイアウト (its 外字 become MJ characters, each change listed);
3. ``pfbus layout validate`` passes it; a damaged copy (Shift_JIS bytes, a duplicated record, the
   file cut off) is refused with findings that name positions, never values;
4. vendor B, which stores only JIS X 0213 plus its own 外字, rehearses the load (dry run): every
   character change by MJ文字図形名 (縮退, MJ → its 外字);
5. the load is interrupted after two batches and run again: it resumes from its checkpoint;
6. vendor B exports what it now holds and ``pfbus migrate reconcile`` compares the two extracts;
7. the hub's 住民照会 route is switched to vendor B's registry and a resident is asked for through
   the hub: the answer (from vendor B) carries the registered MJ name.
Exit status 0 only if every step did what it should.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from examples import HUB_CONFIG

from .children import ChildProcess

GAIJI_RESIDENT = "0000010049"  # 髙橋健一: 髙 is vendor A's 外字 U+E001


class _Interrupted(Exception):
    """Stands in for a crash of the import (the process is not really killed in the demo; the
    tests kill a real one)."""


def run_migration(workdir: Path, timeout: float, residents: int = 1000) -> int:
    from adapters.sdk.migration import (TargetCharacters, character_summary, export_extract,
                                        import_extract)
    from adapters.vendor_a_registry import GAIJI_TABLE as A_GAIJI
    from adapters.vendor_a_registry.migration import VendorAExporter, populate, seed_as_stored
    from adapters.vendor_a_registry.store import RegistryStore
    from adapters.vendor_b_tax import GAIJI_TABLE as B_GAIJI
    from adapters.vendor_b_tax.registry import RegistryExporter, RegistryImporter
    from adapters.vendor_b_tax.store import TaxStore

    from ..core.gaiji import GaijiTable
    from ..migration.reconcile import reconcile, summary
    from ..migration.validator import validate_extract
    from .demo_command import fail, say

    started = time.monotonic()
    a_gaiji, b_gaiji = GaijiTable.load(A_GAIJI), GaijiTable.load(B_GAIJI)

    say(f"1. vendor A's registry: the seeded municipality and {residents} synthetic residents")
    a_store = RegistryStore.open(workdir / "vendor-a.sqlite3")
    seed_as_stored(a_store, a_gaiji)
    populate(a_store, residents)
    people, households = (a_store.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                          for t in ("住民", "世帯"))
    private = Counter(f"U+{ord(c):04X}" for (name,) in a_store.conn.execute(
        'SELECT "氏名3" FROM "住民"') for c in name if 0xE000 <= ord(c) <= 0xF8FF)
    say(f"   {people} residents in {households} households; vendor A's 外字 in names: "
        + ", ".join(f"{code} ×{n}" for code, n in sorted(private.items())))

    say("\n2. vendor A exports its registry to the 中間標準レイアウト (juki/pfbus-1)")
    old = workdir / "extract-vendor-a"
    exported = export_extract(VendorAExporter(a_store), old, gaiji=a_gaiji)
    a_store.close()
    m = exported.manifest
    say("   " + ", ".join(f"{name} {e.rows} rows" for name, e in m.files.items())
        + f" + manifest.json ({exported.seconds:.1f} s)")
    for line in character_summary(m.character_changes):
        say(f"   {line}")
    if any(c.kind == "gaiji-unmapped" for c in m.character_changes):
        return fail("vendor A's export kept 外字 its table does not map")

    say("\n3. pfbus layout validate")
    t = time.monotonic()
    report = validate_extract(old)
    say(f"   {report.layout}: {report.rows} rows, "
        f"{'no findings' if report.ok else dict(report.counts)} ({time.monotonic() - t:.1f} s)")
    if not report.ok:
        return fail("vendor A's extract does not validate")
    damaged = workdir / "extract-damaged"
    shutil.copytree(old, damaged)
    data = (damaged / "resident.csv").read_bytes().splitlines(keepends=True)
    data[2] = data[2].decode("utf-8").encode("cp932", "replace")
    data.insert(5, data[4])
    (damaged / "resident.csv").write_bytes(b"".join(data)[:-7])
    broken = validate_extract(damaged)
    say("   a damaged copy (one line in Shift_JIS, one record twice, the file cut off):")
    for finding in broken.findings[:8]:
        say(f"     {finding}")
    if not {"encoding:utf8", "key:duplicate", "csv:truncated"} <= set(broken.counts):
        return fail("the damaged copy was not refused precisely")

    say("\n4. vendor B (stores JIS X 0213 and its own 外字) rehearses the load: dry run")
    b_db = workdir / "vendor-b.sqlite3"
    b_store = TaxStore.open(b_db)
    characters = TargetCharacters(b_gaiji, "jisx0213")
    importer = RegistryImporter(b_store, m.created)
    dry = import_extract(old, importer, characters=characters, dry_run=True)
    say(f"   would load {dict(dry.rows)} in {dry.batches} batches; character changes:")
    for line in character_summary(dry.changes):
        say(f"     {line}")

    say("\n5. the load, interrupted after 2 batches, then run again")

    def stop_after_two(done: int, seen: list[int] = []) -> None:  # noqa: B006 - a counter
        seen.append(done)
        if len(seen) == 2:
            raise _Interrupted
    try:
        import_extract(old, importer, characters=characters, batch_rows=500,
                       progress=stop_after_two)
        return fail("the interruption did not happen")
    except _Interrupted:
        say("   interrupted (committed batches stay, the rest was never begun)")
    resumed = import_extract(old, importer, characters=characters, batch_rows=500)
    say(f"   resumed: skipped {dict(resumed.skipped)} already loaded, loaded {dict(resumed.rows)}")
    kept = b_store.addressee(GAIJI_RESIDENT)
    if kept is None:
        return fail(f"vendor B lost 宛名番号 {GAIJI_RESIDENT} in the resumed load")
    original = b_store.conn.execute('SELECT "原字" FROM "原字" WHERE "宛名番号" = ? AND "項目" = ?',
                                    (GAIJI_RESIDENT, "名前(漢字)")).fetchone()
    say(f"   vendor B keeps 宛名番号 {GAIJI_RESIDENT} as {kept['名前(漢字)']} (縮退) with its "
        f"registered form in 原字: {original[0] if original else None}")

    say("\n6. vendor B exports what it holds; pfbus migrate reconcile OLD NEW")
    new = workdir / "extract-vendor-b"
    export_extract(RegistryExporter(b_store), new, gaiji=b_gaiji)
    b_store.close()
    result = reconcile(old, new)
    for line in summary(result):
        say(f" {line}")
    if not result.equal:
        return fail("the new registry's extract differs from the old one")

    say("\n7. the hub's 住民基本台帳 routes switch to vendor B's registry")
    code = _route_switch(workdir, b_db, timeout)
    if code:
        return code
    say(f"\ndemo migration finished in {time.monotonic() - started:.1f} s: OK")
    return 0


def switched_config(example: str, registry_url: str, workdir: Path) -> str:
    """The example hub config with a provider for vendor B's registry and the juki routes of
    131016 pointing at it."""
    from .demo_command import demo_config
    text = demo_config(example, {}, workdir)
    for service in ("juki.ResidentInquiry", "juki.ResidentFullExtract"):
        old = (f'local_gov_code = "131016"\nservice = "{service}"\nprovider = "vendor-a-juki"')
        if text.count(old) != 1:
            raise ValueError(f"examples/hub.toml no longer routes {service} as expected")
        text = text.replace(old, old.replace("vendor-a-juki", "vendor-b-registry"))
    return text + (f'\n[[providers]]\nid = "vendor-b-registry"\nurl = {json.dumps(registry_url)}'
                   '\ntimeout = 10.0\n')


def _route_switch(workdir: Path, b_db: Path, timeout: float) -> int:
    from adapters.sdk.consumer import ConsumerClient
    from adapters.vendor_b_tax.linkage import resident_inquiry
    from adapters.vendor_b_tax.registry import REGISTRY_SYSTEM_ID

    from ..core.header import Party
    from ..store.routing_log import open_readonly
    from .demo_command import _free_port, fail, say
    processes: list[ChildProcess] = []
    try:
        registry = ChildProcess(REGISTRY_SYSTEM_ID, [
            sys.executable, "-m", "adapters.vendor_b_tax.registry", "serve", "--db", str(b_db)])
        processes.append(registry)
        url = registry.wait_for("adapter.listening", timeout)["url"]
        config = workdir / "hub-switched.toml"
        config.write_text(switched_config(HUB_CONFIG.read_text(encoding="utf-8"), url, workdir),
                          encoding="utf-8")
        hub = ChildProcess("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                                   str(config), "--port", str(_free_port())])
        processes.append(hub)
        hub_url = hub.wait_for("hub.listening", timeout)["url"]
        say(f"   {REGISTRY_SYSTEM_ID} {url}; hub {hub_url} routes juki.* of 131016 to it")
        client = ConsumerClient(hub_url, Party("131016", "07", "vendor-b-tax"), "tax-clerk-01")
        reply = client.call("juki.ResidentInquiry", Party("131016", "01", REGISTRY_SYSTEM_ID),
                            resident_inquiry(GAIJI_RESIDENT))
        name = reply.body.findtext("{urn:pfbus:unit:juki:v1}Resident/"
                                   "{urn:pfbus:platform:common:v1}Name/"
                                   "{urn:pfbus:platform:common:v1}Text")
        say(f"   住民照会 {GAIJI_RESIDENT} through the hub answered by the new registry: {name}")
        hub.stop()
        log = open_readonly(workdir / "routing-log.sqlite3")
        try:
            hops = log.query(limit=None)
        finally:
            log.close()
        providers = {h.provider for h in hops if h.provider}
        say(f"   routing log: {len(hops)} hops, provider(s) {', '.join(sorted(providers))}")
        if name != "髙橋健一" or providers != {REGISTRY_SYSTEM_ID}:
            return fail("the switched route did not reach vendor B's registry with the MJ name")
        return 0
    finally:
        for p in reversed(processes):
            p.stop()
