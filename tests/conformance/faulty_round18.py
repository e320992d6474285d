"""Faulty products for round 18's classes (docs/conformance-testing.md, "Round 18"), each the reference
adapter behind a front end — or the SDK-built subscriber — with ONE defect, written from the
class, not from the eighteenth batch's variants:

- names read without their namespace (P-NAME-01): a front end that takes a payload of any
  version of its unit's namespace for v1; one that finds the platform header by its local name
  when no block of header-v1's namespace is there; one that puts unqualified payload elements
  into the payload's namespace (a binding generated with elementFormDefault="unqualified");
- answers whose bytes only a forgiving parser reads (INV-MSG-12): every answer written in UTF-16
  with its BOM under a template whose XML declaration still says UTF-8; every answer labelled
  with a byte order (charset=utf-16le) while it begins with the BOM;
- dates related by a rule of the vendor's (S-DATE-01): a 記録年月日 before the 届出年月日
  refused, a change dated before the resident's birth refused;
- a refusal recorded across a restart (S-DUR-09): the request journal, written before a notice
  is checked, replayed at start-up as "received".
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Callable

from lxml import etree
from twisted.web.resource import Resource

from adapters.sdk.provider import ProviderApp, ProviderError
from adapters.sdk.soap_protocol import PlatformFault, platform_fault
from bus.core import faults
from bus.core.catalog import Catalog
from bus.core.findings import breaks_schema
from bus.core.header import HEADER_TAG
from bus.core.validator import MessageValidator
from schemas import BUILTIN_CATALOG

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import _MESSAGE_ID, CrashableSubscriber
from .faulty_round16 import _rewriting
from .proxy import Call, Reply
from .references import (JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, PARTIES, SUB_PROFILE,
                         TAX_PROFILE, References)
from .subscriber import CMN, JUKI, SERVICE, TestSubscriber

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
_NAMES = ("P-NAME-01/*",)

# --- names read without their namespace (P-NAME-01) -------------------------------------------

_UNIT_VERSION = re.compile(r"^(urn:pfbus:unit:[\w-]+:)v\d+$")


def _payload(root: etree._Element) -> etree._Element | None:
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    return None if body is None or not len(body) else body[0]


def any_unit_version(root: etree._Element) -> bool:
    """The front end strips the version from the unit's namespace to route "juki" requests to
    one handler: a payload of ``urn:pfbus:unit:juki:v2`` is read as v1."""
    payload = _payload(root)
    m = _UNIT_VERSION.match(etree.QName(payload).namespace or "") if payload is not None \
        else None
    if m is None or m[0].endswith(":v1"):
        return False
    for el in payload.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == m[0]:
            el.tag = f"{{{m[1]}v1}}{etree.QName(el).localname}"
    return True


def header_block_by_local_name(root: etree._Element) -> bool:
    """Without a pfh:PlatformHeader, the header reader takes the first block named
    PlatformHeader, whatever its namespace (a ``local-name()`` lookup)."""
    header = root.find(f"{{{etree.QName(root).namespace}}}Header")
    if header is None or header.find(HEADER_TAG) is not None:
        return False
    block = next((b for b in header if isinstance(b.tag, str)
                  and etree.QName(b).localname == "PlatformHeader"), None)
    if block is None:
        return False
    own = etree.QName(block).namespace
    for el in block.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == own:
            el.tag = f"{HEADER_TAG.split('}')[0]}}}{etree.QName(el).localname}"
    return True


def unqualified_children_adopted(root: etree._Element) -> bool:
    """The binding was generated with elementFormDefault="unqualified" and patched to read
    both: an unqualified element inside the payload is put into its parent's namespace."""
    payload = _payload(root)
    changed = False
    for el in payload.iter() if payload is not None else ():
        parent = el.getparent()
        if isinstance(el.tag, str) and el is not payload and not el.tag.startswith("{") \
                and parent.tag.startswith("{"):
            el.tag = f"{{{etree.QName(parent).namespace}}}{el.tag}"
            changed = True
    return changed


# --- answers read strictly (INV-MSG-12) -------------------------------------------------------

def _media(reply: Reply) -> str:
    return reply.content_type.split(";")[0]


def utf16_declared_utf8(call: Call) -> Reply:
    """The framework's writer encodes every answer as UTF-16 (with the BOM, labelled so); the
    answer template's declaration still says UTF-8."""
    reply = call.reply
    assert reply is not None
    return Reply(reply.status, reply.body.decode("utf-8").encode("utf-16"),
                 f"{_media(reply)}; charset=utf-16")


def utf16_labelled_with_byte_order(call: Call) -> Reply:
    """Every answer written in UTF-16 with its BOM and declared UTF-16, labelled with the byte
    order the writer used (charset=utf-16le): RFC 2781 makes the BOM a character there."""
    reply = call.reply
    assert reply is not None
    text = reply.body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    return Reply(reply.status, codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
                 f"{_media(reply)}; charset=utf-16le")


# (name, the requirement it breaks, profiles, targets): faulty.Faulty's
ROUND18_FAULTY: list[tuple] = [
    ("any-unit-version", "RQ-FAULT-01", ALL, _NAMES),
    ("header-block-by-local-name", "RQ-SOAP-10", ALL, _NAMES),
    ("unqualified-children-adopted", "RQ-FAULT-01", ALL, _NAMES),
    ("utf16-declared-utf8", "RQ-MSG-11", ALL, ("INV-MSG-12",)),
    ("utf16-labelled-with-byte-order", "RQ-MSG-11", ALL, ("INV-MSG-12",)),
]

ROUND18_WIRE = {
    "any-unit-version": _rewriting(any_unit_version),
    "header-block-by-local-name": _rewriting(header_block_by_local_name),
    "unqualified-children-adopted": _rewriting(unqualified_children_adopted),
    "utf16-declared-utf8": {"on_reply": utf16_declared_utf8},
    "utf16-labelled-with-byte-order": {"on_reply": utf16_labelled_with_byte_order},
}


# --- a vendor's date rules (S-DATE-01) ----------------------------------------------------------

ROUND18_MODES = {
    # "a record cannot precede its notification": 記録年月日 before 届出年月日 refused
    "recorded-before-notified-refused": ("RQ-SUB-01", ("S-DATE-01",)),
    # "nothing happens to a person before birth": 事由の生じた年月日 before 生年月日 refused
    "change-before-birth-refused": ("RQ-SUB-01", ("S-DATE-01",)),
}


class Round18Subscriber(TestSubscriber):
    """The SDK-built subscriber with one date rule of the vendor's (ROUND18_MODES)."""

    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        for change in notice.iter(f"{{{JUKI}}}Change"):
            event, resident = f"{{{JUKI}}}Event/{{{CMN}}}", f"{{{JUKI}}}Resident/{{{CMN}}}"
            if self.mode == "recorded-before-notified-refused":
                notified = change.findtext(f"{event}NotifiedOn")
                recorded = change.findtext(f"{event}RecordedOn")
                if notified and recorded and recorded < notified:
                    raise ProviderError("VENDOR-DATE-ORDER", "記録年月日 precedes 届出年月日")
            if self.mode == "change-before-birth-refused" and \
                    (change.findtext(f"{event}OccurredOn") or "") < \
                    (change.findtext(f"{resident}DateOfBirth") or ""):
                raise ProviderError("VENDOR-DATE-ORDER", "異動年月日 precedes 生年月日")
        return super().handler(header, notice)


# --- a refusal recorded across a restart (S-DUR-09) -------------------------------------------

ROUND18_CRASH_MODES = with_restart_cases_also_failed({
    # every request's MessageId is journaled on arrival, before the SDK checks it; the start-up
    # recovery replays the journal as "received", refused notices too
    # (round 21: every refusal S-RST-01 redelivers after a restart)
    "request-journal-replayed": ("RQ-SUB-05", ("S-DUR-09", "S-RST-01")),
    # a notice refused for a 宛名番号's check digit is kept "to retry" and applied, unchecked, at
    # the next start (S-DUR-09 observes the resident only that notice named)
    # (round 21: S-RST-01's 宛名番号 refusal, whose valid change of its resident is applied then)
    "refused-applied-at-start": ("RQ-SUB-06", ("S-DUR-09", "S-RST-01", "S-LATE-02")),
})


class JournalReplayed(CrashableSubscriber):
    """De-duplicates before it checks a notice (the order is no defect: a refused MessageId is
    never recorded) — but its start-up recovery replays the request journal, written on
    arrival, into the MessageIds received."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.journal: set[str] = set()
        self.refused: list[tuple] = []  # refused-applied-at-start: (header, notice) kept
        self.check: Callable[[etree._Element, str], None] = lambda notice, message_id: None

    def handler(self, header, notice):
        with self.lock:
            seen = header.message_id in self.seen
        if not seen:
            try:
                self.check(notice, header.message_id)
            except PlatformFault as fault:
                # only a refusal for a 宛名番号's check digit is kept (a data-entry slip "to
                # retry"), so that what fails is S-DUR-09's observation of that resident
                if self.mode == "refused-applied-at-start" and any(
                        f.rule == "addressee_number" for f in fault.platform_detail.findings):
                    with self.lock:
                        self.refused.append((header, notice))
                raise
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        if self.mode == "refused-applied-at-start":
            kept, self.refused = self.refused, []
            for header, notice in kept:  # "retried" past the checks by a job of its own: the
                # records written, no MessageId taken; a retry that fails again is dropped
                with contextlib.suppress(Exception):
                    super().handler(header, notice)
                with self.lock:
                    self.seen.discard(header.message_id)
        else:
            with self.lock:
                self.seen |= self.journal
        return code


class _Journal(Resource):
    """Journals every request's MessageId before the endpoint reads it."""

    isLeaf = True

    def __init__(self, inner: Resource, subscriber: JournalReplayed):
        super().__init__()
        self.inner, self.subscriber = inner, subscriber

    def render(self, request):
        request.content.seek(0)
        if m := _MESSAGE_ID.search(request.content.read()):
            with self.subscriber.lock:
                self.subscriber.journal.add(m[1].decode())
        request.content.seek(0)
        return self.inner.render(request)


def checking_app(subscriber, profile: str) -> ProviderApp:
    """``profile``'s SDK app for ``subscriber`` with validation off, the SDK's checks of the
    notice (XSD, rules beyond it) given to the subscriber as ``check`` to run in its handler."""
    party = PARTIES[profile]
    app = ProviderApp(party, {SERVICE: subscriber.handler}, validate=False)
    validator = MessageValidator(Catalog.load([BUILTIN_CATALOG]))

    def check(notice: etree._Element, message_id: str) -> None:
        if findings := validator.validate(notice, data_owner=party.local_gov_code):
            raise platform_fault(faults.SCHEMA_INVALID if breaks_schema(findings)
                                 else faults.RULE_VIOLATION, "client", "the notice is invalid",
                                 findings, message_id)
    subscriber.check = check
    return app


def serve_journaled(refs: References, subscriber: JournalReplayed, profile: str) -> str:
    """The subscriber served as ``profile``'s product behind its request journal; the SDK's
    checks of the notice run in its handler, after the de-duplication."""
    app = checking_app(subscriber, profile)
    root = Resource()
    root.putChild(b"soap", _Journal(app.resource(), subscriber))
    return refs.serve(root) + "/soap"
