"""`nuke-restore farm`: clear errors, nothing written on bad settings, all-or-nothing output."""
from __future__ import annotations

import json

import pytest
from farm_helpers import make_specs

from nuke_restore.cli import farm as farm_cli
from nuke_restore.cli import main

CONFIG = """\
project: {name: DEMO, format: {width: 1024, height: 768}}
clips:
  main: {source: src/SRC_####.exr, reference: ref/REF_####.exr, first: 1001, last: 1040}
shots:
  - {name: SH010, first: 1001, last: 1040}
procedures: [chroma]
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def fixed_scripts(monkeypatch):
    """Stand in for the recipes so the CLI's own behaviour is tested in isolation."""
    monkeypatch.setattr(farm_cli, "_specs", lambda config, shots, out: (make_specs(batch=4), {}))


def _run(capsys, *argv):
    code = main(["farm", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_batch_smaller_than_world_size_is_refused(config, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(capsys, config, "--world-size", 4, "-o", out)
    assert code == 1
    assert "job.yaml:" in err and "copycat.batch_size is 3, smaller than --world-size 4" in err
    assert "--batch-size 4" in err
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    (["--world-size", "0"], "--world-size must be at least 1"),
    (["--manager", "tractor"], "--manager 'tractor': unknown"),
    (["--path-map", "relative=/mnt"], "--path-map 'relative=/mnt': FROM must be an absolute path"),
    (["--path-map", "/only/one/side"], "expected FROM=TO"),
    (["--gpus", "zero"], "--gpus"),
    (["--port", "99"], "--port 99"),
    (["--batch-size", "0"], "--batch-size 0"),
])
def test_bad_settings_write_nothing(config, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    code, _, err = _run(capsys, config, "-o", out, *args)
    assert code == 1, err
    assert message in err
    assert err.count("\n") == 1  # one line
    assert not out.exists()


def test_missing_shot_is_a_config_error(config, tmp_path, capsys):
    code, _, err = _run(capsys, config, "-o", tmp_path / "out", "--shot", "SH999")
    assert code == 1 and "SH999" in err and "SH010" in err


def test_writes_everything_and_refuses_to_overwrite(config, tmp_path, capsys, fixed_scripts):
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, config, "--world-size", 4, "--batch-size", 4, "-o", out,
                             "--cue-user", "artist")
    assert code == 0, err
    for rank in range(4):
        env = (out / "SH010" / "SH010_chroma_train" / f"rank_{rank}.env").read_text()
        for key in ("COPYCAT_MAIN_ADDR", "COPYCAT_MAIN_PORT", "COPYCAT_WORLD_SIZE=4",
                    "COPYCAT_SYNC_INTERVAL=1"):
            assert key in env
        assert f"COPYCAT_RANK={rank}\n" in env
    assert (out / "deadline" / "submit_deadline.sh").is_file()
    assert (out / "opencue" / "SH010.xml").is_file()
    assert "Deadline: sh" in stdout and "4 ranks" in stdout
    before = (out / "farm.json").read_text()
    code, _, err = _run(capsys, config, "--world-size", 2, "-o", out, "--cue-user", "artist")
    assert code == 1 and "use --force" in err
    assert (out / "farm.json").read_text() == before
    code, _, err = _run(capsys, config, "--world-size", 2, "-o", out, "--cue-user", "artist",
                        "--force")
    assert code == 0, err
    assert json.loads((out / "farm.json").read_text())["world_size"] == 2


def test_manager_subset_and_batch_override(config, tmp_path, capsys, fixed_scripts):
    out = tmp_path / "out"
    code, _, err = _run(capsys, config, "--world-size", 4, "--batch-size", 4, "--manager",
                        "opencue", "-o", out, "--cue-user", "artist")
    assert code == 0, err
    assert (out / "opencue" / "SH010.xml").is_file()
    assert not (out / "deadline").exists()
    assert (out / "SH010" / "SH010_chroma_train" / "rank_3.sh").is_file()


def test_dry_run_writes_nothing(config, tmp_path, capsys, fixed_scripts):
    out = tmp_path / "out"
    code, stdout, _ = _run(capsys, config, "--world-size", 2, "-o", out, "--dry-run")
    assert code == 0 and "rank_1.sh" in stdout
    assert not out.exists()


def test_log_report(tmp_path, capsys):
    good = tmp_path / "good.log"
    good.write_text("Step 10/100 loss: 0.5\n")  # constructed line
    bad = tmp_path / "bad.log"
    bad.write_text("RuntimeError: CUDA out of memory. Tried to allocate 1 GiB\n")
    code, stdout, _ = _run(capsys, "--log", good)
    assert code == 0 and "step 10/100" in stdout
    code, stdout, _ = _run(capsys, "--log", good, "--log", bad, "--json")
    assert code == 1
    data = json.loads(stdout)
    assert data[str(bad)]["categories"] == ["cuda_out_of_memory"]
    code, stdout, _ = _run(capsys, "--log", tmp_path)  # a folder: every *.log in it
    assert code == 1 and str(good) in stdout and str(bad) in stdout
    code, _, err = _run(capsys, "--log", tmp_path / "missing.log")
    assert code == 1 and "cannot read log" in err


def test_force_removes_only_files_an_earlier_run_generated(config, tmp_path, capsys,
                                                           fixed_scripts):
    out = tmp_path / "out"
    assert main(["farm", str(config), "--world-size", "4", "--batch-size", "4", "-o", str(out),
                 "--cue-user", "artist"]) == 0
    mine = out / "SH010" / "notes.txt"
    mine.write_text("the artist's own file")
    assert main(["farm", str(config), "--world-size", "2", "-o", str(out), "--cue-user", "artist",
                 "--force"]) == 0
    task = out / "SH010" / "SH010_chroma_train"
    assert sorted(p.name for p in task.glob("rank_*.sh")) == ["rank_0.sh", "rank_1.sh"]
    assert not (task / "rank_3.env").exists()
    assert mine.read_text() == "the artist's own file"
    listed = json.loads((out / "farm.json").read_text())["files"]
    assert "farm.json" in listed and "SH010/SH010_chroma_train/rank_1.sh" in listed


def test_output_folder_that_is_a_file(config, tmp_path, capsys, fixed_scripts):
    target = tmp_path / "out"
    target.write_text("x")
    code, _, err = _run(capsys, config, "-o", target)
    assert code == 1 and "is a file" in err


def test_summary_quotes_paths_with_spaces(config, tmp_path, capsys, fixed_scripts):
    out = tmp_path / "farm jobs"
    code, stdout, err = _run(capsys, config, "--world-size", 4, "--batch-size", 4, "-o", out,
                             "--cue-user", "artist")
    assert code == 0, err
    assert f"Deadline: sh '{out}/deadline/submit_deadline.sh'" in stdout
    assert f"OpenCue:  python3 '{out}/opencue/submit_opencue.py'" in stdout
    assert stdout.rstrip().endswith(f"files written to '{out}'")
    assert "(4 ranks, main published by rank 0:" in stdout
    assert all("'" in line for line in stdout.splitlines() if str(out) in line)
