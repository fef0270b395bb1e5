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
