"""The reference subscribers as processes pass their whole profile — the durability cases too,
killed (SIGKILL) right after a receipt and after a redelivery and started again; the in-process
runs of test_conformance_providers.py cannot kill them and skip those three cases."""

from __future__ import annotations

import pytest

from adapters.vendor_b_tax.store import TaxStore
from adapters.vendor_c_kokuho.store import KokuhoStore
from conformance.commands import CallableCommand
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from . import observe_vendor_b, observe_vendor_c
from .outcomes import waited
from .reference_process import ReferenceProcess

pytestmark = pytest.mark.integration

# profile → (the reference adapter's module, its serve options, how to observe its database)
REFERENCES = {
    "kojinjuminzei.subscriber": ("adapters.vendor_b_tax", (), TaxStore, observe_vendor_b.observe),
    "kokuho.subscriber": ("adapters.vendor_c_kokuho", ("--seed",), KokuhoStore,
                          observe_vendor_c.observe),
}


# ~75 s each (restarts of a process): vendor C's in the slow tier, keeping the default run short
@pytest.mark.parametrize("profile", [pytest.param(p, marks=[pytest.mark.slow] * (p == "kokuho.subscriber"))
                                     for p in sorted(REFERENCES)])
def test_reference_subscriber_process_passes_every_case_across_restarts(tmp_path, profile):
    module, options, store_class, observe = REFERENCES[profile]
    db = tmp_path / "subscriber.sqlite3"
    product = ReferenceProcess(module, db, *options)

    def observe_db(values) -> tuple[int, str]:  # the vendor's --observe: reads its database
        store = store_class.open(db)
        try:
            return observe(store, values["addressee_number"])
        finally:
            store.close()

    try:
        result = run_profile(RunOptions(
            profile, target=product.url, observe=CallableCommand(observe_db, "observe"),
            restart=CallableCommand(product.restart, "restart")), Suite.load())
    finally:
        product.close()
    failed = {r.id: f"{r.verdict}: {r.reason or '; '.join(map(str, r.findings))}"
              for r in result.results if r.verdict != "pass" and not waited(r)}
    assert failed == {} and result.verdict == "pass"
    assert {"S-DUR-01", "S-DUR-02", "S-DUR-03"} <= {r.id for r in result.results}
