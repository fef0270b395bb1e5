"""`nuke-restore validate`, `fmt`, `graph` and `farm --log` on input with nothing or something broken to read."""
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


def test_damaged_real_scripts_give_an_exit_code_never_a_traceback(corpus_files, tmp_path, capsys):
    """Truncated, byte-flipped and cut real scripts through validate, fmt and graph: exit 0, 1 or
    2 with a message, never an exception out of the command."""
    import random

    rng = random.Random(20261126)
    small = [p for p in corpus_files if p.stat().st_size < 60_000]
    codes = set()
    for i in range(40):
        data = rng.choice(small).read_bytes()
        k = rng.randrange(len(data))
        op = i % 3
        if op == 0:
            data = data[:k]
        elif op == 1:
            data = data[:k] + bytes([rng.choice(b'{}[]"\\ \n$')]) + data[k + 1:]
        else:
            data = data[:k] + data[k + rng.randrange(1, 200):]
        path = tmp_path / f"damaged{i}.nk"
        path.write_bytes(data)
        for argv in (["validate", str(path)], ["graph", str(path)],
                     ["fmt", str(path), "-o", str(tmp_path / f"out{i}.nk")]):
            rc = main(argv)
            err = capsys.readouterr().err
            assert rc in (0, 1, 2), (argv, rc)
            assert "Traceback" not in err, argv
            if rc == 2:
                assert str(path) in err, (argv, err)  # the message names the file
            codes.add(rc)
    assert 0 in codes and 2 in codes  # the damage both breaks scripts and leaves some readable
