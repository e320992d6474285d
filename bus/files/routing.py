"""Recipient list (受信者リスト) of file linkage: who receives a file of (団体コード, kind).

Pure. The subscriptions are ``[[files.subscriptions]]``; the order of the result is the order of
the config, so receipts and logs list subscribers the same way every time. A sender never
receives its own file back.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.files_config import FileSubscription


class RecipientList:
    def __init__(self, subscriptions: Iterable[FileSubscription]):
        self._by_key: dict[tuple[str, str], list[str]] = {}
        for s in subscriptions:
            self._by_key.setdefault((s.local_gov_code, s.kind), []).append(s.subscriber)

    def subscribers(self, code: str, kind: str, sender: str) -> tuple[str, ...]:
        return tuple(s for s in self._by_key.get((code, kind), ()) if s != sender)

    def kinds(self) -> set[str]:
        return {kind for _, kind in self._by_key}
