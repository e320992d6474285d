"""Routing-log search and the exchange trace."""

from __future__ import annotations

import datetime as dt

from ...core.faults import ALL_CODES
from ...core.xmlpath import keep_end
from ...store.routing_log import STATUSES, Hop
from .charts import timeline
from .layout import e, link, short, table, when

SEARCH_FIELDS = (("message", "Message ID or prefix"), ("exchange", "Exchange ID or prefix"),
                 ("service", "Service"), ("code", "団体コード"), ("sender", "Sender (prefix)"),
                 ("status", "Status"), ("fault", "Fault code"), ("since", "From (JST)"),
                 ("until", "Until (JST)"))


def search_form(values: dict, services: list[str]) -> str:
    def field(name: str, label: str) -> str:
        value = values.get(name, "")
        if name == "status":
            options = "".join(f'<option{" selected" if value == s else ""}>{e(s)}</option>'
                              for s in ("", *STATUSES))
            control = f'<select name="status" id="f-status">{options}</select>'
        elif name == "fault":
            options = "".join(f'<option{" selected" if value == c else ""}>{e(c)}</option>'
                              for c in ("", *sorted(f.code for f in ALL_CODES)))
            control = f'<select name="fault" id="f-fault">{options}</select>'
        elif name == "service":
            options = "".join(f'<option{" selected" if value == s else ""}>{e(s)}</option>'
                              for s in ("", *services))
            control = f'<select name="service" id="f-service">{options}</select>'
        else:
            kind = "datetime-local" if name in ("since", "until") else "text"
            step = ' step="1"' if kind == "datetime-local" else ""
            control = (f'<input type="{kind}"{step} name="{name}" id="f-{name}" '
                       f'value="{e(value)}">')
        return f'<label>{e(label)}{control}</label>'

    return (f'<form method="get" action="/log" class="search" id="search">'
            f'{"".join(field(n, label) for n, label in SEARCH_FIELDS)}'
            f'<button type="submit">Search</button></form>')


def jst_to_utc(text: str | None) -> str | None:
    """A console time field (JST unless it names an offset) as UTC ISO-8601."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=9)))
    return moment.astimezone(dt.timezone.utc).isoformat()


def search_results(rows: list, values: dict, page_size: int) -> str:
    if not rows:
        return '<p class="empty" id="no-results">No matching records.</p>'
    cells = []
    for _row_id, h in rows:
        cells.append([
            when(h.at),
            link("/log", short(h.message_id), message=h.message_id) if h.message_id else "",
            link(f"/trace/{h.exchange_id}", short(h.exchange_id)),
            e(h.hop), f'<span class="st-{e(h.status)}">{e(h.status)}</span>',
            e(h.service_id), e(f"{h.sender or ''}→{h.receiver or ''}" if h.sender or h.receiver
                               else ""),
            e(h.provider), e(h.fault_code), e(h.rule),
            f'<span title="{e(h.path)}">{e(keep_end(h.path))}</span>', e(h.line),
            e("" if h.duration_ms is None else f"{h.duration_ms:.1f}")])
    more = ""
    if len(rows) == page_size:
        more = ('<p class="paging">' + link("/log", "Older →", **{**values,
                                                                   "before": rows[-1][0]})
                + "</p>")
    return (table(["at (JST)", "message", "exchange", "hop", "status", "service",
                   "sender→receiver", "provider", "fault code", "rule", "path", "line", "ms"],
                  cells, "results") + more)


def trace_page(exchange_id: str, hops: list, related: list) -> str:
    if not hops:
        return f'<p class="empty">No exchange {e(exchange_id)} in the routing log.</p>'
    start = dt.datetime.fromisoformat(hops[0][1].at)
    points = []
    for _, h in hops:
        offset = (dt.datetime.fromisoformat(h.at) - start).total_seconds() * 1000
        points.append({"name": h.hop, "offset_ms": offset, "duration_ms":
                       h.duration_ms if h.hop in (Hop.ROUTED, Hop.DELIVERY) else None,
                       "status": h.status})
    first = hops[0][1]
    last = hops[-1][1]
    facts = [("exchange", exchange_id), ("message", first.message_id or last.message_id),
             ("service", last.service_id), ("sender", last.sender),
             ("receiver", last.receiver), ("provider", last.provider),
             ("outcome", last.status), ("fault code", last.fault_code),
             ("total", f"{last.duration_ms:.1f} ms" if last.duration_ms is not None else "")]
    summary = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts if v)
    rows = []
    for _, h in hops:
        rows.append([when(h.at), e(h.hop), f'<span class="st-{e(h.status)}">{e(h.status)}'
                     f'</span>', e(h.fault_code), e(h.party), e(h.rule),
                     f'<code title="{e(h.path)}">{e(h.path)}</code>', e(h.line),
                     e(h.http_status), e("" if h.duration_ms is None else
                                         f"{h.duration_ms:.1f}"), e(h.attempt), e(h.reason)])
    shrink = [h for _, h in hops if h.hop == Hop.SHRINK]
    audit = ("<h2>縮退 audit</h2><ul id='shrink'>" + "".join(
        f"<li>{e(h.reason)} at <code>{e(h.path)}</code> line {e(h.line)}</li>" for h in shrink)
        + "</ul>") if shrink else ""
    rel = ""
    if related:
        rel = "<h2>Related exchanges</h2>" + table(
            ["exchange", "hops", "last status"],
            [[link(f"/trace/{xid}", short(xid)), e(names), e(status)]
             for xid, _, names, status in related], "related")
    return (f'<dl class="facts" id="trace-facts">{summary}</dl>'
            f'<h2>Timeline</h2>{timeline(points)}'
            f'<h2>Hops</h2>' + table(["at (JST)", "hop", "status", "fault code", "party", "rule",
                                      "element path", "line", "HTTP", "ms", "attempt",
                                      "reason"], rows, "hops") + audit + rel)
