"""Which findings make a message schema-invalid rather than rule-violating (docs/faults.md)."""

from bus.core.findings import Finding, breaks_schema


def test_xsd_and_service_findings_are_schema_ones_the_rest_are_rules():
    assert Finding("xsd:pattern", "m").is_schema
    assert Finding("service:body", "m").is_schema
    assert not Finding("check_digit:addressee_number", "m").is_schema
    assert not Finding("codelist:gender", "m").is_schema


def test_a_message_breaking_the_xsd_and_a_rule_is_schema_invalid():
    rule = Finding("check_digit:addressee_number", "m")
    assert breaks_schema([rule, Finding("xsd:minLength", "m")])
    assert not breaks_schema([rule])
    assert not breaks_schema([])
