"""`nuke-restore demo DIR`: never overwrites without --force, not even a previous demo."""
from __future__ import annotations

from nuke_restore.cli import main


def test_second_demo_needs_force(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", str(out), "--no-imaging"]) == 0
    job = out / "job.yaml"
    job.write_text(job.read_text() + "# my edit\n")
    capsys.readouterr()
    assert main(["demo", str(out), "--no-imaging"]) == 1
    err = capsys.readouterr().err
    assert str(out) in err and "previous demo" in err and "--force" in err
    assert job.read_text().endswith("# my edit\n")
    assert main(["demo", str(out), "--no-imaging", "--force"]) == 0
    assert not job.read_text().endswith("# my edit\n")


def test_demo_into_a_file(tmp_path, capsys):
    target = tmp_path / "demo-out"
    target.write_text("mine\n")
    assert main(["demo", str(target), "--no-imaging", "--force"]) == 1
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "mine\n"


def test_interrupted_demo_is_known_and_rerun(tmp_path, capsys, monkeypatch):
    from nuke_restore.cli import _demo_steps

    out = tmp_path / "demo"

    def interrupted(state):
        raise KeyboardInterrupt

    monkeypatch.setattr(_demo_steps, "build", interrupted)
    try:
        main(["demo", str(out), "--no-imaging"])
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    capsys.readouterr()
    assert (out / "job.yaml").exists()  # half done
    assert main(["demo", str(out), "--no-imaging"]) == 1
    assert "holds an interrupted demo" in capsys.readouterr().err
    assert main(["demo", str(out), "--no-imaging", "--force"]) == 0


def _fake_project(tmp_path):
    """scripts/demo.sh in a copy of the project with a stub setup and a stub nuke-restore."""
    import shutil
    from pathlib import Path

    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[2] / "scripts" / "demo.sh", root / "scripts")
    (root / "scripts" / "setup.sh").write_text("#!/bin/sh\nexit 0\n")
    (root / "scripts" / "setup.sh").chmod(0o755)
    stub = root / ".venv" / "bin" / "nuke-restore"
    stub.parent.mkdir(parents=True)
    stub.write_text('#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done\necho\n')
    stub.chmod(0o755)
    return root


def test_demo_sh_passes_options_through(tmp_path):
    import shutil
    import subprocess

    bash = shutil.which("bash")
    if not bash:
        import pytest
        pytest.skip("bash is not installed: scripts/demo.sh needs it")
    root = _fake_project(tmp_path)

    def run(*args):
        r = subprocess.run([bash, str(root / "scripts" / "demo.sh"), *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip(), r.stderr

    # --force is a flag, never the folder name, in either position.
    assert run("--force", "my demo")[0] == "[demo][--force][--][my demo]"
    assert run("my demo", "--force")[0] == "[demo][--force][--][my demo]"
    assert run()[0] == "[demo][--][demo-out]"
    # A folder holding a previous (or interrupted) demo is regenerated, with --force given once.
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / ".nuke-restore-demo").write_text('{"complete": false, "steps": []}\n')
    out, err = run("old")
    assert out == "[demo][--force][--][old]" and "regenerating" in err
    assert run("--force", "old")[0] == "[demo][--force][--][old]"
