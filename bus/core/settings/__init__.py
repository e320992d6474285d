"""The declarative configuration layer (設定): every TOML file pfbus reads is declared here once.

A file's tables are ``Table`` declarations of ``Key``s, each with its kind (type), default, check
and a one-line doc. ``read`` applies a declaration to a parsed TOML document: unknown keys are
refused first (naming file, table and key, with the nearest valid key suggested), then every
value is converted and checked, with the same wording everywhere ("must be a number").

Declarations: ``hub`` (the hub config), ``catalog`` (schema catalogs); the conformance suite's
files are declared in ``conformance/declarations.py`` with the same vocabulary.
"""

from .declare import REQUIRED, Key, Table, tables
from .kinds import (Anything, Bool, Choice, Duration, Int, Invalid, Kind, ListOf, MapOf, Number,
                    OneOrMore, Str, Sub, Tables, Variant)
from .reader import Section, SettingsError, Source, load_toml, read

__all__ = ["REQUIRED", "Key", "Table", "tables", "Anything", "Bool", "Choice", "Duration", "Int",
           "Invalid", "Kind", "ListOf", "MapOf", "Number", "OneOrMore", "Str", "Sub", "Tables",
           "Variant", "Section", "SettingsError", "Source", "load_toml", "read"]
