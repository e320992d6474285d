"""Faulty products for round 22's classes (docs/conformance-testing.md, "Round 22"), each with ONE defect
— the reference adapter behind a front end, vendor A's services behind handlers of their own —
written from the class (the lexical space of a header token, the optional elements of a request
on each kind of answer, the prolog's and an unknown header block's content, namespace scoping),
not from the twenty-first batch's variants:

- Version compared as a number (P-ADDR-07, S-ADDR-03): the front end normalises the header's
  Version the way a number parser reads it before the routing table's comparison;
- the optional 基準日 on each kind of answer: an unknown number asked with one answered as an
  internal error (J-GRID-01's new points); a later 全件 page that repeats it taken for a first
  request (J-GRID-02's repeated 基準日);
- the prolog read as ASCII; an unknown header block's text kept in UCS-2 (P-EQUIV-01,
  S-EQUIV-01: prolog-epilogue-non-ascii, prolog-non-ascii-no-declaration,
  vendor-blocks-any-content);
- a change's state whatever its reason (S-GRID-01's 異動事由 points): a 個人番号 other than the
  one held refused (番号不一致); the name characters a Latin name holds: typographic quotes
  folded to ASCII; 丁目 kept in a CHAR(1) column;
- seen MessageIds across a restart (S-KEEP-01): the start-up warms the last ten only; residents
  held before the run (S-HELD-01): the initial 全件 load run again at every start;
- the payload's prefixes taken from the payload element's own declarations; the default
  namespace read on the block's (header, payload) element only (namespaces-on-each-element,
  default-namespace-per-element).
"""

from __future__ import annotations

import dataclasses
import re

from lxml import etree

from adapters.sdk.provider import ProviderError
from bus.core import faults
from conformance import grid

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .faulty_handlers import EXTRACT, INQUIRY
from .faulty_round14b import _edit_reply_header, _rehashed
from .faulty_round19 import _fault
from .faulty_wire import JUKI
from .proxy import Call, Reply, header_findtext, tree
from .references import (JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, References, SUB_PROFILE,
                         TAX_PROFILE)
from .subscriber import CMN as _CMN, JUKI as _JUKI, TestSubscriber

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
SUBSCRIBERS = (SUB_PROFILE, KOKUHO_SUB_PROFILE)
PROVIDERS = (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE)
_EQUIV = ("P-EQUIV-01/*", "S-EQUIV-01")
PFH = "{urn:pfbus:platform:header:v1}"


def _internal(call: Call, text: str) -> Reply:
    return _fault(call, faults.PROVIDER_INTERNAL, "provider:internal", text)


# --- a header token's lexical space (P-ADDR-07, S-ADDR-03) --------------------------------------

def _as_number(value: str) -> str:
    """What ``float(value)`` (after a leading v and ``int(value, 0)``) makes of a version."""
    text = value[1:] if value[:1] in "vV" else value
    try:
        number = float(int(text, 0)) if text.lower().startswith("0x") else float(text)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else value


def version_as_number(call: Call) -> bytes | Reply:
    """The routing table compares ``float(Version)``: 1.0, 01, 1e0 … are served as 1."""
    def one(m: re.Match) -> bytes:
        return m.group(1) + _as_number(m.group(2).decode()).encode() + m.group(3)
    return re.sub(rb"(<(?:[\w.-]+:)?Version>)([^<]*)(</)", one, call.request)


def version_echoed(call: Call) -> Reply:
    """The reply as the product writes it: the request's Service echoed as received, the
    RequestHash of the bytes received (the defect is the comparison, nothing else)."""
    sent = header_findtext(tree(call.request), f"/{PFH}Service/{PFH}Version")
    call = dataclasses.replace(call, reply=_rehashed(call))

    def fix(header):
        el = header.find(f"{PFH}Service/{PFH}Version")
        if el is not None and sent is not None:
            el.text = sent
    return _edit_reply_header(call, fix)


# --- the optional 基準日 on each kind of answer (J-GRID-01, J-GRID-02) --------------------------

def unknown_as_of_internal(refs: References, profile: str) -> str:
    """The dated inquiry joins the resident's history table; a number with no row there (no
    resident at all) raises where the undated lookup answers not-found."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        response = inner(header, request)
        if request.find(f"{{{JUKI}}}AsOf") is not None and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found" and \
                response.find(f"{{{JUKI}}}Resident") is None and _unknown(inner, request):
            raise ProviderError("VENDOR-HISTORY", "no history row")
        return response

    def _unknown(inner, request) -> bool:  # not-found without the 基準日 too: nobody holds it
        undated = etree.fromstring(etree.tostring(request))
        undated.remove(undated.find(f"{{{JUKI}}}AsOf"))
        return inner(None, undated).findtext(f"{{{JUKI}}}Status") == "not-found"

    return refs.app(profile, {**handlers, INQUIRY: handler})


def as_of_means_first_request(refs: References, profile: str) -> str:
    """A 全件 request with a 基準日 and no RequestId is taken for a first request, whatever else it
    holds: a later page repeating its snapshot's 基準日 is a page of a new snapshot."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        extract = request.find(f"{{{JUKI}}}ExtractId")
        if request.find(f"{{{JUKI}}}AsOf") is not None and extract is not None and \
                request.find(f"{{{JUKI}}}RequestId") is None:
            request = etree.fromstring(etree.tostring(request))
            request.remove(request.find(f"{{{JUKI}}}ExtractId"))
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


# --- the prolog and an unknown header block (P-EQUIV-01, S-EQUIV-01) ---------------------------

def prolog_read_as_ascii(call: Call) -> bytes | Reply:
    """The SOAP version sniffer decodes the bytes before the root element's start tag as ASCII
    (where the declaration and an ASCII comment are)."""
    if call.request[:2] in (b"\xfe\xff", b"\xff\xfe") or call.request[:3] == b"\xef\xbb\xbf":
        return call.request  # a byte order mark: the sniffer's other branch, to the parser
    root = re.search(rb"<(?![?!])", call.request)
    try:
        call.request[:root.start() if root else 0].decode("ascii")
    except UnicodeDecodeError:
        return _internal(call, "'ascii' codec can't decode the prolog")
    return call.request


def header_blocks_ucs2(call: Call) -> bytes | Reply:
    """Every header block is logged to an NCHAR column in UCS-2: a character beyond the BMP in a
    block the product does not even read fails the insert."""
    root = tree(call.request)
    header = root.find(f"{{{etree.QName(root).namespace}}}Header")
    for block in header if header is not None else ():
        if isinstance(block.tag, str) and block.tag != f"{PFH}PlatformHeader" and any(
                ord(c) > 0xFFFF for c in etree.tostring(block, encoding="unicode")):
            return _internal(call, "character not in UCS-2")
    return call.request


# --- namespace scoping (P-EQUIV-01, S-EQUIV-01) -------------------------------------------------

def _payload(call: Call) -> bytes:
    at = re.search(rb"<[\w.-]*:?Body[\s>]", call.request)
    start = call.request.index(b">", at.end() - 1) + 1 if at else 0
    return call.request[start:]


def prefixes_from_payload_element(call: Call) -> bytes | Reply:
    """The mapper resolves the payload's prefixes with the declarations in scope on the payload
    element (its own and its ancestors', ``root.nsmap``): a prefix first declared on an element
    below it — each element declaring its own, as .NET writes — is unbound to it."""
    at = re.search(rb"<[\w.-]*:?Body[\s>]", call.request)
    if at is None:
        return call.request
    head = re.compile(rb"<(?![!?/])[^>]*>").search(call.request, at.end())
    end = call.request.find(b"Body>", at.end())
    if head is None or end < 0:
        return call.request
    scope = set(re.findall(rb"xmlns:([\w.-]+)=", call.request[:head.end()]))
    payload = call.request[head.start():end]
    used = set(re.findall(rb"<([\w.-]+):", payload))
    below = set(re.findall(rb"xmlns:([\w.-]+)=", payload))  # unbound anywhere: the parser's
    if (used - scope) & below:
        return _internal(call, "unbound prefix in the mapping")
    return call.request


def default_namespace_of_block(call: Call) -> bytes | Reply:
    """The mapper takes an unprefixed element to be in the default namespace of the block it
    reads (the platform header, the payload element): a default declared again below it (the
    common namespace's, as .NET writes it) is not seen."""
    header = re.search(rb"<[\w.-]*:?PlatformHeader[\s>].*?</[\w.-]*:?PlatformHeader>",
                       call.request, re.DOTALL)
    for block in (header.group(0) if header else b"", _payload(call)):
        tags = re.findall(rb"<(?![/?!])[^>]*>", block)
        if any(re.search(rb'\sxmlns="(?!")', t) for t in tags[1:]):
            return _internal(call, "element not in the mapping")
    return call.request


# --- a change's state, whatever its reason; a name's characters; 丁目's digits (S-GRID-01) ---

_QUOTES = str.maketrans("’‘“”", "''\"\"")


class Round22Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 22's notice classes."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.numbers: dict[str, str] = {}  # 宛名番号 → the 個人番号 held

    def handler(self, header, notice: etree._Element) -> etree._Element:
        for change in notice.findall(f"{{{_JUKI}}}Change"):
            resident = change.find(f"{{{_JUKI}}}Resident")
            number = resident.findtext(f"{{{_CMN}}}AddresseeNumber") or ""
            individual = resident.findtext(f"{{{_CMN}}}IndividualNumber")
            held = self.numbers.get(number)
            if self.mode == "individual-number-mismatch-refused" and individual and held \
                    and individual != held:
                raise ProviderError("VENDOR-MISMATCH", "番号不一致: 個人番号 differs from the one held")
            chome = resident.findtext(f"{{{_CMN}}}Address/{{{_CMN}}}Chome")
            if self.mode == "chome-char-1" and chome and len(str(int(chome))) > 1:
                raise ProviderError("VENDOR-DATA", "value too long for CHAR(1)")
        response = super().handler(header, notice)
        for change in notice.findall(f"{{{_JUKI}}}Change"):  # what is now held
            resident = change.find(f"{{{_JUKI}}}Resident")
            individual = resident.findtext(f"{{{_CMN}}}IndividualNumber")
            if individual:
                self.numbers[resident.findtext(f"{{{_CMN}}}AddresseeNumber") or ""] = individual
        return response

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        if self.mode == "quotes-folded-to-ascii":  # a "smart quote" cleaner before the insert
            for text in change.iter(f"{{{_CMN}}}Text"):
                text.text = (text.text or "").translate(_QUOTES)
        super()._apply(change, checked)


class SeenWindowSubscriber(CrashableSubscriber):
    """Seen MessageIds are written through, but the start-up warms the in-memory set from a
    "recent" table of the last ``WINDOW`` received (the burst a hub's retries need): after a
    restart an older notice delivered again is new to it."""

    __test__ = False
    WINDOW = 10

    def __init__(self, mode: str | None = "seen-window-warmed"):
        super().__init__(mode)
        self.recent: list[str] = []

    def handler(self, header, notice):
        with self.lock:
            if header.message_id not in self.recent:
                self.recent = [*self.recent, header.message_id][-self.WINDOW:]
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            self.seen = set(self.recent)
        return code


class SeedReplayedSubscriber(CrashableSubscriber):
    """The installer's initial load — the registry's 全件 as it was at installation — is left
    in the start script and run at every start with INSERT OR REPLACE: a resident it holds goes
    back to its installed state, whatever was applied since."""

    __test__ = False

    def __init__(self, mode: str | None = "seed-replayed-on-start"):
        super().__init__(mode)
        self.installed = {r.addressee: r.fields.get("cmn:Name/cmn:Text", r.addressee)
                          for r in grid.load_model("juki_residents.xml")}

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            for number, name in self.installed.items():
                self.residents[number] = {"last": 1, "name": name, "changes_applied": 1,
                                          "removed_on": None}
        return code


# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round22
ROUND22_MODES = {
    # (round 23c: S-IDCHG-01's changes carrying a new 個人番号)
    "individual-number-mismatch-refused": ("RQ-SUB-01", ("S-GRID-01", "S-IDCHG-01")),
    "quotes-folded-to-ascii": ("RQ-SUB-01", ("S-GRID-01",)),
    "chome-char-1": ("RQ-SUB-01", ("S-GRID-01",)),
}
# crashable subscriber mode → (the requirement, the cases): test_conformance_round22
# (round 21's S-RST-01 delivers 24 notices before its restart and some again after it: the
# warmed window of ten misses the older ones there too)
ROUND22_CRASH_MODES = with_restart_cases_also_failed(
    {"seen-window-warmed": ("RQ-SUB-05", ("S-KEEP-01", "S-RST-01", "S-LATE-02")),
     "seed-replayed-on-start": ("RQ-SUB-05", ("S-HELD-01",))})


# (name, the requirement it breaks, profiles, targets[, params, targets by profile])
ROUND22_FAULTS: list[tuple] = [
    ("version-as-number", "RQ-FAULT-08", ALL, ("P-ADDR-07/*",), {},
     {p: ("S-ADDR-03",) for p in SUBSCRIBERS}),
    ("unknown-as-of-internal", "RQ-BEH-02", (JUKI_PROFILE,), ("J-GRID-01",)),
    # (P-CAL-01's and P-CAL-02's 全件 pages on the calendar's edges walk the grid's pages and
    # repeat their 基準日 too)
    ("as-of-means-first-request", "RQ-BEH-03", (JUKI_PROFILE,),
     ("J-GRID-02", "P-CAL-01", "P-CAL-02")),
    ("prolog-read-as-ascii", "RQ-SOAP-06", ALL, _EQUIV),
    ("header-blocks-ucs2", "RQ-SOAP-06", ALL, _EQUIV),
    # only a notice's payload holds a second namespace (a provider's request is juki's alone,
    # declared on its element); P-HOST-06's xi:include and P-NAME-01's near-miss namespaces are
    # declared on the element that uses them: a mapper error there, not the schema's fault
    ("prefixes-from-payload-element", "RQ-SOAP-06", SUBSCRIBERS,
     (*_EQUIV, "P-HOST-06/*", "P-NAME-01/*")),
    # only a notice has an element of another namespace than its block's (the common one)
    ("default-namespace-of-block", "RQ-SOAP-06", SUBSCRIBERS, _EQUIV),
]

ROUND22_HANDLERS = {"unknown-as-of-internal": unknown_as_of_internal,
                    "as-of-means-first-request": as_of_means_first_request}
ROUND22_WIRE = {
    "version-as-number": {"on_request": version_as_number, "on_reply": version_echoed},
    "prolog-read-as-ascii": {"on_request": prolog_read_as_ascii},
    "header-blocks-ucs2": {"on_request": header_blocks_ucs2},
    "prefixes-from-payload-element": {"on_request": prefixes_from_payload_element},
    "default-namespace-of-block": {"on_request": default_namespace_of_block},
}
