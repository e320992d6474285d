"""Schema catalogs (スキーマカタログ): which XSDs, code lists, rules and services the hub knows.

A catalog is a TOML file beside its XSD and WSDL files (format: ``schemas/catalog.toml``). The hub
loads one or more at start, compiles all their XSDs into ONE lxml schema (for validation on the
hot path) and one xmlschema model (to plan the rules beyond XSD). Nothing business-specific is
written in code: dropping in an official schema set is adding its catalog.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import xmlschema
from lxml import etree

from schemas import BUILTIN_CATALOG

from . import xmlschema_compat  # noqa: F401  (before any schema is built)
from .catalog_files import reference_problem
from .codelists import CodeList, CodeListError
from .date_whitespace import date_typed_elements
from .faults import SOAP11_NS, SOAP12_NS
from .rules import Rule, make_rule
from .service_pattern import ServicePattern
from .settings import Section, SettingsError, Source, load_toml, read
from .settings import catalog as declared
from .typeplan import RulePlan, build_plan



class CatalogError(SettingsError):
    """A catalog that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service (サービス) of a 業務ユニット as the catalog declares it."""

    id: str
    version: str
    unit: str  # 業務ユニットコード
    pattern: ServicePattern
    request_tag: str  # {ns}local of the request body element
    response_tag: str
    wsdl: Path
    catalog: str  # name of the catalog that declares it
    sample: Path | None = None  # an example request body (XML) its rules accept
    # notices: the values that order delivery (異動 of one resident in order), from the body
    subject: etree.XPath | None = field(default=None, compare=False)
    # notices: the 業務ユニット that subscribe to it (購読する業務ユニット): each is a role the
    # conformance suite certifies (a subscriber profile per unit)
    subscriber_units: tuple[str, ...] = ()

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
            self.xsd = _compiled(umbrella)
        except etree.XMLSchemaParseError as exc:
            # name the XSD at fault: the exception's own text names neither file nor its line
            first = next((e for e in exc.error_log if e.filename != "<string>"), None)
            where = f"{first.filename}:{first.line}: {first.message}" if first else str(exc)
            raise CatalogError(f"schemas do not compile: {where}") from None
        try:
            model = xmlschema.XMLSchema10(umbrella.decode(), base_url=str(sources[0].root))
        except (xmlschema.XMLSchemaException, OSError) as exc:
            raise CatalogError(f"schemas do not compile: {exc}") from None
        self.plan: RulePlan = build_plan(model, bindings)
        # the elements whose white space libxml2 does not collapse (bus/core/date_whitespace.py)
        self.date_elements = date_typed_elements(model.maps.iter_components())

    def with_own_schema(self) -> Catalog:
        """This catalog with an XMLSchema of its own (the same schemas, compiled again: ~1 ms),
        everything else shared, read only. For another thread: an lxml XMLSchema keeps its error
        log on the object, so one validation's errors are another's if two threads share it."""
        own = copy.copy(self)
        own.xsd = _compiled(_umbrella(self.schema_files))
        return own

    @classmethod
    def load(cls, paths: Sequence[Path | str]) -> Catalog:
        """The catalogs at ``paths`` ("builtin": the one shipped with pfbus), merged."""
        if not paths:
            raise CatalogError("no schema catalog configured")
        sources: list[CatalogSource] = []
        schema_files: dict[str, Path] = {}
        prefixes: dict[str, str] = {}
        codelists: dict[str, CodeList] = {}
        bindings: dict[str, list[Rule]] = {}
        services: dict[str, ServiceSpec] = {}
        for path in paths:
            _load_one(catalog_path(path), sources, schema_files, prefixes, codelists, bindings,
                      services)
        return cls(sources, schema_files, prefixes, codelists,
                   {k: tuple(v) for k, v in bindings.items()}, services)

    def service(self, service_id: str) -> ServiceSpec | None:
        return self.services.get(service_id)

    def source(self, name: str) -> CatalogSource | None:
        return next((s for s in self.sources if s.name == name), None)


def catalog_path(name: Path | str) -> Path:
    """A catalog named on a command line or in a config: "builtin" or a file's path."""
    return BUILTIN_CATALOG if str(name) == "builtin" else Path(name).resolve()


def _load_one(path: Path, sources: list[CatalogSource], schema_files: dict[str, Path],
              prefixes: dict[str, str], codelists: dict[str, CodeList],
              bindings: dict[str, list[Rule]], services: dict[str, ServiceSpec]) -> None:
    source = Source(str(path), path.parent, CatalogError)
    doc = read(declared.CATALOG, load_toml(path, CatalogError, "catalog"), source)
    name = doc["name"]
    if any(s.name == name for s in sources):
        raise doc.error("name", f"another catalog is already named {name!r}")
    sources.append(CatalogSource(name, path))
    ns_table: dict[str, str] = doc["namespaces"]

    def resolve_qname(entry: Section, key: str) -> str:
        prefix, colon, local = entry[key].partition(":")
        if not colon:
            raise entry.error(key, "must be a qualified name prefix:local")
        if prefix not in ns_table:
            raise entry.error(key, f"prefix {prefix!r} is not declared in [namespaces]")
        return f"{{{ns_table[prefix]}}}{local}"

    def referenced(entry: Section, key: str) -> Path:
        """A WSDL or XSD of the catalog, whose own references stay inside its folder."""
        file = entry.file(key)
        assert file is not None
        problem = reference_problem(file, path.parent, wsdl=key == "wsdl")
        if problem:
            raise entry.error(key, problem)
        return file

    for prefix, uri in ns_table.items():
        prefixes.setdefault(uri, prefix)
    for entry in doc["schemas"]:
        ns = ns_table.get(entry["namespace"], entry["namespace"])
        file = referenced(entry, "file")
        if schema_files.get(ns, file) != file:
            raise entry.error("namespace", f"namespace {ns} already comes from "
                                           f"{schema_files[ns]}")
        schema_files[ns] = file
    for cl_name in doc["codelists"]:
        cl_file = (path.parent / doc["codelists"][cl_name]).resolve()
        key = f"codelists.{cl_name}"
        if not cl_file.is_file():
            raise doc.error(key, f"file not found: {cl_file}")
        try:
            codelists[cl_name] = CodeList.load(cl_name, cl_file)
        except CodeListError as exc:
            raise doc.error(key, str(exc)) from None
    for entry in doc["rules"]:
        codelist = None
        if entry["rule"] == "codelist":
            codelist = codelists.get(entry["codelist"])
            if codelist is None:
                raise entry.error("codelist", f"no code list named {entry['codelist']!r}")
        elif entry["codelist"] is not None:
            raise entry.error("codelist", "only with rule = \"codelist\"")
        bindings.setdefault(resolve_qname(entry, "type"), []).append(
            make_rule(entry["rule"], codelist))
    for entry in doc["services"]:
        sid, pattern = entry["id"], entry["pattern"]
        if sid in services:
            raise entry.error("id", f"service {sid} is already declared")
        subject = None
        if entry["subject"] is not None:
            if pattern != ServicePattern.NOTICE:
                raise entry.error("subject", "only notices have a subject")
            try:  # compiled once: evaluated for every notice accepted
                subject = etree.XPath(entry["subject"], namespaces=ns_table)
            except etree.XPathSyntaxError as exc:
                raise entry.error("subject", f"not a valid XPath: {exc}") from None
        if entry["subscribers"] and pattern != ServicePattern.NOTICE:
            raise entry.error("subscribers", "only notices have subscribers")
        services[sid] = ServiceSpec(
            id=sid, version=entry["version"], unit=entry["unit"],
            pattern=ServicePattern(pattern),
            request_tag=resolve_qname(entry, "request"),
            response_tag=resolve_qname(entry, "response"), wsdl=referenced(entry, "wsdl"),
            catalog=name, subject=subject, sample=entry.file("sample"),
            subscriber_units=tuple(entry["subscribers"]))


def _compiled(umbrella: bytes) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(umbrella, etree.XMLParser(
        no_network=True, resolve_entities=False)))


def _umbrella(schema_files: dict[str, Path]) -> bytes:
    """One schema importing every namespace, so one compiled validator covers all messages."""
    imports = "".join(
        f"<xs:import namespace={quoteattr(ns)} schemaLocation={quoteattr(p.as_uri())}/>"
        for ns, p in schema_files.items())
    return (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'targetNamespace="urn:pfbus:catalog:umbrella">{imports}</xs:schema>').encode()
