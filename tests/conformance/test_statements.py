"""The inventory of normative statements (conformance/statements.toml) against the documents it
quotes and the suite it names: every quote is still in its document, every ID exists, every
obligation sentence of a public document is inventoried, and docs/conformance.md's list of what
the suite cannot check is the inventory's."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from conformance import statements
from conformance.statements import DOCUMENTS, Inventory, Statement, StatementsError

DOC = statements.REPO / "docs" / "conformance.md"


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return Inventory.load()


def test_every_quote_is_still_in_its_document(inventory):
    assert statements.missing_quotes(inventory) == []


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def test_every_document_is_read():
    """The platform notes are beside the repository (../shared): in CI a missing one fails, as
    tests/unit/test_characters_table.py treats the MJ source."""
    absent = sorted(set(DOCUMENTS) - set(statements.present()))
    if absent and not _in_ci():
        pytest.skip(f"not beside the repository here: {absent}")
    assert absent == []


def test_every_id_named_is_a_requirement_or_a_case(inventory, suite):
    assert statements.unknown_ids(inventory, suite) == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_obligation_of_a_public_document_is_inventoried(inventory, document):
    """A sentence stating an obligation (statements.OBLIGATION; an XSD's every annotation) holds
    a quote of a statement or of an informative entry: one added later fails here until it is
    inventoried."""
    if document not in statements.present() and not _in_ci():  # in CI: read, or fail below
        pytest.skip(f"{document} is not beside the repository here")
    assert statements.obligations(statements.REPO / document), document  # the scan reads it
    assert statements.uncovered(inventory, document) == []


def test_the_unchecked_list_in_docs_conformance_is_the_inventorys(inventory):
    text = DOC.read_text(encoding="utf-8")
    assert statements.unchecked_table(inventory) in text


def test_a_statement_removed_leaves_its_sentence_uncovered(inventory):
    """The gate bites: without ST-SDK-07 its sentence of docs/adapter-sdk.md is uncovered."""
    gone = Inventory(tuple(s for s in inventory.statements if s.id != "ST-SDK-07"),
                     inventory.informative)
    left = statements.uncovered(gone, "docs/adapter-sdk.md")
    assert len(left) == 1 and "never put personal data" in left[0]


def test_a_quote_changed_is_missed(inventory):
    first = inventory.statements[0]
    changed = dataclasses.replace(first, quote=first.quote.replace("wrong", "bad"))
    bad = Inventory((changed, *inventory.statements[1:]), inventory.informative)
    assert [m.split(":")[0] for m in statements.missing_quotes(bad)] == [first.id]


def test_an_unknown_id_is_named(inventory, suite):
    extra = Statement("ST-X-01", "README.md", "x", ("provider",), ("P-NO-SUCH-01",), "")
    bad = Inventory((*inventory.statements, extra), inventory.informative)
    assert statements.unknown_ids(bad, suite) == ["ST-X-01: P-NO-SUCH-01"]


def test_an_obligation_added_to_a_document_is_caught(inventory, tmp_path):
    root = tmp_path
    (root / "docs").mkdir()
    src = statements.REPO / "docs" / "notices.md"
    (root / "docs" / "notices.md").write_text(
        src.read_text(encoding="utf-8") + "\nA subscriber must answer within a second.\n",
        encoding="utf-8")
    assert statements.uncovered(inventory, "docs/notices.md", root) == [
        "A subscriber must answer within a second."]


def test_units_leave_code_blocks_out_and_keep_table_rows(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("# T\n\nOne must. Two\nnever ends.\n\n```\nthree must\n```\n"
                   "| a | must b |\n", encoding="utf-8")
    assert list(statements.units(doc)) == ["One must.", "Two never ends.", "| a | must b |"]
    assert statements.obligations(doc) == list(statements.units(doc))


def test_a_statement_is_checked_or_says_why_not(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('format = 1\n[[statement]]\nid = "ST-1"\ndocument = "README.md"\n'
                   'quote = "x"\nroles = ["provider"]\n', encoding="utf-8")
    with pytest.raises(StatementsError, match="checked_by"):
        Inventory.load(bad)
    bad.write_text('format = 1\n[[statement]]\nid = "ST-1"\ndocument = "README.md"\n'
                   'quote = "x"\nroles = ["consumer"]\nunchecked = "y"\n', encoding="utf-8")
    with pytest.raises(StatementsError, match="role"):
        Inventory.load(bad)


def test_counts(inventory):
    c = statements.counts(inventory)
    assert c["statements"] == c["checked"] + c["unchecked"]
    assert c["standards"] == sum(1 for s in inventory.statements if s.standard)
    assert Path(statements.FILE).name == "statements.toml"
