"""The operator controls kept across restarts: one small JSON file, replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .controls import Controls


class StateFileError(Exception):
    """The state file cannot be read or written."""


def load(path: Path) -> Controls:
    """The saved controls; a missing file means none were ever set."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Controls()
    except (OSError, ValueError) as exc:
        raise StateFileError(f"{path}: cannot read the admin state: {exc}") from None
    try:
        return Controls.from_json(doc)
    except (ValueError, AttributeError, TypeError) as exc:
        raise StateFileError(f"{path}: not an admin state file: {exc}") from None


def save(path: Path, controls: Controls) -> None:
    """Write to a temporary file, fsync, rename: a crash leaves the old or the new state."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(controls.to_json(), f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise StateFileError(f"{path}: cannot write the admin state: {exc}") from None
