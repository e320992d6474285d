"""Round 23b (S-FIELD-01): what a subscriber holds per resident and per message, for residents in
every state the documents define, is the same after a start-up as without one — judged by the
notice grid's receiver model (grid_notices.py; notice_runs.py sends it, ``fields``).

What a subscriber holds (docs/notices.md "What a subscriber does with each change"; the
``--observe`` contract, docs/conformance.md):

- per resident: the state the last applied change carried — Name/Text (observed ``name``) with
  its Original and Kana, the 旧氏 (FormerSurname), the address parts (Town, Chome, Banchi,
  Katagaki), the event's and the resident's dates (NotifiedOn, RecordedOn, BecameResidentOn,
  AddressFixedOn) —, the 異動連番 watermark (seen through the next change's answer: an older or
  equal one kept out, a later one applied), how many changes it applied (``changes_applied``),
  the 消除 mark and its day (``removed_on``: the 消除's OccurredOn; a 記載 clears it, a 修正
  leaves it);
- per message: the MessageIds received (a notice delivered again is ``duplicate``), also of a
  notice whose changes were all kept out, of one holding only 消除, of one of many residents.

The states (``STATES``), each a resident of one point, all around ONE restart:

- held, its last change a 転居 (C01) carrying every optional item of NameType, AddressType and
  the dates (the items ``--observe`` does not show are carried so that a start-up that rebuilds
  the record from a column or a view lacking one has something to lose: it shows in the name,
  the count, the mark or the next answer);
- removed by each 消除 code of the change_reason code list (B01 … B07), each on a day of its own;
- corrected after removal (消除, then a 修正 of the 除票: the mark stays) and registered again
  after removal (消除, then a 記載: the mark cleared);
- its 旧氏 deleted (a 転入 carrying a FormerSurname, then C09 旧氏の削除 without one);
- kept out as stale (held at 9, then a 4: kept out; the watermark is 9, not 4);
- held through a 修正 as its first change (docs/notices.md: a change of a resident not held, a
  修正 as much as a 記載, makes the subscriber hold it; a later change with a lower 異動連番 is
  then kept out as usual): 3 a 修正, then after the restart its 記載 1 (kept out) and 4;
- never held before the restart (its first change, a 修正 C01, arrives after it);
- round 33b: held at 10 after 9 and at 2**31 after 2**31 - 1 (after the restart an older change
  of each is kept out: a watermark reloaded as text or as a 32-bit integer lets it in), and a
  name with white space at both ends (a space, U+3000), which no later change replaces;
- round 34b: the last notice before the restart is sent as LinkageKind full, and the equal
  異動連番 sent after it carry an OccurredOn later than every change applied.

After the restart, for every state, each answer the documents define for the next notice:
``duplicate`` (each notice received before it delivered again, over the other SOAP version),
kept out (an older or an equal 異動連番 — a 記載 for some, whose mark-clearing would show, a
修正 for others; a 消除 for the one registered again), applied (a later 修正 of each). Then
every resident is observed: the model's name, count and ``removed_on``. Not here: a refusal
(S-RST-01 sends every refusal rule around restarts; a refusal changes no field), the outcomes of
ONE notice at restart positions (S-RST-01), seen MessageIds of every age (S-KEEP-01), residents
held before the run (S-HELD-01).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .grid_notices import FIRST, Change, Point, Resend, Restart, Send

REMOVALS_DEFAULT = ("B01", "B02", "B03", "B04", "B05", "B06", "B07")

# every optional item of the resident the notice grid can write (grid_notices.notice_body)
SPACED_NAME = " 𠮷田　花子\u3000"  # NameTextType preserves white space: a space, U+3000
EVERY_ITEM = {"Original": "髙", "FormerSurname": "旧姓", "Town": "一丁目", "Chome": "12",
              "Banchi": "の2", "Katagaki": "203号", "NotifiedOn": "2024-05-02",
              "RecordedOn": "2024-05-02", "BecameResidentOn": "2024-05-01",
              "AddressFixedOn": "2024-05-01"}


@dataclass(frozen=True)
class State:
    label: str
    before: tuple[str, ...]  # the notices (keys of NOTICES below) holding its changes


def _removal_codes(groups: Mapping[str, str]) -> list[str]:
    return sorted(c for c, g in groups.items() if g == "消除") or list(REMOVALS_DEFAULT)


def field_points(groups: Mapping[str, str]) -> list[Point]:
    """S-FIELD-01's one point (module docstring): residents 0 … n-1, one restart."""
    removals = _removal_codes(groups)
    held, corrected, again, former, stale, never, provisional = range(7)
    first_removed = 7
    removed = {code: first_removed + k for k, code in enumerate(removals)}
    # round 33b: a watermark past a power of ten and one past 2**31 (a start-up reloading them
    # as text or as 32-bit integers keeps the older change out no longer); a name with white
    # space at both ends (a start-up trimming names): none of them changed after the restart
    tens, wide, spaced = range(first_removed + len(removals), first_removed + len(removals) + 3)
    residents = spaced + 1
    wide_low = 2**31 - 1
    relation = {who: "01" if who == held else "02" for who in range(residents)}

    def c(who: int, sequence: int, reason: str = "C12", **kw) -> Change:
        return Change(who, str(sequence), reason, relationship=relation[who], **kw)

    # before the restart
    first_sequence = {stale: 9, tens: 9, wide: wide_low}
    moved_in = Send(tuple(
        c(who, first_sequence.get(who, 1), FIRST,
          fields={"FormerSurname": "旧姓"} if who == former else {},
          name=SPACED_NAME if who == spaced else None)
        for who in range(residents) if who not in (never, provisional)), key="in")
    changed = Send((c(held, 3, "C01", fields=EVERY_ITEM),
                    c(former, 3, "C09"),  # 旧氏の削除: no FormerSurname any more
                    c(stale, 4),  # kept out beside applied changes: 4 < 9
                    c(provisional, 3),  # its first change, a 修正
                    c(tens, 10), c(wide, wide_low + 1),  # past 10, past 2**31: applied
                    # the same name again: no resident's last notice before the restart is the
                    # first one ("in" is delivered again after it: a start-up that rebuilds the
                    # seen MessageIds from each resident's last notice forgets it)
                    c(spaced, 2, name=SPACED_NAME)),
                   soap="1.2", key="changed")
    gone = Send(tuple(c(who, 2, code, occurred=f"2024-06-{k + 1:02d}")
                      for k, (code, who) in enumerate(removed.items()))
                + (c(corrected, 2, "B03", occurred="2024-06-20"),
                   c(again, 2, "B01", occurred="2024-06-21")), key="gone")
    # round 34b: the last notice before the restart is sent as LinkageKind full (applied as any
    # other, README): a product that receipts a full notice before storing it loses it here
    after_removal = Send((c(corrected, 3, "C12", occurred="2024-06-25"),
                          c(again, 3, FIRST, occurred="2024-07-01")), soap="1.2", key="after",
                         linkage_kind="full")
    # after it: older or equal changes (kept out), the first change of a resident never held
    older = Send(
        (c(held, 2), c(former, 2, "C08", fields={"FormerSurname": "旧姓"}), c(stale, 5),
         c(corrected, 2, FIRST, occurred="2024-06-22"),
         c(again, 2, "B02", occurred="2024-07-05"),
         c(never, 5, "C01"), c(provisional, 1, FIRST), c(tens, 2), c(wide, wide_low),
         c(spaced, 2))
        + tuple(c(who, 1, FIRST if k % 2 == 0 else "C12", occurred="2024-05-20")
                # an equal one for every third code, its OccurredOn after every other change
                # (round 34b: a tie broken by the date lets it in; docs/notices.md: kept out)
                if k % 3 != 2 else c(who, 2, "C12", occurred="2024-12-01")
                for k, who in enumerate(removed.values())), key="older")
    later = Send(tuple(c(who, 10 if who == stale else 4, "C12", occurred="2024-08-01")
                       for who in range(residents) if who not in (never, tens, wide, spaced))
                 + (c(never, 4),), soap="1.2")  # 4 < 5: kept out
    steps = (moved_in, changed, gone, after_removal, Restart(),
             Resend("in", soap="1.2"), Resend("changed", soap="1.1"), Resend("gone", soap="1.2"),
             Resend("after", soap="1.1"), older, Resend("older", soap="1.2"), later)
    what = (f"{residents} residents: held (a 転居 with every item), removed by each of "
            f"{', '.join(removals)}, corrected after a 消除, registered again after one, its 旧氏 "
            "deleted, held at 9 with a 4 kept out, held through a 修正 first, never held, held "
            "at 10 and at 2**31 (older changes kept out after the restart), a name with white "
            "space at both ends; "
            "restart; every notice again (duplicate), an older or equal change of each (kept "
            "out), the first change of the one never held, a later change of each (applied)")
    return [Point("start-up", what, residents, steps)]


def exchanges(groups: Mapping[str, str]) -> int:
    """How many notices the point sends (the case's cost)."""
    return sum(1 for p in field_points(groups) for s in p.steps if not isinstance(s, Restart))
