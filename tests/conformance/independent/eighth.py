"""The eighth batch's defects of the independent adapter (variants.py EIGHTH_BATCH), where they
change a whole answer, a request's reading or the store: text written through a vendor's legacy
tables (JIS and CP932 forms, an address master, 住居表示 short forms), 和暦 leap years, a key read
from the bytes, rules a vendor adds to notices, and a store restored or kept at exit. The smaller
ones sit inline where they happen (provider.py, subscriber.py, answers.py, adapter.py,
transport.py)."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import re
import shutil
from pathlib import Path

from .standard import CMN, JUKI, Refusal

# a Shift_JIS (JIS X 0208) table on the way out: CP932's forms of 1-33, 1-34, 1-61 become JIS's
_CP932_TO_JIS = str.maketrans("～∥－", "〜‖−")
# … and the other way, a name column written through Java's MS932
_JIS_TO_CP932 = str.maketrans("〜‖−¢£¬", "～∥－￠￡￢")
_LATIN_SIGNS_WIDE = str.maketrans("¢£¬", "￠￡￢")  # CP932's mapping of JIS 1-81, 1-82, 2-44
# the vendor's 住所マスタ: its own spelling of a few 町字
_ADDRESS_MASTER = {"霞が関": "霞ヶ関", "麹町": "麴町"}
_BANCHI = re.compile(r"(\d+)番地?(?:(\d+)号?)?")
_DATES = (f"{{{CMN}}}DateOfBirth", f"{{{CMN}}}BecameResidentOn", f"{{{CMN}}}AddressFixedOn")


def wareki_year(day: dt.date) -> int:
    """The year of its era (令和, 平成, 昭和) a date falls in."""
    for start, offset in ((dt.date(2019, 5, 1), 2018), (dt.date(1989, 1, 8), 1988),
                          (dt.date(1926, 12, 25), 1925)):
        if day >= start:
            return day.year - offset
    return day.year - 1911  # 大正: not met in the test data


def _era_leap_day_kept(text: str) -> str:
    """wareki-leap-year-by-era-year: 29 February kept only when the 和暦 year is divisible by 4
    (平成12年 = 2000 is, 令和2年 = 2020 is not): otherwise written as the 28th."""
    day = dt.date.fromisoformat(text[:10])
    if (day.month, day.day) == (2, 29) and wareki_year(day) % 4:
        return day.replace(day=28).isoformat() + text[10:]
    return text


class EighthBatch:
    """Mixed into Adapter: what the eighth batch's variants do to an answer, a request's reading,
    a notice's rules and the store."""

    defect: str | None

    # --- answers -----------------------------------------------------------------------------

    def _eighth_answer(self, response) -> None:
        d = self.defect
        if d == "foreigner-kana-dropped":  # the former 外国人 table has 通称 but no reading
            for r in (*response.iter(f"{{{JUKI}}}Resident"), *response.iter(f"{{{CMN}}}Member")):
                if r.findtext(f"{{{CMN}}}ResidentKind") == "2":
                    name = r.find(f"{{{CMN}}}Name")
                    for kana in name.findall(f"{{{CMN}}}Kana"):
                        name.remove(kana)
        if d == "wareki-leap-year-by-era-year":
            for el in response.iter(*_DATES):
                el.text = _era_leap_day_kept(el.text)
        texts = {
            "cp932-forms-to-jis": (response, lambda t: t.translate(_CP932_TO_JIS)),
            "horizontal-bar-to-em-dash": (response, lambda t: t.replace("\u2015", "\u2014")),
            "latin-signs-full-width": (response, lambda t: t.translate(_LATIN_SIGNS_WIDE)),
            "half-width-voiced-mark-dropped": (
                response, lambda t: t.replace("\uff9e", "").replace("\uff9f", "")),
            "name-space-widened": (f"{{{CMN}}}Text", lambda t: t.replace(" ", "\u3000")),
            "town-from-address-master": (f"{{{CMN}}}Town", lambda t: _ADDRESS_MASTER.get(t, t)),
            "banchi-abbreviated": (  # 住居表示 short form: 1番2号 → 1-2, 3番地 → 3
                f"{{{CMN}}}Banchi", lambda t: _BANCHI.sub(
                    lambda m: m[1] + (f"-{m[2]}" if m[2] else ""), t)),
        }
        if d not in texts:
            return
        scope, change = texts[d]
        for el in ([scope] if not isinstance(scope, str) else response.iter(scope)):
            for node in el.iter():
                if isinstance(node.tag, str) and node.text and \
                        not (d == "name-space-widened" and node.getparent().tag not in (
                            f"{{{CMN}}}Name", f"{{{CMN}}}HeadName")):
                    node.text = change(node.text)

    # --- requests ----------------------------------------------------------------------------

    def _eighth_key_from_bytes(self, raw: bytes, body) -> None:
        """key-read-by-regex: the 宛名番号 taken from the request's bytes (the vendor's fast
        path), not from the parsed document — a CDATA section or a character reference is missed."""
        el = body.find(f"{{{JUKI}}}AddresseeNumber")
        if el is not None:
            m = re.search(rb"AddresseeNumber>([0-9]+)</", raw)
            el.text = m[1].decode() if m else ""

    def _eighth_as_of(self, as_of: str) -> None:
        if self.defect == "as-of-wareki-leap-day-refused" and as_of[5:10] == "02-29" and \
                wareki_year(dt.date.fromisoformat(as_of[:10])) % 4:
            raise Refusal("VENDOR-DATE", "client", "基準日 is not a date",
                          [("vendor:as_of", f"{as_of}: no 29 February in this 和暦 year")])

    def _eighth_header_checks(self, header, mid) -> None:
        sent_at = header.findtext("{urn:pfbus:platform:header:v1}SentAt") or ""
        if self.defect == "sent-at-fraction-refused" and "." in sent_at:  # strptime %S%z
            raise Refusal("VENDOR-SENT-AT", "client", "SentAt cannot be read",
                          [("vendor:sent_at", "yyyy-mm-ddThh:mm:ss+09:00 expected")], mid)

    # --- notices -----------------------------------------------------------------------------

    def _eighth_rules(self, body) -> list[tuple[str, str]]:
        """Rules the vendor adds to notices (its own columns and checks)."""
        d, problems = self.defect, []
        if d == "sequence-18-digits-refused":  # a DECIMAL(17) column
            for el in body.iter(f"{{{JUKI}}}Sequence"):
                if len(el.text.strip().lstrip("0")) > 17:
                    problems.append(("vendor:sequence", f"{el.text}: out of range"))
        if d == "kana-dot-and-space-refused":  # the vendor's reading check: [ァ-ヶー]+
            for kana in body.iter(f"{{{CMN}}}Kana"):
                for el in kana:
                    if re.search("[\u30fb\u3000]", el.text or ""):
                        problems.append(("vendor:kana", "a reading holds ・ or a space"))
        if d == "birth-before-epoch-refused":  # dates kept as Unix time
            for el in body.iter(f"{{{CMN}}}DateOfBirth"):
                if el.text[:10] < "1970-01-01":
                    problems.append(("vendor:date", f"{el.text}: before 1970-01-01"))
        return problems

    def _eighth_apply_until_bad(self, body) -> None:
        """notice-applied-up-to-bad-change: the changes checked and applied one by one; those
        before the first bad one stay committed when the notice is refused."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            for change in body.findall(f"{{{JUKI}}}Change"):
                if self._rules(change):
                    break
                self._apply(change)
            self.conn.execute("COMMIT")

    # --- the store ---------------------------------------------------------------------------

    def _eighth_store_opening(self) -> None:
        """Before the store is opened: restored from the copy taken at the last start when the
        last run did not stop cleanly (its -wal file is still there)."""
        if self.defect != "restored-from-start-snapshot" or str(self.db) == ":memory:":
            return
        copy, wal = Path(f"{self.db}.start"), Path(f"{self.db}-wal")
        if copy.exists() and wal.exists():
            shutil.copyfile(copy, self.db)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.db}{suffix}").unlink(missing_ok=True)

    def _eighth_store_opened(self) -> None:
        if self.defect == "restored-from-start-snapshot" and str(self.db) != ":memory:":
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(self.db, f"{self.db}.start")
        if self.defect == "seen-ids-saved-at-exit":  # the dedup cache, saved at shutdown
            saved = Path(f"{self.db}.seen.json")
            if saved.exists():
                self.memory_seen |= set(json.loads(saved.read_text()))
            atexit.register(self._eighth_save_seen, saved)

    def _eighth_save_seen(self, saved: Path) -> None:
        try:
            saved.write_text(json.dumps(sorted(self.memory_seen)))
        except OSError:  # the directory is gone (a test's tmp_path)
            pass
