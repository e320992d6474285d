"""Faulty products for round 16's classes (docs/conformance-testing.md, "Round 16"), each the reference
adapter — or the SDK-built subscriber — with ONE defect, written from the class, not from the
fifteenth batch's variants:

- schema-invalid neighbours taken for valid values (P-NEIGH-01): a front end that reads dates
  with a lenient parser before the schema sees them, one reading integers through a float, a
  key normaliser (NFKC, trimmed, upper-cased, hyphens dropped) in front of the validator, a
  header reader that repairs SentAt;
- valid extremes the product's conversions cannot hold (P-EDGE-01, KH-EDGE-01, K-EDGE-01,
  S-EDGE-01): a 基準日 converted to 和暦 through a table starting in 明治, one moved a day past
  itself for an exclusive bound, a 課税年度 converted through a table starting in 平成, a
  subscriber's dates kept in a DATETIME column from 1753;
- the calendar's edges in the data (P-CAL-01, S-CAL-01): an age at the 基準日, a 年齢到達日 at the
  異動, each computed with ``date.replace(year=…)``;
- the idempotent receiver on notices holding a 消除 (S-ONCE-09, S-DUR-07): MessageIds purged with
  a removed resident's rows, and written to the inbox by a later purge job.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from lxml import etree

from adapters.sdk.juki_notice import DELETED, reason_group
from adapters.sdk.provider import ProviderError
from bus.core.catalog import Catalog
from bus.core.faults import SOAP11_NS, SOAP12_NS, HubFault, fault_envelope
from bus.core import faults
from bus.core.findings import Finding
from schemas import BUILTIN_CATALOG

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .faulty_round14b import _message_id, _rehashed
from .proxy import Call, Reply, header_find, is_fault, serialize, soap_ns, tree
from .references import JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, SUB_PROFILE, TAX_PROFILE
from .subscriber import CMN, JUKI, TestSubscriber

PFH = "{urn:pfbus:platform:header:v1}"
_DATE = re.compile(r"-?\d{4,}-\d\d-\d\d(Z|[+-]\d\d:\d\d)?")  # xs:date's lexical form
_INTEGER = re.compile(r"[+-]?\d+")
_JST_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+09:00")
_DATE_ELEMENTS = Catalog.load([BUILTIN_CATALOG]).date_elements - {f"{PFH}SentAt"}
_INTEGERS = {"Page", "PageSize", "Sequence", "Chome"}  # the mapping's integer columns
_KEYS = {"AddresseeNumber", "IndividualNumber", "HouseholdNumber", "ResidentCode", "Gender",
         "Relationship", "ResidentKind", "ResidentStatus", "Reason", "PostalCode", "AddressCode"}


def _rewriting(rewrite):
    """A front end that rewrites the request's values (``rewrite(root)`` True when it changed
    one) before the product — its validator included — reads them; the reply hashed over the
    request as sent."""
    def on_request(call: Call) -> bytes:
        root = tree(call.request)
        return serialize(root) if rewrite(root) else call.request
    return {"on_request": on_request, "on_reply": _rehashed}


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


# --- schema-invalid neighbours taken for valid values (P-NEIGH-01) -------------------------------

def lenient_date(text: str) -> str | None:
    """A date as a forgiving parser reads it — a time cut off, slashes, yyyymmdd, month and day
    without zeros, a year-month as its first day, a day past the month's end rolled over — or
    None when it cannot (or it is xs:date's own form: left alone)."""
    t = text.strip()
    if _DATE.fullmatch(t):
        try:
            dt.date.fromisoformat(t[:10])
            return None
        except ValueError:
            pass  # 31 April: rolled over below
    m = re.match(r"(\d{4})[-/]?(\d{1,2})(?:[-/]?(\d{1,2}))?(?:[T ].*)?$", t)
    if not m or not 1 <= int(m[2]) <= 12:
        return None
    start = dt.date(int(m[1]), int(m[2]), 1)
    return (start + dt.timedelta(days=int(m[3] or 1) - 1)).isoformat()


def _dates_read_leniently(root) -> bool:
    changed = False
    for el in root.iter(*_DATE_ELEMENTS):
        if el.text and (fixed := lenient_date(el.text)) is not None:
            el.text, changed = fixed, True
    return changed


def _integers_through_float(root) -> bool:
    changed = False
    for el in root.iter():
        if _local(el) in _INTEGERS and el.text and not _INTEGER.fullmatch(el.text.strip()):
            try:
                number = float(el.text)
            except ValueError:
                continue
            if math.isfinite(number) and number == int(number):
                el.text, changed = str(int(number)), True
    return changed


def _keys_normalised(root) -> bool:
    changed = False
    for el in root.iter():
        if _local(el) in _KEYS and el.text:
            key = unicodedata.normalize("NFKC", el.text).strip().upper().replace("-", "")
            if key != el.text:
                el.text, changed = key, True
    return changed


def _sent_at_repaired(root) -> bool:
    """SentAt read by a lenient ISO 8601 reader and written back in the platform's form: UTC
    (Z) moved to JST, no offset taken as JST, a space for T, +0900."""
    el = header_find(root, f"/{PFH}SentAt")
    if el is None or not el.text or _JST_DATE_TIME.fullmatch(el.text.strip()):
        return False
    text = el.text.strip().replace(" ", "T")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text).replace("Z", "+00:00")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    jst = dt.timezone(dt.timedelta(hours=9))
    el.text = (stamp.replace(tzinfo=jst) if stamp.tzinfo is None else stamp.astimezone(jst)
               ).isoformat()
    return True


# --- valid extremes a conversion cannot hold (P-EDGE-01, KH-EDGE-01, K-EDGE-01) ------------------

def _internal(call: Call, what: str) -> Reply:
    """The product's own failure: PF-PROVIDER-INTERNAL, HTTP 500, in the request's version."""
    media = next((v for k, v in call.headers.items() if k.lower() == "content-type"), "")
    ns = soap_ns(call.request) or (SOAP12_NS if "soap+xml" in media.lower() else SOAP11_NS)
    fault = HubFault(faults.PROVIDER_INTERNAL, (Finding("vendor:internal", what),),
                     _message_id(call.request))
    return Reply(500, fault_envelope(fault, ns), ("application/soap+xml" if ns == SOAP12_NS
                                                  else "text/xml") + "; charset=utf-8")


def _as_of(call: Call) -> dt.date | None:
    """The request's valid 基準日 (the conversion runs after the schema's check)."""
    el = next((e for e in tree(call.request).iter() if _local(e) == "AsOf"), None)
    text = (el.text or "").strip() if el is not None else ""
    try:
        return dt.date.fromisoformat(text[:10]) if _DATE.fullmatch(text) else None
    except ValueError:  # 31 April: the schema's refusal, not the conversion's
        return None


_MEIJI = dt.date(1868, 1, 25)


def as_of_through_wareki(call: Call) -> bytes | Reply:
    """The 基準日 converted to 和暦 for the history tables, whose 元号 table starts with 明治:
    an earlier day has no 和暦 and the conversion throws."""
    as_of = _as_of(call)
    if as_of is not None and as_of < _MEIJI:
        return _internal(call, f"KeyError: no 元号 for {as_of}")
    return call.request


def as_of_exclusive_bound(call: Call) -> bytes | Reply:
    """The as-of query's upper bound is exclusive: ``as_of + 1 day`` overflows on 9999-12-31."""
    as_of = _as_of(call)
    if as_of is not None and as_of == dt.date.max:
        return _internal(call, "OverflowError: date value out of range")
    return call.request


def fiscal_year_from_heisei(call: Call) -> bytes | Reply:
    """The 課税年度 converted to the 和暦 年度 of the vendor's tables, whose 元号 table starts in
    平成 (its first tax year): a valid year before 1989 has none."""
    el = next((e for e in tree(call.request).iter() if _local(e) == "FiscalYear"), None)
    text = (el.text or "").strip() if el is not None else ""
    if re.fullmatch(r"\d{4}", text) and 1950 <= int(text) < 1989:
        return _internal(call, f"KeyError: no 平成 or 令和 year for {text}")
    return call.request


# --- the calendar's edges in the data (P-CAL-01) --------------------------------------------------

def age_at_as_of(call: Call) -> Reply:
    """The 住民照会 answer as of a 基準日 holds the resident's age then, computed with the birthday moved
    into the 基準日's year: a birth on 29 February in a common year throws."""
    as_of = _as_of(call)
    if as_of is None or call.reply is None or is_fault(call.reply.body):
        return call.reply  # type: ignore[return-value]
    # the inquiry screen's answer (its 全件 export computes no age)
    born = tree(call.reply.body).find(
        f".//{{{JUKI}}}ResidentInquiryResponse/{{{JUKI}}}Resident/{{{CMN}}}DateOfBirth")
    if born is not None and born.text:
        try:
            dt.date.fromisoformat(born.text.strip()[:10]).replace(year=as_of.year)
        except ValueError:
            return _internal(call, "ValueError: day is out of range for month")
    return call.reply


ROUND16_WIRE = {
    "dates-read-leniently": _rewriting(_dates_read_leniently),
    "integers-through-float": _rewriting(_integers_through_float),
    "keys-normalised-before-validation": _rewriting(_keys_normalised),
    "sent-at-repaired": _rewriting(_sent_at_repaired),
    "as-of-through-wareki": {"on_request": as_of_through_wareki},
    "as-of-exclusive-bound": {"on_request": as_of_exclusive_bound},
    "fiscal-year-from-heisei": {"on_request": fiscal_year_from_heisei},
    "age-at-as-of": {"on_reply": age_at_as_of},
}


_ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
_AS_OF = (JUKI_PROFILE, KOKUHO_PROFILE)

# faulty.Faulty(name, the requirement it breaks, profiles, targets): P-NEIGH-01 on the services
# whose requests hold such a field
ROUND16_FAULTS = [
    ("dates-read-leniently", "RQ-FAULT-01",
     (JUKI_PROFILE, KOKUHO_PROFILE, SUB_PROFILE, KOKUHO_SUB_PROFILE), ("P-NEIGH-01/*",)),
    ("integers-through-float", "RQ-FAULT-01", (JUKI_PROFILE, SUB_PROFILE, KOKUHO_SUB_PROFILE),
     ("P-NEIGH-01/juki.ResidentFullExtract", "P-NEIGH-01/juki.ResidentChangeNotice")),
    ("keys-normalised-before-validation", "RQ-FAULT-01", _ALL,
     ("P-NEIGH-01/juki.ResidentInquiry", "P-NEIGH-01/juki.ResidentChangeNotice",
      "P-NEIGH-01/kojinjuminzei.*", "P-NEIGH-01/kokuho.*")),
    ("sent-at-repaired", "RQ-FAULT-01", _ALL, ("P-NEIGH-01/*",)),
    ("as-of-through-wareki", "RQ-EDGE-01", _AS_OF, ("P-EDGE-01", "KH-EDGE-01")),
    ("as-of-exclusive-bound", "RQ-EDGE-01", _AS_OF, ("P-EDGE-01", "KH-EDGE-01")),
    ("fiscal-year-from-heisei", "RQ-EDGE-01", (TAX_PROFILE,), ("K-EDGE-01",)),
    # (J-GRID-01, P-EDGE-01 and P-EDGE-03 ask 都筑ﾕｷ, born 2020-02-29, with a common year's 基準日)
    ("age-at-as-of", "RQ-EDGE-04", (JUKI_PROFILE,),
     ("P-CAL-01", "J-GRID-01", "P-EDGE-01", "P-EDGE-03")),
]


# --- subscribers ----------------------------------------------------------------------------------

_DATETIME_FROM = dt.date(1753, 1, 1)  # SQL Server's DATETIME: 1753-01-01 to 9999-12-31

# mode → (the requirement it breaks, the subscriber cases it must fail)
ROUND16_MODES = {
    # every date of a notice kept in a DATETIME column: a day before 1753 cannot be stored
    "dates-in-datetime-column": ("RQ-EDGE-01", ("S-EDGE-01",)),
    # the 年齢到達日 at the 異動 (the day before the birthday in its year) with
    # born.replace(year=occurred.year): a birth on 29 February and an 異動 in a common year throw
    "age-reached-by-replace": ("RQ-EDGE-04", ("S-CAL-01",)),
    # the inbox rows of a notice's MessageId are keyed to its residents and purged with a removed
    # resident's personal data: every notice of a removed resident, delivered again, is new
    "seen-ids-purged-with-removal": ("RQ-SUB-02", ("S-ONCE-09", "S-LATE-02")),
}


_NOTICE_DATES = tuple(f"{{{CMN}}}{n}" for n in ("DateOfBirth", "OccurredOn", "NotifiedOn",
                                                 "RecordedOn", "BecameResidentOn",
                                                 "AddressFixedOn"))


def _text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()  # whole: a comment may split it (S-EQUIV-01)


def _removal(change: etree._Element) -> bool:
    return reason_group(_text(change.find(f"{{{JUKI}}}Event/{{{CMN}}}Reason"))) == DELETED


def _day(el: etree._Element) -> dt.date:
    """An xs:date element's day as written (its text whole: a comment may split it)."""
    return dt.date.fromisoformat(_text(el)[:10])


class Round16Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 16's classes."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.ids_of: dict[str, set[str]] = {}  # seen-ids-purged-with-removal: per resident

    def handler(self, header, notice: etree._Element) -> etree._Element:
        for change in notice.iter(f"{{{JUKI}}}Change"):
            if self.mode == "dates-in-datetime-column" and any(
                    _day(el) < _DATETIME_FROM for el in change.iter(*_NOTICE_DATES)):
                raise ProviderError("VENDOR-DATE-RANGE", "a date before 1753 cannot be stored")
            if self.mode == "age-reached-by-replace":
                born = _day(change.find(f"{{{JUKI}}}Resident/{{{CMN}}}DateOfBirth"))
                occurred = _day(change.find(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))
                born.replace(year=occurred.year)  # ValueError: an internal error
        answer = super().handler(header, notice)
        if self.mode == "seen-ids-purged-with-removal":
            self._purge(header.message_id, notice)
        return answer

    def _purge(self, message_id: str, notice: etree._Element) -> None:
        with self.lock:
            for change in notice.iter(f"{{{JUKI}}}Change"):
                number = _text(change.find(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber"))
                self.ids_of.setdefault(number, set()).add(message_id)
                if _removal(change):  # the removed resident's rows purged
                    self.seen -= self.ids_of.pop(number, set())


# --- a crash (S-DUR-07) -----------------------------------------------------------------------------

ROUND16_CRASH_MODES = with_restart_cases_also_failed({
    # a notice holding a 消除 has its MessageId written to the inbox by the purge job that runs
    # later (never within a run): a crash after its receipt forgets it
    # (round 21: S-RST-01 redelivers its 消除 outcome after a restart)
    "removal-ids-written-later": ("RQ-SUB-05", ("S-DUR-07", "S-RST-01", "S-LATE-02")),
})


class RemovalIdsLater(CrashableSubscriber):
    __test__ = False

    def handler(self, header, notice):
        answer = super().handler(header, notice)
        if any(_removal(c) for c in notice.iter(f"{{{JUKI}}}Change")):
            with self.lock:
                self.unflushed_ids.add(header.message_id)
        return answer

