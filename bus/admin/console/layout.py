"""The page shell, escaping, and how times and IDs are shown."""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import urlencode

JST = dt.timezone(dt.timedelta(hours=9), "JST")
NAV = (("/", "Dashboard"), ("/log", "Routing log"), ("/queues", "Queues & dead letters"),
       ("/conformance", "Conformance"))


def e(value: object) -> str:
    return "" if value is None else escape(str(value), quote=True)


def when(at: str | None) -> str:
    """A stored UTC time shown in JST, UTC on hover."""
    if not at:
        return ""
    moment = dt.datetime.fromisoformat(at)
    utc = moment.astimezone(dt.timezone.utc)
    jst = moment.astimezone(JST)
    return (f'<time datetime="{e(utc.isoformat())}" '
            f'title="{e(utc.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])} UTC">'
            f'{e(jst.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])} JST</time>')


def when_epoch(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return when(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat())


def short(identifier: str | None) -> str:
    return (identifier or "")[:8]


def link(href: str, text: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f'<a href="{e(href + ("?" + query if query else ""))}">{e(text)}</a>'


def csrf_field(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(csrf)}">'


def page(title: str, body: str, *, who: str | None = None, role: str | None = None,
         csrf: str | None = None, maintenance: bool = False, notice: str | None = None,
         refresh: int | None = None) -> bytes:
    nav = "".join(f'<a href="{href}">{e(text)}</a>' for href, text in NAV)
    user = ""
    if who:
        user = (f'<span class="who">{e(who)} ({e(role)})</span>'
                f'<form method="post" action="/logout" class="inline">{csrf_field(csrf or "")}'
                f'<button type="submit">Log out</button></form>')
    banner = ('<div class="banner maint" id="maintenance-banner">MAINTENANCE: the hub refuses '
              'new requests (PF-MAINTENANCE, 503)</div>' if maintenance else "")
    flash = f'<div class="banner note" id="notice">{e(notice)}</div>' if notice else ""
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (f'<!doctype html><html lang="ja"><head><meta charset="utf-8">{meta}'
            f'<title>{e(title)} · pfbus</title><link rel="stylesheet" href="/static/console.css">'
            f'</head><body><header><span class="brand">pfbus</span><nav>{nav}</nav>{user}'
            f'</header>{banner}{flash}<main><h1>{e(title)}</h1>{body}</main>'
            f'<script src="/static/console.js"></script></body></html>').encode("utf-8")


def table(headings: list[str], rows: list[list[str]], css: str = "",
          right: frozenset[int] = frozenset()) -> str:
    """Cells are HTML already escaped by the caller; ``right``: the columns aligned right."""
    head = "".join(f"<th>{e(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in right else
                                    f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f'<table class="{e(css)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
