"""Dashboard, queues and dead letters, operator controls, conformance reports, login."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from .charts import route_map, traffic_chart
from .layout import csrf_field, e, link, table, when_epoch


def login_page(error: str | None, mtls: bool) -> str:
    cert = ('<p>Or present a client certificate the hub knows (mutual TLS): you are logged in '
            'without a token.</p>' if mtls else "")
    err = f'<p class="error" id="login-error">{e(error)}</p>' if error else ""
    return (f'{err}<form method="post" action="/login" id="login"><label>Token '
            f'<input type="password" name="token" id="token" autocomplete="off" autofocus>'
            f'</label><button type="submit">Log in</button></form>{cert}')


def reason_form(action: str, label: str, csrf: str, hidden: dict, danger: bool = False) -> str:
    fields = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">'
                     for k, v in hidden.items())
    return (f'<form method="post" action="{e(action)}" class="act">{csrf_field(csrf)}{fields}'
            f'<input type="text" name="reason" placeholder="reason (recorded)" required '
            f'maxlength="200"><button type="submit"{" class=danger" if danger else ""}>'
            f'{e(label)}</button></form>')


def dashboard(series: dict, queues, ready: dict, routes_svg: str, csrf: str,
              can_change: bool, maintenance: bool) -> str:
    state = ("<p class='ready ok' id='ready'>Ready</p>" if ready["ready"] else
             f"<p class='ready bad' id='ready'>Not ready: {e(', '.join(ready['failed']))}</p>")
    control = ""
    if can_change:
        control = reason_form("/controls", "Maintenance off" if maintenance else
                              "Maintenance on", csrf,
                              {"action": "maintenance", "target": "hub:off" if maintenance
                               else "hub:on"}, danger=not maintenance)
    charts = "".join(traffic_chart(s, pts) for s, pts in series.items()) or \
        '<p class="empty">No exchanges in the last 30 minutes.</p>'
    qrows = [[e(q.subscriber), e(q.pending + q.inflight), e(q.dead),
              e("" if q.oldest_pending_age is None else f"{q.oldest_pending_age:.0f} s")]
             for q in queues]
    return (f'<section class="status">{state}{control}</section>'
            f'<h2>Traffic per service</h2><div class="charts">{charts}</div>'
            f'<h2>Queues</h2>' + table(["subscriber", "depth", "dead", "oldest"], qrows,
                                       "queues") +
            f'<h2>Route map</h2><div class="map">{routes_svg}</div>')


def route_map_svg(config, providers: dict, paused: AbstractSet[str]) -> str:
    tenants = sorted((code, t.name) for code, t in config.tenants.items())
    routes = list(config.registry)
    subs = config.registry.subscriptions()
    services = sorted({r.service_id for r in routes} | {service for _, service, _ in subs})
    targets = {}
    for r in routes:
        targets[r.provider.id] = "provider"
    for _, _, p in subs:
        targets[p.id] = "subscriber" if targets.get(p.id, "subscriber") == "subscriber" \
            else "both"
    ts = {(r.local_gov_code, r.service_id) for r in routes} | {
        (code, service) for code, service, _ in subs}
    sp = {(r.service_id, r.provider.id) for r in routes} | {
        (service, p.id) for _, service, p in subs}
    paused_ids = set(paused)
    return route_map(tenants, services, [(tid, kind, providers.get(tid, {}).get(
        "state", "unknown")) for tid, kind in sorted(targets.items())], ts, sp, paused_ids)


def queues_page(queues, paused: AbstractSet[str], routes: list,
                paused_routes: AbstractSet[tuple[str, str]], letters,
                csrf: str, can_change: bool) -> str:
    rows = []
    for q in queues:
        is_paused = q.subscriber in paused
        act = ""
        if can_change:
            act = reason_form("/controls", "Resume" if is_paused else "Pause", csrf,
                              {"action": "resumed" if is_paused else "paused",
                               "target": f"subscriber:{q.subscriber}"})
        rows.append([e(q.subscriber), e(q.pending), e(q.inflight), e(q.delivered), e(q.dead),
                     e("" if q.oldest_pending_age is None else f"{q.oldest_pending_age:.0f} s"),
                     '<span class="paused">paused</span>' if is_paused else "delivering",
                     e(q.last_error), act])
    route_rows = []
    for service, code in routes:
        is_paused = (service, code) in paused_routes
        act = ""
        if can_change:
            act = reason_form("/controls", "Resume" if is_paused else "Pause", csrf,
                              {"action": "resumed" if is_paused else "paused",
                               "target": f"route:{service}/{code}"})
        route_rows.append([e(service), e(code), '<span class="paused">paused</span>'
                           if is_paused else "open", act])
    dead_rows = [[link(f"/dlq/{d.delivery_id}", str(d.delivery_id)), e(d.subscriber),
                  e(d.message_id), e(d.service_id), e(d.attempts), when_epoch(d.died_at),
                  e(d.last_error)] for d in letters]
    return ('<h2>Subscribers</h2>' + table(
        ["subscriber", "pending", "in flight", "delivered", "dead", "oldest", "state",
         "last error", ""], rows, "queues") +
        '<h2>Routes</h2>' + table(["service", "団体コード", "state", ""], route_rows, "routes") +
        '<h2>Dead letters</h2>' + (table(["id", "subscriber", "message", "service", "attempts",
                                          "died (JST)", "last error"], dead_rows, "dead")
                                   if dead_rows else '<p class="empty">No dead letters.</p>'))


def dead_letter_page(d, shown: str, revealed: bool, csrf: str, can_change: bool) -> str:
    facts = [("delivery", d.delivery_id), ("subscriber", d.subscriber),
             ("message", d.message_id), ("service", d.service_id), ("attempts", d.attempts),
             ("last error", d.last_error)]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    actions = ""
    if can_change:
        base = f"/dlq/{d.delivery_id}"
        actions = ('<h2>Actions</h2>' + reason_form(base + "/replay", "Replay", csrf, {}) +
                   reason_form(base + "/purge", "Purge", csrf, {}, danger=True) +
                   ("" if revealed else reason_form(base + "/reveal", "Reveal payload", csrf,
                                                    {})))
    label = ("Payload (REVEALED — this read is in the routing log)" if revealed
             else "Payload (masked)")
    return (f'<dl class="facts">{dl}</dl><p>{link("/log", "Its routing log", message=d.message_id)}'
            f'</p>{actions}<h2>{e(label)}</h2><pre id="payload">{e(shown)}</pre>')


def conformance_page(csrf: str, result: dict | None) -> str:
    form = (f'<form method="post" action="/conformance" enctype="multipart/form-data" '
            f'id="upload">{csrf_field(csrf)}<label>Report files (report.json, junit.xml, '
            f'report.html, manifest.json, certificate.txt) <input type="file" name="files" '
            f'multiple></label><label>Digest printed at run time (optional) <input type="text" '
            f'name="digest"></label><button type="submit">Verify</button></form>')
    if result is None:
        return form
    ok = not result["problems"]
    head = (f'<p class="{"ready ok" if ok else "ready bad"}" id="digest-result">'
            f'{"Digest verified" if ok else "NOT verified"}: {e(result["digest"])}</p>')
    problems = ("<ul class='problems'>" + "".join(f"<li>{e(p)}</li>" for p in result["problems"])
                + "</ul>") if result["problems"] else ""
    doc = result.get("doc") or {}
    summary = ""
    if doc:
        p, s = doc.get("profile", {}), doc.get("summary", {})
        facts = [("verdict", str(doc.get("verdict", "")).upper()),
                 ("profile", f"{p.get('id', '')} — {p.get('title', '')}"),
                 ("level", p.get("level_name")), ("product", doc.get("product", {}).get("party")),
                 ("cases", f"{s.get('cases')} ({s.get('pass')} pass, {s.get('fail')} fail, "
                           f"{s.get('error')} error, {s.get('skip')} skip)"),
                 ("requirements", f"{s.get('requirements_passed')} of "
                                  f"{s.get('requirements')} passed")]
        summary = ('<dl class="facts" id="report-summary">' + "".join(
            f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts) + "</dl>" + table(
            ["case", "title", "verdict"],
            [[e(c.get("id")), e(c.get("title")), f'<span class="st-{e(c.get("verdict"))}">'
              f'{e(c.get("verdict"))}</span>'] for c in doc.get("cases", [])], "cases"))
    return head + problems + summary + "<h2>Another report</h2>" + form
