"""request_shapes.py: the messages P-EQUIV-02/S-EQUIV-02 re-encode, read from the XSD."""

from __future__ import annotations

from conformance.request_shapes import covering, has_shapes
from conformance.runner import _catalog


def _values(suite, profile: str) -> dict:
    return {**suite.profiles[profile].params, "fresh_addressee": "0000010014",
            "notice_addressee": "0000010014", "request_id": "r-1"}


def test_the_shapes_add_every_optional_element_and_choice_branch_the_sample_lacks(suite):
    catalog = _catalog(())
    juki, kokuho = _values(suite, "juki.provider"), _values(suite, "kokuho.provider")
    inquiry = covering(suite, catalog, "juki.ResidentInquiry", "resident_inquiry.found", juki)
    assert inquiry.messages == ("resident_inquiry.by_individual_number_as_of",)
    assert inquiry.left_out == ()
    extract = covering(suite, catalog, "juki.ResidentFullExtract", "full_extract.first", juki)
    # a later page's ExtractId needs an extract first: no message renders without one
    assert extract.messages == ("full_extract.first_request_id_as_of",)
    assert extract.left_out == ("ExtractId",)
    assert covering(suite, catalog, "kokuho.QualificationInquiry",
                    "qualification_inquiry.insured", kokuho).messages == (
        "qualification_inquiry.not_yet",)
    notice = covering(suite, catalog, "juki.ResidentChangeNotice", "change_notice.one",
                      _values(suite, "kojinjuminzei.subscriber"))
    assert notice.messages == ("change_notice.every_element",) and notice.left_out == ()


def test_a_message_the_run_cannot_render_or_that_breaks_a_rule_is_not_a_shape(suite):
    catalog = _catalog(())
    values = {k: v for k, v in _values(suite, "juki.provider").items()
              if k != "found_individual_number"}  # the 個人番号 shapes cannot be rendered
    cover = covering(suite, catalog, "juki.ResidentInquiry", "resident_inquiry.found", values)
    assert cover.messages == ("resident_inquiry.as_of",)  # 基準日 alone still comes in
    # resident_inquiry.bad_individual_number renders (its 個人番号 is written out) but breaks
    # individual_number: not a shape, so the branch is left out
    assert cover.left_out == ("IndividualNumber",)


def test_a_request_without_optional_elements_has_no_other_shape(suite):
    catalog = _catalog(())
    assert not has_shapes(catalog, "kojinjuminzei.TaxationStatusInquiry")
    assert has_shapes(catalog, "juki.ResidentInquiry")
