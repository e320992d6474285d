"""The console's hop tables derive from HopRecord's declaration, like ``pfbus log``'s: each
field declared for the table reaches the search results, and every field reaches the trace —
changing a field's value changes the row (no list of columns is written here)."""

from __future__ import annotations

import re

import pytest

from bus.admin.console import log_pages
from bus.store.hop_cells import TABLE_COLUMNS, heading
from bus.store.hop_record import COLUMNS, column_names
from tests.support.hop_records import full_record, sample

PATH = "/soap:Envelope/soap:Body/juki:ResidentInquiryRequest/juki:AddresseeNumber/x/y/z"


def _rows(html: str, css: str) -> list[str]:
    body = re.search(rf'<table class="{css}">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, css
    return re.findall(r"<tr>.*?</tr>", body[1], re.S)


def _search_row(record) -> str:
    [row] = _rows(log_pages.search_results([(1, record)], {}, 50), "results")
    return row


def _trace_row(record) -> str:
    # a second hop: the trace leaves out a column only when it is empty in every hop
    other = full_record(exchange_id=record.exchange_id)
    [row, _] = _rows(log_pages.trace_page(record.exchange_id, [(1, record), (2, other)], []),
                     "hops")
    return row


@pytest.mark.parametrize("name", [c.name for c in COLUMNS if c.table.hidden is None])
def test_each_field_declared_for_the_table_reaches_the_search_results(name):
    assert _search_row(full_record()) != _search_row(full_record(**{name: sample(name, 1)})), \
        name


@pytest.mark.parametrize("name", column_names())
def test_every_field_reaches_the_trace(name):
    assert _trace_row(full_record()) != _trace_row(full_record(**{name: sample(name, 1)})), name


def test_the_search_headings_are_pfbus_logs():
    html = log_pages.search_results([(1, full_record())], {}, 50)
    heads = re.findall(r"<th>(.*?)</th>", html)
    assert [h.removesuffix(" (JST)") for h in heads] == [heading(c) for c in TABLE_COLUMNS]


def test_ids_link_and_cut_values_show_whole_on_hover():
    record = full_record(path=PATH)
    row = _search_row(record)
    assert f'href="/trace/{record.exchange_id}"' in row
    assert f'message={record.message_id}' in row
    assert f'title="{PATH}"' in row and f">{PATH}<" not in row  # cut to its end, whole on hover
    assert f">{PATH}<" in _trace_row(record)  # the trace has the room


def test_the_console_decorates_only_declared_fields():
    assert set(log_pages.LINKS) | log_pages.COLOURED <= set(column_names())


def test_a_trace_leaves_out_only_what_no_hop_has():
    bare = full_record(endpoint=None)
    html = log_pages.trace_page(bare.exchange_id, [(1, bare)], [])
    heads = re.findall(r"<th>(.*?)</th>", html)
    assert "endpoint" not in heads and "relates_to" in heads and "reason" in heads
