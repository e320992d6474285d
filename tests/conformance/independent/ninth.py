"""The ninth batch's defects of the independent adapter (variants.py NINTH_BATCH), declared here
and, where they change a whole answer, a request's reading, a notice's rules or a stored name,
written here; the smaller ones sit inline where they happen (provider.py, subscriber.py,
answers.py, adapter.py, transport.py).

Written blind (from platform.md, docs/faults.md, docs/notices.md, the schemas and this adapter,
without reading the suite): values the XSD allows that a vendor's stricter parser or column
refuses, identifiers, parties and the reply's binding, fault details, paging per request, a
household's members, notices with several changes, and a store that keeps the wrong watermark.
The rule each breaks is named in brackets.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from lxml import etree

from .standard import CMN, JST, JUKI, PFH, SOAP11, SOAP12, Answer, Refusal, m11_ok

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

NINTH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1. one message shape
    "rule-fault-party-hub": (1, S, "PF-RULE-VIOLATION faults name Party hub (the hub's table "
                                   "copied) [faults.md: client]"),
    "codelist-finding-named-by-element": (1, S, "code-list findings named after the element "
                                                "(codelist:Reason), not the list "
                                                "[faults.md: codelist:NAME]"),
    "findings-first-only": (1, S, "a fault reports only the first problem found (a fail-fast "
                                  "validator) [faults.md: one Finding per problem]"),
    "codelist-as-schema-invalid": (1, S, "code-list failures answered PF-SCHEMA-INVALID (the "
                                         "vendor's XSD has enumerations) [faults.md: "
                                         "PF-RULE-VIOLATION]"),
    "dtd-refused-as-malformed": (1, S, "a request with a DTD answered as not well-formed (the "
                                       "parser's own error) [faults.md: PF-XML-DTD]"),
    "fault-code-prefix-undeclared": (1, BOTH, "faultcode / Code Value written SOAP-ENV:Client / "
                                              "env:Sender with a prefix the envelope does not "
                                              "declare [SOAP: a QName]"),
    "misrouted-http-421": (1, P, "PF-PROVIDER-MISROUTED sent with HTTP 421 Misdirected Request "
                                 "[faults.md: 500 (1.1), 400 (1.2)]"),
    "extract-unknown-id-party-provider": (1, P, "an unknown ExtractId faulted with Party "
                                                "provider, soap:Server (\"the snapshot "
                                                "expired\") [notices.md: the client's error]"),
    "duplicate-receipt-http-409": (1, S, "'duplicate' receipts sent with HTTP 409 (the hub's "
                                         "PF-DUPLICATE-MESSAGE status) [notices.md: a "
                                         "receipt, not an error]"),
    "content-type-charset-utf8-label": (1, S, "answers labelled charset=utf8 (MySQL's name; "
                                              "not an IANA charset) [RFC 9110, IANA]"),
    "user-id-echoed": (1, S, "the reply's UserId copied from the request (another system's "
                             "account in this system's audit) [platform.md: the acting user "
                             "in the sending system]"),
    "reply-receiver-system-id-lowercased": (1, BOTH, "the reply's Receiver SystemId lower-cased "
                                                     "(the routing table's key) [header-v1.xsd: "
                                                     "the request's Sender]"),
    "relates-to-shared-field": (1, P, "RelatesTo read from a field of the shared service object: "
                                      "under concurrent requests an answer names another "
                                      "request [header-v1.xsd: the ID of the request]"),
    "large-answers-chunked-unterminated": (1, P, "answers over 8 KiB (全件 pages of 7 and more "
                                                "residents) sent chunked without the last "
                                                "chunk [RFC 9112 7.1]"),
    "fault-without-content-length": (1, S, "faults sent with neither Content-Length nor "
                                           "chunking on a kept-alive connection: the client "
                                           "cannot find their end [RFC 9112 6.3]"),
    # 2. inputs the suite may never send
    "household-members-active-only": (2, P, "household members read WHERE 住民状態 = 1: a "
                                            "転出者's household has no Member [common-v1.xsd: "
                                            "Member 1..n]"),
    "head-name-of-oldest-member": (2, P, "HeadName is the oldest member's name, not the "
                                         "世帯主's (続柄 01) [platform.md: 世帯主の氏名]"),
    "extract-request-id-forgotten-after-later-page": (
        2, P, "(Sender, RequestId) forgotten once page 2 is asked: a retried first request "
              "gets a second snapshot [notices.md: made once per RequestId]"),
    "extract-first-page-rebuilt": (2, P, "a Page 1 request naming its ExtractId builds a new "
                                         "snapshot [notices.md: every page names the same "
                                         "ExtractId]"),
    "extract-request-id-truncated-32": (2, P, "RequestId kept in a 32-character column: two "
                                              "RequestIds alike in their first 32 share one "
                                              "snapshot [juki-v1.xsd: up to 64]"),
    "page-int32-overflow": (2, P, "a Page above 2³¹−1 (xs:positiveInteger) answered with a fault "
                                  "[notices.md: a page past the end is a normal answer]"),
    "household-number-check-digit-checked": (2, S, "世帯番号 checked with modulus 11 (no rule "
                                                   "binds it) and refused [catalog.toml]"),
    "sequence-lexical-forms-refused": (2, S, "異動連番 with leading zeros or a + sign "
                                             "(xs:positiveInteger allows both) refused "
                                             "[juki-v1.xsd]"),
    "notice-name-of-first-change": (2, S, "a notice with changes of several residents: each "
                                          "stored with the first change's name (a variable set "
                                          "once) [notices.md: per change, per resident]"),
    "seen-id-taken-before-checks": (2, S, "the MessageId recorded before the notice's rules are "
                                          "checked: a refused notice sent again, corrected, is "
                                          "receipted duplicate [faults.md: taken once it passed "
                                          "every check]"),
    "seen-id-first-group-only": (2, S, "de-duplicates by the MessageId's first 8 hex digits (a "
                                       "CHAR(8) column): another notice alike there is taken "
                                       "for a duplicate [receipt-v1.xsd]"),
    "header-soap-attributes-refused": (2, BOTH, "a request whose pfh:PlatformHeader carries "
                                                "soap:mustUnderstand (an older header XSD) "
                                                "refused [header-v1.xsd: anyAttribute]"),
    "message-id-uuid4-only": (2, BOTH, "a MessageId of UUID version 1 or 7 refused (the vendor "
                                       "validates version 4) [header-v1.xsd: [1-8]]"),
    "user-id-strict-pattern": (2, P, "a UserId with @ or . refused [header-v1.xsd: "
                                     "[A-Za-z0-9._@-]]"),
    # 3. characters
    "ivs-renumbered": (3, P, "IVS selectors written as the vendor's font numbers them (葛 "
                             "U+E0102 → U+E0100) [platform.md: never normalise]"),
    "extract-pages-shift-jis": (3, P, "全件 pages written in Shift_JIS (the batch exporter's "
                                      "code page; beyond it character references) "
                                      "[platform.md: UTF-8 UCS]"),
    "stores-name-utf16-100-units": (3, S, "stores names in a column of 100 UTF-16 code units: "
                                          "names with characters beyond the BMP cut short "
                                          "[common-v1.xsd: 100 characters]"),
    "stores-apostrophe-doubled": (3, S, "stores names with ' doubled (O''BRIEN: escaped twice "
                                        "for SQL) [the record]"),
    "request-hash-without-bom": (3, P, "RequestHash over the request without its UTF-8 byte "
                                       "order mark (the reader strips it) [adapter-sdk.md: the "
                                       "exact bytes]"),
    # 4. time
    "as-of-offset-converted-to-jst": (4, P, "a 基準日 with an offset other than +09:00 taken as "
                                            "that midnight in JST: 2015-04-01+14:00 is "
                                            "2015-03-31 [xs:date: the date]"),
    "dates-with-offset": (4, P, "dates written with +09:00 (DateTimeFormatter.ISO_OFFSET_DATE) "
                                "[the record: a date without zone]"),
    "notice-dates-with-timezone-refused": (4, S, "notices whose dates carry a timezone "
                                                 "(2025-04-01+09:00) refused [xs:date]"),
    "sent-at-utc-date-jst-time": (4, BOTH, "SentAt's date from the UTC calendar, its time from "
                                           "JST: between 00:00 and 09:00 JST a day behind "
                                           "[header-v1.xsd]"),
    # 5. durability
    "extract-id-counter-per-process": (5, P, "ExtractIds numbered 1, 2, … per process: after a "
                                             "restart an old ExtractId names another snapshot "
                                             "[notices.md: one snapshot per ExtractId]"),
    "reply-id-sequence-reset-on-start": (5, S, "reply MessageIds made from a counter that "
                                                "starts again at every start-up: they repeat "
                                                "[platform.md: a unique message ID]"),
    "first-insert-sequence-not-stored": (5, S, "a resident's first change stored without its "
                                               "異動連番 (the INSERT's column list; the cache "
                                               "has it): after a restart an older change is "
                                               "applied [notices.md]"),
}

_DATES = (f"{{{CMN}}}DateOfBirth", f"{{{CMN}}}BecameResidentOn", f"{{{CMN}}}AddressFixedOn")
_NOTICE_DATES = (*_DATES, f"{{{CMN}}}OccurredOn", f"{{{CMN}}}NotifiedOn", f"{{{CMN}}}RecordedOn")
# the vendor's font: its own numbering of a few IVS sequences
_FONT_IVS = {"葛\U000e0102": "葛\U000e0100", "辻\U000e0101": "辻\U000e0100"}
_SEQUENCE = re.compile(r"[1-9][0-9]{0,17}")


def utc_now() -> dt.datetime:
    """The clock (a module function, so a test can fix the instant)."""
    return dt.datetime.now(dt.timezone.utc)


def utc_date_jst_time(now: dt.datetime) -> str:
    """sent-at-utc-date-jst-time: the date of the UTC calendar joined to the time of JST."""
    jst = now.astimezone(JST)
    return dt.datetime.combine(now.astimezone(dt.timezone.utc).date(), jst.time(), JST) \
        .isoformat(timespec="seconds")


def as_of_day_via_jst(as_of: str) -> str:
    """as-of-offset-converted-to-jst: midnight of the 基準日 at its own offset, as a JST date."""
    m = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})([+-]\d{2}:\d{2}|Z)?\s*", as_of)
    if m is None or m[2] in (None, "+09:00"):
        return as_of[:10]
    zone = dt.timezone.utc if m[2] == "Z" else dt.datetime.strptime(m[2], "%z").tzinfo
    midnight = dt.datetime.combine(dt.date.fromisoformat(m[1]), dt.time(), zone)
    return midnight.astimezone(JST).date().isoformat()


def utf16_cut(text: str, units: int) -> str:
    """stores-name-utf16-100-units: what a column of ``units`` UTF-16 code units keeps (a pair
    cut in half loses both halves)."""
    out, used = "", 0
    for c in text:
        used += 2 if ord(c) > 0xFFFF else 1
        if used > units:
            break
        out += c
    return out


class NinthBatch:
    """Mixed into Adapter: what the ninth batch's variants do to a request's reading, a notice's
    rules, an answer and a stored name."""

    defect: str | None
    ninth: dict

    # --- requests ----------------------------------------------------------------------------

    def _ninth_header_checks(self, header, mid) -> None:
        """The vendor's own header checks, stricter than header-v1.xsd."""
        d = self.defect
        if d == "header-soap-attributes-refused" and any(
                k.startswith((f"{{{SOAP11}}}", f"{{{SOAP12}}}")) for k in header.attrib):
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("xsd:attribute", "no attribute is allowed on PlatformHeader")], mid)
        if d == "message-id-uuid4-only" and mid and not re.fullmatch(
                r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", mid):
            raise Refusal("PF-HEADER-INVALID", "client", "MessageId is not a UUID",
                          [("xsd:pattern", "a version 4 UUID expected")], mid)
        user = header.findtext(f"{{{PFH}}}UserId") or ""
        if d == "user-id-strict-pattern" and not re.fullmatch(r"[A-Za-z0-9_\-]+", user):
            raise Refusal("PF-HEADER-INVALID", "client", "UserId is invalid",
                          [("xsd:pattern", "an account name of letters and digits")], mid)

    def _ninth_rules(self, body) -> list[tuple[str, str]]:
        """Rules the vendor adds to notices."""
        d, problems = self.defect, []
        if d == "household-number-check-digit-checked":  # "it looks like a 宛名番号"
            for el in body.iter(f"{{{CMN}}}HouseholdNumber"):
                if not m11_ok(el.text):
                    problems.append(("vendor:household_number", f"{el.text}: check digit"))
        if d == "sequence-lexical-forms-refused":  # the vendor's ^[1-9][0-9]*$
            for el in body.iter(f"{{{JUKI}}}Sequence"):
                if not _SEQUENCE.fullmatch(el.text or ""):
                    problems.append(("vendor:sequence", f"{el.text}: not a number"))
        if d == "notice-dates-with-timezone-refused":  # LocalDate.parse
            for el in body.iter(*_NOTICE_DATES):
                if len(el.text.strip()) != 10:
                    problems.append(("vendor:date", f"{el.text}: yyyy-mm-dd expected"))
        return problems

    def _ninth_findings(self, problems, mid) -> list:
        d = self.defect
        if d == "findings-first-only":
            problems = problems[:1]
        if d == "codelist-as-schema-invalid" and problems and all(
                rule.startswith("codelist") for rule, _ in problems):
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [("xsd:enumeration", m) for _, m in problems], mid)
        return problems

    # --- answers -----------------------------------------------------------------------------

    def _ninth_answer(self, response) -> None:
        d = self.defect
        if d == "dates-with-offset":
            for el in response.iter(*_DATES):
                el.text += "+09:00"
        if d == "ivs-renumbered":
            for el in response.iter(f"{{{CMN}}}Text"):
                for old, new in _FONT_IVS.items():
                    el.text = el.text.replace(old, new)

    def _ninth_relates_to(self, relates: str) -> str:
        """relates-to-shared-field: the request's ID kept in the service object when it was read;
        the answer's header is written after the lookup (the vendor's database: 0.2 s here)."""
        if self.defect != "relates-to-shared-field":
            return relates
        time.sleep(0.2)
        return self.ninth.get("current", relates)

    def _ninth_message_id(self) -> str | None:
        if self.defect != "reply-id-sequence-reset-on-start":
            return None
        self.ninth["sequence"] = self.ninth.get("sequence", 0) + 1
        return "00000000-0000-4000-8000-%012d" % self.ninth["sequence"]


def http_defect(handler, defect: str | None, answer: Answer) -> bool:
    """The ninth batch's HTTP defects, once the status line and Content-Type are sent: True when
    the answer was written (the connection stays open: HTTP/1.1 keep-alive)."""
    if defect == "large-answers-chunked-unterminated" and len(answer.body) > 8192:
        handler.send_header("Transfer-Encoding", "chunked")  # the framework's buffer is full:
        handler.end_headers()  # it switches to chunked, and the wrapper's close() never
        for i in range(0, len(answer.body), 8192):  # writes the last chunk
            part = answer.body[i:i + 8192]
            handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        return True
    if defect == "fault-without-content-length" and b"Fault>" in answer.body:
        handler.end_headers()  # the error path writes the body straight to the socket
        handler.wfile.write(answer.body)
        return True
    return False


def shift_jis_answer(env, soap: str, status: int) -> Answer:
    """extract-pages-shift-jis: the envelope written in Shift_JIS (characters beyond it as
    character references), labelled so."""
    media = "text/xml" if soap == SOAP11 else "application/soap+xml"
    body = etree.tostring(env, encoding="Shift_JIS", xml_declaration=True)
    return Answer(status, body, f"{media}; charset=Shift_JIS")


# The ninth batch's blind misses (measured on e8c4f7e, 22/46 caught), allowed by the slow
# measurement until cases are written for their classes; sent-at-utc-date-jst-time is caught
# only while the UTC date differs from Japan's (00:00–09:00 JST), so it may be missed by day.
# Caught after the fact and removed here: the reply's binding (P-BIND-04/05), paging per request
# (J-FULL-10…12), ExtractIds across a restart (J-DUR-01), idempotency keys whole (S-ONCE-05/06),
# escaping (S-CHR-09) and encodings (INV-MSG-11); then a rule per fault (round 8's P-FAULT-02)
# and the XSD's edge values (P-EDGE-02, S-EDGE-02) — 38/46 at 0bc8c2b; then how a product refuses
# and reads a date (P-FAULT-10, P-HOST-01…03's code and rule, P-SOAP-06, RQ-FAULT-09 on J-FULL-04,
# P-EDGE-03, S-EDGE-03) — 45/46 on 3 December 2026 23:16–23:21 UTC (08:16–08:21 JST: the UTC
# date a day behind, so sent-at-utc-date-jst-time was caught). user-id-echoed is judged no
# defect: no document says what a reply's UserId is, and the platform's own reply header keeps
# the request's (docs/conformance-testing.md).
NINTH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("user-id-echoed", "subscriber"),
    ("sent-at-utc-date-jst-time", "provider"),
    ("sent-at-utc-date-jst-time", "subscriber"),
})
