"""Templates: layered search path (package < studio env < config folders), merged presets, escapes."""
from __future__ import annotations

import os

import pytest

from nuke_restore.config import load_config
from nuke_restore.config import templates as tpl
from nuke_restore.errors import ConfigError, TemplateError

JOB = """\
project: {name: P, format: {width: 2048, height: 1556}}
clips:
  main: {source: s/S_####.exr, reference: r/R_####.exr, first: 1, last: 40}
procedures: [chroma]
"""


def test_package_templates_listed():
    names = tpl.list_names("procedures", tpl.search_path(env=""))
    assert {"chroma", "chroma_nonref", "spatial", "combined", "telecine", "baseline"} <= set(names)
    preset, files = tpl.load_preset("default", tpl.search_path(env=""))
    assert preset["copycat"]["batchSize"] == 3 and len(files) == 1


def test_studio_preset_overrides_one_knob(tmp_path, monkeypatch):
    studio = tmp_path / "studio"
    (studio / "presets").mkdir(parents=True)
    (studio / "presets" / "default.yaml").write_text("copycat:\n  batchSize: 6\n")
    monkeypatch.setenv(tpl.ENV_VAR, str(studio))
    preset, files = tpl.load_preset("default", tpl.search_path())
    assert preset["copycat"]["batchSize"] == 6
    assert preset["copycat"]["checkpointInterval"] == 10000  # the rest still from the package
    assert len(files) == 2
    (tmp_path / "job.yaml").write_text(JOB)
    cfg = load_config(tmp_path / "job.yaml")
    assert cfg.procedures[0].copycat.batch_size == 6


def test_config_folder_beats_env(tmp_path, monkeypatch):
    studio, show = tmp_path / "studio", tmp_path / "show"
    for folder, batch in ((studio, 6), (show, 2)):
        (folder / "presets").mkdir(parents=True)
        (folder / "presets" / "default.yaml").write_text(f"copycat:\n  batchSize: {batch}\n")
    monkeypatch.setenv(tpl.ENV_VAR, str(studio))
    (tmp_path / "job.yaml").write_text(JOB + "templates: [show]\n")
    cfg = load_config(tmp_path / "job.yaml")
    assert cfg.procedures[0].copycat.batch_size == 2


def test_studio_procedure_template(tmp_path, monkeypatch):
    studio = tmp_path / "studio"
    (studio / "procedures").mkdir(parents=True)
    (studio / "procedures" / "chroma_then_spatial.yaml").write_text(
        "recovery_type: Combined\nscripts: [training, inference]\n"
        "stages:\n  - pair: chroma\n  - {pair: spatial, chain: source}\n")
    monkeypatch.setenv(tpl.ENV_VAR, os.pathsep.join([str(studio), str(tmp_path / "missing")]))
    (tmp_path / "job.yaml").write_text(JOB.replace("[chroma]", "[chroma_then_spatial]"))
    cfg = load_config(tmp_path / "job.yaml")
    assert [s.pair for s in cfg.procedures[0].stages] == ["chroma", "spatial"]


@pytest.mark.parametrize("name", ["../default", "/etc/passwd", "a/b", "..", "", ".hidden", "a\\b"])
def test_names_cannot_escape(name):
    with pytest.raises(TemplateError):
        tpl.load_preset(name, tpl.search_path(env=""))


def test_symlink_escape_rejected(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("copycat: {batchSize: 1}\n")
    (tmp_path / "t" / "presets").mkdir(parents=True)
    os.symlink(outside, tmp_path / "t" / "presets" / "evil.yaml")
    with pytest.raises(TemplateError, match="outside"):
        tpl.load_preset("evil", [tmp_path / "t"])


def test_unknown_preset_in_config_names_field(tmp_path):
    (tmp_path / "job.yaml").write_text(JOB + "preset: nosuch\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "job.yaml")
    assert info.value.field == "preset" and info.value.line == 5


def test_root_templates_folder_is_a_working_example(tmp_path, monkeypatch):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "templates"
    monkeypatch.setenv(tpl.ENV_VAR, str(example))
    (tmp_path / "job.yaml").write_text(JOB.replace("[chroma]", "[spatial_then_chroma_ref]"))
    cfg = load_config(tmp_path / "job.yaml")
    proc = cfg.procedures[0]
    assert proc.copycat.checkpoint_interval == 5000 and proc.copycat.batch_size == 3
    assert [s.reference_median for s in proc.stages] == [0, 0]
    assert cfg.pair_counts["shot"] == 6


def test_missing_config_template_folder(tmp_path):
    (tmp_path / "job.yaml").write_text(JOB + "templates:\n  - nope\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "job.yaml")
    assert info.value.field == "templates[0]" and info.value.line == 6
