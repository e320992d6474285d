"""How two answers are judged alike: the same kind (answer or fault), HTTP status and body field
by field (``compare``, used by every case that sends one request in several forms: the
equivalence variants, the wire forms, the parties, the extremes, identifiers and check digits),
the one refusal SOAP 1.2 lets a receiver give a form instead (``sender_refusal``), and the
client fault README lets a product answer a form it may refuse (``client_refusal``)."""

from __future__ import annotations

from lxml import etree

from bus.core.faults import FAULT_DETAIL_TAG, SOAP11_NS, SOAP12_NS, FaultDetail

from . import checks
from .records import Exchange


def first_difference(a: etree._Element, b: etree._Element) -> str:
    """Where two answers' bodies first differ, element by element in document order."""
    for x, y in zip(a.iter(), b.iter(), strict=False):
        if x.tag != y.tag:
            return f"{y.tag} where the canonical answer has {x.tag}"
        if (x.text or "").strip() != (y.text or "").strip():
            return f"{etree.QName(y).localname} is {(y.text or '').strip()!r}, " \
                f"canonical {(x.text or '').strip()!r}"
    return "a different number of elements"


def _canonical_body(env, ignore: list[str], namespaces) -> etree._Element:
    body = etree.fromstring(etree.tostring(env.body))
    for path in ignore:
        for el in body.xpath(f".//{path}", namespaces=namespaces):
            el.getparent().remove(el)
    return body


def compare(canon: Exchange, ex: Exchange, ignore: list[str], namespaces) -> list[str]:
    """The variant's answer judged against the canonical one: the same kind (answer or fault),
    the same HTTP status, the same body field by field (``ignore``: fields that name the message,
    e.g. the receipt's MessageId, or a new snapshot's ExtractId)."""
    if ex.error:
        return [ex.error]
    try:
        want, got = canon.envelope(), ex.envelope()
    except ValueError as exc:
        return [f"HTTP {ex.status}: {exc}"]
    if want.is_fault != got.is_fault:
        summary = checks.fault_summary(got if got.is_fault else want)
        which = "a SOAP Fault" if got.is_fault else "an answer"
        return [f"HTTP {ex.status}: {which} where the canonical form got "
                f"{'an answer' if got.is_fault else 'a SOAP Fault'} ({summary})"]
    problems = []
    if ex.status != canon.status:
        problems.append(f"HTTP status {ex.status}, the canonical form's {canon.status}")
    if got.is_fault:
        a, b = checks.fault_summary(want).split(" ")[0], checks.fault_summary(got).split(" ")[0]
        if a != b:
            problems.append(f"fault {b}, the canonical form's {a}")
        return problems
    x, y = _canonical_body(want, ignore, namespaces), _canonical_body(got, ignore, namespaces)
    c14n = {"method": "c14n", "exclusive": True, "with_comments": False}
    if etree.tostring(x, **c14n) != etree.tostring(y, **c14n):  # type: ignore[call-overload]
        problems.append(f"answered differently: {first_difference(x, y)}")
    return problems


def _envelope_or_why(ex: Exchange):
    """The answer's envelope, else why there is none (a str)."""
    if ex.error:
        return ex.error
    try:
        return ex.envelope()
    except ValueError as exc:
        return f"HTTP {ex.status}: {exc}"


def _client_party(env) -> str | None:
    """Why the Fault's pff:FaultDetail does not blame the client, or None."""
    detail = env.body.find(f".//{FAULT_DETAIL_TAG}")
    if detail is None:
        return "it carries no pff:FaultDetail"
    party = FaultDetail.from_element(detail).party
    return None if party == "client" else f"pff:Party is {party}, not client"


def _local_code(env) -> str:
    """The Fault's code as written: 1.1 faultcode, 1.2 Code/Value."""
    if env.soap_ns == SOAP11_NS:
        return env.body.findtext("faultcode") or ""
    return env.body.findtext(f"{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value") or ""


def sender_refusal(ex: Exchange) -> str | None:
    """Why ``ex``'s answer is not the fault SOAP 1.2 Part 1 §5 lets a receiver give a message
    holding a processing instruction — a SOAP 1.2 Fault whose Code is env:Sender, HTTP 400
    (Part 2 7.5.2.2), with a pff:FaultDetail of Party client (docs/faults.md recommends
    PF-SOAP-ENVELOPE; the code is not judged); None when it is that fault."""
    env = _envelope_or_why(ex)
    if isinstance(env, str):
        return env
    if env.soap_ns != SOAP12_NS or not env.is_fault:
        return "not a SOAP 1.2 Fault"
    code = _local_code(env)
    if code.rpartition(":")[2].strip() != "Sender":
        return f"its Code is {code or 'missing'}, not env:Sender"
    if ex.status != 400:
        return f"HTTP {ex.status}: env:Sender is answered with 400"
    return _client_party(env)


def client_refusal(ex: Exchange) -> str | None:
    """Why ``ex``'s answer is not the client fault README lets a product give a request it may
    refuse (a charset other than UTF-8, UTF-16 and US-ASCII, …): a Fault in the request's SOAP
    version whose code is the client's (soap:Client / env:Sender), a pff:FaultDetail of Party
    client, HTTP 415 (recommended, with PF-CONTENT-TYPE) or the version's client status (500 /
    400); None when it is one. The code is not judged (PF-CONTENT-TYPE is recommended)."""
    env = _envelope_or_why(ex)
    if isinstance(env, str):
        return env
    if not env.is_fault:
        return "not a SOAP Fault"
    want, status = ("Client", 500) if env.soap_ns == SOAP11_NS else ("Sender", 400)
    code = _local_code(env)
    local = code.rpartition(":")[2].strip()
    if local != want and not local.startswith(want + "."):
        return f"its code is {code or 'missing'}, not the client's ({want})"
    if ex.status not in (415, status):
        return f"HTTP {ex.status}: a client fault is answered with 415 or {status}"
    return _client_party(env)
