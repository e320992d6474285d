"""The pure parts of notice delivery: redelivery policy, subjects, receipts, subscriptions."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from bus.core.catalog import Catalog
from bus.core.config import ConfigError, parse_config
from bus.core.receipt import RECEIPT_TAG, receipt_element, receipt_status
from bus.core.retry import RetryPolicy
from schemas import BUILTIN_CATALOG

JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"


def test_backoff_grows_exponentially_within_jitter_and_caps():
    policy = RetryPolicy(backoff_initial=1.0, backoff_max=30.0, multiplier=2.0, jitter=0.2)
    rng = random.Random(7)
    for attempts, base in ((1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (20, 30.0)):
        delays = [policy.delay(attempts, rng) for _ in range(200)]
        assert all(base * 0.8 <= d <= base * 1.2 for d in delays)
        assert max(delays) - min(delays) > base * 0.2  # jittered, not in step


def test_gives_up_after_max_attempts_or_max_age():
    policy = RetryPolicy(max_attempts=3, max_age=100.0, backoff_initial=10.0, jitter=0.0)
    assert policy.next_attempt(1, enqueued_at=0.0, now=0.0) == 10.0
    assert policy.next_attempt(2, enqueued_at=0.0, now=10.0) == 30.0
    assert policy.next_attempt(3, enqueued_at=0.0, now=30.0) is None  # attempts exhausted
    assert policy.next_attempt(1, enqueued_at=0.0, now=95.0) is None  # would retry past max_age


def notice_body(*addressees: str) -> etree._Element:
    body = etree.Element(f"{{{JUKI}}}ResidentChangeNotice")
    for a in addressees:
        resident = etree.SubElement(etree.SubElement(body, f"{{{JUKI}}}Change"),
                                    f"{{{JUKI}}}Resident")
        etree.SubElement(resident, f"{{{CMN}}}AddresseeNumber").text = a
    return body


def test_subjects_of_a_notice_are_its_residents_within_the_municipality():
    service = Catalog.load([BUILTIN_CATALOG]).service("juki.ResidentChangeNotice")
    body = notice_body("0000010022", "0000010014", "0000010022")
    assert service.subjects(body, "131016") == ("131016:0000010014", "131016:0000010022")
    assert Catalog.load([BUILTIN_CATALOG]).service("juki.ResidentInquiry").subjects(
        body, "131016") == ()


def test_receipt_round_trip():
    receipt = receipt_element("3f1c2a9e-0000-4000-8000-000000000001", "accepted", 2)
    assert receipt.tag == RECEIPT_TAG and receipt_status(receipt) == "accepted"
    assert receipt_status(etree.Element("other")) is None


BASE = {"tenants": [{"local_gov_code": "131016"}],
        "providers": [{"id": "tax", "url": "http://127.0.0.1:1/"}]}


def test_subscriptions_and_policy_from_config():
    config = parse_config({**BASE, "providers": [{
        "id": "tax", "url": "http://127.0.0.1:1/", "concurrency": 4,
        "delivery": {"max_attempts": 5, "max_age": 60, "backoff_initial": 0.5}}],
        "subscriptions": [{"local_gov_code": "131016", "service": "juki.ResidentChangeNotice",
                           "subscriber": "tax"}]}, None)
    (tax,) = config.registry.subscribers("131016", "juki.ResidentChangeNotice")
    assert tax.concurrency == 4
    assert tax.policy == RetryPolicy(max_attempts=5, max_age=60, backoff_initial=0.5)
    assert config.registry.subscribers("141003", "juki.ResidentChangeNotice") == ()


@pytest.mark.parametrize("change, key", [
    ({"subscriptions": [{"local_gov_code": "131016", "service": "s.S", "subscriber": "nobody"}]},
     "subscriptions[0].subscriber"),
    ({"subscriptions": [{"local_gov_code": "141003", "service": "s.S", "subscriber": "tax"}]},
     "subscriptions[0].local_gov_code"),
    ({"providers": [{"id": "tax", "url": "http://x/", "delivery": {"max_attempts": 0}}]},
     "providers[0].delivery.max_attempts"),
    ({"providers": [{"id": "tax", "url": "http://x/", "delivery": {"retries": 3}}]},
     "providers[0].delivery.retries"),
    ({"store": {"notices": "mysql://x"}}, "store.notices"),
])
def test_config_errors_name_the_key(change, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        parse_config({**BASE, **change}, None)
