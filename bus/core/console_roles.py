"""The admin console's roles (管理画面の権限): one closed vocabulary for the configuration
(``[admin] client_roles``), the token file (``pfbus admin``, the console's logins) and the
sessions that decide what a user may do."""

from __future__ import annotations

from enum import StrEnum


class ConsoleRole(StrEnum):
    OPERATOR = "operator"  # reads, and changes: controls, dead letters replayed/purged/revealed
    VIEWER = "viewer"  # reads only


ROLES = tuple(r.value for r in ConsoleRole)
