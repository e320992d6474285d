"""Faulty products for round 26's rules (docs/conformance-testing.md, "Round 26"), each the
reference adapter or the SDK-built subscriber with ONE defect, written from the rules the round
settled (docs/notices.md, README, docs/characters.md), not from a batch's variants:

- a 旧氏・通称 mapper that reads C08 as "a 旧氏 is added" and C09 as "the 旧氏 is removed": a C09
  still carrying a FormerSurname refused as contradictory (``c09-with-former-surname-refused``),
  a C08 without one, on a resident holding a 旧氏, skipped as nothing to record
  (``c08-without-former-surname-skipped``) — S-FMR-01;
- a freshness check of its own on a notice's SentAt: WS-Security's usual future tolerance of
  60 s (WSS4J's ``futureTimeToLive``) refusing notices the hub let through
  (``sent-at-future-ttl-60``: S-AHEAD-01, and P-MSG-11's 200 s); an age computed as a
  non-negative duration, a server fault for a SentAt beyond the skew
  (``sent-at-far-ahead-server-fault``) — S-AHEAD-01;
- a router that takes the catalog's LinkageKind of a service for a rule: a request carrying the
  other one refused PF-HEADER-INVALID (``linkage-kind-of-service-enforced``), or the reply's
  LinkageKind written from the service rather than echoed (``linkage-kind-from-service``) —
  P-LKIND-01 on every profile (and INV-BIND-04, which judges every answer's);
- an MJ-capable subscriber taking ``cmn:Original``, where a notice carries one, for the name to
  hold (``original-held-as-name``): no new case — the cases that send an Original beside a
  different Text and observe the name catch it (docs/characters.md's rule, ST-CH-14); round 29b's
  ``original-held-when-text-has-geta`` does so only for a Text holding 〓 (the twenty-ninth
  blind batch's miss): S-GRID-01's 縮退 points.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from copy import deepcopy

from lxml import etree

from adapters.sdk.provider import ProviderError
from bus.core import faults

from .faulty_round19 import _fault
from .faulty_round25 import ALL, _served
from .faulty_tenth import hash_of_what_was_sent
from .faulty_twelfth import _in_header
from .proxy import Call, Reply
from .references import JUKI_PROFILE

from .subscriber import CMN, JUKI, TestSubscriber, instant

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round26
ROUND26_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "c09-with-former-surname-refused": ("RQ-SUB-01", ("S-FMR-01",)),
    "c08-without-former-surname-skipped": ("RQ-SUB-04", ("S-FMR-01",)),
    "sent-at-future-ttl-60": ("RQ-MSG-10", ("S-AHEAD-01",
                                            "P-MSG-11/juki.ResidentChangeNotice")),
    "sent-at-far-ahead-server-fault": ("RQ-MSG-10", ("S-AHEAD-01",)),
    "original-held-as-name": ("RQ-MSG-06", ("S-GRID-01", "S-OPT-01", "S-CHR-15")),
    # round 29b: only a Text holding 〓 — "a 縮退 that lost a character" — gives way to the
    # Original (S-GRID-01's 縮退 points; every other name carrying an Original is held as sent)
    "original-held-when-text-has-geta": ("RQ-MSG-06", ("S-GRID-01",)),
}


def _reason(change: etree._Element) -> str:
    return change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or ""


def _number(change: etree._Element) -> str:
    return change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""


def _former(change: etree._Element) -> bool:
    return change.find(f"{{{JUKI}}}Resident/{{{CMN}}}FormerSurname") is not None


class Round26Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 26's rules."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.former: dict[str, bool] = {}  # 宛名番号 → holds a 旧氏 (what the mapper keeps)

    def handler(self, header, notice: etree._Element) -> etree._Element:
        ahead = (instant(header.sent_at) - dt.datetime.now(dt.timezone.utc)).total_seconds()
        if self.mode == "sent-at-future-ttl-60" and ahead > 60:
            raise ProviderError("VENDOR-STALE", "SentAt is in the future")
        if self.mode == "sent-at-far-ahead-server-fault" and ahead > 300:
            raise ValueError("age must be a non-negative duration")
        changes = notice.findall(f"{{{JUKI}}}Change")
        if self.mode == "c09-with-former-surname-refused" and any(
                _reason(c) == "C09" and _former(c) for c in changes):
            raise ValueError("C09 (旧氏の削除) carries a FormerSurname")
        if self.mode == "c08-without-former-surname-skipped" and \
                header.message_id not in self.seen:
            kept = deepcopy(notice)
            for change in kept.findall(f"{{{JUKI}}}Change"):
                if _reason(change) == "C08" and not _former(change) and \
                        self.former.get(_number(change)):
                    kept.remove(change)  # "nothing to record": the 旧氏 stays
            for change in changes:
                if _reason(change) != "C08" or _former(change):
                    self.former[_number(change)] = _former(change)
            notice = kept
        if self.mode in ("original-held-as-name", "original-held-when-text-has-geta") and \
                header.message_id not in self.seen:
            notice = deepcopy(notice)
            for name in notice.iter(f"{{{CMN}}}Name"):
                original, text = name.find(f"{{{CMN}}}Original"), name.find(f"{{{CMN}}}Text")
                if original is not None and (self.mode == "original-held-as-name"
                                             or "〓" in (text.text or "")):
                    text.text = original.text  # "the registered form is the better name"
        return super().handler(header, notice)


# --- P-LKIND-01: a LinkageKind other than the service's ----------------------------------------

_LINKAGE_KIND = re.compile(rb"(<(?:[\w.-]+:)?LinkageKind>)([^<]*)(</)")
_FULL = {"juki.ResidentFullExtract"}  # the catalog's use (conformance/messages.toml)


def _services_kind(service: str | None) -> bytes:
    return b"full" if service in _FULL else b"delta"


def _kind_enforced(call: Call) -> bytes | Reply:
    """A header check comparing the LinkageKind with the service's (as if the catalog fixed it)."""
    m = _in_header(_LINKAGE_KIND, call.request)
    served = _served(call)
    if m is None or served is None or m.group(2) not in (b"full", b"delta") or \
            m.group(2) == _services_kind(served):
        return call.request
    return _fault(call, faults.HEADER_INVALID, "header:linkage_kind",
                  f"LinkageKind {m.group(2).decode()} does not fit {served}")


def _kind_from_service(call: Call) -> Reply:
    """The reply's LinkageKind written from the service served, not copied from the request."""
    reply = call.reply
    if reply is None:
        return reply
    served = _served(call)
    body = _LINKAGE_KIND.sub(lambda m: m.group(1) + _services_kind(served) + m.group(3),
                             reply.body, count=1)
    return Reply(reply.status, body, reply.content_type)


def _as_svs(ch: str) -> str:
    """A CJK compatibility ideograph (U+F900–U+FAFF) as its base + VS1, anything else as is."""
    base = unicodedata.normalize("NFC", ch)
    return base + "\ufe00" if "\uf900" <= ch <= "\ufaff" and base != ch else ch


def _compatibility_as_svs(call: Call) -> Reply:
    reply = call.reply
    if reply is None:
        return reply
    text = reply.body.decode("utf-8")
    return Reply(reply.status, "".join(map(_as_svs, text)).encode("utf-8"), reply.content_type)


ROUND26_WIRE = {
    "linkage-kind-of-service-enforced": {"on_request": _kind_enforced,
                                         "on_reply": hash_of_what_was_sent},
    "linkage-kind-from-service": {"on_reply": _kind_from_service},
    "compatibility-ideograph-as-svs": {"on_reply": _compatibility_as_svs},
}

# (name, the requirement it breaks, profiles, targets)
ROUND26_FAULTS: list[tuple] = [
    ("linkage-kind-of-service-enforced", "RQ-BIND-05", ALL, ("P-LKIND-01/*",)),
    ("linkage-kind-from-service", "RQ-BIND-05", ALL, ("P-LKIND-01/*", "INV-BIND-04")),
    # the test data's 神谷ﾏﾘｱ (U+FA19) and 都筑 (U+FA26): every case comparing them, and every
    # answer's names and address texts under mj_characters
    ("compatibility-ideograph-as-svs", "RQ-MSG-06", (JUKI_PROFILE,), (
        "INV-MSG-02", "J-CHR-04", "J-CHR-05", "J-CHR-06", "J-CHR-07", "J-GRID-01", "J-GRID-02",
        "J-GRID-03", "P-CAL-01", "P-CAL-02", "P-MSG-02/juki.ResidentFullExtract")),
]
ROUND26_NAMES = {entry[0] for entry in ROUND26_FAULTS}
