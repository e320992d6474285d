"""The normative statements a vendor reads (規定の棚卸し), and the suite's reach over them.

``statements.toml`` lists every statement of the public documents (README, docs/notices.md,
docs/faults.md, docs/adapter-sdk.md, docs/characters.md, docs/security.md, the platform notes,
the XSD/WSDL annotations) and of the standards that binds an adapter — a provider or a
subscriber — each with a short verbatim quote, the roles it binds, and either the requirements
or cases that check it or why the suite cannot. Sentences of those documents that state an
obligation but bind no adapter (the hub's own duties, the SDK's internals, operators' commands)
are listed as ``informative`` with the reason.

``obligations`` finds every sentence of a document that states an obligation (``OBLIGATION``),
so a test can require each to be inventoried: a statement added to a document later fails that
test until someone decides whether the suite checks it. Pure: no Twisted, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bus.core.settings import (REQUIRED, Choice, Key, ListOf, OneOrMore, Section, SettingsError,
                               Source, Str, Table, Tables, load_toml, read)

from .declarations import FORMAT
from .model import Suite

HERE = Path(__file__).parent
REPO = HERE.parent
FILE = HERE / "statements.toml"

# the words with which the documents state a duty (English; the Japanese terms sit beside them)
OBLIGATION = re.compile(
    r"\b(?:must|MUST|shall|SHALL|should|SHOULD|never|always|refuses?|refused|is required|"
    r"are required|may not|exactly once|not allowed|forbids?|not a fault|client's error|"
    r"is answered|are answered|answers only|unchanged|byte for byte|(?:replies|responses) only)"
    r"\b")

# the documents a vendor reads, as the inventory names them (paths from the repository root)
DOCUMENTS = ("README.md", "docs/notices.md", "docs/faults.md", "docs/adapter-sdk.md",
             "docs/characters.md", "docs/security.md", "../shared/docs/platform.md",
             "schemas/platform/header-v1.xsd", "schemas/platform/common-v1.xsd",
             "schemas/platform/fault-v1.xsd", "schemas/platform/receipt-v1.xsd",
             "schemas/units/juki/juki-v1.xsd", "schemas/units/kokuho/kokuho-v1.xsd",
             "schemas/units/kojin_juminzei/kojin-juminzei-v1.xsd")
ROLES = ("provider", "subscriber")


class StatementsError(SettingsError):
    """statements.toml cannot be used; the message names the key."""


@dataclass(frozen=True)
class Statement:
    id: str
    document: str  # a path of DOCUMENTS, or a standard ("RFC 9112 3.2.2")
    quote: str
    roles: tuple[str, ...]
    checked_by: tuple[str, ...]  # requirement or case IDs
    unchecked: str  # why the suite cannot check it ("" when checked)

    @property
    def standard(self) -> bool:
        return self.document not in DOCUMENTS


@dataclass(frozen=True)
class Informative:
    document: str
    quote: str
    why: str  # whose duty it is, if not an adapter's


_STATEMENT = Table("statement", (
    Key("id", Str(nonempty=True), REQUIRED, "stable ID, e.g. ST-FAULT-03"),
    Key("document", Str(nonempty=True), REQUIRED, "a path of DOCUMENTS, or a standard's section"),
    Key("quote", Str(nonempty=True), REQUIRED, "verbatim, short: a test finds it in the document"),
    Key("roles", OneOrMore(), REQUIRED, "the adapters it binds: provider, subscriber"),
    Key("checked_by", ListOf(Str(nonempty=True)), [], "requirement or case IDs"),
    Key("unchecked", Str(), "", "why the suite cannot check it"),
), "a normative statement that binds an adapter")
_INFORMATIVE = Table("informative", (
    Key("document", Str(nonempty=True), REQUIRED, "a path of DOCUMENTS"),
    Key("quote", Str(nonempty=True), REQUIRED, "verbatim, short"),
    Key("why", Choice(("hub", "sdk", "operator", "publisher", "consumer", "tooling",
                       "description")), REQUIRED,
        "whose duty it states, or description: no duty of an adapter"),
), "a sentence that states an obligation binding no adapter")
_FILE = Table("statements.toml", (
    FORMAT,
    Key("statement", Tables(_STATEMENT), [], _STATEMENT.doc),
    Key("informative", Tables(_INFORMATIVE), [], _INFORMATIVE.doc)))


@dataclass(frozen=True)
class Inventory:
    statements: tuple[Statement, ...]
    informative: tuple[Informative, ...]

    @classmethod
    def load(cls, path: Path = FILE) -> Inventory:
        doc: Section = read(_FILE, load_toml(path, StatementsError),
                            Source(path.name, path.parent, StatementsError))
        seen: set[str] = set()
        out = []
        for s in doc["statement"]:
            if s["id"] in seen:
                raise s.error("id", f"{s['id']} is defined twice")
            seen.add(s["id"])
            if bool(s["checked_by"]) == bool(s["unchecked"]):
                raise s.error("checked_by", "a statement is either checked_by cases or "
                              "unchecked with the reason, not both or neither")
            for r in s["roles"]:
                if r not in ROLES:
                    raise s.error("roles", f"unknown role {r!r} (one of {', '.join(ROLES)})")
            out.append(Statement(s["id"], s["document"], " ".join(s["quote"].split()),
                                 tuple(s["roles"]), tuple(s["checked_by"]), s["unchecked"]))
        info = tuple(Informative(i["document"], " ".join(i["quote"].split()), i["why"])
                     for i in doc["informative"])
        return cls(tuple(out), info)

    def quotes(self, document: str) -> list[str]:
        return [s.quote for s in self.statements if s.document == document] + \
            [i.quote for i in self.informative if i.document == document]


def unknown_ids(inventory: Inventory, suite: Suite) -> list[str]:
    """``checked_by`` IDs that are neither a requirement nor a case of the suite."""
    known = set(suite.requirements) | set(suite.cases)
    return [f"{s.id}: {ref}" for s in inventory.statements for ref in s.checked_by
            if ref not in known]


# --- the documents' sentences -------------------------------------------------------------------

_FENCE = re.compile(r"^\s*```")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z`*(\"'])")


def document_text(path: Path) -> str:
    """The text a quote is searched in: white space collapsed (a quote may span lines); for an
    XSD/WSDL its annotations and comments only."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix in (".xsd", ".wsdl"):
        return " ".join(" ".join(u.split()) for u in _xml_units(raw))
    return " ".join(raw.split())


_XML_NOTE = re.compile(r"<!--(.*?)-->|<xs:documentation[^>]*>(.*?)</xs:documentation>", re.S)


def _xml_units(raw: str) -> list[str]:
    """An XSD's comments and xs:documentation texts."""
    return [a or b for a, b in _XML_NOTE.findall(raw)]


def units(path: Path) -> Iterator[str]:
    """A document's units of text, white space collapsed: sentences of its paragraphs and list
    items, each table row as one unit, code blocks left out (examples, not statements); an
    XSD's annotations and comments."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix in (".xsd", ".wsdl"):
        for u in _xml_units(raw):
            yield from _sentences(" ".join(u.split()))
        return
    block: list[str] = []
    fenced = False
    for line in raw.splitlines() + [""]:
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        stripped = line.strip()
        starts_item = bool(re.match(r"^(?:[-*] |\d+\. |\|)", stripped))
        if not stripped or stripped.startswith("#") or starts_item:
            if block:
                yield from _sentences(" ".join(" ".join(block).split()))
                block = []
            if stripped.startswith("|"):
                yield " ".join(stripped.split())
                continue
            if stripped.startswith("#"):
                continue
        if stripped:
            block.append(stripped)


def _sentences(text: str) -> Iterator[str]:
    for s in _SENTENCE_END.split(text):
        if s.strip():
            yield s.strip()


def obligations(path: Path) -> list[str]:
    """The units of a document that state an obligation (``OBLIGATION``); of an XSD every
    annotation that says more than a label (four words or more)."""
    xml = path.suffix in (".xsd", ".wsdl")
    return [u for u in units(path) if OBLIGATION.search(u) or (xml and len(u.split()) >= 4)]


def uncovered(inventory: Inventory, document: str, root: Path = REPO) -> list[str]:
    """The obligations of ``document`` that hold none of the inventory's quotes of it."""
    quotes = inventory.quotes(document)
    return [u for u in obligations(root / document) if not any(q in u for q in quotes)]


def present(root: Path = REPO) -> list[str]:
    """The DOCUMENTS found at ``root`` (the platform notes live beside the repository)."""
    return [d for d in DOCUMENTS if (root / d).is_file()]


def missing_quotes(inventory: Inventory, root: Path = REPO) -> list[str]:
    """Quotes of the public documents that their document no longer holds (docs drift); a
    document absent at ``root`` is not read (``present``)."""
    texts = {d: document_text(root / d) for d in present(root)}
    out = [f"{s.id}: {s.document}: {s.quote!r}" for s in inventory.statements
           if s.document in texts and s.quote not in texts[s.document]]
    out += [f"informative {i.document}: {i.quote!r}" for i in inventory.informative
            if i.document not in DOCUMENTS
            or (i.document in texts and i.quote not in texts[i.document])]
    return out


# --- what the suite cannot check, as docs/conformance.md lists it --------------------------------

BEGIN = "<!-- unchecked statements: generated by conformance.statements -->"
END = "<!-- end of the unchecked statements -->"


def unchecked_table(inventory: Inventory) -> str:
    rows = ["| statement | document | what it says | roles | why the suite cannot check it |",
            "| --- | --- | --- | --- | --- |"]
    for s in inventory.statements:
        if s.unchecked:
            quote = s.quote.replace("|", "\\|")
            rows.append(f"| {s.id} | {s.document} | “{quote}” | {', '.join(s.roles)} | "
                        f"{s.unchecked.replace('|', chr(92) + '|')} |")
    return "\n".join([BEGIN, *rows, END])


def counts(inventory: Inventory) -> dict[str, int]:
    s = inventory.statements
    return {"statements": len(s), "checked": sum(1 for x in s if x.checked_by),
            "unchecked": sum(1 for x in s if x.unchecked),
            "standards": sum(1 for x in s if x.standard),
            "informative": len(inventory.informative)}
