"""Where a Finding says the problem is (fault-v1.xsd; round 15b, docs/conformance-testing.md).

fault-v1.xsd makes a Finding's Path and Line optional: every Finding names its rule, and one about
a place in the offending message names its element path and its line (findings about the HTTP
request or the transport have no place). The suite judges the place where it knows it — the
element a message breaks its rule at (messages.toml ``breaks_at``; P-FAULT-10's ``all_of``) —
and only what the Finding gives: a Path must name that element (its last names; prefixes and
positions are the product's), a Line must be a line of the request (1 … its number of lines).
A product that omits either is not judged on it. Pure: no Twisted, no network.
"""

from __future__ import annotations

import codecs
import re

from bus.core.findings import Finding

_PREDICATE = re.compile(r"\[[^]]*\]")
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")


def _steps(path: str) -> list[str]:
    """A path's local names: ``prefix:name``, ``{namespace}name`` (Clark notation, a product
    writing no prefix) or ``name``; positions dropped."""
    return [step.rpartition("}")[2].rpartition(":")[2]
            for step in _PREDICATE.sub("", path).strip("/").split("/")]


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


def placed(findings: list[Finding], rules: list[str], at: str, lines: int) -> list[str]:
    """The findings of ``rules`` judged on their place, the element ``at``: one that gives a
    Path must name it, and its Line must be a line of the request."""
    mine = [f for f in findings if f.rule in rules]
    if not mine:
        return []  # the rule's absence is rule_in's to report
    problems = [] if any(f.path is None or names(f.path, at) for f in mine) else [
        f"the Finding of {mine[0].rule} names {mine[0].path}, not the element that breaks it "
        f"(…/{at})"]
    return problems + [p for p in (line_problem(f, lines) for f in mine) if p]
