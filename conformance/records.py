"""What a run observes: HTTP exchanges, command runs, and the outcome of each case.

These are the evidence of the report: every byte exchanged with the product is kept exactly as
sent and received (the report may redact personal data in its copy, never here).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lxml import etree

from bus.core.envelope import Envelope, Limits, parse_envelope
from bus.core.faults import HubFault
from bus.core.header import HEADER_TAG, PlatformHeader

# The product's answers may be large (a full extract page of 1,000 residents): allow more than a
# hub would, the suite is not on a hot path.
_LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_depth=128)

class Verdict(StrEnum):
    """A case's or a check's verdict (判定); its text is what reports carry."""

    PASS = "pass"  # 適合
    FAIL = "fail"  # 不適合
    ERROR = "error"  # 判定不能: the suite could not judge (setup, a crashed product)
    SKIP = "skip"  # 対象外


PASS, FAIL, ERROR, SKIP = Verdict.PASS, Verdict.FAIL, Verdict.ERROR, Verdict.SKIP
VERDICTS = tuple(Verdict)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Exchange:
    """One HTTP exchange: a request the suite sent (or received, playing the hub), its answer."""

    step: str  # the step's name in its case
    direction: str  # "to-product" (the suite sent it) | "from-product" (the product sent it)
    method: str
    url: str
    request: bytes = b""
    request_headers: dict[str, str] = field(default_factory=dict)
    service: str | None = None
    soap_version: str | None = None  # "1.1" | "1.2" of the request
    sent_header: PlatformHeader | None = None  # the header the suite put in the request
    status: int | None = None
    response: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    error: str | None = None  # transport failure: no (complete) answer
    started_at: str = field(default_factory=now_iso)
    sent_monotonic: float | None = None  # the suite's monotonic clock when the request went out
    sent_wall: float | None = None  # the suite's wall clock then (time.time(), seconds)
    framing: str | None = None  # why the hub's answer parser refuses the answer (wire_forms)
    redelivery: bool = False  # a notice receipted before, delivered again (late_notices.py)
    _parsed: dict = field(default_factory=dict, repr=False)

    def mark_sent(self) -> float:
        """Note the suite's clocks as the request goes out; the monotonic reading."""
        self.sent_wall = time.time()
        self.sent_monotonic = time.monotonic()
        return self.sent_monotonic

    def envelope(self, which: str = "response") -> Envelope:
        """The parsed request or response (hardened parse); raises ValueError with the reason."""
        if which not in self._parsed:
            raw = self.response if which == "response" else self.request
            try:
                self._parsed[which] = parse_envelope(raw, _LIMITS)
            except HubFault as fault:
                first = fault.first
                self._parsed[which] = ValueError(
                    f"the {which} is not a usable SOAP envelope: {fault.fault.code}"
                    + (f" ({first.rule}: {first.message}, line {first.line})" if first else ""))
        value = self._parsed[which]
        if isinstance(value, Exception):
            raise value
        return value

    def header(self, which: str = "response") -> PlatformHeader:
        """The PlatformHeader of the request or response; ValueError when there is not one.
        Read once per exchange, like the envelope (the invariants ask ~13 times an exchange)."""
        key = f"{which} header"
        if key not in self._parsed:
            try:
                env = self.envelope(which)
                blocks = env.root.findall(f"{{{env.soap_ns}}}Header/{HEADER_TAG}")
                if len(blocks) != 1:
                    raise ValueError(f"the {which} carries {len(blocks)} pfh:PlatformHeader, "
                                     "not one")
                self._parsed[key] = PlatformHeader.from_element(blocks[0])
            except ValueError as exc:
                self._parsed[key] = exc
            except KeyError as exc:  # from_element reads a valid header: Sender, Receiver or
                # Service is not there in header-v1's namespace (P-NAME-01 sends such)
                self._parsed[key] = ValueError(f"the {which}'s pfh:PlatformHeader has no "
                                               f"{exc.args[0]}")
        value = self._parsed[key]
        if isinstance(value, Exception):
            raise value
        return value

    def usable(self) -> Envelope | None:
        """The parsed answer if it is a usable envelope, else None (no answer, or none a SOAP
        reader takes: INV-SOAP-04 reports why)."""
        if self.error:
            return None
        try:
            return self.envelope()
        except ValueError:
            return None

    def sent_header_read(self) -> PlatformHeader | None:
        """The request's header as the product reads it, or None: the suite sent no (readable)
        header on purpose, and a reply has nothing to bind to."""
        try:
            return self.header("request")
        except ValueError:
            return None

    def body(self, which: str = "response") -> etree._Element:
        return self.envelope(which).body

    def http_field(self, name: str, which: str = "response") -> str | None:
        """An HTTP field of the response or request, its name in any case (None: not sent)."""
        headers = self.response_headers if which == "response" else self.request_headers
        name = name.lower()
        return next((v for k, v in headers.items() if k.lower() == name), None)

    def content_type(self, which: str = "response") -> str:
        return self.http_field("content-type", which) or ""


@dataclass
class CommandRun:
    """A command the suite ran: the product's trigger or observer, a reference adapter's action."""

    step: str
    argv: list[str]
    exit_code: int | None  # None: killed at the step's timeout
    stdout: str = ""
    stderr: str = ""
    elapsed: float = 0.0
    started_at: str = field(default_factory=now_iso)
    requests: list[Exchange] = field(default_factory=list)  # what the product sent meanwhile
    started_monotonic: float = 0.0
    json: Any = None  # stdout parsed as one JSON object, when it is one


@dataclass
class StepFinding:
    """Why a step did not pass: where in the case data, and what was observed."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class CaseResult:
    id: str
    case_id: str
    title: str
    requirements: tuple[str, ...]
    service: str | None
    verdict: str
    findings: list[StepFinding] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    commands: list[CommandRun] = field(default_factory=list)
    reason: str = ""  # for skip / error: why
    duration: float = 0.0
    started_at: str = field(default_factory=now_iso)
