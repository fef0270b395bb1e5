"""`nuke-restore farm`: a file where one of its folders goes stops it before the first write."""
from __future__ import annotations

from nuke_restore.cli import main
from nuke_restore.recipes import sample_config_text


def test_file_where_a_farm_folder_goes_writes_nothing(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(sample_config_text())
    out = tmp_path / "farm"
    out.mkdir()
    (out / "opencue").write_text("mine\n")
    rc = main(["farm", str(cfg), "-o", str(out), "--shot", "SH010"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "opencue is a file, not a folder" in err
    assert sorted(p.name for p in out.iterdir()) == ["opencue"]
    assert (out / "opencue").read_text() == "mine\n"


def test_path_map_target_cannot_carry_tcl(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(sample_config_text())
    out = tmp_path / "farm"
    for target in ("/mnt/[python {1}]", "/mnt/x{y}", "/mnt/a;b", "Z:\\\\show"):
        rc = main(["farm", str(cfg), "-o", str(out), "--shot", "SH010", "--path-map",
                   f"{tmp_path}={target}"])
        err = capsys.readouterr().err
        assert rc == 1 and "Traceback" not in err
        assert "--path-map" in err and "TO may not contain" in err
        assert not out.exists()
