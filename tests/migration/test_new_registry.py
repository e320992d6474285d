"""After the migration vendor B is the registry: the 住民基本台帳 provider profile of the
conformance suite passes against it, served from the tables its importer loaded (a JIS X 0213
store with its own 外字: the registered MJ names come back from its 原字 and 外字 tables)."""

from __future__ import annotations

import pytest
from twisted.web.resource import Resource

from adapters.sdk.characters import CharacterPolicy
from adapters.sdk.migration import TargetCharacters, import_extract
from adapters.sdk.provider import ProviderApp
from adapters.sdk.testing import serve
from adapters.vendor_b_tax import GAIJI_TABLE as B_GAIJI
from adapters.vendor_b_tax.registry import REGISTRY_SYSTEM_ID, RegistryImporter
from adapters.vendor_b_tax.registry_service import UnknownExtract, handlers
from adapters.vendor_b_tax.store import TaxStore
from bus.core.gaiji import GaijiTable
from bus.core.header import Party
from bus.migration.manifest import read_manifest
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile
from tests.conformance.outcomes import not_passed

from .extracts import export_vendor_a

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def vendor_b_registry(tmp_path_factory):
    folder = export_vendor_a(tmp_path_factory.mktemp("a") / "extract", residents=0)
    manifest, _ = read_manifest(folder)
    store = TaxStore.open(tmp_path_factory.mktemp("b") / "vendor-b.sqlite3")
    import_extract(folder, RegistryImporter(store, manifest.created),
                   characters=TargetCharacters(GaijiTable.load(B_GAIJI), "jisx0213"))
    app = ProviderApp(Party("131016", "01", REGISTRY_SYSTEM_ID), handlers(store),
                      client_errors={UnknownExtract: "VENDOR-B-EXTRACT-UNKNOWN"},
                      characters=CharacterPolicy(B_GAIJI))
    root = Resource()
    root.putChild(b"soap", app.resource())
    server = serve(root)
    yield store, f"{server.url}/soap"
    server.close()
    store.close()


def test_the_juki_provider_profile_passes_against_the_new_registry(vendor_b_registry):
    store, url = vendor_b_registry
    # it really holds the names in 縮退: the answers come from its 原字 table
    assert store.addressee("0000010049")["名前(漢字)"] == "高橋健一"
    result = run_profile(RunOptions("juki.provider", target=url,
                                    params={"sut_system_id": REGISTRY_SYSTEM_ID}), Suite.load())
    # the restart cases (J-DUR-01) are skipped: an in-process registry cannot be killed
    assert not_passed(result) == {} and result.verdict == "pass"
    assert len(result.results) > 20


@pytest.mark.slow
def test_the_interop_profile_passes_through_a_hub_routed_to_the_new_registry(vendor_b_registry,
                                                                            tmp_path):
    """相互接続: a real hub (started by the suite) routes juki.* of 131016 to vendor B's
    registry; the reference tax system fetches residents and pages the 全件抽出 through it."""
    _, url = vendor_b_registry
    result = run_profile(RunOptions("interop.juki.provider", target=url, workdir=tmp_path,
                                    params={"sut_system_id": REGISTRY_SYSTEM_ID}), Suite.load())
    failed = {r.id: f"{r.verdict}: {r.reason or '; '.join(map(str, r.findings))}"
              for r in result.results if r.verdict != "pass"}
    assert failed == {} and len(result.results) == 3
