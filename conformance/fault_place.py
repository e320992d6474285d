"""Where a Finding says the problem is (fault-v1.xsd; round 15b, docs/conformance-testing.md).

fault-v1.xsd makes a Finding's Path and Line optional: every Finding names its rule, and one about
a place in the offending message names its element path and its line (findings about the HTTP
request or the transport have no place). The suite judges the place where it knows it — the
element a message breaks its rule at (messages.toml ``breaks_at``; P-FAULT-10's ``all_of``) —
and only what the Finding gives: a Path must name that element (its last names; prefixes and
positions are the product's), a Line must be a line of the request (1 … its number of lines).
A product that omits either is not judged on it. Every Finding that gives a Path, in every fault
(INV-FAULT-13), must also give a path of the request itself (``unplaced``): from its root, the
Envelope, each step an element of the one before, a position where given the element's among its
namesakes — a path of the header validated on its own (/pfh:PlatformHeader/…) or of the body
element alone names no element of the message (blind batch 39) —, and a Line given with it may
not come before the line that element begins on (``line_before``: a line counted from 0, blind
batch 42). Pure: no Twisted, no network.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from bus.core.findings import Finding

_PREDICATE = re.compile(r"\[[^]]*\]")
# One step of a path: Clark names hold '/' ({http://…}Envelope), predicates may too.
_STEP = re.compile(r"(?:\{[^}]*\}|\[[^]]*\]|[^/\[{])+")
_POSITION = re.compile(r"\[\s*([0-9]+)\s*\]")
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
# docs/faults.md: a finding about the XML itself names the line the parser reports, no path
ABOUT_THE_XML = ("xml:well-formed", "soap:no-dtd")


def _local(step: str) -> str:
    """A step's local name: ``prefix:name``, ``{namespace}name`` (Clark notation, a product
    writing no prefix) or ``name``; predicates dropped."""
    return _PREDICATE.sub("", step).rpartition("}")[2].rpartition(":")[2].strip()


def _steps(path: str) -> list[str]:
    """A path's local names, positions dropped."""
    return [_local(step) for step in _STEP.findall(path)]


def names(path: str, tail: str) -> bool:
    """``path`` (a finding's) names the element ``tail`` names: its last steps are ``tail``'s
    local names."""
    want = _steps(tail)
    return _steps(path)[-len(want):] == want


def request_lines(raw: bytes) -> int:
    """The number of lines of the request as XML counts them (XML 1.0 2.11: CR LF, CR and LF
    each end a line), in UTF-8 or in UTF-16 with its byte order mark."""
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raw = raw.decode("utf-16").encode("utf-8")
    return len(_LINE_ENDS.findall(raw)) + 1


def line_problem(finding: Finding, lines: int) -> str | None:
    """A Line that is no line of the request (fault-v1.xsd: the line in the offending
    message)."""
    if finding.line is None or 1 <= finding.line <= lines:
        return None
    return (f"the Finding of {finding.rule} names line {finding.line}; the request has "
            f"{lines} line{'s' if lines > 1 else ''}")


def placed(findings: list[Finding], rules: list[str], at: str, lines: int,
           root: etree._Element | None = None) -> list[str]:
    """The findings of ``rules`` judged on their place, the element ``at``: one that gives a
    Path must name it, and its Line must be a line of the request, not before the first line
    an element ``at`` names begins on in ``root`` (the request, when it parses)."""
    mine = [f for f in findings if f.rule in rules]
    if not mine:
        return []  # the rule's absence is rule_in's to report
    problems = [] if any(f.path is None or names(f.path, at) for f in mine) else [
        f"the Finding of {mine[0].rule} names {mine[0].path}, not the element that breaks it "
        f"(…/{at})"]
    problems += [p for p in (line_problem(f, lines) for f in mine) if p]
    first = _first_line(root, at) if root is not None else None
    return problems + [
        f"the Finding of {f.rule} names line {f.line}, before line {first}, where …/{at} "
        f"begins (lines count from 1)" for f in mine
        if first is not None and f.line is not None and f.line < first]


def _first_line(root: etree._Element, tail: str) -> int | None:
    """The first line an element whose path ends in ``tail``'s names begins on, if any."""
    want = _steps(tail)
    lines = [el.sourceline for el in root.iter()
             if isinstance(el.tag, str) and el.sourceline and _ancestry(el)[-len(want):] == want]
    return min(lines, default=None)


def _ancestry(el: etree._Element) -> list[str]:
    """The local names from the root down to ``el``."""
    return [etree.QName(e).localname for e in (*reversed(list(el.iterancestors())), el)]


def unplaced(path: str, root: etree._Element) -> str | None:
    """Why ``path`` (a Finding's) is no path of an element of the message whose root is
    ``root``, or None when it is one: it begins at the root, each step names a child of the
    element before (a ``[n]`` position, where given, the n-th of its namesakes — given only
    where it has some; never ``*``, which names no element).
    A last step naming an attribute (``@name``) or a child the element has none of (the
    finding of a missing element may name it) is allowed: the element before it is the place."""
    return _resolved(path, root)[0]


def named_elements(path: str, root: etree._Element) -> list[etree._Element]:
    """The elements of the message ``path`` names (none when it names no element of it; for an
    attribute or a missing child, the element before it)."""
    return _resolved(path, root)[1]


def line_before(finding: Finding, root: etree._Element) -> str | None:
    """A Line before the line the place it names begins on: the element the Finding's Path
    names (or the one whose attribute or missing child it names), else — a Finding about an
    element without a Path, a rule other than the XML's own (``xml:*``, ``soap:no-dtd``: the
    line the parser was on) — the root element. Lines count from 1 (the line in the message as
    received), so a line counted from 0 names the line before (blind batch 42). Later lines are
    not judged: a product may name the line its parser was on at the end of a start tag."""
    if finding.line is None:
        return None
    places: list[etree._Element] = []
    if finding.path is not None:
        why, places = _resolved(finding.path, root)
        if why:
            return None  # unplaced's to report
    elif finding.rule.startswith("xml:") or finding.rule in ABOUT_THE_XML:
        return None
    else:
        places = [root]
    first = min((el.sourceline for el in places if el.sourceline), default=None)
    if first is None or finding.line >= first:
        return None
    where = finding.path or "the message's root element"
    return (f"the Finding of {finding.rule} names line {finding.line}, before line {first}, "
            f"where {where} begins (lines count from 1)")


def _resolved(path: str, root: etree._Element) -> tuple[str | None, list[etree._Element]]:
    """``unplaced``'s verdict, and the elements the path names (for an attribute or a missing
    child, the element before it)."""
    steps = _STEP.findall(path)
    if not path.startswith("/") or not steps:
        return f"the Path {path!r} does not begin at the message's root (/…:Envelope/…)", []
    if steps[-1].lstrip().startswith("@"):
        steps = steps[:-1]
    level: list[etree._Element | None] = [None]  # None: the document, the root's parent
    for i, step in enumerate(steps):
        name = _local(step)
        if name == "*":  # docs/faults.md: prefixes as the message or the catalog writes them —
            # a DOM library's node path writes * for an element in a default namespace (round
            # 46a: the forty-sixth blind batch's); it names no element
            return (f"the Path {path!r} writes {step} for an element: a step names its element "
                    f"(docs/faults.md: prefixes as the message or the catalog writes them; an "
                    f"element in a default namespace by its name, unprefixed, or the catalog's "
                    f"prefix)"), []
        position = _POSITION.search(step)
        found: list[etree._Element | None] = []
        named = False
        for parent in level:
            kids = [root] if parent is None else [c for c in parent if isinstance(c.tag, str)]
            same = [c for c in kids if etree.QName(c).localname == name]
            named = named or bool(same)
            if position and len(same) == 1:
                # docs/faults.md: a position only where siblings share a name (round 45a: the
                # forty-fifth blind batch wrote [1] on every step, as a DOM library's XPath)
                return (f"the Path {path!r} gives {step} a position, but no sibling shares its "
                        f"name (docs/faults.md: a position only where siblings share a name)"), []
            if position:
                n = int(position[1])
                same = same[n - 1:n] if n >= 1 else []
            found += same
        if not found:
            if i and i == len(steps) - 1 and not named:
                return None, [el for el in level if el is not None]  # a child it lacks
            return (f"the Path {path!r} names no element of the message: no {step} "
                    + (f"in …/{'/'.join(steps[:i])}" if i else "at its root")), []
        level = found
    return None, [el for el in level if el is not None]
