"""Reports of ``pfbus layout validate``: JSON for machines, HTML for people, text for the terminal.

All three carry positions and rules only (see ``findings``): file, line, 項目番号, 項目名, rule,
a message in general terms, counts per rule and per file, the files' row counts and SHA-256.
"""

from __future__ import annotations

import datetime as dt
import html
import json

from .validator import ValidationReport


def to_json(report: ValidationReport) -> dict:
    return {
        "folder": report.folder,
        "layout": report.layout,
        "ok": report.ok,
        "rows": report.rows,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(),
        "counts": dict(sorted(report.counts.items())),
        "files": [{"file": f.name, "record": f.record, "rows": f.rows, "bytes": f.bytes,
                   "sha256": f.sha256, "counts": f.counts} for f in report.files],
        "findings": [f.to_json() for f in report.findings],
        "findings_listed": len(report.findings),
        "findings_total": sum(report.counts.values()),
    }


def to_text(report: ValidationReport, limit: int = 200) -> list[str]:
    lines = [str(f) for f in report.findings[:limit]]
    if len(report.findings) > limit:
        lines.append(f"… {len(report.findings) - limit} more findings listed in the JSON/HTML "
                     "report")
    total = sum(report.counts.values())
    files = ", ".join(f"{f.name} {f.rows} rows" for f in report.files)
    verdict = "OK" if report.ok else f"{total} finding(s): " + ", ".join(
        f"{rule} {n}" for rule, n in sorted(report.counts.items()))
    lines.append(f"{report.layout or 'layout unknown'}: {files or 'no files read'} — {verdict}")
    return lines


def to_html(report: ValidationReport) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(f.file)}</td><td>{'' if f.line is None else f.line}</td>"
        f"<td>{'' if f.item_no is None else f.item_no}</td><td>{e(f.item_name or '')}</td>"
        f"<td><code>{e(f.rule)}</code></td><td>{e(f.message)}</td></tr>"
        for f in report.findings)
    files = "".join(f"<tr><td>{e(f.name)}</td><td>{f.rows}</td><td>{f.bytes}</td>"
                    f"<td><code>{e(f.sha256)}</code></td><td>{sum(f.counts.values())}</td></tr>"
                    for f in report.files)
    counts = "".join(f"<tr><td><code>{e(rule)}</code></td><td>{n}</td></tr>"
                     for rule, n in sorted(report.counts.items()))
    verdict = "合格 (no findings)" if report.ok else f"{sum(report.counts.values())} findings"
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>レイアウト検証 {e(report.layout or '')}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:2px 6px;text-align:left}}</style></head><body>
<h1>中間標準レイアウト 検証結果</h1>
<p>Layout: <b>{e(report.layout or 'unknown')}</b> — {e(verdict)}. This report holds positions and
rules only, never a value of the files.</p>
<h2>Files</h2><table><tr><th>file</th><th>rows</th><th>bytes</th><th>SHA-256</th>
<th>findings</th></tr>{files}</table>
<h2>Findings per rule</h2><table><tr><th>rule</th><th>count</th></tr>{counts}</table>
<h2>Findings</h2><table><tr><th>file</th><th>line</th><th>項目番号</th><th>項目名</th>
<th>rule</th><th>message</th></tr>{rows}</table>
</body></html>
"""


def dumps(report: ValidationReport) -> str:
    return json.dumps(to_json(report), ensure_ascii=False, indent=2)
