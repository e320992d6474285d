"""Each request judged on its own: the ``concurrent`` step, ``capture`` of a send and ``unseen``
of an expect (the ninth blind batch's classes; docs/conformance-testing.md).

``concurrent``: requests in flight at the same time, no reply bound to another of them
(P-BIND-05). Every other case sends one request and waits for its answer, so a product that
builds a reply from state shared between requests (a field of the service object, a variable of
the last request read) answers each of them right. Here ``count`` requests are released together
from a barrier, half over SOAP 1.1 and half over 1.2, each from a Sender of its own (the suite's
SystemId with a suffix); every answer must be a response, and none may carry another request's
MessageId as RelatesTo, the hash of another's bytes or another's Sender as Receiver. Whether each
binding is right at all is the invariants' (INV-BIND-01…03) and P-BIND-01…04's to judge: this
step judges only the cross-talk, so a defect of the binding in general is not counted twice.

``together`` (a send option): one request's very bytes sent several times at once — a hub
redelivering a notice while its first attempt is still in flight (S-ONCE-08); what the product
did with them is judged by the case's observation. With ``new_ids = true`` each copy is built
anew (its own MessageId and SentAt): a client's retries in flight together, not a hub's
redelivery (J-FULL-14: first 全件 requests with one RequestId at once); copy i is named
``<name>[i]`` for later steps. With ``each_resident = true`` each copy is a new message about a
fresh resident of its own (S-PAR-01: different residents' notices delivered in parallel).
"""

from __future__ import annotations

import dataclasses
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bus.core.header import HEADER_NS, HEADER_TAG, request_digest

from . import checks
from .invariants import Seen
from .records import Exchange

SOAPS = ("1.1", "1.2")


def concurrent(runner: Any, step: Any, values: dict[str, Any]) -> list[str]:
    count = int(step.get("count", 6))
    if count < 2:
        raise ValueError(f"{step.where}: count must be 2 or more")
    barrier = threading.Barrier(count)
    system = str(values["suite_system_id"])

    def one(i: int) -> Exchange:
        header = {**(step.get("header") or {}), "sender_system_id": f"{system}-c{i + 1}"}
        barrier.wait(timeout=10)  # all in flight together, not one after another
        return runner._post(step.with_options(soap=SOAPS[i % 2], header=header), values,
                            step.target, {}, f"concurrent[{i + 1}]")

    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(one, range(count)))
    problems = []
    for ex in answers:
        where = f"{ex.step} (SOAP {ex.soap_version})"
        found = [ex.error] if ex.error else checks.outcome(ex, "response")
        problems += [f"{where}: {m}" for m in found or _crossed(ex, answers)]
    return problems


def together(runner: Any, step: Any, values: dict[str, Any], name: str) -> tuple[Exchange, list[str]]:
    """``send`` with ``together = N``: one request, its very bytes sent N times released
    together from a barrier — a hub redelivering while its first attempt is still in flight.
    The first copy is the step's exchange; every copy must be answered in time."""
    count = int(step.get("together"))
    if count < 2:
        raise ValueError(f"{step.where}: together must be 2 or more")
    if step.get("each_resident"):  # notices of different residents at once (S-PAR-01)
        return _residents_together(runner, step, values, name, count)
    first, timeout = runner._build(step, values, step.target, {}, name)
    if step.get("new_ids"):  # retries: every copy a new message with the same body
        copies = [first] + [runner._build(step, values, step.target, {}, f"{name}[{i + 1}]")[0]
                            for i in range(1, count)]
    else:
        copies = [first] + [dataclasses.replace(first, step=f"{name}[{i + 1}]", _parsed={})
                            for i in range(1, count)]
    return first, _released(runner, step, first, copies, timeout)


def _residents_together(runner: Any, step: Any, values: dict[str, Any], name: str,
                        count: int) -> tuple[Exchange, list[str]]:
    """``each_resident = true``: N new messages, each about a fresh resident of its own
    (``${fresh_addressee}`` drawn anew per copy, kept as ``${<name>_addressee_<i>}``, i = 1…N,
    for the observations): a hub delivering different residents' notices in parallel
    (docs/notices.md: concurrency per subscriber)."""
    copies = []
    for i in range(1, count + 1):
        values[f"{name}_addressee_{i}"] = runner._fresh_addressee()
        mine = {**values, "fresh_addressee": values[f"{name}_addressee_{i}"]}
        copies.append(runner._build(step, mine, step.target, {},
                                    name if i == 1 else f"{name}[{i}]")[0])
    timeout = runner._timeout(step, values)
    return copies[0], _released(runner, step, copies[0], copies, timeout)


def _released(runner: Any, step: Any, first: Exchange, copies: list[Exchange],
              timeout: float) -> list[str]:
    """Send ``copies`` released together from a barrier; each recorded and judged by the
    invariants; the problems: copies (after the first) without an answer in time."""
    barrier = threading.Barrier(len(copies))

    def one(ex: Exchange) -> Exchange:
        barrier.wait(timeout=10)
        runner.s.transport.exchange(ex, timeout)
        return ex

    with ThreadPoolExecutor(len(copies)) as pool:
        answers = list(pool.map(one, copies))
    for ex in answers:
        runner.result.exchanges.append(ex)
        runner._observe_answer(step, ex)
        if ex is not first:
            runner._record(ex.step, ex)
    return [f"{ex.step}: {ex.error}" for ex in answers[1:] if ex.error]


def _crossed(ex: Exchange, burst: list[Exchange]) -> list[str]:
    """What in ``ex``'s reply header belongs to another request of the burst."""
    try:
        reply = ex.header()
    except ValueError as exc:
        return [str(exc)]
    digest = _request_hash(ex)
    problems = []
    for other in burst:
        if other is ex or other.sent_header is None:
            continue
        if reply.relates_to == other.sent_header.message_id:
            problems.append(f"RelatesTo names {other.step}'s request")
        if digest is not None and digest == request_digest(other.request):
            problems.append(f"RequestHash is the hash of {other.step}'s request")
        if reply.receiver == other.sent_header.sender:
            problems.append(f"Receiver is {other.step}'s Sender {reply.receiver.system_id}")
    return problems


def _request_hash(ex: Exchange) -> str | None:
    env = ex.envelope()
    el = env.root.find(f"{{{env.soap_ns}}}Header/{HEADER_TAG}/{{{HEADER_NS}}}RequestHash")
    return None if el is None else (el.text or "").strip()


def capture(ex: Exchange, wanted: dict[str, str], values: dict[str, Any],
            namespaces: dict[str, str]) -> list[str]:
    """``capture = { var = "xpath" }``: values of the answer for later steps (a 全件 ExtractId
    named by the next request); an answer without them is the product's failure."""
    problems = []
    for var, path in wanted.items():
        try:
            found = ex.envelope().body.xpath(path, namespaces=namespaces)
        except ValueError as exc:
            return [f"capture {var}: {exc}"]
        if not found or not isinstance(found, list) or not (found[0].text or "").strip():
            problems.append(f"capture {var}: the answer has no {path}")
            # later steps still run and name a value nobody issued: their findings are the
            # product's too, not a template error of the suite's data
            values.setdefault(var, f"missing-{var}")
            continue
        values[var] = found[0].text.strip()
    return problems


def unseen(ex: Exchange, path: str, answers: list[Seen], namespaces: dict[str, str]) -> list[str]:
    """``unseen = "xpath"``: the answer's value there was named by no earlier answer of the run
    (the identifier of something new — a snapshot made after a restart, J-DUR-01 — is new)."""
    found = ex.envelope().body.xpath(path, namespaces=namespaces)
    value = (found[0].text or "").strip() if found else None
    if not value:
        return [f"the answer has no {path}"]
    for seen in answers:
        other = seen.exchange
        if other is ex or other.error or not other.response:
            continue
        try:
            body = other.envelope().body
        except ValueError:
            continue
        if any((el.text or "").strip() == value
               for el in body.xpath(path, namespaces=namespaces)):
            return [f"{path} {value} was already named by the answer at {seen.label}"]
    return []


def fresh_message_ids(rng: random.Random) -> dict[str, str]:
    """``fresh_message_id``, a version 4 UUID drawn anew, and ``fresh_message_id_twin``, the same
    but for its last hex digit: a key kept shorter than 36 characters confuses them (S-ONCE-06)."""
    mid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return {"fresh_message_id": mid,
            "fresh_message_id_twin": mid[:-1] + "0123456789abcdef"[(int(mid[-1], 16) + 1) % 16]}
