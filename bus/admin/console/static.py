"""The console's stylesheet and its one small script, served from the hub itself."""

CSS = b"""
body{font:14px/1.45 system-ui,"Hiragino Sans","Noto Sans CJK JP",sans-serif;margin:0;color:#222}
header{display:flex;gap:1.2em;align-items:center;background:#263238;color:#fff;padding:.5em 1em}
header a{color:#cfd8dc;text-decoration:none;margin-right:1em}header a:hover{color:#fff}
.brand{font-weight:700}.who{margin-left:auto}form.inline{display:inline}
main{padding:1em 1.5em}h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #e0e0e0;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#eceff1}td.num{text-align:right}
.banner{padding:.5em 1.5em;font-weight:600}.maint{background:#c62828;color:#fff}.note{background:#e3f2fd}
.st-ok,.st-pass{color:#2e7d32}.st-fault,.st-error,.st-fail{color:#c62828;font-weight:600}
.paused{color:#6d4c9f;font-weight:600}.ready.ok{color:#2e7d32;font-weight:600}
.ready.bad{color:#c62828;font-weight:600}.error{color:#c62828}
form.search{display:flex;flex-wrap:wrap;gap:.6em;align-items:flex-end;margin-bottom:1em}
form.search label,form#login label{display:flex;flex-direction:column;font-size:12px}
form.act{display:inline-flex;gap:.3em;margin:.2em .4em .2em 0}button.danger{color:#c62828}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{color:#666}dd{margin:0}
pre{background:#fafafa;border:1px solid #ddd;padding:.6em;overflow:auto;max-height:30em}
svg text.t{font-size:12px;font-weight:600}svg text.a{font-size:10px;fill:#555}
svg text.b{font-size:11px}.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}
figcaption{font-size:11px;color:#666}.empty{color:#777}
"""

# Destructive actions ask once more; nothing else needs a script.
JS = b"""
document.addEventListener('submit', function (ev) {
  var b = ev.target.querySelector('button.danger');
  if (b && !window.confirm(b.textContent + '?')) { ev.preventDefault(); }
});
"""
