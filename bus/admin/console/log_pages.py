"""Routing-log search and the exchange trace. Their hop tables are HopRecord's declaration
(bus/store/hop_cells.py): the search shows pfbus log's columns, the trace every field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from ...core.faults import ALL_CODES
from ...store import hop_cells
from ...store.hop_cells import DETAIL_COLUMNS, TABLE_COLUMNS
from ...store.hop_record import Column, HopRecord
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
    more = ""
    if len(rows) == page_size:
        more = ('<p class="paging">' + link("/log", "Older →", **{**values,
                                                                   "before": rows[-1][0]})
                + "</p>")
    return hop_table([h for _, h in rows], TABLE_COLUMNS, "results") + more


# What the console adds around a field's cell (keys are HopRecord field names; the column
# tests check that each is declared): where an ID leads, and the fields coloured by value.
LINKS: dict[str, Callable[[str, str], str]] = {
    "message_id": lambda value, text: link("/log", text, message=value),
    "exchange_id": lambda value, text: link(f"/trace/{value}", text)}
COLOURED = frozenset({"status"})  # class st-ok, st-fault, st-error


def hop_table(hops: list[HopRecord], columns: Sequence[Column], css: str,
              whole: bool = False) -> str:
    """Hops as a table whose columns and cells are HopRecord's declaration (``hop_cells``, as
    in ``pfbus log``); ``whole``: paths not cut (the trace has the room)."""
    return table([hop_cells.heading(c) + (" (JST)" if c.table.time else "") for c in columns],
                 [[_cell(h, c, whole) for c in columns] for h in hops], css,
                 right=frozenset(i for i, c in enumerate(columns) if c.table.right))


def _cell(h: HopRecord, column: Column, whole: bool) -> str:
    value = getattr(h, column.name)
    if column.table.time:
        return when(value)  # JST, UTC on hover
    text = hop_cells.cell(h, column, whole=whole)
    if value and column.name in LINKS:
        return LINKS[column.name](value, str(text))
    html = e(text)
    if value and hop_cells.is_cut(column, whole) and text != value:
        html = f'<span title="{e(value)}">{html}</span>'  # the whole value on hover
    if value and column.name in COLOURED:
        html = f'<span class="st-{e(value)}">{html}</span>'
    return html


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
    # every field of the hops (the detail view), but none that is empty in all of them
    records = [h for _, h in hops]
    columns = [c for c in DETAIL_COLUMNS
               if any(hop_cells.cell(h, c) not in (None, "") for h in records)]
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
            f'<h2>Hops</h2>' + hop_table(records, columns, "hops", whole=True) + audit + rel)
