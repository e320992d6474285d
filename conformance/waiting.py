"""Cases that wait (``requires = ["waiting"]``, round 13): opt-in, never in an ordinary run.

Some defects show only after time has passed — a RequestId → ExtractId map that forgets its
entries after a minute, a cache with a TTL. The ordinary run must stay short (issue 11: a
provider profile in under 2 s), so such a case is skipped unless the run asks for it with
``--param waiting_cases=true``; its report then says it waited and for how long. The ``pause``
step sleeps for its target's seconds (a ``${param}``), nothing else.
"""

from __future__ import annotations

from typing import Any

from .envelopes import fill

PARAM = "waiting_cases"


def enabled(params) -> bool:
    return str(params.get(PARAM, "")).strip().lower() in ("1", "true", "yes")


def skip_reason() -> str:
    return f"waits (time must pass for what it checks): run with --param {PARAM}=true"


def pause(runner: Any, step: Any, values: dict[str, Any]) -> list[str]:
    """``pause = "${seconds}"``: let that much time pass before the next step."""
    raw = fill(step.target, values) if isinstance(step.target, str) else step.target
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{step.where}: pause {raw!r} is not a number of seconds") from None
    runner.s.transport.pause(seconds)
    return []
