"""bus/cli/common.py: the one table renderer (East Asian widths), JSON output, errors."""

from __future__ import annotations

import json

import pytest

from bus.cli import common


@pytest.mark.parametrize("text, width", [
    ("abc", 3),
    ("千代田区", 8),
    ("葛\U000E0102西", 4),  # an IVS selector takes no column
    ("ｶﾀｶﾅ", 4),  # half-width katakana: one column each
    ("ＡＢ１", 6),  # full-width letters and digits: two
    ("𠮷田", 4),  # beyond the BMP, still wide
    ("ｶ\u3099", 1),  # a combining mark: none
    ("", 0),
])
def test_text_width(text, width):
    assert common.text_width(text) == width


def test_columns_align_in_terminal_columns_with_japanese_text():
    lines = common.table(("subscriber", "pending", "last error"), [
        ("国保システム", 1, "PF-PROVIDER-INTERNAL"),
        ("vendor-b-tax", 12, "氏名が長すぎます"),
        ("ｶﾅ", 123, None),
    ], right=(1,))
    # 国保システム takes 12 terminal columns (6 wide characters), ｶﾅ two: padding counts columns
    assert lines == [
        "subscriber    pending  last error",
        "------------  -------  --------------------",
        "国保システム        1  PF-PROVIDER-INTERNAL",
        "vendor-b-tax       12  氏名が長すぎます",
        "ｶﾅ                123",
    ]


def test_cells_are_cut_to_their_limit_in_columns():
    (_, _, row) = common.table(("name",), [("総務翔子様方千代田区",)], limits=[9])
    assert row == "総務翔子…" and common.text_width(row) == 9
    assert common.fit("abcdef", 4) == "abc…" and common.fit("abc", 4) == "abc"


@pytest.mark.parametrize("items", [[], [{"a": 1}], [{"名前": "𠮷田"}, {"b": None}]])
def test_json_is_one_document(items):
    text = common.json_text(items)
    assert json.loads(text) == items
    assert text.endswith("\n") and (text == "[]\n") == (not items)


def test_run_command_turns_errors_into_a_message_and_a_status(capsys):
    def failing():
        raise common.CommandError("/x/hub.toml: store.notices: no notice store configured", 5)

    assert common.run_command("queue", failing) == 5
    assert capsys.readouterr().err == \
        "pfbus queue: error: /x/hub.toml: store.notices: no notice store configured\n"


def _command_modules():
    from bus.cli import log_verify_command
    from bus.cli.main import COMMANDS

    return [*((name, module) for name, (module, _) in COMMANDS.items() if name != "demo"),
            ("log verify", log_verify_command)]


@pytest.mark.parametrize("name, module", _command_modules(),
                         ids=lambda v: getattr(v, "__name__", v))
def test_every_command_errs_and_exits_through_common(name, module):
    # demo is left out: it runs the reference processes and reports their steps as it goes
    import inspect
    import re

    source = inspect.getsource(module)
    assert "run_command(" in source or name == "log verify", name  # log runs it for verify
    # no error line, usage-error class or 0/1/2 status of its own (above 2: its own meaning)
    assert not re.search(r'"pfbus [\w -]+: error:', source), name
    assert not re.search(r"EXIT_\w+(, EXIT_\w+)* = [0-2]\b", source), name
    assert "class UsageError" not in source, name
