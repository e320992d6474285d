"""Path confinement and the pickup rules (pure), and the reasons the SFTP server gives."""

from __future__ import annotations


import pytest
from twisted.conch.ssh import filetransfer
from twisted.conch.ssh.filetransfer import SFTPError

from bus.core.files_config import Account, FilesConfig
from bus.files.names import PathRefused, Place, complete_files, confine
from bus.files.sftp import ConfinedFiles, FileAccounts, FilesAvatar


@pytest.mark.parametrize("raw, place", [
    (b"/", Place(None)), (b".", Place(None)), (b"", Place(None)), (b"/inbox", Place("inbox")),
    (b"inbox/", Place("inbox")), (b"/./outbox/a.csv", Place("outbox", "a.csv")),
    ("/inbox/住民異動.csv".encode(), Place("inbox", "住民異動.csv")),
])
def test_paths_inside_the_two_folders(raw, place):
    assert confine(raw) == place


@pytest.mark.parametrize("raw, reason", [
    (b"/inbox/../outbox/a", "'..' is not allowed"), (b"..", "'..' is not allowed"),
    (b"/etc/passwd", "outside your folders"), (b"/var/files/vendor-a", "outside your folders"),
    (b"/inbox/a/b", "no sub-folders"), (b"/inbox/CON", "device name"),
    (b"/inbox/nul.csv", "device name"), (b"/inbox/LPT1", "device name"),
    (b"/inbox/a\\b", "not allowed"), (b"/inbox/a\x01b", "control characters"),
    (b"/inbox/" + b"a" * 256, "longer than 255 bytes"), (b"/inbox/\xff", "not UTF-8"),
    (b"/inbox/a.csv.", "may not end"),
])
def test_escapes_and_bad_names_are_refused_by_rule(raw, reason):
    with pytest.raises(PathRefused, match=reason.replace("(", "\\(")):
        confine(raw)


def test_rename_completion_takes_final_names_only():
    names = ["a.csv", "b.csv.part", ".c.csv", "d.csv.tmp", "e.csv", "e.csv.done", "f.csv.done"]
    assert complete_files(names) == [("a.csv", None), ("e.csv", "e.csv.done")]


def test_marker_completion_waits_for_the_marker():
    names = ["a.csv", "e.csv", "e.csv.done", "f.csv.done"]
    assert complete_files(names, markers=True) == [("e.csv", "e.csv.done")]


@pytest.fixture
def files(tmp_path) -> ConfinedFiles:
    config = FilesConfig(root=tmp_path / "root", ledger=tmp_path / "l.sqlite3",
                         accounts={"a": Account("a", ("131016/01/x",), ())}, max_file_bytes=10,
                         concurrency=1)
    return ConfinedFiles(FilesAvatar("a", FileAccounts(config)))


def refused(call, *args) -> SFTPError:
    with pytest.raises(SFTPError) as info:
        call(*args)
    return info.value


def test_the_server_names_the_rule(files):
    assert "'..' is not allowed" in refused(files.openFile, b"/inbox/../x", 1, {}).message
    assert "/outbox is the hub's" in refused(
        files.openFile, b"/outbox/x", filetransfer.FXF_WRITE | filetransfer.FXF_CREAT, {}).message
    assert "no folders" in refused(files.makeDirectory, b"/inbox/x", {}).message
    assert "not allowed" in refused(files.makeLink, b"/inbox/l", b"/inbox/x").message
    assert "within /inbox only" in refused(files.renameFile, b"/inbox/x", b"/outbox/x").message


def test_writes_past_the_limit_fail_and_the_file_is_removed(files, tmp_path):
    handle = files.openFile(b"/inbox/x.part", filetransfer.FXF_WRITE | filetransfer.FXF_CREAT, {})
    handle.writeChunk(0, b"12345")
    assert "too large" in refused(handle.writeChunk, 5, b"123456").message
    handle.close()
    assert not (tmp_path / "root" / "a" / "inbox" / "x.part").exists()


def test_uploads_at_once_are_bounded_per_account(files):
    write = filetransfer.FXF_WRITE | filetransfer.FXF_CREAT
    first = files.openFile(b"/inbox/1.part", write, {})
    assert "too many uploads" in refused(files.openFile, b"/inbox/2.part", write, {}).message
    first.close()
    files.openFile(b"/inbox/2.part", write, {}).close()


def test_a_symlink_in_a_folder_is_never_followed(files, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x")
    (tmp_path / "root" / "a" / "outbox" / "l").symlink_to(secret)
    assert "symbolic links" in refused(files.openFile, b"/outbox/l", filetransfer.FXF_READ,
                                       {}).message
    assert "symbolic links" in refused(files.getAttrs, b"/outbox/l", True).message
    names = [n for n, _, _ in files.openDirectory(b"/outbox")]
    assert names == []


def test_the_virtual_root_lists_the_two_folders(files):
    assert [n for n, _, _ in files.openDirectory(b"/")] == [b"inbox", b"outbox"]
    assert files.realPath(b".") == b"/"


def test_no_upload_while_the_disk_is_nearly_full(tmp_path):
    # a full disk stand-in: more free space required than any disk has
    config = FilesConfig(root=tmp_path / "root", ledger=tmp_path / "l.sqlite3",
                         accounts={"a": Account("a", ("131016/01/x",), ())},
                         min_free_bytes=10 ** 18)
    files = ConfinedFiles(FilesAvatar("a", FileAccounts(config)))
    write = filetransfer.FXF_WRITE | filetransfer.FXF_CREAT
    assert "disk is nearly full" in refused(files.openFile, b"/inbox/x.part", write, {}).message
    assert list((tmp_path / "root" / "a" / "inbox").iterdir()) == []


def test_a_manifest_completes_its_file_and_is_never_a_file_itself():
    names = ["a.csv", "a.csv.manifest.json", "b.csv.manifest.json"]
    assert complete_files(names) == [("a.csv", "a.csv.manifest.json")]
    assert complete_files(names, markers=True) == [("a.csv", "a.csv.manifest.json")]
