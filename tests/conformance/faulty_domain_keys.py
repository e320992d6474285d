"""Faulty providers for the value domain of the inquiry keys (P-DOMAIN-01) and for the characters
legacy code pages map differently (J-CHR-06/07): the reference adapter with ONE defect each,
written from the classes (a key kept as a number; a JIS ↔ CP932 conversion table applied to some
fields), not copied from the independent adapter's variants. The grids (J-GRID-01/02) judge the
same residents field by field, so they fail as well."""

from __future__ import annotations

import copy
import re

from adapters.sdk.provider import ProviderError

from .faulty_handlers import INQUIRIES, INQUIRY, TAXATION
from .faulty_wire import CMN, JUKI, TAX
from .proxy import Call, Reply, is_fault, serialize, tree
from .references import References


def individual_number_as_integer(refs: References, profile: str) -> str:
    """個人番号 indexed as a BIGINT: the lookup key is ``str(int(number))``, so a number with
    leading zeros is never found (the 宛名番号 branch is text and right)."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        el = request.find(f"{{{JUKI}}}IndividualNumber")
        if el is not None and el.text:
            request = copy.deepcopy(request)
            key = request.find(f"{{{JUKI}}}IndividualNumber")
            key.text = str(int(key.text))
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def addressee_number_int32(refs: References, profile: str) -> str:
    """宛名番号 parsed into a signed 32-bit column: a valid number above 2^31 − 1 is refused as
    out of range (the XSD allows 15 digits) — by any provider's inquiry."""
    handlers = refs.handlers(profile)
    sid, ns = INQUIRIES.get(profile, (TAXATION, TAX))
    inner = handlers[sid]

    def handler(header, request):
        number = request.findtext(f"{{{ns}}}AddresseeNumber")
        if number and int(number) > 2**31 - 1:
            raise ProviderError("VENDOR-NUMBER-RANGE", "宛名番号 out of range")
        return inner(header, request)

    return refs.app(profile, {**handlers, sid: handler})


# JIS X 0208 as Shift_JIS / EUC-JP decoders map it → as CP932 maps the same code (a database
# in CP932 written through a "JIS → MS" conversion routine), and back
_JIS_TO_CP932 = str.maketrans("\u301c\u2016\u2212\u00a2\u00a3\u00ac", "\uff5e\u2225\uff0d\uffe0\uffe1\uffe2")
_CP932_TO_JIS = str.maketrans("\uff5e\u2225\uff0d", "\u301c\u2016\u2212")
_NAME_TEXT = re.compile(r"\{%s\}(Name|FormerSurname|HeadName)$" % re.escape(CMN))
_ADDRESS_TEXT = {f"{{{CMN}}}{n}" for n in ("Town", "Banchi", "Katagaki")}


def _retext(select, table):
    """An on_reply translating the text of the elements ``select(el)`` picks with ``table``."""
    def on_reply(call: Call) -> Reply:
        if is_fault(call.reply.body):
            return call.reply
        root = tree(call.reply.body)
        for el in root.iter():
            if isinstance(el.tag, str) and el.text and select(el):
                el.text = el.text.translate(table)
        return Reply(call.reply.status, serialize(root), call.reply.content_type)
    return on_reply


def _name_text(el) -> bool:  # cmn:Text of a Name, FormerSurname or HeadName
    parent = el.getparent()
    return el.tag == f"{{{CMN}}}Text" and parent is not None and \
        bool(_NAME_TEXT.search(parent.tag))


DOMAIN_KEY_HANDLERS = {
    "individual-number-as-integer": individual_number_as_integer,
    "addressee-number-int32": addressee_number_int32,
}
CODE_PAGES = {
    # names kept in a CP932 column: the JIS-side characters come back as CP932's
    "names-jis-to-cp932": {"on_reply": _retext(_name_text, _JIS_TO_CP932)},
    # addresses read back from CP932 bytes with a Shift_JIS (JIS) decoder
    "address-cp932-read-as-jis": {"on_reply": _retext(lambda el: el.tag in _ADDRESS_TEXT,
                                                      _CP932_TO_JIS)},
}
