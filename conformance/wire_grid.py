"""The wire grid (round 34; P-EQUIV-03, S-EQUIV-03): every pair of two wire forms, in one request.

P-EQUIV-01 sends each encoding, each way of writing the charset label, each SOAP version and each
optional HTTP field with everything else canonical — a dimension at a time. The blind batches
kept finding products that go wrong only where two of them meet: UTF-16 labelled after another
parameter (batch 33), an ``action`` parameter read as SOAP 1.2 only on text/xml (batch 31). A
product's HTTP reader is one piece of code whatever the service, so the grid runs once per
profile, on its first service's sample, and sends a covering array of strength 2 over five
dimensions — every pair of values of any two of them is in at least one request:

- ``ENCODINGS``: the bytes and the XML declaration (XML 1.0 §4.3.3, Appendix F; README,
  "Encodings and the Content-Type": UTF-8 with or without a byte order mark, UTF-16 with its
  byte order mark in either byte order, with or without a declaration, US-ASCII with character
  references);
- ``LABELS``: how the charset is written (RFC 9110 §5.6.6, §5.6.4, §8.3.2; RFC 7303 §3.2: first,
  last, quoted, the parameter's name in upper case, absent, after an empty and an unknown
  parameter whose quoted value holds ``charset=``);
- ``SPACINGS``: the optional white space (RFC 9110 §5.6.3: OWS = *( SP / HTAB )) on either side
  of each ``;`` — none, a space, a tab, both — and after the whole field value (§5.5); blind
  batch 37 refused a tab right before ``;`` alone, which a single white-space form (spaces
  before, a tab after) never sent;
- the SOAP version (the media type alone names it);
- ``OPTIONS``: what else an ordinary client's request carries (field names in lower case,
  ``Expect: 100-continue``, ``Connection: close``, the action written the other version's way
  as well).

``ROWS`` is built deterministically (one request per encoding × spacing pair — the largest
product — the label, version and option of each chosen greedily to cover the most pairs not yet
covered, of equals the least sent; then a request for each pair left) and checked at import to
cover every pair. Each request is checked to hold the canonical message
(``namespace_forms.equivalent``).
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable

from . import namespace_forms
from .encoding_forms import DECL, decimal_references, document_of, hex_references

Headers = dict[str, str]

_UNKNOWN = 'x-conformance="a; charset=utf-8; b"'  # one quoted value (RFC 9110 §5.6.4)


def _declared(name: str) -> Callable[[str], str]:
    return lambda doc: f'<?xml version="1.0" encoding="{name}"?>\n' + doc


# name → (the charset's name, the document's bytes from the document without its declaration)
ENCODINGS: dict[str, tuple[str, Callable[[str], bytes]]] = {
    "utf-8": ("utf-8", lambda doc: (DECL + doc).encode("utf-8")),
    "utf-8-bom": ("utf-8", lambda doc: codecs.BOM_UTF8 + doc.encode("utf-8")),
    "utf-16le": ("utf-16", lambda doc: codecs.BOM_UTF16_LE
                 + _declared("UTF-16")(doc).encode("utf-16-le")),
    "utf-16be": ("utf-16", lambda doc: codecs.BOM_UTF16_BE
                 + _declared("utf-16")(doc).encode("utf-16-be")),
    "utf-16be-no-declaration": ("utf-16", lambda doc: codecs.BOM_UTF16_BE
                                + doc.encode("utf-16-be")),
    "us-ascii": ("us-ascii", lambda doc: _declared("US-ASCII")(decimal_references(doc)).encode("ascii")),
    "us-ascii-no-declaration": ("us-ascii", lambda doc: hex_references(doc).encode("ascii")),
}


# name → the Content-Type's parts from (media type, its other parameters, the charset's name)
LABELS: dict[str, Callable[[str, list[str], str], list[str]]] = {
    "first": lambda media, params, cs: [media, f"charset={cs}", *params],
    "last-quoted-upper-case": lambda media, params, cs: [media, *params,
                                                         f'charset="{cs.upper()}"'],
    "name-upper-case": lambda media, params, cs: [media, f"CHARSET={cs.title()}", *params],
    "absent": lambda media, params, cs: [media, *params],
    "after-empty-and-unknown": lambda media, params, cs: [media, "", _UNKNOWN, *params,
                                                          f"charset={cs}", ""],
}

_PADDED = ("Content-Type", "SOAPAction")
# name → (what separates the parts, what follows the Content-Type's and SOAPAction's values
# — trailing OWS only: the suite's HTTP client (requests) refuses a value beginning with one)
SPACINGS: dict[str, tuple[str, str]] = {
    "none": (";", ""),
    "space-after": ("; ", ""),
    "space-before-tab-after": (" ;\t", ""),
    "tab-before-space-after": ("\t; ", ""),
    "tabs": ("\t;\t", ""),
    "spaces-and-tabs-value-padded": (" \t; \t", "\t "),
}


def action_both_ways(headers: Headers, soap: str) -> Headers:
    """The action also written the other SOAP version's way: over SOAP 1.1 an ``action``
    parameter on text/xml, over SOAP 1.2 a SOAPAction field (equivalence's
    ``other-versions-action``; the media type alone names the version)."""
    if soap == "1.1":
        return {**headers, "Content-Type": f"{headers['Content-Type']}; "
                                           f"action={headers['SOAPAction']}"}
    action = re.search(r'action=("[^"]*")', headers["Content-Type"])
    assert action is not None, headers  # envelopes.http_headers writes it
    return {**headers, "SOAPAction": action[1]}


# name → (headers before the label is written, headers after it)
OPTIONS: dict[str, tuple[Callable[[Headers, str], Headers], Callable[[Headers], Headers]]] = {
    "none": (lambda h, soap: h, lambda h: h),
    "field-names-lower-case": (lambda h, soap: h, lambda h: {k.lower(): v for k, v in h.items()}),
    "expect-100-continue": (lambda h, soap: h, lambda h: {**h, "Expect": "100-continue"}),
    "connection-close": (lambda h, soap: h, lambda h: {**h, "Connection": "close"}),
    "action-both-ways": (action_both_ways, lambda h: h),
}
VERSIONS = ("1.1", "1.2")
DIMENSIONS = (tuple(ENCODINGS), tuple(SPACINGS), tuple(LABELS), VERSIONS, tuple(OPTIONS))


def _pairs(row: tuple[str, ...]) -> set[tuple[int, str, int, str]]:
    return {(i, row[i], j, row[j]) for i, j in itertools.combinations(range(len(row)), 2)}


def _all_pairs() -> set[tuple[int, str, int, str]]:
    return {(i, a, j, b) for i, j in itertools.combinations(range(len(DIMENSIONS)), 2)
            for a in DIMENSIONS[i] for b in DIMENSIONS[j]}


def _covering() -> tuple[tuple[str, ...], ...]:
    """Rows (encoding, spacing, label, version, option) covering every pair (see the module doc)."""
    left = _all_pairs()
    rows: list[tuple[str, ...]] = []

    uses: dict[str, int] = {}

    def add(allowed: list[tuple[str, ...]]) -> None:
        """The row among ``allowed``'s product covering most pairs left; of those, the one
        whose values were sent least (the versions and options spread evenly), the first."""
        row = max(itertools.product(*allowed), key=lambda c: (
            len(_pairs(c) & left), -sum(uses.get(v, 0) for v in c)))
        rows.append(row)
        left.difference_update(_pairs(row))
        for value in row:
            uses[value] = uses.get(value, 0) + 1

    for encoding, spacing in itertools.product(*DIMENSIONS[:2]):
        add([(encoding,), (spacing,), *DIMENSIONS[2:]])
    while left:
        i, a, j, b = min(left)
        add([(a,) if k == i else (b,) if k == j else dims for k, dims in enumerate(DIMENSIONS)])
    return tuple(rows)


ROWS = _covering()
assert not _all_pairs() - set().union(*map(_pairs, ROWS)), "the grid misses a pair"


def name_of(row: tuple[str, ...]) -> str:
    encoding, spacing, label, _, option = row
    return f"grid:{encoding}/{spacing}/{label}/{option}"


def version_of(row: tuple[str, ...]) -> str:
    return row[3]


def rewrite_for(row: tuple[str, ...]):
    """The rewrite ``(text, headers, soap) -> (bytes, headers)`` of one row (its version is the
    row's own: equivalence sends it over that version only)."""
    encoding, spacing, label, _, option = row
    charset, encode = ENCODINGS[encoding]
    before, after = OPTIONS[option]
    form = LABELS[label]
    separator, padding = SPACINGS[spacing]

    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        headers = before(dict(headers), soap)
        raw = encode(document_of(text))
        media, *params = (p.strip() for p in headers["Content-Type"].split(";"))
        params = [p for p in params if p and not p.lower().startswith("charset=")]
        headers["Content-Type"] = separator.join(form(media, params, charset))
        headers = after({k: v + padding if k in _PADDED else v
                         for k, v in headers.items()})
        namespace_forms.equivalent(text.encode("utf-8"), raw)
        return raw, headers
    return rewrite
