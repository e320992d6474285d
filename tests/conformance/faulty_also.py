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
    # P-NEIGH-01 judges its xsd:* Finding's Line too, INV-FAULT-13 every Finding's (round 40b)
    "finding-line-as-offset": (*_NEIGH, "INV-FAULT-13"),
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


# Round 17: P-CAL-02 judges two 住民照会 and ten 全件 leaf by leaf, as P-CAL-01 does (the grids'
# judges); S-CAL-02 and S-CHR-15 judge every receipt's RelatesTo (surveyed by running every
# faulty adapter on round 17's cases)
_ALSO_ROUND17 = {
    "relates-to-fresh": ("S-CAL-02", "S-CHR-15"),
    **{name: ("P-CAL-02",) for name in (
        "address-cp932-read-as-jis", "address-in-unit-namespace", "addressee-number-int32",
        "as-of-ignored-by-individual-number", "as-of-refused", "cp932-round-trip",
        "dates-shifted", "extract-as-of-exclusive", "extract-as-of-ignored",
        "extract-as-of-refused", "extract-nfc", "gaiji-leaked", "gender-missing",
        "individual-number-bad-check-digit", "individual-number-unsupported",
        "ivs-range-from-e0101", "ivs-stripped", "names-jis-to-cp932", "nfc-normalised",
        "nfkc-normalised", "nonbmp-degraded", "not-found-as-fault", "one-page-counted-as-two",
        "paging-overlap", "total-pages-plus-one", "unknown-individual-number-fault")},
}

# Round 16b's cases judge what older defects break too: J-GRID-03 judges every page it asks for
# leaf by leaf and every retried first request, as J-GRID-02 and the RequestId cases do;
# J-FULL-19 asks dated extracts under RequestIds; P-DIGIT-02 asks unknown numbers (not-found);
# P-DIGIT-01 sends other Senders; P-IDENT-01 and S-IDENT-01 judge each answer's RelatesTo
_ALSO_ROUND16B = {
    "relates-to-fresh": ("P-IDENT-01/*", "S-IDENT-01"),
    "sender-party-pinned": ("P-DIGIT-01/*",),
    **{name: ("J-FULL-19",) for name in ("extract-as-of-ignored", "extract-as-of-refused",
                                          "request-id-upper-cased")},
    **{name: ("P-DIGIT-02",) for name in ("individual-number-unsupported", "not-found-as-fault",
                                           "unknown-individual-number-fault")},
    **{name: ("J-GRID-03",) for name in (
        "address-cp932-read-as-jis", "address-in-unit-namespace", "cp932-round-trip",
        "extract-nfc", "extract-per-request", "gaiji-leaked", "gender-missing",
        "individual-number-bad-check-digit", "ivs-range-from-e0101", "ivs-stripped",
        "later-pages-gender-dropped", "later-pages-individual-number-mangled",
        "names-jis-to-cp932", "nfc-normalised", "nfkc-normalised", "nonbmp-degraded",
        "page-from-cursor", "paging-overlap", "request-id-released-when-paging",
        "request-id-retried-once", "soap12-extract-per-request")},
}

# round 18 (surveyed by running every faulty adapter on its cases): P-NAME-01 sends requests
# without a platform header and with a header or body no schema reads — the defects of the
# refusal's code and status fail it; S-DATE-01 judges receipts by the notice grid's model
_NAME = ("P-NAME-01/*",)
_ALSO_ROUND18 = {
    **{name: _NAME for name in (
        "soap12-fault-500", "header-optional", "unknown-as-404-page", "no-validation",
        "soap12-schema-fault-as-envelope", "soap12-unknown-as-404-page",
        "header-facets-as-schema", "sender-party-pinned")},
    # its header forms reach SOAP 1.2 on one service of a profile of two (the services take
    # the header's forms in turn)
    "soap12-header-optional": ("P-NAME-01/juki.ResidentInquiry",
                               "P-NAME-01/juki.ResidentChangeNotice",
                               "P-NAME-01/kojinjuminzei.TaxationStatusInquiry",
                               "P-NAME-01/kokuho.QualificationInquiry"),
    "relates-to-fresh": ("S-DATE-01",),
}


# Round 19: J-INQ-15 asks the household as of a 基準日 (a member of remainder 0 among those asked,
# a one-person household among the answers), J-FULL-20 unknown ExtractIds, P-EQUIV-01 and
# S-EQUIV-01 a header block under a long non-ASCII prefix (surveyed by running every faulty
# adapter on round 19's cases on every profile)
_ALSO_ROUND19 = {
    "extract-unknown-id-empty-page": ("J-FULL-20",), "extract-expiry-blamed-on-self": ("J-FULL-20",),
    "header-by-prefix": ("P-EQUIV-01/*", "S-EQUIV-01"),
    **{name: ("J-INQ-15",) for name in (
        "addressee-remainder-zero-refused", "as-of-day-early", "as-of-refused",
        "single-member-twice")},
}


# Round 20: P-EQUIV-01 and S-EQUIV-01 send a UTF-8 BOM without an XML declaration, INV-ENC-01
# reads every answer's labels as README says every receiver reads them (surveyed by running every
# faulty adapter on round 20's forms and INV-ENC-01 on every profile: 800 runs)
_ALSO_ROUND20 = {
    "bom-refused": ("P-EQUIV-01/*", "S-EQUIV-01"),
    **{name: ("INV-ENC-01",) for name in (
        "charset-mislabelled", "answers-in-euc-jp", "answers-labelled-utf8",
        "utf16-labelled-with-byte-order")},
}


# Round 22: P-ADDR-07 and S-ADDR-03 refuse more Versions, with PF-PROVIDER-MISROUTED (surveyed
# by running every faulty adapter on round 22's cases on every profile it applies to)
_ALSO_ROUND22 = {
    "misrouted-as-header-invalid": ("P-ADDR-07/*", "S-ADDR-03"),
    # its 外字 review looks for MJ-only characters anywhere in the request: round 22's prolog
    # comment and vendor block hold 髙 where the canonical notice holds none
    "mj-name-receipt-accepted": ("P-EQUIV-01/*", "S-EQUIV-01"),
    # (found by the lead's slow-tier run after landing, outside the survey's 572 pairs)
    # any mustUnderstand value taken for true: the vendor block marked mustUnderstand="0"
    "must-understand-any-value": ("P-EQUIV-01/*", "S-EQUIV-01"),
    # a Version not checked: every number-like form of P-ADDR-07/S-ADDR-03 is served
    "service-version-unchecked": ("P-ADDR-07/*", "S-ADDR-03"),
    # answers the prolog-epilogue-non-ascii form with a fault where the canonical form got an answer
    "trailer-refused": ("P-EQUIV-01/*", "S-EQUIV-01"),
}


# Round 23b: S-FIELD-01 and S-PART-01 restart a crash-capable subscriber once each, around
# notices of many residents over both SOAP versions, and deliver every notice again after the
# restart — the crash modes of every round (the ``(requirement, targets)`` dicts below pass
# through ``with_restart_cases_also_failed``) that lose a write or a seen MessageId at a restart,
# or replay or rebuild at start-up, fail them too (surveyed by running every crash-capable mode
# — CRASH_MODES, DURABILITY_MODES, rounds 16, 16b, 19, 21 and 22 — on both cases)
_ALSO_ROUND23B = {
    # half of both cases' notices come over SOAP 1.2 and are lost at their restarts
    "soap12-write-behind": ("S-FIELD-01", "S-PART-01"),
    # S-FIELD-01's notices before its restart each hold several residents' changes
    "multi-change-write-behind": ("S-FIELD-01",),
    # S-FIELD-01 delivers every notice again after its residents' later ones and the restart
    "seen-ids-rebuilt-from-residents": ("S-FIELD-01",),
    # S-FIELD-01's 消除 notice, delivered again after the restart
    "removal-ids-written-later": ("S-FIELD-01",),
    # S-FIELD-01's resident held at 9 with a 4 kept out: 5 after the restart is applied
    "watermark-from-last-received": ("S-FIELD-01",),
    # S-FIELD-01's kept-out changes applied or counted again at start
    "start-up-recheck": ("S-FIELD-01",),
    "changes-replayed-sorted-at-start": ("S-FIELD-01",),
    # S-PART-01 delivers 12 notices again after 30 others: a window of ten misses the older
    "seen-window-warmed": ("S-PART-01",),
    # the independent adapter's durability mutants: what the restart loses
    "write-behind": ("S-FIELD-01", "S-PART-01"),
    "seen-ids-temp-table": ("S-FIELD-01", "S-PART-01"),
}


def with_restart_cases_also_failed(modes: dict[str, tuple[str, tuple[str, ...]]]) \
        -> dict[str, tuple[str, tuple[str, ...]]]:
    """A crash-capable round's modes with the restart cases of later rounds they fail too."""
    return {m: (rq, tuple(targets) + _ALSO_ROUND23B.get(m, ()) + _ALSO_ROUND24_RESTART.get(m, ())
                + _ALSO_ROUND26B_RESTART.get(m, ()) + _ALSO_ROUND27B_RESTART.get(m, ())
                + _ALSO_ROUND34B_RESTART.get(m, ()) + _ALSO_ROUND35B_RESTART.get(m, ())
                + _ALSO_ROUND37B_RESTART.get(m, ()))
            for m, (rq, targets) in modes.items()}


# Round 34b: S-RELOAD-01 restarts once more at the end of a subscriber run and observes again
# every resident the run observed and has not touched since (surveyed on every crash-capable
# mode of every round and the independent adapter's durability mutants): a start-up that
# changes a stored value, or a restart that loses writes, fails it too
_ALSO_ROUND34B_RESTART = {mode: ("S-RELOAD-01",) for mode in (
    # writes lost at the restart: residents observed before it are gone or older after it
    "burst-group-commit", "household-change-write-behind", "multi-change-write-behind",
    "soap12-write-behind", "write-behind",
    # a start-up that applies, replays or rebuilds: a resident's count or state changes
    "start-up-recheck", "changes-replayed-sorted-at-start", "refused-applied-at-start",
    "corrections-after-removal-lost-at-start", "former-surname-deleted-rebuilt-at-start",
    "removed-on-read-back-in-utc", "state-restored-from-text-ordered-history",
    # a start-up that changes a stored value
    "half-width-widened-at-start", "names-cut-to-64-at-start",
    "names-of-100-utf16-units-at-start", "names-stripped-at-start")}


# Round 35b: S-MULTI-05 restarts after 39 notices of several changes each (half over SOAP 1.2,
# MessageIds of every UUID version) and delivers each again (surveyed on every crash-capable
# mode of every round): writes lost for SOAP 1.2 or for several changes, a notice with a change
# kept out left open, seen MessageIds of one version or the last ten kept, kept-out changes
# re-applied at a start — each fails it too
_ALSO_ROUND35B_RESTART = {mode: ("S-MULTI-05",) for mode in (
    "kept-out-left-open", "multi-change-write-behind", "seen-ids-version-4-kept-at-start",
    "soap12-write-behind",
    # a start-up that re-applies kept-out changes, replays changes sorted, rebuilds the
    # watermark from the last received, or warms only the last ten MessageIds
    "start-up-recheck", "changes-replayed-sorted-at-start", "watermark-from-last-received",
    "seen-window-warmed",
    # the independent adapter's durability mutants: writes behind, seen MessageIds in a TEMP table
    "write-behind", "seen-ids-temp-table")}


# Round 37b: S-MULTI-05's 異動連番 go beyond 2⁵³ (surveyed on every crash-capable mode of every
# round): watermarks reloaded as 32-bit integers fail it too
_ALSO_ROUND37B_RESTART = {"watermarks-int32-at-start": ("S-MULTI-05",)}


# Round 26b: S-DUR-10 restarts right after one notice of 26 changes per binding (surveyed on
# every crash-capable mode): a cache for SOAP 1.2, for notices of several changes, and the
# independent adapter's write-behind lose it
_ALSO_ROUND26B_RESTART = {
    "soap12-write-behind": ("S-DUR-10",),
    "multi-change-write-behind": ("S-DUR-10",),
    "write-behind": ("S-DUR-10",),
}

# Round 27b: S-DUR-11 restarts right after a notice of each outcome branch, two of them notices
# of several changes, two over SOAP 1.2, then delivers that notice again and an older change
# (surveyed on every crash-capable mode: CRASH_MODES, DURABILITY_MODES, rounds 16, 16b, 19, 21,
# 22 and 23b)
_ALSO_ROUND27B_RESTART = {
    "soap12-write-behind": ("S-DUR-11",),
    "multi-change-write-behind": ("S-DUR-11",),
    "write-behind": ("S-DUR-11",),
    # seen MessageIds lost or rebuilt from the applied changes: a notice all kept out is new again
    "seen-ids-temp-table": ("S-DUR-11",),
    "seen-rebuilt-from-change-rows": ("S-DUR-11",),
    # kept-out changes applied or counted again at start
    "start-up-recheck": ("S-DUR-11",),
    "changes-replayed-sorted-at-start": ("S-DUR-11",),
}


# Round 24: S-FIELD-02 restarts once after two notices of several residents, one over SOAP 1.2
# (surveyed like round 23b's: every crash-capable mode on round 24's cases)
_ALSO_ROUND24_RESTART = {
    "soap12-write-behind": ("S-FIELD-02",),
    "multi-change-write-behind": ("S-FIELD-02",),
    # the independent adapter's durability mutant (a process, killed): its writes of the last
    # second are lost, S-FIELD-02's two notices among them
    "write-behind": ("S-FIELD-02",),
}



# Round 23a: P-PARTY-01/S-PARTY-01 walk every 業務ユニット with 団体コード and SystemIds at their
# edges and read each answer's Receiver back; P-PARTY-02/S-PARTY-02 refuse a Party its rules
# refuse with PF-HEADER-INVALID or PF-RULE-VIOLATION naming the rule; P-WIDTH-01 asks held
# 宛名番号 at other widths (surveyed by running every faulty adapter of faulty.py on round 23a's
# cases on every profile it applies to: 821 pairs)
_ALSO_ROUND23A = {
    # the reply's Receiver is not the Sender: P-PARTY-01/S-PARTY-01 read it back
    **{name: ("P-PARTY-01/*", "S-PARTY-01/*") for name in (
        "parties-not-swapped", "soap12-parties-not-swapped", "reply-receiver-case-folded",
        # the Sender's 団体コード checked with the 宛名番号 routine: 000001 (remainder 0) refused
        "local-gov-by-addressee-rule")},
    # a trusted-peer list: every other Sender refused PF-ACCESS-DENIED, the Party its rules
    # refuse too (not the rule's fault)
    "sender-party-pinned": ("P-PARTY-01/*", "P-PARTY-02/*"),
    # the codelist finding without the list's name: the Sender's 業務ユニット 00 on a notice
    "codelist-unnamed": ("S-PARTY-02/*",),
    # 課税状況照会 and 資格照会 answer an unheld 宛名番号 with a fault, refuse more than ten digits,
    # or keep it in 32 bits: P-WIDTH-01's unheld widths
    **{name: ("P-WIDTH-01/*",) for name in (
        "not-found-as-fault", "soap12-not-found-as-fault", "limits-narrower",
        "addressee-number-int32")},
}

# Round 23c: S-IDCHG-01 sends a new 住民票コード, 個人番号 and 世帯番号 under every 異動事由 in notices
# of 26 residents' changes, S-KANA-01 one notice of two residents named by JIS X 0208 rows 4
# and 5, J-RETRY-01 a first 全件 request retried varying one field outside the key (UserId,
# SentAt, a Content-Type without charset, a quoted charset, SOAP 1.2 without action),
# S-RETRY-01 a notice delivered again under its MessageId the same way (surveyed by running
# every faulty adapter of faulty.py on round 23c's cases on every profile it applies to: 853
# pairs)
_ALSO_ROUND23C = {
    # the receipt's RelatesTo is judged by the notice grid's model on every notice
    "relates-to-fresh": ("S-IDCHG-01", "S-KANA-01"),
    # a second snapshot for a retried first request: J-RETRY-01's retries are such requests
    **{name: ("J-RETRY-01",) for name in (
        "extract-per-request", "soap12-extract-per-request", "request-id-retried-once")},
    # SOAP 1.2's action parameter is optional, a quoted charset is a charset (RFC 9110 5.6.4):
    # the retry over SOAP 1.2 without it, the one with charset="UTF-8"
    **{name: ("J-RETRY-01", "S-RETRY-01") for name in (
        "soap12-action-required", "charset-unquoted-only")},
    # a SOAP 1.2 redelivery receipted applied: S-RETRY-01's last one
    "soap12-duplicate-as-applied": ("S-RETRY-01",),
    # a Content-Type without charset (the XML declaration says UTF-8) is a decode crash
    "charset-crash": ("J-RETRY-01",),
}


# Round 24: S-PREF-01 and S-CJK-01 are judged by the notice grid's model, J-RETRY-02 retries 64
# RequestIds (surveyed by running every faulty adapter of faulty.py on round 24's cases on every
# profile it applies to, 823 pairs, and every subscriber mode of the rounds before)
_ALSO_ROUND24 = {
    # the receipt's RelatesTo is judged by the notice grid's model on every notice
    "relates-to-fresh": ("S-PREF-01", "S-CJK-01"),
    # a second snapshot for every first request: each of J-RETRY-02's retries is one
    **{name: ("J-RETRY-02",) for name in ("extract-per-request", "soap12-extract-per-request")},
    # a RequestId keyed by its first 40 characters: J-RETRY-02's values of 41–64 characters
    # extend each other (the first character aside), so they share one snapshot
    "request-id-prefix-40": ("J-RETRY-02",),
}


# Round 25: P-SVC-01/S-SVC-01 send every neighbour spelling of the served ServiceId and Version
# (refused PF-PROVIDER-MISROUTED naming the rule, PF-HEADER-INVALID for a spelling the schema
# refuses), S-MULTI-04 a notice of three changes of one resident in every
# order and a later change at every place, S-OPT-01 every optional element of the notice's types
# absent alone and present alone (surveyed by running every faulty adapter of faulty.py on the
# new cases on every profile it applies to, and the in-process subscriber families)
_SVC = ("P-SVC-01/*", "S-SVC-01/*")
_ALSO_ROUND25 = {
    # the receipt's RelatesTo is judged by the notice grid's model on every notice
    "relates-to-fresh": ("S-MULTI-04", "S-OPT-01"),
    # another ServiceId or Version answered PF-HEADER-INVALID; a schema-invalid spelling's
    # PF-HEADER-INVALID turned PF-SCHEMA-INVALID
    "misrouted-as-header-invalid": _SVC, "header-facets-as-schema": _SVC,
    # the header's Service never read: every spelling served, its reply echoing a schema-invalid
    # one (INV-MSG-03)
    "service-id-unchecked": (*_SVC, "INV-MSG-03"), "service-version-unchecked": (*_SVC, "INV-MSG-03"),
    # S-OPT-01's names hold 髙 (Original): the receipt says accepted
    "mj-name-receipt-accepted": ("S-OPT-01",),
    # float(Version) after a leading v: P-SVC-01/S-SVC-01's v1 is served as 1, and the
    # schema-invalid １ and "1 " (float reads both), their reply echoing them (INV-MSG-03)
    "version-as-number": (*_SVC, "INV-MSG-03"),
}


# Round 26: S-FMR-01 sends C08/C09 with and without a FormerSurname, judged by the notice grid's
# model, S-AHEAD-01 notices 240 s and 3600 s ahead, P-LKIND-01 each service's sample as full and
# as delta (surveyed by running every faulty adapter of faulty.py on round 26's new cases on every
# profile they apply to, and the in-process subscriber families)
_ALSO_ROUND26 = {
    # the receipt's RelatesTo is judged by the notice grid's model on every notice
    "relates-to-fresh": ("S-FMR-01",),
    # P-LKIND-01 (binding.linkage) judges each reply's LinkageKind and StandardVersion: a
    # LinkageKind guessed from the answer's residents (the inquiry's household: full), a
    # StandardVersion of the product's own
    "linkage-kind-by-record-count": ("P-LKIND-01/*",), "standard-version-own": ("P-LKIND-01/*",),
    # P-LKIND-01's second request goes over SOAP 1.2, its answer compared with the first's
    "soap12-insurer-number-wrong": ("P-LKIND-01/*",), "soap12-wrong-fiscal-year": ("P-LKIND-01/*",),
}


# Round 31b: J-CHR-09 asks four residents in UTF-16 and US-ASCII, each answer compared with the
# UTF-8 one (surveyed by running every faulty adapter of faulty.py whose targets or name concern
# encodings, the Content-Type, SOAP versions or characters on its first profile: 106 runs)
_ALSO_ROUND31 = {
    # a UTF-16 or US-ASCII request refused, crashed on, or decoded otherwise than its bytes say
    **{name: ("J-CHR-09",) for name in (
        "charset-crash", "utf16-refused", "declaration-literal", "charset-unquoted-only",
        "charset-allow-list", "utf16-encoding-from-declaration", "utf16-transcoded-by-replace")},
}

# round 34: the wire grid (P-EQUIV-03, S-EQUIV-03) holds every encoding, label form and HTTP
# option P-EQUIV-01 sends alone, so a product refusing or misreading one of them fails the grid
# too (surveyed: every faulty adapter of faulty.py on every profile, the grid and invariants only)
_GRID_PAIRS = ("P-EQUIV-03", "S-EQUIV-03")
_ALSO_ROUND34 = {
    **{name: _GRID_PAIRS for name in (
        "charset-crash", "bom-refused", "utf16-refused", "declaration-required",
        "declaration-literal", "charset-unquoted-only", "content-type-parsed-by-position",
        "expect-answered-unread", "close-before-flush", "charset-allow-list",
        "bom-only-before-declaration", "utf16-encoding-from-declaration",
        "utf16-transcoded-by-replace", "no-charset-as-utf8", "charset-by-search",
        "content-type-parameters-strict", "action-parameter-names-soap12",
        "soapaction-field-names-soap11", "charset-of-first-parameter-only")},
    # its refusal of a Content-Type with white space before ';' names no MessageId
    "media-type-untrimmed": (*_GRID_PAIRS, "INV-FAULT-06"),
    # a provider's inquiry holds no character a reference stands for; a notice's name does
    "hex-reference-as-code-unit": ("S-EQUIV-03",),
}

# Round 35b: J-GRID-03 sends the 全件 request's 基準日 (an empty extract's, one that holds some
# residents) across its retries and as LinkageKind delta, P-LATE-01 retries every first request
# with a RequestId at the end of the run (surveyed on every faulty provider of juki.provider): a
# 基準日 refused, ignored, exclusive, or part of the RequestId's key, one page too many, delta
# refused, fail J-GRID-03 too; a RequestId forgotten, kept for one retry or for one binding,
# or without its leading hyphen fails P-LATE-01 too
_ALSO_ROUND35B = {
    **{name: ("J-GRID-03",) for name in (
        "extract-as-of-refused", "extract-as-of-ignored", "extract-as-of-exclusive",
        "total-pages-plus-one", "request-ids-keyed-by-parameters",
        "linkage-kind-of-service-enforced")},
    **{name: ("P-LATE-01",) for name in (
        "extract-per-request", "request-id-retried-once", "soap12-extract-per-request",
        "request-id-leading-hyphen-not-kept")},
    "request-id-undated-only": ("J-GRID-03", "P-LATE-01"),
}

# Round 36b: J-FULL-07 sends the same RequestId from Senders differing in one party field alone
# (surveyed on every faulty provider of juki.provider): a Sender party pinned to the trusted
# peers, and a RequestId kept for one retry only, fail it too
_ALSO_ROUND36B = {"sender-party-pinned": ("J-FULL-07",), "request-id-retried-once": ("J-FULL-07",)}

# Round 37b: P-PARTY-01 also sends the Receiver's own Party as Sender (surveyed on every faulty
# adapter of every profile): a loop guard refusing a Sender of the Receiver's 団体コード and
# 業務ユニット fails it too
_ALSO_ROUND37B = {"own-party-loop-guard": ("P-PARTY-01/*",)}

# Round 39b: P-SOAP-09 sends envelopes whose own structure is broken (surveyed on every faulty
# adapter of every profile): front ends that judge the payload's prefixes or the white space
# between elements first answer PF-SCHEMA-INVALID, not PF-SOAP-ENVELOPE — they fail it too
_ALSO_ROUND39B = {"payload-prefixes-local": ("P-SOAP-09/*",),
                  "white-space-between-elements-refused": ("P-SOAP-09/*",)}

# Round 41b: P-ENC-05 sends bytes not in the declared encoding, a request not well-formed
# (surveyed on every faulty adapter of every profile): the front ends answering such a request
# with an HTML page fail it as they fail P-HOST-04; INV-SOAP-17 (surveyed likewise) fails the
# product of round 15 that sends Content-Length beside chunked
# Round 42b (surveyed on every faulty and crash product of every profile): J-INQ-16's request
# holding both keys is answered by a product that validates nothing, and refused as an envelope
# fault over SOAP 1.2 by the one that so refuses every schema fault; P-HOST-04's white space and
# comment before the declaration are refused naming the rule of the product's own check, not
# xml:well-formed, by the products that refuse every comment or want a declaration first
_ALSO_ROUND42B = {"no-validation": ("J-INQ-16",),
                  "soap12-schema-fault-as-envelope": ("J-INQ-16",),
                  "comment-refused": ("P-HOST-04/*",),
                  "declaration-required": ("P-HOST-04/*",)}

_ALSO_ROUND41B = {"malformed-as-html": ("P-ENC-05/*",),
                  "soap12-malformed-as-html": ("P-ENC-05/*",),
                  # INV-SOAP-17 judges every answer's framing as P-WIRE-01 judged its own
                  "answer-length-beside-chunked": ("INV-SOAP-17",)}

# Round 40c: J-FULL-21 sends later pages addressed to another system, 団体 and 業務ユニット
# (surveyed on every faulty adapter of juki.provider): the products that check no Receiver, or
# one field of it less, or refuse it with another code, fail it as they fail P-ADDR-01…03
_ALSO_ROUND40C = {"receiver-unchecked": ("J-FULL-21",),
                  "receiver-gov-code-unchecked": ("J-FULL-21",),
                  "receiver-unit-unchecked": ("J-FULL-21",),
                  "misrouted-as-header-invalid": ("J-FULL-21",)}


# Round 43b: J-GRID-01 asks each 世帯番号 of the test data as a 宛名番号 (surveyed on every faulty
# adapter of juki.provider): a check-digit table that lacks one of their check digits refuses it
_ALSO_ROUND43B = {"addressee-digit-table": ("J-GRID-01",)}


# Round 44: P-HOST-04 sends two byte order marks at the start, P-WIRE-02 a request carrying
# Connection: close on a socket of its own, P-MEDIA-01 requests of no SOAP media type (surveyed:
# every faulty adapter of faulty.py on every profile, those cases and S-IDCHG-01 only): a product
# refusing a document that starts with a mark names its own rule; one closing before its answer
# is written sends none; one crashing on a Content-Type it cannot read answers a server fault
_ALSO_ROUND44 = {"bom-refused": ("P-HOST-04/*",), "close-before-flush": ("P-WIRE-02",),
                 "charset-crash": ("P-MEDIA-01",)}


# Round 45: P-PARTY-01 sends every Sender an inquiry by 個人番号 as well (surveyed: every faulty
# adapter of juki.provider, P-PARTY-01, J-FULL-04 and the invariants): a product refusing
# inquiries by 個人番号 refuses them from every Sender
_ALSO_ROUND45 = {"individual-number-unsupported": ("P-PARTY-01/juki.ResidentInquiry",)}


# Round 46: P-FAULT-14/15 send P-FAULT-02's and P-FAULT-10's requests without prefixes
# (surveyed: every faulty adapter of faulty.py on every profile, those cases, P-WIRE-01, S-CJK-01
# and the invariants): a product that misjudges the prefixed request misjudges it unprefixed
# too, and one that finds its header, payload or a namespace by a prefix finds none there (a
# check digit is the inquiry's rule only: on a notice @invalid_rule breaks a code list)
_BOTH_UNPREFIXED = ("P-FAULT-14/*", "P-FAULT-15/*")
_ALSO_ROUND46 = {**dict.fromkeys(("rules-ignored", "no-validation", "header-by-prefix",
                                  "payload-by-prefix", "codelist-unnamed",
                                  "finding-line-as-offset", "default-namespace-of-block"),
                                 _BOTH_UNPREFIXED),
                 "check-digit-as-xsd-assertion": ("P-FAULT-14/*Inquiry",),
                 "payload-prefixes-local": ("P-FAULT-14/*",),
                 "finding-line-from-zero": ("P-FAULT-14/*",),
                 "check-digits-one-rule": ("P-FAULT-15/*",),
                 "findings-fail-fast": ("P-FAULT-15/*",)}


# Round 47a: P-FAULT-16 breaks a check digit in every request shape (surveyed: every faulty
# adapter of faulty.py on every profile, P-FAULT-16 and the invariants): the products that
# misjudge a wrong check digit misjudge it in every shape; one keying its residents by 住民種別
# rewrites the 外国人住民's number that P-FAULT-16 sends after a 日本人住民's
_ALSO_ROUND47 = dict.fromkeys(("rules-ignored", "no-validation", "check-digit-as-xsd-assertion",
                               "check-digits-one-rule", "findings-fail-fast",
                               "finding-line-as-offset", "finding-line-from-zero",
                               "resident-kind-in-key"), ("P-FAULT-16/*",))



# Round 48a: P-FAULT-17/18 send P-FAULT-02's and P-FAULT-10's requests in UTF-16, P-ADDR-08 a
# request for the hub, P-EDGE-01 a key's other forms with a 基準日, P-LATE-01 pages of an early
# extract at the end of the run (surveyed: every faulty adapter of faulty.py on every profile,
# the changed cases and the invariants): a product that misjudges the UTF-8 request misjudges it
# in UTF-16 (one refusing UTF-16 or its media type refuses it whatever it holds); one that
# checks no Receiver, or answers a misrouted request with another code, answers the hub's; one
# failing a 基準日 it does not know fails the new dated inquiries; one keeping three snapshots has
# lost the early extract by the end of the run
_UTF16_BOTH = ("P-FAULT-17/*", "P-FAULT-18/*")
_ALSO_ROUND48 = {**dict.fromkeys(("rules-ignored", "no-validation", "charset-crash",
                                  "utf16-refused", "soap12-action-required",
                                  "finding-line-as-offset"), _UTF16_BOTH),
                 "check-digit-as-xsd-assertion": ("P-FAULT-17/*Inquiry",),
                 "codelist-unnamed": ("P-FAULT-17/*Notice", "P-FAULT-18/*"),
                 "check-digits-one-rule": ("P-FAULT-18/*",),
                 "findings-fail-fast": ("P-FAULT-18/*",),
                 "finding-line-from-zero": ("P-FAULT-17/*",),
                 **dict.fromkeys(("receiver-unchecked", "misrouted-as-header-invalid"),
                                 ("P-ADDR-08/*",)),
                 "extract-snapshots-kept-three": ("P-LATE-01",),
                 "unknown-as-of-internal": ("P-EDGE-01",)}

def _with_also(f: Faulty, also: dict[str, tuple[str, ...]]) -> Faulty:
    extra = also.get(f.name, ())
    if not extra:
        return f
    by_profile = {p: tuple(t) + extra for p, t in f.targets_by_profile.items()}
    return dataclasses.replace(f, targets=f.targets + extra, targets_by_profile=by_profile)


def with_cases_also_failed(f: Faulty) -> Faulty:
    """``f`` with the grid, edge, key-domain and rounds 14b–48's cases its defect fails besides
    its own."""
    f = _with_edges(_with_grids(f))
    for also in (_ALSO_ROUND14B, _ALSO_ROUND15, _ALSO_ROUND16, _ALSO_ROUND16B, _ALSO_ROUND17,
                 _ALSO_ROUND18, _ALSO_ROUND19, _ALSO_ROUND20, _ALSO_ROUND22, _ALSO_ROUND23A,
                 _ALSO_ROUND23C, _ALSO_ROUND24, _ALSO_ROUND25, _ALSO_ROUND26,
                 _ALSO_ROUND31, _ALSO_ROUND34, _ALSO_ROUND35B, _ALSO_ROUND36B,
                 _ALSO_ROUND37B, _ALSO_ROUND39B, _ALSO_ROUND40C, _ALSO_ROUND41B,
                 _ALSO_ROUND42B, _ALSO_ROUND43B, _ALSO_ROUND44,
                 _ALSO_ROUND45, _ALSO_ROUND46, _ALSO_ROUND47, _ALSO_ROUND48):
        f = _with_also(f, also)
    return f
