"""Kinds of values a key may hold, each with ONE wording of its error ("must be a number").

A scalar kind converts a TOML value (``convert``) or raises ``Invalid``. ``Sub``, ``Tables`` and
``MapOf`` nest declared tables; the reader walks them (``reader.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .declare import Table


class Invalid(Exception):
    """A value of the wrong kind. ``at`` continues the key (``[2]`` for a list's third item)."""

    def __init__(self, message: str, at: str = ""):
        super().__init__(message)
        self.message = message
        self.at = at


class Kind:
    """A kind of value. ``what`` completes "must be …"; ``plural`` names a list of them."""

    what = "a value"
    plural = "values"

    def convert(self, value: Any) -> Any:
        return value

    def example(self) -> Any:
        """A valid value (generated tests, documentation)."""
        return None


class Anything(Kind):
    """Any TOML value: checked by the code that uses it."""

    def example(self) -> Any:
        return "x"


@dataclass(frozen=True)
class Str(Kind):
    nonempty: bool = False
    what = "a string"
    plural = "strings"

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        if self.nonempty and not value:
            raise Invalid("must not be empty")
        return value

    def example(self) -> Any:
        return "x"


@dataclass(frozen=True)
class Int(Kind):
    minimum: int | None = None
    maximum: int | None = None
    what = "an integer"
    plural = "integers"

    def convert(self, value: Any) -> int:
        if type(value) is not int:  # bool is an int in Python, not in TOML
            raise Invalid("must be an integer")
        if (self.minimum is not None and value < self.minimum
                or self.maximum is not None and value > self.maximum):
            raise Invalid(f"must be {self.bounds()}")
        return value

    def bounds(self) -> str:
        if self.minimum == 1 and self.maximum is None:
            return "a positive integer"
        if self.maximum is None:
            return f"an integer of {self.minimum} or more"
        if self.minimum is None:
            return f"an integer of {self.maximum} or less"
        return f"an integer from {self.minimum} to {self.maximum}"

    def example(self) -> Any:
        return self.minimum if self.minimum is not None else 1


class CountOrAuto(Kind):
    """A positive integer, or ``"auto"`` (the code using it picks the count)."""

    what = 'a positive integer or "auto"'
    plural = 'positive integers or "auto"'

    def convert(self, value: Any) -> int | str:
        if value == "auto":
            return "auto"
        if type(value) is int and value >= 1:
            return int(value)
        raise Invalid('must be a positive integer or "auto"')

    def example(self) -> Any:
        return 1


@dataclass(frozen=True)
class Number(Kind):
    positive: bool = False
    what = "a number"
    plural = "numbers"

    def convert(self, value: Any) -> float:
        if type(value) not in (int, float):
            raise Invalid("must be a number")
        if self.positive and not value > 0:
            raise Invalid("must be a positive number")
        return float(value)

    def example(self) -> Any:
        return 1.0


class Bool(Kind):
    what = "true or false"
    plural = "booleans"

    def convert(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid("must be true or false")
        return value

    def example(self) -> Any:
        return False


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhdwy])")
FOREVER = "forever"


@dataclass(frozen=True)
class Duration(Kind):
    """Seconds: a number, or text with a unit — s, m (minutes), h, d, w, y (365 days); with
    ``forever``, the text "forever" too (then the value is None: never)."""

    forever: bool = False
    what = 'a duration: seconds, or text such as "30s", "5m", "24h", "7d", "5y"'
    plural = "durations"

    def convert(self, value: Any) -> float | None:
        if self.forever and value == FOREVER:
            return None
        if type(value) in (int, float):
            seconds = float(value)
        elif isinstance(value, str) and (m := _DURATION.fullmatch(value.strip())):
            seconds = float(m[1]) * _UNITS[m[2]]
        else:
            raise Invalid(f"must be {self.what}" + (' or "forever"' if self.forever else ""))
        if not seconds > 0:
            raise Invalid("must be a positive duration")
        return seconds

    def example(self) -> Any:
        return "1h"


@dataclass(frozen=True)
class Choice(Kind):
    values: Sequence[str]

    @property
    def what(self) -> str:  # type: ignore[override]  # a class attribute elsewhere, computed here
        return "one of " + ", ".join(f'"{v}"' for v in self.values)

    def convert(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise Invalid(f"must be {self.what}")
        return value

    def example(self) -> Any:
        return self.values[0]


@dataclass(frozen=True)
class ListOf(Kind):
    item: Kind
    nonempty: bool = False

    @property
    def what(self) -> str:  # type: ignore[override]  # a class attribute elsewhere, computed here
        return f"a list of {self.item.plural}"

    def convert(self, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise Invalid(f"must be {self.what}")
        if self.nonempty and not value:
            raise Invalid(f"must be {self.what}, at least one")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(self.item.convert(item))
            except Invalid as exc:
                raise Invalid(exc.message, f"[{i}]{exc.at}") from None
        return tuple(out)

    def example(self) -> Any:
        return [self.item.example()]


@dataclass(frozen=True)
class OneOrMore(Kind):
    """A string or a list of strings; always a tuple."""

    what = "a string or a list of strings"

    def convert(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid(f"must be {self.what}")
        return tuple(value)

    def example(self) -> Any:
        return ["x"]


# Nested tables: the reader walks these itself (names, labels, unknown keys).

@dataclass(frozen=True, eq=False)
class Sub(Kind):
    """One nested table (``[hub.tls]`` or an inline ``{ … }``)."""

    table: Table
    what = "a table"


@dataclass(frozen=True, eq=False)
class Tables(Kind):
    """An array of tables (``[[providers]]``)."""

    table: Table | Variant

    @property
    def what(self) -> str:  # type: ignore[override]  # a class attribute elsewhere, computed here
        return f"an array of tables ([[{self.table.name}]])"


@dataclass(frozen=True, eq=False)
class MapOf(Kind):
    """A table whose keys are names the user chooses (adapter IDs, code list names …); every
    value is of one kind (possibly a ``Sub`` table)."""

    value: Kind
    what = "a table"


@dataclass(frozen=True, eq=False)
class Variant(Kind):
    """A table whose keys depend on which ONE of several tag keys it holds (a conformance step:
    ``send = …`` or ``expect = …`` …). Each table's first key is its tag."""

    name: str
    tables: tuple[Table, ...]
    what = "a table"

    def choose(self, raw: dict[str, Any]) -> Table:
        present = [t for t in self.tables if t.keys[0].name in raw]
        if len(present) != 1:
            raise Invalid("must hold exactly one of " + ", ".join(self.tags()))
        return present[0]

    def tags(self) -> list[str]:
        return [t.keys[0].name for t in self.tables]
