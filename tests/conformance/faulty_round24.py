"""Faulty adapters for round 24's classes (docs/conformance-testing.md, "Round 24"), each the
reference or the SDK-built subscriber with ONE defect, written from the enumerated domains
(cmn:AddressType's parts and the 47 都道府県, the Unicode blocks of the MJ table, UserIdType's
classes, ExtractIdType's widths, the values a start-up reads back), not from a blind batch:

- an address column narrower than AddressTextType: Prefecture kept in a CHAR(3) column that
  truncates silently (``prefecture-column-3``: 神奈川県 stored 神奈川) or refuses a longer value with
  an internal error (``prefecture-over-3-internal``) — S-PREF-01;
- a font or validator table of some blocks only: names holding Extensions C–F refused
  (``cjk-extensions-c-to-f-refused``: a table built from Unicode 3.1), Extension A stored as the
  geta mark 〓 (``cjk-extension-a-as-geta``) — S-CJK-01;
- a UserId given a form beyond the XSD's: digits only refused as "not an account name"
  (``user-id-digits-only-refused``, a subscriber: S-USER-01); a digit first refused
  (``user-id-digit-first-refused``, every provider: P-USER-01) — ``@`` refused is P-EDGE-02's
  already (its longest UserId holds one);
- a RequestId map that does not take every RequestId for one: under 8 characters (a check
  written for UUIDs: ``request-id-under-8-not-kept``), or beginning with ``-``
  (``request-id-leading-hyphen-not-kept``) — each first request of one a new snapshot, its retry
  another — J-RETRY-02. (A key cut to N characters is J-FULL-11's already: its two RequestIds of
  64 characters differ in the last.)
- a start-up that reads values back through a narrower store (crashable subscribers): names cut
  to 64 characters (``names-cut-to-64-at-start``), names kept in a column of 100 UTF-16 code units
  (``names-of-100-utf16-units-at-start``: a name outside the BMP loses its second half), and
  half-width katakana widened by the loader's NFKC (``half-width-widened-at-start``) — S-FIELD-02.
"""

from __future__ import annotations

import unicodedata
import uuid

from lxml import etree

from adapters.sdk.provider import ProviderError

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .references import JUKI_PROFILE, KOKUHO_PROFILE, TAX_PROFILE, References
from .subscriber import CMN, TestSubscriber

JUKI_NS = "urn:pfbus:unit:juki:v1"
_FULL_EXTRACT = "juki.ResidentFullExtract"
_EXT_C_TO_F = (0x2A700, 0x2EBEF)
_EXT_A = (0x3400, 0x4DBF)

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round24
ROUND24_MODES = {
    "prefecture-column-3": ("RQ-MSG-07", ("S-PREF-01",)),
    "prefecture-over-3-internal": ("RQ-MSG-07", ("S-PREF-01",)),
    "cjk-extensions-c-to-f-refused": ("RQ-MSG-06", ("S-CJK-01",)),
    "cjk-extension-a-as-geta": ("RQ-MSG-06", ("S-CJK-01",)),
    "user-id-digits-only-refused": ("RQ-MSG-07", ("S-USER-01/juki.ResidentChangeNotice",)),
}
# crashable subscriber mode → (the requirement it breaks, the cases it must fail)
ROUND24_CRASH_MODES = with_restart_cases_also_failed({
    "names-cut-to-64-at-start": ("RQ-SUB-05", ("S-FIELD-02",)),
    "names-of-100-utf16-units-at-start": ("RQ-SUB-05", ("S-FIELD-02",)),
    "half-width-widened-at-start": ("RQ-SUB-05", ("S-FIELD-02",)),
})


def _in(ch: str, block: tuple[int, int]) -> bool:
    return block[0] <= ord(ch) <= block[1]


class Round24Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 24's classes."""

    __test__ = False

    def handler(self, header, notice: etree._Element):
        if self.mode == "user-id-digits-only-refused" and header.user_id.isdigit():
            raise ProviderError("VENDOR-USER-UNKNOWN", "UserId is not an account name")
        if self.mode == "cjk-extensions-c-to-f-refused" and any(
                _in(ch, _EXT_C_TO_F) for el in notice.iter(f"{{{CMN}}}Text")
                for ch in el.text or ""):
            raise ProviderError("VENDOR-UNSUPPORTED", "a character the font table lacks")
        if self.mode == "prefecture-over-3-internal" and any(
                len(el.text or "") > 3 for el in notice.iter(f"{{{CMN}}}Prefecture")):
            raise RuntimeError("value too long for column 都道府県 CHAR(3)")
        return super().handler(header, notice)

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        if self.mode == "prefecture-column-3":
            for el in change.iter(f"{{{CMN}}}Prefecture"):
                el.text = (el.text or "")[:3]
        if self.mode == "cjk-extension-a-as-geta":
            for el in change.iter(f"{{{CMN}}}Text"):
                el.text = "".join("〓" if _in(ch, _EXT_A) else ch for ch in el.text or "")
        super()._apply(change, checked)


def _utf16_cut(text: str, units: int) -> str:
    return text.encode("utf-16-le")[:units * 2].decode("utf-16-le", errors="ignore")


class Round24CrashSubscriber(CrashableSubscriber):
    """The crashable subscriber whose start-up reads names back through a narrower store."""

    __test__ = False

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            for state in self.residents.values():
                name = state.get("name") or ""
                if self.mode == "names-cut-to-64-at-start":
                    state["name"] = name[:64]
                elif self.mode == "names-of-100-utf16-units-at-start":
                    state["name"] = _utf16_cut(name, 100)
                elif self.mode == "half-width-widened-at-start":
                    state["name"] = "".join(unicodedata.normalize("NFKC", ch)
                                            if 0xFF61 <= ord(ch) <= 0xFF9F else ch for ch in name)
        return code


def _with_request_id(refs: References, profile: str, rewrite) -> str:
    """Vendor A's 全件 handler, the request's RequestId rewritten by ``rewrite`` (None: the
    element dropped) before the snapshot store sees it."""
    handlers = refs.handlers(profile)
    inner = handlers[_FULL_EXTRACT]

    def handler(header, request):
        el = request.find(f"{{{JUKI_NS}}}RequestId")
        if el is not None and el.text:
            new = rewrite(el.text)
            if new is None:
                request.remove(el)
            else:
                el.text = new
        return inner(header, request)

    return refs.app(profile, {**handlers, _FULL_EXTRACT: handler})


def request_id_under_8_not_kept(refs: References, profile: str) -> str:
    """A RequestId under 8 characters is not taken for one (a check written for the SDK's
    UUIDs): every first request of one makes a new snapshot."""
    return _with_request_id(refs, profile, lambda rid: None if len(rid) < 8 else rid)


def request_id_leading_hyphen_not_kept(refs: References, profile: str) -> str:
    """A RequestId beginning with ``-`` is not recorded (a key store's command line reads it as
    an option): every first request of one makes a new snapshot."""
    return _with_request_id(refs, profile, lambda rid: None if rid.startswith("-") else rid)


def user_id_digit_first_refused(refs: References, profile: str) -> str:
    """Every service refuses a UserId beginning with a digit (an account name taken to begin
    with a letter, as the vendor's own do)."""
    handlers = refs.handlers(profile)

    def refusing(inner):
        def handler(header, request):
            if header is not None and header.user_id[:1].isdigit():
                raise ProviderError("VENDOR-USER-ID", f"UserId refused ({uuid.uuid4()})")
            return inner(header, request)
        return handler

    return refs.app(profile, {service: refusing(h) for service, h in handlers.items()})


# (name, the requirement it breaks, profiles, targets)
ROUND24_FAULTS: list[tuple] = [
    ("request-id-under-8-not-kept", "RQ-BEH-08", (JUKI_PROFILE,), ("J-RETRY-02",)),
    ("request-id-leading-hyphen-not-kept", "RQ-BEH-08", (JUKI_PROFILE,), ("J-RETRY-02",)),
    ("user-id-digit-first-refused", "RQ-MSG-07", (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE),
     ("P-USER-01/*",)),
]
ROUND24_HANDLERS = {"request-id-under-8-not-kept": request_id_under_8_not_kept,
                    "request-id-leading-hyphen-not-kept": request_id_leading_hyphen_not_kept,
                    "user-id-digit-first-refused": user_id_digit_first_refused}
ROUND24_NAMES = {entry[0] for entry in ROUND24_FAULTS}
