"""The delivery ledger on PostgreSQL: the pipeline's scenarios that depend on the ledger, run
against the real server at 127.0.0.1:5432 (a fresh schema per test)."""

from __future__ import annotations

import pytest

from bus.files.ledger_postgres import PostgresFileLedger

from . import test_pipeline as scenarios
from .pipeline_kit import Hub


@pytest.fixture
def hub(tmp_path, postgres_url):
    h = Hub(tmp_path, ledger=postgres_url)
    assert isinstance(h.ledger, PostgresFileLedger)
    yield h
    h.close()


def test_an_accepted_file_reaches_every_subscriber_once(hub):
    scenarios.test_an_accepted_file_reaches_every_subscriber_once(hub)


def test_a_broken_file_is_rejected_whole(hub):
    scenarios.test_a_broken_file_is_rejected_whole_with_findings_and_nothing_delivered(hub)


@pytest.mark.parametrize("second_name, data_of_second", [
    (scenarios.name("other"), None), (scenarios.name(), scenarios.change_file(4))])
def test_duplicates(hub, second_name, data_of_second):
    scenarios.test_a_file_already_accepted_is_answered_as_a_duplicate(hub, second_name,
                                                                       data_of_second)


def test_order_and_no_file_replaced(hub):
    scenarios.test_per_subscriber_order_and_no_file_replaced(hub)


@pytest.mark.parametrize("stage", ["picking", "picked", "decided", "staged", "linked",
                                   "delivered"])
def test_a_restart_after_any_step_delivers_exactly_once(hub, stage):
    scenarios.test_a_restart_after_any_step_delivers_exactly_once(hub, stage)


def test_a_subscriber_that_confirmed_before_the_restart_gets_nothing_again(hub):
    scenarios.test_a_subscriber_that_confirmed_before_the_restart_gets_nothing_again(hub)


def test_retention(hub):
    scenarios.test_retention_forgets_files_done_with_and_old_receipts_only(hub)
