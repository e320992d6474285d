"""Frozen dataclasses built on the hot path without their generated ``__init__``.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, about 2 k
instructions per field under CPython 3.11: an exchange builds its envelopes, accepted request,
binding and response that way, ~40 k instructions (issue 13). ``built`` gives the same object
(equal, same hash and repr) for a class with no ``__post_init__``, given every field by name.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def built(cls: type[T], **fields: Any) -> T:
    """``cls(**fields)`` for a frozen dataclass without ``__post_init__``; every field named
    (defaults are not filled in: tests/unit/test_core_frozen.py compares with the constructor)."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj
