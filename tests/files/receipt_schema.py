"""The receipt format vendors read (schemas/files/receipt-v1.schema.json), as a check for the
tests: every receipt a test reads is validated against it."""

from __future__ import annotations

import functools
import json

from jsonschema import Draft202012Validator

from bus.files.receipts import SCHEMA


@functools.cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(receipt: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(receipt)'}: {e.message}"
            for e in validator().iter_errors(receipt)]


def checked(receipt: dict) -> dict:
    found = problems(receipt)
    assert not found, f"receipt does not fit {SCHEMA.name}: {found}"
    return receipt
