"""The twentieth blind batch of defects (issue 11): plausible single mistakes of a vendor's code
path, written from the public documents only (README, docs/notices.md, docs/faults.md,
docs/characters.md, the XSDs and WSDLs, the code lists, ../shared/docs/platform.md, and the
standards: SOAP 1.1/1.2, XML 1.0, Namespaces in XML, XML Schema, HTTP/1.1, RFC 7303) and this
independent adapter's code, by a helper engineer (session b20) who has not read the suite, and
committed before the suite was run on it. None repeats a defect of the earlier batches (seventh
… nineteenth, and variants.py's DEFECTS), which were read for the mechanics and to stay clear of
them; none is a behaviour those documents permit or leave open.
``TwentiethBatch`` is mixed into ``Adapter``; its ``_twentieth_*`` hooks are called where each
defect lives and change nothing when no defect of this batch is selected. The subscriber's store
and notice-mapper hooks are in twentieth_store.py.

Measured once, blind, on f26c347 (main at that moment: the suite with round 16b's second part
and round 17 in — written for the sixteenth and seventeenth batches by authors who had not seen
this one — and neither round 18 nor round 19, both being written meanwhile without it;
`python -m tests.conformance.independent_runs TWENTIETH_BATCH`, 2026-12-05 09:27:28Z –
09:29:40Z, two at a time, load average 6.4 → 7.3 from other helpers' work): 24/29 caught =
82.8 %. Per class: 1 (one message shape) 9/9, 2 (inputs rarely sent) 9/11, 3 (characters) 1/3,
4 (time) 3/3, 5 (durability) 2/3. Per role: provider 11/13, subscriber 13/16. No variant crashed
or failed to start. Missed (TWENTIETH_MEASURED_MISSES; no variant was changed after the
measurement):
- hyphenated-prefix-refused (provider and subscriber): a namespace prefix with a hyphen or a dot
  (an NCName) refused;
- us-ascii-request-refused (provider and subscriber): a request labelled charset=us-ascii (its
  other characters as character references) refused PF-CONTENT-TYPE;
- refused-notices-retried-on-start (subscriber): notices refused for a bad check digit kept and
  applied at the next start.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

from lxml import etree

from .standard import CMN, JUKI, PFH, SOAP12, Refusal
from .twentieth_store import TwentiethStore

P, S, BOTH = ("provider",), ("subscriber",), ("provider", "subscriber")

# name → (class of issue 11, roles, what it does wrong [the requirement a vendor can read])
TWENTIETH_DEFECTS: dict[str, tuple[int, tuple[str, ...], str]] = {
    # 1 — a rule broken on one message shape, answer kind, page, party kind or change kind only
    "foreigner-address-fixed-on-omitted": (
        1, P, "residents of ResidentKind 2 (外国人住民) are read from the vendor's foreigner "
              "table, whose column list has no 住所を定めた年月日: their answers lack "
              "cmn:AddressFixedOn the record holds; 日本人住民 are right [common-v1.xsd "
              "ResidentType: AddressFixedOn (住所を定めた年月日), recorded for the resident; "
              "juki-v1.xsd ResidentInquiryResponse: the resident's record]"),
    "by-individual-number-resident-code-omitted": (
        1, P, "an inquiry by 個人番号 is served by a second SELECT whose column list forgets the "
              "住民票コード: the answered resident lacks cmn:ResidentCode; inquiries by 宛名番号 "
              "are right [common-v1.xsd ResidentType: ResidentCode; juki-v1.xsd: the same "
              "ResidentInquiryResponse whichever key was asked]"),
    "extract-last-page-relates-to-omitted": (
        1, P, "the 全件 page that ends the transfer (Page = TotalPages) is written by the "
              "\"transfer complete\" writer, which leaves pfh:RelatesTo out; other pages and "
              "inquiries are right [README: a reply sets RelatesTo to the request's MessageId]"),
    "inquiry-as-of-former-surname-dropped": (
        1, P, "an inquiry with a 基準日 is answered from the history view, which has no 旧氏 "
              "column: the resident's cmn:FormerSurname is missing; inquiries without AsOf are "
              "right; the record holds the 旧氏 and no change after the 基準日 [common-v1.xsd "
              "ResidentType: FormerSurname (旧氏); juki-v1.xsd AsOf: the resident as they were "
              "on that date]"),
    "later-pages-standard-version-omitted": (
        1, P, "pages after the first are written by the cursor writer, whose header template "
              "has no pfh:StandardVersion: every later 全件 page's header lacks it; first pages "
              "and inquiries are right [header-v1.xsd PlatformHeaderType: StandardVersion "
              "required; README: every message carries the platform header]"),
    "soap12-request-hash-dsig-more-uri": (
        1, BOTH, "the SOAP 1.2 reply writer (a second library) names the digest with XML "
                 "Signature's identifier, algorithm=\"http://www.w3.org/2001/04/xmldsig-more"
                 "#sha256\"; the digest is right, and SOAP 1.1 replies name xmlenc#sha256 "
                 "[header-v1.xsd RequestHashType: algorithm fixed "
                 "http://www.w3.org/2001/04/xmlenc#sha256]"),
    "multi-change-receipt-relates-to-omitted": (
        1, S, "a notice holding more than one juki:Change is receipted by the batch receipt "
              "writer, which leaves pfh:RelatesTo out; one-change notices are right [README: a "
              "reply sets RelatesTo to the request's MessageId; docs/notices.md: the receipt "
              "relates to the notice]"),
    "individual-number-change-name-not-written": (
        1, S, "a C06 個人番号変更 is applied to the 個人番号 column only: the rest of the state it "
              "carries (the name) is not written, its 異動連番 is recorded; other reasons are "
              "right [docs/notices.md: a change carries the resident's whole state and the "
              "subscriber applies it; codelists/change_reason.csv C06]"),
    # 2 — inputs rarely sent: unusual but valid XML forms, keys, values and combinations
    "trailing-newline-refused": (
        2, BOTH, "the front end checks that the message ends with '>': a message with a line "
                 "feed (or any white space) after </soap:Envelope> is refused PF-SOAP-ENVELOPE "
                 "[XML 1.0 §2.1: document ::= prolog element Misc*, Misc includes S; RFC 9112: "
                 "the body is the message's bytes]"),
    "hyphenated-prefix-refused": (
        2, BOTH, "the front end's prefix scanner knows prefixes of letters and digits only: a "
                 "message whose unit namespace is bound to a prefix with a hyphen or a dot "
                 "(juki-v1:) is refused PF-SOAP-ENVELOPE [Namespaces in XML §3: a prefix is an "
                 "NCName, which may hold '-', '.' and '_'; the prefix carries no meaning]"),
    "individual-number-with-as-of-refused": (
        2, P, "an inquiry by 個人番号 that also gives a 基準日 is refused VENDOR-AS-OF (client): "
              "the vendor's 個人番号 lookup is \"current residents only\" [juki-v1.xsd "
              "ResidentInquiryRequest: a choice of AddresseeNumber or IndividualNumber, then "
              "AsOf minOccurs 0, with either key]"),
    "sender-system-id-punctuation-refused": (
        2, P, "the sender's SystemId is checked against the vendor's own pattern [A-Za-z0-9]+: "
              "a system named tax.batch-01 is refused PF-HEADER-INVALID [header-v1.xsd "
              "SystemIdType: [A-Za-z0-9][A-Za-z0-9._\\-]{0,63}]"),
    "notice-event-notified-on-refused": (
        2, S, "the notice mapper knows Event as Reason and OccurredOn: a change whose cmn:Event "
              "also carries NotifiedOn or RecordedOn (届出年月日, 記録年月日) is refused "
              "PF-SCHEMA-INVALID [common-v1.xsd ChangeEventType: NotifiedOn and RecordedOn "
              "minOccurs 0; docs/faults.md: PF-SCHEMA-INVALID is a body that violates the "
              "service's schema]"),
    "notice-former-surname-refused": (
        2, S, "the tax system's notice mapper has no 旧氏 column and refuses, rather than "
              "ignores, a change whose resident carries cmn:FormerSurname: VENDOR-UNSUPPORTED "
              "(client) [common-v1.xsd ResidentType: FormerSurname minOccurs 0; docs/notices.md: "
              "a valid notice is applied — a subscriber keeps what it needs of the state]"),
    "notice-address-code-refused": (
        2, S, "a resident whose cmn:Address carries cmn:AddressCode (住所コード) besides the "
              "text is refused VENDOR-ADDRESS (client) as \"code and text both given\" "
              "[common-v1.xsd AddressType: AddressCode minOccurs 0 before Prefecture, City, "
              "Town; no rule in the documents forbids both]"),
    "hoisted-namespace-declarations-refused": (
        2, BOTH, "the header is cut out of the request as text (from <pfh:PlatformHeader to its "
                 "end tag) and parsed alone: a request that declares the header's namespace on "
                 "soap:Envelope, as many SOAP stacks hoist their declarations, has an unbound "
                 "prefix there and is refused PF-HEADER-INVALID [Namespaces in XML §6.1: a "
                 "declaration applies to its element and all its descendants]"),
    # 3 — characters: encodings and width
    "us-ascii-request-refused": (
        3, BOTH, "the charset allow-list holds utf-8 and utf-16 only: a request labelled "
                 "charset=us-ascii and declared encoding=\"US-ASCII\" (its non-ASCII characters "
                 "as character references) is refused PF-CONTENT-TYPE [XML 1.0 §4.3.3 and "
                 "§4.1: any encoding the processor reads, character references for the rest; "
                 "RFC 7303 §3: the charset parameter names the message's encoding; a US-ASCII "
                 "message is UTF-8 too]"),
    "stores-full-width-latin-narrowed": (
        3, S, "the name column is written through the vendor's \"half-width alphanumerics\" "
              "policy: full-width Latin letters, digits and the ideographic space are narrowed "
              "(ＲＯＳＳＩ　ＶＩＯＬＡ → ROSSI VIOLA) [docs/characters.md and "
              "../shared/docs/platform.md: a registered name reaches every system exactly as "
              "registered, never normalised]"),
    # 4 — time: calendar boundaries, eras
    "as-of-month-end-internal": (
        4, P, "the 基準日 is turned into an exclusive upper bound as date(y, m, d + 1): a 基準日 "
              "on the last day of a month (2025-01-31) raises and is answered "
              "PF-PROVIDER-INTERNAL [juki-v1.xsd AsOf: xs:date, any day, inclusive — found if "
              "BecameResidentOn is on or before it]"),
    "occurred-on-december-internal": (
        4, S, "the change is filed in a monthly partition whose upper bound is date(y, m + 1, 1): "
              "a change whose 異動年月日 falls in December raises and the notice is answered "
              "PF-PROVIDER-INTERNAL, never applied [common-v1.xsd ChangeEventType OccurredOn: "
              "xs:date; docs/notices.md: a valid notice is applied and receipted]"),
    "occurred-on-showa-refused": (
        4, S, "異動年月日 is converted to the vendor's 和暦 column, whose era table starts at 平成: "
              "a change dated before 1989-01-08 (a 誤記修正 of an old record, 昭和) is refused "
              "VENDOR-DATE (client) [common-v1.xsd OccurredOn: xs:date, the Gregorian "
              "calendar; docs/notices.md: a valid notice is applied]"),
    # 5 — durability: state across a restart
    "watermark-rebuilt-from-change-count-on-start": (
        5, S, "the start-up consistency job rebuilds each resident's last 異動連番 from the count "
              "of changes applied (\"連番 start at 1 without gaps\"): after a restart a stale "
              "change (異動連番 5 held, 3 redelivered late) overwrites the newer state [docs/"
              "notices.md: a change is applied exactly when its 異動連番 is greater than the "
              "last one applied, as a number — not the count of changes]"),
    "removed-residents-purged-on-start": (
        5, S, "a start-up housekeeping job deletes the rows of residents whose last change was a "
              "消除 (B01…B07), their last 異動連番 with them: after a restart an older change "
              "of that resident delivered late is applied as a new resident [docs/notices.md: "
              "a 消除 keeps the record, marked removed; a later change is never overtaken by "
              "an older one]"),
    "refused-notices-retried-on-start": (
        5, S, "a notice refused for a rule violation (a 宛名番号 check digit) is kept in a "
              "dead-letter table \"to retry\", and the start-up job applies the dead letters: "
              "after a restart a change the subscriber refused is stored [docs/notices.md: a "
              "notice refused with a fault changes nothing — delivered again it is refused "
              "again, once corrected it is applied whole]"),
}

# The blind measurement's misses (name, role): none until the lead measures the batch.
TWENTIETH_MEASURED_MISSES: frozenset[tuple[str, str]] = frozenset({
    ("hyphenated-prefix-refused", "provider"),
    ("hyphenated-prefix-refused", "subscriber"),
    ("us-ascii-request-refused", "provider"),
    ("us-ascii-request-refused", "subscriber"),
    ("refused-notices-retried-on-start", "subscriber"),
})

_EXTRACT = f"{{{JUKI}}}ResidentFullExtractResponse"
_INQUIRY = f"{{{JUKI}}}ResidentInquiryResponse"
_RECEIPT_LOCAL = "NoticeReceipt"
_DECLARED_PREFIX = re.compile(rb"xmlns:([^\s=]+)\s*=")
_PLAIN_PREFIX = re.compile(rb"[A-Za-z][A-Za-z0-9]*")
_VENDOR_SYSTEM_ID = re.compile(r"[A-Za-z0-9]+")
_HEISEI = "1989-01-08"
_HEADER_TEXT = re.compile(rb"<([\w.\-]+:)?PlatformHeader[\s>].*?</\1?PlatformHeader>", re.S)


def month_partition_bound(day: str) -> dt.date:
    """The first day after ``day``'s month, as the vendor computes it (December raises)."""
    d = dt.date.fromisoformat(day)
    return dt.date(d.year, d.month + 1, 1)


def exclusive_day_bound(day: str) -> dt.date:
    """The day after ``day``, as the vendor computes it (a month's last day raises)."""
    d = dt.date.fromisoformat(day)
    return dt.date(d.year, d.month, d.day + 1)


class TwentiethBatch(TwentiethStore):
    """Mixed into Adapter: the twentieth batch's hooks (identity without one of its defects)."""

    role: str
    defect: str | None
    twentieth: dict

    def _twentieth_mine(self) -> bool:
        return self.defect in TWENTIETH_DEFECTS and \
            self.role in TWENTIETH_DEFECTS[self.defect or ""][1]

    def _twentieth_request(self) -> threading.local:
        """The request being served (one thread per request): what later hooks read."""
        local = self.twentieth.get("local")
        if local is None:
            local = self.twentieth["local"] = threading.local()
        return local

    # --- HTTP in: the front end's filters ----------------------------------------------------

    def _twentieth_raw(self, raw: bytes, content_type: str) -> None:
        if not self._twentieth_mine():
            return
        d = self.defect
        if d == "trailing-newline-refused" and not raw.endswith(b">"):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "content after the envelope",
                          [("xml:well-formed", "the message does not end with the envelope")])
        if d == "hyphenated-prefix-refused" and any(
                _PLAIN_PREFIX.fullmatch(p) is None for p in _DECLARED_PREFIX.findall(raw)):
            raise Refusal("PF-SOAP-ENVELOPE", "client", "an invalid namespace prefix",
                          [("xml:namespace", "prefixes are letters and digits")])
        if d == "hoisted-namespace-declarations-refused" and \
                (cut := _HEADER_TEXT.search(raw)) is not None:
            try:
                etree.fromstring(cut[0])
            except etree.XMLSyntaxError as exc:
                raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                              [("xsd:header", str(exc))]) from None
        if d == "us-ascii-request-refused":
            charset = next((p.split("=", 1)[1].strip().strip('"').lower()
                            for p in content_type.split(";")[1:]
                            if p.strip().lower().startswith("charset=")), "utf-8")
            if charset not in ("utf-8", "utf-16"):
                raise Refusal("PF-CONTENT-TYPE", "client", "unsupported charset",
                              [("http:content-type", f"charset {charset} is not supported")])

    # --- the platform's checks passed: the vendor's own --------------------------------------

    def _twentieth_checks(self, header, body, mid) -> None:
        if not self._twentieth_mine():
            return
        self._twentieth_request().body = body  # what the answer hooks read
        d = self.defect
        if d == "refused-notices-retried-on-start":
            self._twentieth_dead_letters(body)
        as_of = (body.findtext(f"{{{JUKI}}}AsOf") or "").strip()
        if d == "as-of-month-end-internal" and as_of:
            try:
                exclusive_day_bound(as_of[:10])
            except ValueError as exc:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the 基準日 cannot be read",
                              [("vendor:as_of", str(exc))], mid) from None
        if d == "individual-number-with-as-of-refused" and as_of and \
                body.find(f"{{{JUKI}}}IndividualNumber") is not None:
            raise Refusal("VENDOR-AS-OF", "client", "基準日 not supported with 個人番号",
                          [("vendor:as_of", "current residents only by 個人番号")], mid)
        if d == "sender-system-id-punctuation-refused":
            system = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId") or ""
            if _VENDOR_SYSTEM_ID.fullmatch(system) is None:
                raise Refusal("PF-HEADER-INVALID", "client", "the sender is invalid",
                              [("header:sender", f"SystemId {system}")], mid)
        events = list(body.iter(f"{{{JUKI}}}Event"))
        if d == "notice-event-notified-on-refused" and any(
                e.find(f"{{{CMN}}}NotifiedOn") is not None
                or e.find(f"{{{CMN}}}RecordedOn") is not None for e in events):
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [("xsd:element", "unexpected element in cmn:Event")], mid)
        if d == "notice-former-surname-refused" and \
                any(True for _ in body.iter(f"{{{CMN}}}FormerSurname")):
            raise Refusal("VENDOR-UNSUPPORTED", "client", "旧氏 is not supported",
                          [("vendor:former_surname", "no 旧氏 column")], mid)
        if d == "notice-address-code-refused" and \
                any(True for _ in body.iter(f"{{{CMN}}}AddressCode")):
            raise Refusal("VENDOR-ADDRESS", "client", "address code and text both given",
                          [("vendor:address", "give the code or the text")], mid)
        occurred = [(e.findtext(f"{{{CMN}}}OccurredOn") or "").strip()[:10] for e in events]
        if d == "occurred-on-december-internal":
            try:
                for day in occurred:
                    month_partition_bound(day)
            except ValueError as exc:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:partition", str(exc))], mid) from None
        if d == "occurred-on-showa-refused" and any(day < _HEISEI for day in occurred):
            raise Refusal("VENDOR-DATE", "client", "異動年月日 before 平成",
                          [("vendor:era", "no era for the date")], mid)

    # --- answers ---------------------------------------------------------------------------

    def _twentieth_reply_header(self, h, response, soap: str) -> None:
        if not self._twentieth_mine():
            return
        digest = h.find(f"{{{PFH}}}RequestHash")
        if self.defect == "soap12-request-hash-dsig-more-uri" and soap == SOAP12 and \
                digest is not None:
            digest.set("algorithm", "http://www.w3.org/2001/04/xmldsig-more#sha256")
        if self.defect == "later-pages-standard-version-omitted" and response.tag == _EXTRACT \
                and response.findtext(f"{{{JUKI}}}Page") != "1":
            h.remove(h.find(f"{{{PFH}}}StandardVersion"))
        relates_to = h.find(f"{{{PFH}}}RelatesTo")
        if relates_to is None:
            return
        if self.defect == "extract-last-page-relates-to-omitted" and response.tag == _EXTRACT \
                and response.findtext(f"{{{JUKI}}}Page") == \
                response.findtext(f"{{{JUKI}}}TotalPages"):
            h.remove(relates_to)
        body = getattr(self._twentieth_request(), "body", None)
        if self.defect == "multi-change-receipt-relates-to-omitted" and body is not None and \
                response.tag.endswith(_RECEIPT_LOCAL) and \
                len(body.findall(f"{{{JUKI}}}Change")) > 1:
            h.remove(relates_to)

    def _twentieth_answer(self, response) -> None:
        """The answer's body element, before it is written."""
        if not self._twentieth_mine() or self.role != "provider":
            return
        d = self.defect
        body = getattr(self._twentieth_request(), "body", None)
        if d == "foreigner-address-fixed-on-omitted":
            for resident in response.iter(f"{{{JUKI}}}Resident", f"{{{CMN}}}Member"):
                fixed = resident.find(f"{{{CMN}}}AddressFixedOn")
                if resident.findtext(f"{{{CMN}}}ResidentKind") == "2" and fixed is not None:
                    resident.remove(fixed)
        if d == "by-individual-number-resident-code-omitted" and response.tag == _INQUIRY and \
                body is not None and body.find(f"{{{JUKI}}}IndividualNumber") is not None:
            resident = response.find(f"{{{JUKI}}}Resident")
            code = None if resident is None else resident.find(f"{{{CMN}}}ResidentCode")
            if code is not None:
                resident.remove(code)
        if d == "inquiry-as-of-former-surname-dropped" and response.tag == _INQUIRY and \
                body is not None and body.find(f"{{{JUKI}}}AsOf") is not None:
            for former in list(response.iter(f"{{{CMN}}}FormerSurname")):
                former.getparent().remove(former)


__all__ = ["TWENTIETH_DEFECTS", "TWENTIETH_MEASURED_MISSES", "TwentiethBatch",
           "exclusive_day_bound", "month_partition_bound"]
