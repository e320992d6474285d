"""The operators' pure core: controls, sessions and CSRF, masking, readiness, traffic, paths."""

from __future__ import annotations

import pytest

from bus.admin.controls import Change, Controls, LiveControls, parse_target, validate_change
from bus.core.masking import MASK, mask_payload
from bus.admin.readiness import Snapshot, verdict
from bus.admin.sessions import (MAX_AGE, Principal, Sessions, TokenFileError, csrf_ok,
                                parse_token_file, same_origin)
from bus.admin.traffic import Traffic
from bus.core.xmlpath import keep_end



def test_maintenance_refuses_everything_with_503():
    fault = Controls(maintenance=True).refusal("juki.ResidentInquiry", "131016", "m-1")
    assert fault.fault.code == "PF-MAINTENANCE" and fault.fault.http_status == 503
    assert fault.message_id == "m-1"
    assert Controls().refusal("juki.ResidentInquiry", "131016") is None


def test_a_paused_route_refuses_only_itself():
    c = Controls().apply("paused", "route:juki.ResidentInquiry/131016")
    assert c.refusal("juki.ResidentInquiry", "131016").fault.code == "PF-PAUSED"
    assert c.refusal("juki.ResidentInquiry", "132021") is None
    assert c.apply("resumed", "route:juki.ResidentInquiry/131016").paused_routes == frozenset()


def test_pausing_a_subscriber_and_round_trip_through_json():
    c = Controls().apply("paused", "subscriber:vendor-b-tax").apply("maintenance", "hub:on")
    assert c.is_paused("vendor-b-tax") and not c.is_paused("vendor-c")
    assert Controls.from_json(c.to_json()) == c
    assert not c.apply("resumed", "subscriber:vendor-b-tax").is_paused("vendor-b-tax")


def test_live_controls_answer_with_what_is_in_force_now():
    # the exchange and the delivery service hold the LiveControls from their construction on;
    # an operator's change replaces only ``current``
    live = LiveControls(Controls(), retry_after=30)
    paused_check = live.is_paused  # what the delivery service keeps
    assert live.refusal("juki.ResidentInquiry", "131016") is None and not paused_check("b")
    live.current = Controls().apply("maintenance", "hub:on").apply("paused", "subscriber:b")
    assert live.refusal("juki.ResidentInquiry", "131016").fault.code == "PF-MAINTENANCE"
    assert paused_check("b") and live.retry_after == 30


@pytest.mark.parametrize("target", ["route:juki.ResidentInquiry", "route:x/1310",
                                    "hub:maybe", "subscriber:", "tenant:131016"])
def test_bad_targets_are_refused(target):
    with pytest.raises(ValueError):
        parse_target(target)


def test_a_change_needs_a_reason_and_a_known_target():
    known_subs, known_routes = {"vendor-b-tax"}, {("juki.ResidentInquiry", "131016")}
    assert "reason" in validate_change(Change("paused", "subscriber:vendor-b-tax", "a", " "),
                                       known_subs, known_routes)
    assert "no subscriber" in validate_change(Change("paused", "subscriber:x", "a", "r"),
                                              known_subs, known_routes)
    assert "no route" in validate_change(Change("paused", "route:juki.X/131016", "a", "r"),
                                         known_subs, known_routes)
    assert validate_change(Change("paused", "subscriber:vendor-b-tax", "a", "r"), known_subs,
                           known_routes) is None


def test_token_file_lines_roles_and_errors():
    tokens = parse_token_file("# c\noperator alice aaaaaaaaaaaaaaaaaaaa\n\n"
                              "viewer bob bbbbbbbbbbbbbbbbbbbb\n")
    s = Sessions(tokens, {}, ttl=60)
    assert s.authenticate_token("aaaaaaaaaaaaaaaaaaaa") == Principal("alice", "operator")
    assert s.authenticate_token("bbbbbbbbbbbbbbbbbbbb").can_change is False
    assert s.authenticate_token("aaaaaaaaaaaaaaaaaaab") is None
    assert s.authenticate_token("") is None
    for bad, words in (("admin x aaaaaaaaaaaaaaaaaaaa", "role"), ("operator x short", "16"),
                       ("operator x", "ROLE NAME TOKEN")):
        with pytest.raises(TokenFileError, match=words):
            parse_token_file(bad)


def test_sessions_expire_when_idle_and_after_max_age():
    s = Sessions({}, {}, ttl=100)
    session = s.open(Principal("alice", "operator"), now=1000)
    assert s.get(session.id, 1050) is session
    assert s.get(session.id, 1149) is session  # use restarts the idle time
    assert s.get(session.id, 1250) is None  # idle 101 s
    long = s.open(Principal("alice", "operator"), now=0)
    t = 0.0
    while t < MAX_AGE - 60:
        t += 60
        assert s.get(long.id, t) is long
    assert s.get(long.id, MAX_AGE + 1) is None
    assert s.get("forged", 10) is None


def test_csrf_token_and_origin_checks():
    s = Sessions({}, {}, ttl=100)
    session = s.open(Principal("a", "operator"), 0)
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, None) and not csrf_ok(session, session.csrf + "x")
    assert s.open(Principal("a", "operator"), 0).csrf != session.csrf
    assert same_origin("http://127.0.0.1:9090", "127.0.0.1:9090")
    assert not same_origin("http://evil.example", "127.0.0.1:9090")
    assert same_origin(None, "127.0.0.1:9090")  # no Origin (CLI): the token decides


def test_certificate_login_by_configured_cn_only():
    s = Sessions({}, {"ops-console": "viewer"}, ttl=100)
    assert s.authenticate_certificate("ops-console") == Principal("cert:ops-console", "viewer")
    assert s.authenticate_certificate("someone") is None
    assert s.authenticate_certificate(None) is None


def test_masking_keeps_routing_metadata_and_hides_every_value():
    from tests.integration.notice_tools import notice

    raw, message_id = notice("0000010014", 3)
    shown = mask_payload(raw)
    for secret in ("総務翔子", "ソウム", "0000010014", "霞が関", "1990-04-01"):
        assert secret not in shown
    assert message_id in shown and "131016" in shown and "juki.ResidentChangeNotice" in shown
    assert MASK in shown and "<c:AddresseeNumber>" in shown
    assert "not shown" in mask_payload(b"<a>\x00")  # the one masking rule (bus/core/masking.py)


def test_readiness_names_the_failed_checks():
    good = Snapshot(at=100.0, stores={"notices": None, "routing_log": None},
                    routing_log={"backlog": 3, "max_backlog": 100, "dropped": 0,
                                 "writer_alive": True})
    assert verdict(good, draining=False, maintenance=False, now=101)["ready"] is True
    doc = verdict(good, draining=True, maintenance=True, now=101)
    assert doc["failed"] == ["draining", "maintenance"]
    bad = Snapshot(at=100.0, stores={"notices": "not writable: disk I/O error"},
                   routing_log={"backlog": 60, "max_backlog": 100, "dropped": 5,
                                "writer_alive": True}, dropped_before=2)
    doc = verdict(bad, draining=False, maintenance=False, now=101)
    assert doc["failed"] == ["store:notices", "routing_log"]
    assert "3 hop records lost" in doc["checks"]["routing_log"]["detail"]
    assert "backlog 60" in doc["checks"]["routing_log"]["detail"]
    assert verdict(good, draining=False, maintenance=False, now=200)["failed"] == ["probe"]
    assert verdict(None, draining=False, maintenance=False, now=0)["failed"] == ["probe"]


def test_readiness_and_metrics_show_the_payload_archive():
    ok_log = {"state": "ok", "backlog": 0, "max_backlog": 100, "dropped": 0,
              "writer_alive": True}
    failing = {"state": "failing", "backlog": 4, "max_backlog": 100, "dropped": 0,
               "writer_alive": True, "last_error": "OperationalError: attempt to write a "
               "readonly database", "failing_since": "2026-12-02T18:00:00+00:00", "lost": 0}
    snap = Snapshot(at=100.0, routing_log=ok_log, archive=failing)
    doc = verdict(snap, draining=False, maintenance=False, now=101)
    assert doc["failed"] == ["payload_archive"]
    assert "readonly database" in doc["checks"]["payload_archive"]["detail"]
    behind = {**failing, "state": "behind", "last_error": None, "backlog": 30}
    doc = verdict(Snapshot(at=100.0, routing_log=ok_log, archive=behind), draining=False,
                  maintenance=False, now=101)
    assert doc["failed"] == ["payload_archive"]  # behind by bytes: under half the count bound
    assert "payload_archive" not in verdict(Snapshot(at=100.0, routing_log=ok_log),
                                            draining=False, maintenance=False,
                                            now=101)["checks"]  # no archive configured
    from bus.admin.metrics import snapshot_families

    values = {f.name: f.samples[0].value for f in snapshot_families((), frozenset(), ok_log,
                                                                    False, failing) if f.samples}
    assert values["pfbus_payload_archive_failing"] == 1.0
    assert values["pfbus_payload_archive_backlog"] == 4
    assert "pfbus_payload_archive_failing" not in {
        f.name for f in snapshot_families((), frozenset(), ok_log, False)}


def test_traffic_series_and_provider_health():
    t = Traffic()
    for i in range(10):
        t.exchange("juki.ResidentInquiry", ok=i % 5 != 0, now=1000.0 + i)
    series = t.series(now=1009.0, span=60)["juki.ResidentInquiry"]
    assert len(series) == 6 and series[-1][1] == pytest.approx(1.0)  # 10 in 10 s
    assert series[-1][2] == pytest.approx(0.2) and series[0][1] == 0
    for i in range(3):
        t.provider("p", ok=False, fault_code="PF-PROVIDER-TIMEOUT", now=1000 + i)
    assert t.health("p", 1003).state == "down"
    t.provider("p", ok=True, fault_code=None, now=1004)
    assert t.health("p", 1005).state == "degraded"
    assert t.health("p", 5000).state == "unknown"  # nothing recent
    assert t.health("q", 1000).state == "unknown"


@pytest.mark.parametrize("path, width, expected", [
    ("/soap:Envelope/soap:Header/pfh:PlatformHeader/pfh:Sender/pfh:LocalGovCode", 40,
     "…/pfh:Sender/pfh:LocalGovCode"),
    ("/soap:Envelope/soap:Header/pfh:PlatformHeader/pfh:Sender/pfh:LocalGovCode", 50,
     "…/pfh:PlatformHeader/pfh:Sender/pfh:LocalGovCode"),
    ("/a/b", 40, "/a/b"), (None, 10, ""),
])
def test_paths_keep_their_end(path, width, expected):
    assert keep_end(path, width) == expected
