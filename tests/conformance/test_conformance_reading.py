"""The suite reads values as XML defines them (README: without the comments and processing
instructions inside them) wherever it parses XML it did not write: a vendor's test data file
(the grids' model) and the evidence a redacted report masks."""

from __future__ import annotations

from conformance import grid
from conformance.report.redact import MASK, Redactor

_PREFIXES = {"urn:pfbus:platform:common:v1": "cmn"}


def test_the_grids_model_reads_values_split_by_comments_and_pis_whole(tmp_path):
    data = (grid.DATA_DIR / "juki_residents.xml").read_text("utf-8")
    split = data.replace("<cmn:AddresseeNumber>0000010022<",
                         "<cmn:AddresseeNumber>00000<!-- vendor note -->10022<", 1) \
        .replace("<cmn:Text>総務大輔<", "<cmn:Text>総務<?vendor pi?>大輔<", 1) \
        .replace("<cmn:BecameResidentOn>2018-06-01<", "<cmn:BecameResidentOn>2018-<!---->06-01<", 1)
    assert split.count("<!--") == data.count("<!--") + 2
    (tmp_path / "model.xml").write_text(split, "utf-8")
    assert grid.load_model(str(tmp_path / "model.xml")) == grid.load_model("juki_residents.xml")


def test_a_redacted_value_split_by_a_comment_or_pi_is_masked_whole():
    """Masking the first text node only left the rest of a split name or number in the report
    (``[redacted]<!-- -->大輔``), and taught the redactor only its first piece."""
    r = Redactor(True, _PREFIXES, {})
    message = ('<r xmlns:cmn="urn:pfbus:platform:common:v1"><cmn:AddresseeNumber>00000<!-- x -->'
               '10022</cmn:AddresseeNumber><cmn:Name><cmn:Text>総務<?pi 総務大輔?>大輔</cmn:Text>'
               '</cmn:Name><!-- 0000010022 --></r>')
    masked = r.xml(message)
    assert masked.count(MASK) == 2
    for piece in ("00000", "10022", "総務", "大輔"):
        assert piece not in masked, masked
    assert r.text("finding: 総務大輔 / 0000010022") == f"finding: {MASK} / {MASK}"
