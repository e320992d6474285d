"""The suite's data: traceable both ways, its messages what their roles say, and every mistake in
a case file reported with the file and the key."""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from bus.core.catalog import Catalog
from conformance.envelopes import substitute
from conformance.model import HERE, Suite, SuiteError
from conformance.validation import Validation
from schemas import BUILTIN_CATALOG

INVALID_ROLES = {"invalid_schema": "xsd", "invalid_rule": "rule", "invalid_check_digit": "rule",
                 "invalid_individual_number": "rule", "unknown_body": "unknown",
                 "invalid_rules": "rules"}


def test_every_requirement_is_checked_by_a_case_and_every_case_traces_to_one(suite):
    used = {r for c in suite.cases.values() for r in c.requirements}
    assert sorted(set(suite.requirements) - used) == []
    assert all(set(c.requirements) <= set(suite.requirements) for c in suite.cases.values())
    assert all(r.sources for r in suite.requirements.values())


def test_pending_cases_say_what_they_wait_for(suite):
    pending = [c for c in suite.cases.values() if c.status == "pending"]
    assert all(len(c.pending_reason) > 20 for c in pending)


def test_messages_are_what_their_roles_say(suite):
    """A valid sample is valid (XSD and rules) with every profile's parameters; an invalid one is
    invalid for its stated reason — so a verdict is never a data bug of the suite."""
    catalog = Catalog.load([BUILTIN_CATALOG])
    for profile in suite.profiles.values():
        params = {**profile.params, "fresh_addressee": "0000050024", "page": "2",
                  "extract_id": "abc", "sequence": "1", "addressee_number": "0000050024"}
        validation = Validation(catalog, params)
        for sid in profile.services:
            spec = catalog.service(sid)
            used = {r for i in suite.instances(profile) if i.service == sid
                    for r in i.case.role_refs()}
            for role, name in suite.roles.get(sid, {}).items():
                if role not in used:
                    continue
                msg = suite.messages[name]
                body = etree.fromstring(substitute(msg.body, params, xml=True).encode())
                tag = spec.response_tag if msg.reply else spec.request_tag
                schema = validation.body_schema(body, tag)
                rules = validation.body_rules(body)
                kind = INVALID_ROLES.get(role)
                where = f"{profile.id} {sid} {role} ({name})"
                if kind == "xsd":
                    assert schema, where
                elif kind == "rule":
                    assert not schema and rules, where
                    # the one rule its fault must name (messages.toml ``breaks``), and no other
                    assert msg.breaks and all(f"[{msg.breaks}]" in r for r in rules), \
                        (where, msg.breaks, rules)
                elif kind == "rules":  # several problems, each its own rule
                    assert not schema and len(rules) >= 2, (where, rules)
                elif kind == "unknown":
                    assert body.tag not in {s.request_tag for s in catalog.services.values()}
                else:
                    assert schema == [] and rules == [], (where, schema, rules)


@pytest.fixture
def data(tmp_path):
    """A copy of the suite's data to break."""
    root = tmp_path / "suite"
    shutil.copytree(HERE, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "report"))
    return root


BROKEN = [
    ("cases/juki.toml", 'requirements = ["RQ-BEH-02"]', 'requirements = ["RQ-NOPE"]',
     "juki.toml: case[0] (J-INQ-01).requirements: unknown requirement RQ-NOPE"),
    ("cases/juki.toml", 'send = "resident_inquiry.found"',
     'send = "resident_inquiry.found"\nexpect = "x"',
     "juki.toml: case[0].step[0]: must hold exactly one of send, resend, expect"),
    ("cases/juki.toml", 'outcome = "response"\nxpath = [\n  { path = "juki:Status", '
     'equals = "found" }', 'outcome = "response"\ntimout = 3\nxpath = [\n  { path = '
     '"juki:Status", equals = "found" }', "juki.toml: case[0].step[1].timout: unknown key in "
     "[[case.step]] (expect); known: expect, outcome"),
    ("cases/juki.toml", 'send = "resident_inquiry.found"', 'send = "resident_inquiry.fuond"',
     "J-INQ-01).step[0]: no message 'resident_inquiry.fuond' in messages.toml"),
    ("profiles.toml", 'case_files = ["wsdl", "provider", "juki",',  # the rest of the list may grow
     'case_files = ["wsdl", "provider", "jyuki",',
     "juki.provider.case_files: no cases/jyuki.toml"),
    ("cases/interop.toml", 'requires = ["observe"]', 'require = ["observe"]',
     "interop.toml: case[6].require: unknown key in [[case]]; did you mean requires?"),
]


@pytest.mark.parametrize("file,old,new,message", BROKEN, ids=[b[3][:40] for b in BROKEN])
def test_a_broken_case_file_is_refused_naming_the_file_and_key(data, file, old, new, message):
    path = data / file
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(SuiteError) as err:
        Suite.load(data)
    assert message in str(err.value)


def test_the_fingerprint_changes_with_any_case_data(data):
    before = Suite.load(data).fingerprint
    path = data / "cases" / "provider.toml"
    path.write_text(path.read_text("utf-8") + "\n# a comment\n", "utf-8")
    assert Suite.load(data).fingerprint != before
