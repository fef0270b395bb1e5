"""Job config: defaults, frame picking, epochs/steps maths, curation/alignment files, and a table of
bad configs each with the file, line and field its message must name."""
from __future__ import annotations

import json
import textwrap

import pytest

from nuke_restore.config import (
    CopyCatSettings,
    config_from_dict,
    escalate,
    load_config,
    pick_frames,
    pick_preview,
    resolve_crop_size,
    training_schedule,
)
from nuke_restore.errors import ConfigError

GOOD = textwrap.dedent("""\
    version: 1
    project:
      name: MURALLA
      film_title: La Muralla Verde
      format: {width: 4096, height: 3072}
    clips:
      main:
        source: plates/SRC_####.exr
        reference: plates/REF_####.exr
        first: 400
        last: 600
    shots:
      - name: VFX0050
        first: 471
        last: 499
        train: [471, 478, 492, 499]
        preview: 485
    copycat:
      epochs: 30000
    procedures:
      - type: chroma
    """)


def write(tmp_path, text, name="job.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_config_and_spec_defaults(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    proc = cfg.procedures[0]
    cc = proc.copycat
    # workflow-spec §2.1 defaults: GPU on, Medium, batch Manual 3, checkpoint 10000, sheet 100.
    assert (cc.gpu, cc.model_size, cc.batch_size, cc.checkpoint_interval,
            cc.contact_sheet_interval, cc.multi_resolution) == (True, "Medium", 3, 10000, 100, True)
    assert cfg.shots[0].train == [471, 478, 492, 499] and cfg.shots[0].preview == 485
    assert proc.stages[0].pair == "chroma" and proc.stages[0].reference_median == 10
    assert cfg.project.read_colorspace == "color_picking"
    assert cfg.inference.clamp is False


def test_muralla_epochs_steps():
    cc = CopyCatSettings(epochs=30000, batch_size=3)
    assert training_schedule(cc, 4, 512) == (30000, 40000)  # spec: 30000 x 4 / 3 = 40000 steps
    cc = CopyCatSettings(epochs=334, batch_size=1)
    assert training_schedule(cc, 33, 512) == (334, 11022)  # Candy Candy
    cc = CopyCatSettings(steps=40000, batch_size=3)
    assert training_schedule(cc, 4, 512) == (30000, 40000)
    # The rule of thumb: batch x 10000 epochs, doubled for 256 crops.
    assert training_schedule(CopyCatSettings(batch_size=3), 4, 512)[0] == 30000
    assert training_schedule(CopyCatSettings(batch_size=3), 4, 256)[0] == 60000
    assert training_schedule(CopyCatSettings(batch_size=3, double_for_256=False), 4, 256)[0] \
        == 30000


def test_crop_size_auto():
    cc = CopyCatSettings()
    assert resolve_crop_size(cc, 2000) == 512
    assert resolve_crop_size(cc, 400) == 256
    assert resolve_crop_size(CopyCatSettings(crop_size=128), 2000) == 128


def test_frame_picking():
    assert pick_frames(20, 60, 4) == [20, 33, 47, 60]
    assert pick_frames(471, 499, 4)[0] == 471 and pick_frames(471, 499, 4)[-1] == 499
    four = pick_frames(1, 100, 4)
    seven = escalate(four)
    assert len(seven) == 7 and set(four) <= set(seven)
    assert pick_preview(471, 499, [471, 478, 492, 499]) == 485  # the Muralla preview
    assert pick_frames(5, 6, 4) == [5, 6]


def test_defaults_pick_frames_and_preview(tmp_path):
    text = GOOD.replace("    train: [471, 478, 492, 499]\n    preview: 485\n", "")
    cfg = load_config(write(tmp_path, text))
    s = cfg.shots[0]
    assert len(s.train) == 4 and s.train[0] == 471 and s.train[-1] == 499
    assert s.preview not in s.train and 471 < s.preview < 499


def test_curation_and_alignment_files(tmp_path):
    (tmp_path / "curation.json").write_text(json.dumps({"shots": [
        {"first": 400, "last": 450, "scene": "A", "train": [400, 420, 450], "preview": 410},
        {"first": 451, "last": 600, "scene": 3, "train": [451, 500, 550, 600], "preview": 520,
         "transition_in": "cut", "excluded": {"460": "flash"}},  # extra keys of curate
    ]}))
    (tmp_path / "align.json").write_text(json.dumps({"frames": {
        "400": {"translate": [1.5, -2], "rotate": 0.1, "scale": 1.01, "center": [2048, 1536],
                "residual": 0.2},
        "450": {"translate": [1.0, -2], "rotate": 0.0, "scale": 1.0, "center": [2048, 1536]},
    }}))
    text = GOOD.split("shots:")[0] + "curation: curation.json\nalignment:\n  transforms: " \
        "align.json\ngranularity: scene\nprocedures: [chroma]\n"
    cfg = load_config(write(tmp_path, text))
    assert [s.name for s in cfg.shots] == ["SH0010", "SH0020"]
    assert cfg.shots[1].train == [451, 500, 550, 600] and cfg.shots[1].scene == "SC003"
    assert cfg.alignment.mode == "manual" and cfg.alignment.keys[400].translate == (1.5, -2.0)
    assert cfg.granularity == "scene"


def test_config_from_plain_dict():
    cfg = config_from_dict({
        "project": {"name": "P", "format": {"width": 640, "height": 480}},
        "clips": {"c": {"source": "s.%04d.exr", "reference": "r.%04d.exr", "first": 1,
                        "last": 9}},
        "procedures": ["spatial"]})
    assert cfg.shots[0].clip == "c" and cfg.procedures[0].stages[0].pair == "spatial"
    assert cfg.procedures[0].stages[0].reference_median == 0  # never filter a spatial Reference


# Each case: (replace this, with that, expected line, expected field, text in the message).
BAD = [
    ("  name: MURALLA\n", "  name: 9bad\n", 3, "project.name", "must start with a letter"),
    ("  format: {width: 4096, height: 3072}\n", "  format: {width: 4096}\n", 5,
     "project.format.height", "is required"),
    ("    first: 400\n", "    first: four\n", 10, "clips.main.first", "whole number"),
    ("    source: plates/SRC_####.exr\n", "    source: plates/SRC.exr\n", 8,
     "clips.main.source", "no frame number"),
    ("    train: [471, 478, 492, 499]\n", "    train: [471, 478, 492, 999]\n", 16,
     "shots[0].train[3]", "at most 499"),
    ("    preview: 485\n", "    preview: 478\n", 17, "shots[0].preview", "training frame"),
    ("  epochs: 30000\n", "  epochs: 30000\n  steps: 4\n", 19, "copycat.epochs", "not both"),
    ("  epochs: 30000\n", "  crop_size: 300\n", 19, "copycat.crop_size",
     "allowed values: 32, 64, 128, 256, 512"),
    ("  epochs: 30000\n", "  model_size: Huge\n", 19, "copycat.model_size",
     "allowed values: Small, Medium, Large"),
    ("  - type: chroma\n", "  - type: chromaa\n", 21, "procedures[0].type",
     "allowed values: baseline, chroma"),
    ("  - type: chroma\n", "  - type: chroma_nonref\n", 21, "procedures[0]",
     "assumptions and citation required"),
    ("  - type: chroma\n", "  - {type: spatial, reference_median: 5}\n", 21,
     "procedures[0].reference_median", "never median"),
    ("version: 1\n", "version: 1\nfoo: 2\n", 2, "foo", "unknown field 'foo'"),
    ("copycat:\n", "copycat:\n  gpu: yes please\n", 19, "copycat.gpu", "true or false"),
    ("    last: 600\n", "    last: 600\n    last: 601\n", 12, None, "duplicate key"),
    ("    first: 471\n", "    first: 471\n   bad: [\n", 15, None, "YAML syntax error"),
    ("  - type: chroma\n", "  - type: chroma\n    granularity: reel\n", 22,
     "procedures[0].granularity", "allowed values: shot, scene, sequence"),
    # Near misses get a suggestion (issue: `model_size: medium`).
    ("  epochs: 30000\n", "  model_size: medium\n", 19, "copycat.model_size",
     "'medium' is not allowed (did you mean 'Medium'?)"),
    ("  - type: chroma\n", "  - {type: chroma, matchgrade_task: match graded source}\n", 21,
     "procedures[0].matchgrade_task", "(did you mean 'Match Graded Source'?)"),
    # Boxes outside the project format are refused (a crop there would render black).
    ("copycat:\n", "alignment: {crop: [0, 0, 4100, 3072]}\ncopycat:\n", 18, "alignment.crop",
     "reaches outside the project format (0, 0, 4096, 3072)"),
    ("copycat:\n", "alignment:\n  crop:\n    471: [-4, 0, 4096, 3072]\ncopycat:\n", 20,
     "alignment.crop.471", "reaches outside the project format"),
    ("copycat:\n", "alignment: {live_area: [10, 10, 4000, 3100]}\ncopycat:\n", 18,
     "alignment.live_area", "reaches outside"),
]


@pytest.mark.parametrize("old,new,line,field,text", BAD, ids=[b[4][:20] for b in BAD])
def test_bad_configs_name_file_line_field(tmp_path, old, new, line, field, text):
    assert old in GOOD
    p = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_config(p)
    exc = info.value
    msg = str(exc)
    assert msg.startswith(str(p)), msg
    assert exc.line == line, msg
    if field:
        assert exc.field == field, msg
        assert f"{field}:" in msg
    assert text in msg, msg


def test_missing_file_and_empty(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="empty"):
        load_config(write(tmp_path, "# nothing\n"))


def test_escalation_adds_midpoints():
    base = {"project": {"name": "P", "format": {"width": 800, "height": 600}},
            "clips": {"m": {"source": "s.####.exr", "reference": "r.####.exr", "first": 1,
                            "last": 100}},
            "procedures": ["chroma"]}
    four = config_from_dict(base).shots[0].train
    seven = config_from_dict({**base, "dataset": {"escalate": 1}}).shots[0].train
    assert len(four) == 4 and len(seven) == 7 and set(four) <= set(seven)


def test_validation_fraction_holds_out_untrained_frames():
    cfg = config_from_dict({
        "project": {"name": "P", "format": {"width": 800, "height": 600}},
        "clips": {"m": {"source": "s.####.exr", "reference": "r.####.exr", "first": 1,
                        "last": 200}},
        "dataset": {"pairs": 8, "validation_fraction": 0.25},
        "procedures": ["chroma"]})
    s = cfg.shots[0]
    assert len(s.validation) == 2
    assert not set(s.validation) & (set(s.train) | {s.preview})


def test_overlapping_shots_rejected(tmp_path):
    text = GOOD.replace("    preview: 485\n", "    preview: 485\n  - {name: VFX0051, first: 499, "
                        "last: 510}\n")
    with pytest.raises(ConfigError, match="overlap") as info:
        load_config(write(tmp_path, text))
    assert info.value.line == 18 and info.value.field == "shots"
