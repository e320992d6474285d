"""The assertions of an ``expect`` step: each returns the problems it found (empty: it holds).

Named checks (``checks = ["binding.relates_to"]``) are the properties the standard gives a
message; the other options (outcome, http_status, fault, xpath, same_body_as, exit, stdout_json …)
are generic assertions whose expected values are the case's data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from bus.core.faults import FAULT_DETAIL_TAG, SOAP11_NS, FaultDetail
from bus.core.header import HEADER_NS, HEADER_TAG, SHA256_URI, Party, request_digest
from bus.core.service_pattern import ServicePattern
from bus.core.rules import RULE_NAMES

from . import fault_place, sent_at_forms, soap_structure, vendor_blocks, xmlread
from .envelopes import SOAP_VERSION, soap_actions
from .records import CommandRun, Exchange



class Context:
    """What checks need from the run: the catalog, its prefixes and parameters."""

    def __init__(self, catalog, validation, params: Mapping[str, Any]):
        self.catalog = catalog
        self.validation = validation
        self.params = params
        self.namespaces = {p: ns for ns, p in catalog.prefixes.items() if p != "soap"}


# --- answers to the suite's requests ----------------------------------------------------------

def outcome(ex: Exchange, want: str) -> list[str]:
    if ex.error:
        return [ex.error]
    try:
        env = ex.envelope()
    except ValueError as exc:
        return [f"HTTP {ex.status}: {exc}"]
    if want == "response" and env.is_fault:
        return [f"HTTP {ex.status}: a SOAP Fault, expected an answer: {fault_summary(env)}"]
    if want == "fault" and not env.is_fault:
        return [f"HTTP {ex.status}: an answer ({env.body.tag}), expected a SOAP Fault"]
    return []  # "either": an answer (judged by the step's xpath) or a fault (by its fault)


def fault_summary(env) -> str:
    detail = env.body.find(f".//{FAULT_DETAIL_TAG}")
    if detail is None:
        return "no pff:FaultDetail"
    d = FaultDetail.from_element(detail)
    first = d.findings[0] if d.findings else None
    return f"{d.code} ({d.party})" + (f": {first}" if first else "")


def soap_version(ctx: Context, ex: Exchange) -> list[str]:
    env = ex.envelope()
    got = SOAP_VERSION[env.soap_ns]
    problems = []
    if got != ex.soap_version:
        problems.append(f"answered in SOAP {got} to a SOAP {ex.soap_version} request")
    ctype = ex.content_type().split(";")[0].strip().lower()
    want = "text/xml" if got == "1.1" else "application/soap+xml"
    if ctype != want:
        problems.append(f"Content-Type {ctype or 'missing'} for SOAP {got}, expected {want}")
    return problems


def relates_to(ctx: Context, ex: Exchange) -> list[str]:
    reply, sent = ex.header(), ex.header("request")
    if reply.relates_to != sent.message_id:
        return [f"RelatesTo is {reply.relates_to}, the request's MessageId is {sent.message_id}"]
    return []


def request_hash(ctx: Context, ex: Exchange) -> list[str]:
    env = ex.envelope()
    el = env.root.find(f"{{{env.soap_ns}}}Header/{HEADER_TAG}/{{{HEADER_NS}}}RequestHash")
    want = request_digest(ex.request)
    if el is None:
        return ["no RequestHash in the reply header"]
    problems = []
    if (el.text or "").strip() != want:
        problems.append(f"RequestHash is {el.text}, the SHA-256 of the {len(ex.request)} request "
                        f"bytes sent is {want}")
    if el.get("algorithm") != SHA256_URI:
        problems.append(f"RequestHash algorithm is {el.get('algorithm')}, expected {SHA256_URI}")
    return problems


def echo(ctx: Context, ex: Exchange) -> list[str]:
    reply, sent = ex.header(), ex.header("request")
    problems = []
    if (reply.service_id, reply.service_version) != (sent.service_id, sent.service_version):
        problems.append(f"the reply names {reply.service_id} v{reply.service_version}, the "
                        f"request {sent.service_id} v{sent.service_version}")
    spec = ctx.catalog.service(sent.service_id)
    if spec is not None and spec.pattern is ServicePattern.NOTICE:
        # a notice is addressed to the hub; the receipt comes from the subscriber itself
        expected = Party(str(ctx.params["sut_local_gov_code"]),
                         str(ctx.params.get("sut_business_unit", sent.receiver.business_unit)),
                         str(ctx.params["sut_system_id"]))
        what = "the product"
    else:
        expected, what = sent.receiver, "the request's Receiver"
    if reply.sender != expected:
        problems.append(f"reply Sender is {reply.sender}, expected {what} {expected}")
    if reply.receiver != sent.sender:
        problems.append(f"reply Receiver is {reply.receiver}, expected the request's Sender "
                        f"{sent.sender}")
    if reply.message_id == sent.message_id:
        problems.append("the reply reuses the request's MessageId")
    return problems


def receiver(ctx: Context, ex: Exchange) -> list[str]:
    """The reply's Receiver is the request's Sender byte for byte (P-BIND-04: a SystemId of
    mixed case and the XSD's 64 characters)."""
    reply, sent = ex.header(), ex.header("request")
    if reply.receiver != sent.sender:
        return [f"reply Receiver is {reply.receiver}, expected the request's Sender "
                f"{sent.sender} exactly"]
    return []


def linkage(ctx: Context, ex: Exchange) -> list[str]:
    """RQ-BIND-05: a reply belongs to its request's linkage — the request's LinkageKind (全件 /
    差分) and StandardVersion, on every answer (each 全件 page, not-found, a receipt)."""
    reply, sent = ex.header(), ex.header("request")
    return [f"reply {name} is {got!r}, the request's is {want!r}"
            for name, got, want in (("LinkageKind", reply.linkage_kind, sent.linkage_kind),
                                    ("StandardVersion", reply.standard_version,
                                     sent.standard_version))
            if got != want]


_LENIENT = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                          huge_tree=False)


def request_root(ex: Exchange) -> etree._Element | None:
    """The request's element tree: as the product reads a usable envelope, else as XML (a
    broken envelope still has elements a finding may name), else None."""
    try:
        return ex.envelope("request").root
    except ValueError:
        pass
    try:
        return etree.fromstring(ex.request, _LENIENT)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _detail(ex: Exchange) -> etree._Element | None:
    return ex.envelope().body.find(f".//{FAULT_DETAIL_TAG}")


def fault_detail(ctx: Context, ex: Exchange) -> list[str]:
    detail = _detail(ex)
    if detail is None:
        return ["the fault carries no pff:FaultDetail"]
    return [str(f) for f in ctx.validation.validator.validate(detail)]


def sent_at_now(ctx: Context, ex: Exchange) -> list[str]:
    """RQ-MSG-10: the answer's SentAt is within ``clock_skew`` seconds of the suite's clock at
    receipt (not the request's SentAt, not a clock 9 hours off with a right suffix)."""
    try:
        value = ex.header().sent_at
    except ValueError:
        return []  # RQ-MSG-03 reports a missing header
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return []  # not a dateTime: the header's XSD (RQ-MSG-03) reports it
    if stamp.tzinfo is None:
        return []  # no offset: RQ-MSG-03
    received = dt.datetime.fromisoformat(ex.started_at) + dt.timedelta(seconds=ex.elapsed)
    skew = float(ctx.params.get("clock_skew", 120.0))
    off = (stamp - received).total_seconds()
    if abs(off) > skew:
        return [f"SentAt {value} is {off:+.0f} s from the suite's clock at receipt "
                f"({received.astimezone(stamp.tzinfo).isoformat(timespec='seconds')}); "
                f"allowed ±{skew:g} s"]
    return []


def fault_message_id(ctx: Context, ex: Exchange) -> list[str]:
    detail = _detail(ex)
    if detail is None:
        return ["the fault carries no pff:FaultDetail"]
    got = FaultDetail.from_element(detail).message_id
    want = ex.header("request").message_id
    return [] if got == want else [f"pff:MessageId is {got}, the request's MessageId is {want}"]


def client_fault_spec(ex: Exchange, spec: Mapping[str, Any] | None = None,
                      ctx: Context | None = None) -> dict[str, Any]:
    """What every fault a case expects must be: the suite sent something wrong (invalid,
    unknown, hostile, misaddressed), so the fault is the client's — pff:Party client and the
    SOAP code Client (1.1) / Sender (1.2) — unless the case names another (SOAP's own
    MustUnderstand); ``spec`` (the case's ``fault``) adds to it. A request whose platform
    header header-v1.xsd refuses is refused PF-HEADER-INVALID (docs/faults.md), whatever else
    it holds: with ``ctx``, the suite's own request is validated to know."""
    base: dict[str, Any] = {"party": "client",
                            "soap_code": "Sender" if ex.soap_version == "1.2" else "Client"}
    merged = {**base, **(spec or {})}
    if ctx is not None and sent_header_invalid(ctx, ex):  # no case may expect another code
        merged["code_in"] = [HEADER_INVALID]
    return merged


HEADER_INVALID = "PF-HEADER-INVALID"


def sent_header_invalid(ctx: Context, ex: Exchange) -> bool:
    """The request's one pfh:PlatformHeader is there and header-v1.xsd refuses it (a request
    with a DTD, not well-formed, or without one header is another rule's business)."""
    raw = ex.request.removeprefix(b"\xef\xbb\xbf")
    if b"<!DOCTYPE" in raw[:4096]:
        return False
    try:
        root = etree.fromstring(raw, xmlread.parser())
    except etree.XMLSyntaxError:
        return False
    headers = root.findall(f"*/{HEADER_TAG}")
    if len(headers) != 1:
        return False
    return any(f.is_schema for f in ctx.validation.validator.validate(headers[0]))


def fault(ctx: Context, ex: Exchange, spec: Mapping[str, Any]) -> list[str]:
    """``fault = {soap_code, code_in, party, finding = "xsd" | "rule", rule_in, at, all_of}``;
    ``at`` (with ``rule_in``) and each ``all_of``'s ``path``: the element the rule is broken at,
    judged on what a Finding gives of its place (fault_place.py)."""
    env = ex.envelope()
    problems = []
    if "soap_code" in spec:
        if env.soap_ns == SOAP11_NS:
            code = env.body.findtext("faultcode") or ""
        else:
            code = env.body.findtext(f"{{{env.soap_ns}}}Code/{{{env.soap_ns}}}Value") or ""
        local = code.rpartition(":")[2].strip()  # SOAP 1.1: Client.Detail is a Client code
        if local != spec["soap_code"] and not local.startswith(spec["soap_code"] + "."):
            problems.append(f"SOAP fault code is {code or 'missing'}, expected "
                            f"{spec['soap_code']}")
    detail_el = _detail(ex)
    if detail_el is None:
        return problems + ["the fault carries no pff:FaultDetail"]
    d = FaultDetail.from_element(detail_el)
    if "code_in" in spec and d.code not in spec["code_in"]:
        problems.append(f"pff:Code is {d.code}, expected one of {', '.join(spec['code_in'])}")
    if "party" in spec and d.party != spec["party"]:
        problems.append(f"pff:Party is {d.party}, expected {spec['party']}")
    kind = spec.get("finding")
    if kind == "xsd" and not any(f.rule.startswith("xsd:") for f in d.findings):
        problems.append(f"no finding names an xsd:* rule (rules: "
                        f"{[f.rule for f in d.findings]})")
    if kind == "rule" and not any(f.rule in RULE_NAMES or f.rule.startswith("codelist:")
                                  for f in d.findings):
        problems.append(f"no finding names a rule beyond XSD (rules: "
                        f"{[f.rule for f in d.findings]})")
    if "rule_in" in spec and not any(f.rule in spec["rule_in"] for f in d.findings):
        problems.append(f"no finding names {' or '.join(spec['rule_in'])} (rules: "
                        f"{[f.rule for f in d.findings]})")
    lines = fault_place.request_lines(ex.request)
    if spec.get("at") and "rule_in" in spec:  # fault-v1.xsd: a place's path and line
        problems += fault_place.placed(list(d.findings), spec["rule_in"], spec["at"], lines,
                                       request_root(ex))
    unused = list(d.findings)
    for want in spec.get("all_of", ()):  # one finding per problem (docs/faults.md)
        match = next((f for f in unused if f.rule == want["rule"] and (
            f.path is None or fault_place.names(f.path, want["path"]))), None)
        if match is None:
            problems.append(f"no finding (of its own) names {want['rule']} at …/{want['path']}: "
                            f"one Finding per problem (findings: "
                            f"{[(f.rule, f.path) for f in d.findings]})")
        else:
            unused.remove(match)
            problems += [p for p in [fault_place.line_problem(match, lines)] if p]
    return problems


def xpath(ctx: Context, ex: Exchange, assertions: list[Mapping[str, Any]]) -> list[str]:
    """``xpath = [{path, equals | count | exists}]`` evaluated from the answer's body element."""
    body = ex.envelope().body
    problems = []
    for a in assertions:
        try:
            result = body.xpath(a["path"], namespaces=ctx.namespaces)
        except etree.XPathError as exc:
            problems.append(f"xpath {a['path']!r} is not valid: {exc}")
            continue
        nodes = result if isinstance(result, list) else None
        if "count" in a and (nodes is None or len(nodes) != int(a["count"])):
            problems.append(f"{a['path']}: {len(nodes) if nodes is not None else result} found, "
                            f"expected {a['count']}")
        if "exists" in a and bool(nodes) != bool(a["exists"]):
            problems.append(f"{a['path']}: {'present' if nodes else 'absent'}, expected "
                            f"{'present' if a['exists'] else 'absent'}")
        if "equals" in a:
            got = _value(result)
            if got != str(a["equals"]):
                problems.append(f"{a['path']} is {_show(got)}, expected {_show(str(a['equals']))}")
    return problems


def _value(result) -> str | None:
    if isinstance(result, list):
        if not result:
            return None
        first = result[0]
        return first.text or "" if isinstance(first, etree._Element) else str(first)
    if isinstance(result, float) and result.is_integer():
        return str(int(result))
    return str(result)


def _show(text: str | None) -> str:
    """A value with its code points when it holds anything but printable BMP text, so that a
    dropped IVS selector or a substituted character is visible in the report."""
    if text is None:
        return "absent"
    if all(c.isprintable() and ord(c) < 0x10000 for c in text):
        return repr(text)
    return f"{text!r} [{' '.join(f'U+{ord(c):04X}' for c in text)}]"


def same_body(ex: Exchange, other: Exchange, ignore: list[str], namespaces) -> list[str]:
    def canonical(e: Exchange) -> bytes:
        body = etree.fromstring(etree.tostring(e.envelope().body))
        for path in ignore:
            for el in body.xpath(f".//{path}", namespaces=namespaces):
                el.getparent().remove(el)
        return etree.tostring(body, method="c14n", exclusive=True, with_comments=False)

    if canonical(ex) != canonical(other):
        return ["the answer to the resent request differs from the first answer"]
    return []


# --- requests the product sent (the suite playing the hub) ---------------------------------------

def request_addressing(ctx: Context, ex: Exchange) -> list[str]:
    header = ex.header("request")
    spec = ctx.catalog.service(ex.service)
    problems = []
    if header.service_id != ex.service:
        problems.append(f"posted to the endpoint of {ex.service}, the header names "
                        f"{header.service_id}")
    if spec is not None and header.receiver.business_unit != spec.unit:
        problems.append(f"Receiver 業務ユニット is {header.receiver.business_unit}; "
                        f"{ex.service} belongs to {spec.unit}")
    want = Party(str(ctx.params["sut_local_gov_code"]), str(ctx.params["sut_business_unit"]),
                 str(ctx.params["sut_system_id"]))
    if header.sender != want:
        problems.append(f"Sender is {header.sender}, the product is {want}")
    return problems


def request_soap_binding(ctx: Context, ex: Exchange) -> list[str]:
    env = ex.envelope("request")
    version = SOAP_VERSION[env.soap_ns]
    spec = ctx.catalog.service(ex.service)
    action = soap_actions(spec.wsdl).get(version, "") if spec else ""
    ctype = ex.content_type("request")
    media = ctype.split(";")[0].strip().lower()
    problems = []
    if version == "1.1":
        if media != "text/xml":
            problems.append(f"a SOAP 1.1 envelope sent as {media or 'no Content-Type'}")
        got = next((v for k, v in ex.request_headers.items() if k.lower() == "soapaction"), None)
        if got is None or got.strip().strip('"') != action:
            problems.append(f"SOAPAction is {got!r}, the WSDL's is {action!r}")
    else:
        if media != "application/soap+xml":
            problems.append(f"a SOAP 1.2 envelope sent as {media or 'no Content-Type'}")
        params = dict(p.strip().split("=", 1) for p in ctype.split(";")[1:] if "=" in p)
        got = params.get("action")
        if got is not None and got.strip('"') != action:
            problems.append(f"action parameter is {got}, the WSDL's is {action!r}")
    return problems


def answer_or_client_fault(ctx: Context, ex: Exchange) -> list[str]:
    """An answer, or a fault blaming the client: not a fault of the product's own."""
    env = ex.envelope()
    if not env.is_fault:
        return []
    detail = _detail(ex)
    party = FaultDetail.from_element(detail).party if detail is not None else None
    return [] if party == "client" else [f"a fault of party {party}: {fault_summary(env)}"]


def client_refusal(ctx: Context, ex: Exchange) -> list[str]:
    """The client fault README lets a product give a request it refuses for its transport (a
    Content-Type that names no SOAP version: PF-CONTENT-TYPE, 415 recommended)."""
    from .answer_comparison import client_refusal as why  # it reads this module's helpers
    found = why(ex)
    return [found] if found else []


NAMED: dict[str, Callable[[Context, Exchange], list[str]]] = {
    "answer.or_client_fault": answer_or_client_fault,
    "fault.client_refusal": client_refusal,  # P-MEDIA-01
    "soap.version": soap_version,
    "binding.relates_to": relates_to,
    "binding.request_hash": request_hash,
    "binding.echo": echo,
    "binding.linkage": linkage,  # P-LKIND-01 (INV-BIND-04 judges every answer so)
    "binding.receiver": receiver,
    "binding.not_lookalike": vendor_blocks.not_lookalike,  # P-LOOK-01
    "fault.detail": fault_detail,
    "fault.message_id": fault_message_id,
    "fault.upgrade": lambda ctx, ex: soap_structure.upgrade(ex.envelope().root),  # P-SOAP-08
    "header.sent_at_now": sent_at_now,
    "answer.or_stale": sent_at_forms.answer_or_stale,  # P-LEX-01
    "request.addressing": request_addressing,
    "request.soap_binding": request_soap_binding,
}


# --- commands ----------------------------------------------------------------------------------

def exit_status(run: CommandRun, want: str) -> list[str]:
    if run.exit_code is None:
        return [f"still running after {run.elapsed:.1f} s: killed at the step's timeout"]
    ok = run.exit_code == 0 if want == "zero" else run.exit_code != 0
    return [] if ok else [f"exit status {run.exit_code}, expected {want}"
                          + (f"; stderr: {run.stderr.strip()[-300:]}" if run.stderr.strip()
                             else "")]


def stdout_json(run: CommandRun, assertions: list[Mapping[str, Any]]) -> list[str]:
    if not isinstance(run.json, dict):
        return [f"the output is not one JSON object: {run.stdout.strip()[:200]!r}"]
    problems = []
    for a in assertions:
        value: Any = run.json
        for part in a["key"].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value != a["equals"] and str(value) != str(a["equals"]):
            problems.append(f"{a['key']} is {_show(None if value is None else str(value))}, "
                            f"expected {_show(str(a['equals']))}")
    return problems


def command(context: Context, run: CommandRun, opts: Mapping[str, Any],
            output: Callable[[str], Any]) -> list[str]:
    """An ``expect`` on a command run (a trigger, an action, an observe): ``output`` gives an
    earlier step's run by name."""
    problems = []
    if "requests" in opts and len(run.requests) != int(opts["requests"]):
        problems.append(f"the product sent {len(run.requests)} request(s), expected "
                        f"{opts['requests']}")
    if "exit" in opts:
        problems += exit_status(run, opts["exit"])
    if "stdout_json" in opts:
        problems += stdout_json(run, opts["stdout_json"])
    if opts.get("checks"):
        if not run.requests:
            return problems + ["the product sent no request"]
        for name in opts["checks"]:
            try:
                problems += NAMED[name](context, run.requests[-1])
            except ValueError as exc:
                problems.append(str(exc))
    if "distinct_message_ids" in opts:
        ids = []
        for other in opts["distinct_message_ids"]:
            try:
                ids.append(output(other).requests[-1].header("request").message_id)
            except (IndexError, ValueError) as exc:
                problems.append(f"{other}: no request with a readable header ({exc})")
        if len(set(ids)) != len(ids):
            problems.append(f"the requests share MessageId(s): {ids}")
    return problems
