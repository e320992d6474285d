"""Faulty adapters for valid values at the edges of their fields (P-EDGE-01/02, S-EDGE-01/02):
the reference provider, or the SDK-built subscriber, with ONE defect each of the class "a value
the XSD type allows is refused or mishandled because the product's own representation is
narrower" — written from storage and parsing habits (an epoch-seconds column, a zero-filled
CHAR(10) key, an upper-cased index, a millisecond clock type, a 和暦 table that starts in 昭和, a
JIS X 0208 katakana check, a VARCHAR(25) SentAt, a CHAR(8) version column), not copied from the
independent adapter's variants."""

from __future__ import annotations

import copy
import datetime as dt
import re

from lxml import etree

from adapters.sdk.provider import ProviderError

from .faulty_handlers import EXTRACT, INQUIRY
from .faulty_wire import CMN, JUKI, _edit_header, _h
from .references import References
from .subscriber import TestSubscriber

EPOCH = dt.date(1970, 1, 1)


def as_of_epoch_seconds(refs: References, profile: str) -> str:
    """基準日 kept as unsigned epoch seconds: a day before 1970-01-01 cannot be represented and
    is refused (住民照会 and 全件抽出 alike)."""
    handlers = refs.handlers(profile)

    def wrap(inner):
        def handler(header, request):
            as_of = request.findtext(f"{{{JUKI}}}AsOf")
            if as_of and dt.date.fromisoformat(as_of[:10]) < EPOCH:
                raise ProviderError("VENDOR-DATE-RANGE", "基準日 out of range")
            return inner(header, request)
        return handler

    return refs.app(profile, {**handlers, INQUIRY: wrap(handlers[INQUIRY]),
                              EXTRACT: wrap(handlers[EXTRACT])})


def addressee_number_zero_filled(refs: References, profile: str) -> str:
    """宛名番号 looked up in a zero-filled CHAR(10) column: the key is re-filled to 10 digits
    before the lookup, so 00000010014 and 10014 find 0000010014."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        el = request.find(f"{{{JUKI}}}AddresseeNumber")
        if el is not None and el.text:
            request = copy.deepcopy(request)
            key = request.find(f"{{{JUKI}}}AddresseeNumber")
            key.text = key.text.lstrip("0").rjust(10, "0")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def request_id_upper_cased(refs: References, profile: str) -> str:
    """RequestId indexed upper-cased (a case-insensitive collation): two RequestIds differing
    in case name one extract."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        if request.find(f"{{{JUKI}}}RequestId") is not None:
            request = copy.deepcopy(request)
            key = request.find(f"{{{JUKI}}}RequestId")
            key.text = (key.text or "").upper()
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


_MILLIS = re.compile(r"T\d{2}:\d{2}:\d{2}(\.\d{1,3})?\+09:00$")


def sent_at_millis(refs: References, profile: str) -> str:
    """SentAt read into a millisecond clock type: more than 3 fractional digits is refused (the
    value read as XML Schema collapses it: white space after it is not this defect's)."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        if not _MILLIS.search(header.sent_at.strip()):
            raise ProviderError("VENDOR-SENT-AT", "SentAt cannot be read")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def standard_version_char8(header, request):
    # the reply's version written through a CHAR(8) column of the product's message log
    sent = request.find(_h("StandardVersion")).text or ""
    header.find(_h("StandardVersion")).text = sent[:8]


EDGE_HANDLERS = {
    "as-of-epoch-seconds": as_of_epoch_seconds,
    "addressee-number-zero-filled": addressee_number_zero_filled,
    "request-id-upper-cased": request_id_upper_cased,
    "sent-at-millis": sent_at_millis,
}
EDGE_WIRE = {
    "standard-version-char8": {"on_reply": _edit_header(standard_version_char8)},
}


# --- subscribers ---------------------------------------------------------------------------------

# mode → (the requirement it breaks, the subscriber cases it must fail)
EDGE_MODES = {
    # dates converted to 和暦 through a table that starts with 昭和: earlier dates refused
    # (S-CAL-01's residents born before 昭和 too)
    "wareki-from-showa": ("RQ-EDGE-01", ("S-EDGE-01", "S-CAL-01")),
    # readings checked against JIS X 0208's katakana row only (no ・ ー or ideographic space)
    "kana-katakana-row-only": ("RQ-EDGE-01", ("S-EDGE-01",)),
    # SentAt kept in a VARCHAR(25): a longer one (fractional seconds) refused — and one followed
    # by white space (P-EQUIV-01/S-EQUIV-01's sent-at-white-space: 28 characters as received)
    "sent-at-varchar25": ("RQ-EDGE-02", ("S-EDGE-02", "P-EQUIV-01/juki.ResidentChangeNotice",
                                         "S-EQUIV-01", "S-CAL-02")),
}
SHOWA = dt.date(1926, 12, 25)
_KATAKANA_ROW = re.compile("[\u30a1-\u30f6]+")
_DATES = ("DateOfBirth", "BecameResidentOn", "AddressFixedOn", "OccurredOn", "NotifiedOn",
          "RecordedOn")


class EdgeSubscriber(TestSubscriber):
    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        mode = self.mode
        if mode == "sent-at-varchar25" and len(header.sent_at) > 25:
            raise ProviderError("VENDOR-SENT-AT", "SentAt too long")
        if mode == "wareki-from-showa" and any(
                dt.date.fromisoformat((el.text or "")[:10]) < SHOWA
                for name in _DATES for el in notice.iter(f"{{{CMN}}}{name}")):
            raise ProviderError("VENDOR-DATE", "no 元号 for the date")
        if mode == "kana-katakana-row-only" and any(
                not _KATAKANA_ROW.fullmatch(el.text or "")
                for kana in notice.iter(f"{{{CMN}}}Kana") for el in kana):
            raise ProviderError("VENDOR-KANA", "a reading must be katakana")
        return super().handler(header, notice)
