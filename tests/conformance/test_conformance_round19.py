"""Round 19's forms (conformance/namespace_declarations.py, reference_forms.py): each is the
canonical message written otherwise, and holds what its grammar production names; the subscriber
whose start-up re-applies kept-out changes fails exactly S-START-01 (and S-DUR-08). The other
faulty adapters of round 19 (faulty_round19.py) are in faulty.py's list
(test_conformance_providers)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from conformance import equivalence, namespace_declarations, namespace_forms, reference_forms

from .faulty_durability import crash_run
from .faulty_round19 import ROUND19_MODES, StartUpRecheckSubscriber
from .references import SUB_PROFILE

SOAP11 = namespace_declarations.SOAP11
SOAP12 = namespace_declarations.SOAP12


def _request(soap: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soap:Envelope xmlns:soap="{soap}"><soap:Header><h:H xmlns:h="urn:pfbus:platform:'
            'header:v1" soap:mustUnderstand="1"><h:MessageId>5b0f5c3e-2d1c-4c1a-9a53-0d6c7e3f4a11'
            '</h:MessageId></h:H></soap:Header><soap:Body><b:B xmlns:b="urn:pfbus:unit:juki:v1" '
            'xmlns:c="urn:pfbus:platform:common:v1"><b:K>𠮷田 &amp; x</b:K><c:V>3</c:V></b:B>'
            '</soap:Body></soap:Envelope>')


FORMS = [v for v in equivalence.VARIANTS
         if v.name.startswith(("namespace-declarations-", "namespace-prefixes-",
                               "character-references-forms"))]


def test_round19_forms_are_registered():
    assert [v.name for v in FORMS] == ["namespace-declarations-reserved",
                                       "namespace-declarations-unused",
                                       "namespace-prefixes-lookalike",
                                       "character-references-forms"]


@pytest.mark.parametrize("soap", [SOAP11, SOAP12])
@pytest.mark.parametrize("variant", FORMS, ids=lambda v: v.name)
def test_every_form_is_the_canonical_message(variant, soap):
    canonical = _request(soap).encode()
    raw, _ = equivalence.rewrite(canonical, {}, "1.1" if soap == SOAP11 else "1.2", variant)
    assert raw != canonical
    namespace_forms.equivalent(canonical, raw)  # raises when it is not
    assert etree.fromstring(raw).findtext(".//{urn:pfbus:unit:juki:v1}K") == "𠮷田 & x"


def test_reserved_declares_xml_everywhere_and_the_empty_default():
    out = namespace_declarations.reserved(_request(SOAP11))
    tags = re.findall(r"<(?![!?/])[^>]*>", out[out.index("<soap:Envelope"):])
    assert all(f'xmlns:xml="{namespace_declarations.XML_NS}"' in t for t in tags)
    assert 'xmlns=""' in tags[0]  # no default in scope
    assert 'xmlns="urn:example:conformance:default"' in tags[1]  # soap:Header …
    assert 'xmlns=""' in tags[2]  # … undeclared again on its child


@pytest.mark.parametrize("soap,other", [(SOAP11, SOAP12), (SOAP12, SOAP11)])
def test_unused_declares_the_other_version_first_and_after_attributes(soap, other):
    out = namespace_declarations.unused_well_known(_request(soap))
    envelope = re.search(r"<soap:Envelope[^>]*>", out)
    assert envelope is not None
    assert envelope.group(0).index(other) < envelope.group(0).index(f'xmlns:soap="{soap}"')
    for ns in namespace_declarations.WELL_KNOWN.values():
        assert ns in envelope.group(0)
    header = re.search(r"<h:H [^>]*>", out)
    assert header is not None  # its own attribute first, the unused declarations after it
    assert header.group(0).index("soap:mustUnderstand") < header.group(0).index(other)
    leaf = re.search(r"<c:V [^>]*>", out)
    assert leaf is not None and other in leaf.group(0)


def test_lookalike_prefixes():
    out = namespace_declarations.lookalike(_request(SOAP11))
    assert out.count("<soap12:") == 3 and f'xmlns:soap12="{SOAP11}"' in out
    assert f"<{namespace_declarations.LONG_PREFIX}:H " in out
    assert "<Body:B " in out and '<soap:V>' in out  # the payload's other prefix is ``soap``
    assert namespace_declarations.lookalike(_request(SOAP12)).count("<SOAP-ENV:") == 3


def test_every_reference_form_is_written_and_none_in_a_declaration():
    out = reference_forms.every_form(_request(SOAP11))
    assert "&#x20bb7;" in out  # 𠮷 at a leaf's first place: lower-case hexadecimal
    assert re.search(r"&#x[0-9A-F]*[A-F][0-9A-F]*;", out)  # upper-case digits
    assert re.search(r"&#x0{2,}[0-9A-F]+;", out)  # leading zeros
    assert re.search(r"&#0+[1-9][0-9]*;", out)  # decimal, leading zeros
    assert 'soap:mustUnderstand="&#x31;"' in out  # an attribute value
    assert "&amp;" in out  # a reference already there is kept
    assert f'xmlns:soap="{SOAP11}"' in out


@pytest.mark.integration
def test_a_start_up_applying_kept_out_changes_fails_exactly_its_restart_cases(refs, suite):
    failed, _ = crash_run(refs, suite, StartUpRecheckSubscriber(), SUB_PROFILE)
    assert set(failed) == set(ROUND19_MODES["start-up-recheck"][1]), \
        {k: str(r.findings) for k, r in failed.items()}
    assert failed["S-START-01"].verdict == "fail"
