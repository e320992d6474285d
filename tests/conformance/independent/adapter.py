"""An independent vendor adapter, written from the public documents only — the XSDs, WSDLs and
code lists under schemas/, README's header rules, docs/faults.md — with lxml and the standard
library. It imports nothing of pfbus (no SDK, no bus.core): it is how another vendor would do it,
so the conformance suite can be measured against defects its authors did not write.

It serves, on one URL, either the 住民基本台帳 provider (住民照会 by 宛名番号 or 個人番号 with 基準日,
全件抽出 paged over a snapshot) or a 異動通知 subscriber (receipts, exactly once, in 異動連番 order,
stored in SQLite before the receipt is sent).

``defect`` switches on ONE deliberate defect (variants.py DEFECTS); ``alternative`` a
standard-conformant way of writing the same messages (variants.py ALTERNATIVES).

Corrected when the documents agreed (round 15b, docs/conformance-testing.md): as a subscriber it took
any notice of its own 団体コード, which README ("a system answers only what is addressed to it")
and docs/notices.md (a notice's Receiver is the 団体コード, the service's 業務ユニット and ``hub``)
never allowed — it now accepts exactly that Receiver; and it answered an envelope of another
namespace PF-SOAP-ENVELOPE as a client fault, where SOAP names the code VersionMismatch
(docs/faults.md now says so too).

One module per concern, mixed into ``Adapter`` here (its state, the platform's checks):
standard.py (namespaces, schemas, code lists, check digits), transport.py (HTTP in: parsing the
request), provider.py (住民照会, 全件抽出), subscriber.py (異動通知 and its SQLite store),
answers.py (reply header, envelope, bytes, faults), characters.py (the text layer's defects).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .answers import Writer
from .characters import CharacterLayer
from .eighteenth import EighteenthBatch
from .eighth import EighthBatch
from .eleventh import EleventhBatch
from .fifteenth import FifteenthBatch
from .fortieth import FortiethBatch
from .fortyfirst import FortyfirstBatch
from .fortysecond import FortysecondBatch
from .fortythird import FortythirdBatch
from .fortyfifth import FortyfifthBatch
from .fortysixth import FortysixthBatch
from .fortyseventh import FortyseventhBatch
from .fortyeighth import FortyeighthBatch
from .fortyfourth import FortyfourthBatch
from .fourteenth import FourteenthBatch
from .nineteenth import NineteenthBatch
from .ninth import NinthBatch
from .provider import Provider
from .seventeenth import SeventeenthBatch
from .seventh import SeventhBatch, mynumber_weights_from_left
from .sixteenth import SixteenthBatch
from .standard import (CMN, CODELISTS, HERE, JST, JUKI, KNOWN_SERVICE_IDS, NOTICE_SYSTEM_ID,
                       NOTICE_UNIT, PFH, SERVED_VERSION, SERVICES, Answer, Refusal, _codes,
                       _m11_mod10, _mynumber_mod10, _schema, collapse_dates, m11_ok, mynumber_ok)
from .subscriber import Subscriber
from .tenth import TenthBatch
from .thirteenth import ThirteenthBatch
from .twelfth import TwelfthBatch
from .twentieth import TwentiethBatch
from .twentyfirst import TwentyFirstBatch
from .twentysecond import TwentySecondBatch
from .twentythird import TwentyThirdBatch
from .twentyfourth import TwentyFourthBatch
from .twentyfifth import TwentyFifthBatch
from .twentysixth import TwentySixthBatch
from .twentyseventh import TwentySeventhBatch
from .twentyeighth import TwentyEighthBatch
from .twentyninth import TwentyNinthBatch
from .thirtieth import ThirtiethBatch
from .thirtyfirst import ThirtyfirstBatch
from .thirtysecond import ThirtysecondBatch
from .thirtythird import ThirtythirdBatch
from .thirtyfifth import ThirtyfifthBatch
from .thirtyfourth import ThirtyfourthBatch
from .thirtysixth import ThirtysixthBatch
from .thirtyseventh import ThirtyseventhBatch
from .thirtyeighth import ThirtyeighthBatch
from .thirtyninth import ThirtyninthBatch
from .transport import Transport

__all__ = ["JST", "Adapter", "Answer", "Refusal", "m11_ok", "mynumber_ok"]


@dataclass
class Adapter(Transport, Provider, Subscriber, Writer, CharacterLayer, SeventhBatch,
              EighthBatch, NinthBatch, TenthBatch, EleventhBatch, TwelfthBatch, ThirteenthBatch,
              FourteenthBatch, FifteenthBatch, SixteenthBatch, SeventeenthBatch,
              EighteenthBatch, NineteenthBatch, TwentiethBatch, TwentyFirstBatch,
              TwentySecondBatch, TwentyThirdBatch, TwentyFourthBatch, TwentyFifthBatch,
              TwentySixthBatch, TwentySeventhBatch, TwentyEighthBatch,
              TwentyNinthBatch, ThirtiethBatch, ThirtyfirstBatch,
              ThirtysecondBatch, ThirtythirdBatch, ThirtyfourthBatch, ThirtyfifthBatch,
              ThirtysixthBatch, ThirtyseventhBatch, ThirtyeighthBatch,
              ThirtyninthBatch, FortiethBatch, FortyfirstBatch, FortysecondBatch,
              FortythirdBatch, FortyfourthBatch, FortyfifthBatch, FortysixthBatch,
              FortyseventhBatch, FortyeighthBatch):
    role: str  # "provider" | "subscriber"
    local_gov_code: str
    business_unit: str
    system_id: str
    db: Path | None = None
    defect: str | None = None
    alternative: str | None = None
    schema: etree.XMLSchema = field(default_factory=_schema)
    codes: dict = field(default_factory=_codes)
    extracts: dict = field(default_factory=dict)
    extract_requests: dict = field(default_factory=dict)  # (sender, RequestId) → ExtractId
    lock: threading.Lock = field(default_factory=threading.Lock)
    memory_seen: set = field(default_factory=set)
    memory_last: dict = field(default_factory=dict)
    notice_last: dict = field(default_factory=dict)  # the last 異動連番s as a notice began
    cache: dict = field(default_factory=dict)
    counter: int = 0
    open_transaction: bool = False
    first_pages: dict = field(default_factory=dict)
    first_requests: dict = field(default_factory=dict)  # ExtractId → its first request's ID
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(JST))
    eighth: dict = field(default_factory=dict)  # the eighth batch's per-extract memories
    ninth: dict = field(default_factory=dict)  # the ninth batch's shared fields
    tenth: dict = field(default_factory=dict)  # the tenth batch's memories
    eleventh: dict = field(default_factory=dict)  # the eleventh batch's memories
    twelfth: dict = field(default_factory=dict)  # the twelfth batch's memories
    thirteenth: dict = field(default_factory=dict)  # the thirteenth batch's memories
    fourteenth: dict = field(default_factory=dict)  # the fourteenth batch's memories
    fifteenth: dict = field(default_factory=dict)  # the fifteenth batch's memories
    sixteenth: dict = field(default_factory=dict)  # the sixteenth batch's memories
    seventeenth: dict = field(default_factory=dict)  # the seventeenth batch's memories
    eighteenth: dict = field(default_factory=dict)  # the eighteenth batch's memories
    nineteenth: dict = field(default_factory=dict)  # the nineteenth batch's memories
    twentieth: dict = field(default_factory=dict)  # the twentieth batch's memories
    twentyfirst: dict = field(default_factory=dict)  # the twenty-first batch's memories
    twentysecond: dict = field(default_factory=dict)  # the twenty-second batch's memories
    twentythird: dict = field(default_factory=dict)  # the twenty-third batch's memories
    twentyfourth: dict = field(default_factory=dict)  # the twenty-fourth batch's memories
    twentyfifth: dict = field(default_factory=dict)  # the twenty-fifth batch's memories
    twentysixth: dict = field(default_factory=dict)  # the twenty-sixth batch's memories
    twentyseventh: dict = field(default_factory=dict)  # the twenty-seventh batch's memories
    twentyeighth: dict = field(default_factory=dict)  # the twenty-eighth batch's memories
    twentyninth: dict = field(default_factory=dict)  # the twenty-ninth batch's memories
    thirtieth: dict = field(default_factory=dict)  # the thirtieth batch's memories
    thirtyfirst: dict = field(default_factory=dict)  # the thirty-first batch's memories
    thirtysecond: dict = field(default_factory=dict)  # the thirty-second batch's memories
    thirtythird: dict = field(default_factory=dict)  # the thirty-third batch's memories
    thirtyfourth: dict = field(default_factory=dict)  # the thirty-fourth batch's memories
    thirtyfifth: dict = field(default_factory=dict)  # the thirty-fifth batch's memories
    thirtysixth: dict = field(default_factory=dict)  # the thirty-sixth batch's memories
    thirtyseventh: dict = field(default_factory=dict)  # the thirty-seventh batch's memories
    thirtyeighth: dict = field(default_factory=dict)  # the thirty-eighth batch's memories
    thirtyninth: dict = field(default_factory=dict)  # the thirty-ninth batch's memories
    fortieth: dict = field(default_factory=dict)  # the fortieth batch's memories
    fortyfirst: dict = field(default_factory=dict)  # the forty-first batch's memories
    fortysecond: dict = field(default_factory=dict)  # the forty-second batch's memories
    fortythird: dict = field(default_factory=dict)  # the forty-third batch's memories
    fortyfourth: dict = field(default_factory=dict)  # the forty-fourth batch's memories
    fortyfifth: dict = field(default_factory=dict)  # the forty-fifth batch's memories
    fortysixth: dict = field(default_factory=dict)  # the forty-sixth batch's memories
    fortyeighth: dict = field(default_factory=dict)  # the forty-eighth batch's snapshot heads

    def __post_init__(self) -> None:
        tree = etree.parse(str(HERE / "residents.xml"))
        self.residents = {el.findtext(f"{{{CMN}}}AddresseeNumber"): el
                          for el in tree.getroot().iter(f"{{{CMN}}}Resident")}
        self._fourteenth_started()
        if self.role == "subscriber":
            if self.db is None:  # str(None) would open a file named "None" in the cwd
                raise ValueError("a subscriber needs db=PATH, its store")
            self._open_store()

    # --- the platform's checks, then the business ------------------------------------------------

    def _serve(self, raw, header, body, soap):
        self._eighteenth_body(body)
        self._thirtyninth_body(body)
        self._fortieth_body(body)
        self._fortyfirst_body(body)
        self._fortysecond_body(body)
        self._fortythird_body(body)
        self._fortyfourth_body(body)
        self._fortyfifth_request(body)
        self._fortysixth_request(body)
        self._fortyseventh_request(body, soap)
        self._fortyeighth_request(raw, soap)
        service = SERVICES.get(body.tag)
        mid = header.findtext(f"{{{PFH}}}MessageId") if header is not None else None
        self.ninth["current"] = mid  # relates-to-shared-field: the service object's field
        if service is None or service[1] != self.role:
            self._thirtysixth_unknown_body(mid)
            raise Refusal("PF-SCHEMA-INVALID", "client", "no service here has this element",
                          [("service:element", f"unknown request element {body.tag}")], mid)
        service_id = service[0]
        self._twentyfirst_early(body, mid)
        self._twentysecond_early(body, soap)
        if header is None:
            self._twentyeighth_no_header()
            raise Refusal("PF-HEADER-MISSING", "client", "no pfh:PlatformHeader",
                          [("header:required", "soap:Header has no pfh:PlatformHeader")])
        self._thirtysecond_header(header)
        self._thirtysixth_header(header)
        if not self.schema.validate(header):
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("xsd:header", str(self.schema.error_log.last_error))], mid)
        named = self._twentyfifth_service_id(
            header.findtext(f"{{{PFH}}}Service/{{{PFH}}}ServiceId"), service_id)
        named = self._thirtyfirst_service_id(raw, named)
        named = self._thirtysixth_service_id(named, service_id)
        named = self._fortyfourth_service_id(named, service_id)
        if named != service_id:
            # README: a service this endpoint does not serve is misrouted; an unknown one unknown
            code = "PF-SERVICE-UNKNOWN" if named not in KNOWN_SERVICE_IDS \
                else "PF-PROVIDER-MISROUTED"
            raise Refusal(code, "client", "the header names another service",
                          [("service:endpoint", f"header {named}, body {service_id}")], mid)
        version = self._thirtysixth_version(self._twentyfirst_version(header.findtext(
            f"{{{PFH}}}Service/{{{PFH}}}Version")))
        version = self._fortysecond_version(version, service_id)
        if version != SERVED_VERSION:  # README: another Version is not served here
            raise Refusal("PF-PROVIDER-MISROUTED", "client", "not for this endpoint",
                          [("service:version", f"version {version} is not served here "
                                               f"(served: {SERVED_VERSION})")], mid)
        receiver = [header.findtext(f"{{{PFH}}}Receiver/{{{PFH}}}{n}")
                    for n in ("LocalGovCode", "BusinessUnit", "SystemId")]
        if self.role == "subscriber":  # docs/notices.md: a notice is addressed to the hub
            mine = receiver == [self.local_gov_code, NOTICE_UNIT, NOTICE_SYSTEM_ID] \
                or self.defect == "notice-receiver-unchecked"
        else:
            mine = receiver == [self.local_gov_code, self.business_unit, self.system_id] \
                or self.defect == "receiver-unchecked" \
                or (self.defect == "receiver-system-id-only" and receiver[2] == self.system_id) \
                or (self.defect == "receiver-local-gov-unchecked"
                    and receiver[1:] == [self.business_unit, self.system_id])
        mine = self._fourteenth_mine(receiver, mine)
        mine = self._thirtieth_mine_receiver(receiver, mine)
        mine = self._fortieth_mine_receiver(body, mine)
        mine = self._fortyseventh_mine_receiver(receiver, mine)
        mine = self._fortyeighth_mine_receiver(receiver, mine)
        if self.defect == "notice-receiver-system-id-checked" and receiver[2] != self.system_id:
            mine = False  # the hub's address taken for a misrouted notice
        if not mine:
            raise Refusal("PF-PROVIDER-MISROUTED",  # "our routing table's error": soap:Server
                          "provider" if self.defect == "misrouted-fault-as-server" else "client",
                          "not for this system",
                          [("header:receiver", f"addressed to {'/'.join(receiver)}")], mid)
        self._fifteenth_body(body)
        if not self.schema.validate(body) and not (collapse_dates(body)
                                                   and self.schema.validate(body)):
            err = self.schema.error_log.last_error
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [(f"xsd:{err.type_name.lower()}", err.message)], mid)
        if self.defect == "notice-max-age-applied" and dt.datetime.now(JST) - \
                dt.datetime.fromisoformat(header.findtext(f"{{{PFH}}}SentAt")) > \
                dt.timedelta(hours=1):  # the hub's request rule, applied to notices
            raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is too old",
                          [("freshness:max_age", "older than 3600 s")], mid)
        self._vendor_header_checks(header, mid)
        self._ninth_header_checks(header, mid)
        self._tenth_checks(header, body, mid)
        self._tenth_request_bytes(raw)
        self._eleventh_checks(raw, header, body, mid)
        self._twelfth_checks(header, body, mid)
        self._thirteenth_checks(header, body, mid)
        self._fourteenth_checks(header, body, mid)
        self._fifteenth_checks(raw, header, body, mid)
        self._sixteenth_checks(raw, header, body, mid)
        self._seventeenth_checks(raw, header, body, mid)
        self._twentieth_checks(header, body, mid)
        self._twentyfirst_checks(header, body, mid)
        self._twentysecond_checks(header, body, mid)
        self._twentythird_checks(header, body, mid)
        self._twentyfourth_checks(header, body, mid)
        self._twentyfifth_checks(header, body, mid)
        self._twentysixth_checks(header, body, mid)
        self._twentyseventh_checks(header, body, service_id, mid)
        self._twentyeighth_checks(header, body, soap, mid)
        self._twentyninth_checks(header, body, mid)
        self._thirtieth_checks(header, body, mid)
        self._thirtyfirst_checks(header, body, mid)
        self._thirtysecond_checks(header, body, mid)
        self._thirtythird_checks(header, body, mid)
        self._thirtyfourth_checks(header, body, soap, mid)
        self._thirtyfifth_checks(header, body, mid)
        self._thirtysixth_checks(raw, header, body, soap, mid)
        self._thirtyseventh_checks(header, body, mid)
        self._thirtyeighth_checks(header, body, mid)
        self._thirtyninth_checks(header, body, mid)
        self._fortieth_checks(header, body, mid)
        self._fortyfirst_checks(header, body, mid)
        self._fortyfifth_checks(header, body, mid)
        self._fortysixth_checks(header, body, mid)
        self._fortyseventh_checks(header, body, mid)
        if (receipt := self._eighteenth_checks(header, body, mid)) is not None:
            return receipt, header  # in-doubt-last-request-marked-seen-on-start
        if (receipt := self._twentyninth_inbox(mid)) is not None:
            return receipt, header  # seen-ids-rebuilt-from-receive-log-on-start
        if self.defect == "seen-id-taken-before-checks" and self.role == "subscriber":
            with self.lock:  # the inbox row written first, the checks after
                self.ninth["fresh"] = None if self._seen(mid) else mid
                self._mark_seen(mid)
        problems = self._ninth_findings(
            self._twelfth_rules(body, self._rules(body)) + self._eighth_rules(body)
            + self._ninth_rules(body), mid)
        problems = self._fortyseventh_problems(body, problems)
        problems = self._fortyeighth_problems(raw, problems)
        digits = {"addressee_number", "individual_number"}
        if self.defect == "check-digit-failure-not-found" and self.role == "provider":
            problems = [p for p in problems if p[0] not in digits]  # looked up, never checked
        if problems and self.defect == "rule-violation-receipted" and self.role == "subscriber":
            return self._receipt(mid, "applied"), header  # "poison message": ack and drop
        if problems and self.defect == "check-digit-as-schema-invalid" and \
                {p[0] for p in problems} <= digits:  # the check digit as an XSD assertion
            raise Refusal("PF-SCHEMA-INVALID", "client", "the body is invalid",
                          [("xsd:assertion", m) for _, m in problems], mid)
        if problems and self.defect == "notice-applied-up-to-bad-change" and \
                self.role == "subscriber":
            self._eighth_apply_until_bad(body)
        if problems:
            raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                          problems, mid)
        self._fortyfourth_before_handler()
        if self.defect == "key-read-by-regex" and service_id == "juki.ResidentInquiry":
            self._eighth_key_from_bytes(raw, body)
        handler = {"juki.ResidentInquiry": self._inquiry,
                   "juki.ResidentFullExtract": self._extract,
                   "juki.ResidentChangeNotice": self._notice}[service_id]
        return handler(header, body, soap), header

    def _vendor_header_checks(self, header, mid) -> None:
        """The sixth batch's header checks of the vendor's own (stricter than the standard)."""
        self._eighth_header_checks(header, mid)
        if self.defect in ("request-max-age-300s", "notice-sent-at-ahead-refused"):
            sent_at = dt.datetime.fromisoformat(header.findtext(f"{{{PFH}}}SentAt"))
            now = dt.datetime.now(JST)
            if self.defect == "request-max-age-300s" and now - sent_at > dt.timedelta(seconds=300):
                raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is too old",  # its cache
                              [("freshness:max_age", "older than 300 s")], mid)
            if self.defect == "notice-sent-at-ahead-refused" and sent_at > now:  # no skew
                raise Refusal("PF-MESSAGE-STALE", "client", "SentAt is in the future",
                              [("freshness:clock_skew", f"ahead of {now.isoformat()}")], mid)
        if self.defect == "notice-relates-to-refused" and \
                header.find(f"{{{PFH}}}RelatesTo") is not None:  # a request's rule
            raise Refusal("PF-HEADER-INVALID", "client", "RelatesTo on a request",
                          [("header:relates_to", "a reply-only field")], mid)

    def _rules(self, body) -> list[tuple[str, str]]:
        problems = []
        for el in body.iter(f"{{{CMN}}}AddresseeNumber", f"{{{JUKI}}}AddresseeNumber"):
            if not (_m11_mod10 if self.defect == "addressee-check-digit-mod10" else m11_ok)(
                    el.text or "0"):
                problems.append(("addressee_number", f"{el.text}: check digit"))
        misnamed = self.defect == "individual-number-finding-named-addressee"  # copy-paste
        for el in body.iter(f"{{{CMN}}}IndividualNumber", f"{{{JUKI}}}IndividualNumber"):
            check = _mynumber_mod10 if self.defect == "mynumber-check-digit-mod10" else \
                mynumber_weights_from_left if \
                self.defect == "individual-number-weights-from-left" else mynumber_ok
            ok = check(el.text or "0" * 12)
            if not ok:
                problems.append(("addressee_number" if misnamed else "individual_number",
                                 f"{el.text}: check digit"))
        for local, listname in CODELISTS.items():
            if self.defect == "change-reason-unchecked" and listname == "change_reason":
                continue
            for el in self._tenth_codelist_scope(body).iter(f"{{{CMN}}}{local}"):
                if el.text not in self.codes[listname]:
                    problems.append(("codelist" if self.defect == "codelist-finding-unnamed"
                                     else f"codelist:{local}" if  # named by the element
                                     self.defect == "codelist-finding-named-by-element"
                                     else f"codelist:{listname}", f"{el.text} is not a code"))
        if self.defect == "notice-original-name-refused" and \
                next(body.iter(f"{{{CMN}}}Original"), None) is not None:
            problems.append(("vendor:schema", "cmn:Original is not supported"))
        for change in body.iter(f"{{{JUKI}}}Change"):
            resident = change.find(f"{{{JUKI}}}Resident")
            if self.defect == "notice-without-individual-number-refused" and \
                    resident.find(f"{{{CMN}}}IndividualNumber") is None:  # the tax system's key
                problems.append(("vendor:individual_number", "個人番号 is required"))
            if self.defect == "notice-postal-code-required" and resident.find(
                    f"{{{CMN}}}Address/{{{CMN}}}PostalCode") is None:  # a NOT NULL column
                problems.append(("vendor:postal_code", "郵便番号 is required"))
            occurred = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn")
            notified = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}NotifiedOn")
            if self.defect == "occurred-on-future-refused" and \
                    occurred[:10] > dt.datetime.now(JST).date().isoformat():  # 転出予定 exist
                problems.append(("vendor:dates", "異動年月日 in the future"))
            if self.defect == "notified-before-occurred-refused" and notified and \
                    notified[:10] < occurred[:10]:  # "a 届出 cannot precede its 異動"
                problems.append(("vendor:dates", "届出年月日 before 異動年月日"))
        if self.defect == "notice-kana-given-required":  # the vendor's table: NOT NULL columns
            for name in body.iter(f"{{{CMN}}}Name"):
                if name.find(f"{{{CMN}}}Kana/{{{CMN}}}Given") is None:
                    problems.append(("vendor:kana", "a reading (Given) is required"))
        return problems
