"""Every 全件 first request with a RequestId, sent again at the end of the run (後からの再試行,
P-LATE-01; round 35b).

docs/notices.md: a first request sent again with the same RequestId — a retry after a lost or
late answer, after the receiver was killed — is answered from the same snapshot; the key is
(Sender, RequestId) and nothing else, another MessageId and SentAt included; every page stays
readable, the same however often it is asked for, for at least 6 hours. README: an answer's
SentAt is read from the clock when it is sent, never kept from an earlier answer. The cases retry
a first request within the second they sent it, so a provider that answers a retry from a stored
answer (its SentAt, its MessageId) or keys its snapshots by more than the RequestId only shows it
when the retry comes later and carries what the earlier cases varied. The thirty-fifth blind
batch answered a retry with the first answer's SentAt.

So, like S-RELOAD-01 for observations, the run keeps every 全件 request it sent (the transport's
watchers) and P-LATE-01, the last case of a provider profile before the invariants, sends each
first request that carried a RequestId and got a normal answer again — the same payload, the
same header but for a fresh MessageId and SentAt, over the same SOAP version —, at least
``LATE`` seconds after the earliest of those answers (the run's other cases usually took longer;
the case waits for the rest). Each retry must be answered as the last answer to that (Sender,
RequestId) was: the same ExtractId, TotalCount, TotalPages and Page, the same residents in the
same order. The invariants judge the retries' answers like every other, RQ-MSG-10's SentAt
among them: an answer that keeps an earlier SentAt no longer tracks time.

The first retry goes over the kept-alive connection of the run's first such request, which the
transport set aside for it (``Transport.hold_connection``; a new one if the product closed it):
a front end that keeps a request context — SentAt with it — per connection answers it with a
SentAt as old as the connection, where the run's other connections, each replaced within a
second or two, hide it (the forty-first blind batch). The record, the held connection and the
wait are late_sends.py's, shared with S-LATE-02's notices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from lxml import etree

from bus.core.header import jst_now

from . import grid, message_ids
from .checks import outcome
from .envelopes import envelope, substitute
from .late_sends import LateSends, wait_until_late
from .notice_runs import poster
from .records import Exchange

SERVICE = "juki.ResidentFullExtract"
NEXT_PAGE = "full_extract.next"  # messages.toml: a later page by ExtractId
JUKI, CMN = grid.JUKI, grid.CMN
MOST = 64  # retries at most: the latest (Sender, RequestId) pairs beyond are left
_HEAD = ("ExtractId", "Page", "TotalPages", "TotalCount")


@dataclass
class ExtractRequests(LateSends):
    """The 全件 requests the run sent (a transport watcher), in order; the connection of the
    first one P-LATE-01 retries held for its first retry."""

    def kept(self, ex: Exchange) -> bool:
        return ex.service == SERVICE

    def holds(self, ex: Exchange) -> bool:
        return _retry_key(ex) is not None

    def retried(self) -> dict[tuple[str, str], Exchange]:
        """(Sender, RequestId) -> the last first request with it that got a normal answer."""
        last: dict[tuple[str, str], Exchange] = {}
        for ex in self.sent:
            if (key := _retry_key(ex)) is not None:
                last.pop(key, None)  # the newest last
                last[key] = ex
        return dict(list(last.items())[-MOST:])


def _retry_key(ex: Exchange) -> tuple[str, str] | None:
    """(Sender, RequestId) of a 全件 first request with a RequestId that got a normal answer."""
    if ex.service != SERVICE or ex.direction != "to-product" or outcome(ex, "response"):
        return None
    try:
        payload, header = _payload(ex), ex.header("request")
    except ValueError:
        return None
    rid = payload.findtext(f"{{{JUKI}}}RequestId") if payload is not None else None
    if payload is None or payload.find(f"{{{JUKI}}}ExtractId") is not None or not rid:
        return None
    return str(header.sender), rid


def _payload(ex: Exchange) -> etree._Element | None:
    """The request's juki:ResidentFullExtractRequest, or None."""
    body = ex.envelope("request").body
    return body if body is not None and body.tag == f"{{{JUKI}}}ResidentFullExtractRequest" \
        else None


def _answer(ex: Exchange) -> tuple[dict[str, str], list[str]]:
    body = ex.envelope().body
    head = {n: (body.findtext(f"{{{JUKI}}}{n}") or "").strip() for n in _HEAD}
    residents = [r.findtext(f"{{{CMN}}}AddresseeNumber") or ""
                 for r in body.findall(f"{{{JUKI}}}Resident")]
    return head, residents


def run_step(runner, step, values) -> list[str]:
    """P-LATE-01: the retries, each judged against the last answer to its (Sender, RequestId)."""
    requests: ExtractRequests = runner.s.extract_requests
    earlier = requests.retried()
    if not earlier:
        runner.skip_reason = ("the run sent no 全件 first request with a RequestId that was "
                              "answered: nothing to retry")
        return []
    wait_until_late(runner.s.transport, earlier.values())
    spec = runner._service(SERVICE, step.where)
    post = poster(runner, step, spec, runner._timeout(step, values))
    problems: list[str] = []
    for i, ((sender, rid), first) in enumerate(earlier.items()):
        header = replace(first.header("request"), message_id=message_ids.fresh(),
                         sent_at=jst_now())
        payload = etree.tostring(first.envelope("request").body, encoding="unicode")
        soap = first.soap_version or "1.1"
        held = i == 0
        on = ", on the connection of the run's first 全件 request" if held else ""
        at = (f"[RequestId {rid} of {sender}, first sent by {first.step}] retried "
              f"{time.monotonic() - (first.sent_monotonic or 0.0):.1f} s later (SOAP {soap}{on})")
        ex = post(envelope(payload, soap, header), soap, header, at, held)
        if found := outcome(ex, "response"):
            problems += [f"{at}: {m} (the first request was answered: a retry is answered from "
                         "the same snapshot)" for m in found]
            continue
        (want, residents), (got, again) = _answer(first), _answer(ex)
        if requests.before_restart(first):  # the same snapshot or a new one (J-DUR-02): the
            # page as the test data has it, not necessarily the same residents
            at += ", the product restarted since the earlier answer"
            problems += [f"{at}: {name} is {got[name]!r}, the earlier answer's {want[name]!r}"
                         for name in _HEAD[1:] if got[name] != want[name]]
            if len(again) != len(residents):
                problems.append(f"{at}: the page holds {len(again)} residents, the earlier "
                                f"answer {len(residents)}")
            continue
        problems += [f"{at}: {name} is {got[name]!r}, the earlier answer's {want[name]!r} (the "
                     "same snapshot, the same page)" for name in _HEAD if got[name] != want[name]]
        if again != residents:
            problems.append(f"{at}: the page holds {again}, the earlier answer held "
                            f"{residents} (a page is the same however often it is asked for)")
    # the earliest extract made since the product last restarted (one made before may be gone)
    kept = next((ex for ex in earlier.values() if not requests.before_restart(ex)), None)
    next_page = runner.s.suite.message(NEXT_PAGE, SERVICE, step.where).body
    return problems + (_late_pages(post, next_page, kept) if kept is not None else [])


def _late_pages(post, next_page: str, first: Exchange) -> list[str]:
    """Round 48a: an early extract's last page and the page past its end, asked for by
    ExtractId now — answers built from the snapshot, whose SentAt the invariants judge like
    every other (the forty-eighth blind batch stamped a page past the end with the time its
    snapshot was made, which a page asked for within seconds hides)."""
    (head, _) = _answer(first)
    if not head["ExtractId"] or not head["TotalPages"].isdigit():
        return []
    size = _payload(first).findtext(f"{{{JUKI}}}PageSize")  # type: ignore[union-attr]
    soap = first.soap_version or "1.1"
    problems = []
    for page in (max(int(head["TotalPages"]), 1), int(head["TotalPages"]) + 1):
        header = replace(first.header("request"), message_id=message_ids.fresh(),
                         sent_at=jst_now())
        payload = substitute(next_page, {"extract_id": head["ExtractId"], "page": page,
                                         "page_size": size}, xml=True)
        at = (f"[ExtractId {head['ExtractId']} of {first.step}] page {page} of "
              f"{head['TotalPages']} asked for "
              f"{time.monotonic() - (first.sent_monotonic or 0.0):.1f} s later (SOAP {soap})")
        ex = post(envelope(payload, soap, header), soap, header, at)
        problems += [f"{at}: {m} (a page of a known extract is answered, one past its end "
                     "with no Resident)" for m in outcome(ex, "response")]
    return problems
