"""Message validation: XSD first (lxml decides, fast), then the rules beyond XSD.

Validation reads the tree parsed once by ``envelope.parse_envelope``; the compiled schema and the
rule plan come from the catalog, built at start. Each finding names the rule, the element path and
the line in the message as received.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import replace

from lxml import etree

from .catalog import Catalog
from .date_whitespace import collapse_dates
from .findings import Finding
from .identifiers import DEFAULT_ADDRESSEE_SCHEME, AddresseeNumberScheme
from .rules import WHITESPACE, RuleContext
from .typeplan import PlanNode, RuleIndex, rule_index
from .xmlpath import element_path, qname_text

_ELEMENT_RE = re.compile(r"^Element '([^']+)'(?:, attribute '[^']+')?: ")
_FACET_RE = re.compile(r"\[facet '([A-Za-z]+)'\]")
_NS_RE = re.compile(r"\{([A-Za-z][A-Za-z0-9+.\-]*:[^}]*)\}")  # {namespace-URI}, not {2,15}


MAX_CONTEXTS = 1024  # (data owner, sender) pairs whose rule context is kept made


class MessageValidator:
    """Validates platform headers and bodies against the catalog's schemas and rules."""

    def __init__(self, catalog: Catalog,
                 addressee_schemes: Mapping[str, AddresseeNumberScheme] | None = None,
                 default_addressee_scheme: AddresseeNumberScheme = DEFAULT_ADDRESSEE_SCHEME, *,
                 characters: Mapping[str, str] | None = None,
                 gaiji: Mapping[str, frozenset[str]] | None = None):
        """``characters``: 団体コード → the repertoire its names must keep to ("mj", the default,
        or "jisx0213"); ``gaiji``: sending party (``団体コード/業務ユニット/システムID``) → the
        private-use characters of its registered 外字 table."""
        self.catalog = catalog
        schemes, repertoires = addressee_schemes or {}, characters or {}
        self._contexts = {code: RuleContext(schemes.get(code, default_addressee_scheme),
                                            repertoires.get(code, "mj"), owner=code)
                          for code in {*schemes, *repertoires}}
        self._default_context = RuleContext(default_addressee_scheme)
        self._gaiji = dict(gaiji or {})
        # per root node, built on first use: what its walk may check (typeplan.rule_index)
        self._indexes: dict[PlanNode, RuleIndex] = {}
        self._by_sender: dict[tuple[str, str | None], RuleContext] = {}  # see _context

    def validate(self, el: etree._Element, expected_tag: str | None = None,
                 data_owner: str | None = None, sender: str | None = None, *,
                 descendants: list[tuple[object, str | None]] | None = None) -> list[Finding]:
        """Findings for one element (a header block or a body); empty when valid.

        ``expected_tag`` is the element the service requires here; ``data_owner`` the 団体コード
        whose 宛名番号 scheme and character repertoire apply in this element; ``sender`` the
        sending party, whose registered 外字 are acceptable in names. ``descendants``: the
        ``(tag, text)`` of every node below ``el`` in document order (header.descendant_items),
        when the caller reads them anyway (the header model): the rules then read these instead
        of the tree (the same values, in the same order).
        """
        tag = el.tag  # read once: lxml makes a new string per read
        if expected_tag is not None and tag != expected_tag:
            prefixes = self.catalog.prefixes
            return [Finding("service:element", f"expected {qname_text(expected_tag, prefixes)}, "
                            f"found {qname_text(tag, prefixes, el.prefix)}",
                            element_path(el, prefixes), el.sourceline)]
        xsd = self.catalog.xsd
        if not xsd.validate(el) and not (
                collapse_dates(el, self.catalog.date_elements) and xsd.validate(el)):
            return [self._xsd_finding(el, e) for e in xsd.error_log]
        node = self.catalog.plan.roots.get(tag)  # RulePlan.node_for without its call
        findings: list[Finding] = []
        if node is not None:
            ctx = self._context(data_owner or "", sender)
            if not self._passes(el, node, ctx, descendants):  # findings: the walk's, in order
                self._check(el, node, ctx, findings)
        return findings

    def with_own_schema(self) -> MessageValidator:
        """This validator for another thread: the catalog's XSD compiled again (an lxml
        XMLSchema keeps its error log on the object) and caches of its own."""
        own = copy.copy(self)
        own.catalog = self.catalog.with_own_schema()
        own._indexes, own._by_sender = {}, {}
        return own

    def _context(self, data_owner: str, sender: str | None) -> RuleContext:
        """The rules' context for this data owner and sender, made once per pair (a
        ``dataclasses.replace`` per body before, issue 13). The cache is bounded: senders are
        whatever valid headers name, so it starts over past ``MAX_CONTEXTS`` pairs."""
        key = (data_owner, sender)
        ctx = self._by_sender.get(key)
        if ctx is None:
            ctx = self._contexts.get(data_owner, self._default_context)
            if sender:
                ctx = replace(ctx, gaiji=self._gaiji.get(sender, frozenset()), sender=sender)
            if len(self._by_sender) >= MAX_CONTEXTS:
                self._by_sender.clear()
            self._by_sender[key] = ctx
        return ctx

    def rules_pass(self, el: etree._Element, node: PlanNode, ctx: RuleContext) -> bool:
        """True when no rule beyond XSD can find a problem in ``el`` (``node`` its plan node),
        decided without the walk (``_passes``); False: a walk says what and where."""
        return self._passes(el, node, ctx)

    def _passes(self, el: etree._Element, node: PlanNode, ctx: RuleContext,
                descendants: list[tuple[object, str | None]] | None = None) -> bool:
        """True when no rule can find a problem in ``el`` (the common case), checked without
        the walk: libxml2 iterates over the element names that bear rules below ``node`` and
        Python reads only those elements (typeplan.rule_index: a superset of the walk's
        checks). False sends the message through ``_check``, which decides and gives the
        findings in document order (the first one is the one the routing log names)."""
        try:
            index = self._indexes[node]
        except KeyError:
            index = self._indexes[node] = rule_index(node, self.catalog.plan.roots)
        for rule in node.rules:
            if rule.problem((el.text or "").strip(WHITESPACE), ctx) is not None:
                return False
        if not index.names:
            return True
        rules_of = index.rules
        if descendants is not None:  # the same elements as iterdescendants(*names), in order
            for tag, text in descendants:
                rules = rules_of.get(tag)  # type: ignore[call-overload]
                if rules is not None:
                    value = (text or "").strip(WHITESPACE)
                    for rule in rules:
                        if rule.problem(value, ctx) is not None:
                            return False
            return True
        # The texts gathered first, one libxml2 iteration per group of names bearing the same
        # rules, then each rule judges all of its values at once (Rule.all_pass: one C call for
        # the characters of every name, each distinct code once). A rule per value, and reading
        # each element's name to find its rules, cost ~9 k instructions per value on a 100 KB
        # answer (issue 13 item 2).
        for names, rules in index.groups:
            found = [child.text for child in el.iterdescendants(*names)]
            if found:
                for rule in rules:
                    if not rule.all_pass(found, ctx):
                        return False
        return True

    def _check(self, el: etree._Element, node: PlanNode, ctx: RuleContext,
               findings: list[Finding]) -> None:
        # The value, not the lexical form: types derived from xs:token, xs:integer… collapse
        # whitespace, so the XSD accepts a code padded with it (a newline in pretty-printed XML).
        if node.rules:  # most elements have none (read only to reach those below that do)
            value = (el.text or "").strip(" \t\r\n")
            for rule in node.rules:
                problem = rule.problem(value, ctx)
                if problem is not None:
                    path = element_path(el, self.catalog.prefixes)
                    for text in (problem,) if isinstance(problem, str) else problem:
                        findings.append(Finding(rule.name, text, path, el.sourceline))
        children, open_content = node.children, node.open_content
        if not children and not open_content:  # nothing below has a rule: not walked
            return
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            child_node = children.get(tag)
            if child_node is None and open_content:
                child_node = self.catalog.plan.roots.get(tag)
            if child_node is not None:
                self._check(child, child_node, ctx, findings)

    def _xsd_finding(self, scope: etree._Element, error: etree._LogEntry) -> Finding:
        """Turn an lxml schema error into a finding with a named path."""
        message = error.message
        facet = _FACET_RE.search(message)
        rule = f"xsd:{facet.group(1)}" if facet else _xsd_rule(message)
        target = _walk(scope, error.path)
        if target is None or target.sourceline != error.line:
            target = _locate(scope, message, error.line)
        prefixes = self.catalog.prefixes
        text = _FACET_RE.sub("", _ELEMENT_RE.sub("", message)).strip()
        text = _NS_RE.sub(lambda m: (prefixes.get(m.group(1), m.group(1)) + ":"), text)
        path = element_path(target, prefixes) if target is not None else None
        return Finding(rule, text, path, error.line)


def _xsd_rule(message: str) -> str:
    if "not expected" in message or "Missing child" in message:
        return "xsd:content"
    if "attribute" in message:
        return "xsd:attribute"
    if "not a valid value" in message:
        return "xsd:type"
    return "xsd:schema"


_STEP_RE = re.compile(r"^(\*|[^\[\]/@]+)(?:\[([0-9]+)\])?$")


def _walk(scope: etree._Element, path: str | None) -> etree._Element | None:
    """The element at libxml2's error path, relative to the validated element.

    Steps are ``prefix:name[n]`` (the document's own prefix), ``name[n]`` (no namespace) or ``*[n]``
    (default namespace: any element); this is exact where a line is not (one-line messages).
    """
    if not path or not path.startswith("/"):
        return None
    node, candidates = None, [scope]
    for step in path[1:].split("/"):
        m = _STEP_RE.match(step)
        if m is None:
            return None
        name, n = m.group(1), int(m.group(2) or 1)
        same = [c for c in candidates if isinstance(c.tag, str) and _step_matches(c, name)]
        if len(same) < n:
            return None
        node = same[n - 1]
        candidates = list(node)
    return node


def _step_matches(el: etree._Element, name: str) -> bool:
    if name == "*":
        return True
    prefix, _, local = name.rpartition(":")
    if not prefix:
        return bool(el.tag == local)
    return bool(el.prefix == prefix and el.tag.endswith("}" + local))


def _locate(scope: etree._Element, message: str, line: int) -> etree._Element | None:
    """The element an lxml error is about: its name (from the message) on the error's line."""
    m = _ELEMENT_RE.match(message)
    tag = m.group(1) if m else None
    fallback = None
    for el in scope.iter():
        if el.sourceline == line and isinstance(el.tag, str):
            if tag is None or el.tag == tag or el.tag.endswith("}" + tag):
                return el
            fallback = fallback if fallback is not None else el
    return fallback
