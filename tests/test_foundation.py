"""Foundation: the CLI entry point, atomic writes, the exception tree."""
from __future__ import annotations

import pytest

from nuke_restore.cli import main
from nuke_restore.errors import NkSyntaxError, NukeRestoreError
from nuke_restore.fileio import next_version, write_atomic


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "nuke-restore" in capsys.readouterr().out


def test_error_location_prefix():
    err = NkSyntaxError("unclosed brace", path="a.nk", line=3, column=7)
    assert str(err) == "a.nk:3:7: unclosed brace"
    assert isinstance(err, NukeRestoreError)


def test_write_atomic_refuses_overwrite(tmp_path):
    target = tmp_path / "x.nk"
    write_atomic(target, "one")
    with pytest.raises(NukeRestoreError):
        write_atomic(target, "two", force=False)
    assert target.read_text() == "one"
    assert next_version(target).name == "x_v002.nk"
    write_atomic(tmp_path / "x_v002.nk", "two")
    assert next_version(target).name == "x_v003.nk"
