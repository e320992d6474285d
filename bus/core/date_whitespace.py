"""White space around dates and times, as XML Schema reads it and libxml2 does not.

Every XML Schema type but ``xs:string`` and its kin collapses white space (its ``whiteSpace``
facet is fixed to ``collapse``): ``<AsOf> 2026-12-04 </AsOf>`` is a valid ``xs:date``, as a
pretty-printer writes it. libxml2 (what the hub validates with, through lxml) strips it for
numbers, booleans and tokens but refuses it around its date and time types (``xs:date``,
``xs:dateTime``, ``xs:time``, the ``xs:g*`` types and ``xs:duration``, and restrictions of them
without a pattern; measured with libxml2 2.14: leading and trailing white space both refused,
except after a dateTime's timezone). So a standard-valid message (``<juki:AsOf>`` written on a
line of its own) was refused PF-SCHEMA-INVALID.

``date_typed_elements`` names, from the schemas' component model, the elements of those types
(only names whose every declaration is one: stripping a string would change its value);
``collapse_dates`` strips their white space in a parsed tree. The validator does this only when
libxml2 has refused a message, then validates again: the usual message costs nothing, and the
rules beyond XSD and everything after validation read the value XML Schema defines.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

# the XML Schema primitive types whose white space libxml2 does not collapse
_DATE_PRIMITIVES = frozenset({"date", "dateTime", "time", "gYear", "gYearMonth", "gMonthDay",
                              "gDay", "gMonth", "duration"})
_XML_WHITESPACE = " \t\n\r"


def date_typed_elements(components: Iterable[object]) -> frozenset[str]:
    """The Clark-notation names of the elements among ``components`` (xmlschema's, e.g.
    ``schema.maps.iter_components()``) whose every declaration has a simple type (or simple
    content) derived from a date or time primitive."""
    dated: set[str] = set()
    other: set[str] = set()
    for component in components:
        name, kind = getattr(component, "name", None), getattr(component, "type", None)
        if not name or kind is None or type(component).__name__ != "XsdElement":
            continue
        simple = kind if kind.is_simple() else (
            kind.content if kind.has_simple_content() else None)
        primitive = getattr(simple, "primitive_type", None)
        if primitive is not None and primitive.local_name in _DATE_PRIMITIVES:
            dated.add(name)
        else:
            other.add(name)
    return frozenset(dated - other)


def collapse_dates(el: etree._Element, names: frozenset[str]) -> bool:
    """Strip the white space around the text of ``el``'s elements (itself included) named in
    ``names``; True when one had any."""
    if not names:
        return False
    changed = False
    for dated in el.iter(*names):
        text = dated.text
        if text and (text[0] in _XML_WHITESPACE or text[-1] in _XML_WHITESPACE):
            dated.text = text.strip(_XML_WHITESPACE)
            changed = True
    return changed
