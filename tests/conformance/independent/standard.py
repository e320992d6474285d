"""What the independent adapter takes from the standard: namespaces, the schemas and code lists
(schemas/), the check digits of 宛名番号 and 個人番号, and the two shapes an exchange ends in — an
answer or a refusal (SOAP Fault, docs/faults.md)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
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
XS = "http://www.w3.org/2001/XMLSchema"
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
SERVED_VERSION = "1"  # schemas/catalog.toml: the one Version of every service served
# docs/notices.md: a notice is addressed to the hub — (団体コード, the service's 業務ユニット,
# hub); 異動通知 is 住民基本台帳's, 業務ユニット 01 (schemas/catalog.toml)
NOTICE_UNIT, NOTICE_SYSTEM_ID = "01", "hub"
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


def _date_elements() -> frozenset[str]:
    """The elements the schemas declare xs:date (Clark names): XML Schema collapses white space
    around their values, libxml2 refuses it, so a body whose validation fails is validated again
    with it stripped (``collapse_dates``)."""
    out = set()
    for f in ("platform/common-v1.xsd", "units/juki/juki-v1.xsd"):
        root = etree.parse(str(SCHEMAS / f)).getroot()
        ns = root.get("targetNamespace")
        out |= {f"{{{ns}}}{el.get('name')}" for el in root.iter(f"{{{XS}}}element")
                if el.get("type") == "xs:date"}
    return frozenset(out)


DATE_ELEMENTS = _date_elements()


def collapse_dates(body: etree._Element) -> bool:
    """Strip the white space around every xs:date value in ``body``; True when one had any."""
    changed = False
    for el in body.iter(*DATE_ELEMENTS):
        if el.text and el.text != el.text.strip(" \t\r\n"):
            el.text, changed = el.text.strip(" \t\r\n"), True
    return changed


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

    def __init__(self, code: str, party: str, reason: str, findings=(), message_id=None,
                 soap_code: str | None = None, not_understood: str | None = None):
        super().__init__(reason)
        self.code, self.party, self.reason = code, party, reason
        self.findings, self.message_id = list(findings), message_id
        self.soap_code = soap_code  # a code SOAP itself defines (MustUnderstand)
        self.not_understood = not_understood  # the block's {ns}name (SOAP 1.2 NotUnderstood)


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str
    content_length: int | None = None  # content-length-counts-characters: the header's value



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



class _HtmlError(Refusal):
    def __init__(self):
        super().__init__("HTML", "provider", "error page")
