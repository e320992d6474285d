"""The one masking rule for payloads shown to operators (bus.core.masking)."""

from __future__ import annotations

from bus.core.masking import MASK, mask_payload
from messages import (ADDRESSEE_10, INDIVIDUAL_NUMBER, SOAP12_NS, change_notice_body, envelope,
                      inquiry_response_body, request_header)

SECRETS = ("総務翔子", "ソウム", "ショウコ", "霞が関", "東京都", "1980-04-01", ADDRESSEE_10,
           INDIVIDUAL_NUMBER, "0000000019")


def test_names_addresses_and_numbers_are_masked_the_header_and_codes_stay():
    header = request_header()
    shown = mask_payload(envelope(change_notice_body("A01"), header))
    for secret in SECRETS:
        assert secret not in shown, secret
    assert MASK in shown and "ResidentChangeNotice" in shown and "IndividualNumber" in shown
    assert header.message_id in shown and "vendor-b-tax" in shown  # header metadata
    assert ">A01<" in shown and "2026-04-01" in shown  # 異動事由 and the event's date


def test_any_body_shape_is_masked_by_default():
    body = ('<x:Unknown xmlns:x="urn:example" note="山田太郎 03-1234-5678">'
            '<x:Free>山田太郎 〒100-0013</x:Free>tail 9876<!-- 山田 --></x:Unknown>')
    shown = mask_payload(envelope(body, soap_ns=SOAP12_NS))
    assert "山田" not in shown and "1234" not in shown and "9876" not in shown


def test_a_response_is_masked_too():
    shown = mask_payload(envelope(inquiry_response_body()))
    for secret in SECRETS:
        assert secret not in shown, secret


def test_what_is_not_xml_is_not_shown():
    shown = mask_payload("総務翔子 123456789018".encode())
    assert "総務" not in shown and "1234" not in shown and "not shown" in shown
