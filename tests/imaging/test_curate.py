"""Curation: training frames per shot/scene/sequence, preview, avoidance of bad frames."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("OpenImageIO")

from nuke_restore.errors import ImagingError  # noqa: E402
from nuke_restore.imaging import curate as cur  # noqa: E402
from nuke_restore.imaging import samples  # noqa: E402
from nuke_restore.imaging.sequence import write_image  # noqa: E402


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    out = tmp_path_factory.mktemp("cur")
    return samples.make_shot_sequence(out, n_shots=3, frames_per_shot=14, size=(160, 120), seed=0,
                                      dissolves=(2,), dissolve_length=6)


@pytest.fixture(scope="module")
def result(footage):
    return cur.curate(footage["source"], footage["reference"])


def _shot_of(frame, shots):
    return [i for i, s in enumerate(shots) if s["first"] <= frame <= s["last"]]


def test_shots_match_the_known_cuts(result, footage):
    starts = [s["first"] for s in result["shots"][1:]]
    assert len(starts) == len(footage["cuts"])
    for got, want in zip(starts, footage["cuts"]):
        assert abs(got - want) <= 1
    assert [t["kind"] for t in result["transitions"]] == ["cut", "dissolve"]


def test_training_frames_never_straddle_a_cut(result, footage):
    diss = footage["dissolves"][0]
    for s in result["shots"]:
        assert all(s["first"] <= f <= s["last"] for f in s["train"])
        assert len(s["train"]) == 4 and len(set(s["train"])) == 4
        for f in s["train"] + [s["preview"]]:
            assert not diss[0] <= f <= diss[1], f"{f} is a dissolve frame {diss}"
    # the truth's shot of each training frame is the shot it was listed under
    for s in result["shots"]:
        gts = {i for f in s["train"] for i in _shot_of(f, footage["shots"])}
        assert len(gts) == 1


def test_first_and_last_and_preview(result, footage):
    s0 = result["shots"][0]
    assert s0["train"][0] == s0["first"] and s0["train"][-1] == s0["last"]
    for s in result["shots"]:
        assert s["preview"] is not None and s["preview"] not in s["train"]
        assert s["first"] <= s["preview"] <= s["last"]
        assert min(s["train"]) < s["preview"] < max(s["train"])


def test_bad_frames_are_avoided_with_reasons(result, footage):
    ev = footage["events"]
    picked = {f for s in result["shots"] for f in s["train"] + [s["preview"]]}
    for kind in ("flash", "blur", "reference_defect"):
        for f in ev[kind]:
            assert f not in picked, (kind, f)
    excluded = {int(f): why for s in result["shots"] for f, why in s["excluded"].items()}
    assert "flash" in excluded[ev["flash"][0]]
    assert "blur" in excluded[ev["blur"][0]]
    assert "reference" in excluded[ev["reference_defect"][0]]


def test_coverage_is_reported(result):
    for u in result["units"]:
        assert u["coverage_radius"] >= u["coverage_mean"] >= 0.0
        assert u["coverage_radius_uniform"] > 0.0


def test_escalation_keeps_earlier_picks(footage):
    base = cur.curate(footage["source"], options=cur.CurateOptions())
    up1 = cur.curate(footage["source"], options=cur.CurateOptions(escalate=1))
    up2 = cur.curate(footage["source"], options=cur.CurateOptions(escalate=2))
    for a, b, c in zip(base["shots"], up1["shots"], up2["shots"]):
        assert set(a["train"]) <= set(b["train"]) <= set(c["train"])
        usable = c["last"] - c["first"] + 1 - len(c["excluded"])
        assert len(b["train"]) == min(7, usable - 1)
        assert len(c["train"]) == min(11, usable - 1)
        assert c["preview"] not in c["train"]
    assert up2["train_per_unit"] == 11


def test_scene_and_sequence_granularity(footage):
    seq = cur.curate(footage["source"], options=cur.CurateOptions(granularity="sequence", train=8))
    assert len(seq["units"]) == 1
    train = sorted(f for s in seq["shots"] for f in s["train"])
    assert len(train) == 8 and train == seq["units"][0]["train"]
    assert all(s["train"] for s in seq["shots"])  # stratified: every shot contributes
    sc = cur.curate(footage["source"], options=cur.CurateOptions(granularity="scene", train=6))
    assert len(sc["units"]) == len(sc["scenes"])
    for u in sc["units"]:
        assert len(u["train"]) <= 6


def test_escalate_picks_midpoints():
    assert cur.escalate_picks([0, 10, 20, 30], range(31), 7) == [0, 5, 10, 15, 20, 25, 30]
    assert cur.escalate_picks([0, 30], [0, 1, 30], 4) == [0, 1, 30]


def test_farthest_point_covers_clusters():
    pts = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [10.0]])
    chosen = cur.farthest_point(pts, [0], 3)
    assert sorted(chosen) == [0, 3, 5] or sorted(chosen) == [0, 4, 5]
    r, _ = cur.coverage_radius(pts, chosen)
    assert r <= 0.2 + 1e-9


def _frames(tmp_path, name, n, size=(40, 30), seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        write_image(tmp_path / f"{name}.{1001 + i:04d}.png",
                    rng.random((size[1], size[0], 3)).astype(np.float32), "uint8")
    return str(tmp_path / f"{name}.####.png")


def test_too_few_frames(tmp_path):
    with pytest.raises(ImagingError, match="too few frames"):
        cur.curate(_frames(tmp_path, "two", 2))


def test_missing_frames(tmp_path):
    pat = _frames(tmp_path, "gap", 6)
    (tmp_path / "gap.1003.png").unlink()
    with pytest.raises(ImagingError, match="missing frames 1003"):
        cur.curate(pat)


def test_other_aspect_reference_is_refused(tmp_path):
    src = _frames(tmp_path, "src", 4, (40, 30))
    ref = _frames(tmp_path, "ref", 4, (32, 32))
    with pytest.raises(ImagingError, match=r"32x32 \(aspect 1.000\) but the source is 40x30"):
        cur.curate(src, ref)


def test_reference_missing_frames(tmp_path):
    src = _frames(tmp_path, "src", 5)
    ref = _frames(tmp_path, "ref", 4)
    with pytest.raises(ImagingError, match=r"reference is missing frame\(s\) 1005 .*--allow-missing"):
        cur.curate(src, ref)


def test_corrupt_frame(tmp_path):
    pat = _frames(tmp_path, "bad", 5)
    (tmp_path / "bad.1004.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ImagingError, match="bad.1004.png"):
        cur.curate(pat)


def test_frame_of_another_size_inside_the_sequence(tmp_path):
    pat = _frames(tmp_path, "odd", 5)
    write_image(tmp_path / "odd.1003.png", np.zeros((20, 40, 3), np.float32), "uint8", force=True)
    with pytest.raises(ImagingError, match="frame 1003 is 40x20"):
        cur.curate(pat)


def test_off_by_one_reference_frames_are_avoided(footage, tmp_path):
    """A reference that slipped a frame (each shows its predecessor) must not give pairs."""
    import shutil
    from pathlib import Path

    ref_dir = Path(footage["reference"]).parent
    for p in ref_dir.iterdir():
        shutil.copy(p, tmp_path / p.name)
    s1 = footage["shots"][1]
    slipped = list(range(s1["first"] + 2, s1["first"] + 8))
    for f in reversed(slipped):
        shutil.copy(ref_dir / f"reference.{f - 1:04d}.jpg", tmp_path / f"reference.{f:04d}.jpg")
    res = cur.curate(footage["source"], str(tmp_path / "reference.####.jpg"))
    picked = {f for s in res["shots"] for f in s["train"]}
    excluded = {int(f): why for s in res["shots"] for f, why in s["excluded"].items()}
    flagged = [f for f in slipped if f in excluded]
    assert len(flagged) >= len(slipped) - 2, excluded
    assert not picked & set(flagged)
    assert any("off by one" in excluded[f] for f in flagged)


def test_validation_hold_out(footage):
    res = cur.curate(footage["source"], options=cur.CurateOptions(validation=0.25))
    for s in res["shots"]:
        val = s["validation"]
        assert len(val) == 1  # ceil(0.25 * 4)
        assert not set(val) & set(s["train"]) and s["preview"] not in val
        assert all(s["first"] <= f <= s["last"] and str(f) not in s["excluded"] for f in val)
    assert "validation" not in cur.curate(footage["source"])["shots"][0]
