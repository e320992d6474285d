"""Faulty products for round 38b (docs/conformance-testing.md, "Round 38b"), each with ONE defect,
written from the classes the thirty-eighth blind batch's misses belong to (a kind of 団体 × the
Sender; a resident's ResidentKind × a date or an optional element), not from its variants:

- (a front end before the reference adapter, every role) a Sender table built from the
  municipalities' list — prefectures, cities, towns, villages and Tokyo's special wards — that
  has no row for the wards of the other designated cities (JIS X 0402 NN1XY, Y ≠ 0): such a
  Sender is refused PF-PROVIDER-MISROUTED (``designated-city-ward-sender-refused``);
- (the crashable subscriber) 外国人住民's records kept in a table of their own: one whose loader
  refuses a change dated before 2012-07-09, the day 外国人住民 came under the 住民基本台帳法
  (``foreign-resident-dated-before-2012-refused``), and one whose column list has no 旧氏
  (``foreign-resident-former-surname-refused``).
"""

from __future__ import annotations

from bus.core import faults

from .faulty_durability import CrashableSubscriber
from .faulty_round16b import PFH
from .faulty_round19 import ALL, _fault
from .proxy import Call, Reply, header_findtext, tree
from .subscriber import CMN, JUKI, ProviderError

FOREIGN_RESIDENTS_FROM = "2012-07-09"  # 改正住民基本台帳法 施行: 外国人住民 registered from then


def designated_city_ward_sender_refused(call: Call) -> bytes | Reply:
    """A Sender 団体コード NN1XY (Y ≠ 0) outside Tokyo — a ward of a designated city — refused."""
    code = header_findtext(tree(call.request), f"/{{{PFH}}}Sender/{{{PFH}}}LocalGovCode") or ""
    if len(code) == 6 and code[:2] != "13" and code[2] == "1" and code[4] != "0":
        return _fault(call, faults.PROVIDER_MISROUTED, "header:sender",
                      f"no municipality {code} in the Sender table")
    return call.request


ROUND38_FAULTS: list[tuple] = [
    ("designated-city-ward-sender-refused", "RQ-FAULT-12", ALL,
     ("P-PARTY-01/*", "S-PARTY-01/*")),
]
ROUND38_NAMES = {entry[0] for entry in ROUND38_FAULTS}
ROUND38_WIRE = {
    "designated-city-ward-sender-refused": {"on_request": designated_city_ward_sender_refused},
}


# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round38
ROUND38_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "foreign-resident-dated-before-2012-refused": ("RQ-EDGE-01", ("S-EDGE-01",)),
    # since round 40b the grid notices' residents are 外国人住民 in turn: those carrying a 旧氏
    # (S-FIELD-01's, S-FMR-01's, S-OPT-01's) meet the defect too
    "foreign-resident-former-surname-refused": ("RQ-EDGE-01", (
        "S-EDGE-01", "S-FIELD-01", "S-FMR-01", "S-OPT-01")),
}


class Round38Subscriber(CrashableSubscriber):
    """The crashable subscriber with one of ROUND38_MODES."""

    __test__ = False

    def handler(self, header, notice):
        for change in notice.iterfind(f"{{{JUKI}}}Change"):
            resident = change.find(f"{{{JUKI}}}Resident")
            if resident is None or resident.findtext(f"{{{CMN}}}ResidentKind") != "2":
                continue
            occurred = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or ""
            if self.mode == "foreign-resident-dated-before-2012-refused" and \
                    occurred[:10] < FOREIGN_RESIDENTS_FROM:
                raise ProviderError("VENDOR-DATE", "外国人住民 before 2012-07-09")
            if self.mode == "foreign-resident-former-surname-refused" and \
                    resident.find(f"{{{CMN}}}FormerSurname") is not None:
                raise ProviderError("VENDOR-UNSUPPORTED", "外国人住民 has no 旧氏 column")
        return super().handler(header, notice)
