"""Hub configuration of characters (文字): tenants' repertoires and the systems' declarations.

``[[tenants]] characters = "mj" | "jisx0213"`` — what the names of a municipality's data must keep
to (default "mj"). ``[[systems]]`` — what the hub knows of one vendor system, by party::

    [[systems]]
    party = "131016/07/vendor-b-legacy"   # 団体コード/業務ユニット/システムID
    characters = "jisx0213"               # it stores only JIS X 0213: its adapter applies 縮退,
                                          # the hub records the substitutions in the routing log
    gaiji = "gaiji/vendor-b-legacy.tsv"   # its registered 外字 table (relative to the config)

A registered 外字 table makes the system's mapped private-use codes acceptable in names it sends,
and, as a receiver, names the MJ characters it keeps as 外字 (no 縮退 for those).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .characters import REPERTOIRES
from .gaiji import GaijiTable, GaijiTableError
from .identifiers import is_valid_local_gov_code
from .shrink import Receiver

_PARTY = re.compile(r"([0-9]{6})/([0-9]{2})/([^/\s]+)")


@dataclass(frozen=True)
class SystemCharacters:
    """One ``[[systems]]`` entry."""

    party: str  # 団体コード/業務ユニット/システムID, as PlatformHeader parties print
    characters: str = "mj"  # what it stores: "mj" or "jisx0213"
    gaiji: GaijiTable | None = None  # its registered 外字 table

    @property
    def receiver(self) -> Receiver:
        return Receiver(self.characters, self.gaiji.standard if self.gaiji else frozenset())

    @property
    def registered_gaiji(self) -> frozenset[str]:
        return self.gaiji.private if self.gaiji else frozenset()


def repertoire(value: object, err, key: str) -> str:
    if value not in REPERTOIRES:
        raise err(key, f"must be one of {', '.join(map(repr, REPERTOIRES))}")
    return value


def parse_systems(entries: list[dict], base: Path, err) -> dict[str, SystemCharacters]:
    systems: dict[str, SystemCharacters] = {}
    for i, entry in enumerate(entries):
        key = f"systems[{i}]"
        unknown = set(entry) - {"party", "characters", "gaiji"}
        if unknown:
            raise err(f"{key}.{sorted(unknown)[0]}", "unknown key; known: party, characters, "
                                                     "gaiji")
        party = entry.get("party")
        m = _PARTY.fullmatch(party) if isinstance(party, str) else None
        if m is None or not is_valid_local_gov_code(m[1]):
            raise err(f"{key}.party", "must be 団体コード/業務ユニット/システムID with a valid "
                                      "団体コード, e.g. \"131016/07/vendor-b-tax\"")
        if party in systems:
            raise err(f"{key}.party", f"{party} is listed twice")
        characters = repertoire(entry.get("characters", "mj"), err, f"{key}.characters")
        gaiji = None
        if "gaiji" in entry:
            if not isinstance(entry["gaiji"], str):
                raise err(f"{key}.gaiji", "must be the path of a 外字 table")
            try:
                gaiji = GaijiTable.load((base / entry["gaiji"]).resolve())
            except GaijiTableError as exc:
                raise err(f"{key}.gaiji", str(exc)) from None
        systems[party] = SystemCharacters(party, characters, gaiji)
    return systems
