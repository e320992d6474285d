"""Input coverage from the schema: which choice branches and optional elements of a service's
request element the suite's messages exercise.

A product that supports only the first key of a choice (宛名番号, not 個人番号) or ignores an
optional element (基準日) passes a suite that never sends them. The request element's content
model is read from the catalog's XSDs (xmlschema); every element that is optional (minOccurs 0)
or one branch of an xs:choice, at any depth, must appear in at least one message a profile's
cases send for that service. ``uncovered`` lists what does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import xmlschema
from lxml import etree
from xmlschema.validators import XsdElement, XsdGroup

from bus.core import xmlschema_compat  # noqa: F401  (before any schema is built)
from .model import Profile, Suite

_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


@lru_cache(maxsize=16)
def _schema(path: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(path))


def variable_paths(xsd: Path, element: str) -> set[str]:
    """Paths (local names from the request element, ``/``-separated) of every optional element
    and every choice branch in ``element``'s content, at any depth."""
    root = _schema(xsd).elements[element]
    out: set[str] = set()

    def walk(group: XsdGroup, prefix: str, seen: frozenset) -> None:
        for particle in group:
            if isinstance(particle, XsdGroup):
                walk(particle, prefix, seen)
                continue
            if not isinstance(particle, XsdElement):
                continue
            path = f"{prefix}/{particle.local_name}" if prefix else particle.local_name
            if particle.min_occurs == 0 or group.model == "choice":
                out.add(path)
            content = getattr(particle.type, "content", None)
            if isinstance(content, XsdGroup) and particle.type.name not in seen:
                walk(content, path, seen | {particle.type.name})

    walk(root.type.content, "", frozenset())
    return out


def present_paths(body: str) -> set[str]:
    """The element paths (local names below the body element) a message body holds."""
    root = etree.fromstring(_PLACEHOLDER.sub("1", body).encode("utf-8"))
    out = set()
    for el in root.iter():
        if el is root or not isinstance(el.tag, str):
            continue
        parts = [etree.QName(a).localname for a in reversed(list(el.iterancestors()))][1:]
        out.add("/".join([*parts, etree.QName(el).localname]))
    return out


def sent_messages(suite: Suite, profile: Profile, service: str) -> Iterable[str]:
    """Names of the messages the profile's cases send for ``service`` (valid or not)."""
    for instance in suite.instances(profile):
        steps = list(instance.case.steps)
        while steps:
            step = steps.pop(0)
            if step.kind == "wait":
                steps += step.options["steps"]
            if step.kind not in ("send", "paginate"):
                continue
            for ref in (step.target, step.get("next")):
                if not isinstance(ref, str):
                    continue
                try:
                    msg = suite.message(ref, instance.service, step.where)
                except ValueError:
                    continue
                if (msg.service or instance.service) == service:
                    yield msg.name


def uncovered(suite: Suite, profile: Profile, catalog) -> dict[str, list[str]]:
    """Service → the optional elements and choice branches no message of the profile holds."""
    out = {}
    for sid in profile.services:
        spec = catalog.service(sid)
        if spec is None:
            continue
        qname = etree.QName(spec.request_tag)
        xsd = catalog.schema_files[qname.namespace]
        wanted = variable_paths(xsd, qname.localname)
        present = set()
        for name in set(sent_messages(suite, profile, sid)):
            present |= present_paths(suite.messages[name].body)
        missing = sorted(wanted - present)
        if missing:
            out[sid] = missing
    return out
