"""JUnit XML of a report, for CI systems: one testcase per case instance."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..records import ERROR, FAIL, SKIP


def render(doc: dict[str, Any]) -> bytes:
    s = doc["summary"]
    profile = doc["profile"]["id"]
    time_s = f"{doc['run']['duration_s']:.3f}"
    suites = etree.Element("testsuites", name=f"pfbus conformance {profile}",
                           tests=str(s["cases"]), failures=str(s[FAIL]),
                           errors=str(s[ERROR]), skipped=str(s[SKIP]), time=time_s)
    suite = etree.SubElement(suites, "testsuite", name=profile, tests=str(s["cases"]),
                             failures=str(s[FAIL]), errors=str(s[ERROR]),
                             skipped=str(s[SKIP]), time=time_s,
                             timestamp=doc["run"]["started_at"])
    props = etree.SubElement(suite, "properties")
    for key in ("suite_version", "suite_data_sha256", "pfbus", "python", "target"):
        etree.SubElement(props, "property", name=key, value=str(doc["environment"].get(key)))
    etree.SubElement(props, "property", name="verdict", value=doc["verdict"])
    for case in doc["cases"]:
        tc = etree.SubElement(suite, "testcase", classname=f"{profile}.{case['case_id']}",
                              name=f"{case['id']}: {case['title']} "
                                   f"[{', '.join(case['requirements'])}]",
                              time=f"{case['duration_ms'] / 1000:.3f}")
        verdict = case["verdict"]
        if verdict == FAIL:
            messages = [f"{f['where']}: {f['message']}" for f in case["findings"]]
            el = etree.SubElement(tc, "failure", message=messages[0][:500] if messages else "",
                                  type="conformance")
            el.text = "\n".join(messages)
        elif verdict == ERROR:
            etree.SubElement(tc, "error", message=case["reason"][:500], type="suite")
        elif verdict == SKIP:
            etree.SubElement(tc, "skipped", message=case["reason"][:500])
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True)
