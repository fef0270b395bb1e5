"""Sample footage made from photographs in the scikit-image wheel, with its ground truth."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("OpenImageIO")

from nuke_restore.errors import OutputExistsError  # noqa: E402
from nuke_restore.imaging import samples  # noqa: E402
from nuke_restore.imaging.colour import linear_to_srgb  # noqa: E402
from nuke_restore.imaging.sequence import FrameSequence  # noqa: E402


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    out = tmp_path_factory.mktemp("footage")
    return samples.make_shot_sequence(out, n_shots=3, frames_per_shot=10, size=(128, 96), seed=3,
                                      dissolves=(2,), dissolve_length=4)


def test_photos_come_from_the_installed_wheel():
    for name in samples.PHOTOS:
        p = samples.photo_path(name)
        assert p.is_file() and "skimage" in str(p)
        img = samples.load_photo(name)
        assert img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 300
        assert 0.0 <= img.min() and img.max() <= 1.0


def test_files_and_ground_truth(footage):
    gt = footage
    src = FrameSequence.from_path(gt["source"])
    ref = FrameSequence.from_path(gt["reference"])
    truth = FrameSequence.from_path(gt["truth"])
    assert src.frames == ref.frames == truth.frames == gt["frames"]
    assert len(gt["frames"]) == 30 and gt["first"] == 1001
    assert src.size == ref.size == (128, 96)
    assert [t["type"] for t in gt["transitions"]] == ["cut", "dissolve"]
    d = gt["transitions"][1]
    assert d["first"] <= d["frame"] <= d["last"] and d["last"] - d["first"] + 1 == 4
    on_disk = json.loads(open(gt["ground_truth"]).read())
    assert on_disk["cuts"] == gt["cuts"] and on_disk["events"] == gt["events"]
    for f in gt["frames"]:
        a = np.array(gt["warps"][str(f)]["ref_to_src"])
        b = np.array(gt["warps"][str(f)]["src_to_ref"])
        assert np.allclose(a @ b, np.eye(3), atol=1e-9)


def test_source_is_faded_and_reference_keeps_colour(footage):
    truth = FrameSequence.from_path(footage["truth"])
    src = FrameSequence.from_path(footage["source"])
    ref = FrameSequence.from_path(footage["reference"])
    f = footage["frames"][3]
    t = linear_to_srgb(np.clip(truth.read(f), 0, 1))
    s = linear_to_srgb(np.clip(src.read(f), 0, 1))
    r = ref.read(f)
    err_src = float(np.abs(s.mean(axis=(0, 1)) - t.mean(axis=(0, 1))).max())
    err_ref = float(np.abs(r.mean(axis=(0, 1)) - t.mean(axis=(0, 1))).max())
    assert err_src > 2 * err_ref  # the fade moves the colour, the reference does not
    # pink fade: cyan dye loss raises red against green
    assert (s[..., 0] - s[..., 1]).mean() > (t[..., 0] - t[..., 1]).mean()


def test_reference_warp_is_the_true_misregistration(footage):
    """Sampling the clean picture through ref_to_src reproduces the reference better than no warp."""
    truth = FrameSequence.from_path(footage["truth"])
    ref = FrameSequence.from_path(footage["reference"])
    f = footage["frames"][5]
    clean = linear_to_srgb(np.clip(truth.read(f), 0, 1))
    r = ref.read(f)
    a = np.array(footage["warps"][str(f)]["ref_to_src"])
    warped = samples.warp(clean, a, (128, 96))
    inner = (slice(10, -10), slice(10, -10))
    identity = samples.warp(clean, np.eye(3), (128, 96))

    def corr(x, y):
        x = x[inner].mean(axis=2).ravel() - x[inner].mean()
        y = y[inner].mean(axis=2).ravel() - y[inner].mean()
        return float(x @ y / np.sqrt((x @ x) * (y @ y)))

    assert corr(warped, r) > corr(identity, r) + 0.01
    assert corr(warped, r) > 0.9


def test_events_are_marked(footage):
    ev = footage["events"]
    src = FrameSequence.from_path(footage["source"])
    flash = ev["flash"][0]
    assert src.read(flash).mean() > 1.3 * src.read(flash - 1).mean()
    assert ev["blur"] and ev["reference_defect"]


def test_deterministic_and_no_silent_overwrite(tmp_path, footage):
    gt = samples.make_shot_sequence(tmp_path / "again", n_shots=3, frames_per_shot=10,
                                    size=(128, 96), seed=3, dissolves=(2,), dissolve_length=4,
                                    reference=False, truth=False)
    a = FrameSequence.from_path(gt["source"]).read(1004)
    b = FrameSequence.from_path(footage["source"]).read(1004)
    assert np.array_equal(a, b)
    with pytest.raises(OutputExistsError):
        samples.make_shot_sequence(tmp_path / "again", n_shots=3, frames_per_shot=10)
    assert samples.sample_ground_truth(tmp_path / "again")["cuts"] == footage["cuts"]


def test_in_memory_frames_match_plan():
    plan = samples.plan_timeline(2, [5, 6], (64, 48), seed=1, dissolves=(), first_frame=0)
    frames = list(samples.iter_frames(plan, "clean"))
    assert [f for f, _ in frames] == list(range(11))
    assert frames[0][1].shape == (48, 64, 3)
    assert plan["transitions"] == [{"type": "cut", "frame": 5, "same_photo": False}]
