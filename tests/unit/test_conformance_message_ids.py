"""The suite's fresh MessageIds (conformance/message_ids.py) span pfh:MessageIdType: every
version 1–8 and variant digit 8, 9, a, b in turn, the turn restarting with each case instance
(round 29b: a subscriber keeping the seen MessageIds of version 4 only passed every restart case
while the suite sent version 4 alone)."""

from __future__ import annotations

import re

from bus.core.catalog import BUILTIN_CATALOG, Catalog
from conformance import message_ids
from conformance.envelopes import request_header

MESSAGE_ID_TYPE = re.compile(  # header-v1.xsd MessageIdType
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_every_version_and_variant_in_turn_each_a_value_of_the_type():
    message_ids.restart_turn()
    made = [message_ids.fresh() for _ in range(16)]
    assert all(MESSAGE_ID_TYPE.fullmatch(m) for m in made)
    assert [m[14] for m in made] == list("1234567812345678")
    assert [m[19] for m in made] == list("89ab89ab89ab89ab")
    assert len(set(made)) == 16  # random but for those two digits


def test_a_case_instance_begins_the_turn_again():
    message_ids.restart_turn()
    message_ids.fresh()
    message_ids.fresh()
    message_ids.restart_turn()
    assert message_ids.fresh()[14] == "1"


def test_request_header_takes_the_turn_unless_a_case_names_the_message_id():
    spec = Catalog.load([BUILTIN_CATALOG]).services["juki.ResidentInquiry"]
    params = {"sut_local_gov_code": "131016", "suite_business_unit": "01",
              "suite_system_id": "suite", "sut_system_id": "vendor", "user_id": "u1"}
    message_ids.restart_turn()
    assert request_header(spec, params).message_id[14] == "1"
    assert request_header(spec, params).message_id[14] == "2"
    named = "00000000-0000-4000-8000-000000000001"
    assert request_header(spec, params, {"message_id": named}).message_id == named
