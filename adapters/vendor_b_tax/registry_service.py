"""Vendor B serving the platform's 住民基本台帳 services once it is the registry (after a
migration): 住民照会 (juki.ResidentInquiry) and 全件抽出 (juki.ResidentFullExtract), answered from
its own tables through its registry exporter's rows (names in their registered form: the 原字
where it keeps names in 縮退) and ``adapters.sdk.juki_layout``. Every inquiry is written to its
照会履歴; a 全件抽出 freezes a snapshot so that every page reads the same records.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable

from lxml import etree

from adapters.sdk.juki_layout import household_element, resident_element
from bus.core.header import PlatformHeader

from .registry import RegistryExporter, ensure_registry
from .store import TaxStore

JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"
NSMAP = {"juki": JUKI, "cmn": CMN}
RESIDENT_INQUIRY = "juki.ResidentInquiry"
RESIDENT_FULL_EXTRACT = "juki.ResidentFullExtract"
MAX_PAGE_SIZE = 1000
EXTRACT_RETENTION = dt.timedelta(hours=24)
SCHEMA = """
CREATE TABLE IF NOT EXISTS "照会履歴" ("日時" TEXT NOT NULL, "メッセージID" TEXT, "照会元" TEXT,
    "操作者ID" TEXT, "サービスID" TEXT, "宛名番号" TEXT);
CREATE TABLE IF NOT EXISTS "抽出管理" ("抽出ID" TEXT PRIMARY KEY, "作成日時" TEXT NOT NULL,
    "件数" INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS "抽出明細" ("抽出ID" TEXT NOT NULL, "連番" INTEGER NOT NULL,
    "内容" TEXT NOT NULL, PRIMARY KEY ("抽出ID", "連番"));
CREATE TABLE IF NOT EXISTS "抽出要求" ("依頼元" TEXT NOT NULL, "要求ID" TEXT NOT NULL,
    "抽出ID" TEXT NOT NULL, PRIMARY KEY ("依頼元", "要求ID"));
"""

Handler = Callable[[PlatformHeader, etree._Element], etree._Element]


class UnknownExtract(LookupError):
    """A 全件抽出 ExtractId vendor B never issued or has already pruned."""


def _j(name: str) -> str:
    return f"{{{JUKI}}}{name}"


def _child(el: etree._Element, name: str) -> str | None:
    child = el.find(_j(name))
    return None if child is None else (child.text or "").strip()


def _as_of(el: etree._Element) -> str | None:
    text = _child(el, "AsOf")
    return None if text is None else dt.date.fromisoformat(text[:10]).isoformat().replace("-", "")


def _on(row: dict, as_of: str | None) -> bool:
    became = row.get("住民となった年月日")
    return as_of is None or not became or became <= as_of


class RegistryService:
    def __init__(self, store: TaxStore):
        self.store = store
        self.rows = RegistryExporter(store)
        ensure_registry(store)
        with store.lock, store.conn:
            store.conn.executescript(SCHEMA)

    def _members(self, household: str, as_of: str | None) -> list[dict]:
        """The household's members on ``as_of`` (today's when None): those resident by then
        whose 世帯番号 then (its 異動履歴) was this one — 基準日 is the state as of that date,
        the household included (juki-v1.xsd)."""
        if as_of is None:
            return list(self.rows.residents('WHERE a."世帯番号" = ? ORDER BY a."続柄" <> \'01\', '
                                            'a."宛名番号"', (household,)))
        rows = self.rows.residents(
            'WHERE a."世帯番号" = ? OR a."宛名番号" IN (SELECT "宛名番号" FROM "異動履歴" '
            'WHERE "異動後世帯番号" = ?) ORDER BY a."続柄" <> \'01\', a."宛名番号"',
            (household, household))
        return [r for r in rows if _on(r, as_of) and self._household_on(r, as_of) == household]

    def _household_on(self, row: dict, as_of: str | None) -> str:
        """The resident's 世帯番号 on ``as_of``: after its last 異動 by then, else today's."""
        if as_of is None:
            return row["世帯番号"]
        with self.store.lock:
            then = self.store.conn.execute(
                'SELECT "異動後世帯番号" FROM "異動履歴" WHERE "宛名番号" = ? AND "異動日" <= ? '
                'ORDER BY "異動日" DESC, "異動連番" DESC LIMIT 1',
                (row["宛名番号"], int(as_of))).fetchone()
        return row["世帯番号"] if then is None else then[0]

    def inquiry(self, header: PlatformHeader | None, request: etree._Element) -> etree._Element:
        if request.tag != _j("ResidentInquiryRequest"):
            raise ValueError(f"expected juki:ResidentInquiryRequest, got {request.tag}")
        number = _child(request, "AddresseeNumber")
        if number is not None:
            found = list(self.rows.residents('WHERE a."宛名番号" = ?', (number,)))
        else:
            individual = _child(request, "IndividualNumber")
            if individual is None:
                raise ValueError("ResidentInquiryRequest has neither AddresseeNumber nor "
                                 "IndividualNumber")
            found = list(self.rows.residents('WHERE a."個人番号" = ?', (individual,)))
        as_of = _as_of(request)
        row = found[0] if found and _on(found[0], as_of) else None
        with self.store.lock, self.store.conn:
            self.store.conn.execute('INSERT INTO "照会履歴" VALUES (?, ?, ?, ?, ?, ?)', (
                dt.datetime.now(dt.timezone.utc).isoformat(),
                header.message_id if header else "-", str(header.sender) if header else "-",
                header.user_id if header else "-", RESIDENT_INQUIRY,
                row["宛名番号"] if row else number))
        response = etree.Element(_j("ResidentInquiryResponse"), nsmap=NSMAP)
        etree.SubElement(response, _j("Status")).text = "found" if row else "not-found"
        if row is not None:
            row = {**row, "世帯番号": self._household_on(row, as_of)}
            resident_element(row, _j("Resident"), response)
            household_element(self.rows.household(row["世帯番号"]),
                              self._members(row["世帯番号"], as_of), _j("Household"), response)
        return response

    def full_extract(self, header: PlatformHeader | None,
                     request: etree._Element) -> etree._Element:
        if request.tag != _j("ResidentFullExtractRequest"):
            raise ValueError(f"expected juki:ResidentFullExtractRequest, got {request.tag}")
        page = int(_child(request, "Page") or "0")
        page_size = int(_child(request, "PageSize") or "0")
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"Page must be ≥ 1 and PageSize 1..{MAX_PAGE_SIZE}")
        extract_id = _child(request, "ExtractId") or self._first(header, request)
        conn = self.store.conn
        with self.store.lock:
            head = conn.execute('SELECT "件数" FROM "抽出管理" WHERE "抽出ID" = ?',
                                (extract_id,)).fetchone()
            if head is None:
                raise UnknownExtract(f"unknown or expired ExtractId {extract_id!r}")
            start = (page - 1) * page_size
            # a page past the end is answered empty without a query: SQLite binds integers
            # only up to 2^63 - 1, and Page may be any xs:positiveInteger
            rows = [] if start >= head[0] else conn.execute(
                'SELECT "内容" FROM "抽出明細" WHERE "抽出ID" = ? AND "連番" >= ? '
                'AND "連番" < ? ORDER BY "連番"',
                (extract_id, start, start + page_size)).fetchall()
        total = head[0]
        response = etree.Element(_j("ResidentFullExtractResponse"), nsmap=NSMAP)
        for name, value in (("ExtractId", extract_id), ("Page", page),
                            ("TotalPages", -(-total // page_size)), ("TotalCount", total)):
            etree.SubElement(response, _j(name)).text = str(value)
        for (content,) in rows:
            resident_element(json.loads(content), _j("Resident"), response)
        return response

    def _first(self, header: PlatformHeader | None, request: etree._Element) -> str:
        """The snapshot of a first request: the one made for its RequestId (the same requester
        retrying), else a new one."""
        request_id = _child(request, "RequestId")
        requester = str(header.sender) if header is not None else "-"
        if request_id is not None:
            with self.store.lock:
                known = self.store.conn.execute(
                    'SELECT r."抽出ID" FROM "抽出要求" r JOIN "抽出管理" h USING ("抽出ID") '
                    'WHERE r."依頼元" = ? AND r."要求ID" = ?', (requester, request_id)).fetchone()
            if known is not None:
                return known[0]
        extract_id = self._freeze(_as_of(request))
        if request_id is not None:
            with self.store.lock, self.store.conn:
                self.store.conn.execute('INSERT OR REPLACE INTO "抽出要求" VALUES (?, ?, ?)',
                                        (requester, request_id, extract_id))
        return extract_id

    def _freeze(self, as_of: str | None) -> str:
        extract_id = uuid.uuid4().hex
        now = dt.datetime.now(dt.timezone.utc)
        rows = [r for r in self.rows.residents('ORDER BY a."宛名番号"') if _on(r, as_of)]
        conn = self.store.conn
        with self.store.lock, conn:
            stale = (now - EXTRACT_RETENTION).isoformat()
            conn.execute('DELETE FROM "抽出明細" WHERE "抽出ID" IN (SELECT "抽出ID" FROM '
                         '"抽出管理" WHERE "作成日時" < ?)', (stale,))
            conn.execute('DELETE FROM "抽出管理" WHERE "作成日時" < ?', (stale,))
            conn.executemany('INSERT INTO "抽出明細" VALUES (?, ?, ?)',
                             [(extract_id, n, json.dumps(r, ensure_ascii=False))
                              for n, r in enumerate(rows)])
            conn.execute('INSERT INTO "抽出管理" VALUES (?, ?, ?)',
                         (extract_id, now.isoformat(), len(rows)))
        return extract_id


def handlers(store: TaxStore) -> dict[str, Handler]:
    service = RegistryService(store)
    return {RESIDENT_INQUIRY: service.inquiry, RESIDENT_FULL_EXTRACT: service.full_extract}


__all__ = ["RESIDENT_FULL_EXTRACT", "RESIDENT_INQUIRY", "RegistryService", "UnknownExtract",
           "handlers"]
