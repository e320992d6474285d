"""Reading a 異動通知 (juki:ResidentChangeNotice) as a subscriber: its changes, in order.

Not a model of the payload: the Resident stays the standard XML element for the vendor's own
mapping. ``reason_group`` reads the group (記載 / 消除 / 修正) from the catalog's change_reason code
list, so a replaced code list file changes it without code.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from schemas import BUILTIN_CATALOG

JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"
NOTICE_TAG = f"{{{JUKI}}}ResidentChangeNotice"
RECORDED, DELETED, MODIFIED = "記載", "消除", "修正"

__all__ = ["DELETED", "MODIFIED", "NOTICE_TAG", "RECORDED", "changes", "reason_group"]


@functools.cache
def _groups(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["code"].strip(): (r.get("group") or "").strip() for r in csv.DictReader(f)}


def reason_group(code: str, codelist: Path = BUILTIN_CATALOG.parent / "codelists" /
                 "change_reason.csv") -> str:
    """記載, 消除 or 修正 for a 異動事由 code (ValueError if the code list lacks it)."""
    try:
        return _groups(codelist)[code]
    except KeyError:
        raise ValueError(f"異動事由 {code!r} is not in the change_reason code list") from None


def changes(notice: etree._Element) -> Iterator[tuple[int, str, str, etree._Element]]:
    """(異動連番, 異動事由, 異動年月日 "yyyy-mm-dd", Resident element) of each Change of a
    schema-valid juki:ResidentChangeNotice, in 異動連番 order (document order among equals)."""
    if notice.tag != NOTICE_TAG:
        raise ValueError(f"expected juki:ResidentChangeNotice, got {notice.tag}")
    found = []
    for change in notice.findall(f"{{{JUKI}}}Change"):
        event = change.find(f"{{{JUKI}}}Event")
        found.append((int(change.findtext(f"{{{JUKI}}}Sequence").strip().lstrip("+")),
                      event.findtext(f"{{{CMN}}}Reason").strip(),
                      event.findtext(f"{{{CMN}}}OccurredOn").strip()[:10],
                      change.find(f"{{{JUKI}}}Resident")))
    return iter(sorted(found, key=lambda c: c[0]))
