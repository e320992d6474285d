"""The report's digest and certificate, and ``verify``.

A report folder holds ``report.json``, ``junit.xml``, ``report.html``, then ``manifest.json`` —
the SHA-256 of each of those files, as canonical JSON (sorted keys, no insignificant space) — and
``certificate.txt``, the summary a procurement file quotes. The report digest is the SHA-256 of
the manifest's bytes: it covers every file through the manifest, and is the same whatever order
or machine the files were written in. The certificate is rendered from report.json and the
digest alone, so ``verify`` re-renders it and compares bytes: a one-byte edit anywhere — a
report file, the manifest, the certificate — is detected. Against a forger who rewrites all of
them consistently, compare with the digest printed at run time (``--digest``); signing the
digest is the security work's (issue 5).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

REPORT_FILES = ("report.json", "junit.xml", "report.html")
MANIFEST = "manifest.json"
CERTIFICATE = "certificate.txt"
MANIFEST_FORMAT = "pfbus-conformance-manifest/1"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8") + b"\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_of(files: dict[str, bytes]) -> bytes:
    return canonical({"format": MANIFEST_FORMAT, "algorithm": "sha256",
                      "files": {name: sha256(data) for name, data in sorted(files.items())}})


def certificate(doc: dict[str, Any], files: dict[str, str], digest: str) -> bytes:
    p, s, run, env = doc["profile"], doc["summary"], doc["run"], doc["environment"]
    lines = [
        "pfbus conformance certificate summary (準拠確認 結果証明 概要)",
        "=" * 60,
        f"Verdict 判定:        {doc['verdict'].upper()}"
        + ("   [DRAFT PROFILE - not a basis for certification]" if p["status"] == "draft"
           else ""),
        f"Profile:            {p['id']} - {p['title']}",
        f"Level:              {p['level_name']}",
        f"Role:               {p['role']} (業務ユニット {p['unit']})",
        f"Product:            {doc['product']['party']} at "
        f"{doc['product']['target'] or '(called through --trigger)'}",
        f"Cases:              {s['cases']} - {s['pass']} pass, {s['fail']} fail, "
        f"{s['error']} error, {s['skip']} skip",
        f"Requirements:       {s['requirements_passed']} of {s['requirements']} passed",
        f"Run:                {run['started_at']} to {run['finished_at']}",
        f"Suite:              pfbus-conformance {env['suite_version']}, case data sha256 "
        f"{env['suite_data_sha256']}",
        f"pfbus:              {env['pfbus']} (Python {env['python']})",
        f"Personal data:      {'redacted' if run['redacted'] else 'not redacted'}",
        "",
        "Report digest (SHA-256 of manifest.json):",
        f"  {digest}",
        "Files:",
        *[f"  {sha} {name}" for name, sha in sorted(files.items())],
        "",
        "Check: pfbus conformance verify <this folder> --digest <the digest above>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write(directory: Path, files: dict[str, bytes], doc: dict[str, Any]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    manifest = manifest_of(files)
    (directory / MANIFEST).write_bytes(manifest)
    digest = sha256(manifest)
    hashes = {name: sha256(data) for name, data in files.items()}
    (directory / CERTIFICATE).write_bytes(certificate(doc, hashes, digest))
    return digest


def verify(directory: Path, expected: str | None = None) -> tuple[str | None, list[str]]:
    """(the report digest, problems); no problems: the report is as it was written."""
    directory = Path(directory)
    problems: list[str] = []
    try:
        manifest_bytes = (directory / MANIFEST).read_bytes()
        manifest = json.loads(manifest_bytes)
    except (OSError, ValueError) as exc:
        return None, [f"{MANIFEST}: cannot be read: {exc}"]
    digest = sha256(manifest_bytes)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or canonical(manifest) != manifest_bytes \
            or manifest.get("format") != MANIFEST_FORMAT:
        problems.append(f"{MANIFEST}: not in its canonical form")
        files = files if isinstance(files, dict) else {}
    if sorted(files) != sorted(REPORT_FILES):
        problems.append(f"{MANIFEST}: lists {sorted(files)}, expected {sorted(REPORT_FILES)}")
    for name, want in sorted(files.items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256(path.read_bytes()) != want:
            problems.append(f"{name}: changed (SHA-256 {sha256(path.read_bytes())}, the "
                            f"manifest says {want})")
    extra = sorted(p.name for p in directory.iterdir()
                   if p.name not in (*files, MANIFEST, CERTIFICATE))
    if extra:
        problems.append(f"files not part of the report: {', '.join(extra)}")
    try:
        doc = json.loads((directory / "report.json").read_bytes())
        cert = (directory / CERTIFICATE).read_bytes()
        if certificate(doc, files, digest) != cert:
            problems.append(f"{CERTIFICATE}: does not match the report and its digest")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(f"{CERTIFICATE} or report.json cannot be read: {exc}")
    if expected is not None and expected.strip().lower() != digest:
        problems.append(f"the digest is {digest}, not the expected {expected.strip()}")
    return digest, problems
