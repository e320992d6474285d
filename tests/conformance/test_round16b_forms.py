"""The pure parts of round 16b's cases: the namespace and Content-Type forms P-EQUIV-01 and
S-EQUIV-01 send (conformance/namespace_forms.py, equivalence.py)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from conformance import equivalence, namespace_forms
from conformance.lexical import NotApplicable

REQUEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas'
           '.xmlsoap.org/soap/envelope/"><soap:Header><h:H xmlns:h="urn:x"><h:UserId>clerk01'
           '</h:UserId></h:H></soap:Header><soap:Body><b:B xmlns:b="urn:y" xmlns:c="urn:z">'
           '<b:K>xmlns:b="urn:v" is text</b:K><c:V>1</c:V></b:B></soap:Body></soap:Envelope>')
FORMS = [v for v in equivalence.VARIANTS if v.name.startswith(("namespaces-", "prefixes-",
                                                              "default-namespace-on-",
                                                              "two-prefixes-"))]


def _declared_on(raw: str, local: str) -> dict:
    """The namespace declarations written on the first element named ``local``."""
    tag = re.search(rf"<[\w.:-]*{local}[\s>][^>]*>", raw)
    assert tag is not None
    return dict(re.findall(r'xmlns(?::([\w.-]+))?="([^"]*)"', tag.group(0)))


@pytest.mark.parametrize("variant", FORMS, ids=lambda v: v.name)
def test_every_namespace_form_is_the_same_message_written_otherwise(variant):
    raw, _ = equivalence.rewrite(REQUEST.encode(), {}, "1.1", variant)
    assert raw != REQUEST.encode()
    namespace_forms.equivalent(REQUEST.encode(), raw)  # raises when it is not
    root = etree.fromstring(raw)
    assert root.findtext(".//{urn:y}K") == 'xmlns:b="urn:v" is text'  # a value untouched


def test_the_declarations_are_where_each_form_says():
    forms = {v.name: equivalence.rewrite(REQUEST.encode(), {}, "1.1", v)[0].decode()
             for v in FORMS}
    hoisted = forms["namespaces-on-envelope"]
    assert set(_declared_on(hoisted, "Envelope")) == {"soap", "h", "b", "c"}
    assert _declared_on(hoisted, "H") == {} and _declared_on(hoisted, "B") == {}
    on_body = forms["namespaces-on-body"]
    assert set(_declared_on(on_body, "Body")) == {"b", "c"}
    assert set(_declared_on(on_body, "Header")) == {"h"} and _declared_on(on_body, "B") == {}
    assert _declared_on(forms["namespaces-redeclared"], "K") == {"b": "urn:y", "c": "urn:z"}
    shadowed = forms["prefixes-shadowed"]
    assert _declared_on(shadowed, "Envelope")["b"].startswith("urn:example:conformance:")
    assert _declared_on(shadowed, "B")["b"] == "urn:y"  # the inner binding is in force
    default = forms["default-namespace-on-envelope"]
    assert _declared_on(default, "Envelope")[""] == "urn:y" and "<B " in default
    two = forms["two-prefixes-one-namespace"]
    assert "<b:B " in two and "<b2:K>" in two and "</b:B>" in two


def test_a_payload_without_a_prefix_has_no_such_form():
    unprefixed = REQUEST.replace("<b:B xmlns:b", "<B xmlns").replace("</b:B>", "</B>") \
        .replace("b:K", "K")
    with pytest.raises(NotApplicable):
        namespace_forms.default_namespace_on_envelope(unprefixed)


def test_a_prefix_bound_to_two_namespaces_is_not_hoisted():
    clash = REQUEST.replace('<c:V>1</c:V>', '<c:V xmlns:c="urn:w">1</c:V>')
    with pytest.raises(NotApplicable):
        namespace_forms.all_on_envelope(clash)


def test_a_form_that_changes_the_message_is_refused():
    with pytest.raises(ValueError):
        namespace_forms.equivalent(REQUEST.encode(), REQUEST.replace("urn:z", "urn:w").encode())


@pytest.mark.parametrize("soap,value,want", [
    ("1.1", "text/xml; charset=utf-8", "text/xml ; charset=utf-8"),
    ("1.2", 'application/soap+xml; charset=utf-8; action="urn:a"',
     'application/soap+xml ; charset=utf-8 ;\taction="urn:a"'),
])
def test_parameters_ows_puts_white_space_on_both_sides_of_every_semicolon(soap, value, want):
    variant = next(v for v in equivalence.VARIANTS if v.name == "parameters-ows")
    _, headers = equivalence.rewrite(REQUEST.encode(), {"Content-Type": value}, soap, variant)
    assert headers["Content-Type"] == want
