"""The web console in a real browser: Debian's chromium driven by Playwright for Python (never a
browser download). Logs in, searches the routing log by an ID prefix, opens a trace, replays a
dead letter with a reason, toggles maintenance and sees the SOAP endpoint refuse, uploads a
conformance report, and checks that no page's HTML holds personal data.

Set PFBUS_CONSOLE_SCREENSHOTS=DIR to keep the dashboard, trace and route-map screenshots
(docs/console.md shows them).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import requests

from bus.store.routing_log import open_readonly

from . import admin_kit
from .admin_kit import OPERATOR_TOKEN, SHOKO, VIEWER_TOKEN, inquiry, post
from tests.support.polling import wait_until

from .notice_tools import notice, publish

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
SECRETS = {"name": SHOKO["氏名3"], "family name": SHOKO["氏名3"][:2],
           "宛名番号": SHOKO["宛名番号"], "個人番号": SHOKO["個人番号"], "kana": "ソウム",
           "town": "霞が関"}

if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs chromium with apt")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver); "
                "CI installs it and never skips", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    started = []

    def keep(p):
        started.append(p)
        return p

    tmp = tmp_path_factory.mktemp("console")
    try:
        k = admin_kit.start_kit(tmp, keep)
        ok_raw, ok_id = inquiry()
        bad_raw, bad_id = inquiry(SHOKO["宛名番号"][:-1] + str((int(SHOKO["宛名番号"][-1]) + 1)
                                                              % 10))
        assert post(k.url, ok_raw).status_code == 200
        assert post(k.url, bad_raw).status_code == 500
        notice_raw, notice_id = notice(SHOKO["宛名番号"], 1)
        assert publish(k.url, notice_raw) == "accepted"

        def dead():
            with open_readonly(tmp / "routing.sqlite3") as log:
                return log.query(hop="dead_lettered", limit=None)
        wait_until(dead, 30, "the dead letter of the subscriber that is down")
        k.ids = {"ok": ok_id, "bad": bad_id, "notice": notice_id}
        yield k
    finally:
        for p in reversed(started):
            p.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-extensions", "--no-first-run",
            "--disable-sync", "--disable-default-apps", "--mute-audio"])
        try:
            yield b
        finally:
            b.close()


def login(browser, kit, token: str = OPERATOR_TOKEN):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of destructive buttons
    page.goto(kit.admin_url + "/")
    assert page.url.endswith("/login")
    page.fill("#token", token)
    page.click("#login button[type=submit]")
    page.wait_for_url(kit.admin_url + "/")
    return page


def routing_log(kit):
    return open_readonly(kit.tmp / "routing.sqlite3")


def test_a_wrong_token_is_refused(browser, kit):
    page = browser.new_context().new_page()
    page.goto(kit.admin_url + "/log")
    assert page.url.endswith("/login")
    page.fill("#token", "not-a-token-at-all-0000")
    page.click("#login button[type=submit]")
    assert "Unknown token" in page.inner_text("#login-error")
    page.goto(kit.admin_url + "/queues")
    assert page.url.endswith("/login")


def test_search_by_prefix_then_open_the_trace(browser, kit):
    page = login(browser, kit)
    prefix = kit.ids["bad"][:8]
    page.goto(kit.admin_url + "/log")
    page.fill("#f-message", prefix)
    page.click("#search button[type=submit]")
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 3  # received, rejected, replied
    text = page.inner_text("table.results")
    assert "PF-RULE-VIOLATION" in text and prefix in text
    first = page.locator("table.results time").first  # newest first, JST shown, UTC on hover
    assert first.inner_text().endswith("JST") and first.get_attribute("title").endswith("UTC")
    page.locator("table.results tbody tr").first.locator("td:nth-child(3) a").click()
    page.wait_for_selector("#timeline")
    facts = page.inner_text("#trace-facts")
    assert kit.ids["bad"] in facts and "PF-RULE-VIOLATION" in facts
    hops = page.inner_text("table.hops")
    assert "addressee_number" in hops  # the rule that refused it, its element path and line
    assert "/soap:Envelope/soap:Body/juki:ResidentInquiryRequest/juki:AddresseeNumber" in hops
    shots = os.environ.get("PFBUS_CONSOLE_SCREENSHOTS")
    if shots:
        page.goto(kit.admin_url + "/log?message=" + kit.ids["ok"][:8])
        page.locator("table.results tbody tr").first.locator("td:nth-child(3) a").click()
        page.wait_for_selector("#timeline")
        page.screenshot(path=str(Path(shots) / "trace.png"), full_page=True)


def test_a_notice_trace_links_its_deliveries(browser, kit):
    page = login(browser, kit)
    page.goto(kit.admin_url + "/log?message=" + kit.ids["notice"][:8] + "&status=ok")
    page.locator("table.results tbody tr").last.locator("td:nth-child(3) a").click()
    page.wait_for_selector("#timeline")
    related = page.inner_text("table.related")
    assert "delivery" in related and "dead_lettered" in related


def test_replay_a_dead_letter_with_a_reason(browser, kit):
    page = login(browser, kit)
    page.goto(kit.admin_url + "/queues")
    page.locator("table.dead tbody tr").first.locator("a").click()
    payload = page.inner_text("#payload")
    assert "***" in payload and kit.ids["notice"] in payload
    assert SECRETS["name"] not in payload and SECRETS["宛名番号"] not in payload
    form = page.locator("form.act", has=page.locator("button", has_text="Replay"))
    form.locator("input[name=reason]").fill("vendor-b back online #123")
    form.locator("button").click()
    assert "replay: 1 dead letter(s)" in page.inner_text("#notice")
    with routing_log(kit) as log:
        replayed = log.query(hop="replayed", limit=None)
    assert any(h.message_id == kit.ids["notice"] and h.reason.startswith("by alice: replay ")
               and h.reason.endswith("reason: vendor-b back online #123") for h in replayed)


def test_reveal_needs_a_reason_and_is_logged(browser, kit):
    page = login(browser, kit)
    wait_until(lambda: requests.get(kit.admin_url + "/metrics", timeout=10).ok, 5, "metrics")
    page.goto(kit.admin_url + "/queues")
    if page.locator("table.dead tbody tr").count() == 0:  # the replay died again: wait for it
        wait_until(lambda: (page.reload() or True) and
                   page.locator("table.dead tbody tr").count() > 0, 30, "a dead letter")
    page.locator("table.dead tbody tr").first.locator("a").click()
    form = page.locator("form.act", has=page.locator("button", has_text="Reveal payload"))
    form.locator("button").click()  # no reason: the browser refuses (required)
    assert "REVEALED" not in page.content()
    form.locator("input[name=reason]").fill("開示請求 #42")
    form.locator("button").click()
    assert "REVEALED" in page.inner_text("main") and SECRETS["name"] in page.inner_text(
        "#payload")
    with routing_log(kit) as log:
        assert any(h.reason.endswith("reason: 開示請求 #42")
                   for h in log.query(hop="payload_revealed", limit=None))


def test_maintenance_from_the_console_makes_the_endpoint_refuse(browser, kit):
    page = login(browser, kit)
    shots = os.environ.get("PFBUS_CONSOLE_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "dashboard.png"), full_page=True)
        page.locator("#route-map").screenshot(path=str(Path(shots) / "route-map.png"))
    form = page.locator("section.status form.act")
    form.locator("input[name=reason]").fill("OS patch window")
    form.locator("button", has_text="Maintenance on").click()
    page.wait_for_selector("#maintenance-banner")
    raw, _ = inquiry()
    answer = post(kit.url, raw)
    assert answer.status_code == 503 and b"PF-MAINTENANCE" in answer.content
    assert answer.headers["Retry-After"] == "30"
    form = page.locator("section.status form.act")
    form.locator("input[name=reason]").fill("patched")
    form.locator("button", has_text="Maintenance off").click()
    page.wait_for_selector("#ready")
    assert page.locator("#maintenance-banner").count() == 0
    assert post(kit.url, inquiry()[0]).status_code == 200


def test_a_viewer_sees_but_cannot_change(browser, kit):
    page = login(browser, kit, VIEWER_TOKEN)
    assert page.locator("form.act").count() == 0
    page.goto(kit.admin_url + "/queues")
    assert page.locator("form.act").count() == 0 and "vendor-b-tax" in page.content()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(kit.admin_url + "/controls", form={
        "csrf": csrf, "action": "maintenance", "target": "hub:on", "reason": "x"})
    assert answer.status == 403


def test_every_change_needs_the_csrf_token(kit):
    s = requests.Session()
    r = s.post(kit.admin_url + "/login", data={"token": OPERATOR_TOKEN}, timeout=10)
    assert r.ok and s.cookies.get("pfbus_session")
    for form in ({"action": "maintenance", "target": "hub:on", "reason": "x"},
                 {"csrf": "forged", "action": "maintenance", "target": "hub:on",
                  "reason": "x"}):
        assert s.post(kit.admin_url + "/controls", data=form, timeout=10).status_code == 403
    r = s.post(kit.admin_url + "/login", data={"token": OPERATOR_TOKEN}, timeout=10,
               headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    state = admin_kit.api(kit.admin_url, "GET", "/api/state").json()
    assert state["controls"]["maintenance"] is False


def test_conformance_report_upload_is_verified(browser, kit, tmp_path):
    from conformance.report.digest import write

    doc = {"verdict": "pass", "profile": {"id": "juki.provider", "title": "住基 provider",
                                          "status": "final", "level_name": "準拠確認",
                                          "role": "provider", "unit": "01"},
           "summary": {"cases": 1, "pass": 1, "fail": 0, "error": 0, "skip": 0,
                       "requirements": 1, "requirements_passed": 1},
           "run": {"started_at": "2026-12-02T00:00:00Z", "finished_at": "2026-12-02T00:01:00Z",
                   "redacted": True},
           "environment": {"suite_version": "1", "suite_data_sha256": "0" * 64,
                           "pfbus": "0.1.0", "python": "3.11"},
           "product": {"party": "131016/01/acme-juki", "target": "http://127.0.0.1:1/"},
           "cases": [{"id": "J-PRV-01", "title": "answers an inquiry", "verdict": "pass"}]}
    report = tmp_path / "report"
    files = {"report.json": json.dumps(doc).encode(), "junit.xml": b"<testsuites/>",
             "report.html": b"<html></html>"}
    digest = write(report, files, doc)
    page = login(browser, kit)
    page.goto(kit.admin_url + "/conformance")
    page.set_input_files("#upload input[name=files]", [str(p) for p in report.iterdir()])
    page.click("#upload button[type=submit]")
    result = page.inner_text("#digest-result")
    assert result.startswith("Digest verified") and digest in result
    assert "J-PRV-01" in page.inner_text("table.cases")
    (report / "junit.xml").write_bytes(b"<testsuites tampered='1'/>")
    page.set_input_files("#upload input[name=files]", [str(p) for p in report.iterdir()])
    page.click("#upload button[type=submit]")
    assert page.inner_text("#digest-result").startswith("NOT verified")
    assert "junit.xml: changed" in page.inner_text("ul.problems")


def test_no_personal_data_in_any_page(browser, kit):
    page = login(browser, kit)
    pages = ["/", "/log", "/queues", "/conformance"]
    for mid in kit.ids.values():
        pages.append(f"/log?message={mid[:8]}")
    html = {}
    for path in pages:
        page.goto(kit.admin_url + path)
        html[path] = page.content()
    for link in page.context.request.get(kit.admin_url + "/log").text().split('href="')[1:]:
        target = link.split('"', 1)[0]
        if target.startswith("/trace/"):
            page.goto(kit.admin_url + target)
            html[target] = page.content()
    page.goto(kit.admin_url + "/queues")
    for href in page.locator("table.dead a").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        page.goto(kit.admin_url + href)
        html[href] = page.content()
    assert any(p.startswith("/trace/") for p in html) and len(html) > 8
    for path, text in html.items():
        for what, secret in SECRETS.items():
            assert secret not in text, f"{what} on {path}"
