"""The headless pairs follow the clip's frame numbering and format as the built graph does: a
Reference numbered from 1 at half size (``reference_offset``), or renumbered through a table
(``frame_map``), gives the same training pairs as a same-numbered, same-size Reference."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from nuke_restore.config import load_config


def _script(cfg):
    from nuke_restore.recipes import build_scripts

    return next(b.script for b in build_scripts(cfg, ["SH010"])
                if b.procedure == "chroma" and b.kind == "training")


def _same_pairs(a, b, tol):
    assert [f for _c, f in a.frames] == [f for _c, f in b.frames]
    assert a.preview_frame == b.preview_frame and a.crop_size == b.crop_size
    for x, y in zip(a.sources, b.sources):
        np.testing.assert_array_equal(x, y)  # the same Source files
    errs = [float(np.abs(x - y).mean()) for x, y in zip(a.targets, b.targets)]
    assert max(errs) < tol, errs
    return errs


def test_half_size_reference_numbered_from_1_gives_the_same_pairs(ml_job, ml_job_maker):
    from nuke_restore.imaging.sequence import read_image
    from nuke_restore.ml import data

    base = data.load_pairs(load_config(ml_job[0]), "SH010", "chroma")
    assert base.reference_frames == [f for _c, f in base.frames]
    path, _gt = ml_job_maker("mljob_half", reference_offset=-1000, reference_scale=2,
                             clip_extra="reference_offset: -1000")
    refs = sorted((path.parent / "footage/reference").iterdir())
    assert refs[0].name == "reference.0001.jpg"
    assert read_image(str(refs[0])).shape[:2] == (36, 48)  # half of 96x72
    cfg = load_config(path)
    pairs = data.load_pairs(cfg, "SH010", "chroma")
    assert pairs.reference_frames == [f - 1000 for _c, f in pairs.frames]
    # The built graph: TimeOffset +1000 after Read_REF, then Reformat_REF to the project format.
    script = _script(cfg)
    tof = next(n for n in script.nodes if n.cls == "TimeOffset" and "REF" in n.name)
    assert int(tof.knob("time_offset")) == 1000
    assert any(n.cls == "Reformat" and n.name.startswith("Reformat_REF") for n in script.nodes)
    # Half size brought back up: the targets differ from the full-size JPEG's only by resampling
    # (box down, then cubic up here vs bilinear up there) and compression: mean |diff| 0.0098
    # measured, against 0.024 between neighbouring training frames.
    errs = _same_pairs(pairs, base, 0.012)
    step = min(float(np.abs(a - b).mean()) for a, b in zip(base.targets, base.targets[1:]))
    assert max(errs) < step / 2, (errs, step)


def test_a_table_frame_map_picks_the_mapped_reference_frames(ml_job, ml_job_maker):
    from nuke_restore.errors import NukeRestoreError
    from nuke_restore.ml import data
    from nuke_restore.nk.values import curve_keys

    base = data.load_pairs(load_config(ml_job[0]), "SH010", "chroma")
    path, gt = ml_job_maker("mljob_table", reference_offset=-1000, reference_scale=2,
                            clip_extra="frame_map: conform.json")
    # A splice: source 1001-1005 -> reference 1-5, 1006-1010 -> reference 21-25.
    refdir = path.parent / "footage/reference"
    table = {}
    for f in range(gt["first"], gt["last"] + 1):
        r = f - 1000 if f <= 1005 else f - 1000 + 15
        if r != f - 1000:
            shutil.move(refdir / f"reference.{f - 1000:04d}.jpg", refdir / f"reference.{r:04d}.jpg")
        table[str(f)] = {"reference": r, "confidence": 0.97}
    (path.parent / "conform.json").write_text(json.dumps({"frames": table}), encoding="utf-8")
    cfg = load_config(path)
    pairs = data.load_pairs(cfg, "SH010", "chroma")
    assert pairs.reference_frames == [table[str(f)]["reference"] for _c, f in pairs.frames]
    assert min(pairs.reference_frames) < 6 and max(pairs.reference_frames) > 20
    # The graph's FrameHold_REF_MAP curve names the same reference frame per source frame.
    hold = next(n for n in _script(cfg).nodes if n.cls == "FrameHold" and "REF_MAP" in n.name)
    keys = dict(curve_keys(str(hold.knob("firstFrame"))))
    assert all(int(keys[f]) == r for (_c, f), r in zip(pairs.frames, pairs.reference_frames))
    _same_pairs(pairs, base, 0.012)
    # A Reference of another shape is refused in one line, naming the file.
    with pytest.raises(NukeRestoreError, match="aspect"):
        data.to_format(np.zeros((40, 40, 3), np.float32), (96, 72), "ref.0001.jpg")
