"""``pfbus demo``: the hub and both reference adapters on free local ports, a realistic linkage.

1. vendor A's resident registry (住民基本台帳), vendor B's tax system (個人住民税) and vendor C's
   national health insurance (国民健康保険) start as their own processes, each with its own SQLite
   store in its own layout; the hub starts with ``examples/hub.toml`` pointed at them;
2. the tax system asks the registry for 総務翔子 (宛名番号 0000010014) through the hub and stores
   the standard answer in vendor B's layout;
3. an inquiry with a wrong 宛名番号 check digit is refused with a precise fault;
4. the registry records her move (転居) to 3丁目: its outbox publishes a 異動通知, the hub stores
   it and delivers it to vendor B and vendor C, each applying it once in its own layout;
5. the routing log is printed. Exit status 0 only if every step did what it should.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from examples import HUB_CONFIG

from ..store.routing_log import Hop, Status, open_readonly
from .children import ChildProcess
from .log_command import format_table

ADDRESSEE = "0000010014"  # 総務翔子 in vendor A's seed data
WRONG_CHECK_DIGIT = "0000010015"
EXAMPLE_PROVIDER_URLS = {"vendor-a-juki": "http://127.0.0.1:9001/soap",
                         "vendor-b-tax": "http://127.0.0.1:9002/soap",
                         "vendor-c-kokuho": "http://127.0.0.1:9003/soap"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", choices=("linkage", "migration", "files"),
                        default="linkage", help="linkage (default): the hub between vendors A, "
                        "B and C; migration: the registry moves from vendor A to vendor B "
                        "(中間標準レイアウト export, validation, import, reconciliation); files: "
                        "file linkage over SFTP (validated whole, delivered exactly once)")
    parser.add_argument("--workdir", metavar="DIR",
                        help="keep the stores, config and routing log here (default: a temporary "
                             "folder, removed afterwards)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds each process may take to start")


def run(args: argparse.Namespace) -> int:
    demo = _demo
    if getattr(args, "scenario", "linkage") == "migration":
        from .demo_migration import run_migration as demo
    if getattr(args, "scenario", "linkage") == "files":
        from .demo_files import run_files as demo
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        return demo(workdir, args.timeout)
    with tempfile.TemporaryDirectory(prefix="pfbus-demo-") as tmp:
        return demo(Path(tmp), args.timeout)


def _demo(workdir: Path, timeout: float) -> int:
    started = time.monotonic()
    processes: list[ChildProcess] = []
    try:
        say("1. starting vendor A's registry, vendor B's tax and vendor C's 国保 systems, the hub")
        hub_port = _free_port()  # known before the hub starts: vendor A publishes to it
        db = {name: workdir / f"{name}.sqlite3" for name in EXAMPLE_PROVIDER_URLS}
        registry = ChildProcess("vendor-a-juki", [
            sys.executable, "-m", "adapters.vendor_a_registry", "serve", "--db",
            str(db["vendor-a-juki"]), "--seed", "--hub", f"http://127.0.0.1:{hub_port}",
            "--publish-interval", "0.2"])
        tax = ChildProcess("vendor-b-tax", [sys.executable, "-m", "adapters.vendor_b_tax", "serve",
                                      "--db", str(db["vendor-b-tax"]), "--seed"])
        kokuho = ChildProcess("vendor-c-kokuho", [sys.executable, "-m", "adapters.vendor_c_kokuho",
                                            "serve", "--db", str(db["vendor-c-kokuho"]), "--seed"])
        processes += [registry, tax, kokuho]
        urls = {p.name: p.wait_for("adapter.listening", timeout)["url"]
                for p in (registry, tax, kokuho)}
        config = workdir / "hub.toml"
        log_path = workdir / "routing-log.sqlite3"
        config.write_text(demo_config(HUB_CONFIG.read_text(encoding="utf-8"), urls, workdir),
                          encoding="utf-8")
        hub = ChildProcess("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                             str(config), "--port", str(hub_port)])
        processes.append(hub)
        hub_url = hub.wait_for("hub.listening", timeout)["url"]
        for name, url in (*urls.items(), ("hub", hub_url)):
            say(f"   {name:16} {url}")

        say(f"\n2. vendor B's tax system asks the registry for 宛名番号 {ADDRESSEE} via the hub")
        from adapters.vendor_a_registry.store import RegistryStore
        from adapters.vendor_b_tax.store import TaxStore
        from adapters.vendor_c_kokuho.store import KokuhoStore

        from ..core.header import Party
        from adapters.sdk.consumer import ConsumerClient, PlatformFault
        from adapters.vendor_b_tax.linkage import fetch_resident

        client = ConsumerClient(hub_url, Party("131016", "07", "vendor-b-tax"), "tax-clerk-01")
        registry_party = Party("131016", "01", "vendor-a-juki")
        tax_store = TaxStore.open(db["vendor-b-tax"])
        reply, stored = fetch_resident(client, tax_store, registry_party, ADDRESSEE)
        a_row = RegistryStore.open(db["vendor-a-juki"]).resident_by_addressee_number(ADDRESSEE)
        b_row = tax_store.addressee(stored) if stored else None
        say(f"   reply {reply.header.message_id} relates to {reply.header.relates_to}, "
            f"RequestHash verified")
        say("   vendor A keeps: " + _columns(a_row, "氏名1", "氏名2", "氏名3", "住所1", "住所2"))
        say("   vendor B now keeps: " + _columns(b_row, "名前1", "名前2", "名前(漢字)", "町名", "丁"))
        expected = {"名前1": "ソウム", "名前2": "ショウコ", "名前(漢字)": "総務翔子", "町名": "霞が関",
                    "丁": "二"}
        if b_row is None or any(b_row.get(k) != v for k, v in expected.items()):
            return fail("vendor B's row is not the expected mapping of the registry's answer")

        say(f"\n3. an inquiry with a wrong check digit ({WRONG_CHECK_DIGIT}) is refused")
        try:
            fetch_resident(client, tax_store, registry_party, WRONG_CHECK_DIGIT)
            return fail("the hub accepted an invalid 宛名番号")
        except PlatformFault as fault:
            detail = fault.detail
            if detail is None:
                return fail(f"a SOAP Fault without the hub's detail: {fault}")
            finding = detail.findings[0]
            say(f"   SOAP Fault {fault.soap_code}: {detail.code} (party {detail.party})")
            say(f"   rule {finding.rule} at {finding.path}, line {finding.line}")
            say(f"   {finding.message}")
            if detail.code != "PF-RULE-VIOLATION" or finding.rule != "addressee_number":
                return fail("unexpected fault")

        say("\n4. the registry records her move (転居) to 霞が関3丁目; its outbox publishes a 異動通知")
        subprocess.run([sys.executable, "-m", "adapters.vendor_a_registry", "change", "--db",
                        str(db["vendor-a-juki"]), "--addressee", ADDRESSEE, "--reason", "C01",
                        "--set", "住所2=3"], check=True, capture_output=True, timeout=timeout)
        kokuho_store = KokuhoStore.open(db["vendor-c-kokuho"])
        if not _wait(lambda: tax_store.applied_changes(ADDRESSEE) and
                     kokuho_store.processed_changes(ADDRESSEE), timeout):
            return fail("the 異動通知 did not reach both subscribers")
        b_row = tax_store.addressee(ADDRESSEE)
        say("   vendor B applied it: " + _columns(b_row, "名前(漢字)", "町名", "丁"))
        say("   vendor C processed it: " + _columns(kokuho_store.processed_changes(ADDRESSEE)[-1],
                                                   "異動連番", "異動事由", "処理結果"))
        if b_row is None or b_row.get("丁") != "三":
            return fail("vendor B did not apply the move")

        say("\n5. the routing log")
        hub.stop()  # flushes and closes the routing log
        log = open_readonly(log_path)
        try:
            hops = log.query(limit=None)
        finally:
            log.close()
        for line in format_table(hops):
            say("   " + line)
        routed = [h for h in hops if h.hop is Hop.ROUTED]
        delivered = {h.provider for h in hops if h.hop is Hop.DELIVERY and h.status is Status.OK}
        if len(routed) != 1 or not any(h.hop is Hop.REJECTED for h in hops) or \
                delivered != {"vendor-b-tax", "vendor-c-kokuho"}:
            return fail("the routing log does not show the exchanges, the rejection and both "
                        "deliveries")
        say(f"\ndemo finished in {time.monotonic() - started:.1f} s: OK")
        return 0
    finally:
        for p in reversed(processes):
            p.stop()


def demo_config(example: str, provider_urls: dict[str, str], workdir: Path) -> str:
    """The example config with the adapters' real addresses and the demo's stores."""
    text = example
    for pid, url in provider_urls.items():
        text = _replace_once(text, f'url = "{EXAMPLE_PROVIDER_URLS[pid]}"', f'url = "{url}"')
    text = _replace_once(text, _found(r'routing_log = "[^"]*"', text),
                         f"routing_log = {json.dumps(str(workdir / 'routing-log.sqlite3'))}")
    return _replace_once(text, _found(r'\nnotices = "[^"]*"', text),
                         f"\nnotices = {json.dumps('sqlite:' + str(workdir / 'notices.sqlite3'))}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _found(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    if m is None:
        raise ValueError(f"examples/hub.toml no longer matches {pattern!r}")
    return m.group(0)


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"examples/hub.toml no longer contains {old!r} exactly once")
    return text.replace(old, new)


def _columns(row: dict | None, *names: str) -> str:
    return "(none)" if row is None else ", ".join(f"{n}={row.get(n)}" for n in names)


def say(text: str) -> None:
    print(text, flush=True)


def fail(reason: str) -> int:
    print(f"demo FAILED: {reason}", file=sys.stderr, flush=True)
    return 1
