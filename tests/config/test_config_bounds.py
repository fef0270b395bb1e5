"""Issue 10 section 4 (configs): finite, ranged numbers and bounded parsing, as ConfigError.

Each hostile value of the issue gives one ConfigError naming file:line (and the field where there
is one), never a traceback, and quickly (no 16 GB frame list, no recursion crash).
"""
from __future__ import annotations

import time

import pytest
import yaml

from nuke_restore.cli import main
from nuke_restore.config import load_config
from nuke_restore.errors import ConfigError
from nuke_restore.recipes import sample_config_text


def _text(**replace) -> str:
    text = sample_config_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _refused(tmp_path, text: str, field, name="job.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert time.perf_counter() - t0 < 5
    msg = str(info.value)
    assert msg.startswith(f"{p}:") and msg[len(str(p)) + 1:].split(":")[0].isdigit(), msg
    if field:
        assert f" {field}:" in msg, msg
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e400"])
def test_fps_not_finite(tmp_path, value):
    _refused(tmp_path, _text(**{"fps: 24": f"fps: {value}"}), "project.fps")


def test_pixel_aspect_nan(tmp_path):
    text = sample_config_text()
    data = yaml.safe_load(text)
    data["project"]["format"]["pixel_aspect"] = float("nan")
    _refused(tmp_path, yaml.safe_dump(data), "project.format.pixel_aspect")


def test_last_frame_a_trillion(tmp_path):
    data = yaml.safe_load(sample_config_text())
    data["clips"]["main"]["last"] = 1000000000000
    msg = _refused(tmp_path, yaml.safe_dump(data), "clips.main.last")
    assert "at most" in msg


@pytest.mark.parametrize("value", ["10" + "0" * 400, "1e300", str(2**31)])
def test_steps_huge(tmp_path, value):
    msg = _refused(tmp_path, _text(**{"steps: 40000": f"steps: {value}"}), "copycat.steps")
    assert len(msg) < 400


def test_integer_over_4300_digits(tmp_path):
    text = _text(**{"steps: 40000": "steps: " + "9" * 5000})
    msg = _refused(tmp_path, text, None)
    line = text[:text.index("9" * 5000)].count("\n") + 1
    assert "number" in msg and f":{line}:" in msg, msg


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting(tmp_path, opener):
    text = sample_config_text() + "extra: " + opener * 100000 + "\n"
    msg = _refused(tmp_path, text, None)
    assert "nested" in msg and "deep" in msg


def test_deep_nesting_json(tmp_path):
    msg = _refused(tmp_path, "[" * 100000, None, name="job.json")
    assert "nested" in msg and "deep" in msg


def test_alignment_numbers_finite(tmp_path):
    data = yaml.safe_load(sample_config_text())
    data["alignment"] = {"mode": "manual",
                         "transforms": {1001: {"translate": [float("nan"), 0]}}}
    _refused(tmp_path, yaml.safe_dump(data), "alignment.transforms.1001.translate")
    data["alignment"] = {"crop": [0, 0, float("inf"), 10]}
    _refused(tmp_path, yaml.safe_dump(data), "alignment.crop")


def test_cli_gives_one_line(tmp_path, capsys):
    p = tmp_path / "job.yaml"
    p.write_text(_text(**{"fps: 24": "fps: .nan"}))
    assert main(["build", str(p), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("preset, words", [
    ("copycat: {batchSize: .nan}\n", ["finite"]),
    ("copycat: {checkpointInterval: 1.0e+300}\n", ["too large"]),
    ("copycat: {batchSize: three}\n", ["batchSize", "whole number"]),
    ("training: {epochs_per_batch: 0.5}\n", ["epochs_per_batch"]),
    ("write: {channels: '[python {1}]'}\n", ["write.channels", "'['"]),
    ("matchgrade: {analysisType: \"a\\nb\\u202e\"}\n", ["matchgrade.analysisType"]),
])
def test_a_brought_preset_is_checked_too(tmp_path, preset, words):
    """A config may bring its own template folder; its preset values reach knobs and counts."""
    (tmp_path / "tpl" / "presets").mkdir(parents=True)
    (tmp_path / "tpl" / "presets" / "default.yaml").write_text(preset)
    text = "templates: [tpl]\n" + sample_config_text()
    msg = _refused(tmp_path, text, None)
    for w in words:
        assert w in msg, msg
