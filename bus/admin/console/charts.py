"""SVG pictures drawn on the server: traffic over time, an exchange's timeline, the route map."""

from __future__ import annotations

from ...store.hop_record import Status
from .layout import e

COLOURS = {"ok": "#2e7d32", "degraded": "#f9a825", "down": "#c62828", "unknown": "#9e9e9e",
           "paused": "#6d4c9f"}


def traffic_chart(service: str, points: list[tuple[float, float, float]], width: int = 560,
                  height: int = 140) -> str:
    """Exchanges per second (blue, left scale) and error ratio (red, 0-100 %) over time."""
    pad_l, pad_r, pad_t, pad_b = 44, 44, 18, 20
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = max(len(points) - 1, 1)
    top = max((p[1] for p in points), default=0.0) or 1.0

    def xy(i: int, value: float, scale: float) -> str:
        return f"{pad_l + w * i / n:.1f},{pad_t + h - h * value / scale:.1f}"

    rate = " ".join(xy(i, p[1], top) for i, p in enumerate(points))
    errors = " ".join(xy(i, p[2], 1.0) for i, p in enumerate(points))
    total = sum(p[1] for p in points) * 10
    failed = sum(p[1] * p[2] for p in points) * 10
    return (f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" role="img" aria-label="{e(service)} traffic">'
            f'<text x="{pad_l}" y="12" class="t">{e(service)}: {total:.0f} exchanges, '
            f'{failed:.0f} failed (30 min)</text>'
            f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" '
            f'stroke="#ccc"/>'
            f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end" class="a">{top:.2g}/s'
            f'</text><text x="{pad_l - 4}" y="{pad_t + h}" text-anchor="end" class="a">0</text>'
            f'<text x="{pad_l + w + 4}" y="{pad_t + 8}" class="a">100%</text>'
            f'<polyline points="{rate}" fill="none" stroke="#1565c0" stroke-width="1.5"/>'
            f'<polyline points="{errors}" fill="none" stroke="#c62828" stroke-width="1" '
            f'stroke-dasharray="3,2"/>'
            f'<text x="{pad_l}" y="{height - 4}" class="a">−30 min</text>'
            f'<text x="{pad_l + w}" y="{height - 4}" text-anchor="end" class="a">now</text>'
            f'</svg><figcaption>blue: exchanges/s · red dashed: error rate</figcaption>'
            f'</figure>')


def timeline(hops: list[dict], width: int = 760) -> str:
    """One exchange's hops on a time axis: a dot per hop at its offset, a bar for its duration.
    ``hops``: {"name", "offset_ms", "duration_ms", "status"}."""
    if not hops:
        return ""
    span = max(max(h["offset_ms"] for h in hops), 1.0)  # a bar ends at its hop's time
    pad_l, row = 150, 22
    w = width - pad_l - 70
    height = row * len(hops) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="exchange timeline" id="timeline">']
    for i, h in enumerate(hops):
        y = 20 + i * row
        x = pad_l + w * h["offset_ms"] / span
        colour = COLOURS["ok"] if h["status"] == Status.OK else COLOURS["down"]
        parts.append(f'<text x="{pad_l - 8}" y="{y + 4}" text-anchor="end" class="a">'
                     f'{e(h["name"])}</text>')
        if h["duration_ms"]:
            start = pad_l + w * max(h["offset_ms"] - h["duration_ms"], 0) / span
            parts.append(f'<rect x="{start:.1f}" y="{y - 5}" width="{max(x - start, 1):.1f}" '
                         f'height="10" fill="{colour}" opacity="0.35"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y}" r="4" fill="{colour}"/>'
                     f'<text x="{x + 8:.1f}" y="{y + 4}" class="a">+{h["offset_ms"]:.1f} ms'
                     + (f' ({h["duration_ms"]:.1f} ms)' if h["duration_ms"] else "")
                     + "</text>")
    parts.append(f'<line x1="{pad_l}" y1="{height - 8}" x2="{pad_l + w}" y2="{height - 8}" '
                 f'stroke="#999"/><text x="{pad_l + w}" y="{height - 12}" text-anchor="end" '
                 f'class="a">{span:.1f} ms</text></svg>')
    return "".join(parts)


def route_map(tenants: list[tuple[str, str]], services: list[str],
              targets: list[tuple[str, str, str]], edges_ts: set[tuple[str, str]],
              edges_sp: set[tuple[str, str]], paused: set[str]) -> str:
    """Tenants → services → providers/subscribers. ``targets``: (id, kind, health state);
    ``edges_ts``: (団体コード, service); ``edges_sp``: (service, target id)."""
    col = (20, 300, 600)
    row = 34
    height = max(len(tenants), len(services), len(targets), 1) * row + 40
    pos: dict[tuple[str, str], tuple[int, int]] = {}
    for i, (code, _) in enumerate(tenants):
        pos["t", code] = (col[0], 30 + i * row)
    for i, s in enumerate(services):
        pos["s", s] = (col[1], 30 + i * row)
    for i, (tid, _, _) in enumerate(targets):
        pos["p", tid] = (col[2], 30 + i * row)
    box_w = 220
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{col[2] + box_w + 20}" '
           f'height="{height}" role="img" aria-label="route map" id="route-map">',
           '<text x="20" y="16" class="t">tenants (団体)</text>'
           '<text x="300" y="16" class="t">services</text>'
           '<text x="600" y="16" class="t">providers / subscribers</text>']
    for a, b, left, right in ([(("t", c), ("s", s), box_w, 0) for c, s in sorted(edges_ts)]
                              + [(("s", s), ("p", p), box_w, 0) for s, p in sorted(edges_sp)]):
        if a in pos and b in pos:
            (x1, y1), (x2, y2) = pos[a], pos[b]
            out.append(f'<line x1="{x1 + left}" y1="{y1 + 12}" x2="{x2 + right}" '
                       f'y2="{y2 + 12}" stroke="#90a4ae"/>')

    def box(key, label: str, colour: str, title: str, dashed: bool = False) -> None:
        x, y = pos[key]
        dash = ' stroke-dasharray="4,3"' if dashed else ""
        out.append(f'<g><title>{e(title)}</title><rect x="{x}" y="{y}" width="{box_w}" '
                   f'height="24" rx="4" fill="#fff" stroke="{colour}" stroke-width="2"{dash}/>'
                   f'<text x="{x + 8}" y="{y + 16}" class="b">{e(label)}</text></g>')

    for code, name in tenants:
        box(("t", code), f"{code} {name}", "#546e7a", f"団体コード {code}")
    for s in services:
        box(("s", s), s, "#546e7a", s)
    for tid, kind, state in targets:
        shown = "paused" if tid in paused else state
        box(("p", tid), f"{tid} ({kind})", COLOURS.get(shown, COLOURS["unknown"]),
            f"{tid}: {shown}", dashed=tid in paused)
    out.append("</svg>")
    return "".join(out)
