"""An independent vendor adapter, written from the public documents only — the XSDs, WSDLs and
code lists under schemas/, README's header rules, docs/faults.md — with lxml and the standard
library. It imports nothing of pfbus (no SDK, no bus.core): it is how another vendor would do it,
so the conformance suite can be measured against defects its authors did not write.

It serves, on one URL, either the 住民基本台帳 provider (住民照会 by 宛名番号 or 個人番号 with 基準日,
全件抽出 paged over a snapshot) or a 異動通知 subscriber (receipts, exactly once, in 異動連番 order,
stored in SQLite before the receipt is sent).

``defect`` switches on ONE deliberate defect (variants.py DEFECTS); ``alternative`` a
standard-conformant way of writing the same messages (variants.py ALTERNATIVES).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import math
import re
import sqlite3
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[3]  # the repository: its schemas/ are the standard
SCHEMAS = ROOT / "schemas"
HERE = Path(__file__).resolve().parent

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
PFH = "urn:pfbus:platform:header:v1"
PFF = "urn:pfbus:platform:fault:v1"
PFR = "urn:pfbus:platform:receipt:v1"
CMN = "urn:pfbus:platform:common:v1"
JUKI = "urn:pfbus:unit:juki:v1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
JST = dt.timezone(dt.timedelta(hours=9))

# service ID, its request element and its response element (schemas/catalog.toml)
SERVICES = {
    f"{{{JUKI}}}ResidentInquiryRequest": ("juki.ResidentInquiry", "provider"),
    f"{{{JUKI}}}ResidentFullExtractRequest": ("juki.ResidentFullExtract", "provider"),
    f"{{{JUKI}}}ResidentChangeNotice": ("juki.ResidentChangeNotice", "subscriber"),
}
KNOWN_SERVICE_IDS = {"juki.ResidentInquiry", "juki.ResidentFullExtract",
                     "juki.ResidentChangeNotice", "kojinjuminzei.TaxationStatusInquiry",
                     "kokuho.QualificationInquiry"}
CODELISTS = {"Reason": "change_reason", "Gender": "gender", "Relationship": "relationship",
             "ResidentKind": "resident_kind", "ResidentStatus": "resident_status"}


def _schema() -> etree.XMLSchema:
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(SCHEMAS / f).as_uri()}"/>'
        for ns, f in ((PFH, "platform/header-v1.xsd"), (PFF, "platform/fault-v1.xsd"),
                      (PFR, "platform/receipt-v1.xsd"), (CMN, "platform/common-v1.xsd"),
                      (JUKI, "units/juki/juki-v1.xsd")))
    doc = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(doc))


def _codes() -> dict[str, set[str]]:
    out = {}
    for name in set(CODELISTS.values()):
        with (SCHEMAS / "codelists" / f"{name}.csv").open(encoding="utf-8") as f:
            out[name] = {row["code"] for row in csv.DictReader(f)}
    return out


def m11_ok(number: str) -> bool:
    """宛名番号: modulus 11, weights 2..7 cycling from the right, remainder 0 or 1 → 0."""
    body, check = number[:-1], number[-1]
    s = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    r = s % 11
    return int(check) == (0 if r <= 1 else 11 - r)


def mynumber_ok(number: str) -> bool:
    """個人番号 (番号法施行令 8条): weights n+1 (n ≤ 6) or n−5, from the right; mod 11."""
    s = sum(int(d) * (n + 1 if n <= 6 else n - 5)
            for n, d in enumerate(reversed(number[:11]), start=1))
    r = s % 11
    return int(number[11]) == (0 if r <= 1 else 11 - r)


class Refusal(Exception):
    """A SOAP Fault to answer: code, who is at fault, the findings (rule, message)."""

    def __init__(self, code: str, party: str, reason: str, findings=(), message_id=None):
        super().__init__(reason)
        self.code, self.party, self.reason = code, party, reason
        self.findings, self.message_id = list(findings), message_id


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str


@dataclass
class Adapter:
    role: str  # "provider" | "subscriber"
    local_gov_code: str
    business_unit: str
    system_id: str
    db: Path | None = None
    defect: str | None = None
    alternative: str | None = None
    schema: etree.XMLSchema = field(default_factory=_schema)
    codes: dict = field(default_factory=_codes)
    extracts: dict = field(default_factory=dict)
    extract_requests: dict = field(default_factory=dict)  # (sender, RequestId) → ExtractId
    lock: threading.Lock = field(default_factory=threading.Lock)
    memory_seen: set = field(default_factory=set)
    memory_last: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)
    counter: int = 0
    open_transaction: bool = False
    first_pages: dict = field(default_factory=dict)
    first_requests: dict = field(default_factory=dict)  # ExtractId → its first request's ID
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(JST))

    def __post_init__(self) -> None:
        tree = etree.parse(str(HERE / "residents.xml"))
        self.residents = {el.findtext(f"{{{CMN}}}AddresseeNumber"): el
                          for el in tree.getroot().iter(f"{{{CMN}}}Resident")}
        if self.role == "subscriber":
            if self.defect == "wal-deleted-on-start":  # a start script's "stale journal" cleanup
                for suffix in ("-wal", "-shm"):
                    Path(f"{self.db}{suffix}").unlink(missing_ok=True)
            self.conn = sqlite3.connect(str(self.db), check_same_thread=False,
                                        isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            if self.defect == "synchronous-off":  # faster: the OS decides when to write
                self.conn.execute("PRAGMA synchronous=OFF")
            if self.defect == "db-recreated-on-start":  # a schema "migration" on every boot
                self.conn.executescript("DROP TABLE IF EXISTS seen; DROP TABLE IF EXISTS resident;")
            self.conn.executescript(
                "CREATE TABLE IF NOT EXISTS seen (message_id TEXT PRIMARY KEY);"
                "CREATE TABLE IF NOT EXISTS resident (number TEXT PRIMARY KEY, name TEXT, "
                "last_sequence INTEGER, changes_applied INTEGER);")
            # the suite's own durability mutants (tests/conformance/test_conformance_durability):
            # state in a TEMP table vanishes with the process
            if self.defect == "seen-ids-temp-table":
                self.conn.execute("CREATE TEMP TABLE seen (message_id TEXT PRIMARY KEY)")
            if self.defect == "write-behind":
                self.pending: dict[str, tuple] = {}
                threading.Thread(target=self._flush_forever, daemon=True).start()
            if self.defect == "seen-ids-pruned-on-start":  # housekeeping at start-up
                self.conn.execute("DELETE FROM seen")
            if self.defect == "last-sequence-reset-on-start":  # a re-index at start-up
                self.conn.execute("UPDATE resident SET last_sequence = 0")
            self.conn.executescript(_SIDE_TABLES.get(self.defect, ""))
            if self.defect == "inbox-replayed-on-start":  # "recovery": the last notice, again
                row = self.conn.execute("SELECT numbers FROM inbox ORDER BY rowid DESC "
                                        "LIMIT 1").fetchone()
                for number in (row[0].split(",") if row else []):
                    self.conn.execute("UPDATE resident SET changes_applied = changes_applied + 1"
                                      " WHERE number = ?", (number,))

    # --- HTTP in, HTTP out ----------------------------------------------------------------------

    def handle(self, raw: bytes, content_type: str, soap_action: str | None = None) -> Answer:
        soap = SOAP12 if content_type.lower().startswith("application/soap+xml") else SOAP11
        message_id = None
        try:
            if self.defect == "soap-action-required" and soap == SOAP11 and not soap_action:
                raise Refusal("PF-SOAP-ENVELOPE", "client", "SOAPAction is required",
                              [("http:soapaction", "no SOAPAction header")])
            if self.defect == "utf8-bom-refused" and raw.startswith(b"\xef\xbb\xbf"):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "a byte order mark is not allowed",
                              [("xml:bom", "the request starts with a BOM")])
            if self.defect == "utf16-request-refused" and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise Refusal("PF-SOAP-ENVELOPE", "client", "only UTF-8 is supported",
                              [("xml:encoding", "the request is not UTF-8")])
            if self.defect == "soap12-action-required" and soap == SOAP12 and \
                    "action=" not in content_type.lower():
                raise Refusal("PF-SOAP-ENVELOPE", "client", "the action parameter is required",
                              [("soap:action", "no action in the Content-Type")])
            root, soap = self._parse(raw, content_type, soap)
            if self.defect == "deep-nesting-html-500" and \
                    max(len(list(el.iterancestors())) for el in root.iter()) > 50:
                raise _HtmlError()  # the vendor's recursive 外字 walker gives up
            header, body = self._parts(root, soap)
            message_id = header.findtext(f"{{{PFH}}}MessageId") if header is not None else None
            caching = self.alternative == "cached-resend" and self.role == "provider"
            if caching:  # a resent notice must be receipted "duplicate": providers only
                cached = self.cache.get(raw)
                if cached is not None:
                    return cached
            response, header_out = self._serve(raw, header, body, soap)
            answer = self._envelope(soap, response, header_out, raw)
            if caching:
                self.cache[raw] = answer
            return answer
        except _HtmlError:
            return Answer(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                          "text/html; charset=utf-8")
        except Refusal as r:
            return self._fault(soap, r, r.message_id or message_id)

    def _parse(self, raw: bytes, content_type: str, soap: str):
        if self.defect == "charset-from-http":
            charset = next((p.split("=", 1)[1].strip().strip('"') for p in
                            content_type.split(";")[1:] if p.strip().lower().startswith(
                                "charset=")), "utf-8")
            try:
                text = raw.decode(charset)
            except (UnicodeDecodeError, LookupError):
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "cannot decode") from None
            raw = text.encode("utf-8", "surrogatepass")
        if b"<!DOCTYPE" in raw[:2048] and self.defect not in ("dtd-expanded", "xxe-resolved"):
            raise Refusal("PF-XML-DTD", "client", "a DTD is not allowed in SOAP",
                          [("soap:no-dtd", "the message has a document type declaration")])
        parser = etree.XMLParser(resolve_entities=self.defect in ("dtd-expanded",
                                                                  "xxe-resolved"),
                                 load_dtd=self.defect == "xxe-resolved", no_network=True,
                                 huge_tree=False)
        try:
            root = etree.fromstring(raw, parser)
        except etree.XMLSyntaxError as exc:
            if self.defect == "malformed-html":
                raise _HtmlError() from None
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not well-formed XML",
                          [("xml:well-formed", str(exc))]) from None
        if root.tag not in (f"{{{SOAP11}}}Envelope", f"{{{SOAP12}}}Envelope"):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "not a SOAP envelope",
                          [("soap:envelope", f"the root is {root.tag}")])
        return root, root.tag[1:].split("}")[0]

    def _parts(self, root, soap):
        body_el = root.find(f"{{{soap}}}Body")
        children = [c for c in (body_el if body_el is not None else []) if isinstance(c.tag, str)]
        if len(children) != 1:
            raise Refusal("PF-SOAP-ENVELOPE", "client", "soap:Body must hold one element",
                          [("soap:body", f"{len(children)} elements")])
        headers = root.findall(f"{{{soap}}}Header/{{{PFH}}}PlatformHeader")
        if self.defect == "header-prefix-assumed":  # the header found by its usual prefix
            headers = [h for h in headers if h.prefix == "pfh"]
        return (headers[0] if len(headers) == 1 else None), children[0]

    # --- the platform's checks, then the business ------------------------------------------------

    def _serve(self, raw, header, body, soap):
        service = SERVICES.get(body.tag)
        mid = header.findtext(f"{{{PFH}}}MessageId") if header is not None else None
        if service is None or service[1] != self.role:
            raise Refusal("PF-SCHEMA-INVALID", "client", "no service here has this element",
                          [("service:element", f"unknown request element {body.tag}")], mid)
        service_id = service[0]
        if header is None:
            raise Refusal("PF-HEADER-MISSING", "client", "no pfh:PlatformHeader",
                          [("header:required", "soap:Header has no pfh:PlatformHeader")])
        if not self.schema.validate(header):
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("xsd:header", str(self.schema.error_log.last_error))], mid)
        named = header.findtext(f"{{{PFH}}}Service/{{{PFH}}}ServiceId")
        if named != service_id:
            code = "PF-SERVICE-UNKNOWN" if named not in KNOWN_SERVICE_IDS else "PF-HEADER-INVALID"
            raise Refusal(code, "client", "the header names another service",
                          [("service:endpoint", f"header {named}, body {service_id}")], mid)
        receiver = [header.findtext(f"{{{PFH}}}Receiver/{{{PFH}}}{n}")
                    for n in ("LocalGovCode", "BusinessUnit", "SystemId")]
        if self.role == "subscriber":
            mine = receiver[0] == self.local_gov_code or self.defect == "notice-receiver-unchecked"
        else:
            mine = receiver == [self.local_gov_code, self.business_unit, self.system_id] \
                or self.defect == "receiver-unchecked" \
                or (self.defect == "receiver-system-id-only" and receiver[2] == self.system_id) \
                or (self.defect == "receiver-local-gov-unchecked"
                    and receiver[1:] == [self.business_unit, self.system_id])
        if self.defect == "notice-receiver-system-id-checked" and receiver[2] != self.system_id:
            mine = False  # the hub's address taken for a misrouted notice
        if not mine:
            raise Refusal("PF-PROVIDER-MISROUTED", "client", "not for this system",
                          [("header:receiver", f"addressed to {'/'.join(receiver)}")], mid)
        if not self.schema.validate(body):
            err = self.schema.error_log.last_error
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [(f"xsd:{err.type_name.lower()}", err.message)], mid)
        if self.defect == "notice-max-age-applied" and dt.datetime.now(JST) - \
                dt.datetime.fromisoformat(header.findtext(f"{{{PFH}}}SentAt")) > \
                dt.timedelta(hours=1):  # the hub's request rule, applied to notices
            raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is too old",
                          [("freshness:max_age", "older than 3600 s")], mid)
        problems = self._rules(body)
        if problems:
            raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                          problems, mid)
        handler = {"juki.ResidentInquiry": self._inquiry,
                   "juki.ResidentFullExtract": self._extract,
                   "juki.ResidentChangeNotice": self._notice}[service_id]
        return handler(header, body, soap), header

    def _rules(self, body) -> list[tuple[str, str]]:
        problems = []
        for el in body.iter(f"{{{CMN}}}AddresseeNumber", f"{{{JUKI}}}AddresseeNumber"):
            if not (_m11_mod10 if self.defect == "addressee-check-digit-mod10" else m11_ok)(
                    el.text or "0"):
                problems.append(("addressee_number", f"{el.text}: check digit"))
        for el in body.iter(f"{{{CMN}}}IndividualNumber", f"{{{JUKI}}}IndividualNumber"):
            ok = _mynumber_mod10(el.text or "0" * 12) if \
                self.defect == "mynumber-check-digit-mod10" else mynumber_ok(el.text or "0" * 12)
            if not ok:
                problems.append(("individual_number", f"{el.text}: check digit"))
        for local, listname in CODELISTS.items():
            if self.defect == "change-reason-unchecked" and listname == "change_reason":
                continue
            for el in body.iter(f"{{{CMN}}}{local}"):
                if el.text not in self.codes[listname]:
                    problems.append((f"codelist:{listname}", f"{el.text} is not a code"))
        if self.defect == "notice-original-name-refused" and \
                next(body.iter(f"{{{CMN}}}Original"), None) is not None:
            problems.append(("vendor:schema", "cmn:Original is not supported"))
        if self.defect == "notice-kana-given-required":  # the vendor's table: NOT NULL columns
            for name in body.iter(f"{{{CMN}}}Name"):
                if name.find(f"{{{CMN}}}Kana/{{{CMN}}}Given") is None:
                    problems.append(("vendor:kana", "a reading (Given) is required"))
        return problems

    # --- 住民照会 -----------------------------------------------------------------------------------

    def _find(self, body):
        number = body.findtext(f"{{{JUKI}}}AddresseeNumber")
        by_individual_number = number is None
        if number is None:
            mynumber = body.findtext(f"{{{JUKI}}}IndividualNumber")
            if self.defect == "individual-number-leading-zero":  # kept as a number
                mynumber = str(int(mynumber))
            if self.defect == "individual-number-unsupported":
                raise Refusal("VENDOR-UNSUPPORTED", "provider", "個人番号 not supported")
            number = next((n for n, r in self.residents.items()
                           if r.findtext(f"{{{CMN}}}IndividualNumber") == mynumber), None)
            if number is None and self.defect == "unknown-individual-number-fault":
                raise Refusal("VENDOR-NOT-FOUND", "provider", "no such 個人番号")
        resident = self.residents.get(number or "")
        as_of = body.findtext(f"{{{JUKI}}}AsOf")
        if self.defect == "as-of-ignored-by-individual-number" and by_individual_number:
            as_of = None  # the 個人番号 lookup path forgot the 基準日
        self._check_as_of(as_of)
        if as_of and self.defect == "as-of-future-refused" and \
                as_of[:10] > dt.date.today().isoformat():
            raise Refusal("VENDOR-AS-OF", "client", "基準日 in the future")
        if resident is not None and as_of and not self._lived_here(resident, as_of):
            resident = None
        return resident

    def _check_as_of(self, as_of: str | None) -> None:
        if as_of and self.defect == "as-of-with-timezone-refused" and len(as_of.strip()) != 10:
            raise Refusal("VENDOR-DATE", "client", "基準日 must be yyyy-mm-dd")

    def _lived_here(self, resident, as_of: str) -> bool:
        since = resident.findtext(f"{{{CMN}}}BecameResidentOn")
        if self.defect == "as-of-exclusive":  # only residents who came after the 基準日
            return since is not None and since > as_of[:10]
        day = as_of[:10]
        if self.defect == "as-of-via-utc-day-early":  # JST midnight stored as a UTC date
            day = (dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), JST)
                   .astimezone(dt.timezone.utc).date().isoformat())
        return since is None or since <= day

    def _inquiry(self, header, body, soap):
        resident = self._find(body)
        out = etree.Element(f"{{{JUKI}}}ResidentInquiryResponse", nsmap=self._nsmap())
        status = etree.SubElement(out, f"{{{JUKI}}}Status")
        if resident is None:
            status.text = "not-found"
            if self.defect == "not-found-extra-element":
                etree.SubElement(out, f"{{{JUKI}}}Reason").text = "no such resident"
            return out
        status.text = "found"
        out.append(self._copy(resident, f"{{{JUKI}}}Resident"))
        household = etree.SubElement(out, f"{{{JUKI}}}Household")
        number = resident.findtext(f"{{{CMN}}}HouseholdNumber")
        members = sorted((r for r in self.residents.values()
                          if r.findtext(f"{{{CMN}}}HouseholdNumber") == number),
                         key=lambda r: (r.findtext(f"{{{CMN}}}Relationship") != "01",
                                        r.findtext(f"{{{CMN}}}AddresseeNumber")))
        etree.SubElement(household, f"{{{CMN}}}HouseholdNumber").text = \
            str(int(number)) if self.defect == "household-number-as-integer" else number
        head = resident if self.defect == "head-name-of-requested" else members[0]
        head_name = self._copy(head.find(f"{{{CMN}}}Name"), f"{{{CMN}}}HeadName")
        if self.defect == "head-name-nonbmp-degraded":
            for t in head_name.iter(f"{{{CMN}}}Text"):
                t.text = t.text.replace("\U00020BB7", "吉")
        household.append(head_name)
        if not (self.defect == "single-household-no-member" and len(members) == 1):
            for m in members:
                if self.defect == "members-exclude-requested" and m is resident:
                    continue  # "the others in the household"
                member = self._copy(m, f"{{{CMN}}}Member")
                if self.defect == "member-kana-dropped":  # members read from a table without
                    for kana in list(member.iter(f"{{{CMN}}}Kana")):  # readings
                        kana.getparent().remove(kana)
                if self.defect == "member-ivs-stripped":
                    for t in member.iter(f"{{{CMN}}}Text"):
                        t.text = "".join(c for c in t.text if not 0xE0100 <= ord(c) <= 0xE01EF)
                household.append(member)
        return out

    # --- 全件抽出 -----------------------------------------------------------------------------------

    def _extract(self, header, body, soap):
        size = int(body.findtext(f"{{{JUKI}}}PageSize"))
        page = int(body.findtext(f"{{{JUKI}}}Page"))
        extract_id = body.findtext(f"{{{JUKI}}}ExtractId")
        with self.lock:
            request_id = body.findtext(f"{{{JUKI}}}RequestId")
            key = (tuple(header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}{n}")
                         for n in ("LocalGovCode", "BusinessUnit", "SystemId")), request_id)
            if self.defect == "extract-request-id-ignored":
                request_id = None
            if extract_id is None and request_id is not None:
                extract_id = self.extract_requests.get(key)  # the same extract, made once
            if extract_id is None:
                as_of = body.findtext(f"{{{JUKI}}}AsOf")
                if self.defect == "extract-as-of-ignored":
                    as_of = None
                self._check_as_of(as_of)
                numbers = sorted(n for n, r in self.residents.items()
                                 if not as_of or self._lived_here(r, as_of))
                extract_id = uuid.uuid4().hex
                self.extracts[extract_id] = numbers
                if request_id is not None:
                    self.extract_requests[key] = extract_id
            numbers = self.extracts.get(extract_id)
        if numbers is None and self.defect == "extract-unknown-id-empty-page":
            numbers = []
        if numbers is None:
            raise Refusal("PF-EXTRACT-UNKNOWN", "client", "no such extract",
                          [("extract:unknown", extract_id)],
                          header.findtext(f"{{{PFH}}}MessageId"))
        out = etree.Element(f"{{{JUKI}}}ResidentFullExtractResponse", nsmap=self._nsmap())
        if self.defect == "extract-id-per-page":
            extract_id = uuid.uuid4().hex
            self.extracts[extract_id] = numbers
        pages = len(numbers) // size if self.defect == "total-pages-floor" \
            else len(numbers) // size + 1 if self.defect == "total-pages-plus-one-when-exact" \
            else math.ceil(len(numbers) / size)
        if self.defect == "page-past-end-fault" and page > max(pages, 1):
            raise Refusal("VENDOR-PAGE", "client", "no such page",
                          [("extract:page", f"page {page} of {pages}")],
                          header.findtext(f"{{{PFH}}}MessageId"))
        count = len(numbers)
        if self.defect == "later-pages-total-count-of-page" and page > 1:
            count = len(numbers[(page - 1) * size:page * size])  # counted on this page
        for name, value in (("ExtractId", extract_id), ("Page", page),
                            ("TotalPages", pages),
                            ("TotalCount", count)):
            etree.SubElement(out, f"{{{JUKI}}}{name}").text = str(value)
        end = page * size + (self.defect == "page-slice-inclusive-end")  # end index inclusive
        for number in numbers[(page - 1) * size:end]:
            resident = self._copy(self.residents[number], f"{{{JUKI}}}Resident")
            if self.defect == "extract-former-surname-dropped":  # the export's column list
                for former in resident.findall(f"{{{CMN}}}FormerSurname"):
                    resident.remove(former)
            if self.defect == "extract-addressee-number-unpadded":  # a numeric CSV column
                el = resident.find(f"{{{CMN}}}AddresseeNumber")
                el.text = str(int(el.text))
            if page > 1 and self.defect == "later-pages-gender-code-9":
                resident.find(f"{{{CMN}}}Gender").text = "9"
            out.append(resident)
        return out

    # --- 異動通知 -----------------------------------------------------------------------------------

    def _notice(self, header, body, soap):
        mid = header.findtext(f"{{{PFH}}}MessageId")
        changes = body.findall(f"{{{JUKI}}}Change")
        if self.defect == "only-last-change":
            changes = changes[-1:]
        if self.defect == "multi-resident-notice-first-only" and changes:
            first = changes[0].findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
            changes = [c for c in changes
                       if c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") == first]
        with self.lock:
            if self.open_transaction:  # the previous notice's transaction, committed now
                self.conn.execute("COMMIT")
                self.open_transaction = False
            duplicate = self._seen(mid)
            if self.defect == "soap12-notice-not-deduplicated" and soap == SOAP12:
                duplicate = False  # the SOAP 1.2 endpoint's own handler
            if self.defect == "sequence-gap-refused" and not duplicate:
                self._refuse_gaps(changes, mid)
            if self.defect == "inbox-replayed-on-start" and not duplicate:
                self.conn.execute("INSERT INTO inbox (numbers) VALUES (?)", (",".join(
                    c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                    for c in changes),))
            if not duplicate:
                if self.defect in ("ack-before-commit", "apply-in-background"):
                    threading.Thread(target=self._apply_later, args=(mid, changes),
                                     daemon=True).start()
                elif self.defect == "seen-before-apply":  # the ID first, the changes after
                    self._mark_seen(mid)
                    threading.Thread(target=self._apply_later, args=(None, changes),
                                     daemon=True).start()
                elif self.defect == "seen-after-receipt":  # changes first, the ID after
                    self.conn.execute("BEGIN IMMEDIATE")
                    for change in changes:
                        self._apply(change)
                    self.conn.execute("COMMIT")
                    threading.Thread(target=self._mark_seen_later, args=(mid,),
                                     daemon=True).start()
                elif self.defect == "seen-insert-uncommitted":  # the ID's insert left open
                    self.conn.execute("BEGIN IMMEDIATE")
                    for change in changes:
                        self._apply(change)
                    self.conn.execute("COMMIT")
                    self.conn.execute("BEGIN IMMEDIATE")
                    self._mark_seen(mid)
                    self.open_transaction = True
                else:
                    self.conn.execute("BEGIN IMMEDIATE")
                    for change in changes:
                        self._apply(change)
                    self._mark_seen(mid)
                    if self.defect == "apply-uncommitted-until-next":  # commit() forgotten
                        self.open_transaction = True
                    else:
                        self.conn.execute("COMMIT")
        receipt = etree.Element(f"{{{PFR}}}NoticeReceipt", nsmap={"pfr": PFR})
        etree.SubElement(receipt, f"{{{PFR}}}MessageId").text = mid
        etree.SubElement(receipt, f"{{{PFR}}}Status").text = \
            "duplicate" if duplicate and self.defect != "duplicate-answered-applied" \
            else "applied"
        return receipt

    def _apply_later(self, mid, changes) -> None:
        # the receipt leaves first; the change is stored a moment later
        time.sleep(0.5 if self.defect == "apply-in-background" else 0.05)
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            for change in changes:
                self._apply(change)
            if mid is not None:
                self._mark_seen(mid)
            self.conn.execute("COMMIT")

    def _mark_seen_later(self, mid) -> None:
        time.sleep(0.05)
        with self.lock:
            self._mark_seen(mid)

    def _refuse_gaps(self, changes, mid) -> None:
        """sequence-gap-refused: 異動連番 must be the last one + 1 (the vendor waits for a gap)."""
        last: dict[str, int] = {}
        for change in changes:
            number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
            if number not in last:
                row = self._row(number)
                last[number] = row[2] if row else 0
            sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
            if sequence > last[number] + 1:
                raise Refusal("VENDOR-SEQUENCE-GAP", "client", "a 異動 is missing",
                              [("vendor:sequence", f"{sequence} after {last[number]}")], mid)
            last[number] = max(last[number], sequence)

    def _seen(self, mid: str) -> bool:
        if self.defect == "seen-ids-ttl-1s":  # a TTL of 1000 meant in s, read as ms
            row = self.conn.execute("SELECT at FROM seen_at WHERE message_id = ?",
                                    (mid,)).fetchone()
            return row is not None and time.time() - row[0] < 1.0
        if self.defect == "seen-ids-window-2":  # a de-duplication window of 2 messages
            recent = self.conn.execute("SELECT message_id FROM seen ORDER BY rowid DESC "
                                       "LIMIT 2").fetchall()
            return (mid,) in recent
        if self.defect == "seen-ids-in-memory":
            return mid in self.memory_seen
        return self.conn.execute("SELECT 1 FROM seen WHERE message_id = ?",
                                 (mid,)).fetchone() is not None

    def _mark_seen(self, mid: str) -> None:
        if self.defect == "seen-ids-in-memory":
            self.memory_seen.add(mid)
        else:
            self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?)", (mid,))
        if self.defect == "seen-ids-ttl-1s":
            self.conn.execute("INSERT OR REPLACE INTO seen_at VALUES (?, ?)", (mid, time.time()))

    def _flush_forever(self) -> None:
        """write-behind: applied changes are kept in memory and written once a minute. (It was
        every 2 s: on a loaded machine the kill after the receipt could come after the flush,
        and the mutant passed S-DUR-01 by luck.)"""
        while True:
            time.sleep(60.0)
            with self.lock:
                rows, self.pending = list(self.pending.values()), {}
                for row in rows:
                    self.conn.execute("INSERT OR REPLACE INTO resident VALUES (?, ?, ?, ?)", row)

    def _apply(self, change) -> None:
        sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
        resident = change.find(f"{{{JUKI}}}Resident")
        number = resident.findtext(f"{{{CMN}}}AddresseeNumber")
        name = resident.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text")
        if self.defect == "stores-nfc":
            name = unicodedata.normalize("NFC", name)
        elif self.defect == "subscriber-name-truncated-8":  # the name column is 8 wide
            name = name[:8]
        elif self.defect == "stores-ivs-stripped":
            name = "".join(c for c in name if not (0xE0100 <= ord(c) <= 0xE01EF
                                                   or 0xFE00 <= ord(c) <= 0xFE0F))
        elif self.defect == "stores-cp932-replace":  # a Shift_JIS column: 外字 become ?
            name = name.encode("cp932", "replace").decode("cp932")
        elif self.defect == "stores-jis0208-fallback":  # 髙 → 高, 﨑 → 崎 in the name column
            name = name.translate(_JIS0208_FOLD)
        elif self.defect == "stores-half-width-to-full-width":
            name = re.sub("[\uff61-\uff9f]+", lambda m: unicodedata.normalize("NFKC", m[0]),
                          name)
        row = self._row(number)
        last = row[2] if row else 0
        if self.defect == "last-sequence-in-memory":
            last = self.memory_last.get(number, 0)
        if self.defect == "sequence-compared-as-text" and str(sequence) <= str(last):
            return  # a TEXT column: "10" < "9"
        if self.defect == "stale-check-strict-less" and sequence < last:
            return
        if self.defect == "order-by-occurred-on":  # 異動年月日 taken for the order
            if self._stale_by(number, change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"),
                              "occurred"):
                return
        elif self.defect == "sequence-tracked-per-household":  # one 連番 per 世帯
            if self._stale_by(resident.findtext(f"{{{CMN}}}HouseholdNumber"), sequence,
                              "household_sequence"):
                return
        elif sequence <= last and self.defect not in (
                "stale-change-applied", "sequence-compared-as-text", "stale-check-strict-less"):
            return  # stale: a later change is already applied
        self.memory_last[number] = sequence
        if self.defect == "write-behind":
            self.pending[number] = (number, name, sequence, (row[3] if row else 0) + 1)
            return
        self.conn.execute(
            "INSERT INTO resident VALUES (?, ?, ?, 1) ON CONFLICT(number) DO UPDATE SET "
            "name = excluded.name, last_sequence = excluded.last_sequence, "
            "changes_applied = changes_applied + 1", (number, name, sequence))

    def _stale_by(self, key: str, value, table: str) -> bool:
        """The fifth batch's ordering variants: the last value per key in a side table."""
        row = self.conn.execute(f"SELECT last FROM {table} WHERE key = ?", (key,)).fetchone()
        if row is not None and (value < row[0] if table == "occurred" else value <= row[0]):
            return True
        self.conn.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (key, value))
        return False

    def _row(self, number: str):
        if self.defect == "write-behind" and number in self.pending:
            return self.pending[number]
        return self.conn.execute("SELECT * FROM resident WHERE number = ?",
                                 (number,)).fetchone()

    def observe(self, number: str) -> dict | None:
        """The resident as this product holds it (what its own screens would show)."""
        with self.lock:
            row = self._row(number)
        return None if row is None else {"name": row[1], "changes_applied": row[3]}

    # --- writing answers ----------------------------------------------------------------------------

    def _nsmap(self) -> dict:
        if self.alternative == "other-prefixes":
            return {"r": JUKI, "c": CMN}
        if self.alternative == "default-namespace":
            return {None: JUKI, "c": CMN}
        return {"juki": JUKI, "cmn": CMN}

    @staticmethod
    def _copy(el, tag):
        out = etree.Element(tag)
        out.text = el.text
        for child in el:
            out.append(etree.fromstring(etree.tostring(child)))
        return out

    def _now(self) -> str:
        now = dt.datetime.now(JST)
        if self.defect == "sent-at-utc-with-jst-suffix":
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=JST)
        elif self.defect == "sent-at-double-offset":
            now = now + dt.timedelta(hours=9)  # a JST clock converted to JST once more
        elif self.defect == "sent-at-one-hour-ahead":
            now = now + dt.timedelta(hours=1)
        elif self.defect == "sent-at-start-time":  # computed once, when the process started
            now = self.started
        elif self.defect == "sent-at-six-minutes-ahead":
            now = now + dt.timedelta(minutes=6)
        elif self.defect == "sent-at-host-timezone":  # the container's clock, its own offset
            return dt.datetime.now().astimezone().isoformat(timespec="seconds")
        elif self.defect == "sent-at-ten-minutes-behind":
            now = now - dt.timedelta(minutes=10)
        elif self.defect == "sent-at-no-seconds":
            return now.isoformat(timespec="minutes")
        elif self.defect == "receipt-sent-at-decimal-comma":  # a European locale's format
            return now.isoformat(timespec="milliseconds").replace(".", ",")
        elif self.defect == "sent-at-naive-local":
            return now.replace(tzinfo=None).isoformat(timespec="seconds")
        return now.isoformat(timespec="seconds")

    def _message_id(self, body_el) -> str:
        if self.defect == "reply-id-per-page":
            page = body_el.findtext(f"{{{JUKI}}}Page") if body_el is not None else None
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"page-{page}"))
        return str(uuid.uuid4())

    def _reply_header(self, soap, request_header, raw, response) -> etree._Element:
        def q(n):
            return f"{{{PFH}}}{n}"
        sender = [request_header.findtext(f"{q('Sender')}/{q(n)}")
                  for n in ("LocalGovCode", "BusinessUnit", "SystemId")]
        is_not_found = response.findtext(f"{{{JUKI}}}Status") == "not-found"
        later_page = (response.findtext(f"{{{JUKI}}}Page") or "1") != "1"
        h = etree.Element(q("PlatformHeader"), nsmap={"pfh": PFH})
        mid, sent_at = self._message_id(response), self._now()
        if self.defect == "later-pages-reuse-header" and response.find(
                f"{{{JUKI}}}ExtractId") is not None:  # the first page's header, kept
            mid, sent_at = self.first_pages.setdefault(
                response.findtext(f"{{{JUKI}}}ExtractId"), (mid, sent_at))
        extract_id = response.findtext(f"{{{JUKI}}}ExtractId")
        if self.defect == "extract-sent-at-snapshot-date" and extract_id is not None:
            sent_at = dt.datetime.now(JST).replace(hour=0, minute=0, second=0,
                                                   microsecond=0).isoformat()
        etree.SubElement(h, q("MessageId")).text = mid
        relates = request_header.findtext(q("MessageId"))
        if self.defect == "later-pages-relates-to-first-request" and extract_id is not None:
            relates = self.first_requests.setdefault(extract_id, relates)  # the transfer's
        if self.defect == "soap12-relates-to-self" and soap == SOAP12:
            relates = mid
        duplicate = response.findtext(f"{{{PFR}}}Status") == "duplicate"
        if not ((self.defect == "not-found-relates-to-missing" and is_not_found)
                or (self.defect == "duplicate-receipt-relates-to-missing" and duplicate)):
            etree.SubElement(h, q("RelatesTo")).text = relates
        mine = [self.local_gov_code, self.business_unit, self.system_id]
        first, second = ("Sender", "Receiver")
        if self.defect == "later-pages-parties-echoed" and later_page:
            first, second = ("Receiver", "Sender")
        for name, party in ((first, mine), (second, sender)):
            p = etree.SubElement(h, q(name))
            for n, v in zip(("LocalGovCode", "BusinessUnit", "SystemId"), party, strict=True):
                etree.SubElement(p, q(n)).text = v
        if first == "Receiver":  # keep the XSD's order: Sender before Receiver
            h.insert(2, h[3])
        svc = etree.SubElement(h, q("Service"))
        etree.SubElement(svc, q("ServiceId")).text = request_header.findtext(
            f"{q('Service')}/{q('ServiceId')}")
        etree.SubElement(svc, q("Version")).text = request_header.findtext(
            f"{q('Service')}/{q('Version')}")
        if self.defect == "sent-at-echoes-request":  # the request's header copied over
            sent_at = request_header.findtext(q("SentAt"))
        etree.SubElement(h, q("SentAt")).text = sent_at
        if not (self.defect == "as-of-answers-no-user-id" and b"AsOf>" in raw):
            etree.SubElement(h, q("UserId")).text = \
                "山田太郎" if self.defect == "user-id-person-name" else "indie-batch"
        etree.SubElement(h, q("LinkageKind")).text = request_header.findtext(q("LinkageKind"))
        etree.SubElement(h, q("StandardVersion")).text = request_header.findtext(
            q("StandardVersion"))
        if not (self.defect == "not-found-no-request-hash" and is_not_found) and \
                not (self.defect == "duplicate-receipt-no-request-hash" and duplicate):
            hashed = raw
            if self.defect == "request-hash-utf16-reencoded" and raw[:2] in (b"\xff\xfe",
                                                                            b"\xfe\xff"):
                hashed = raw.decode("utf-16").encode("utf-8")  # hashed after decoding
            if self.defect == "request-hash-stripped":  # the framework strips the body
                hashed = raw.strip()
            if self.defect == "soap12-hash-of-body" and soap == SOAP12:
                hashed = etree.tostring(etree.fromstring(raw).find(f"{{{SOAP12}}}Body"))
            if self.defect == "by-individual-number-hash-without-declaration" and \
                    b"IndividualNumber>" in raw and raw.startswith(b"<?xml"):
                hashed = raw.split(b"?>", 1)[1].lstrip()
            digest = base64.b64encode(hashlib.sha256(hashed).digest()).decode()
            etree.SubElement(h, q("RequestHash"), algorithm=SHA256).text = digest
        return h

    def _envelope(self, soap, response, request_header, raw) -> Answer:
        prefix = "S" if self.alternative == "other-prefixes" else "soap"
        env = etree.Element(f"{{{soap}}}Envelope", nsmap={prefix: soap})
        head = etree.SubElement(env, f"{{{soap}}}Header")
        if self.alternative == "extra-header-block":
            extra = etree.SubElement(head, "{urn:example:vendor:trace}Trace",
                                     nsmap={"t": "urn:example:vendor:trace"})
            extra.text = "indie-1"
        head.append(self._reply_header(soap, request_header, raw, response))
        etree.SubElement(env, f"{{{soap}}}Body").append(response)
        self._degrade_text(response)
        if self.defect == "not-found-charset-latin1" and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            return self._bytes(env, soap, 200, charset="iso-8859-1")
        if self.defect == "not-found-http-404" and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            return self._bytes(env, soap, 404)
        return self._bytes(env, soap, 200)

    def _degrade_text(self, response) -> None:
        """The character defects: a text layer that normalises on the way out."""
        change, scope = {
            "nfc-everywhere": (lambda t: unicodedata.normalize("NFC", t), response),
            "nfkc-address": (lambda t: unicodedata.normalize("NFKC", t), f"{{{CMN}}}Address"),
            "nfkc-name-text": (lambda t: unicodedata.normalize("NFKC", t), f"{{{CMN}}}Name"),
            "cp932-storage": (lambda t: t.replace("\u2212", "\uff0d"), response),
            "extract-nfkc": (lambda t: unicodedata.normalize("NFKC", t),
                             response if "FullExtract" in response.tag else None),
            # the reading written the way the vendor's own screens keep it: half-width
            "kana-half-width": (_half_width_kana, f"{{{CMN}}}Kana"),
            "katagaki-nfkd": (lambda t: unicodedata.normalize("NFKD", t), f"{{{CMN}}}Katagaki"),
            "wave-dash-cp932": (lambda t: t.replace("\u301c", "\uff5e"), response),
            "banchi-minus-to-hyphen": (lambda t: t.replace("\u2212", "-"), f"{{{CMN}}}Banchi"),
            "former-surname-nfc": (lambda t: unicodedata.normalize("NFC", t),
                                   f"{{{CMN}}}FormerSurname"),
            # utf8mb3 storage: characters beyond the BMP (𠮷, IVS selectors) become 〓
            "nonbmp-geta-everywhere": (lambda t: re.sub("[\U00010000-\U0010FFFF]", "〓", t),
                                       response),
            "name-spaces-removed": (lambda t: re.sub("[ \u3000]", "", t), f"{{{CMN}}}Name"),
            "hashigo-taka-folded": (lambda t: t.translate(_JIS0208_FOLD), response),
            "address-digits-narrowed": (lambda t: t.translate(_NARROW_DIGITS),
                                        f"{{{CMN}}}Address"),
            "katagaki-sjis-14-bytes": (lambda t: _truncate_bytes(t, 14, "cp932"),
                                       f"{{{CMN}}}Katagaki"),
            "name-half-width-widened": (
                lambda t: re.sub("[\uff61-\uff9f]+",
                                 lambda m: unicodedata.normalize("NFKC", m[0]), t),
                f"{{{CMN}}}Name"),
            "kana-nfd": (lambda t: unicodedata.normalize("NFD", t), f"{{{CMN}}}Kana"),
            "former-surname-ivs-stripped": (
                lambda t: "".join(c for c in t if not 0xE0100 <= ord(c) <= 0xE01EF),
                f"{{{CMN}}}FormerSurname"),
            "katagaki-half-width-widened": (
                lambda t: re.sub("[\uff61-\uff9f]+",
                                 lambda m: unicodedata.normalize("NFKC", m[0]), t),
                f"{{{CMN}}}Katagaki"),
        }.get(self.defect, (None, None))
        if self.defect == "resident-kind-foreigner-3":  # the vendor's legacy code: 3 外国人
            for el in response.iter(f"{{{CMN}}}ResidentKind"):
                el.text = "3" if el.text == "2" else el.text
        if self.defect == "dates-shifted-via-utc":  # midnight JST formatted as a UTC date
            for el in response.iter(f"{{{CMN}}}DateOfBirth", f"{{{CMN}}}BecameResidentOn",
                                    f"{{{CMN}}}AddressFixedOn"):
                el.text = (dt.date.fromisoformat(el.text) - dt.timedelta(days=1)).isoformat()
        if change is None or scope is None:
            return
        roots = [scope] if not isinstance(scope, str) else list(response.iter(scope))
        for root in roots:
            for el in root.iter():
                if el.text:
                    el.text = change(el.text)

    def _bytes(self, env, soap, status, charset=None) -> Answer:
        media = "text/xml" if soap == SOAP11 or self.defect == "soap12-as-text-xml" \
            else "application/soap+xml"
        alt = self.alternative
        if alt == "utf-16":
            body = etree.tostring(env, encoding="UTF-16", xml_declaration=True)
            return Answer(status, body, f"{media}; charset=utf-16")
        if alt == "character-references":
            body = etree.tostring(env, encoding="US-ASCII", xml_declaration=True)
            return Answer(status, body, f"{media}; charset=us-ascii")
        if alt == "cdata":
            for el in env.iter():
                if isinstance(el.tag, str) and len(el) == 0 and el.text and \
                        not el.text.isascii():
                    el.text = etree.CDATA(el.text)
        body = etree.tostring(env, encoding="UTF-8", xml_declaration=alt != "no-declaration",
                              pretty_print=alt == "pretty-print")
        if self.defect == "nonbmp-cesu8":  # Oracle's "UTF8": each surrogate in 3 bytes
            body = re.sub(rb"[\xf0-\xf4][\x80-\xbf]{3}", lambda m: _cesu8(m[0].decode()), body)
        ctype = media if alt == "no-charset" else f"{media}; charset={charset or 'utf-8'}"
        return Answer(status, body, ctype)

    def _fault(self, soap, refusal: Refusal, message_id) -> Answer:
        client = refusal.party == "client"
        if self.defect == "soap12-fault-in-soap11-envelope":  # one fault writer, SOAP 1.1
            soap = SOAP11
        prefix = "S" if self.alternative == "other-prefixes" else "soap"
        env = etree.Element(f"{{{soap}}}Envelope", nsmap={prefix: soap})
        body = etree.SubElement(env, f"{{{soap}}}Body")
        fault = etree.SubElement(body, f"{{{soap}}}Fault")
        reason = refusal.reason
        if self.alternative == "japanese-fault-text":
            reason = {"client": "要求に誤りがあります", "provider": "処理できませんでした"}.get(
                refusal.party, "エラー") + f"（{refusal.code}）"
        if soap == SOAP11:
            etree.SubElement(fault, "faultcode").text = f"{prefix}:{'Client' if client else 'Server'}"
            if self.defect == "soap11-faultcode-unqualified":
                fault[0].text = "Client" if client else "Server"
            etree.SubElement(fault, "faultstring").text = reason
            holder = etree.SubElement(fault, "detail")
            status = 500
        else:
            code = etree.SubElement(fault, f"{{{soap}}}Code")
            etree.SubElement(code, f"{{{soap}}}Value").text = \
                f"{prefix}:{'Sender' if client else 'Receiver'}"
            if self.defect == "soap12-fault-code-client":  # SOAP 1.1's names in 1.2
                code[0].text = f"{prefix}:{'Client' if client else 'Server'}"
            text = etree.SubElement(etree.SubElement(fault, f"{{{soap}}}Reason"),
                                    f"{{{soap}}}Text")
            text.set("{http://www.w3.org/XML/1998/namespace}lang",
                     "ja" if self.alternative == "japanese-fault-text" else "en")
            text.text = reason
            holder = etree.SubElement(fault, f"{{{soap}}}Detail")
            status = 400 if client else 500
            if self.defect == "soap12-rule-fault-500" and refusal.code == "PF-RULE-VIOLATION":
                status = 500
        detail = etree.SubElement(holder, f"{{{PFF}}}FaultDetail", nsmap={"pff": PFF})
        etree.SubElement(detail, f"{{{PFF}}}Code").text = refusal.code
        etree.SubElement(detail, f"{{{PFF}}}Party").text = refusal.party
        if self.defect == "rule-fault-without-message-id" and refusal.code == "PF-RULE-VIOLATION":
            message_id = None
        if self.defect == "fault-message-id-fresh" and message_id:  # the fault's own ID
            message_id = str(uuid.uuid4())
        if message_id and message_id.strip():
            etree.SubElement(detail, f"{{{PFF}}}MessageId").text = message_id.strip()
        for rule, text in refusal.findings:
            finding = etree.SubElement(detail, f"{{{PFF}}}Finding")
            etree.SubElement(finding, f"{{{PFF}}}Rule").text = rule
            etree.SubElement(finding, f"{{{PFF}}}Message").text = str(text)
        if self.defect == "soap12-fault-no-detail" and soap == SOAP12:
            fault.remove(holder)  # the 1.2 writer never learnt the platform's detail
        return self._bytes(env, soap, status)


def _mynumber_mod10(number: str) -> bool:
    """個人番号 with the check digit taken mod 10: remainder 0 expects 1, not 0."""
    s = sum(int(d) * (n + 1 if n <= 6 else n - 5)
            for n, d in enumerate(reversed(number[:11]), start=1))
    r = s % 11
    return int(number[11]) == (0 if r == 1 else (11 - r) % 10)


def _m11_mod10(number: str) -> bool:
    """宛名番号 with the check digit taken mod 10: remainder 0 expects 1, not 0."""
    s = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(number[:-1])))
    return int(number[-1]) == (0 if s % 11 == 1 else (11 - s % 11) % 10)


def _truncate_bytes(text: str, limit: int, codec: str) -> str:
    """What fits in a column of ``limit`` bytes in ``codec`` (characters kept whole)."""
    out = ""
    for c in text:
        if len((out + c).encode(codec, "replace")) > limit:
            break
        out += c
    return out


def _cesu8(char: str) -> bytes:
    """A character beyond the BMP as CESU-8: its two UTF-16 surrogates, 3 bytes each."""
    hi, lo = divmod(ord(char) - 0x10000, 0x400)
    return (chr(0xD800 + hi) + chr(0xDC00 + lo)).encode("utf-8", "surrogatepass")


_NARROW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# the fifth batch's side tables (created at start-up by the variant that keeps them)
_SIDE_TABLES = {
    "inbox-replayed-on-start": "CREATE TABLE IF NOT EXISTS inbox (numbers TEXT);",
    "seen-ids-ttl-1s": "CREATE TABLE IF NOT EXISTS seen_at (message_id TEXT PRIMARY KEY, at REAL);",
    "order-by-occurred-on": "CREATE TABLE IF NOT EXISTS occurred (key TEXT PRIMARY KEY, last TEXT);",
    "sequence-tracked-per-household":
        "CREATE TABLE IF NOT EXISTS household_sequence (key TEXT PRIMARY KEY, last INTEGER);",
}
# JIS X 0208 fallbacks of a legacy character layer: 髙 → 高, 﨑 → 崎, 德 → 徳, 濵 → 濱
_JIS0208_FOLD = str.maketrans("髙﨑德濵", "高崎徳濱")


def _half_width_kana(text: str) -> str:
    """Full-width katakana → half-width (the inverse of NFKC for kana): a legacy layout."""
    out = []
    for c in text:
        decomposed = unicodedata.normalize("NFD", c)
        base, marks = decomposed[0], decomposed[1:]
        half = _HALF.get(base, base)
        out.append(half + "".join({"\u3099": "\uff9e", "\u309a": "\uff9f"}.get(m, m)
                                  for m in marks))
    return "".join(out)


_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}


class _HtmlError(Refusal):
    def __init__(self):
        super().__init__("HTML", "provider", "error page")
