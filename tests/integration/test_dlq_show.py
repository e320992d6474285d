"""``pfbus dlq show``: personal data behind a reason. A real hub process dead-letters a notice
(the subscriber always fails); showing it needs --reason, records the read in the routing log
first, and masks names, addresses and numbers unless --reveal."""

from __future__ import annotations

import json

import pytest

from tests.support.polling import wait_until

from .notice_tools import addressee, hops, hub_config, notice, publish
from .processes import hub, pfbus, subscriber

pytestmark = pytest.mark.integration


@pytest.fixture
def dead_letter(tmp_path, keep):
    _, port = subscriber(keep, tmp_path / "a.sqlite3", "fail")
    config = hub_config(tmp_path / "hub.toml", f"sqlite:{tmp_path / 'n.sqlite3'}",
                        {"tax": f"http://127.0.0.1:{port}/"},
                        policy="max_attempts = 1, backoff_initial = 0.05, backoff_max = 0.1")
    url = hub(keep, config)
    number = addressee(400)
    raw, mid = notice(number, 1)
    assert publish(url, raw) == "accepted"

    def listed():
        done = pfbus("dlq", "--config", str(config), "list", "--format", "json")
        letters = json.loads(done.stdout)  # one JSON document, [] while none
        return letters[0] if letters else None

    letter = wait_until(listed, 30, "the notice to be dead-lettered")
    return {"config": config, "id": str(letter["delivery_id"]), "mid": mid, "number": number,
            "tmp": tmp_path}


def reads(tmp):
    return [h for h in hops(tmp) if h.hop == "payload_read"]


def test_show_requires_a_reason(dead_letter):
    done = pfbus("dlq", "--config", str(dead_letter["config"]), "show", dead_letter["id"])
    assert done.returncode == 2 and "--reason" in done.stderr
    assert "総務翔子" not in done.stdout and dead_letter["number"] not in done.stdout
    blank = pfbus("dlq", "--config", str(dead_letter["config"]), "show", dead_letter["id"],
                  "--reason", "  ")
    assert blank.returncode == 2 and not blank.stdout
    assert reads(dead_letter["tmp"]) == []


def test_show_masks_personal_data_and_records_the_read(dead_letter):
    done = pfbus("dlq", "--config", str(dead_letter["config"]), "show", dead_letter["id"],
                 "--reason", "ticket 4711: why does tax refuse it")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for secret in ("総務翔子", "ソウム", "ショウコ", "霞が関", "1990-04-01", dead_letter["number"]):
        assert secret not in out, secret
    assert "***" in out and "ResidentChangeNotice" in out and dead_letter["mid"] in out
    assert "C01" in out  # the 異動事由 code stays readable
    (read,) = reads(dead_letter["tmp"])
    assert read.message_id == dead_letter["mid"] and read.provider == "tax"
    assert "ticket 4711" in read.reason and "masked" in read.reason


def test_reveal_shows_the_payload_and_says_so_in_the_log(dead_letter):
    done = pfbus("dlq", "--config", str(dead_letter["config"]), "show", dead_letter["id"],
                 "--reason", "subscriber vendor asked", "--reveal")
    assert done.returncode == 0, done.stderr
    assert "総務翔子" in done.stdout and dead_letter["number"] in done.stdout
    (read,) = reads(dead_letter["tmp"])
    assert "revealed" in read.reason
