"""A subscriber of 異動通知 built with the SDK, for the subscriber profile (draft until vendor B's
own subscriber is the reference), and its faulty variants.

It keeps, per resident, the name of the last change applied, the last 異動連番 and how many
changes it applied; a MessageId seen before is receipted ``duplicate`` and not applied again; a
change whose 異動連番 is not after the last one applied is kept out (stale). ``observe`` is the
``--observe`` contract: the resident as this product holds it, as JSON (its address too, the
contract's optional part: round 24).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import unicodedata

from lxml import etree
from twisted.internet import reactor
from twisted.internet.task import deferLater

from adapters.sdk.juki_notice import DELETED, RECORDED, reason_group
from adapters.sdk.provider import ProviderError
from bus.core.receipt import receipt_element

from .faulty_also import with_restart_cases_also_failed

JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"
SERVICE = "juki.ResidentChangeNotice"

# mode → (the requirement it breaks, the subscriber cases it must fail); the notice grid
# (S-GRID-01) sends every boundary these defects lie on, so it fails each of them too; round 16's
# S-ONCE-09 (every notice kind redelivered) and S-CAL-01 (three notices a resident), judged by
# the grid's model, fail the defects of de-duplication, order and multi-change notices
MODES = {
    # says "applied" to a duplicate (without applying it): the receipt lies
    # (round 23c: S-RETRY-01's redeliveries under the same MessageId)
    "receipt-applied-on-duplicate": ("RQ-SUB-02", ("S-ONCE-01", "S-ONCE-03", "S-ONCE-04", "S-GRID-01",
                                                   "S-ONCE-07", "S-ONCE-09", "S-RETRY-01",
                                                   "S-LATE-02")),
    # applies a duplicate again (its stale check lets an equal 異動連番 through) but receipts it
    # as a duplicate: only the records show it — and an equal 異動連番 in a new message (S-ORD-02)
    # (S-ORD-03 too; S-ONCE-07/08's redeliveries, later or at once)
    # (round 25: S-MULTI-04's later change equal to the highest applied)
    "applies-duplicates": ("RQ-SUB-02", ("S-ONCE-02", "S-ORD-02", "S-ORD-03", "S-GRID-01",
                                         "S-ONCE-07", "S-ONCE-08", "S-ONCE-09", "S-MULTI-04")),
    # applies whatever comes last, even an older 異動連番
    # (round 25: S-MULTI-04's notices in descending and mixed order, its later lower changes)
    "last-writer-wins": ("RQ-SUB-03", ("S-ORD-01", "S-ORD-02", "S-ORD-03", "S-GRID-01",
                                        "S-ORD-04", "S-ORD-05", "S-ONCE-09", "S-CAL-02",
                                        "S-MULTI-04")),
    # the receipt names the reply's own MessageId instead of the notice's
    # (and every receipt of the run: INV-SUB-01)
    # (round 23c: S-IDCHG-01's and S-KANA-01's receipts, judged by the grid's model)
    "receipt-names-itself": ("RQ-SUB-01", ("S-ACK-01", "S-ONCE-01", "S-ONCE-04", "S-GRID-01", "S-LATE-02",
                                           "INV-SUB-01", "S-ONCE-07", "S-CAL-01", "S-ONCE-09",
                                           "S-CAL-02", "S-CHR-15",
                                           "S-IDENT-01", "S-DATE-01", "S-WIDTH-01", "S-IDCHG-01",
                                           "S-KANA-01", "S-PREF-01", "S-CJK-01",
                                           "S-MULTI-04", "S-OPT-01",
                                           "S-FMR-01")),
    # applies the first change of a notice and drops the rest (of one resident or another)
    # (S-EDGE-03's 記載 then 消除 of one resident: the 消除 not applied; S-MULTI-03's 256)
    # (round 23c: S-IDCHG-01's and S-KANA-01's notices of several residents)
    # (round 24: S-PREF-01's and S-CJK-01's notices of several residents)
    "first-change-only": ("RQ-SUB-04", ("S-MULTI-01", "S-MULTI-02", "S-GRID-01", "S-EDGE-03",
                                        "S-MULTI-03", "S-ONCE-09", "S-WIDTH-01", "S-IDCHG-01",
                                        "S-KANA-01", "S-PREF-01", "S-CJK-01",
                                        "S-MULTI-04", "S-OPT-01",
                                        "S-FMR-01")),
    # applies only the changes about the resident of the notice's first change
    # (S-WIDTH-01: one notice of eleven residents)
    # (round 23c: the same)
    # (round 25: S-MULTI-04's and S-OPT-01's notices of many residents; round 26: S-FMR-01's)
    "one-resident-per-notice": ("RQ-SUB-04", ("S-MULTI-02", "S-GRID-01", "S-ONCE-09",
                                              "S-WIDTH-01", "S-IDCHG-01", "S-KANA-01",
                                              "S-PREF-01", "S-CJK-01",
                                              "S-MULTI-04", "S-OPT-01",
                                              "S-FMR-01")),
    # drops variation selectors (IVS) from names before storing them
    # (S-CHR-10's selector at a name's end too, S-CHR-11's several, S-CHR-13's U+E0100 …;
    # round 24: S-CJK-01's IVS sequences of every block)
    "stores-ivs-stripped": ("RQ-MSG-06", ("S-CHR-02", "S-GRID-01", "S-CHR-10", "S-CHR-11",
                                          "S-CHR-13", "S-CHR-15", "S-CJK-01")),
    # its name column holds 50 characters
    # (round 23c: S-KANA-01's names of 83 and 86 characters)
    "name-column-50": ("RQ-MSG-07", ("S-MAX-01", "S-GRID-01", "S-KANA-01")),
    # "cleans" names with NFKC before storing them
    # NFKC also makes S-DOMAIN-01's U+3000 around a name a space, S-CHR-04's ～ － ASCII, and
    # S-CHR-12's half-width ｰ ･ full-width
    "stores-nfkc": ("RQ-MSG-06", ("S-CHR-01", "S-GRID-01", "S-DOMAIN-01", "S-CHR-04",
                                  "S-CHR-12", "S-CHR-15")),
    # its mapping has no column for 旧氏 and refuses a notice carrying one
    # (round 25: S-OPT-01's changes carrying a FormerSurname; round 26: S-FMR-01's; round 37b:
    # S-EDGE-01's changes with every optional element)
    "former-surname-refused": ("RQ-BEH-07", ("S-ACK-02", "S-GRID-01", "S-CHR-15", "S-OPT-01",
                                             "S-FMR-01", "S-EDGE-01")),
    # de-duplicates against the last 2 MessageIds only (a window, not a record of what it saw;
    # round 43a: S-LATE-02's deliveries again at the end of the run, before it S-GRID-01's resend
    # 2.5 s after a receipt)
    "seen-window-2": ("RQ-SUB-02", ("S-ONCE-03", "S-LATE-02")),
    # round 5: 異動連番 kept in a text column ("10" < "9"; S-MULTI-03's 1 … 256 pass 9 → 10)
    # (round 25: S-MULTI-04's later 5 after 30)
    "sequence-as-text": ("RQ-SUB-03", ("S-ORD-02", "S-GRID-01", "S-MULTI-03", "S-MULTI-04")),
    # a legacy character map folds MJ characters to JIS X 0208 forms (髙 → 高)
    "jis0208-fallbacks": ("RQ-MSG-06", ("S-CHR-03", "S-GRID-01")),
    # applies the hub's max_age for requests to notices: one sent long ago is refused
    # (P-LEX-01's notice carries a SentAt 24 to 48 hours old, written as 24:00:00)
    "late-notice-refused": ("RQ-SUB-01", ("S-LATE-01", "S-GRID-01",
                                          "P-LEX-01/juki.ResidentChangeNotice", "S-CAL-02")),
    # 個人番号 check digit as (11 − remainder) mod 10: remainder 0 wants 1, valid numbers refused
    # (round 23c: S-IDCHG-01's 個人番号 of every remainder; round 37b: S-EDGE-01's)
    "mynumber-mod10": ("RQ-SUB-01", ("S-ACK-03", "S-GRID-01", "S-IDCHG-01", "S-EDGE-01")),
    # --- the tenth blind batch's classes (round 10) ---------------------------------------------
    # its receipts built by the code that writes the hub's: applied receipts count the one
    # subscriber (pfr:Subscribers 1), which receipt-v1.xsd keeps for the hub's receipts
    "receipt-counts-subscribers": ("RQ-SUB-01", ("INV-SUB-01",)),
    # the last 異動連番 is a cursor over what arrived, applied or not: a stale change moves it
    # back, and an older change after it is applied
    # (round 25: S-MULTI-04's notices in descending order leave the cursor at 10)
    "sequence-cursor-of-arrivals": ("RQ-SUB-03", ("S-ORD-04", "S-MULTI-04")),
    # a 消除 moves the resident to a 除票 store, whose layout has no column for the last
    # 異動連番: the next change of the resident begins a live record from the 除票 at 0, so an
    # older 記載 arriving after the 消除 is applied
    "removal-moves-to-joshou": ("RQ-SUB-03", ("S-ORD-04", "S-ONCE-09")),
    # a "clean-up" of names before storing: combining characters (Mn/Me, the variation
    # selectors among them) at the end of a name taken for stray input and dropped
    # (か゚き゚…く゚ too; round 24: S-CJK-01's names end with an IVS sequence, its selector a mark)
    "name-trailing-marks-dropped": ("RQ-MSG-06", ("S-CHR-10", "S-CHR-11", "S-CJK-01")),
    # a notice's changes written by a batched INSERT of 64 rows; the rest silently dropped
    # (round 25: S-MULTI-04's notices of 126 changes)
    "changes-batch-64": ("RQ-SUB-04", ("S-MULTI-03", "S-MULTI-04")),
    # --- the eleventh blind batch's classes (round 11) -------------------------------------------
    # a poison-message guard: a MessageId answered duplicate twice is dropped from the seen set
    # ("the hub is stuck on it"), so the fourth delivery is applied and receipted applied
    # (round 23c: S-RETRY-01's five redeliveries)
    "duplicates-counted-out": ("RQ-SUB-02", ("S-ONCE-07", "S-RETRY-01")),
    # the seen MessageId and the resident's last 異動連番 read, then the write done in a later
    # callback (an asynchronous database): deliveries in flight together are each applied
    "check-then-act": ("RQ-SUB-02", ("S-ONCE-08",)),
    # the 外字 converter looks each base character's selector up once per name: a base met
    # again keeps the selector of its first occurrence
    # (round 46: S-CJK-01's name of 邉's sixteen IVS sequences)
    "selector-per-base-once": ("RQ-MSG-06", ("S-CHR-11", "S-CJK-01")),
    # --- the twelfth blind batch's classes (round 12b) -------------------------------------------
    # the name column written from the 名寄せ search key: kana iteration marks written out
    # (こゝろ → こころ, すゞ → すず) and small kana made full-size (ッ → ツ, ヶ → ケ)
    # (round 23c: S-KANA-01's small kana)
    "name-search-key-stored": ("RQ-MSG-06", ("S-CHR-12", "S-GRID-01", "S-MAX-01",  # シュー
                                             "S-KANA-01")),
    # --- the thirteenth blind batch's classes (round 13) -----------------------------------------
    # the name cleaner keeps a selector when 0xE0100 < cp <= 0xE01EF (one off): VS17 is dropped
    # (round 24: S-CJK-01's first IVS sequence of Extensions A, B, C, D, E and F is U+E0100's)
    "ivs-range-from-e0101": ("RQ-MSG-06", ("S-CHR-13", "S-GRID-01", "S-CJK-01")),
    # the IVS table holds VS17–VS32 (a font's sixteen): U+E011F is dropped
    # (round 46: S-CJK-01's sequences of 邉 go past U+E010F)
    "ivs-table-of-sixteen": ("RQ-MSG-06", ("S-CHR-13", "S-GRID-01", "S-CJK-01")),
    # changes staged in a buffer on the service object and written 100 ms later: a notice
    # arriving in between replaces the staged changes — the first notice's are never written,
    # yet it is receipted applied
    "staging-buffer-shared": ("RQ-SUB-07", ("S-PAR-01",)),
}

# Durability (S-DUR-*) needs a product that can be killed: these mutants are the independent
# adapter's process (tests/conformance/independent) with a defect of the suite's own, written for
# this check and not among the defects the detection rate is measured on. (S-DUR-07 redelivers
# a notice holding a 消除 after a crash: both fail it too.)
# mode → (the requirement it breaks, the subscriber cases it must fail)
DURABILITY_MODES = with_restart_cases_also_failed({
    # applied changes kept in memory, written every 2 s: a crash loses what was receipted
    # (S-START-01's restart follows its applied notice within milliseconds: the name is lost;
    # so does S-RST-01's first restart, after its tail points, and S-KEEP-01's and S-HELD-01's)
    "write-behind": ("RQ-SUB-05", ("S-DUR-01", "S-DUR-02", "S-DUR-03", "S-DUR-04", "S-DUR-05",
                                   "S-DUR-06", "S-DUR-07", "S-DUR-08", "S-DUR-09",
                                   "S-START-01", "S-RST-01", "S-KEEP-01", "S-HELD-01")),
    # seen MessageIds in a TEMP table: gone with the process, a redelivery is applied again
    # (S-DUR-09's applied notice redelivered after a restart too, S-RST-01's taken ones and
    # S-KEEP-01's five)
    "seen-ids-temp-table": ("RQ-SUB-05", ("S-DUR-02", "S-DUR-06", "S-DUR-07", "S-DUR-08", "S-DUR-09",
                                          "S-RST-01", "S-KEEP-01", "S-LATE-02")),
})

# mode → (the requirement it breaks, the level-2 cases it must fail)
INTEROP_MODES = {
    # receipts every notice as applied and applies nothing
    "receipt-only": ("RQ-IOP-01", ("I-SUB-01", "I-SUB-02")),
    # takes any later change of a resident it already holds for stale
    "keeps-first": ("RQ-SUB-03", ("I-SUB-02",)),
}


# MJ characters a JIS X 0208 character map replaces with their standard forms
_JIS0208 = str.maketrans("髙﨑德濵", "高崎徳濱")


_FULL_SIZE = str.maketrans("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ",
                           "あいうえおつやゆよわアイウエオツヤユヨワカケ")


def _search_key(name: str) -> str:
    """A 名寄せ key: ゝ ヽ repeat the kana before them, ゞ ヾ its voiced form; small kana full-size."""
    out: list[str] = []
    for c in name:
        if c in "ゝヽゞヾ" and out:
            c = out[-1] if c in "ゝヽ" else unicodedata.normalize("NFC", out[-1] + "\u3099")
        out.append(c)
    return "".join(out).translate(_FULL_SIZE)


def _mynumber_mod10_ok(number: str) -> bool:
    total = sum(int(d) * (n + 1 if n <= 6 else n - 5)
                for n, d in enumerate(reversed(number[:11]), start=1))
    return number[11:] == str((11 - total % 11) % 10 if total % 11 != 1 else 0)


def _selector_per_base_once(name: str) -> str:
    """Each base's IVS selector looked up at its first occurrence and reused for the others."""
    first: dict[str, str] = {}
    out = []
    for i, c in enumerate(name):
        if 0xE0100 <= ord(c) <= 0xE01EF:
            continue  # written with its base below
        selector = name[i + 1] if i + 1 < len(name) and 0xE0100 <= ord(name[i + 1]) <= 0xE01EF \
            else ""
        out.append(c + (first.setdefault(c, selector) if selector else ""))
    return "".join(out)


def instant(sent_at: str) -> dt.datetime:
    """An xs:dateTime read as XML Schema defines it: white space collapsed, 24:00:00 the next
    day's 00:00 (a faulty subscriber's one defect is the age it applies, not the parse)."""
    text = sent_at.strip()
    if "T24:00:00" in text:
        return dt.datetime.fromisoformat(text.replace("T24:", "T00:")) + dt.timedelta(days=1)
    return dt.datetime.fromisoformat(text)


def _value(part: etree._Element) -> str | None:
    """An address part's value: Chome (xs:positiveInteger) as its number, a text as sent."""
    if etree.QName(part).localname == "Chome":
        return str(int((part.text or "").strip()))
    return part.text


class TestSubscriber:
    __test__ = False  # not a pytest class

    def __init__(self, mode: str | None = None):
        self.mode = mode
        self.seen: set[str] = set()
        self.residents: dict[str, dict] = {}
        self.joshou: dict[str, dict] = {}  # removal-moves-to-joshou: the 除票 of removed residents
        self.counted: dict[str, int] = {}  # duplicates-counted-out: duplicates answered per ID
        self.lock = threading.Lock()

    def handler(self, header, notice: etree._Element) -> etree._Element:
        if self.mode == "former-surname-refused" and notice.find(f".//{{{CMN}}}FormerSurname") \
                is not None:
            raise ProviderError("VENDOR-UNSUPPORTED", "旧氏 cannot be stored")
        if self.mode == "late-notice-refused" and dt.datetime.now(dt.timezone.utc) - \
                instant(header.sent_at) > dt.timedelta(seconds=3600):
            raise ProviderError("VENDOR-STALE", "the notice is too old")
        if self.mode == "mynumber-mod10" and any(
                not _mynumber_mod10_ok(el.text or "") for el in notice.iter(f"{{{CMN}}}IndividualNumber")):
            raise ProviderError("VENDOR-CHECK-DIGIT", "個人番号 check digit does not match")
        if self.mode == "check-then-act":
            return self._check_then_act(header, notice)
        if self.mode == "staging-buffer-shared":
            return self._staged(header, notice)
        with self.lock:
            duplicate = header.message_id in self.seen
            self.seen.add(header.message_id)
            if self.mode == "duplicates-counted-out" and duplicate:
                self.counted[header.message_id] = self.counted.get(header.message_id, 0) + 1
                if self.counted[header.message_id] >= 2:
                    self.seen.discard(header.message_id)
            if self.mode == "seen-window-2":
                self.window = [*getattr(self, "window", []), header.message_id][-2:]
                self.seen = set(self.window)
            if (not duplicate or self.mode == "applies-duplicates") \
                    and self.mode != "receipt-only":
                changes = notice.findall(f"{{{JUKI}}}Change")
                if self.mode == "one-resident-per-notice":
                    first = changes[0].findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                    changes = [c for c in changes if c.findtext(
                        f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") == first]
                if self.mode == "changes-batch-64":
                    changes = changes[:64]
                for change in changes[:1] if self.mode == "first-change-only" else changes:
                    self._apply(change)
        status = "duplicate" if duplicate and self.mode != "receipt-applied-on-duplicate" \
            else "applied"
        named = "00000000-0000-4000-8000-000000000000" if self.mode == "receipt-names-itself" \
            else header.message_id
        if self.mode == "receipt-counts-subscribers" and status == "applied":
            return receipt_element(named, status, subscribers=1)
        return receipt_element(named, status)

    def _check_then_act(self, header, notice: etree._Element):
        """check-then-act: what to apply decided now, written 50 ms later by a callback."""
        with self.lock:
            duplicate = header.message_id in self.seen
            lasts = {n: s["last"] for n, s in self.residents.items()}
        fresh = []
        for change in [] if duplicate else notice.findall(f"{{{JUKI}}}Change"):
            number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
            sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
            if sequence > lasts.get(number, 0):
                fresh.append(change)
                lasts[number] = sequence

        def act():
            with self.lock:
                self.seen.add(header.message_id)
                for change in fresh:
                    self._apply(change, checked=True)
            return receipt_element(header.message_id, "duplicate" if duplicate else "applied")

        return deferLater(reactor, 0.05, act)

    def _staged(self, header, notice: etree._Element):
        """staging-buffer-shared: one buffer for the object, written by a later callback."""
        with self.lock:
            duplicate = header.message_id in self.seen
            self.seen.add(header.message_id)
            if not duplicate:
                self.staging = notice.findall(f"{{{JUKI}}}Change")

        def write():
            with self.lock:
                for change in getattr(self, "staging", []):
                    self._apply(change)
            return receipt_element(header.message_id, "duplicate" if duplicate else "applied")

        return deferLater(reactor, 0.1, write)

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
        resident = change.find(f"{{{JUKI}}}Resident")
        number = resident.findtext(f"{{{CMN}}}AddresseeNumber")
        if self.mode == "removal-moves-to-joshou" and number in self.joshou and \
                number not in self.residents:  # the live record begun again from the 除票,
            # whose layout has no column for the last 異動連番
            self.residents[number] = {**self.joshou[number], "last": 0}
        state = self.residents.setdefault(number, {"last": 0, "changes_applied": 0})
        stale = sequence < state["last"] if self.mode == "applies-duplicates" \
            else state["last"] > 0 if self.mode == "keeps-first" \
            else str(sequence) <= str(state["last"]) if self.mode == "sequence-as-text" \
            else sequence <= state["last"]
        if self.mode == "sequence-cursor-of-arrivals":
            state["last"] = sequence  # where the cursor is now, applied or not
        if stale and self.mode != "last-writer-wins" and not checked:
            return  # stale: the newer state stays
        name = resident.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text")
        if self.mode == "name-trailing-marks-dropped":
            while name and unicodedata.category(name[-1]) in ("Mn", "Me"):
                name = name[:-1]
        if self.mode == "stores-nfkc":
            name = unicodedata.normalize("NFKC", name)
        elif self.mode == "stores-ivs-stripped":
            name = "".join(c for c in name if not 0xE0100 <= ord(c) <= 0xE01EF)
        elif self.mode == "name-column-50":
            name = name[:50]
        elif self.mode == "jis0208-fallbacks":
            name = name.translate(_JIS0208)
        elif self.mode == "selector-per-base-once":
            name = _selector_per_base_once(name)
        elif self.mode == "name-search-key-stored":
            name = _search_key(name)
        elif self.mode in ("ivs-range-from-e0101", "ivs-table-of-sixteen"):
            low, high = (0xE0100, 0xE01EF) if self.mode == "ivs-range-from-e0101" \
                else (0xE00FF, 0xE010F)
            name = "".join(c for c in name if not 0xE0100 <= ord(c) <= 0xE01EF
                           or low < ord(c) <= high)
        address = resident.find(f"{{{CMN}}}Address")
        state.update(last=sequence, name=name, address=None if address is None else {
            etree.QName(part).localname: _value(part) for part in address})
        state["changes_applied"] += 1
        group = reason_group(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason"))
        if group == DELETED:  # the record kept, marked removed on the 事由の生じた年月日
            state["removed_on"] = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn")
            if self.mode == "removal-moves-to-joshou":  # the live record (and its last
                self.joshou[number] = self.residents.pop(number)  # 異動連番) gone
        elif group == RECORDED:
            state["removed_on"] = None

    def observe(self, values) -> tuple[int, str]:
        with self.lock:
            state = self.residents.get(values["addressee_number"]) or \
                self.joshou.get(values["addressee_number"])
        if state is None:
            return 1, json.dumps({"error": "no such resident"})
        return 0, json.dumps({"name": state.get("name"),
                              "changes_applied": state["changes_applied"],
                              "removed_on": state.get("removed_on"),
                              "address": state.get("address")}, ensure_ascii=False)


