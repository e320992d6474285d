"""Refusals before a message is read: one line per peer per interval (bus.core.refusal_report)."""

from __future__ import annotations

from bus.core.refusal_report import OTHER_PEERS, RefusalReport


def test_first_refusal_is_reported_at_once_the_rest_counted_per_interval():
    report = RefusalReport(interval=10)
    first = report.refused("hub.tls_refused", "10.0.0.1", 100.0, "no certificate")
    assert first == {"event": "hub.tls_refused", "peer": "10.0.0.1", "count": 1,
                     "reason": "no certificate"}
    for i in range(99):
        assert report.refused("hub.tls_refused", "10.0.0.1", 101.0 + i * 0.05,
                              "unknown CA" if i % 3 else "no certificate") is None
    assert report.due(109.9) == []
    (summary,) = report.due(110.0)
    assert summary["peer"] == "10.0.0.1" and summary["count"] == 99
    assert summary["reasons"] == {"unknown CA": 66, "no certificate": 33}
    assert report.due(120.0) == []  # nothing more: the window closes
    assert report.refused("hub.tls_refused", "10.0.0.1", 121.0, "x")["count"] == 1


def test_peers_and_events_are_separate():
    report = RefusalReport(interval=10)
    assert report.refused("hub.tls_refused", "10.0.0.1", 0, "a") is not None
    assert report.refused("hub.tls_refused", "10.0.0.2", 0, "a") is not None
    assert report.refused("http.refused", "10.0.0.1", 0, "a") is not None


def test_memory_is_bounded_under_a_flood_from_many_addresses():
    report = RefusalReport(interval=10, max_peers=3)
    lines = [report.refused("e", f"10.0.0.{i}", 0, "r") for i in range(100)]
    reported = [line for line in lines if line is not None]
    assert [line["peer"] for line in reported] == ["10.0.0.0", "10.0.0.1", "10.0.0.2",
                                                  OTHER_PEERS]
    (other,) = [line for line in report.due(10) if line["peer"] == OTHER_PEERS]
    assert other["count"] == 96
