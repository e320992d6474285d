"""A schema catalog file (``schemas/catalog.toml``, スキーマカタログ), declared once.

Add a key: one ``Key(...)`` line here, then read it in ``bus/core/catalog.py``; document it in
docs/schemas.md. The generated test covers its misspellings.
"""

from __future__ import annotations

from ..rules import RULE_NAMES
from ..service_pattern import ServicePattern
from .declare import REQUIRED, Key, Table
from .kinds import Choice, Int, ListOf, MapOf, Str, Tables

PATTERNS = tuple(ServicePattern)


def format_one(value: int) -> str | None:
    return None if value == 1 else "must be 1"


def catalog_name(value: str) -> str | None:
    if value and value.replace("-", "").replace("_", "").isalnum():
        return None
    return "must be a name of letters, digits, '-' and '_'"


def service_id(value: str) -> str | None:
    return None if "." in value else "must be a service ID such as juki.ResidentInquiry"


SCHEMAS = Table("schemas", (
    Key("namespace", Str(nonempty=True), REQUIRED, "a prefix of [namespaces] or a namespace URI"),
    Key("file", Str(nonempty=True), REQUIRED, "its root XSD, relative to the catalog"),
), "an XSD and the namespace it defines")

RULES = Table("rules", (
    Key("type", Str(), REQUIRED, "a schema type, prefix:local"),
    Key("rule", Choice(RULE_NAMES), REQUIRED, "the rule beyond XSD applied to its values"),
    Key("codelist", Str(), None, "with rule = \"codelist\": the code list's name"),
), "a rule beyond XSD bound to a schema type")

SERVICES = Table("services", (
    Key("id", Str(), REQUIRED, "業務ユニット.Operation", service_id),
    Key("version", Str(), "1", "the service's version"),
    Key("unit", Str(), "", "業務ユニットコード"),
    Key("pattern", Choice(PATTERNS), "request-response",
        "request-response (同期照会) or notice (一方向通知)"),
    Key("request", Str(), REQUIRED, "the request body element, prefix:local"),
    Key("response", Str(), REQUIRED, "the response body element, prefix:local"),
    Key("subject", Str(nonempty=True), None,
        "notices: XPath from the body to the values that order delivery"),
    Key("subscribers", ListOf(Str(nonempty=True)), (),
        "notices: the 業務ユニットコード of the units that subscribe (購読する業務ユニット)"),
    Key("wsdl", Str(nonempty=True), REQUIRED, "its WSDL, relative to the catalog"),
    Key("sample", Str(nonempty=True), None,
        "an example request body (XML) the catalog's rules accept: the SDK's sample_request"),
), "a service (サービス) of a 業務ユニット")

CATALOG = Table("catalog", (
    Key("format", Int(), REQUIRED, "the catalog format: 1", format_one),
    Key("name", Str(), REQUIRED, "the catalog's name (in /schemas/NAME/… URLs)", catalog_name),
    Key("namespaces", MapOf(Str(nonempty=True)), {}, "prefix = namespace URI"),
    Key("schemas", Tables(SCHEMAS), [], SCHEMAS.doc),
    Key("codelists", MapOf(Str(nonempty=True)), {}, "name = CSV file, relative to the catalog"),
    Key("rules", Tables(RULES), [], RULES.doc),
    Key("services", Tables(SERVICES), [], SERVICES.doc),
))
