"""Other lexical forms of the same values, and the XML Schema instance attributes, generated from
the XSD types of a request's fields — two equivalent encodings of P-EQUIV-01 / S-EQUIV-01
(equivalence.py's ``lexical-forms`` and ``xsi-attributes``).

XML Schema 1.0 Part 2 separates a type's lexical space from its value space: ``+03``, ``3`` and
`` 3 `` are one xs:positiveInteger (§3.3.13, §3.3.25: an optional sign, leading zeros, and the
whiteSpace facet ``collapse`` of every type not derived from xs:string), `` 2024-04-01 `` is one
xs:date, ``1`` and ``true`` one xs:boolean. ``lexical_forms`` rewrites each field of the payload
whose XSD type allows it into another lexical form of its value: integers (and decimals) signed,
with a leading zero and surrounded by white space; booleans swapped between their two spellings;
dates, times and other collapsed types surrounded by white space (tokens with their inner
spaces doubled). Fields derived from xs:string with whiteSpace preserve — the platform's keys,
names and codes — are data as written and are left alone.

XML Schema 1.0 Part 1 §2.6 and §3.2.7: xsi:type, xsi:nil, xsi:schemaLocation and
xsi:noNamespaceSchemaLocation may appear on any element without being declared; the
location attributes are hints a validator may ignore. ``xsi_attributes`` puts both location
hints on the payload element and ``xsi:type`` naming each leaf's declared type (a type may name
itself: §3.4.6, validly derived), and xsi:nil="false" on elements declared nillable.

Each field changed is checked against the catalog's XSD (the whole payload validated after each
change, white space around dates stripped first as XML Schema does and libxml2 does not); a form
the schema refuses is not sent. A payload with nothing to change raises
``NotApplicable``: the variant is not sent for that service.
"""

from __future__ import annotations

from lxml import etree

from bus.core.date_whitespace import collapse_dates

from .coverage import _schema

XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


class NotApplicable(Exception):
    """The request holds no field the variant can write otherwise."""


def _declarations(payload: etree._Element, schema_files) -> list[tuple[etree._Element, object]]:
    """(element, its xmlschema declaration) for every element of the payload, by the XSD of the
    payload's namespace; elements the walk cannot place are left out."""
    ns = etree.QName(payload).namespace
    path = schema_files.get(ns)
    if path is None:
        return []
    schema = _schema(path)
    decl = schema.elements.get(etree.QName(payload).localname)
    out: list[tuple[etree._Element, object]] = []

    def walk(el: etree._Element, d) -> None:
        out.append((el, d))
        content = getattr(d.type, "content", None)
        children = {c.name: c for c in content.iter_elements()} \
            if content is not None and hasattr(content, "iter_elements") else {}
        for child in el:
            if isinstance(child.tag, str) and child.tag in children:
                walk(child, children[child.tag])

    if decl is not None:
        walk(payload, decl)
    return out


def _simple(decl):
    t = decl.type
    if t.is_simple():
        return t
    return t.content if getattr(t, "has_simple_content", lambda: False)() else None


def _other_form(t, text: str) -> str | None:
    """Another lexical form of ``text``'s value in simple type ``t``, or None."""
    value = text.strip()
    if not value or getattr(t, "white_space", "preserve") != "collapse":
        return None
    primitive = t.primitive_type.local_name if hasattr(t, "primitive_type") else ""
    if primitive == "decimal" and value.lstrip("+-").replace(".", "").isdigit():
        sign, digits = ("-", value[1:]) if value.startswith("-") else ("+", value.lstrip("+"))
        return f"\n\t{sign}0{digits} "
    if primitive == "boolean":
        swapped = {"true": "1", "1": "true", "false": "0", "0": "false"}.get(value)
        return None if swapped is None else f" {swapped}\n"
    if primitive == "string":  # a token: white space collapses inside too
        return f"  {value.replace(' ', '  ')}\t"
    return f"\n {value}\t"


def _valid(catalog, payload: etree._Element) -> bool:
    """Valid as XML Schema reads it: libxml2 refuses white space around a date, which the
    whiteSpace facet collapse allows, so a copy with it stripped is validated again (what a
    pfbus hub and the SDK do: bus/core/date_whitespace.py)."""
    if catalog.xsd.validate(payload):
        return True
    copy = etree.fromstring(etree.tostring(payload))
    return collapse_dates(copy, catalog.date_elements) and bool(catalog.xsd.validate(copy))


def lexical_forms(payload: etree._Element, catalog) -> None:
    """Rewrite ``payload`` in place (module docstring); NotApplicable when nothing changed."""
    changed = False
    for el, decl in _declarations(payload, catalog.schema_files):
        t = _simple(decl)
        if t is None or len(el) or el.text is None:
            continue
        form = _other_form(t, el.text)
        if form is None:
            continue
        before, el.text = el.text, form
        if _valid(catalog, payload):
            changed = True
        else:
            el.text = before
    if not changed:
        raise NotApplicable("no field whose type has another lexical form")


def xsi_attributes(payload: etree._Element, catalog) -> etree._Element:
    """``payload`` with the xsi: attributes of the module docstring (a new payload element, the
    children moved into it); NotApplicable when its namespace has no XSD in the catalog."""
    ns = etree.QName(payload).namespace
    location = catalog.schema_files.get(ns)
    if location is None:
        raise NotApplicable("the payload's namespace has no XSD")
    typed: list[tuple[etree._Element, etree.QName]] = []
    nillable: list[etree._Element] = []
    for el, decl in _declarations(payload, catalog.schema_files):
        name = getattr(decl.type, "name", None)
        if name and el is not payload and not len(el):
            typed.append((el, etree.QName(name)))
        if getattr(decl, "nillable", False):
            nillable.append(el)
    nsmap = {**payload.nsmap, "xsi": XSI}
    prefixes = {uri: p for p, uri in nsmap.items() if p}
    for i, uri in enumerate(sorted({q.namespace for _, q in typed} - set(prefixes))):
        nsmap[f"xt{i}"], prefixes[uri] = uri, f"xt{i}"
    out = etree.Element(payload.tag, dict(payload.attrib), nsmap=nsmap)
    out.text = payload.text
    out.extend(list(payload))  # the same elements, now under the new payload element
    out.set(f"{{{XSI}}}schemaLocation", f"{ns} {location.name}")
    out.set(f"{{{XSI}}}noNamespaceSchemaLocation", location.name)
    additions = [(el, f"{{{XSI}}}type", f"{prefixes[q.namespace]}:{q.localname}")
                 for el, q in typed] + [(el, f"{{{XSI}}}nil", "false") for el in nillable]
    for el, attr, value in additions:  # each kept only where the schema accepts it
        el.set(attr, value)
        if not _valid(catalog, out):
            del el.attrib[attr]
    if not _valid(catalog, out):
        raise NotApplicable("the schema refuses the xsi: location hints here")
    return out
