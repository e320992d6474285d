"""The forty-sixth blind batch's subscriber side (the 名寄せ index's initial, the vendor's copy of
the MJ table, the 外国人 name routine, the row lock of a resident's second change, the 住所コード
resolver, the 国外転入 module and the 番号連携 worker): ``FortysixthStore`` is mixed into ``Adapter``
through ``FortysixthBatch`` (fortysixth.py, which declares the batch and says who wrote it and from
what). Every hook here changes nothing unless ``self.defect`` names one of the batch's subscriber
defects."""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata

from .standard import CMN, JUKI, Refusal
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

FOREIGNER = "2"  # codelists resident_kind: 2 外国人
FROM_ABROAD = "A02"  # codelists change_reason: A02 国外転入
# mj-duplicate-ivs-sequences-refused: schemas/characters/mj.tsv.gz registers two IVS sequences
# for each of MJ059399 and MJ059400 (博 U+535A + U+E010A / U+E010B, and U+2B9E4 + U+E0100 /
# U+E0101); a map keyed by the MJ文字図形名 keeps the row read last, so the first are unknown to it
SHADOWED = {"\u535a\U000e010a": "MJ059399", "\u535a\U000e010b": "MJ059400"}
# same-resident-changes-wait-for-own-row-lock: the lock timeout of the vendor's second connection
ROW_LOCK_TIMEOUT = 12.0


def _resident(change):
    return change.find(f"{{{JUKI}}}Resident")


def addressee_numbers(changes) -> list[str]:
    return [(_resident(c).findtext(f"{{{CMN}}}AddresseeNumber") or "").strip() for c in changes]


def resident_twice(changes) -> bool:
    """same-resident-changes-wait-for-own-row-lock: a notice holding two or more changes of one
    resident."""
    numbers = addressee_numbers(changes)
    return len(numbers) != len(set(numbers))


def initial_beyond_bmp(change) -> bool:
    """name-initial-index-lone-surrogate-internal: a name whose first character lies beyond the
    BMP (its first UTF-16 unit is a lone high surrogate)."""
    text = _resident(change).findtext(f"{{{CMN}}}Name/{{{CMN}}}Text") or ""
    return bool(text) and ord(text[0]) > 0xFFFF


def shadowed_sequences(body) -> list[str]:
    """mj-duplicate-ivs-sequences-refused: the shadowed IVS sequences the names of ``body`` hold
    (氏名, 旧氏, their cmn:Original), in order."""
    out = []
    for el in body.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original"):
        out += [seq for seq in SHADOWED if seq in (el.text or "")]
    return out


def code_points(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text)


def foreigner(change) -> bool:
    return (_resident(change).findtext(f"{{{CMN}}}ResidentKind") or "").strip() == FOREIGNER


def with_address_code(change) -> bool:
    """address-code-changes-applied-after-receipt: a change whose address carries a 住所コード."""
    return _resident(change).find(f"{{{CMN}}}Address/{{{CMN}}}AddressCode") is not None


def from_abroad(change) -> bool:
    """arrival-from-abroad-applied-after-receipt: a 国外転入 (A02)."""
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip() == FROM_ABROAD


def number_less(change) -> bool:
    """number-less-changes-applied-after-receipt: a change whose resident carries no 個人番号."""
    return _resident(change).find(f"{{{CMN}}}IndividualNumber") is None


_IN_BACKGROUND = {"address-code-changes-applied-after-receipt": with_address_code,
                  "arrival-from-abroad-applied-after-receipt": from_abroad,
                  "number-less-changes-applied-after-receipt": number_less}


class FortysixthStore:
    """The forty-sixth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    fortysixth: dict

    # --- a notice's changes checked by the vendor's mapper ----------------------------------

    def _fortysixth_notice_checks(self, body, mid) -> None:
        changes = body.findall(f"{{{JUKI}}}Change")
        if self.defect == "name-initial-index-lone-surrogate-internal" and \
                any(initial_beyond_bmp(c) for c in changes):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                          [("vendor:internal", "名寄せ index: the initial is not a character")],
                          mid)
        if self.defect == "mj-duplicate-ivs-sequences-refused" and \
                (found := shadowed_sequences(body)):
            raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                          [("mj_characters", f"{code_points(seq)}: not an MJ character")
                           for seq in found], mid)

    # --- the name as the vendor stores it ------------------------------------------------------

    def _fortysixth_name(self, change, name: str) -> str:
        if self.defect == "foreigner-names-nfkc" and foreigner(change):
            return unicodedata.normalize("NFKC", name)  # the 外国人 name routine's "cleaning"
        return name

    # --- a notice about to be applied ---------------------------------------------------------

    def _fortysixth_before_apply(self, changes) -> None:
        if self.defect == "same-resident-changes-wait-for-own-row-lock" and \
                resident_twice(changes):
            time.sleep(ROW_LOCK_TIMEOUT)  # the first change's statement holds the row

    def _fortysixth_in_background(self, header, mid, changes) -> bool:
        wants = _IN_BACKGROUND.get(self.defect or "")
        if wants is not None and any(wants(c) for c in changes):
            apply_after_receipt(self, mid, changes)  # the resolver's / module's / worker's job
            return True
        return False


__all__ = ["ASYNC_DELAY", "FOREIGNER", "FROM_ABROAD", "FortysixthStore", "ROW_LOCK_TIMEOUT",
           "SHADOWED", "addressee_numbers", "code_points", "foreigner", "from_abroad",
           "initial_beyond_bmp", "number_less", "resident_twice", "shadowed_sequences",
           "with_address_code"]
