"""The headless pair loader replays the built training graph: same frames, preview, crop size and
schedule as the CopyCat node, the keyed alignment, and the Y'CbCr packing of the target."""
from __future__ import annotations

import numpy as np
import pytest

from nuke_restore.config import load_config


def _training_script(cfg, procedure):
    from nuke_restore.recipes import build_scripts

    for b in build_scripts(cfg, ["SH010"]):
        if b.procedure == procedure and b.kind == "training":
            return b.script
    raise AssertionError("no training script built")


def test_pairs_match_the_built_graph(ml_job):
    from nuke_restore.ml import data
    from nuke_restore.nk.values import parse_word

    cfg_path, _gt = ml_job
    cfg = load_config(cfg_path)
    pairs = data.load_pairs(cfg, "SH010", "chroma")
    script = _training_script(cfg, "chroma")
    holds = [int(n.knob("firstFrame")) for n in script.nodes
             if n.cls == "FrameHold" and n.name.startswith("FrameHold_SRC_")]
    preview = [int(n.knob("firstFrame")) for n in script.nodes
               if n.cls == "FrameHold" and n.name.startswith("FrameHold_PREVIEW")]
    cc = next(n for n in script.nodes if n.cls == "CopyCat")
    assert [f for _c, f in pairs.frames] == holds and len(holds) == 4
    assert pairs.preview_frame[1] == preview[0]
    assert str(pairs.crop_size) == parse_word(cc.knob("cropSize"))
    assert pairs.epochs == int(cc.knob("epochs"))
    assert pairs.steps == pairs.epochs * len(holds) // pairs.batch_size
    # Crop_PICTURE [4, 4, 92, 68] reformatted: 88 x 64 on both sides.
    assert all(s.shape == (64, 88, 3) for s in pairs.sources + pairs.targets)
    assert pairs.preview.shape == (64, 88, 3) and pairs.mode == "chroma"


def test_chroma_target_is_source_luma_plus_aligned_reference_chroma(ml_job):
    from nuke_restore.imaging.colour import rgb_to_ycbcr
    from nuke_restore.ml import data

    cfg_path, gt = ml_job
    cfg = load_config(cfg_path)
    pairs = data.load_pairs(cfg, "SH010", "chroma")
    proc = data.procedure(cfg, "chroma")
    _clip, frame = pairs.frames[0]
    src = data.read_linear(str(cfg.base_dir / cfg.clips["main"].source), frame)
    ref = data.read_linear(str(cfg.base_dir / cfg.clips["main"].reference), frame)
    aligned = data.align_reference(cfg, proc, src, ref, frame)
    box = cfg.alignment.crop
    s, r = data.crop_box(src, box), data.median(data.crop_box(aligned, box), 2)
    t = pairs.targets[0]
    inside = (s.min(-1) > 0.0) & (s.max(-1) < 1.0) & (t.min(-1) > 0.0) & (t.max(-1) < 1.0)
    assert inside.mean() > 0.5
    ys, yt = rgb_to_ycbcr(s), rgb_to_ycbcr(pairs.targets[0])
    np.testing.assert_allclose(yt[..., 0][inside], ys[..., 0][inside], atol=2e-6)
    yr = rgb_to_ycbcr(r)
    np.testing.assert_allclose(yt[..., 1:][inside], yr[..., 1:][inside], atol=2e-6)
    # The keyed Transform registers the reference: registering again finds (nearly) nothing left.
    from nuke_restore.imaging import align

    def shift(r):
        t = align.estimate(src, r).transform
        return float(np.hypot(*t.translate))

    assert shift(ref) > 0.5 and shift(aligned) < 0.25, (shift(ref), shift(aligned))
    assert gt["first"] <= frame <= gt["last"]


def test_spatial_pairs_prefilter_the_source_and_take_reference_luma(ml_job):
    from nuke_restore.imaging.colour import rgb_to_ycbcr
    from nuke_restore.ml import data

    cfg = load_config(ml_job[0])
    pairs = data.load_pairs(cfg, "SH010", "spatial")
    assert pairs.mode == "full" and pairs.settings["source_median"] == 3
    _c, frame = pairs.frames[0]
    raw = data.crop_box(data.read_linear(str(cfg.base_dir / cfg.clips["main"].source), frame),
                        cfg.alignment.crop)
    filtered = data.crop_box(data.median(
        data.read_linear(str(cfg.base_dir / cfg.clips["main"].source), frame), 3),
        cfg.alignment.crop)
    np.testing.assert_allclose(pairs.sources[0], np.clip(filtered, 0, 1), atol=1e-6)
    assert np.abs(pairs.sources[0] - np.clip(raw, 0, 1)).max() > 1e-3
    # Target CbCr is the (pre-filtered) Source's where nothing clamps.
    ys, yt = rgb_to_ycbcr(pairs.sources[0]), rgb_to_ycbcr(pairs.targets[0])
    inside = (pairs.targets[0].min(-1) > 0.0) & (pairs.targets[0].max(-1) < 1.0) & \
        (pairs.sources[0].min(-1) > 0.0) & (pairs.sources[0].max(-1) < 1.0)
    np.testing.assert_allclose(yt[..., 1:][inside], ys[..., 1:][inside], atol=2e-6)


def test_bad_names_are_one_line_errors(ml_job):
    from nuke_restore.errors import NukeRestoreError
    from nuke_restore.ml import data

    cfg = load_config(ml_job[0])
    with pytest.raises(NukeRestoreError, match="no procedure 'nope'"):
        data.load_pairs(cfg, "SH010", "nope")
    with pytest.raises(NukeRestoreError, match="no shot or unit named 'SH999'"):
        data.load_pairs(cfg, "SH999", "chroma")
