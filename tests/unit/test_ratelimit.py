"""Per-adapter admission (bus.core.ratelimit): token bucket, concurrency, config of the limits."""

from __future__ import annotations

import pytest

from bus.core import faults
from bus.core.config import ConfigError, parse_config
from bus.core.faults import HubFault
from bus.core.ratelimit import Admission, AdapterLimits, LimitPolicy, TokenBucket, limit_key


def test_bucket_allows_burst_then_rate():
    b = TokenBucket(rate=10.0, burst=3, now=0.0)
    assert [b.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert b.wait() == pytest.approx(0.1)
    assert not b.take(0.05)
    assert b.take(0.1)
    assert b.take(10.0) and b.take(10.0) and b.take(10.0) and not b.take(10.0)  # capped at burst


def test_rate_refusal_is_per_key():
    a = Admission(LimitPolicy(AdapterLimits(rate=1.0, burst=2, concurrency=100)))
    a.admit("flooder", 0.0)()
    a.admit("flooder", 0.0)()
    with pytest.raises(HubFault) as exc:
        a.admit("flooder", 0.0)
    assert exc.value.fault is faults.LIMIT_RATE and exc.value.first.rule == "limit:rate"
    assert exc.value.fault.http_status == 429
    a.admit("other", 0.0)()  # another adapter is untouched
    a.admit("flooder", 1.0)()  # a token back after a second


def test_concurrency_slots_are_released_once():
    a = Admission(LimitPolicy(AdapterLimits(rate=1000.0, burst=1000, concurrency=2)))
    r1, r2 = a.admit("x", 0.0), a.admit("x", 0.0)
    with pytest.raises(HubFault) as exc:
        a.admit("x", 0.0)
    assert exc.value.fault is faults.LIMIT_CONCURRENCY
    r1()
    r1()  # idempotent: a second release does not free a slot it does not hold
    assert a.in_flight("x") == 1
    r3 = a.admit("x", 0.0)
    with pytest.raises(HubFault):
        a.admit("x", 0.0)
    r2(), r3()
    assert a.in_flight("x") == 0


def test_per_adapter_override_and_key():
    policy = LimitPolicy(AdapterLimits(1.0, 1, 1), {"batch": AdapterLimits(100.0, 50, 4)})
    assert policy.of("batch").burst == 50 and policy.of("anyone").burst == 1
    assert limit_key("vendor-b", "131016:07:x") == "vendor-b"
    assert limit_key(None, "131016:07:x") == "131016:07:x"


def test_keys_are_bounded():
    a = Admission(LimitPolicy(AdapterLimits(1000.0, 10, 10)), max_keys=5)
    for i in range(50):
        a.admit(f"k{i}", float(i))()
    assert len(a._buckets) <= 5


def test_config_limits_defaults_and_overrides():
    cfg = parse_config({"hub": {}}, None)
    assert cfg.adapter_limits.default == AdapterLimits(50.0, 100, 16)
    assert cfg.read_timeout == 30.0
    cfg = parse_config({"hub": {"read_timeout": 5, "limits": {
        "rate": 5, "burst": 10, "adapters": {"vendor-b": {"rate": 1.5}}}}}, None)
    assert cfg.read_timeout == 5.0
    assert cfg.adapter_limits.default == AdapterLimits(5.0, 10, 16)
    assert cfg.adapter_limits.of("vendor-b") == AdapterLimits(1.5, 10, 16)


@pytest.mark.parametrize("hub, key", [
    ({"limits": {"rate": 0}}, "hub.limits.rate"),
    ({"limits": {"burst": -1}}, "hub.limits.burst"),
    ({"limits": {"speed": 1}}, "hub.limits.speed"),
    ({"limits": {"adapters": {"a": {"adapters": {}}}}}, "hub.limits.adapters.a.adapters"),
    ({"limits": {"adapters": {"a": 3}}}, "hub.limits.adapters.a"),
    ({"read_timeout": 0}, "hub.read_timeout"),
])
def test_config_limits_errors_name_the_key(hub, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config({"hub": hub}, None)
