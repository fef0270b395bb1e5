"""`nuke-restore validate` and `farm --log` on folders that hold nothing to read."""
from __future__ import annotations

from nuke_restore.cli import main


def test_validate_empty_folder_is_not_clean(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a script\n")
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "no .nk or .gizmo files" in err
    assert "Traceback" not in err


def test_farm_log_folder_without_logs(tmp_path, capsys):
    assert main(["farm", "--log", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "no *.log files" in err


def test_validate_empty_folder_json_reports_it(tmp_path, capsys):
    import json

    assert main(["validate", str(tmp_path), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 2 and doc["summary"]["unreadable"] == 1
    assert doc["files"][0]["path"] == str(tmp_path)
    assert doc["files"][0]["findings"][0]["code"] == "no-scripts"
