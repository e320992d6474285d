"""Limits of file linkage on real folders: ``max_file_bytes`` for drop folders too, and a disk
that fills up while the hub writes (a full-disk stand-in: ``Room.free`` injected) — the write is
refused, what was written removed, nothing half-written in any outbox, and the next turn with
room resumes where it stopped."""

from __future__ import annotations

import dataclasses

import pytest
from twisted.conch.ssh import filetransfer
from twisted.conch.ssh.filetransfer import SFTPError

from bus.core.files_config import Account, FilesConfig
from bus.files.sftp import ConfinedFiles, FileAccounts, FilesAvatar
from bus.files.space import Room

from .files_data import change_file, name
from .pipeline_kit import Hub

MIN_FREE = 1_000_000


class Disk:
    """A full-disk stand-in: the free bytes the hub sees, set by the test."""

    def __init__(self, free: int):
        self.free = free
        self.asked = 0

    def __call__(self, path) -> int:
        self.asked += 1
        return self.free


@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path)
    yield h
    h.close()


def reopen(hub: Hub, disk: Disk) -> None:
    hub.close()
    hub.config = dataclasses.replace(hub.config, min_free_bytes=MIN_FREE)
    hub.open(room=Room(hub.config.root, MIN_FREE, disk))


def half_files(hub: Hub) -> list[str]:
    staging = hub.config.root / ".hub" / "staging"
    return sorted(p.name for p in staging.iterdir())


def test_a_drop_folder_file_over_max_file_bytes_is_rejected_and_never_delivered(hub):
    data = change_file(20)
    hub.close()
    hub.config = dataclasses.replace(hub.config, max_file_bytes=len(data) - 1)
    hub.open()
    hub.drop("vendor-a", name(), data)
    turn = hub.pipeline.turn()
    assert (turn.rejected, turn.delivered) == (1, 0)
    [receipt] = hub.receipts("vendor-a")
    assert receipt["status"] == "rejected"
    assert [f["rule"] for f in receipt["findings"]] == ["file:too-large"]
    assert receipt["sha256"] is None and receipt["bytes"] == len(data)  # not read at all
    assert hub.outbox("vendor-b") == {} and hub.outbox("vendor-c") == {}
    assert list((hub.config.root / ".hub" / "spool").iterdir()) == []


def test_no_receipt_is_written_into_a_full_disk_and_it_comes_once_there_is_room(hub):
    data = change_file(3)
    # room for the pickup (nothing is written) but not for the receipt
    disk = Disk(MIN_FREE + 10)
    reopen(hub, disk)
    hub.drop("vendor-a", name(), data)
    turn = hub.pipeline.turn()
    assert any("nearly full" in h for h in turn.held), turn
    assert hub.receipts("vendor-a") == [] and half_files(hub) == []
    assert hub.outbox("vendor-b") == {}
    disk.free = 10 ** 12
    turn = hub.pipeline.turn()
    assert turn.delivered == 2
    assert [r["status"] for r in hub.receipts("vendor-a")] == ["accepted"]
    assert hub.outbox("vendor-b") == {name(): data} == hub.outbox("vendor-c")


def test_a_delivery_the_disk_fills_up_under_is_removed_and_resumed(hub):
    data = change_file(20_000)  # > 1 MiB: the copy is written in more than one chunk
    disk = Disk(10 ** 12)
    reopen(hub, disk)
    hub.drop("vendor-a", name(), data)

    class FillsUp(Disk):  # room for the receipt and the first chunk of the copy, then full
        def __call__(self, path) -> int:
            self.asked += 1
            return 10 ** 12 if self.asked <= 3 else MIN_FREE

    filling = FillsUp(0)
    hub.pipeline.room = Room(hub.config.root, MIN_FREE, filling)
    turn = hub.pipeline.turn()
    assert turn.accepted == 1 and turn.delivered == 0
    assert any("delivery" in h and "nearly full" in h for h in turn.held), turn
    assert filling.asked > 3  # refused mid-copy, not before it
    assert half_files(hub) == []  # the partial staging copy is gone
    assert hub.outbox("vendor-b") == {} and hub.outbox("vendor-c") == {}
    hub.pipeline.room = Room(hub.config.root, MIN_FREE, disk)
    assert hub.pipeline.turn().delivered == 2
    assert hub.outbox("vendor-b") == {name(): data} == hub.outbox("vendor-c")


def test_no_pickup_while_the_disk_is_nearly_full(hub):
    reopen(hub, Disk(MIN_FREE - 1))
    hub.drop("vendor-a", name(), change_file(2))
    turn = hub.pipeline.turn()
    assert turn.picked == 0 and any("pickup" in h for h in turn.held)
    assert (hub.config.root / "vendor-a" / "inbox" / name()).exists()


def test_an_sftp_upload_the_disk_fills_up_under_is_refused_and_removed(tmp_path):
    disk = Disk(10 ** 12)
    config = FilesConfig(root=tmp_path / "root", ledger=tmp_path / "l.sqlite3",
                         accounts={"a": Account("a", ("131016/01/x",), ())},
                         min_free_bytes=MIN_FREE)
    files = ConfinedFiles(FilesAvatar("a", FileAccounts(config, room=Room(
        config.root, MIN_FREE, disk))))
    handle = files.openFile(b"/inbox/x.part", filetransfer.FXF_WRITE | filetransfer.FXF_CREAT, {})
    handle.writeChunk(0, b"x" * 32768)
    disk.free = MIN_FREE + 1000  # another writer filled the disk meanwhile
    with pytest.raises(SFTPError) as refused:
        handle.writeChunk(32768, b"x" * 32768)
    assert "nearly full" in refused.value.message
    handle.close()
    assert list((tmp_path / "root" / "a" / "inbox").iterdir()) == []
