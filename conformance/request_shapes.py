"""The request shapes an equivalence step re-encodes besides its sample (入力の形: P-EQUIV-02,
S-EQUIV-02): the messages of the service that together hold every optional element and every
choice branch of its request XSD, read from the catalog's schemas (coverage.variable_paths).

P-EQUIV-01 re-encodes one request per service — its sample, which for 住民照会 names the
resident by 宛名番号 without a 基準日. A product that reads 基準日 or 個人番号 by another code path
(``as_of[:10]``, a date parser that refuses white space, a lookup by prefix) was never sent
them in another lexical form. ``covering`` picks, greedily, the messages the run can render
(every ``${name}`` bound, valid against the XSD, breaking no rule beyond it) that add the
variable paths the sample lacks, the message adding most first; a path no renderable message
holds (a later 全件 page's ExtractId needs an extract first) is left out and named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from .coverage import present_paths, variable_paths
from .envelopes import TemplateError, substitute


ONLY_SAMPLE = "the sample holds every optional element and choice branch"  # a skip's reason


@dataclass(frozen=True)
class Cover:
    messages: tuple[str, ...]  # besides the sample, in the order chosen
    left_out: tuple[str, ...]  # variable paths no renderable message holds


def _variable_paths(catalog, service: str) -> set[str]:
    qname = etree.QName(catalog.service(service).request_tag)
    return variable_paths(catalog.schema_files[qname.namespace], qname.localname)


def has_shapes(catalog, service: str) -> bool:
    """Whether ``service``'s request has any optional element or choice at all: without one,
    every request is its sample's shape and P-EQUIV-02 has nothing to send (課税状況照会)."""
    return bool(_variable_paths(catalog, service))


def covering(suite, catalog, service: str, sample: str, values: Mapping[str, object]) -> Cover:
    """The messages of ``service`` that with ``sample`` hold every variable path of its request
    (module docstring), rendered with ``values``."""
    wanted = _variable_paths(catalog, service)
    have = present_paths(suite.messages[sample].body) & wanted
    candidates = {name: paths for name, paths in shapes(suite, catalog, service, values).items()
                  if name != sample}
    chosen: list[str] = []
    while True:
        gain = {name: paths - have for name, paths in candidates.items() if paths - have}
        if not gain:
            break
        best = max(gain, key=lambda n: (len(gain[n]), -len(candidates[n])))
        chosen.append(best)
        have |= candidates.pop(best)
    return Cover(tuple(chosen), tuple(sorted(wanted - have)))


def shapes(suite, catalog, service: str, values: Mapping[str, object]) -> dict[str, set[str]]:
    """Every request message of ``service`` the run can render (valid, breaking no rule), by
    name, with the variable paths of its request XSD it holds."""
    wanted = _variable_paths(catalog, service)
    return {name: present_paths(m.body) & wanted for name, m in sorted(suite.messages.items())
            if m.service == service and not m.reply and not m.breaks
            and _renders_valid(m.body, values, catalog)}


def distinct_shapes(suite, catalog, service: str, sample: str,
                    values: Mapping[str, object]) -> list[str]:
    """``sample`` and one message of every other set of variable paths the service's messages
    hold (round 47a: every combination the suite has, not only a covering)."""
    seen = {frozenset(present_paths(suite.messages[sample].body)
                      & _variable_paths(catalog, service))}
    out = [sample]
    for name, paths in shapes(suite, catalog, service, values).items():
        if frozenset(paths) not in seen:
            seen.add(frozenset(paths))
            out.append(name)
    return out


def _renders_valid(body: str, values: Mapping[str, object], catalog) -> bool:
    try:
        payload = etree.fromstring(substitute(body, values, xml=True).encode("utf-8"))
    except TemplateError:
        return False
    return bool(catalog.xsd.validate(payload))
