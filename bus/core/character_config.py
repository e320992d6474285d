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
from .gaiji import GaijiTable, GaijiTableError
from .identifiers import is_valid_local_gov_code
from .settings import Section
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


def parse_systems(entries: list[Section]) -> dict[str, SystemCharacters]:
    """``[[systems]]`` as read against its declaration (bus/core/settings/hub.py)."""
    systems: dict[str, SystemCharacters] = {}
    for entry in entries:
        party = entry["party"]
        m = _PARTY.fullmatch(party)
        if m is None or not is_valid_local_gov_code(m[1]):
            raise entry.error("party", "must be 団体コード/業務ユニット/システムID with a valid "
                                       "団体コード, e.g. \"131016/07/vendor-b-tax\"")
        if party in systems:
            raise entry.error("party", f"{party} is listed twice")
        gaiji = None
        path = entry.path("gaiji")
        if path is not None:
            try:
                gaiji = GaijiTable.load(path)
            except GaijiTableError as exc:
                raise entry.error("gaiji", str(exc)) from None
        systems[party] = SystemCharacters(party, entry["characters"], gaiji)
    return systems
