"""The platform's standard schemas, shipped as package data.

``catalog.toml`` maps namespaces and service IDs to the XSD and WSDL files beside it; the hub loads
catalogs at start and hard-codes no business schema. See docs/schemas.md to add an official set.
"""

from pathlib import Path

BUILTIN_CATALOG = Path(__file__).with_name("catalog.toml")
BUILTIN_FILE_KINDS = Path(__file__).with_name("file_kinds.toml")
