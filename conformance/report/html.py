"""The HTML report a procurement officer reads: one self-contained file (no script, no external
resources), rendered from the JSON document. Tables carry ``data-id`` / ``data-verdict`` so a
machine can read the same verdicts a person sees."""

from __future__ import annotations

from html import escape
from typing import Any

from lxml import etree

from ..records import ERROR, FAIL, PASS, SKIP

VERDICT_LABEL = {PASS: "PASS 適合", FAIL: "FAIL 不適合", ERROR: "ERROR 判定不能",
                 SKIP: "SKIP 対象外"}
ROLE_LABEL = {"provider": "provider (サービス提供)", "consumer": "consumer (サービス利用)",
              "subscriber": "subscriber (異動通知の受信)"}

CSS = """
body{font-family:system-ui,"Hiragino Sans","Noto Sans JP",sans-serif;margin:2em auto;
max-width:72em;color:#222;line-height:1.45}
h1{font-size:1.5em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.v{font-weight:bold;white-space:nowrap}
.v-pass{color:#11622b}.v-fail{color:#b00020}.v-error{color:#8a4b00}.v-skip{color:#666}
.verdict{font-size:1.6em;font-weight:bold;padding:.3em .8em;display:inline-block;border-radius:.2em}
.verdict.v-pass{background:#e3f4e8}.verdict.v-fail{background:#fbe4e7}
.draft{background:#fff4d6;border:1px solid #e0b64a;padding:.6em}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.5em;overflow-x:auto;font-size:.85em;
white-space:pre-wrap;word-break:break-all}
details{margin:.4em 0}summary{cursor:pointer}.meta{color:#555;font-size:.9em}
ul.findings{margin:.2em 0;padding-left:1.2em}small{color:#555}
"""


def _v(verdict: str) -> str:
    return f'<span class="v v-{verdict}">{VERDICT_LABEL[verdict]}</span>'


def _pretty(text: str) -> str:
    """Indented XML for reading (display only: report.json keeps the exact text)."""
    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True))
    except etree.XMLSyntaxError:
        return text
    return etree.tostring(root, encoding="unicode", pretty_print=True)


def _rows(pairs) -> str:
    return "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                   for k, v in pairs)


def render(doc: dict[str, Any]) -> bytes:
    p, s, run = doc["profile"], doc["summary"], doc["run"]
    out = [f'<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
           f'<title>pfbus conformance report — {escape(p["id"])}</title>'
           f"<style>{CSS}</style></head><body>",
           f'<header><h1>pfbus conformance report 準拠確認報告書<br>'
           f'<small>{escape(p["title"])}</small></h1>'
           f'<p id="verdict" class="verdict v-{doc["verdict"]}" data-verdict="{doc["verdict"]}">'
           f'{VERDICT_LABEL[doc["verdict"]]}</p></header>']
    if p["status"] == "draft":
        out.append(f'<p class="draft" id="draft">Draft profile — not a basis for certification: '
                   f'{escape(p["draft_reason"])}</p>')
    out.append('<section id="summary"><h2>Summary 概要</h2><table>')
    out.append(_rows([
        ("Profile プロファイル", f'{p["id"]} — {p["title"]}'),
        ("Level 確認区分", p["level_name"]),
        ("Role 役割", ROLE_LABEL[p["role"]]),
        ("Product 製品", f'{doc["product"]["target"] or "(called through --trigger)"}, '
                         f'party {doc["product"]["party"]}'),
        ("Reference adapter 参照実装", p["reference"]),
        ("Cases 試験ケース", f'{s["cases"]}: {s[PASS]} pass, {s[FAIL]} fail, '
                            f'{s[ERROR]} error, {s[SKIP]} skip'),
        ("Requirements 確認項目", f'{s["requirements_passed"]} of {s["requirements"]} passed'),
        ("Run 実施", f'{run["started_at"]} – {run["finished_at"]} ({run["duration_s"]} s'
                    + (f': the product {run["product_s"]} s, waiting on purpose '
                       f'{run["waiting_s"]} s, the suite {run["suite_s"]} s)'
                       if "suite_s" in run else ")")),
        ("Personal data 個人情報", "redacted in the evidence" if run["redacted"]
         else "not redacted"),
    ]))
    out.append("</table></section>")
    out.append('<section id="requirements"><h2>Verdict per requirement 確認項目ごとの判定</h2>'
               "<table><thead><tr><th>Requirement</th><th>What it checks</th><th>Verdict</th>"
               "<th>Cases</th></tr></thead><tbody>")
    for q in doc["requirements"]:
        sources = "".join(f"<li>{escape(src)}</li>" for src in q["sources"])
        cases = ", ".join(f'<a href="#case-{escape(c)}">{escape(c)}</a>' for c in q["cases"])
        out.append(f'<tr class="requirement" id="req-{escape(q["id"])}" '
                   f'data-id="{escape(q["id"])}" data-verdict="{q["verdict"]}">'
                   f'<td>{escape(q["id"])}</td><td><b>{escape(q["title"])}</b><br>'
                   f'{escape(q["text"])}<br><small>Sources:</small><ul>{sources}</ul></td>'
                   f'<td>{_v(q["verdict"])}</td><td>{cases}</td></tr>')
    out.append("</tbody></table></section>")
    out.append('<section id="cases"><h2>Cases 試験ケース</h2><table><thead><tr><th>Case</th>'
               "<th>Title</th><th>Requirements</th><th>Verdict</th><th>Findings</th></tr>"
               "</thead><tbody>")
    for c in doc["cases"]:
        notes = [f'{f["where"]}: {f["message"]}' for f in c["findings"]] or \
            ([c["reason"]] if c["reason"] else [])
        findings = "".join(f"<li>{escape(n)}</li>" for n in notes)
        out.append(f'<tr class="case" data-id="{escape(c["id"])}" '
                   f'data-verdict="{c["verdict"]}"><td><a href="#case-{escape(c["id"])}">'
                   f'{escape(c["id"])}</a></td><td>{escape(c["title"])}</td>'
                   f'<td>{escape(", ".join(c["requirements"]))}</td><td>{_v(c["verdict"])}</td>'
                   f'<td><ul class="findings">{findings}</ul></td></tr>')
    out.append("</tbody></table></section>")
    out.append('<section id="evidence"><h2>Evidence 証跡</h2><p class="meta">The messages '
               "exchanged, per case, with the SHA-256 of the exact bytes.</p>")
    for c in doc["cases"]:
        out.append(f'<details id="case-{escape(c["id"])}"><summary>{escape(c["id"])} '
                   f'{_v(c["verdict"])} — {escape(c["title"])}</summary>')
        for ex in c["evidence"]:
            meta = (f'{ex["step"]}: {ex["direction"]} {ex["method"]} {ex["url"]} — '
                    f'HTTP {ex["status"]}, {ex["elapsed_ms"]} ms'
                    + (f' — {ex["error"]}' if ex["error"] else ""))
            out.append(f'<div class="exchange"><p class="meta">{escape(meta)}</p>')
            for part in ("request", "response"):
                if ex[part]:
                    out.append(f'<p class="meta">{part}, sha256 {ex[part + "_sha256"]}</p>'
                               f'<pre class="{part}">{escape(_pretty(ex[part]))}</pre>')
            out.append("</div>")
        for cmd in c["commands"]:
            out.append(f'<p class="meta">{escape(cmd["step"])}: command '
                       f'{escape(" ".join(cmd["argv"]))} — exit {cmd["exit_code"]}, '
                       f'{cmd["elapsed_ms"]} ms</p>'
                       f'<pre class="stdout">{escape(cmd["stdout"] or "(no output)")}</pre>')
            if cmd["stderr"].strip():
                out.append(f'<pre class="stderr">{escape(cmd["stderr"])}</pre>')
        out.append("</details>")
    out.append('</section><section id="environment"><h2>Environment 実行環境</h2><table>')
    out.append(_rows(doc["environment"].items()))
    out.append(_rows((f"param {k}", v) for k, v in run["params"].items()))
    out.append("</table></section><footer><p class=\"meta\">The SHA-256 digest of this report "
               "(its manifest) is in certificate.txt beside this file. To check that no file "
               "of the report was changed: <code>pfbus conformance verify &lt;report folder&gt; "
               "--digest &lt;digest&gt;</code>.</p></footer></body></html>\n")
    return "".join(out).encode("utf-8")
