"""Per-message invariants: what must hold for EVERY answer the product gives, in any case.

A case checks one property of one exchange; a defect that shows only on another message shape
(the SOAP 1.2 path, the third 全件 page, a not-found answer, a fault) would pass it. So every
answer the suite receives straight from the product, in every case of a run, is also checked
against each rule below, and a violation is reported under the invariant's own requirement,
naming the case and step where it was seen (``invariant = NAME`` steps in cases/invariants.toml
read them after every other case has run).

Each check takes one observed answer and returns its problems (empty: it holds, or it does not
apply to that answer — e.g. the binding of a reply to a request that had no header).
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from bus.core.faults import SOAP11_NS

from . import answer_bytes, answer_labels, checks, soap_structure
from .envelopes import SOAP_VERSION
from .fault_invariants import (detail_code, fault_code, fault_names_message, fault_parts,
                               finding_place)
from .records import Exchange


@dataclass
class Seen:
    """One answer, where it was seen: the case instance and the step (file and key)."""

    instance: str
    where: str
    exchange: Exchange

    @property
    def label(self) -> str:
        ex = self.exchange
        return f"{self.where} [{self.instance}, {ex.step}, SOAP {ex.soap_version}]"


@dataclass
class Observed:
    """Every answer of a run, in order, and what invariants spanning answers remember."""

    answers: list[Seen] = field(default_factory=list)


# --- the single-answer checks ------------------------------------------------------------------

_XML_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _codec(name: str) -> str | None:
    try:
        found = codecs.lookup(name.strip().strip('"')).name
    except LookupError:
        return None
    return "utf-16" if found.startswith("utf-16") else found


def body_encoding(raw: bytes) -> str:
    """The encoding an XML document declares by itself: its BOM, else its XML declaration,
    else UTF-8 (XML 1.0 appendix F)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    if raw[:2] in (b"<\0", b"\0<"):
        return "utf-16"
    m = _XML_DECL.match(raw)
    return (_codec(m[1].decode("ascii")) or m[1].decode("ascii").lower()) if m else "utf-8"


def soap_answer(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-SOAP-04: a SOAP envelope of the request's version, the version's media type, a charset
    that is the body's own encoding, the HTTP status that fits (200, a fault 500 / 1.2 Sender
    400)."""
    if ex.error:
        return [] if ex.error.startswith("no complete answer") else [ex.error]
    try:
        env = ex.envelope()
    except ValueError as exc:
        return [f"HTTP {ex.status} {ex.content_type() or 'no Content-Type'}: {exc}"]
    problems = []
    got = SOAP_VERSION[env.soap_ns]
    if ex.soap_version and got != ex.soap_version:
        problems.append(f"answered in SOAP {got} to a SOAP {ex.soap_version} request")
    ctype = ex.content_type()
    media = ctype.split(";")[0].strip().lower()
    want = "text/xml" if got == "1.1" else "application/soap+xml"
    if media != want:
        problems.append(f"Content-Type {media or 'missing'} for SOAP {got}, expected {want}")
    charset = _charset(ex)
    if charset is not None:
        declared, actual = _codec(charset), body_encoding(ex.response)
        if declared != actual:
            problems.append(f"Content-Type says charset={charset}, the body is {actual}")
    if env.is_fault:
        problems += fault_code(env) + fault_parts(env)
        if env.soap_ns == SOAP11_NS:
            wanted = (500,)
        else:
            code = env.body.findtext(f"{{{env.soap_ns}}}Code/{{{env.soap_ns}}}Value") or ""
            wanted = (400,) if code.rpartition(":")[2] == "Sender" else (500,)
    else:
        wanted = (200,)
    if env.is_fault and detail_code(env) == "PF-CONTENT-TYPE":
        # docs/faults.md: an answer of the HTTP layer carries its own status in both versions;
        # README names PF-CONTENT-TYPE for a charset a product may refuse (round 20)
        wanted = (*wanted, 415)
    if ex.status not in wanted:
        problems.append(f"HTTP {ex.status} for {'a fault' if env.is_fault else 'an answer'}, "
                        f"expected {wanted[0]}")
    return problems


# Encodings whose every character maps to exactly one UCS code point in every decoder: the
# Unicode ones, and US-ASCII (the rest as character references). Shift_JIS, CP932, EUC-JP and
# ISO-2022-JP are not among them: a JIS X 0208 and a CP932 decoder read 0x8160 as 〜 U+301C and
# ～ U+FF5E — the name a receiver stores depends on its library.
UCS_ENCODINGS = ("utf-8", "utf-16", "utf-32", "ascii")
# the IANA charset registry's names and aliases of those (RFC 9110 8.3.2: the label is one)
IANA_LABELS = ("utf-8", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be",
               "us-ascii", "ascii", "iso646-us", "ansi_x3.4-1968", "us", "cp367", "ibm367")


def _charset(ex: Exchange) -> str | None:
    """The answer's Content-Type charset parameter, unquoted, or None."""
    params = dict(p.strip().split("=", 1) for p in ex.content_type().split(";")[1:] if "=" in p)
    return next((v.strip().strip('"') for k, v in params.items()
                 if k.strip().lower() == "charset"), None)


def ucs_encoding(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-11: every answer is in an encoding of the UCS (platform notes: "Exchange names as
    UTF-8 UCS"): UTF-8, UTF-16, or US-ASCII with character references — never a Japanese code
    page (Shift_JIS, CP932, EUC-JP), even labelled so, with the characters beyond it as
    character references; a charset label, if any, is a registered name (not utf8)."""
    if ex.error or not ex.response:
        return []
    actual = body_encoding(ex.response)
    problems = [] if actual in UCS_ENCODINGS else [
        f"the answer is in {actual}, a code page whose mapping to UCS depends on the decoder "
        f"(platform notes: UTF-8 UCS)"]
    label = _charset(ex)
    # a label naming another encoding than the body's is INV-SOAP-04's; here: the right
    # encoding under a name only some libraries know
    if label is not None and _codec(label) in UCS_ENCODINGS and label.lower() not in IANA_LABELS:
        problems.append(f"Content-Type charset={label} is no registered name of "
                        f"{_codec(label)} (IANA: UTF-8, UTF-16, US-ASCII)")
    return problems


def strict_bytes(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-11: the answer's bytes as the encoding rules say, not as a forgiving parser reads
    them (answer_bytes.py: the BOM of UTF-16, the charset label's byte order, the declaration's
    encoding, no byte illegal in the encoding)."""
    if ex.error or not ex.response:
        return []
    return answer_bytes.problems(ex.response, _charset(ex))


def labels(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-11 (round 20): the answer's Content-Type grammar, charset and declared encoding
    within what README says every receiver reads (answer_labels.py)."""
    if ex.error or not ex.response:
        return []
    return answer_labels.problems(ex.content_type(), ex.response)


def envelope_structure(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-SOAP-09: the Envelope, Header and Body themselves as the SOAP 1.1 and 1.2 envelope
    schemas and specifications define them (soap_structure.py), on every answer."""
    env = ex.usable()
    return [] if env is None else soap_structure.structure(env.root, env.soap_ns, ex.response)


def schema(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-01: an answer's body is the service's response element, valid; a fault carries a
    valid pff:FaultDetail."""
    env = ex.usable()
    if env is None:
        return []
    if env.is_fault:
        return checks.fault_detail(ctx, ex)
    spec = ctx.catalog.service(ex.service or "")
    if spec is None:
        return []
    return ctx.validation.body_schema(env.body, spec.response_tag)


def rules(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-02: the rules beyond XSD, anywhere in an answer's body."""
    env = ex.usable()
    return [] if env is None or env.is_fault else ctx.validation.body_rules(env.body)


def header(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-03: an answer (not a fault: faults have no header) carries one valid header (its
    Receiver's rules judged as far as the request's Sender kept them: validation.header)."""
    env = ex.usable()
    if env is None or env.is_fault:
        return []
    try:
        request = ex.envelope("request") if ex.direction == "to-product" else None
    except ValueError:
        request = None
    return ctx.validation.header(env, request)


def _bound(check: Callable[[checks.Context, Exchange], list[str]]):
    def run(ctx: checks.Context, ex: Exchange) -> list[str]:
        env = ex.usable()
        if env is None or env.is_fault or ex.sent_header_read() is None:
            return []
        try:
            return check(ctx, ex)
        except ValueError as exc:  # no readable header in the answer: RQ-MSG-03 says why
            return [str(exc)]
    run.__doc__ = check.__doc__
    return run


_PRIVATE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def private_use(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-08: no private-use code point (外字) anywhere in an answer."""
    env = ex.usable()
    if env is None:
        return []
    # No private-use code point anywhere in the serialised envelope (names cannot hold one):
    # nothing to report, without a Python step per element. Otherwise the walk says where.
    if not _PRIVATE.search(etree.tostring(env.root, encoding=str)):
        return []
    problems = []
    for el in env.root.iter():
        for where, text in (("text", el.text), ("tail", el.tail)):
            if text and (m := _PRIVATE.search(text)):
                owner = el if where == "text" else el.getparent()
                problems.append(f"line {owner.sourceline}: {ctx.validation.name(owner.tag)}: "
                                f"private-use U+{ord(m[0]):04X} in {text!r}")
        for name, value in el.attrib.items():
            if m := _PRIVATE.search(value):
                problems.append(f"line {el.sourceline}: @{name}: private-use U+{ord(m[0]):04X}")
    return problems


TIME_LIMIT = "time_limit"


def time_limit(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-BEH-04: every answer within the route timeout a hub gives a provider."""
    limit = float(ctx.params.get("response_limit", 10.0))
    if ex.error and ex.error.startswith("no complete answer"):
        return [f"{ex.error} (the limit is {limit:g} s)"]
    if not ex.error and ex.elapsed > limit:
        return [f"answered in {ex.elapsed:.2f} s, the limit is {limit:g} s"]
    return []


def sent_at(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-MSG-10: SentAt is the time the answer was sent, within ``clock_skew`` seconds of the
    suite's clock (a correct +09:00 suffix on a clock 9 hours off is caught here)."""
    env = ex.usable()
    if env is None or env.is_fault:
        return []
    return checks.sent_at_now(ctx, ex)


_IMF_FIXDATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                          r"Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT")


def http_date(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-SOAP-16: an answer's Date field, when it has one, is an IMF-fixdate (RFC 9110 §5.6.7:
    a sender generates that form, GMT) within ``clock_skew`` seconds of the suite's clock at
    receipt — a local clock labelled GMT names an instant hours off (blind batch 40)."""
    if ex.error or ex.direction != "to-product":
        return []
    value = ex.http_field("date")
    if value is None:
        return []
    if not _IMF_FIXDATE.fullmatch(value.strip()):
        return [f"Date: {value!r} is not an IMF-fixdate (RFC 9110 §5.6.7: e.g. "
                f"'Sun, 06 Nov 1994 08:49:37 GMT')"]
    try:
        stamp = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # the form, with a day or an hour that does not exist
        return [f"Date: {value!r} is no instant"]
    received = dt.datetime.fromisoformat(ex.started_at) + dt.timedelta(seconds=ex.elapsed)
    skew = float(ctx.params.get("clock_skew", 120.0))
    off = (stamp - received).total_seconds()
    if abs(off) > skew + 1:  # + the second a Date is truncated to
        return [f"Date: {value} is {off:+.0f} s from the suite's clock at receipt "
                f"({received.astimezone(dt.timezone.utc):%a, %d %b %Y %H:%M:%S} GMT); "
                f"allowed ±{skew:g} s"]
    return []


def framing(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-SOAP-17: an answer is delimited by Content-Length or Transfer-Encoding, never both
    (RFC 9112 §6.2), by one Content-Length value (§6.3), the body's length where the body is
    not content-coded (blind batch 41 kept the handler's Content-Length on answers it switched
    to chunked past 8 KiB)."""
    if ex.error or ex.direction != "to-product":
        return []
    length = ex.http_field("content-length")
    if length is None:
        return []
    if (coding := ex.http_field("transfer-encoding")) is not None:
        return [f"Transfer-Encoding: {coding} and Content-Length: {length} "
                f"in one answer (RFC 9112 §6.2: never both)"]
    values = {v.strip() for v in length.split(",")}
    if len(values) != 1 or not next(iter(values)).isdigit():
        return [f"Content-Length: {length} (RFC 9112 §6.3: one decimal length)"]
    if ex.http_field("content-encoding") is None and int(length) != len(ex.response):
        return [f"Content-Length: {length}, the body has {len(ex.response)} bytes"]
    return []


RECEIPT_NS = "urn:pfbus:platform:receipt:v1"
SUBSCRIBER_STATUSES = ("applied", "duplicate")  # "accepted" is the hub's, to a publisher


def receipt(ctx: checks.Context, ex: Exchange) -> list[str]:
    """RQ-SUB-01: every receipt a subscriber gives (pfr:NoticeReceipt) names the notice it
    answers and says applied or duplicate, without the hub's pfr:Subscribers (receipt-v1.xsd:
    accepted and the count of subscribers are the hub's answer to a publisher)."""
    env = ex.usable()
    request = ex.sent_header_read()
    if env is None or env.is_fault or request is None \
            or env.body.tag != f"{{{RECEIPT_NS}}}NoticeReceipt":
        return []
    problems = []
    named = env.body.findtext(f"{{{RECEIPT_NS}}}MessageId")
    if named != request.message_id:
        problems.append(f"the receipt names {named!r}, the notice is {request.message_id}")
    status = env.body.findtext(f"{{{RECEIPT_NS}}}Status")
    if status not in SUBSCRIBER_STATUSES:
        problems.append(f"receipt Status {status!r}: a subscriber answers applied or duplicate")
    counted = env.body.findtext(f"{{{RECEIPT_NS}}}Subscribers")
    if counted is not None:  # the hub's count of the subscribers it queued for, to a publisher
        problems.append(f"the {status} receipt carries pfr:Subscribers {counted!r}: only the "
                        f"hub's receipt to a publisher counts subscribers (receipt-v1.xsd)")
    return problems


SINGLE: dict[str, Callable[[checks.Context, Exchange], list[str]]] = {
    "soap": soap_answer,
    "envelope": envelope_structure,
    "ucs_encoding": ucs_encoding,
    "strict_bytes": strict_bytes,
    "labels": labels,
    "schema": schema,
    "rules": rules,
    "header": header,
    "relates_to": _bound(checks.relates_to),
    "request_hash": _bound(checks.request_hash),
    "echo": _bound(checks.echo),
    "linkage": _bound(checks.linkage),
    "private_use": private_use,
    "fault_message_id": fault_names_message,
    "finding_place": finding_place,
    TIME_LIMIT: time_limit,
    "sent_at": sent_at,
    "http_date": http_date,
    "framing": framing,
    "receipt": receipt,
}


# --- checks across answers -----------------------------------------------------------------------

def unique_message_ids(seen: list[Seen]) -> list[str]:
    """RQ-MSG-09: every answer has a MessageId of its own; only answers to the same request
    (a resend: same MessageId) may repeat one (a cached reply)."""
    first: dict[str, tuple[str | None, Seen]] = {}
    problems = []
    for s in seen:
        env = s.exchange.usable()
        if env is None or env.is_fault:
            continue
        try:
            mid = s.exchange.header().message_id
        except ValueError:
            continue
        request = s.exchange.sent_header_read()
        asked = request.message_id if request is not None else None
        if mid in first and (asked is None or first[mid][0] != asked):
            problems.append(f"{s.label}: reply MessageId {mid} was already used by the answer "
                            f"at {first[mid][1].label}")
        first.setdefault(mid, (asked, s))
    return problems


# A SentAt of whole seconds is up to 1 s behind the instant it names; the rest absorbs the
# scheduling between the suite's clock readings and the product's (not a skew: a rate).
SENT_AT_RESOLUTION = 1.0
SENT_AT_SLACK = 0.25
_SHOWN = 3  # a frozen clock fails every later answer: the first few say it


def _sent_at(ex: Exchange) -> tuple[str, dt.datetime] | None:
    try:
        value = ex.header().sent_at
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None  # no header, no dateTime: RQ-MSG-03 reports it
    return (value, stamp) if stamp.tzinfo is not None else None


def sent_at_advances(seen: list[Seen]) -> list[str]:
    """RQ-MSG-10: SentAt tracks time across the run. Between the run's first answer and each
    later one, SentAt moves as far as the suite's clock did, within the answers' own round
    trips, the 1 s of a timestamp in whole seconds and a little scheduling: a clock frozen at
    start-up (or running at a wrong rate) stays within ``clock_skew`` of the suite's clock for a
    short run, but not in step with it. In step with either of the suite's clocks is in step:
    its monotonic clock (the product's host may differ and its wall clock be stepped on its
    own) or its wall clock (a step of the wall clock — NTP, a virtual machine resumed — moves a
    product on the same host with it). A cached reply (a MessageId repeated for a resend,
    which RQ-MSG-09 allows) keeps its first SentAt, so it is not judged."""
    first: tuple[Exchange, str, dt.datetime, Seen] | None = None
    ids: set[str] = set()
    problems = []
    for s in seen:
        ex = s.exchange
        env = ex.usable()
        if env is None or env.is_fault or ex.sent_monotonic is None:
            continue
        stamped = _sent_at(ex)
        mid = ex.header().message_id if stamped else ""
        if stamped is None or mid in ids:
            continue
        ids.add(mid)
        if first is None:
            first = (ex, *stamped, s)
            continue
        ex0, value0, stamp0, s0 = first
        assert ex0.sent_monotonic is not None
        moved = (stamped[1] - stamp0).total_seconds()
        allowed = SENT_AT_RESOLUTION + SENT_AT_SLACK + ex0.elapsed + ex.elapsed
        span = ex.sent_monotonic - ex0.sent_monotonic
        spans = [span]
        if ex.sent_wall is not None and ex0.sent_wall is not None:
            spans.append(ex.sent_wall - ex0.sent_wall)
        if all(abs(moved - each) > allowed for each in spans):
            wall = (f", {spans[1]:.1f} s by its wall clock"
                    if len(spans) > 1 and abs(spans[1] - span) >= 0.1 else "")
            problems.append(f"{s.label}: SentAt {stamped[0]} is {moved:+.1f} s from the SentAt "
                            f"{value0} of the run's first answer ({s0.label}), sent "
                            f"{span:.1f} s later by the suite's monotonic clock{wall} (allowed "
                            f"±{allowed:.1f} s): SentAt does not track time")
    if len(problems) > _SHOWN:
        problems[_SHOWN:] = [f"… and {len(problems) - _SHOWN} more answers so"]
    return problems


ACROSS: dict[str, Callable[[list[Seen]], list[str]]] = {
    "unique_message_id": unique_message_ids,
    "sent_at_advances": sent_at_advances,
}

NAMES = (*SINGLE, *ACROSS)


def judge(name: str, ctx: checks.Context, observed: Observed) -> tuple[int, list[str]]:
    """(how many answers the invariant applied to, its findings, each naming case and step)."""
    if name in ACROSS:
        return len(observed.answers), ACROSS[name](observed.answers)
    check = SINGLE[name]
    problems = []
    for s in observed.answers:
        for p in check(ctx, s.exchange):
            problems.append(f"{s.label}: {p}")
    return len(observed.answers), problems

