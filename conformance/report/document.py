"""The report as one JSON document: everything the JUnit, HTML and certificate views show.

The other views are rendered from this document alone, so ``verify`` can re-derive the
certificate from ``report.json`` and a reader can trust that the HTML says what the JSON says.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..records import ERROR, FAIL, PASS, SKIP, CaseResult, CommandRun, Exchange
from ..runner import RunResult
from .redact import Redactor

FORMAT = "pfbus-conformance-report/1"
LEVELS = {1: "準拠確認 (level 1: one product against the standard)",
          2: "相互接続確認 (level 2: interoperation through a hub with reference adapters)"}


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def _exchange(ex: Exchange, r: Redactor) -> dict[str, Any]:
    return {
        "step": ex.step, "direction": ex.direction, "method": ex.method, "url": ex.url,
        "service": ex.service, "soap_version": ex.soap_version, "started_at": ex.started_at,
        "elapsed_ms": round(ex.elapsed * 1000, 1), "error": ex.error,
        "request_headers": ex.request_headers, "request_sha256": _sha(ex.request),
        "request": r.xml(_text(ex.request)),
        "status": ex.status, "response_headers": ex.response_headers,
        "response_sha256": _sha(ex.response), "response": r.xml(_text(ex.response)),
    }


def _sha(raw: bytes) -> str | None:
    return hashlib.sha256(raw).hexdigest() if raw else None


def _command(run: CommandRun) -> dict[str, Any]:
    return {"step": run.step, "argv": run.argv, "exit_code": run.exit_code,
            "elapsed_ms": round(run.elapsed * 1000, 1), "started_at": run.started_at,
            "stdout": run.stdout[-4000:], "stderr": run.stderr[-4000:]}


def _case(c: CaseResult, r: Redactor) -> dict[str, Any]:
    return {"id": c.id, "case_id": c.case_id, "title": c.title,
            "requirements": list(c.requirements), "service": c.service, "verdict": c.verdict,
            "reason": c.reason, "duration_ms": round(c.duration * 1000, 1),
            "started_at": c.started_at,
            "findings": [{"where": f.where, "message": f.message} for f in c.findings],
            "evidence": [_exchange(ex, r) for ex in c.exchanges],
            "commands": [_command(run) for run in c.commands]}


def requirement_verdict(verdicts: list[str]) -> str:
    if FAIL in verdicts:
        return FAIL
    if ERROR in verdicts:
        return ERROR
    if PASS in verdicts:
        return PASS
    return SKIP


def build(result: RunResult, redact: bool = False) -> dict[str, Any]:
    profile, suite = result.profile, result.suite
    r = Redactor(redact, result.prefixes, result.params)
    cases = [_case(c, r) for c in result.results]  # XML first: it teaches r the values to mask
    for case in cases:
        case["reason"] = r.text(case["reason"])
        # every free text: a grid's step names its input (宛名番号, …), findings quote values
        for f in case["findings"]:
            f["where"], f["message"] = r.text(f["where"]), r.text(f["message"])
        for ex in case["evidence"]:
            ex["step"], ex["error"] = r.text(ex["step"]), r.text(ex["error"])
        for cmd in case["commands"]:
            cmd["step"] = r.text(cmd["step"])
            cmd["stdout"], cmd["stderr"] = r.text(cmd["stdout"]), r.text(cmd["stderr"])
            cmd["argv"] = r.all_text(cmd["argv"])
    requirements = []
    for rid, req in suite.requirements.items():
        verdicts = [c.verdict for c in result.results if rid in c.requirements]
        if verdicts:
            requirements.append({
                "id": rid, "title": req.title, "text": req.text, "sources": list(req.sources),
                "verdict": requirement_verdict(verdicts),
                "cases": [c.id for c in result.results if rid in c.requirements]})
    counts = {v: result.count(v) for v in (PASS, FAIL, ERROR, SKIP)}
    return {
        "format": FORMAT,
        "verdict": result.verdict,
        "summary": {"cases": len(result.results), **counts,
                    "requirements": len(requirements),
                    "requirements_passed": sum(q["verdict"] == PASS for q in requirements)},
        "profile": {"id": profile.id, "title": profile.title, "unit": profile.unit,
                    "role": profile.role, "level": profile.level,
                    "level_name": LEVELS[profile.level], "status": profile.status,
                    "draft_reason": profile.draft_reason, "reference": profile.reference},
        "product": {"target": result.options.target,
                    "party": f"{result.params.get('sut_local_gov_code')}/{profile.unit}/"
                             f"{result.params.get('sut_system_id')}"},
        "run": {"started_at": result.started_at, "finished_at": result.finished_at,
                "duration_s": round(result.duration, 3),
                **(result.time_split.as_dict() if result.time_split else {}),
                "redacted": redact,
                "params": r.params(result.params)},
        "environment": result.environment,
        "requirements": requirements,
        "cases": cases,
    }

