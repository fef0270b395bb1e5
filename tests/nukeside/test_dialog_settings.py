"""Dialog values: steps/epochs, frame picking, checks, the job dict and YAML-or-JSON job files."""
from __future__ import annotations

import importlib
import json

import pytest

from nuke_restore.errors import ConfigError
from nuke_restore.nukeside import jobfile
from nuke_restore.nukeside.reads import ClipInfo, guess_source_and_reference
from nuke_restore.nukeside.settings import (
    ClipSettings,
    JobSettings,
    check_settings,
    epochs_for_steps,
    parse_frames,
    settings_from_config_dict,
    steps_for_epochs,
    suggest_frames,
    suggest_preview,
    widget_for_config_field,
)


def _muralla() -> JobSettings:
    return JobSettings(
        shot="VFX0050", source=ClipSettings("s/SRC_####.exr", 471, 499, "color_picking"),
        reference=ClipSettings("r/REF_####.exr", 471, 499, "color_picking"),
        training_frames=[471, 478, 492, 499], preview_frame=485, format_width=4096,
        format_height=3072, output_dir="pipeline")


def test_steps_and_epochs_follow_the_workflow_examples():
    assert epochs_for_steps(40000, 3, 4) == 30000  # Muralla
    assert steps_for_epochs(30000, 3, 4) == 40000
    assert steps_for_epochs(334, 1, 33) == 11022  # Candy Candy
    assert epochs_for_steps(1000, 3, 0) == 0
    assert _muralla().epochs == 30000


def test_frame_picking_and_parsing():
    assert suggest_frames(20, 60) == [20, 33, 47, 60]
    assert suggest_frames(5, 5) == [5]
    assert suggest_preview([471, 478, 492, 499]) == 485
    assert suggest_preview([1, 2]) is None
    assert parse_frames("499, 471 478\n492-494") == [471, 478, 492, 493, 494, 499]
    assert parse_frames("-5--3") == [-5, -4, -3]
    with pytest.raises(ValueError, match="'a1'"):
        parse_frames("1, a1")


def test_checks_name_the_field():
    assert check_settings(_muralla()) == {}
    bad = _muralla()
    bad.shot, bad.preview_frame, bad.training_frames = "VFX 0050", 478, [478, 600]
    bad.reference = ClipSettings()
    problems = check_settings(bad)
    assert set(problems) == {"shot", "preview_frame", "training_frames", "reference.path"}
    assert "600" in problems["training_frames"]
    inference = _muralla()
    inference.stage, inference.reference = "inference", ClipSettings()
    assert check_settings(inference) == {}


def test_config_fields_map_to_dialog_fields():
    assert widget_for_config_field("shots[0].train[2]") == "training_frames"
    assert widget_for_config_field("shots[0].preview") == "preview_frame"
    assert widget_for_config_field("clips.main.reference") == "reference.path"
    assert widget_for_config_field("clips.main.source") == "source.path"
    assert widget_for_config_field("copycat.batch_size") == "copycat.steps"
    assert widget_for_config_field("project.format.width") == "format"
    assert widget_for_config_field("nonsense") == "" and widget_for_config_field(None) == ""


def test_job_dict_round_trips_and_is_accepted_by_the_core():
    settings = _muralla()
    job = settings.to_config_dict()
    assert job["clips"]["main"]["reference"] == "r/REF_####.exr"
    assert job["shots"] == [{"name": "VFX0050", "clip": "main", "first": 471, "last": 499,
                             "train": [471, 478, 492, 499], "preview": 485}]
    back = settings_from_config_dict(json.loads(json.dumps(job)))
    assert back.to_config_dict() == job
    try:
        config_from_dict = importlib.import_module("nuke_restore.config").config_from_dict
    except (ImportError, AttributeError):
        pytest.skip("nuke_restore.config has not landed")
    cfg = config_from_dict(job)
    assert cfg.shots[0].train == [471, 478, 492, 499] and cfg.shots[0].preview == 485
    assert cfg.procedures[0].name == "chroma" and cfg.project.format.width == 4096


def test_remembered_state_that_is_corrupt_falls_back_to_defaults():
    assert JobSettings.from_dict({"shot": 5, "copycat": "x", "training_frames": ["a"]}) == \
        JobSettings()
    assert JobSettings.from_dict("garbage") == JobSettings()


def test_two_reads_are_told_apart_by_name_else_ambiguous():
    src = ClipInfo("Read1", "scan/FILM_SOURCE_####.exr", 1, 9, "", "", 0, 0)
    ref = ClipInfo("Read2", "dvd/FILM_REF_####.exr", 1, 9, "", "", 0, 0)
    other = ClipInfo("Read3", "x/clip_####.exr", 1, 9, "", "", 0, 0)
    assert guess_source_and_reference([ref, src]) == (src, ref, False)
    assert guess_source_and_reference([other, ref]) == (other, ref, False)
    assert guess_source_and_reference([other, other])[2] is True
    assert guess_source_and_reference([src]) == (src, None, False)
    assert guess_source_and_reference([src, ref, other])[2] is True


def test_job_files_are_json_without_pyyaml(tmp_path, monkeypatch):
    monkeypatch.setattr(jobfile, "_yaml", lambda: None)
    written = jobfile.save_job_file(str(tmp_path / "job.yaml"), {"a": [1, 2]})
    assert written.endswith("job.json")
    assert json.loads((tmp_path / "job.json").read_text()) == {"a": [1, 2]}
    assert jobfile.load_job_file(written) == {"a": [1, 2]}
    (tmp_path / "y.yaml").write_text("a: [1, 2]\n")
    with pytest.raises(ConfigError, match="no PyYAML"):
        jobfile.load_job_file(str(tmp_path / "y.yaml"))


def test_job_files_are_yaml_with_pyyaml(tmp_path):
    pytest.importorskip("yaml")
    written = jobfile.save_job_file(str(tmp_path / "job.yaml"), {"a": [1, 2], "b": "x"})
    assert written.endswith("job.yaml") and "a:" in (tmp_path / "job.yaml").read_text()
    assert jobfile.load_job_file(written) == {"a": [1, 2], "b": "x"}
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ConfigError) as err:
        jobfile.load_job_file(str(tmp_path / "bad.yaml"))
    assert err.value.line is not None
