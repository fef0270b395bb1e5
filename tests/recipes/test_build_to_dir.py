"""build_to_dir and the build/templates CLIs: atomic outputs, versions, --force, --dry-run, refusal."""
from __future__ import annotations

import json

import pytest

from nuke_restore.cli import main
from nuke_restore.errors import NukeRestoreError
from nuke_restore.recipes import build_to_dir, sample_config_text


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_build_to_dir_versions_and_force(sample_cfg, tmp_path):
    out = tmp_path / "out"
    first = build_to_dir(sample_cfg, out, shots=["SH010"])
    nk = sorted(p.name for p in first if p.suffix == ".nk")
    assert "SH010_chroma_training.nk" in nk and "SH010_baseline.nk" in nk
    assert not any("SH020" in n for n in nk)
    before = (out / "SH010_chroma_training.nk").read_bytes()
    second = build_to_dir(sample_cfg, out, shots=["SH010"])
    v2 = sorted(p.name for p in second if p.suffix == ".nk")
    assert all("_v002" in n for n in v2) and len(v2) == len(nk)
    assert (out / "SH010_chroma_training.nk").read_bytes() == before  # never overwritten
    text = (out / "SH010_chroma_inference_v002.nk").read_text()
    assert "_v002_" in text and "_v001_" not in text  # the version is carried into the renders
    third = build_to_dir(sample_cfg, out, shots=["SH010"], force=True)
    assert sorted(p.name for p in third if p.suffix == ".nk") == nk
    log = (out / "notes" / "experiments.md").read_text()
    # v001 and v002 are two experiments; the --force rebuild of v001 repeats the first one.
    assert log.count("## SH010 - chroma (") == 2
    build_to_dir(sample_cfg, out, shots=["SH010"], force=True)
    assert (out / "notes" / "experiments.md").read_text() == log
    # A changed rebuild is a new experiment, even with --force.
    sample_cfg.procedures[0].copycat.epochs = 12345
    build_to_dir(sample_cfg, out, shots=["SH010"], force=True)
    assert (out / "notes" / "experiments.md").read_text().count("## SH010 - chroma (") == 3
    side = json.loads(next(out.rglob("SH010_metadata.json")).read_text())
    assert side["shot_id"] == "SH010" and side["restorationist"] == "Demo Restorationist"
    assert len(side["extended"]["dataset_timecodes"]) == len(side["extended"]["dataset_frames"])
    for folder in ("01_dataset_curation", "02_alignment", "03_copycat_training",
                   "04_inference_render", "05_matchgrade_render"):
        assert (out / "pipeline" / folder).is_dir()
    assert "*.cat" in (out / "pipeline" / "03_copycat_training" / ".gitignore").read_text()


def test_dry_run_writes_nothing(sample_cfg, tmp_path):
    out = tmp_path / "out"
    planned = build_to_dir(sample_cfg, out, dry_run=True)
    assert planned and not out.exists()


def test_deterministic_bytes(sample_cfg, tmp_path):
    build_to_dir(sample_cfg, tmp_path / "a")
    build_to_dir(sample_cfg, tmp_path / "b")
    fa, fb = files(tmp_path / "a"), files(tmp_path / "b")
    assert fa == fb
    for rel in fa:
        if rel.endswith("experiments.md"):
            continue  # the log carries the build date
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_refuses_to_write_invalid(sample_cfg, tmp_path, monkeypatch):
    import nuke_restore.recipes.build as build_mod

    class Bad:
        code, severity, message = "NR999", "error", "broken on purpose"

    monkeypatch.setattr(build_mod, "validate_built",
                        lambda b: [Bad()] if "SH020" in b.relpath else [])
    with pytest.raises(NukeRestoreError, match="NR999"):
        build_to_dir(sample_cfg, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_build(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(sample_config_text())
    assert main(["build", str(cfg), "-o", str(tmp_path / "s"), "--shot", "SH020"]) == 0
    out = capsys.readouterr().out
    assert "SH020 chroma stage 1 (chroma): 4 pairs, batch 3, crop" in out
    assert "epochs =" in out and "steps" in out
    assert (tmp_path / "s" / "SH020_spatial_training.nk").is_file()
    assert main(["build", str(cfg), "-o", str(tmp_path / "s"), "--shot", "SH020"]) == 0
    assert (tmp_path / "s" / "SH020_spatial_training_v002.nk").is_file()
    assert main(["build", str(cfg), "-o", str(tmp_path / "d"), "--dry-run"]) == 0
    assert not (tmp_path / "d").exists()


def test_cli_bad_config(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(sample_config_text().replace("batch_size: 3", "batch_size: 0"))
    assert main(["build", str(cfg), "-o", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    line = next(i for i, s in enumerate(cfg.read_text().splitlines(), 1) if "batch_size: 0" in s)
    assert f"job.yaml:{line}:" in err and "copycat.batch_size" in err and "at least 1" in err
    assert not (tmp_path / "s").exists()
    assert main(["build", str(cfg), "--shot", "NOPE"]) == 1


def test_cli_unknown_shot(sample_cfg, tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(sample_config_text())
    assert main(["build", str(cfg), "-o", str(tmp_path / "s"), "--shot", "NOPE"]) == 1
    assert "no shot or unit named NOPE" in capsys.readouterr().err


def test_cli_templates(capsys):
    assert main(["templates", "list"]) == 0
    out = capsys.readouterr().out
    assert "procedure chroma" in out and "preset    default" in out
    assert main(["templates", "show", "combined"]) == 0
    assert '"chain": "source"' in capsys.readouterr().out
    assert main(["templates", "show", "default"]) == 0
    assert '"batchSize": 3' in capsys.readouterr().out
    assert main(["templates", "show", "../etc"]) == 1
