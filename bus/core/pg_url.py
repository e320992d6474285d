"""``postgresql://…?schema=NAME`` URLs of the stores that can live on PostgreSQL (the routing log
here; the notice store and the file ledger parse theirs the same way). Pure: no psycopg."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def is_postgres(location: object) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def split_url(url: str, default_schema: str, what: str) -> tuple[str, str]:
    """(libpq DSN without ``schema``, schema); ValueError naming ``what`` for a bad schema."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    if len(schemas) > 1:
        raise ValueError(f"{what} URL gives ?schema= {len(schemas)} times")
    schema = schemas[0] if schemas else default_schema
    if not SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"{what} schema {schema!r}: use lower-case letters, digits and _ "
                         f"(at most 63, not starting with a digit)")
    # libpq refuses parameters it does not know: hand it the URL without ours.
    return urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query
                                                      if k != "schema"]))), schema


def redacted(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//…@", url)  # never echo a password into a log
