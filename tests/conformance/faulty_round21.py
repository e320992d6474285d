"""Faulty subscribers for round 21's class (docs/conformance-testing.md, "Round 21"): what a start-up does
with the outcomes of the notices received before it — each the crashable SDK-built subscriber
(faulty_durability.py) with ONE defect, written from the outcomes the documents define (a
refusal by each rule, a kept-out change, a duplicate), not from the blind batches' variants:

- a refusal kept "to retry" and applied, unchecked, at the next start: schema refusals (the
  publisher's numbering "fixed" by then), 個人番号 check-digit refusals (the tax system's key,
  "the registry corrects it"), names outside the repertoire (a 外字 registered later);
- a notice refused as misrouted (another 団体's hub, another system, another 業務ユニット)
  kept in the inbox it was read into, and applied by the start-up job that empties the inbox;
- a refusal recorded as received at start: schema refusals written to a poison table ("it
  never becomes valid") that start-up loads into the seen MessageIds;
- the seen MessageIds rebuilt at start from the change rows: a notice whose changes were all
  kept out left no row, and is taken for new after a restart;
- residents rebuilt at start from a journal of every change received, kept-out ones too,
  sorted by 異動連番.

The subscriber checks a notice in its handler (the SDK's validator, as faulty_round18's journal
does), so that the handler sees the refusals its defect keeps; a refusal the SDK answers before
the handler (the Receiver, a Version, mustUnderstand, a DTD) is kept only by the inbox's front
end, which reads every request before the SDK does.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable

from lxml import etree
from twisted.web.resource import Resource

from adapters.sdk.soap_protocol import PlatformFault
from bus.core.header import PlatformHeader

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .faulty_round18 import checking_app
from .references import PARTIES, References
from .subscriber import CMN, JUKI
from .proxy import header_find

# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round21
ROUND21_MODES = with_restart_cases_also_failed({
    "schema-refusals-applied-at-start": ("RQ-SUB-06", ("S-RST-01",)),
    "individual-number-refusals-applied-at-start": ("RQ-SUB-06", ("S-RST-01",)),
    "repertoire-refusals-applied-at-start": ("RQ-SUB-06", ("S-RST-01",)),
    "schema-refusals-seen-at-start": ("RQ-SUB-05", ("S-RST-01",)),
    "seen-rebuilt-from-change-rows": ("RQ-SUB-05", ("S-RST-01", "S-LATE-02")),
    # kept-out changes counted again: S-START-01's and S-DUR-08's restarts after one see it too
    "changes-replayed-sorted-at-start": ("RQ-SUB-05", ("S-RST-01", "S-START-01", "S-DUR-08")),
    "misrouted-notices-applied-at-start": ("RQ-SUB-06", ("S-RST-01",)),
})

# the refusals each "applied at start" mode keeps, by what a finding names
_KEPT: dict[str, Callable[[str], bool]] = {
    "schema-refusals-applied-at-start": lambda rule: rule.startswith("xsd:"),
    "individual-number-refusals-applied-at-start": lambda rule: rule == "individual_number",
    "repertoire-refusals-applied-at-start": lambda rule: rule == "mj_characters",
}


class StartUpSubscriber(CrashableSubscriber):
    """The crashable subscriber whose handler checks the notice itself (``check``, set by
    ``serve_checked``), with one start-up defect (ROUND21_MODES)."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.check: Callable[[etree._Element, str], None] = lambda notice, message_id: None
        self.kept: list[tuple] = []  # (header, notice) refused, applied at the next start
        self.poison: set[str] = set()  # MessageIds refused for the schema
        self.with_rows: set[str] = set()  # MessageIds of notices that applied a change
        self.journal: dict[str, list[etree._Element]] = {}  # resident → every change received
        self.inbox: list[tuple] = []  # misrouted-notices-applied-at-start: (header, notice)

    def handler(self, header, notice):
        with self.lock:  # a MessageId seen is answered duplicate unchecked (its notice was)
            seen = header.message_id in self.seen
        try:
            if not seen:
                self.check(notice, header.message_id)
        except PlatformFault as fault:
            rules = [f.rule for f in fault.platform_detail.findings]
            with self.lock:
                if (keep := _KEPT.get(self.mode or "")) and all(keep(r) for r in rules):
                    self.kept.append((header, copy.deepcopy(notice)))
                if self.mode == "schema-refusals-seen-at-start" and any(
                        r.startswith("xsd:") for r in rules):
                    self.poison.add(header.message_id)
            raise
        with self.lock:
            fresh = header.message_id not in self.seen
            before = sum(s["changes_applied"] for s in self.residents.values())
        answer = super().handler(header, notice)
        with self.lock:
            if sum(s["changes_applied"] for s in self.residents.values()) > before:
                self.with_rows.add(header.message_id)
            if fresh and self.mode == "changes-replayed-sorted-at-start":
                for change in notice.iter(f"{{{JUKI}}}Change"):
                    number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                    self.journal.setdefault(number or "", []).append(copy.deepcopy(change))
        return answer

    def crash(self, values=None) -> int:
        code = super().crash(values)
        kept, self.kept = self.kept, []
        for header, notice in kept:  # "retried" past the checks by a start-up job: the records
            # written, no MessageId taken; a retry that fails is dropped
            with contextlib.suppress(Exception):
                super().handler(header, notice)
            with self.lock:
                self.seen.discard(header.message_id)
        inbox, self.inbox = self.inbox, []
        for header, notice in inbox:  # the start-up job empties the inbox into the records
            with contextlib.suppress(Exception):
                super().handler(header, notice)
            with self.lock:
                self.seen.discard(header.message_id)
        with self.lock:
            if self.mode == "schema-refusals-seen-at-start":
                self.seen |= self.poison
            if self.mode == "seen-rebuilt-from-change-rows":
                self.seen = set(self.with_rows)
            if self.mode == "changes-replayed-sorted-at-start":
                for number, changes in self.journal.items():
                    self.residents.pop(number, None)
                    for change in sorted(changes, key=lambda c: int(
                            c.findtext(f"{{{JUKI}}}Sequence") or 0)):
                        self._apply(change, checked=True)  # in order: each one "newer"
        return code


def serve_checked(refs: References, subscriber: StartUpSubscriber, profile: str) -> str:
    """The subscriber served as ``profile``'s product; the SDK's checks of the notice body (XSD,
    rules beyond it) run in its handler."""
    app = checking_app(subscriber, profile)
    root = Resource()
    root.putChild(b"soap", _Inbox(app.resource(), subscriber, PARTIES[profile].local_gov_code))
    return refs.serve(root) + "/soap"


class _Inbox(Resource):
    """misrouted-notices-applied-at-start: every notice read into an inbox before the SDK sees
    it; one whose Receiver is not (this 団体, 01, hub) — which the SDK then refuses — stays."""

    isLeaf = True

    def __init__(self, inner: Resource, subscriber: StartUpSubscriber, code: str):
        super().__init__()
        self.inner, self.subscriber, self.code = inner, subscriber, code

    def render(self, request):
        if self.subscriber.mode == "misrouted-notices-applied-at-start":
            request.content.seek(0)
            with contextlib.suppress(Exception):  # not a notice it can read: not kept (its
                # defect is what it keeps, never how a request it cannot read is answered)
                root = etree.fromstring(request.content.read())
                header = PlatformHeader.from_element(header_find(root))
                notice = next(root.iter(f"{{{JUKI}}}ResidentChangeNotice"))
                if (header.receiver.local_gov_code, header.receiver.business_unit,
                        header.receiver.system_id) != (self.code, "01", "hub"):
                    with self.subscriber.lock:
                        self.subscriber.inbox.append((header, copy.deepcopy(notice)))
            request.content.seek(0)
        return self.inner.render(request)
