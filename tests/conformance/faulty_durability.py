"""Durability on one binding only (S-DUR-01…03 run once per SOAP version): the SDK-built
subscriber (subscriber.py) as a product that can crash in this process, and its mutant whose
SOAP 1.2 endpoint writes through a cache; and round 14's neighbours of the kill after one
notice: a group commit for notices in flight together (S-DUR-05), a seen-ID set rebuilt at
start-up from each resident's last MessageId (S-DUR-06); round 26b's 世帯 changes (C02–C05)
written behind (S-DUR-10: a notice of every 異動事由 before a crash) and round 27b's notice all
kept out left in an open transaction until the next notice commits it (S-DUR-11: every outcome
branch before its own crash); round 29b's seen MessageIds of UUID version 4 only kept across a
start (every case delivering a notice again after a restart, conformance/message_ids.py).

A crash (``restart``) loses what the product kept only in memory and keeps what it wrote: the
correct subscriber writes everything at once (its state survives), the mutant's SOAP 1.2 handler
keeps its writes in a cache flushed once a minute — never within a run — so a crash right after
a SOAP 1.2 receipt loses the change and the MessageId, while every SOAP 1.1 notice is durable;
the other mutant caches the changes of notices with several changes (one message shape).
Written from the class "a rule kept on one binding only", not from any blind batch's variant."""

from __future__ import annotations

import copy
import re
import socket

from twisted.internet import reactor, tcp
from twisted.internet.task import deferLater
from twisted.web.resource import Resource

from adapters.sdk.provider import ProviderApp
from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_also import with_restart_cases_also_failed
from .outcomes import waited
from .references import PARTIES, References
from .subscriber import CMN, JUKI, SERVICE, TestSubscriber

# mode → (the requirement it breaks, the subscriber cases it must fail)
# (round 16: S-DUR-07's crashes after a 消除 notice and after one of two changes lose them too)
# (round 21: S-RST-01 restarts after notices of both versions and several changes, and
# redelivers an older notice of a resident after its newer ones)
CRASH_MODES = with_restart_cases_also_failed({
    # (round 22: S-KEEP-01's half of 34 notices and S-HELD-01's of 11 changes came over SOAP 1.2
    # and are lost at their restarts too)
    "soap12-write-behind": ("RQ-SUB-05", ("S-DUR-01", "S-DUR-02", "S-DUR-03", "S-DUR-04",
                                          "S-DUR-05", "S-DUR-06", "S-DUR-07", "S-DUR-08",
                                          "S-DUR-09", "S-RST-01", "S-KEEP-01", "S-HELD-01",
                                          "S-LATE-02")),
    # a notice of several changes goes to a batch worker's cache (its MessageId is written at
    # once): a crash after its receipt loses its changes — one change a notice is durable
    "multi-change-write-behind": ("RQ-SUB-05", ("S-DUR-04", "S-DUR-07", "S-RST-01")),
    # round 14: a notice arriving while another is being written joins its group commit, whose
    # flush a timer does later (never within a run): a crash after a burst loses the joiners
    # (round 43a: S-LATE-02 delivers again every notice receipted right before a restart began)
    "burst-group-commit": ("RQ-SUB-05", ("S-DUR-05", "S-LATE-02")),
    # round 14: the seen-ID set lives in memory and is rebuilt at start-up from each resident's
    # row, whose column keeps the MessageId of the last notice written to it: after a crash an
    # older notice redelivered is taken for new (its changes stale, kept out), receipted applied
    # (round 16b: S-DUR-08 redelivers a resident's first notice after its later ones and a crash)
    "seen-ids-rebuilt-from-residents": ("RQ-SUB-05", ("S-DUR-06", "S-DUR-08", "S-RST-01",
                                                      "S-LATE-02")),
    # round 26b: the 世帯 changes (世帯分離 C02, 世帯合併 C03, 世帯変更 C04) have their own
    # handler, which writes the household rows through a batch worker's cache: a notice holding
    # one is receipted applied, and a crash right after loses it — every other 異動事由 durable
    "household-change-write-behind": ("RQ-SUB-05", ("S-DUR-10", "S-LATE-02")),
    # round 27b: a notice holding a change kept out (its 異動連番 not greater than the last
    # applied) goes down the reconciliation branch, which begins a transaction and leaves it
    # open: the next notice commits it, a crash right after loses the notice's MessageId and
    # what it applied
    "kept-out-left-open": ("RQ-SUB-05", ("S-DUR-11", "S-LATE-02")),
    # round 29b: a migration of the seen-ID table re-run at every start copies the rows of the
    # vendor's own MessageId format, UUID version 4, and drops the rest (header-v1.xsd admits
    # versions 1–8): after a restart a notice of another version is new again — every case that
    # delivers a notice again after a restart, its MessageIds taking every version in turn
    # (conformance/message_ids.py)
    "seen-ids-version-4-kept-at-start": ("RQ-SUB-05", (
        "S-DUR-02", "S-DUR-06", "S-DUR-07", "S-DUR-08", "S-DUR-09", "S-DUR-11", "S-FIELD-01",
        "S-KEEP-01", "S-PART-01", "S-RST-01", "S-LATE-02")),
})

_HOUSEHOLD_CHANGES = ("C02", "C03", "C04")

_GROUP_WINDOW = 0.05  # s: how long a group commit collects the writers that join it

_MESSAGE_ID = re.compile(rb"<(?:\w+:)?MessageId>\s*([^<\s]+)\s*</(?:\w+:)?MessageId>")


class CrashableSubscriber(TestSubscriber):
    """``seen`` and ``residents`` are what it wrote; ``crash`` drops what the mutant's SOAP 1.2
    cache held: the residents its SOAP 1.2 notices touched go back to how they were written
    before, and their MessageIds are unseen again."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.soap12_ids: set[str] = set()  # MessageIds that came in over SOAP 1.2
        self.unflushed_ids: set[str] = set()
        self.unflushed: dict[str, dict | None] = {}  # resident → as written before the cache
        self.newest_id: dict[str, str] = {}  # seen-ids-rebuilt-from-residents: the row's column
        self.group_open = False  # burst-group-commit: a group collecting writers
        self.siblings = 0  # burst-group-commit: the server's other clients at work at a request
        self.crashes = 0

    def handler(self, header, notice):
        if self.mode == "burst-group-commit":
            return self._group_commit(header, notice)
        if self.mode == "seen-ids-rebuilt-from-residents":
            with self.lock:
                for number in notice.itertext(f"{{{CMN}}}AddresseeNumber"):
                    self.newest_id[number] = header.message_id
        soap12 = self.mode == "soap12-write-behind" and header.message_id in self.soap12_ids
        household = self.mode == "household-change-write-behind" and any(
            r in _HOUSEHOLD_CHANGES for r in notice.itertext(f"{{{CMN}}}Reason"))
        if soap12 or household or (self.mode == "multi-change-write-behind"
                                   and len(notice.findall(f"{{{JUKI}}}Change")) > 1):
            self._unflushed(header.message_id if soap12 or household else None, notice)
        if self.mode == "kept-out-left-open":
            return self._kept_out_left_open(header, notice)
        return super().handler(header, notice)

    def _kept_out_left_open(self, header, notice):
        """kept-out-left-open: the next notice commits what the one before left open; a new
        notice holding a change kept out (judged in document order against the resident's last
        applied) is left open itself — a crash before the next notice loses it."""
        changes = notice.findall(f"{{{JUKI}}}Change")
        with self.lock:
            self.unflushed, self.unflushed_ids = {}, set()  # committed by this notice
            new = header.message_id not in self.seen
            last = {n: (self.residents.get(n) or {}).get("last", 0) for n in
                    notice.itertext(f"{{{CMN}}}AddresseeNumber")}
            before = {n: copy.deepcopy(self.residents.get(n)) for n in last}
            kept_out = False
            for change in changes:
                number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""
                sequence = int(change.findtext(f"{{{JUKI}}}Sequence") or 0)
                kept_out |= sequence <= last.get(number, 0)
                last[number] = max(last.get(number, 0), sequence)
        answer = super().handler(header, notice)
        if new and kept_out:
            with self.lock:
                self.unflushed_ids.add(header.message_id)
                self.unflushed.update(before)
        return answer

    def _group_commit(self, header, notice):
        """burst-group-commit: the first writer opens a group and commits its own notice; a
        notice arriving while the group collects (``_GROUP_WINDOW``) is written to the cache
        the group's timer flushes later. Handlers run in the reactor thread: the group is open
        while its first notice's answer is deferred. As PostgreSQL's commit_delay with
        commit_siblings, a writer waits for others only while other clients are at work: a
        notice alone on the server is committed at once (a run's thousand sequential notices
        would otherwise each wait the window)."""
        if self.group_open:
            self._unflushed(header.message_id, notice)
            return super().handler(header, notice)
        if not self.siblings:
            return super().handler(header, notice)
        self.group_open = True
        answer = super().handler(header, notice)

        def close():
            self.group_open = False
            return answer
        return deferLater(reactor, _GROUP_WINDOW, close)

    def _unflushed(self, message_id: str | None, notice) -> None:
        """The notice's residents (and, given, its MessageId) go to the cache a crash loses."""
        with self.lock:
            if message_id is not None and message_id not in self.seen:
                self.unflushed_ids.add(message_id)
            for number in notice.itertext(f"{{{CMN}}}AddresseeNumber"):
                if number not in self.unflushed:
                    self.unflushed[number] = copy.deepcopy(self.residents.get(number))

    def crash(self, values=None) -> int:
        """The ``--restart-command``: the process is gone, what it had written is read again."""
        with self.lock:
            if self.mode == "seen-ids-rebuilt-from-residents":
                self.seen = set(self.newest_id.values())
            if self.mode == "seen-ids-version-4-kept-at-start":
                self.seen = {m for m in self.seen if m[14:15] == "4"}
            for number, written in self.unflushed.items():
                if written is None:
                    self.residents.pop(number, None)
                else:
                    self.residents[number] = written
            self.seen -= self.unflushed_ids
            self.unflushed, self.unflushed_ids = {}, set()
            self.crashes += 1
        return 0


class _Soap12Marker(Resource):
    """Notes the MessageId of every SOAP 1.2 request before the endpoint handles it: the
    mutant's SOAP 1.2 path is its own handler, as a vendor's second endpoint would be; and how
    many other clients of the server are at work (burst-group-commit's siblings)."""

    isLeaf = True

    def __init__(self, inner: Resource, subscriber: CrashableSubscriber):
        super().__init__()
        self.inner, self.subscriber = inner, subscriber

    def render(self, request):
        self.subscriber.siblings = _active_siblings(request.channel.transport)
        if (request.getHeader(b"content-type") or b"").lower().startswith(
                b"application/soap+xml"):
            request.content.seek(0)
            if m := _MESSAGE_ID.search(request.content.read()):
                self.subscriber.soap12_ids.add(m[1].decode())
            request.content.seek(0)
        return self.inner.render(request)


def _active_siblings(mine: tcp.Server) -> int:
    """The server's other connections whose client is at work: a request read in part, or bytes
    waiting to be read (an idle kept-alive connection is neither)."""
    active = 0
    for r in reactor.getReaders():
        if not isinstance(r, tcp.Server) or r.server is not mine.server or r is mine:
            continue
        try:
            waiting = r.socket.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            waiting = b""
        except OSError:
            continue
        active += bool(waiting or getattr(r.protocol, "requests", None))
    return active


def serve_crashable(refs: References, subscriber: CrashableSubscriber, profile: str) -> str:
    """The subscriber served as ``profile``'s product; the server is closed with ``refs``."""
    app = ProviderApp(PARTIES[profile], {SERVICE: subscriber.handler})
    root = Resource()
    root.putChild(b"soap", _Soap12Marker(app.resource(), subscriber))
    return refs.serve(root) + "/soap"


def crash_run(refs, suite, subscriber: CrashableSubscriber, profile: str):
    """One profile run against the crashable subscriber (``restart`` crashes it): the results
    that did not pass, by case ID, and the whole result."""
    url = serve_crashable(refs, subscriber, profile)
    result = run_profile(RunOptions(
        profile, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash")), suite)
    return {r.id: r for r in result.results if r.verdict != "pass" and not waited(r)}, result
