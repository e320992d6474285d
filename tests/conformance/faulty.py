"""The faulty providers, each breaking ONE requirement, and the cases each must fail.

``targets`` are case instance IDs or ``CASE/*`` (every service the case runs for). Where one
defect necessarily shows in more than one case, the comment says why. The tests assert that a
run against each faulty adapter fails exactly its targets, and that every case of every
provider profile is some faulty adapter's target.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from .faulty_handlers import HANDLERS, WSDLS
from .faulty_wire import WIRE
from .proxy import TamperProxy
from .references import PARTIES, JUKI_PROFILE, SUB_PROFILE, TAX_PROFILE, References, Sut

BOTH = (JUKI_PROFILE, TAX_PROFILE)
ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE)  # the subscriber answers notices like a provider


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
    Faulty("relates-to-fresh", "RQ-BIND-01", ALL, ("P-BIND-01/*",)),
    Faulty("hash-of-c14n", "RQ-BIND-02", ALL, ("P-BIND-02/*",)),
    Faulty("parties-not-swapped", "RQ-BIND-03", ALL, ("P-BIND-03/*",)),
    Faulty("sent-at-utc", "RQ-MSG-03", ALL, ("P-MSG-03/*",)),
    # SOAP and faults
    Faulty("soap11-as-12", "RQ-SOAP-11", ALL, ("P-SOAP-01/*",)),
    Faulty("soap12-as-11", "RQ-SOAP-12", ALL, ("P-SOAP-02/*",)),
    Faulty("soap12-fault-500", "RQ-FAULT-03", ALL, ("P-FAULT-03/*",)),
    Faulty("fault-without-message-id", "RQ-FAULT-06", ALL, ("P-FAULT-06/*",)),
    Faulty("header-optional", "RQ-FAULT-04", ALL, ("P-FAULT-04/*",)),
    Faulty("unknown-as-404-page", "RQ-FAULT-05", ALL, ("P-FAULT-05/*",)),
    Faulty("rules-ignored", "RQ-FAULT-02", ALL, ("P-FAULT-02/*",)),
    # No validation at all: every case sending an invalid request sees an answer, not a fault.
    # The full extract's handler refuses PageSize 1001 itself, as an internal error
    # (PF-PROVIDER-INTERNAL, Receiver): wrong code and SOAP code, but it names the message.
    Faulty("no-validation", "RQ-FAULT-01", ALL, (), targets_by_profile={
        SUB_PROFILE: ("P-FAULT-01/*", "P-FAULT-02/*", "P-FAULT-03/*", "P-FAULT-06/*"),
        JUKI_PROFILE: ("P-FAULT-01/*", "P-FAULT-02/*", "P-FAULT-03/*",
                       "P-FAULT-06/juki.ResidentInquiry"),
        TAX_PROFILE: ("P-FAULT-01/*", "P-FAULT-02/*", "P-FAULT-03/*", "P-FAULT-06/*")}),
    # behaviour
    Faulty("duplicate-refused", "RQ-BEH-01", BOTH, ("P-BEH-01/*",)),
    Faulty("slow-on-large", "RQ-BEH-04", BOTH, ("P-BEH-04/*",),
           params={"response_limit": "0.3"}),
    # Boundary values are refused: the 'not-found' answer P-MSG-07 expects never comes.
    Faulty("limits-narrower", "RQ-MSG-07", BOTH, ("P-MSG-07/*",)),
    # 'not found' as a fault: the boundary request (an unknown 15-digit 宛名番号) is a
    # not-found inquiry too, so P-MSG-07 fails with it.
    Faulty("not-found-as-fault", "RQ-BEH-02", BOTH, (), targets_by_profile={
        JUKI_PROFILE: ("J-INQ-02", "P-MSG-07/juki.ResidentInquiry"),
        TAX_PROFILE: ("K-INQ-02", "P-MSG-07/*")}),
    # service descriptions (run with --wsdl pointing at the faulty one)
    Faulty("wsdl-fault-undeclared", "RQ-WSDL-01", ALL, ("P-WSDL-01/*",)),
    Faulty("wsdl-wrong-namespace", "RQ-WSDL-02", ALL, ("P-WSDL-02/*",)),
    Faulty("wsdl-rpc-style", "RQ-WSDL-03", ALL, ("P-WSDL-03/*",)),
    Faulty("wsdl-no-soap12", "RQ-WSDL-04", ALL, ("P-WSDL-04/*",)),
    # 住民基本台帳 bodies
    Faulty("address-in-unit-namespace", "RQ-MSG-01", (JUKI_PROFILE,), ("P-MSG-01/*",)),
    Faulty("gender-missing", "RQ-MSG-01", (JUKI_PROFILE,), ("P-MSG-01/*",)),
    Faulty("individual-number-bad-check-digit", "RQ-MSG-02", (JUKI_PROFILE,), ("P-MSG-02/*",)),
    Faulty("nonbmp-degraded", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-01",)),
    Faulty("ivs-stripped", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-02",)),
    Faulty("gaiji-leaked", "RQ-MSG-08", (JUKI_PROFILE,), ("J-CHR-03",)),
    # answers the household's head: wrong for the member asked about (J-INQ-01) and for the
    # IVS case's resident, a wife whose 旧氏 the head does not have (J-CHR-02)
    Faulty("answers-household-head", "RQ-BEH-02", (JUKI_PROFILE,), ("J-INQ-01", "J-CHR-02")),
    Faulty("paging-overlap", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-01",)),
    # 異動通知 receipts
    Faulty("receipt-extra-element", "RQ-MSG-01", (SUB_PROFILE,), ("P-MSG-01/*",)),
    # 個人住民税 bodies
    Faulty("taxation-extra-element", "RQ-MSG-01", (TAX_PROFILE,), ("P-MSG-01/*",)),
    # a code outside the list is also not the category the record has (K-INQ-01)
    Faulty("category-not-in-code-list", "RQ-MSG-02", (TAX_PROFILE,), ("P-MSG-02/*", "K-INQ-01")),
    Faulty("wrong-fiscal-year", "RQ-BEH-02", (TAX_PROFILE,), ("K-INQ-01",)),
]

CASES = [(f, p) for f in FAULTY for p in f.profiles]


def build(refs: References, faulty: Faulty, profile: str) -> Sut:
    observe = refs.observer(profile)
    if faulty.name in WIRE:
        proxy = TamperProxy(refs.url(profile), **WIRE[faulty.name],
                            state={"receiver": PARTIES[profile]})
        return Sut(proxy.url, params=dict(faulty.params), observe=observe,
                   closers=[proxy.close])
    if faulty.name in WSDLS:
        proxy = TamperProxy(refs.url(profile), wsdl=WSDLS[faulty.name])
        return Sut(proxy.url, wsdl=f"{proxy.url}/wsdl/{{service}}", params=dict(faulty.params),
                   observe=observe, closers=[proxy.close])
    return Sut(HANDLERS[faulty.name](refs, profile), params=dict(faulty.params), observe=observe)
