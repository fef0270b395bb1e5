"""OutputTransaction on POSIX works relative to open folder fds (fewer system calls per file).

Folders are opened once and reused for every file in them; these tests check that reuse never
weakens a guarantee: a symbolic link planted in a folder the transaction holds open is still
refused (or never written through), a failure puts back what landed, a script is never put over a
file that appeared meanwhile, and a build of many folders holds a bounded number of fds.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nuke_restore import fileio
from nuke_restore.errors import OutputError, OutputExistsError

pytestmark = pytest.mark.skipif(not fileio._DIR_FD, reason="needs dir_fd/O_NOFOLLOW (POSIX)")


def _tree(folder: Path):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_link_inside_a_reused_destination_folder_is_refused_and_all_goes_back(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    (out / "a").mkdir(parents=True)
    (out / "a" / "keep.txt").write_text("old\n")
    (out / "a" / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="symbolic link"):
        with fileio.OutputTransaction(out) as tx:
            tx.write("a/keep.txt", "new\n")  # lands first, into the open fd of a/
            tx.write("a/new.txt", "x")
            tx.write("a/link/x.txt", "no")  # a/ reused by fd, link/ opened with O_NOFOLLOW
            tx.commit()
    assert list(outside.iterdir()) == []
    assert _tree(out) == ["a", "a/keep.txt", "a/link"]
    assert (out / "a" / "keep.txt").read_text() == "old\n"


def test_link_swapped_into_the_staging_is_never_written_through_nor_landed(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(OutputError, match="symbolic link"):
        with fileio.OutputTransaction(out) as tx:
            tx.write("d/f1.txt", "one")
            staged = tx.staging / "d"
            staged.rename(tx.staging / "moved")
            staged.symlink_to(outside, target_is_directory=True)
            tx.write("d/f2.txt", "two")  # goes to the folder held open, not through the link
            tx.commit()
    assert list(outside.iterdir()) == []
    assert not out.exists() or _tree(out) == []


@pytest.mark.parametrize("dir_fd", [True, False], ids=["dir_fd", "lstat-fallback"])
def test_script_appearing_before_commit_is_not_replaced(tmp_path, monkeypatch, dir_fd):
    monkeypatch.setattr(fileio, "_DIR_FD", dir_fd)
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError, match="--force"):
        with fileio.OutputTransaction(out) as tx:
            tx.write("sub/side.txt", "side")
            tx.write("shot.nk", "ours", replace=False)
            (out / "shot.nk").write_text("the user's\n")  # written by hand meanwhile
            tx.commit()
    assert (out / "shot.nk").read_text() == "the user's\n"
    assert _tree(out) == ["shot.nk"]
    with fileio.OutputTransaction(out) as tx:  # replace=True (the default; --force) replaces
        tx.write("shot.nk", "ours")
        tx.commit()
    assert (out / "shot.nk").read_text() == "ours"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to count fds")
def test_many_folders_hold_a_bounded_number_of_fds(tmp_path):
    out = tmp_path / "out"
    (out / "shots").mkdir(parents=True)  # exists: its new subfolders land one by one
    (out / "shots" / "S0000").mkdir()
    (out / "shots" / "S0000" / "old.txt").write_text("old")
    before = len(os.listdir("/proc/self/fd"))
    with fileio.OutputTransaction(out) as tx:
        for i in range(300):
            tx.write(f"shots/S{i:04d}/v1/meta.json", f"{i}")
            tx.write(f"top{i:04d}.nk", "nk")
        tx.write("shots/S0000/old.txt", "new", mode=0o640)
        assert len(os.listdir("/proc/self/fd")) - before < 40
        tx.commit()
    assert len(os.listdir("/proc/self/fd")) == before
    assert (out / "shots" / "S0299" / "v1" / "meta.json").read_text() == "299"
    assert (out / "shots" / "S0000" / "old.txt").read_text() == "new"
    assert (os.stat(out / "shots" / "S0000" / "old.txt").st_mode & 0o777) == 0o640 & ~_umask()
    assert len(list(out.glob("top*.nk"))) == 300
    assert not any(p.name.startswith(".nuke-restore") for p in out.iterdir())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
