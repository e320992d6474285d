"""Serving each service's WSDL (``?wsdl``) and the schemas it imports, with the hub's address.

WSDL files in a catalog carry placeholder addresses and relative schema locations. At start the
hub rewrites them once: every ``soap:address`` points at the hub's endpoint for the service and
every schemaLocation at the hub's ``/schemas/<catalog>/…`` URL. Requests then get cached bytes.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from lxml import etree

from ..core.catalog import Catalog

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
ADDRESS_TAGS = ("{http://schemas.xmlsoap.org/wsdl/soap/}address",
                "{http://schemas.xmlsoap.org/wsdl/soap12/}address")


class WsdlPublisher:
    """``public_url``: the hub's address, when known; a hub listening on port 0 learns it once
    bound and then calls ``publish_at`` (no WSDL is served before)."""

    def __init__(self, catalog: Catalog, public_url: str | None = None):
        self.catalog = catalog
        self.public_url = ""
        self._wsdl: dict[str, bytes] = {}
        if public_url is not None:
            self.publish_at(public_url)

    def publish_at(self, public_url: str) -> None:
        """Rewrite every WSDL once, addressed to ``public_url``."""
        self.public_url = public_url.rstrip("/")
        self._wsdl = {sid: self._rewrite(spec.wsdl, spec.catalog, self.endpoint_url(sid))
                      for sid, spec in self.catalog.services.items()}

    def endpoint_url(self, service_id: str) -> str:
        return f"{self.public_url}/services/{quote(service_id)}"

    def wsdl(self, service_id: str) -> bytes | None:
        return self._wsdl.get(service_id)

    def schema_file(self, catalog_name: str, relative: str) -> bytes | None:
        """An XSD of a catalog, by its path relative to the catalog file; None if not there."""
        source = self.catalog.source(catalog_name)
        if source is None:
            return None
        root = source.root.resolve()
        path = (root / relative).resolve()
        # Only schema files inside the catalog's folder: never an arbitrary file of the machine.
        if root not in path.parents or path.suffix not in (".xsd", ".wsdl") or not path.is_file():
            return None
        return path.read_bytes()

    def _rewrite(self, wsdl_path: Path, catalog_name: str, endpoint: str) -> bytes:
        tree = etree.parse(str(wsdl_path), etree.XMLParser(no_network=True,
                                                           resolve_entities=False))
        source = self.catalog.source(catalog_name)
        assert source is not None  # every service comes from one of the catalog's sources
        root_dir = source.root.resolve()
        for el in tree.iter(*ADDRESS_TAGS):
            el.set("location", endpoint)
        for el in tree.iter(f"{{{XS_NS}}}import", f"{{{XS_NS}}}include",
                            f"{{{WSDL_NS}}}import"):
            attr = "location" if el.tag == f"{{{WSDL_NS}}}import" else "schemaLocation"
            loc = el.get(attr)
            if loc and "://" not in loc:
                target = (wsdl_path.parent / loc).resolve()
                rel = target.relative_to(root_dir).as_posix()
                el.set(attr, f"{self.public_url}/schemas/{quote(catalog_name)}/{quote(rel)}")
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
