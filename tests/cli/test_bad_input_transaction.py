"""Issue 10 sections 2 and 5: builds are transactions that stay inside their output folder.

A build or farm run lands whole or leaves nothing of itself (disk full half way, SIGINT/SIGTERM
at any moment, a second build into the same folder); nothing it writes leaves the output folder
and no symbolic link planted inside it is followed.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from nuke_restore import fileio
from nuke_restore.cli import main
from nuke_restore.errors import OutputError
from nuke_restore.recipes import sample_config_text


def _job(tmp_path, **changes) -> Path:
    data = yaml.safe_load(sample_config_text())
    for k, v in changes.items():
        data[k] = v
    cfg = tmp_path / "job.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    return cfg


def _tree(folder: Path):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# -- section 2: outputs stay inside the output folder ----------------------------------------------
def test_symlinked_notes_folder_is_not_followed(tmp_path, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "experiments.md").write_text("SECRET outside text\n")
    out.mkdir()
    (out / "notes").symlink_to(outside, target_is_directory=True)
    rc = main(["build", str(cfg), "-o", str(out)])
    err = _err(capsys)
    assert rc == 1
    assert "symbolic link" in err and str(out / "notes") in err
    # Nothing was written outside, and nothing of the build inside.
    assert sorted(p.name for p in outside.iterdir()) == ["experiments.md"]
    assert (outside / "experiments.md").read_text() == "SECRET outside text\n"
    assert _tree(out) == ["notes"]


def test_symlinked_sidecar_folder_is_not_followed(tmp_path, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / "pipeline").mkdir(parents=True)
    (out / "pipeline" / "04_inference_render").symlink_to(outside, target_is_directory=True)
    rc = main(["build", str(cfg), "-o", str(out)])
    assert rc == 1 and "symbolic link" in _err(capsys)
    assert list(outside.iterdir()) == []
    assert _tree(out) == ["pipeline", "pipeline/04_inference_render"]


def test_symlinked_log_file_is_not_followed(tmp_path, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    target = tmp_path / "site-packages" / "evil.pth"
    target.parent.mkdir()
    target.write_text("# harmless\n")
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "experiments.md").symlink_to(target)
    rc = main(["build", str(cfg), "-o", str(out)])
    assert rc == 1 and "symbolic link" in _err(capsys)
    assert target.read_text() == "# harmless\n"


def test_pth_style_log_outside_is_refused(tmp_path, capsys):
    target = tmp_path / "site-packages" / "evil.pth"
    for value in (str(target), "../site-packages/evil.pth"):
        cfg = _job(tmp_path, outputs={"experiments_log": value})
        out = tmp_path / "out"
        rc = main(["build", str(cfg), "-o", str(out)])
        err = _err(capsys)
        assert rc == 1 and "outputs.experiments_log" in err and f"{cfg}:" in err
        assert not target.exists() and not out.exists()


def test_inside_problem():
    assert fileio.inside_problem("notes/experiments.md") is None
    for bad in ("/etc/x", "../x", "a/../../x", "~/x", "C:/x", "a\\b", "a\nb", "", "notes/"):
        assert fileio.inside_problem(bad) is not None, bad


# -- section 5: transactions ------------------------------------------------------------------------
def test_disk_full_half_way_leaves_nothing(tmp_path, monkeypatch, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    real_write = os.write
    calls = {"n": 0}

    def write(fd, data):  # the 6th staged file: half of it goes to disk, then the disk is full
        calls["n"] += 1
        if calls["n"] == 6:
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(fileio.os, "write", write)
    rc = main(["build", str(cfg), "-o", str(out)])
    err = _err(capsys)
    assert calls["n"] >= 6
    assert rc == 1 and "No space left on device" in err
    assert not out.exists(), _tree(out)
    monkeypatch.undo()
    # A rerun writes the normal names, no _v002 beside orphans.
    assert main(["build", str(cfg), "-o", str(out)]) == 0
    names = _tree(out)
    assert not any("_v002" in n for n in names)
    assert not any(".nuke-restore" in n for n in names)


@pytest.mark.parametrize("sub_exists", [False, True])
def test_a_failure_while_landing_puts_everything_back(tmp_path, monkeypatch, sub_exists):
    # A new folder lands whole (one rename); into an existing one, files land one by one. Either
    # way the rename after keep.txt was replaced fails, and everything must be put back.
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old\n")
    if sub_exists:
        (out / "sub").mkdir()
    real_rename = os.rename
    calls = {"n": 0}
    fail_at = 4 if sub_exists else 3  # 1-2: keep.txt (backup, new); then sub/ or sub/f0, sub/f1

    def rename(src, dst, *a, **k):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(fileio.os, "rename", rename)
    with pytest.raises(OutputError, match="Input/output error"):
        with fileio.OutputTransaction(out) as tx:
            tx.write("keep.txt", "new\n")
            for i in range(5):
                tx.write(f"sub/f{i}.txt", "x")
            tx.commit()
    monkeypatch.undo()
    assert _tree(out) == (["keep.txt", "sub"] if sub_exists else ["keep.txt"])
    assert (out / "keep.txt").read_text() == "old\n"


def test_second_writer_is_refused_naming_lock_and_pid(tmp_path, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    with fileio.OutputTransaction(out):
        rc = main(["build", str(cfg), "-o", str(out)])
        err = _err(capsys)
        assert rc == 1
        assert f"PID {os.getpid()}" in err and fileio.LOCK_NAME in err
    assert _tree(out) == []  # the holder wrote nothing: its folder is gone with its lock


def test_stale_lock_is_taken_over(tmp_path, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (out / fileio.LOCK_NAME).write_text(dead + "\n")
    (out / f"{fileio.STAGING_PREFIX}{dead}.abc").mkdir()
    assert main(["build", str(cfg), "-o", str(out)]) == 0
    assert not any(".nuke-restore" in n for n in _tree(out))


def _run_build(cfg: Path, out: Path, delay: str, *more: str) -> subprocess.Popen:
    env = dict(os.environ, NUKE_RESTORE_TEST_WRITE_DELAY=delay)
    return subprocess.Popen([sys.executable, "-m", "nuke_restore", "build", str(cfg), "-o",
                             str(out), *more], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)


def _wait_staging(out: Path, files: int = 3, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        staged = [p for p in out.glob(f"{fileio.STAGING_PREFIX}*/**/*") if p.is_file()] \
            if out.exists() else []
        if len(staged) >= files:
            return
        time.sleep(0.05)
    raise AssertionError("the build never started staging")


@pytest.mark.parametrize("sig,code,word", [(signal.SIGINT, 130, "interrupted"),
                                           (signal.SIGTERM, 143, "terminated")])
def test_signal_mid_build_leaves_nothing(tmp_path, sig, code, word):
    cfg = _job(tmp_path)
    out = tmp_path / "out"
    proc = _run_build(cfg, out, "0.2")
    _wait_staging(out)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    lines = [x for x in err.strip().splitlines() if not x.startswith("WARNING: ")]
    assert lines == [f"nuke-restore build: {word}"]
    assert not out.exists(), _tree(out)


def test_interrupt_while_importing_is_one_line(tmp_path):
    """Ctrl-C after our package started importing but before the command runs (the window where
    subcommand modules load): one line, exit 130, no traceback. (Python's own start-up, before
    the first line of nuke_restore runs, is outside any program's reach.)"""
    code = (
        "import os, signal, sys\n"
        "sys.argv = ['nuke-restore', 'fmt', '--help']\n"
        "import nuke_restore.cli as cli\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"  # arrives while the modules below import
        "import json, importlib\n"
        "for name in cli.COMMANDS: cli._load(name)\n"
        "sys.exit(cli.main())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 130
    assert proc.stderr.strip().splitlines() == ["nuke-restore: interrupted"]


def test_two_builds_into_one_folder(tmp_path, capsys):
    cfg_a = _job(tmp_path)
    data = yaml.safe_load(sample_config_text())
    data["project"]["film_title"] = "Second config"
    (tmp_path / "b").mkdir()
    cfg_b = tmp_path / "b" / "job.yaml"
    cfg_b.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    first = _run_build(cfg_a, out, "0.15", "--shot", "SH010")
    _wait_staging(out, files=1)
    # The second build, in this process: it reaches the lock well within the first one's hold.
    rc = main(["build", str(cfg_b), "-o", str(out)])
    err_b = _err(capsys)
    _o, err_a = first.communicate(timeout=120)
    assert first.returncode == 0, err_a
    assert rc == 1
    assert f"another nuke-restore (PID {first.pid})" in err_b and fileio.LOCK_NAME in err_b
    texts = [p.read_text() for p in out.rglob("*.json")]
    assert texts and not any("Second config" in t for t in texts)


def test_epochs_1e300_writes_nothing(tmp_path, capsys):
    data = yaml.safe_load(sample_config_text())
    data["copycat"] = {"epochs": 1e300}
    cfg = tmp_path / "job.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    rc = main(["build", str(cfg), "-o", str(out)])
    err = _err(capsys)
    assert rc == 1 and "copycat.epochs" in err
    assert not out.exists()


def test_farm_disk_full_leaves_nothing(tmp_path, monkeypatch, capsys):
    cfg = _job(tmp_path)
    out = tmp_path / "farm"
    real_write = os.write
    calls = {"n": 0}

    def write(fd, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device", "x")
        return real_write(fd, data)

    monkeypatch.setattr(fileio.os, "write", write)
    rc = main(["farm", str(cfg), "-o", str(out), "--shot", "SH010"])
    err = _err(capsys)
    assert rc == 1 and "No space left" in err
    assert not out.exists(), _tree(out)


@pytest.mark.parametrize("dir_fd", [True, False], ids=["dir_fd", "lstat-fallback"])
def test_transaction_both_ways_of_walking(tmp_path, monkeypatch, dir_fd):
    """The POSIX dir_fd walk and the lstat fallback (Windows) refuse the same links."""
    monkeypatch.setattr(fileio, "_DIR_FD", dir_fd and fileio._DIR_FD)
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    with fileio.OutputTransaction(out) as tx:
        tx.write("a/b/c.txt", "one")
        tx.write("top.sh", "#!/bin/sh\n", mode=0o755)
        tx.commit()
    assert (out / "a/b/c.txt").read_text() == "one" and os.access(out / "top.sh", os.X_OK)
    (out / "a" / "link").symlink_to(outside, target_is_directory=True)
    (out / "a" / "file_link.txt").symlink_to(outside / "victim.txt")
    for rel in ("a/link/x.txt", "a/file_link.txt"):
        with pytest.raises(OutputError, match="symbolic link"):
            with fileio.OutputTransaction(out) as tx:
                tx.read(rel)
    # Writing over a link replaces the link itself, never the file it points to.
    with fileio.OutputTransaction(out) as tx:
        tx.write("a/file_link.txt", "mine")
        tx.commit()
    assert not (out / "a" / "file_link.txt").is_symlink()
    assert list(outside.iterdir()) == []
    with pytest.raises(OutputError, match="symbolic link"):
        with fileio.OutputTransaction(out) as tx:
            tx.write("a/link/x.txt", "no")
            tx.commit()
    assert list(outside.iterdir()) == []
    assert not any(p.name.startswith(".nuke-restore") for p in out.iterdir())


def test_sigint_mid_farm_leaves_nothing(tmp_path):
    cfg = _job(tmp_path)
    out = tmp_path / "farm"
    env = dict(os.environ, NUKE_RESTORE_TEST_WRITE_DELAY="0.2")
    proc = subprocess.Popen([sys.executable, "-m", "nuke_restore", "farm", str(cfg), "-o",
                             str(out), "--shot", "SH010"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    _wait_staging(out)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert [x for x in err.splitlines() if not x.startswith("WARNING")] == \
        ["nuke-restore farm: interrupted"]
    assert not out.exists(), _tree(out)


def test_a_folder_landed_whole_goes_back_when_a_later_rename_fails(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old\n")
    real_rename = os.rename
    calls = {"n": 0}

    def rename(src, dst, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:  # 1: new/ whole, 2: keep.txt to the backup, 3: the new keep.txt
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(fileio.os, "rename", rename)
    with pytest.raises(OutputError, match="Input/output error"):
        with fileio.OutputTransaction(out) as tx:
            for i in range(3):
                tx.write(f"new/deep/f{i}.txt", "x")
            tx.write("keep.txt", "new\n")
            tx.commit()
    monkeypatch.undo()
    assert _tree(out) == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "old\n"
