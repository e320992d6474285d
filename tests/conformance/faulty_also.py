"""The cases a faulty adapter (tests/conformance/faulty.py) fails besides its own: the grids,
edge and key-domain cases judge every answer they ask for, so a defect that changes one of those
answers fails them as well — listed here by defect, added to its targets."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .references import JUKI_PROFILE

if TYPE_CHECKING:
    from .faulty import Faulty


# The grids judge every answer they ask for against the test data, so a defect written for its
# own case fails a grid as well when it changes an answer to one of the grid's inputs.
_ALSO_GRID_01 = ("not-found-as-fault", "answers-household-head", "individual-number-unsupported",
                 "unknown-individual-number-fault", "future-as-of-refused",
                 "as-of-ignored-by-individual-number", "member-kana-dropped", "dates-shifted",
                 "name-spaces-removed", "mynumber-remainder-zero-refused", "as-of-refused",
                 "addressee-remainder-zero-refused", "as-of-day-early", "head-name-of-requested",
                 "head-name-nfkc")
_ALSO_GRID_02 = ("paging-overlap", "later-pages-gender-dropped",
                 "later-pages-individual-number-mangled", "extract-nfc", "extract-as-of-refused",
                 "total-pages-plus-one", "extract-as-of-ignored")
_ALSO_BOTH = ("address-in-unit-namespace", "gender-missing", "individual-number-bad-check-digit",
              "nonbmp-degraded", "ivs-stripped", "gaiji-leaked", "nfc-normalised",
              "nfkc-normalised", "cp932-round-trip")


def _with_grids(f: Faulty) -> Faulty:
    grids = (("J-GRID-01",) if f.name in _ALSO_GRID_01 + _ALSO_BOTH else ()) + \
        (("J-GRID-02",) if f.name in _ALSO_GRID_02 + _ALSO_BOTH else ())
    if not grids:
        return f
    by_profile = dict(f.targets_by_profile)
    if JUKI_PROFILE in by_profile:
        by_profile[JUKI_PROFILE] = tuple(by_profile[JUKI_PROFILE]) + grids
    return dataclasses.replace(f, targets=f.targets + grids, targets_by_profile=by_profile)


# The edge cases (P-EDGE-01/02, S-EDGE-02) judge every answer they ask for — the right resident
# or not-found, 基準日 and keys at their edges, the echoed StandardVersion — so a defect of those
# fails them as well (a 15-digit 宛名番号 refused, a 基準日 refused or ignored, not-found as a
# fault, the household's head answered …).
_E1, _E2, _E12 = ("P-EDGE-01",), ("P-EDGE-02", "S-EDGE-02"), ("P-EDGE-01", "P-EDGE-02")
_ALSO_EDGE = {
    "limits-narrower": _E1, "not-found-as-fault": _E1, "individual-number-unsupported": _E1,
    "unknown-individual-number-fault": _E1, "future-as-of-refused": _E1,
    "as-of-ignored-by-individual-number": _E1, "extract-unknown-id-empty-page": _E1,
    "as-of-refused": _E1, "extract-as-of-refused": _E1, "as-of-timezone-refused": _E1,
    "extract-as-of-ignored": _E1, "individual-number-bad-check-digit": _E12,
    "answers-household-head": _E12, "addressee-number-int32": _E1,
    "addressee-remainder-zero-refused": _E2[:1], "standard-version-own": _E2,
}
# P-EDGE-03 asks by both keys, on a moving-in day and the day before, and counts two extracts:
# a defect of a key, of the 基準日 or of not-found fails it too
_ALSO_EDGE_03 = ("not-found-as-fault", "individual-number-bad-check-digit",
                 "individual-number-unsupported", "unknown-individual-number-fault",
                 "as-of-ignored-by-individual-number", "as-of-refused", "extract-as-of-refused",
                 "as-of-timezone-refused", "as-of-day-early", "extract-as-of-ignored",
                 "individual-number-as-of-utc", "extract-as-of-exclusive", "addressee-number-int32")


# P-DOMAIN-01 asks the key domain's all-zeros values nobody holds (not found): a defect of
# not-found, or a check digit refusing a valid remainder-0 number, fails it too
_ALSO_DOMAIN_01 = ("not-found-as-fault", "unknown-individual-number-fault",
                   "mynumber-remainder-zero-refused", "addressee-remainder-zero-refused")


def _with_edges(f: Faulty) -> Faulty:
    extra = _ALSO_EDGE.get(f.name, ()) + (("P-EDGE-03",) if f.name in _ALSO_EDGE_03 else ()) \
        + (("P-DOMAIN-01",) if f.name in _ALSO_DOMAIN_01 else ())
    if not extra:
        return f
    by_profile = {p: tuple(t) + extra for p, t in f.targets_by_profile.items()}
    return dataclasses.replace(f, targets=f.targets + extra, targets_by_profile=by_profile)


# Round 14b's cases send what a class of older defects mishandles too: a comment after the
# document (P-WIRE-01) is a comment, and stands between white space; a reply's SentAt off or
# echoed is so for a fast requester too (P-MSG-11); J-FULL-18 retries three times, with PageSize
# 1000 (read as three digits, beyond a narrower limit), against a new extract per request;
# content after the document (P-HOST-07) is malformed XML, holds CDATA; P-ADDR-05's Receivers are
# other systems
_ALSO_ROUND14B = {
    "white-space-between-elements-refused": ("P-WIRE-01/*",),
    "comment-refused": ("P-WIRE-01/*",),
    "close-before-flush": ("P-WIRE-01/*",),  # every raw request says Connection: close
    "clock-nine-hours-off": ("P-MSG-11/*",),
    "sent-at-echoed": ("P-MSG-11/*",),
    "page-size-three-digits": ("J-FULL-18",),
    "limits-narrower": ("J-FULL-18",),
    "extract-per-request": ("J-FULL-18",),
    "soap12-extract-per-request": ("J-FULL-18",),
    "request-id-retried-once": ("J-FULL-18",),
    "malformed-as-html": ("P-HOST-07/*",),
    "soap12-malformed-as-html": ("P-HOST-07/*",),
    "cdata-refused": ("P-HOST-07/*",),
    "receiver-unchecked": ("P-ADDR-05/*",),
    "misrouted-as-header-invalid": ("P-ADDR-05/*",),
}


# Round 15's cases send what older defects mishandle too: P-HOST-08's DOCTYPEs are DTDs (one in
# UTF-16, one after a comment); P-ORDER-01 sends an unknown
# mandatory block, another 団体's Receiver and Version 2 beside a schema-invalid body, so a
# product that ignores any of them, or names the misaddressing otherwise, is refused for the body
_ALSO_ROUND15 = {
    "dtd-expanded": ("P-HOST-08/*",),
    "dtd-named-malformed": ("P-HOST-08/*",),
    "utf16-refused": ("P-HOST-08/*",),
    "charset-crash": ("P-HOST-08/*",),
    "comment-refused": ("P-HOST-08/*",),
    "receiver-unchecked": ("P-ORDER-01/*",),
    "receiver-gov-code-unchecked": ("P-ORDER-01/*",),
    "soap12-receiver-unchecked": ("P-ORDER-01/*",),
    "service-version-unchecked": ("P-ORDER-01/*",),
    "misrouted-as-header-invalid": ("P-ORDER-01/*",),
    "must-understand-ignored": ("P-ORDER-01/*",),
}


# Round 16's cases send what older defects mishandle too: P-NEIGH-01 sends schema-invalid
# requests on every service, over SOAP 1.2 too, and wants PF-HEADER-INVALID for a header's field
# (a product answering them, or faulting otherwise, fails it); S-CAL-01 and S-ONCE-09 are judged
# by the notice grid's model (a receipt's RelatesTo, a duplicate); K-EDGE-01 asks about untaxed
# years (not-found); the extremes of P-EDGE-01 meet a 基準日 read a day early or compared
# exclusively; P-CAL-01 judges 福田ﾊﾅ and 都筑ﾕｷ leaf by leaf by both keys with a 基準日, and a
# 全件 of every resident, so the defects of the grids' fields and keys fail it as they fail the
# grids
_NEIGH = ("P-NEIGH-01/*",)
_ALSO_ROUND16 = {
    "soap12-fault-500": _NEIGH, "no-validation": _NEIGH,
    "soap12-schema-fault-as-envelope": _NEIGH, "header-facets-as-schema": _NEIGH,
    "sent-at-anchored": _NEIGH,
    "finding-line-as-offset": _NEIGH,  # P-NEIGH-01 judges its xsd:* Finding's Line too
    "relates-to-fresh": ("S-CAL-01", "S-ONCE-09"), "soap12-duplicate-as-applied": ("S-ONCE-09",),
    "not-found-as-fault": ("K-EDGE-01",), "soap12-not-found-as-fault": ("K-EDGE-01",),
    "as-of-day-early": ("P-EDGE-01",), "extract-as-of-exclusive": ("P-EDGE-01", "P-CAL-01"),
    **{name: ("P-CAL-01",) for name in (
        "address-in-unit-namespace", "gender-missing", "individual-number-bad-check-digit",
        "nonbmp-degraded", "ivs-stripped", "gaiji-leaked", "paging-overlap", "nfc-normalised",
        "nfkc-normalised", "cp932-round-trip", "head-name-nfkc", "extract-nfc",
        "individual-number-unsupported", "future-as-of-refused", "dates-shifted",
        "as-of-refused", "extract-as-of-refused", "total-pages-plus-one", "extract-as-of-ignored",
        "one-page-counted-as-two", "individual-number-as-integer", "addressee-number-int32",
        "names-jis-to-cp932", "address-cp932-read-as-jis", "ivs-range-from-e0101")},
}


def _with_also(f: Faulty, also: dict[str, tuple[str, ...]]) -> Faulty:
    extra = also.get(f.name, ())
    if not extra:
        return f
    by_profile = {p: tuple(t) + extra for p, t in f.targets_by_profile.items()}
    return dataclasses.replace(f, targets=f.targets + extra, targets_by_profile=by_profile)


def with_cases_also_failed(f: Faulty) -> Faulty:
    """``f`` with the grid, edge, key-domain, round-14b, round-15 and round-16 cases its defect
    fails besides its own."""
    return _with_also(_with_also(_with_also(_with_edges(_with_grids(f)), _ALSO_ROUND14B),
                                 _ALSO_ROUND15), _ALSO_ROUND16)
