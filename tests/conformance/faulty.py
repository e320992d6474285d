"""The faulty providers, each breaking ONE requirement, and the cases each must fail.

``targets`` are case instance IDs or ``CASE/*`` (every service the case runs for). Where one
defect necessarily shows in more than one case, the comment says why. The tests assert that a
run against each faulty adapter fails exactly its targets, and that every case of every
provider profile is some faulty adapter's target.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from conformance.runner import RunOptions, run_profile

from .faulty_also import with_cases_also_failed
from .faulty_bindings import SOAP12_ONLY, soap12_router
from .faulty_bounds import BOUND_HANDLERS, BOUNDS
from .faulty_codes import CODES
from .faulty_domain_keys import CODE_PAGES, DOMAIN_KEY_HANDLERS
from .faulty_edges import EDGE_HANDLERS, EDGE_WIRE
from .faulty_equivalence import EQUIVALENCE
from .faulty_grid import GRID, GRID_HANDLERS
from .faulty_handlers import HANDLERS, WSDLS
from .faulty_inputs import INPUT_HANDLERS, INPUTS
from .faulty_keys import KEY_HANDLERS
from .faulty_linkage import LINKAGE
from .faulty_ninth import NINTH_HANDLERS, NINTH_WIRE
from .faulty_paging import PAGING_HANDLERS
from .faulty_receipts import RECEIPTS
from .faulty_refusals import REFUSAL_HANDLERS, REFUSAL_WIRE
from .faulty_tenth import TENTH_HANDLERS, TENTH_WIRE
from .faulty_eleventh import ELEVENTH_HANDLERS, ELEVENTH_WIRE
from .faulty_twelfth import TWELFTH_HANDLERS, TWELFTH_WIRE
from .faulty_round12b import ROUND12B_HANDLERS, ROUND12B_WIRE
from .faulty_round13 import ROUND13_HANDLERS, ROUND13_WIRE
from .faulty_round14 import ROUND14_WIRE
from .faulty_round14b import ROUND14B_HANDLERS, ROUND14B_WIRE
from .faulty_round15 import ROUND15_HANDLERS, ROUND15_WIRE
from .faulty_round15b import ROUND15B_HANDLERS, ROUND15B_WIRE
from .faulty_round16 import ROUND16_FAULTS, ROUND16_WIRE
from .faulty_round16b import ROUND16B_FAULTY, ROUND16B_HANDLERS, ROUND16B_WIRE
from .faulty_round17 import ROUND17_FAULTS, ROUND17_WIRE
from .faulty_round18 import ROUND18_FAULTY, ROUND18_WIRE
from .faulty_round19 import ROUND19_FAULTS, ROUND19_HANDLERS, ROUND19_WIRE
from .faulty_round20 import ROUND20_FAULTS, ROUND20_WIRE
from .faulty_round22 import ROUND22_FAULTS, ROUND22_HANDLERS, ROUND22_WIRE
from .faulty_round23a import ROUND23A_FAULTS, ROUND23A_HANDLERS, ROUND23A_WIRE
from .faulty_round23c import ROUND23C_FAULTS, ROUND23C_HANDLERS
from .faulty_round24 import ROUND24_FAULTS, ROUND24_HANDLERS
from .faulty_round25 import ROUND25_FAULTS, ROUND25_WIRE
from .faulty_round26 import ROUND26_FAULTS, ROUND26_WIRE
from .faulty_round30 import ROUND30_FAULTS, ROUND30_WIRE
from .faulty_round31 import ROUND31_FAULTS, ROUND31_WIRE
from .faulty_round33 import ROUND33_FAULTS, ROUND33_WIRE
from .faulty_round34 import ROUND34_FAULTS, ROUND34_WIRE
from .faulty_round35 import ROUND35_FAULTS, ROUND35_WIRE
from .faulty_round37 import ROUND37_FAULTS, ROUND37_WIRE
from .faulty_round38 import ROUND38_FAULTS, ROUND38_WIRE
from .faulty_round39 import ROUND39_FAULTS, ROUND39_WIRE
from .faulty_round40 import ROUND40_FAULTS, ROUND40_WIRE
from .faulty_round42 import ROUND42_FAULTS, ROUND42_WIRE
from .faulty_round43 import ROUND43_FAULTS, ROUND43_WIRE
from .faulty_round44 import ROUND44_FAULTS, ROUND44_WIRE
from .faulty_round45 import ROUND45_FAULTS, ROUND45_WIRE
from .faulty_round46 import ROUND46_FAULTS, ROUND46_WIRE
from .faulty_round47 import ROUND47_FAULTS, ROUND47_WIRE
from .faulty_round48 import ROUND48_FAULTS, ROUND48_WIRE
from .faulty_must_understand import MUST_UNDERSTAND
from .faulty_rules import RULES
from .faulty_shapes import SHAPE_HANDLERS, SHAPES
from .faulty_wire import WIRE
from .outcomes import not_passed
from .proxy import TamperProxy
from .references import (KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, PARTIES, JUKI_PROFILE,
                         SUB_PROFILE, SUBSCRIBER_PROFILES, TAX_PROFILE, References, Sut)
from .tiers import faulty_run, in_slow_tier

BOTH = (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE)
# the subscribers answer notices like a provider
ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)


# the equivalent-encoding cases: every service's P-EQUIV-01 and, on a subscriber, S-EQUIV-01
_EQUIV = ("P-EQUIV-01/*", "S-EQUIV-01")
# … and the request shapes beyond the sample, in the forms that change how a value is written
# (P-EQUIV-02 runs where a request has optional elements or choices: not 課税状況照会)
_SHAPES = ("P-EQUIV-02/juki.*", "P-EQUIV-02/kokuho.*")
# the defects of a form S-EQUIV-02 sends too (a comment in a value, the default namespace)
_SHAPES_BOTH = _SHAPES + ("S-EQUIV-02",)
# a product slow on one path, judged against a 1 s limit: the whole run, not one stopped once its
# late answers took late_answer_budget (slow-duplicate-receipt's take 200 s), shows the cases
# that catch it are exactly its targets
_SLOW = {"response_limit": "1.0", "late_answer_budget": "0"}
# the first 全件 requests whose Page is +01 (lexical-forms)
_PLUS_01 = ("P-EQUIV-01/juki.ResidentFullExtract", "P-EQUIV-02/juki.ResidentFullExtract")

# the cases whose invalid request a product without validation answers as if it were valid
_INVALID_ANSWERED = ("P-FAULT-01/*", "P-FAULT-02/*", "P-FAULT-03/*", "P-FAULT-07/*",
                     "P-FAULT-08/*", "P-FAULT-09/*", "P-FAULT-10/*")


@dataclass(frozen=True)
class Faulty:
    name: str
    breaks: str  # the requirement it breaks
    profiles: tuple[str, ...]
    targets: tuple[str, ...]
    params: dict = field(default_factory=dict)
    targets_by_profile: dict = field(default_factory=dict)  # overrides ``targets`` per profile

    def expected(self, profile: str, instance_ids: list[str]) -> set[str]:
        patterns = self.targets_by_profile.get(profile, self.targets)
        return {i for i in instance_ids if any(fnmatch.fnmatchcase(i, p) for p in patterns)}


FAULTY = [
    # the reply's binding and header
    # the notice grid (S-GRID-01) judges every receipt's RelatesTo as well
    # (and S-LATE-02's, the receipts of notices delivered again at the end of the run)
    Faulty("relates-to-fresh", "RQ-BIND-01", ALL, ("P-BIND-01/*", "INV-BIND-01", "S-GRID-01",
                                                   "S-LATE-02")),
    # P-ENC-04's newline after the envelope is what canonicalisation drops
    Faulty("hash-of-c14n", "RQ-BIND-02", ALL, ("P-BIND-02/*", "INV-BIND-02", "P-ENC-04/*")),
    # (P-BIND-04 reads the reply's Receiver too)
    Faulty("parties-not-swapped", "RQ-BIND-03", ALL, ("P-BIND-03/*", "P-BIND-04/*", "INV-BIND-03")),
    Faulty("sent-at-utc", "RQ-MSG-03", ALL, ("P-MSG-03/*", "INV-MSG-03")),
    # only P-MSG-10 sends a SentAt that is not now: the echo is off by 20 minutes there only
    Faulty("sent-at-echoed", "RQ-MSG-10", ALL, ("P-MSG-10/*", "INV-MSG-10")),
    # SOAP and faults
    Faulty("soap11-as-12", "RQ-SOAP-11", ALL, ("P-SOAP-01/*", "INV-SOAP-04")),
    Faulty("soap12-as-11", "RQ-SOAP-12", ALL, ("P-SOAP-02/*", "INV-SOAP-04")),
    Faulty("soap12-fault-500", "RQ-FAULT-03", ALL,
           ("P-FAULT-03/*", "P-FAULT-07/*", "INV-SOAP-04")),
    Faulty("fault-without-message-id", "RQ-FAULT-06", ALL, ("P-FAULT-06/*", "INV-FAULT-06")),
    Faulty("header-optional", "RQ-FAULT-04", ALL, ("P-FAULT-04/*",)),
    Faulty("unknown-as-404-page", "RQ-FAULT-05", ALL, ("P-FAULT-05/*", "INV-SOAP-04")),
    # (S-ATOM-01's refused notices are applied: nothing is refused)
    Faulty("rules-ignored", "RQ-FAULT-02", ALL, ("P-FAULT-02/*", "P-FAULT-07/*", "P-FAULT-08/*"),
           targets_by_profile={p: ("P-FAULT-02/*", "P-FAULT-07/*", "P-FAULT-08/*", "S-ATOM-01",
                                   "S-ONCE-05",  # its refused notice is accepted
                                   "P-FAULT-10/*")  # only the 個人番号 left to find
                               for p in SUBSCRIBER_PROFILES}),
    # No validation at all: every case sending an invalid request sees an answer, not a fault.
    # The full extract's handler refuses PageSize 1001 itself, as an internal error
    # (PF-PROVIDER-INTERNAL, Receiver): wrong code, party and SOAP code.
    Faulty("no-validation", "RQ-FAULT-01", ALL, (), targets_by_profile={
        # (S-ONCE-05: the notice it expects refused is applied, its corrected resend a duplicate)
        # (P-HOST-06: an xi:include where the XSD allows none is not refused either)
        SUB_PROFILE: (*_INVALID_ANSWERED, "P-FAULT-06/*", "S-ATOM-01", "S-ONCE-05", "P-HOST-06/*"),
        KOKUHO_SUB_PROFILE: (*_INVALID_ANSWERED, "P-FAULT-06/*", "S-ATOM-01", "S-ONCE-05",
                             "P-HOST-06/*"),
        # (its 全件 fault for PageSize 1001 is Party provider: RQ-FAULT-09)
        JUKI_PROFILE: (*_INVALID_ANSWERED, "P-FAULT-06/*", "P-HOST-06/*"),
        TAX_PROFILE: (*_INVALID_ANSWERED, "P-FAULT-06/*", "P-HOST-06/*"),
        KOKUHO_PROFILE: (*_INVALID_ANSWERED, "P-FAULT-06/*", "P-HOST-06/*")}),
    # behaviour
    Faulty("duplicate-refused", "RQ-BEH-01", BOTH, ("P-BEH-01/*",)),
    Faulty("slow-on-large", "RQ-BEH-04", BOTH, ("P-BEH-04/*", "INV-BEH-04"), params=_SLOW),
    # Boundary values are refused: the 'not-found' answer P-MSG-07 expects never comes (and
    # J-FULL-08's extract at PageSize 1000 is refused too).
    Faulty("limits-narrower", "RQ-MSG-07", BOTH, ("P-MSG-07/*", "J-FULL-08")),
    # 'not found' as a fault: the boundary request (an unknown 15-digit 宛名番号) is a
    # not-found inquiry too, so P-MSG-07 fails with it.
    Faulty("not-found-as-fault", "RQ-BEH-02", BOTH, (), targets_by_profile={
        JUKI_PROFILE: ("J-INQ-02", "J-INQ-06", "J-INQ-09", "J-INQ-13",
                       "P-MSG-07/juki.ResidentInquiry"),
        TAX_PROFILE: ("K-INQ-02", "P-MSG-07/*"), KOKUHO_PROFILE: ("KH-INQ-02", "P-MSG-07/*")}),
    # service descriptions (run with --wsdl pointing at the faulty one)
    Faulty("wsdl-fault-undeclared", "RQ-WSDL-01", ALL, ("P-WSDL-01/*",)),
    Faulty("wsdl-wrong-namespace", "RQ-WSDL-02", ALL, ("P-WSDL-02/*",)),
    Faulty("wsdl-rpc-style", "RQ-WSDL-03", ALL, ("P-WSDL-03/*",)),
    Faulty("wsdl-no-soap12", "RQ-WSDL-04", ALL, ("P-WSDL-04/*",)),
    # 住民基本台帳 bodies
    # (the address cases read cmn:Address/cmn:Town …: J-CHR-04/05 cannot find them either)
    Faulty("address-in-unit-namespace", "RQ-MSG-01", (JUKI_PROFILE,),
           ("P-MSG-01/*", "INV-MSG-01", "J-CHR-04", "J-CHR-05", "J-CHR-06", "J-CHR-07")),
    Faulty("gender-missing", "RQ-MSG-01", (JUKI_PROFILE,), ("P-MSG-01/*", "INV-MSG-01")),
    # (P-DOMAIN-01 compares the answered 個人番号 with the test data's)
    Faulty("individual-number-bad-check-digit", "RQ-MSG-02", (JUKI_PROFILE,),
           ("P-MSG-02/*", "INV-MSG-02", "P-DOMAIN-01")),
    Faulty("nonbmp-degraded", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-01",)),
    # (a bare 俞 is no MJ character: 渡邉俞子's answers break mj_characters too, INV-MSG-02)
    Faulty("ivs-stripped", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-02", "J-CHR-08", "INV-MSG-02")),
    # the 外字 is in every answer about 髙橋 (and on the full extract's pages): the mj_characters
    # rule and the private-use invariant see it there
    Faulty("gaiji-leaked", "RQ-MSG-08", (JUKI_PROFILE,), ("J-CHR-03", "INV-MSG-02", "INV-MSG-08")),
    # answers the household's head: wrong for the member asked about (J-INQ-01, and by 個人番号
    # or with a 基準日, with or without a timezone: J-INQ-03/04/07/08) and for the IVS case's
    # resident, a wife whose 旧氏 the head does not have (J-CHR-02)
    Faulty("answers-household-head", "RQ-BEH-02", (JUKI_PROFILE,),
           ("J-INQ-01", "J-INQ-03", "J-INQ-04", "J-INQ-07", "J-INQ-08", "J-INQ-10", "J-CHR-02", "J-INQ-12",
            "J-INQ-13")),
    # every paging of the extract overlaps, with or without a 基準日, read again or at PageSize 1000
    Faulty("paging-overlap", "RQ-BEH-03", (JUKI_PROFILE,),
           ("J-FULL-01", "J-FULL-02", "J-FULL-05", "J-FULL-08", "J-FULL-09")),
    # a retried first request gets a second snapshot (J-FULL-07 retries one too; J-FULL-14's
    # retries are in flight together)
    Faulty("extract-per-request", "RQ-BEH-08", (JUKI_PROFILE,),
           ("J-FULL-03", "J-FULL-07", "J-FULL-10", "J-FULL-11", "J-FULL-13", "J-FULL-14")),
    # 異動通知 receipts
    Faulty("receipt-extra-element", "RQ-MSG-01", SUBSCRIBER_PROFILES,
           ("P-MSG-01/*", "INV-MSG-01")),
    # 個人住民税 bodies
    Faulty("taxation-extra-element", "RQ-MSG-01", (TAX_PROFILE,), ("P-MSG-01/*", "INV-MSG-01")),
    # a code outside the list is also not the category the record has (K-INQ-01)
    Faulty("category-not-in-code-list", "RQ-MSG-02", (TAX_PROFILE,),
           ("P-MSG-02/*", "K-INQ-01", "INV-MSG-02")),
    # (P-DOMAIN-02 asks its residents in taxed_year too)
    Faulty("wrong-fiscal-year", "RQ-BEH-02", (TAX_PROFILE,), ("K-INQ-01", "P-DOMAIN-02/*")),
    # 国民健康保険 bodies and answers
    Faulty("qualification-extra-element", "RQ-MSG-01", (KOKUHO_PROFILE,),
           ("P-MSG-01/*", "INV-MSG-01")),
    # the wrong 宛名番号 is also not the resident asked about (KH-INQ-01, P-DOMAIN-02)
    Faulty("qualification-number-bad-check-digit", "RQ-MSG-02", (KOKUHO_PROFILE,),
           ("P-MSG-02/*", "INV-MSG-02", "KH-INQ-01", "P-DOMAIN-02/*")),
    Faulty("insurer-number-wrong", "RQ-BEH-02", (KOKUHO_PROFILE,), ("KH-INQ-01",)),
    Faulty("qualification-lost-ignored", "RQ-BEH-07", (KOKUHO_PROFILE,), ("KH-INQ-04",)),
    Faulty("qualification-as-of-ignored", "RQ-BEH-07", (KOKUHO_PROFILE,), ("KH-INQ-03",)),
    # --- round 2 (faulty_shapes.py): one message shape only — only the invariants see them
    Faulty("soap12-hash-of-c14n", "RQ-BIND-02", ALL, ("INV-BIND-02",)),
    Faulty("soap12-parties-not-swapped", "RQ-BIND-03", ALL, ("INV-BIND-03", "P-BIND-04/*")),
    Faulty("soap12-fault-without-message-id", "RQ-FAULT-06", ALL, ("INV-FAULT-06",)),
    Faulty("later-pages-relates-to-fresh", "RQ-BIND-01", (JUKI_PROFILE,), ("INV-BIND-01",)),
    # (a "later page" is one whose Page is not the text "1": P-EQUIV-01/02's +01 too)
    Faulty("later-pages-gender-dropped", "RQ-MSG-01", (JUKI_PROFILE,),
           ("INV-MSG-01", *_PLUS_01)),
    Faulty("later-pages-individual-number-mangled", "RQ-MSG-02", (JUKI_PROFILE,),
           ("INV-MSG-02", *_PLUS_01)),
    Faulty("not-found-sent-at-utc", "RQ-MSG-03", BOTH, ("INV-MSG-03",)),
    # the boundary request of P-BEH-04 is a not-found inquiry too
    Faulty("slow-duplicate-receipt", "RQ-BEH-04", SUBSCRIBER_PROFILES, ("INV-BEH-04",),
           params=_SLOW),
    Faulty("slow-not-found", "RQ-BEH-04", BOTH, ("INV-BEH-04", "P-BEH-04/*Inquiry"),
           params=_SLOW),
    # across answers, and time
    Faulty("reply-id-reused", "RQ-MSG-09", ALL, ("INV-MSG-09",)),
    Faulty("clock-nine-hours-off", "RQ-MSG-10", ALL, ("INV-MSG-10", "P-MSG-10/*")),
    # a subscriber run spans seconds (S-GRID-01 resends 2.5 s after a receipt): a provider run
    # may end before a frozen clock leaves the tolerance, so it is not asserted there
    Faulty("sent-at-frozen", "RQ-MSG-10", SUBSCRIBER_PROFILES, ("INV-MSG-10",)),
    Faulty("fault-text-private-use", "RQ-MSG-08", ALL, ("INV-MSG-08",)),
    Faulty("charset-mislabelled", "RQ-SOAP-04", ALL, ("INV-SOAP-04",)),
    # characters that NFC, NFKC and code pages change
    # (the code-page residents of J-CHR-06/07 hold NFC and NFKC characters and − U+2212 too)
    Faulty("nfc-normalised", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-0[4-7]",)),
    Faulty("nfkc-normalised", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-0[4-7]",)),
    Faulty("cp932-round-trip", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-0[4-7]",)),
    Faulty("head-name-nfkc", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-04", "J-CHR-06")),
    Faulty("extract-nfc", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-05", "J-CHR-07")),
    # hostile and unusual input
    Faulty("dtd-expanded", "RQ-FAULT-07", ALL, ("P-HOST-01/*", "P-HOST-02/*", "P-HOST-03/*")),
    Faulty("malformed-as-html", "RQ-FAULT-07", ALL, ("P-HOST-04/*", "INV-SOAP-04")),
    # a real UTF-16 body is labelled utf-16 too (P-ENC-03): the same crash
    # … and the equivalent encodings in UTF-16 or without a charset (P-EQUIV-01, S-EQUIV-01)
    Faulty("charset-crash", "RQ-SOAP-05", ALL, ("P-ENC-01/*", "P-ENC-03/*", *_EQUIV)),
    # a provider answering a request for another system also answers as that system's peer
    Faulty("receiver-unchecked", "RQ-FAULT-08", ALL, (), targets_by_profile={
        JUKI_PROFILE: ("P-ADDR-01/*", "P-ADDR-02/*", "P-ADDR-03/*", "INV-BIND-03"),
        TAX_PROFILE: ("P-ADDR-01/*", "P-ADDR-02/*", "P-ADDR-03/*", "INV-BIND-03"),
        KOKUHO_PROFILE: ("P-ADDR-01/*", "P-ADDR-02/*", "P-ADDR-03/*", "INV-BIND-03"),
        SUB_PROFILE: ("S-ADDR-01",),
        KOKUHO_SUB_PROFILE: ("S-ADDR-01",)}),
    Faulty("individual-number-unsupported", "RQ-BEH-07", (JUKI_PROFILE,),
           ("J-INQ-03", "J-INQ-06", "J-INQ-09", "J-INQ-11", "P-DOMAIN-01")),
    # J-INQ-09's 個人番号 is held, but not on its 基準日: not-found, answered as a fault here
    Faulty("unknown-individual-number-fault", "RQ-BEH-07", (JUKI_PROFILE,),
           ("J-INQ-06", "J-INQ-09")),
    Faulty("future-as-of-refused", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-07",)),
    Faulty("as-of-ignored-by-individual-number", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-09",)),
    Faulty("extract-unknown-id-empty-page", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-04",)),
    Faulty("head-name-of-requested", "RQ-BEH-02", (JUKI_PROFILE,), ("J-INQ-10",)),
    Faulty("member-kana-dropped", "RQ-BEH-02", (JUKI_PROFILE,), ("J-INQ-10",)),
    Faulty("dates-shifted", "RQ-BEH-02", (JUKI_PROFILE,), ("J-INQ-10",)),
    Faulty("name-spaces-removed", "RQ-BEH-02", (JUKI_PROFILE,), ("J-INQ-05",)),
    Faulty("mynumber-remainder-zero-refused", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-11",)),
    Faulty("as-of-refused", "RQ-BEH-07", (JUKI_PROFILE,),
           ("J-INQ-04", "J-INQ-07", "J-INQ-08", "J-INQ-09", "J-INQ-13", "J-INQ-14")),
    # (J-FULL-07's other Sender asks with a 基準日 too, and so do J-FULL-11's two extracts and
    # J-FULL-15's second, and J-FULL-16's dated extract)
    Faulty("extract-as-of-refused", "RQ-BEH-07", (JUKI_PROFILE,),
           ("J-FULL-02", "J-FULL-06", "J-FULL-07", "J-FULL-11", "J-FULL-13", "J-FULL-15",
            "J-FULL-16")),
    Faulty("single-member-twice", "RQ-BEH-02", (JUKI_PROFILE,), ("J-INQ-05",)),
    # --- round 3 (faulty_inputs.py): requests written another way, a fault code's QName
    Faulty("soap-action-required", "RQ-SOAP-11", ALL, ("P-SOAP-03/*",)),
    Faulty("header-by-prefix", "RQ-MSG-03", ALL, ("P-PFX-01/*",)),
    Faulty("bom-refused", "RQ-SOAP-05", ALL, ("P-ENC-02/*",)),
    Faulty("utf16-refused", "RQ-SOAP-05", ALL, ("P-ENC-03/*", *_EQUIV)),  # and UTF-16BE
    Faulty("faultcode-unqualified", "RQ-SOAP-04", ALL, ("INV-SOAP-04",)),
    Faulty("soap12-reason-without-lang", "RQ-SOAP-04", ALL, ("INV-SOAP-04",)),
    Faulty("as-of-timezone-refused", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-08",)),
    # --- round 5 (faulty_bounds.py): inputs at boundaries the fifth blind batch found unsent
    Faulty("soap12-action-required", "RQ-SOAP-11", ALL, ("P-SOAP-04/*",)),
    Faulty("request-hash-stripped", "RQ-BIND-02", ALL, ("P-ENC-04/*", "INV-BIND-02")),
    # the error page is also an answer without SOAP (INV-SOAP-04)
    Faulty("deep-request-as-html", "RQ-FAULT-07", ALL, ("P-HOST-05/*", "INV-SOAP-04")),
    Faulty("receiver-gov-code-unchecked", "RQ-FAULT-08", BOTH,
           ("P-ADDR-02/*", "P-ADDR-03/*", "INV-BIND-03")),
    Faulty("total-pages-plus-one", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-05",)),
    Faulty("addressee-remainder-zero-refused", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-12",)),
    # (J-INQ-14 asks on found_addressee's moving-in day too)
    Faulty("as-of-day-early", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-13", "J-INQ-14")),
    Faulty("extract-as-of-ignored", "RQ-BEH-07", (JUKI_PROFILE,),  # J-FULL-11's extracts
           ("J-FULL-06", "J-FULL-07", "J-FULL-11", "J-FULL-13", "J-FULL-15",  # differ by 基準日,
            "J-FULL-16")),
    # J-FULL-13's, J-FULL-15's and J-FULL-16's dated ones have the 基準日's TotalCount
    Faulty("soap12-duplicate-as-applied", "RQ-SUB-02", SUBSCRIBER_PROFILES,
           ("S-ONCE-04", "S-GRID-01", "S-LATE-02")),  # the grid and S-LATE-02 over 1.2 too
    # --- the model-based grids (faulty_grid.py): boundaries no example case sends
    Faulty("individual-number-as-of-utc", "RQ-BEH-07", (JUKI_PROFILE,), ("J-GRID-01",)),
    Faulty("individual-remainder-one-refused", "RQ-BEH-07", (JUKI_PROFILE,), ("J-GRID-01",)),
    Faulty("extract-as-of-exclusive", "RQ-BEH-07", (JUKI_PROFILE,), ("J-GRID-02",)),
    Faulty("one-page-counted-as-two", "RQ-BEH-03", (JUKI_PROFILE,), ("J-GRID-02",)),
    # the request rewritten to its own party is answered as such: INV-BIND-03 sees the Sender
    Faulty("receiver-unit-unchecked", "RQ-FAULT-08", BOTH, ("P-ADDR-03/*", "INV-BIND-03")),
    # --- equivalent encodings (faulty_equivalence.py): one form of the class refused each
    # (P-SIZE-01's request holds white space between the payload's elements)
    *(Faulty(name, "RQ-SOAP-06", ALL, _EQUIV + (("P-SIZE-01/*",) if name ==
                                                "white-space-between-elements-refused" else ())
             + {"comment-refused": _SHAPES_BOTH, "payload-by-prefix": _SHAPES_BOTH,
                "cdata-refused": _SHAPES}.get(name, ()))
      for name in EQUIVALENCE),
    # --- reply header fields tied to the request (faulty_linkage.py): one shape each
    Faulty("linkage-kind-by-record-count", "RQ-BIND-05", (JUKI_PROFILE,), ("INV-BIND-04",)),
    Faulty("standard-version-own", "RQ-BIND-05", ALL, ("INV-BIND-04",)),
    # --- the fault's code and rule on every shape (faulty_codes.py); a provider's invalid_rule
    # is a wrong check digit (P-FAULT-02/07 see it), a subscriber's a code list (only P-FAULT-08)
    Faulty("check-digit-as-xsd-assertion", "RQ-FAULT-02", ALL,
           ("P-FAULT-02/*", "P-FAULT-07/*", "P-FAULT-08/*", "P-FAULT-09/*"),
           targets_by_profile={p: ("P-FAULT-08/*", "P-FAULT-09/*") for p in SUBSCRIBER_PROFILES}),
    Faulty("soap12-schema-fault-as-envelope", "RQ-FAULT-03", ALL, ("P-FAULT-03/*",)),
    Faulty("misrouted-as-header-invalid", "RQ-FAULT-08", ALL,
           ("P-ADDR-01/*", "P-ADDR-02/*", "P-ADDR-03/*", "P-ADDR-04/*"),
           targets_by_profile={p: ("S-ADDR-01", "S-ADDR-02") for p in SUBSCRIBER_PROFILES}),
    # --- idempotency keys scoped by party (faulty_keys.py)
    Faulty("request-id-per-municipality", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-07",)),
    # --- the keys' value domain and legacy code pages (faulty_domain_keys.py); the grids judge
    # the same residents field by field
    Faulty("individual-number-as-integer", "RQ-BEH-09", (JUKI_PROFILE,),
           ("P-DOMAIN-01", "J-GRID-01")),
    # (J-CHR-06 asks the largest 宛名番号's resident by it; the other providers' P-DOMAIN-02
    # asks 9999999996 over each binding)
    Faulty("addressee-number-int32", "RQ-BEH-09", BOTH, ("P-DOMAIN-02/*",),
           targets_by_profile={JUKI_PROFILE: ("P-DOMAIN-01", "J-GRID-01", "J-CHR-06")}),
    # CP932's ￠ ￡ ￢ are outside the catalog's repertoire: the rules beyond XSD refuse them
    # (P-MSG-02's sample is the first 全件 page)
    Faulty("names-jis-to-cp932", "RQ-MSG-06", (JUKI_PROFILE,),
           ("J-CHR-06", "J-CHR-07", "J-GRID-01", "J-GRID-02", "INV-MSG-02",
            "P-MSG-02/juki.ResidentFullExtract")),
    Faulty("address-cp932-read-as-jis", "RQ-MSG-06", (JUKI_PROFILE,),
           ("J-CHR-06", "J-CHR-07", "J-GRID-01", "J-GRID-02")),
    # --- the paging contract read directly (faulty_paging.py): J-FULL-08's re-read and PageSize
    # 1000; the grid's reads of the last page and past it come from the cursor too
    Faulty("page-size-three-digits", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-08",)),
    # (J-FULL-09's second read starts again at page 1: the cursor serves the next slice)
    # (J-FULL-12's pages past the end come from the cursor too)
    # (P-EQUIV-01/02's first request with Page +01: its Page is echoed as written)
    # (J-FULL-16 asks page 2 of one extract twice: the cursor serves page 3 the second time)
    Faulty("page-from-cursor", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-08", "J-FULL-09",
                                                             "J-FULL-12", "J-GRID-02",
                                                             *_PLUS_01, "J-FULL-16")),
    Faulty("pages-cut-at-snapshot", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-09",)),
    # --- a defect on the SOAP 1.2 path only (faulty_bindings.py: the faulty adapter of the same
    # name without "soap12-" answers SOAP 1.2): the cases running once per binding fail
    Faulty("soap12-header-optional", "RQ-FAULT-04", ALL, ("P-FAULT-04/*",)),
    Faulty("soap12-unknown-as-404-page", "RQ-FAULT-05", ALL, ("P-FAULT-05/*", "INV-SOAP-04")),
    Faulty("soap12-malformed-as-html", "RQ-FAULT-07", ALL, ("P-HOST-04/*", "INV-SOAP-04")),
    Faulty("soap12-deep-request-as-html", "RQ-FAULT-07", ALL, ("P-HOST-05/*", "INV-SOAP-04")),
    Faulty("soap12-duplicate-refused", "RQ-BEH-01", BOTH, ("P-BEH-01/*",)),
    Faulty("soap12-extract-unknown-id-empty-page", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-04",)),
    Faulty("soap12-extract-per-request", "RQ-BEH-08", (JUKI_PROFILE,),
           ("J-FULL-03", "J-FULL-07", "J-FULL-10", "J-FULL-11", "J-FULL-13")),
    Faulty("soap12-not-found-as-fault", "RQ-BEH-02", (TAX_PROFILE, KOKUHO_PROFILE), (),
           targets_by_profile={TAX_PROFILE: ("K-INQ-02",), KOKUHO_PROFILE: ("KH-INQ-02",)}),
    Faulty("soap12-wrong-fiscal-year", "RQ-BEH-02", (TAX_PROFILE,), ("K-INQ-01", "P-DOMAIN-02/*")),
    Faulty("soap12-insurer-number-wrong", "RQ-BEH-02", (KOKUHO_PROFILE,), ("KH-INQ-01",)),
    Faulty("soap12-qualification-as-of-ignored", "RQ-BEH-07", (KOKUHO_PROFILE,), ("KH-INQ-03",)),
    Faulty("soap12-qualification-lost-ignored", "RQ-BEH-07", (KOKUHO_PROFILE,), ("KH-INQ-04",)),
    Faulty("soap12-receiver-unchecked", "RQ-FAULT-08", SUBSCRIBER_PROFILES, ("S-ADDR-01",)),
    # --- the ninth blind batch's classes (faulty_ninth.py): the reply's parties byte for byte
    # and its binding under concurrent requests (the invariants see the same answers), answers
    # in UTF-8, paging judged per request
    Faulty("reply-receiver-case-folded", "RQ-BIND-03", ALL, ("P-BIND-04/*", "INV-BIND-03")),
    Faulty("relates-to-shared-field", "RQ-BIND-01", ALL, ("P-BIND-05/*", "INV-BIND-01")),
    Faulty("answers-in-euc-jp", "RQ-MSG-11", ALL, ("INV-MSG-11",)),
    Faulty("answers-labelled-utf8", "RQ-MSG-11", ALL, ("INV-MSG-11",)),
    Faulty("request-id-prefix-40", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-11",)),
    Faulty("request-id-released-when-paging", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-10",)),
    Faulty("page-read-as-int64", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-12",)),
    # --- every receipt judged (faulty_receipts.py); the notice grid's character points judge
    # their receipts too
    Faulty("mj-name-receipt-accepted", "RQ-SUB-01", SUBSCRIBER_PROFILES,
           ("INV-SUB-01", "S-GRID-01")),
    # --- the one rule a fault names (faulty_rules.py): P-FAULT-09 runs where a request may carry
    # a 個人番号; a code list is broken by a subscriber's invalid_rule only (P-FAULT-02/07)
    # (P-FAULT-10's notice carries a wrong 個人番号 too: on a subscriber, named addressee_number)
    Faulty("check-digits-one-rule", "RQ-FAULT-02", (JUKI_PROFILE, *SUBSCRIBER_PROFILES),
           ("P-FAULT-09/*", "P-FAULT-10/*")),
    # (P-FAULT-10's notice breaks a code list too)
    Faulty("codelist-unnamed", "RQ-FAULT-02", SUBSCRIBER_PROFILES,
           ("P-FAULT-02/*", "P-FAULT-07/*", "P-FAULT-10/*")),
    # --- SOAP's mustUnderstand (faulty_must_understand.py)
    # (P-SOAP-07's blocks for actor/role next and ultimateReceiver are answered too)
    Faulty("must-understand-ignored", "RQ-SOAP-07", ALL, ("P-SOAP-05/*", "P-SOAP-07/*")),
    # --- valid values at the edges of their fields (faulty_edges.py)
    Faulty("as-of-epoch-seconds", "RQ-EDGE-01", (JUKI_PROFILE,), ("P-EDGE-01",)),
    Faulty("addressee-number-zero-filled", "RQ-EDGE-01", (JUKI_PROFILE,), ("P-EDGE-01",)),
    Faulty("request-id-upper-cased", "RQ-EDGE-01", (JUKI_PROFILE,), ("P-EDGE-01",)),
    Faulty("sent-at-millis", "RQ-EDGE-02", (JUKI_PROFILE,), ("P-EDGE-02",)),
    # only the edge cases send a StandardVersion longer than 8 characters; INV-BIND-04 judges
    # their answers too
    Faulty("standard-version-char8", "RQ-EDGE-02", (JUKI_PROFILE, SUB_PROFILE, KOKUHO_SUB_PROFILE),
           ("P-EDGE-02", "S-EDGE-02", "INV-BIND-04")),
    # --- how a product refuses, how it reads a date (faulty_refusals.py): the ninth batch's
    # remaining classes. (P-EDGE-01 names an issued ExtractId with its case swapped: unknown too)
    Faulty("extract-expiry-blamed-on-self", "RQ-FAULT-09", (JUKI_PROFILE,),
           ("J-FULL-04", "P-EDGE-01")),
    Faulty("dtd-named-malformed", "RQ-FAULT-07", ALL, ("P-HOST-01/*", "P-HOST-02/*", "P-HOST-03/*")),
    Faulty("header-attributes-strict", "RQ-SOAP-08", ALL, ("P-SOAP-06/*",)),
    Faulty("findings-fail-fast", "RQ-FAULT-10", SUBSCRIBER_PROFILES, ("P-FAULT-10/*",)),
    Faulty("as-of-at-jst-midnight", "RQ-EDGE-03", (JUKI_PROFILE,), ("P-EDGE-03",)),
    # --- the tenth blind batch's classes (faulty_tenth.py): mustUnderstand's value and roles,
    # the code of a header's schema violation, a valid key at the end of its value domain
    Faulty("must-understand-any-value", "RQ-SOAP-07", ALL, ("P-SOAP-07/*",)),
    Faulty("roles-taken-as-elsewhere", "RQ-SOAP-07", ALL, ("P-SOAP-07/*",)),
    Faulty("header-facets-as-schema", "RQ-FAULT-01", ALL, ("P-FAULT-11/*",)),
    Faulty("repeated-digit-keys-refused", "RQ-BEH-09", (JUKI_PROFILE,), ("P-DOMAIN-01",)),
    # --- the eleventh blind batch's classes (faulty_eleventh.py): the envelope's own structure,
    # a RequestId retried more than once and with a 基準日, XInclude, other lexical forms of a
    # value, XML Schema instance attributes
    Faulty("header-block-unqualified", "RQ-SOAP-09", ALL, ("INV-SOAP-05",)),
    # J-FULL-03 sends its one RequestId in both passes: its SOAP 1.2 pass is the third request;
    # J-FULL-14 sends four
    Faulty("request-id-retried-once", "RQ-BEH-08", (JUKI_PROFILE,),
           ("J-FULL-03", "J-FULL-13", "J-FULL-14")),
    Faulty("request-id-undated-only", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-13",)),
    Faulty("xinclude-resolved", "RQ-FAULT-07", ALL, ("P-HOST-06/*",)),
    Faulty("page-size-digits-only", "RQ-SOAP-06", (JUKI_PROFILE,), _PLUS_01),
    Faulty("xsi-type-refused", "RQ-SOAP-06", ALL, _EQUIV + _SHAPES),
    Faulty("resend-answered-once", "RQ-BEH-01", BOTH, ("P-BEH-01/*",)),
    # --- round 12 (faulty_twelfth.py): a value split by a comment or PI, the household as of
    # the 基準日, another Version of the service
    Faulty("first-text-node-only", "RQ-SOAP-06", ALL, _EQUIV + _SHAPES_BOTH),
    # (J-INQ-15, round 19, asks the household as of a day of another member's as well)
    Faulty("household-as-of-today", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-14", "J-INQ-15")),
    Faulty("service-version-unchecked", "RQ-FAULT-08", ALL, ("P-ADDR-04/*",),
           targets_by_profile={p: ("S-ADDR-02",) for p in SUBSCRIBER_PROFILES}),
    # (P-FAULT-05's unknown ServiceId is answered too; a subscriber's receipt for it is judged
    # as a reply to a request, not to a notice: its Sender is not the hub it was sent to)
    Faulty("service-id-unchecked", "RQ-FAULT-08", ALL, ("P-FAULT-05/*", "P-ADDR-04/*"),
           targets_by_profile={p: ("P-FAULT-05/*", "S-ADDR-02", "INV-BIND-03")
                               for p in SUBSCRIBER_PROFILES}),
    # --- round 12b (faulty_round12b.py): look-alike header fields (INV-BIND-* judge P-LOOK-01's
    # answers too), size, first 全件 requests in flight together, extracts read interleaved
    Faulty("header-by-local-name", "RQ-SOAP-10", ALL, ("P-LOOK-01/*", "INV-BIND-01", "INV-BIND-03")),
    # (its fault for the cut request cannot name the MessageId the suite sent: INV-FAULT-06)
    Faulty("request-read-into-1-mib", "RQ-MSG-07", ALL, ("P-SIZE-01/*", "INV-FAULT-06")),
    Faulty("extract-check-then-act", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-14",)),
    Faulty("extract-snapshots-kept-three", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-15",)),
    # --- round 13 (faulty_round13.py): SentAt's lexical forms (white space after it: P-EQUIV-01's
    # sent-at-white-space; the hour 24: P-LEX-01), HTTP forms (Expect, Connection: close), the
    # optional elements of a later 全件 page
    Faulty("sent-at-anchored", "RQ-SOAP-06", ALL, _EQUIV),
    Faulty("sent-at-hour-24-refused", "RQ-SOAP-06", ALL, ("P-LEX-01/*",)),
    Faulty("expect-answered-unread", "RQ-SOAP-06", ALL, _EQUIV),
    # (an empty answer is no SOAP envelope: INV-SOAP-04)
    Faulty("close-before-flush", "RQ-SOAP-06", ALL, (*_EQUIV, "INV-SOAP-04")),
    Faulty("later-page-keyed-by-request-id", "RQ-BEH-07", (JUKI_PROFILE,), ("J-FULL-16",)),
    # --- round 14 (faulty_round14.py): the request shapes beyond the sample in their lexical
    # forms (P-EQUIV-02, S-EQUIV-02); dates with white space around them (P-EQUIV-01's 課税年度,
    # a notice's dates)
    Faulty("dates-validated-by-libxml2", "RQ-SOAP-06", ALL, (), targets_by_profile={
        JUKI_PROFILE: ("P-EQUIV-02/*",), TAX_PROFILE: ("P-EQUIV-01/*",),
        KOKUHO_PROFILE: ("P-EQUIV-02/*",),
        **{p: ("P-EQUIV-01/*", "S-EQUIV-01", "S-EQUIV-02") for p in SUBSCRIBER_PROFILES}}),
    Faulty("as-of-first-ten-characters", "RQ-SOAP-06", (JUKI_PROFILE, KOKUHO_PROFILE),
           ("P-EQUIV-02/*",)),
    Faulty("optional-dates-untrimmed", "RQ-SOAP-06", SUBSCRIBER_PROFILES, ("S-EQUIV-02",)),
    # (the grids compare every name of the test data, 渡邉俞子 among them; a bare 俞 is no MJ
    # character: INV-MSG-02)
    Faulty("ivs-range-from-e0101", "RQ-MSG-06", (JUKI_PROFILE,),
           ("J-CHR-08", "J-GRID-01", "J-GRID-02", "INV-MSG-02")),
    # --- round 14b (faulty_round14b.py): HTTP request forms, content after the document, the
    # Receiver spelled otherwise, other Senders, a requester's fast clock, a retried first 全件
    # request with another PageSize
    # (the router's 404 fault is no 500/400 and names no MessageId: INV-SOAP-04, INV-FAULT-06)
    Faulty("target-matched-as-path", "RQ-SOAP-13", ALL,
           ("P-WIRE-01/*", "INV-SOAP-04", "INV-FAULT-06")),
    Faulty("answers-always-chunked", "RQ-SOAP-13", ALL, ("P-WIRE-01/*",)),
    # (it refuses the newline after the envelope P-ENC-04 sends too)
    Faulty("trailer-refused", "RQ-SOAP-13", ALL, ("P-WIRE-01/*", "P-ENC-04/*")),
    Faulty("extra-content-recovered", "RQ-FAULT-07", ALL, ("P-HOST-07/*",)),
    # (answering as itself a request for another system, its reply's Sender is not the request's
    # Receiver: INV-BIND-03; a reply's SentAt 200 s ahead is judged on every answer: INV-MSG-10)
    Faulty("receiver-collation-case-insensitive", "RQ-FAULT-08", BOTH,
           ("P-ADDR-05/*", "INV-BIND-03")),
    Faulty("receiver-matched-by-prefix", "RQ-FAULT-08", BOTH, ("P-ADDR-05/*", "INV-BIND-03")),
    Faulty("sender-party-pinned", "RQ-FAULT-12", BOTH, ("P-ADDR-06/*",)),
    Faulty("sent-at-hybrid-clock", "RQ-MSG-10", ALL, ("P-MSG-11/*", "INV-MSG-10")),
    Faulty("request-ids-keyed-by-parameters", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-18",)),
    # --- round 15 (faulty_round15.py): the statements the inventory found unchecked — which
    # refusal comes first, a DOCTYPE in other forms, an empty SOAPAction
    Faulty("schema-gateway-first", "RQ-FAULT-08", ALL, ("P-ORDER-01/*",)),
    Faulty("header-routed-before-must-understand", "RQ-SOAP-07", ALL, ("P-ORDER-01/*",)),
    Faulty("receiver-checked-after-validation", "RQ-FAULT-08", ALL, ("P-ORDER-01/*",)),
    Faulty("dtd-refused-when-declaring-entities", "RQ-FAULT-07", ALL, ("P-HOST-08/*",)),
    Faulty("doctype-sought-in-utf8-bytes", "RQ-FAULT-07", ALL, ("P-HOST-08/*",)),
    Faulty("doctype-anchored-after-declaration", "RQ-FAULT-07", ALL, ("P-HOST-08/*",)),
    Faulty("soap-action-dispatch", "RQ-SOAP-06", ALL, _EQUIV),
    Faulty("answer-length-beside-chunked", "RQ-SOAP-13", ALL, ("P-WIRE-01/*",)),
    # (its HTTP-layer 400 names no MessageId and is no SOAP 1.1 500: INV-SOAP-04, INV-FAULT-06)
    Faulty("chunk-trailer-refused", "RQ-SOAP-13", ALL,
           ("P-WIRE-01/*", "INV-SOAP-04", "INV-FAULT-06")),
    # --- round 15b (faulty_round15b.py): the rules the documents agreed on
    Faulty("notice-receiver-gov-code-only", "RQ-FAULT-08", SUBSCRIBER_PROFILES, ("S-ADDR-01",)),
    Faulty("version-mismatch-as-client", "RQ-SOAP-14", ALL, ("P-SOAP-08/*",)),
    Faulty("finding-line-as-offset", "RQ-FAULT-13", ALL,
           ("P-FAULT-02/*", "P-FAULT-07/*", "P-FAULT-08/*", "P-FAULT-09/*", "P-FAULT-10/*")),
    # --- round 16: the fifteenth batch's classes (faulty_round16.py declares them)
    *(Faulty(*entry) for entry in ROUND16_FAULTS),
    # --- round 16b: the sixteenth batch's classes (faulty_round16b.py declares them)
    *(Faulty(*entry) for entry in ROUND16B_FAULTY),
    # --- round 17: the seventeenth batch's classes (faulty_round17.py declares them)
    *(Faulty(*entry) for entry in ROUND17_FAULTS),
    # --- round 18: the eighteenth batch's classes (faulty_round18.py declares them)
    *(Faulty(*entry) for entry in ROUND18_FAULTY),
    # --- round 19: the nineteenth batch's classes (faulty_round19.py declares them)
    *(Faulty(*entry) for entry in ROUND19_FAULTS),
    # --- round 20: encodings and charset labels (faulty_round20.py declares them)
    *(Faulty(*entry) for entry in ROUND20_FAULTS),
    # --- round 22: the twenty-first batch's classes (faulty_round22.py declares them)
    *(Faulty(*entry) for entry in ROUND22_FAULTS),
    # --- round 23a: header Party values and identifier widths (faulty_round23a.py declares
    # them; test_conformance_round23a.py runs them)
    *(Faulty(*entry) for entry in ROUND23A_FAULTS),
    # --- round 23c: a retry varying a field outside the idempotency key (faulty_round23c.py
    # declares it; test_conformance_round23c.py runs it)
    *(Faulty(*entry) for entry in ROUND23C_FAULTS),
    # --- round 24: RequestId widths on a retry, UserId classes (faulty_round24.py declares
    # them; test_conformance_round24.py runs them)
    *(Faulty(*entry) for entry in ROUND24_FAULTS),
    *(Faulty(*entry) for entry in ROUND25_FAULTS),
    # --- round 26: a LinkageKind other than the service's (faulty_round26.py declares them;
    # test_conformance_round26.py runs them)
    *(Faulty(*entry) for entry in ROUND26_FAULTS),
    # --- round 30b: fault details, a nested header copy, the hub spelled otherwise
    # (faulty_round30.py declares them; test_conformance_round30.py runs them)
    *(Faulty(*entry) for entry in ROUND30_FAULTS),
    # --- round 31b: the SOAP version read beside the media type, UTF-16 written as UCS-2
    # (faulty_round31.py declares them; test_conformance_round31.py runs them)
    *(Faulty(*entry) for entry in ROUND31_FAULTS),
    # --- round 33b: the charset read by position, a SystemId's trailing punctuation stripped
    # (faulty_round33.py declares them; test_conformance_round33.py runs them)
    *(Faulty(*entry) for entry in ROUND33_FAULTS),
    # --- round 34: a pair of wire forms only the wire grid sends (UTF-16BE, no declaration)
    # (faulty_round34.py declares them; test_conformance_round34.py runs them)
    *(Faulty(*entry) for entry in ROUND34_FAULTS),
    # --- round 35b: 全件 request fields × retries (J-GRID-03), retries × time (P-LATE-01)
    # (faulty_round35.py declares them; test_conformance_round35.py runs them)
    *(Faulty(*entry) for entry in ROUND35_FAULTS),
    # --- round 37b: white space beside the media type, a Sender equal to the Receiver
    # (faulty_round37.py declares them; test_conformance_round37.py runs them)
    *(Faulty(*entry) for entry in ROUND37_FAULTS),
    # --- round 38b: a ward of a designated city as the Sender
    # (faulty_round38.py declares them; test_conformance_round38.py runs them)
    *(Faulty(*entry) for entry in ROUND38_FAULTS),
    # --- round 39b: an envelope whose Body holds no element
    # (faulty_round39.py declares them; test_conformance_round39.py runs them)
    *(Faulty(*entry) for entry in ROUND39_FAULTS),
    # --- round 40b: a Finding's Path from the validated element, not the Envelope
    # (faulty_round40.py declares them; test_conformance_round40.py runs them)
    *(Faulty(*entry) for entry in ROUND40_FAULTS),
    # --- round 42b: a Line from 0, a prolog stripped, no soap:Header, an octal length, chunks
    # decoded apart, both keys of a choice (faulty_round42.py; test_conformance_round42.py)
    *(Faulty(*entry) for entry in ROUND42_FAULTS),
    # --- round 43b: integers in other digits, surrogate references joined, a Path for the
    # XML's own finding, a 世帯番号 taken for a 宛名番号 (faulty_round43.py;
    # test_conformance_round43.py)
    *(Faulty(*entry) for entry in ROUND43_FAULTS),
    *(Faulty(*entry) for entry in ROUND44_FAULTS),
    *(Faulty(*entry) for entry in ROUND45_FAULTS),
    *(Faulty(*entry) for entry in ROUND46_FAULTS),
    *(Faulty(*entry) for entry in ROUND47_FAULTS),
    *(Faulty(*entry) for entry in ROUND48_FAULTS),
]

FAULTY = [with_cases_also_failed(f) for f in FAULTY]

CASES = [(f, p) for f in FAULTY for p in f.profiles]


def _registry(*parts: dict) -> dict:
    """One name → how-to-build map from the per-round modules; a name in two is a mistake."""
    merged: dict = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        assert not twice, f"faulty adapters declared twice: {sorted(twice)}"
        merged.update(part)
    return merged


# TamperProxy settings in front of the reference adapter, by faulty adapter
_WIRES = _registry(WIRE, SHAPES, INPUTS, BOUNDS, GRID, EQUIVALENCE, LINKAGE, CODE_PAGES, CODES,
                   RECEIPTS, RULES, MUST_UNDERSTAND, NINTH_WIRE, EDGE_WIRE, REFUSAL_WIRE,
                   TENTH_WIRE, ELEVENTH_WIRE, TWELFTH_WIRE, ROUND12B_WIRE, ROUND13_WIRE,
                   ROUND14_WIRE, ROUND14B_WIRE, ROUND15_WIRE, ROUND15B_WIRE,
                   ROUND16_WIRE, ROUND16B_WIRE, ROUND17_WIRE, ROUND18_WIRE, ROUND19_WIRE,
                   ROUND20_WIRE, ROUND22_WIRE, ROUND23A_WIRE, ROUND25_WIRE, ROUND26_WIRE,
                   ROUND30_WIRE, ROUND31_WIRE, ROUND33_WIRE, ROUND34_WIRE,
                   ROUND35_WIRE, ROUND37_WIRE, ROUND38_WIRE, ROUND39_WIRE,
                   ROUND40_WIRE, ROUND42_WIRE, ROUND43_WIRE, ROUND44_WIRE,
                   ROUND45_WIRE, ROUND46_WIRE, ROUND47_WIRE,
                   ROUND48_WIRE)
# handler(refs, profile) → the URL of an adapter process of its own, by faulty adapter
_HANDLERS = _registry(HANDLERS, SHAPE_HANDLERS, INPUT_HANDLERS, BOUND_HANDLERS, KEY_HANDLERS,
                      GRID_HANDLERS, PAGING_HANDLERS, NINTH_HANDLERS, EDGE_HANDLERS,
                      REFUSAL_HANDLERS, TENTH_HANDLERS, ELEVENTH_HANDLERS, TWELFTH_HANDLERS,
                      ROUND12B_HANDLERS, ROUND13_HANDLERS, DOMAIN_KEY_HANDLERS,
                      ROUND14B_HANDLERS, ROUND15_HANDLERS, ROUND15B_HANDLERS,
                      ROUND16B_HANDLERS, ROUND19_HANDLERS, ROUND22_HANDLERS,
                      ROUND23A_HANDLERS, ROUND23C_HANDLERS, ROUND24_HANDLERS)
assert not _WIRES.keys() & _HANDLERS.keys() and not WSDLS.keys() & (_WIRES.keys() | _HANDLERS.keys())


def build(refs: References, faulty: Faulty, profile: str) -> Sut:
    observe = refs.observer(profile)
    if faulty.name in SOAP12_ONLY:  # the reference for SOAP 1.1, a faulty adapter for 1.2
        soap12 = build(refs, next(f for f in FAULTY if f.name == SOAP12_ONLY[faulty.name]),
                       profile)
        proxy = TamperProxy(refs.url(profile), **soap12_router(soap12.url))
        return Sut(proxy.url, params=dict(faulty.params), observe=observe,
                   closers=[proxy.close, soap12.close])
    if faulty.name in _WIRES:
        proxy = TamperProxy(refs.url(profile), **_WIRES[faulty.name],
                            state={"receiver": PARTIES[profile]})
        return Sut(proxy.url, params=dict(faulty.params), observe=observe,
                   closers=[proxy.close])
    if faulty.name in WSDLS:
        proxy = TamperProxy(refs.url(profile), wsdl=WSDLS[faulty.name])
        return Sut(proxy.url, wsdl=f"{proxy.url}/wsdl/{{service}}", params=dict(faulty.params),
                   observe=observe, closers=[proxy.close])
    return Sut(_HANDLERS[faulty.name](refs, profile), params=dict(faulty.params), observe=observe)


def faulty_runs(names) -> list:
    """``tiers.faulty_run`` of each adapter named in ``names`` on each profile it runs on."""
    return [faulty_run(f.name, p, f.profiles[0], f) for f, p in CASES
            if f.name in names and in_slow_tier(f.name, p, f.profiles[0], p in f.targets_by_profile)]


def targeted_cases(names, subscriber_modes) -> set[str]:
    """The case IDs the adapters named in ``names`` and the ``subscriber_modes`` ((requirement,
    targets) each) are asserted to fail: a round's every new case must be among them."""
    return {t.split("/")[0] for f, _ in CASES if f.name in names
            for ts in (f.targets, *f.targets_by_profile.values()) for t in ts} | \
        {t for _, ts in subscriber_modes.values() for t in ts}


def assert_fails_exactly_its_targets(refs: References, suite, faulty: Faulty, profile: str) -> None:
    """``faulty`` as the product of ``profile`` fails exactly the cases it targets there, each
    with ``fail`` (the product's failure, not the suite's error), and the run's verdict with them."""
    sut = build(refs, faulty, profile)
    try:
        result = run_profile(RunOptions(profile, target=sut.url, wsdl=sut.wsdl,
                                        params=sut.params, observe=sut.observe), suite)
    finally:
        sut.close()
    expected = faulty.expected(profile, [r.id for r in result.results])
    assert expected, f"{faulty.name} targets no case of {profile}"
    failed = not_passed(result)
    assert set(failed) == expected, (
        f"{faulty.name} ({faulty.breaks}) on {profile}: unexpected failures "
        f"{ {k: v for k, v in failed.items() if k not in expected} }, unexpected passes "
        f"{sorted(expected - set(failed))}")
    assert all(v.startswith("fail") for v in failed.values()), failed
    assert result.verdict == "fail"
