"""Schema catalogs (スキーマカタログ): which XSDs, code lists, rules and services the hub knows.

A catalog is a TOML file beside its XSD and WSDL files (format: ``schemas/catalog.toml``). The hub
loads one or more at start, compiles all their XSDs into ONE lxml schema (for validation on the
hot path) and one xmlschema model (to plan the rules beyond XSD). Nothing business-specific is
written in code: dropping in an official schema set is adding its catalog.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import xmlschema
from lxml import etree

from .codelists import CodeList, CodeListError
from .faults import SOAP11_NS, SOAP12_NS
from .rules import RULE_NAMES, Rule, make_rule
from .typeplan import RulePlan, build_plan

PATTERNS = ("request-response", "notice")


class CatalogError(ValueError):
    """A catalog that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service (サービス) of a 業務ユニット as the catalog declares it."""

    id: str
    version: str
    unit: str  # 業務ユニットコード
    pattern: str  # request-response | notice
    request_tag: str  # {ns}local of the request body element
    response_tag: str
    wsdl: Path
    catalog: str  # name of the catalog that declares it
    # notices: the values that order delivery (異動 of one resident in order), from the body
    subject: etree.XPath | None = field(default=None, compare=False)

    def subjects(self, body: etree._Element, local_gov_code: str) -> tuple[str, ...]:
        """The ordering keys of a notice body: ``団体コード:value``, sorted, distinct."""
        if self.subject is None:
            return ()
        values = {(v.text if isinstance(v, etree._Element) else str(v)).strip()
                  for v in self.subject(body)}
        return tuple(sorted(f"{local_gov_code}:{v}" for v in values if v))

    @property
    def operation(self) -> str:
        """The WSDL operation name: the part of the service ID after the first dot."""
        return self.id.split(".", 1)[1]


@dataclass(frozen=True)
class CatalogSource:
    name: str
    path: Path

    @property
    def root(self) -> Path:
        return self.path.parent


class Catalog:
    """All loaded catalogs, merged; compiled once."""

    def __init__(self, sources: list[CatalogSource], schema_files: dict[str, Path],
                 prefixes: dict[str, str], codelists: dict[str, CodeList],
                 bindings: dict[str, tuple[Rule, ...]], services: dict[str, ServiceSpec]):
        self.sources = sources
        self.schema_files = schema_files  # namespace -> root XSD
        # namespace -> prefix used in finding paths; SOAP's own are fixed, whatever the sender used
        self.prefixes = {SOAP11_NS: "soap", SOAP12_NS: "soap", **prefixes}
        self.codelists = codelists
        self.services = services
        umbrella = _umbrella(schema_files)
        try:
            self.xsd = etree.XMLSchema(etree.fromstring(umbrella, etree.XMLParser(
                no_network=True, resolve_entities=False)))
        except etree.XMLSchemaParseError as exc:
            # name the XSD at fault: the exception's own text names neither file nor its line
            first = next((e for e in exc.error_log if e.filename != "<string>"), None)
            where = f"{first.filename}:{first.line}: {first.message}" if first else str(exc)
            raise CatalogError(f"schemas do not compile: {where}") from None
        model = xmlschema.XMLSchema10(umbrella.decode(), base_url=str(sources[0].root))
        self.plan: RulePlan = build_plan(model, bindings)

    @classmethod
    def load(cls, paths: Sequence[Path]) -> Catalog:
        if not paths:
            raise CatalogError("no schema catalog configured")
        sources: list[CatalogSource] = []
        schema_files: dict[str, Path] = {}
        prefixes: dict[str, str] = {}
        codelists: dict[str, CodeList] = {}
        bindings: dict[str, list[Rule]] = {}
        services: dict[str, ServiceSpec] = {}
        for path in paths:
            _load_one(Path(path).resolve(), sources, schema_files, prefixes, codelists, bindings,
                      services)
        return cls(sources, schema_files, prefixes, codelists,
                   {k: tuple(v) for k, v in bindings.items()}, services)

    def service(self, service_id: str) -> ServiceSpec | None:
        return self.services.get(service_id)

    def source(self, name: str) -> CatalogSource | None:
        return next((s for s in self.sources if s.name == name), None)


def _load_one(path: Path, sources, schema_files, prefixes, codelists, bindings, services) -> None:
    def err(key: str, message: str) -> CatalogError:
        return CatalogError(f"{path}: {key}: {message}")

    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read catalog: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None
    if doc.get("format") != 1:
        raise err("format", "must be 1")
    name = doc.get("name")
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise err("name", "must be a name of letters, digits, '-' and '_'")
    if any(s.name == name for s in sources):
        raise err("name", f"another catalog is already named {name!r}")
    source = CatalogSource(name, path)
    sources.append(source)

    ns_table = doc.get("namespaces", {})
    if not isinstance(ns_table, dict):
        raise err("namespaces", "must be a table of prefix = namespace URI")

    def resolve_ns(key: str, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise err(key, "must be a namespace prefix or URI")
        return ns_table.get(value, value)

    def resolve_qname(key: str, value: object) -> str:
        if not isinstance(value, str) or ":" not in value:
            raise err(key, "must be a qualified name prefix:local")
        prefix, local = value.split(":", 1)
        if prefix not in ns_table:
            raise err(key, f"prefix {prefix!r} is not declared in [namespaces]")
        return f"{{{ns_table[prefix]}}}{local}"

    def resolve_file(key: str, value: object) -> Path:
        if not isinstance(value, str):
            raise err(key, "must be a file path relative to the catalog")
        p = (source.root / value).resolve()
        if not p.is_file():
            raise err(key, f"file not found: {p}")
        return p

    for prefix, uri in ns_table.items():
        prefixes.setdefault(uri, prefix)
    for i, entry in enumerate(doc.get("schemas", [])):
        ns = resolve_ns(f"schemas[{i}].namespace", entry.get("namespace"))
        file = resolve_file(f"schemas[{i}].file", entry.get("file"))
        if schema_files.get(ns, file) != file:
            raise err(f"schemas[{i}].namespace", f"namespace {ns} already comes from "
                                                 f"{schema_files[ns]}")
        schema_files[ns] = file
    for cl_name, cl_file in doc.get("codelists", {}).items():
        try:
            codelists[cl_name] = CodeList.load(cl_name, resolve_file(f"codelists.{cl_name}",
                                                                      cl_file))
        except CodeListError as exc:
            raise err(f"codelists.{cl_name}", str(exc)) from None
    for i, entry in enumerate(doc.get("rules", [])):
        key = f"rules[{i}]"
        rule_name = entry.get("rule")
        if rule_name not in RULE_NAMES:
            raise err(f"{key}.rule", f"unknown rule {rule_name!r}; known: {', '.join(RULE_NAMES)}")
        codelist = None
        if rule_name == "codelist":
            codelist = codelists.get(entry.get("codelist"))
            if codelist is None:
                raise err(f"{key}.codelist", f"no code list named {entry.get('codelist')!r}")
        type_name = resolve_qname(f"{key}.type", entry.get("type"))
        bindings.setdefault(type_name, []).append(make_rule(rule_name, codelist))
    for i, entry in enumerate(doc.get("services", [])):
        key = f"services[{i}]"
        sid = entry.get("id")
        if not isinstance(sid, str) or "." not in sid:
            raise err(f"{key}.id", "must be a service ID such as juki.ResidentInquiry")
        if sid in services:
            raise err(f"{key}.id", f"service {sid} is already declared")
        pattern = entry.get("pattern", "request-response")
        if pattern not in PATTERNS:
            raise err(f"{key}.pattern", f"must be one of {', '.join(PATTERNS)}")
        subject = None
        if entry.get("subject") is not None:
            if pattern != "notice":
                raise err(f"{key}.subject", "only notices have a subject")
            try:  # compiled once: evaluated for every notice accepted
                subject = etree.XPath(entry["subject"], namespaces=ns_table)
            except (etree.XPathSyntaxError, TypeError) as exc:
                raise err(f"{key}.subject", f"not a valid XPath: {exc}") from None
        services[sid] = ServiceSpec(
            id=sid, version=str(entry.get("version", "1")), unit=str(entry.get("unit", "")),
            pattern=pattern, request_tag=resolve_qname(f"{key}.request", entry.get("request")),
            response_tag=resolve_qname(f"{key}.response", entry.get("response")),
            wsdl=resolve_file(f"{key}.wsdl", entry.get("wsdl")), catalog=name, subject=subject)


def _umbrella(schema_files: dict[str, Path]) -> bytes:
    """One schema importing every namespace, so one compiled validator covers all messages."""
    imports = "".join(
        f"<xs:import namespace={quoteattr(ns)} schemaLocation={quoteattr(p.as_uri())}/>"
        for ns, p in schema_files.items())
    return (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'targetNamespace="urn:pfbus:catalog:umbrella">{imports}</xs:schema>').encode()
