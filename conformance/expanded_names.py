"""Names are expanded names (名前空間付きの名前, P-NAME-01): every element a product dispatches on or
reads, sent with its own local name in a namespace that is not its own, must be refused.

Namespaces in XML 1.0 §2.1 and §2.3: an element's name is the pair (namespace name, local name),
namespace names compared as strings, character for character. A product that finds the request
element, the platform header or a field by its local name (``localname ==``, ``//*[local-name()
= …]``, a prefix stripped) reads a message of another version or of no namespace as its own:
the eighteenth blind batch answered (applied) a juki v2 ``ResidentInquiryRequest``
(``ResidentChangeNotice``) as v1. For the service's sample request (step ``names``):

- the payload element and every descendant of its namespace moved to another namespace — the
  next version's (``…:v1`` → ``…:v2``), none, and two near misses (a ``/`` appended, upper
  case): docs/faults.md PF-SCHEMA-INVALID, "the body … is not the service's request element";
- each other element of the payload alone moved (the namespaces in turn, none first: an
  unqualified element is the slip of a binding generated with elementFormDefault="unqualified"):
  PF-SCHEMA-INVALID, the body violates the service's schema;
- the ``pfh:PlatformHeader`` block moved (another version, the near misses; not to no
  namespace — SOAP 1.1 §4.2 and 1.2 Part 1 §5.2 want header blocks qualified, a refusal of the
  envelope's): then the request has no platform header, PF-HEADER-MISSING;
- each element inside the platform header alone moved: PF-HEADER-INVALID (header-v1.xsd).

Each changed payload is checked invalid against the catalog before it is sent (a form the
schemas accept is not sent). Each is its own request, SOAP 1.1 and 1.2 in turn; each must get a
client fault (HTTP 500 / 400, Party client) of its code. The header's forms are the same for
every service: sent once per profile, the profile's services taking them in turn. Not sent: the
SOAP envelope's own elements in another namespace (a version error: P-SOAP-08), attributes
(the messages carry none of their own).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from lxml import etree

from bus.core.header import HEADER_TAG

from . import checks, xmlread
from .neighbours import _render_values
from .records import Exchange

SCHEMA_INVALID, HEADER_MISSING = "PF-SCHEMA-INVALID", "PF-HEADER-MISSING"


def other_namespaces(ns: str) -> list[tuple[str, str | None]]:
    """(label, namespace) for an element of ``ns`` written elsewhere: the next version's, none,
    and near misses a string comparison tells apart."""
    version = ns[:-1] + str(int(ns[-1]) + 1) if ns[-1:].isdigit() else f"{ns}:v2"
    return [("another version", version), ("no namespace", None),
            ("a near miss: '/' appended", f"{ns}/"), ("a near miss: upper case", ns.upper())]


def _qualified(ns: str | None, local: str) -> str:
    return local if ns is None else f"{{{ns}}}{local}"


def _moved(el: etree._Element, ns: str | None, whole: bool) -> None:
    """``el`` (and, ``whole``, each descendant of its namespace) renamed into ``ns``."""
    own = etree.QName(el).namespace
    for e in (el.iter() if whole else (el,)):
        if isinstance(e.tag, str) and etree.QName(e).namespace == own:
            e.tag = _qualified(ns, etree.QName(e).localname)


def _relative(base: etree._Element, el: etree._Element) -> str:
    """``el``'s ElementPath from ``base`` ("{ns}a[1]/{ns}b[2]": the n-th of its tag)."""
    steps = []
    while el is not base:
        parent = el.getparent()
        n = [c for c in parent if c.tag == el.tag].index(el) + 1
        steps.append(f"{el.tag}[{n}]")
        el = parent
    return "/".join(reversed(steps))


def _paths(base: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """Each element below ``base`` of a distinct path (repeated siblings once), with its
    ElementPath from ``base``."""
    seen: set[str] = set()
    for el in base.iterdescendants():
        if isinstance(el.tag, str):
            rel = _relative(base, el)
            key = re.sub(r"\[\d+\]", "", rel)
            if key not in seen:
                seen.add(key)
                yield rel, el


def _shown(rel: str) -> str:
    """An ElementPath as a reader reads it: local names, no ``[1]``."""
    return re.sub(r"\{[^}]*\}|\[1\]", "", rel)


Change = Callable[[etree._Element], None]  # edits a parsed request in place


def body_forms(payload: etree._Element) -> list[tuple[str, Change]]:
    """(label, edit) of every body form (module docstring), for a request whose payload is
    ``payload`` (its namespaces read from it)."""
    ns = etree.QName(payload).namespace or ""
    out: list[tuple[str, Change]] = []
    for label, other in other_namespaces(ns):
        out.append((f"the payload and its {ns} elements in {label} ({other})",
                    partial(_move, _payload, "", other, True)))
    for k, (rel, el) in enumerate(_paths(payload)):
        label, other = other_namespaces(etree.QName(el).namespace or "")[(k + 1) % 4]
        out.append((f"{_shown(rel)} alone in {label} ({other})",
                    partial(_move, _payload, rel, other, False)))
    return out


def header_forms(header: etree._Element) -> list[tuple[str, Change, str]]:
    """(label, edit, the code it is refused with) of every header form (module docstring)."""
    ns = etree.QName(header).namespace or ""
    out: list[tuple[str, Change, str]] = [
        (f"pfh:PlatformHeader in {label} ({other})",
         partial(_move, _header, "", other, True), HEADER_MISSING)
        for label, other in other_namespaces(ns) if other is not None]
    for k, (rel, el) in enumerate(_paths(header)):
        label, other = other_namespaces(etree.QName(el).namespace or "")[(k + 1) % 4]
        out.append((f"{_shown(rel)} alone in {label} ({other})",
                    partial(_move, _header, rel, other, False),
                    checks.HEADER_INVALID))
    return out


def _payload(root: etree._Element) -> etree._Element:
    body = next(c for c in root if isinstance(c.tag, str) and etree.QName(c).localname == "Body"
                and etree.QName(c).namespace == etree.QName(root).namespace)
    return next(c for c in body if isinstance(c.tag, str))


def _header(root: etree._Element) -> etree._Element:
    return root.find(f"*/{HEADER_TAG}")


def _move(locate: Callable[[etree._Element], etree._Element], rel: str, ns: str | None,
          whole: bool, root: etree._Element) -> None:
    """The element at ``rel`` below ``locate(root)`` (itself for "") moved into ``ns``."""
    base = locate(root)
    _moved(_at(base, rel) if rel else base, ns, whole)


def _at(base: etree._Element, rel: str) -> etree._Element:
    found = base.find(rel)
    assert found is not None, rel
    return found


def _edited(raw: bytes, change: Change) -> bytes:
    """The request with ``change`` made, behind its own XML declaration (lxml would write
    another: this case judges names, not declarations)."""
    root = etree.fromstring(raw, xmlread.parser())
    change(root)
    return raw[:raw.index(b"<", 1 if raw.startswith(b"<?") else 0)] \
        + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


# --- the run -------------------------------------------------------------------------------------

def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """Every form (module docstring), each its own request, each judged a client fault."""
    merged = _render_values(runner, values)
    first, _ = runner._build(step, merged, step.target, {}, "names")
    root = etree.fromstring(first.request, xmlread.parser())
    if not runner.s.catalog.xsd.validate(_payload(root)):
        raise ValueError(f"{step.where}: the sample {step.target} is not valid")
    sends: list[tuple[str, Change, str]] = []
    for label, change in body_forms(_payload(root)):
        changed = copy.deepcopy(root)
        change(changed)
        if not runner.s.catalog.xsd.validate(_payload(changed)):
            sends.append((label, change, SCHEMA_INVALID))
    services = list(runner.s.profile.services) or [runner.instance.service]
    mine = services.index(runner.instance.service) if runner.instance.service in services else 0
    sends += [f for j, f in enumerate(header_forms(_header(root))) if j % len(services) == mine]
    problems: list[str] = []
    for k, (label, change, code) in enumerate(sends):
        soap = "1.2" if k % 2 else "1.1"

        def rewrite(raw: bytes, headers: dict[str, str], c=change):
            return _edited(raw, c), headers

        vals = {**merged, "fresh_addressee": runner._fresh_addressee()}
        ex = runner._post(step.with_options(soap=soap), vals, step.target, {},
                          f"[{label}, SOAP {soap}]", rewrite=rewrite)
        problems += [f"[{label}, SOAP {soap}]: {p}" for p in judge(runner, ex, code)]
    return problems


def judge(runner, ex: Exchange, code: str) -> list[str]:
    """A client fault of ``code``: HTTP 500 over SOAP 1.1, 400 over 1.2 (docs/faults.md)."""
    if found := checks.outcome(ex, "fault"):
        return found
    want = 500 if ex.soap_version == "1.1" else 400
    problems = [] if ex.status == want else [f"HTTP status {ex.status}, expected {want}"]
    ctx = runner.s.context
    return problems + checks.fault(ctx, ex, checks.client_fault_spec(ex, {"code_in": [code]},
                                                                      ctx))
