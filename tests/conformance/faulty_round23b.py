"""Faulty subscribers for round 23b's classes (docs/conformance-testing.md, "Round 23b"): what a start-up
does to each field a subscriber holds, for residents in each state, and seen MessageIds kept in
calendar partitions — each the crashable SDK-built subscriber (faulty_durability.py) with ONE
defect, written from the fields and states the documents define and from the ways a store is
partitioned by a date, not from the twenty-second batch's variants:

- start-up housekeeping that rebuilds a field for some residents: removed residents' 異動連番
  watermarks cleared ("a 除票 takes no more changes"); the watermarks loaded from the current
  記録年月日 month's partition only (residents with no change recorded this month start from 0;
  round 16b's ``watermark-from-last-received`` is the arrivals journal's); residents whose 旧氏 was deleted
  rebuilt from the 旧氏 history table (its last row: the change that carried the 旧氏);
  a removed resident's corrections lost (a 修正 of a 除票 written to the 除票 table only, the
  start-up's view of residents read from the live one);
- a date column read back in another zone at start: the 消除日 kept as a JST midnight timestamp,
  read back as a UTC date (the day before);
- seen MessageIds partitioned by a date: looked up only in the current month's partition (by
  SentAt, JST), or only the current partition loaded at start-up — by SentAt's 年度, by SentAt's
  day (UTC), by the notice's 記録年月日's month.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from adapters.sdk.juki_notice import DELETED, RECORDED, reason_group

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .subscriber import CMN, JUKI, instant

JST = dt.timezone(dt.timedelta(hours=9))

# crashable subscriber mode → (the requirement it breaks, the subscriber cases it must fail):
# test_conformance_round23b (each on both subscriber profiles, tiers.subscriber_runs)
ROUND23B_MODES = with_restart_cases_also_failed({
    # S-RST-01's 消除 outcome and S-DUR-07's 消除 are followed after a restart only by newer
    # changes or by the same notice: only S-FIELD-01 sends an older change after one
    "removed-watermarks-cleared-at-start": ("RQ-SUB-03", ("S-FIELD-01",)),
    # every removed resident observed after a restart: S-RST-01's 消除 outcome too (S-DUR-07's
    # 消除 is observed by its changes_applied and name only), and round 26b's S-DUR-10 (its
    # seven 消除 observed after the crash)
    "removed-on-read-back-in-utc": ("RQ-SUB-05", ("S-FIELD-01", "S-RST-01", "S-DUR-10")),
    "corrections-after-removal-lost-at-start": ("RQ-SUB-05", ("S-FIELD-01",)),
    # the only restart case whose resident's last change carries a 記録年月日 and is followed by
    # an older one after the restart
    "watermarks-of-this-month-only-at-start": ("RQ-SUB-03", ("S-FIELD-01",)),
    "former-surname-deleted-rebuilt-at-start": ("RQ-SUB-05", ("S-FIELD-01",)),
    # (and S-GRID-01 in the first 26 hours of a month: its notice sent 25 hours ago, delivered
    # again — test_conformance_round23b allows it then)
    # (round 43a: S-LATE-02 delivers again the notices receipted right before a restart)
    "seen-by-sent-month-current-only": ("RQ-SUB-02", ("S-PART-01", "S-LATE-02")),
    "seen-by-sent-nendo-loaded-at-start": ("RQ-SUB-05", ("S-PART-01", "S-LATE-02")),
    "seen-by-sent-day-loaded-at-start": ("RQ-SUB-05", ("S-PART-01", "S-LATE-02")),
    # S-RST-01's "dates in another order" outcome and S-FIELD-01's 転居 with every item carry a
    # RecordedOn of 2024, delivered again after their restarts
    "seen-by-recorded-month-loaded-at-start": ("RQ-SUB-05", ("S-PART-01", "S-RST-01",
                                                             "S-FIELD-01", "S-LATE-02")),
})


def _nendo(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


class Round23bSubscriber(CrashableSubscriber):
    """The crashable SDK-built subscriber with one defect of ROUND23B_MODES."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.sent_at: dict[str, dt.datetime] = {}  # MessageId → its SentAt
        self.recorded: dict[str, dt.date] = {}  # MessageId → its latest RecordedOn (or today)
        self.month: dict[str, tuple[int, int]] = {}  # resident → its last change's 記録 month
        self.former: dict[str, dict] = {}  # resident → its row when a 旧氏 was last carried
        self.former_deleted: set[str] = set()
        self.live: dict[str, dict] = {}  # resident → its live row when it was removed
        self.corrected: set[str] = set()  # residents with a 修正 after their 消除

    def handler(self, header, notice):
        sent = instant(header.sent_at)
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=dt.timezone.utc)
        recorded = [dt.date.fromisoformat(t) for t in notice.itertext(f"{{{CMN}}}RecordedOn")]
        with self.lock:
            mid = header.message_id
            if self.mode == "seen-by-sent-month-current-only" and mid in self.seen:
                now = dt.datetime.now(JST)
                month = sent.astimezone(JST)
                if (month.year, month.month) != (now.year, now.month):
                    self.seen.discard(mid)  # looked up in this month's partition only
            self.sent_at.setdefault(mid, sent)
            self.recorded.setdefault(mid, max(recorded, default=dt.datetime.now(dt.timezone.utc).date()))
        return super().handler(header, notice)

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""
        before = self.residents.get(number, {}).get("changes_applied", 0)
        super()._apply(change, checked)
        state = self.residents.get(number)
        if state is None or state["changes_applied"] == before:
            return  # kept out
        group = reason_group(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason"))
        recorded = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}RecordedOn")
        day = dt.date.fromisoformat(recorded) if recorded else \
            dt.datetime.now(dt.timezone.utc).date()  # a change without one: the day received
        self.month[number] = (day.year, day.month)
        if change.find(f"{{{JUKI}}}Resident/{{{CMN}}}FormerSurname") is not None:
            self.former[number] = dict(state)
            self.former_deleted.discard(number)
        elif number in self.former:
            self.former_deleted.add(number)
        if group == DELETED:
            self.live[number] = dict(state)
            self.corrected.discard(number)
        elif group == RECORDED:
            self.live.pop(number, None)
            self.corrected.discard(number)
        elif state.get("removed_on"):
            self.corrected.add(number)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        now = dt.datetime.now(dt.timezone.utc)
        with self.lock:
            for number, state in self.residents.items():
                if self.mode == "removed-watermarks-cleared-at-start" and state.get("removed_on"):
                    state["last"] = 0
                if self.mode == "removed-on-read-back-in-utc" and state.get("removed_on"):
                    midnight = dt.datetime.combine(dt.date.fromisoformat(state["removed_on"]),
                                                   dt.time(0), JST)
                    state["removed_on"] = midnight.astimezone(dt.timezone.utc).date().isoformat()
                if self.mode == "corrections-after-removal-lost-at-start" and \
                        number in self.corrected and number in self.live:
                    state.update(name=self.live[number]["name"],
                                 changes_applied=self.live[number]["changes_applied"])
                if self.mode == "watermarks-of-this-month-only-at-start" and \
                        self.month.get(number, (now.year, now.month)) != (now.year, now.month):
                    state["last"] = 0  # not in this month's partition: no watermark
                if self.mode == "former-surname-deleted-rebuilt-at-start" and \
                        number in self.former_deleted:
                    state.update(name=self.former[number]["name"],
                                 last=self.former[number]["last"])
            keep = {
                "seen-by-sent-nendo-loaded-at-start": lambda m: _nendo(
                    self.sent_at[m].astimezone(JST).date()) == _nendo(now.astimezone(JST).date()),
                "seen-by-sent-day-loaded-at-start": lambda m: self.sent_at[m].astimezone(
                    dt.timezone.utc).date() == now.date(),
                "seen-by-recorded-month-loaded-at-start": lambda m: (
                    self.recorded[m].year, self.recorded[m].month) == (now.year, now.month),
            }.get(self.mode or "")
            if keep is not None:
                self.seen = {m for m in self.seen if m not in self.sent_at or keep(m)}
        return code
