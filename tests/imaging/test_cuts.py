"""Cut and dissolve detection on footage with known transitions, grain, flicker and flashes."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("OpenImageIO")

from nuke_restore.errors import ImagingError  # noqa: E402
from nuke_restore.imaging import cuts, samples  # noqa: E402
from nuke_restore.imaging.sequence import FrameSequence  # noqa: E402


@pytest.fixture(scope="module")
def bench():
    """10 shots (two same-photo cuts, two dissolves) with flashes inside shots, in memory."""
    lengths = [14, 12, 16, 13, 15, 12, 14, 16, 12, 14]
    plan = samples.plan_timeline(10, lengths, (160, 90), seed=5, dissolves=(3, 7),
                                 dissolve_length=8, same_photo_cuts=(2, 5), first_frame=0)
    flashes = [(s.first + s.last) // 2 for s in plan["shots"][::4]]
    frames = [img for _f, img in samples.iter_frames(plan, "source", seed=5,
                                                     events={"flash": flashes})]
    return plan, frames, flashes


def test_finds_cuts_and_dissolves(bench):
    plan, frames, flashes = bench
    thumbs = [cuts.thumbnail(f) for f in frames]
    found = cuts.detect_transitions(thumbs)
    score = cuts.score_transitions(found, plan["transitions"], tolerance=1)
    assert score["f1"] >= 0.95, (score, [(t.kind, t.frame) for t in found], plan["transitions"])
    kinds = {t.kind for t in found}
    assert "dissolve" in kinds and "cut" in kinds
    # every true dissolve is reported as a dissolve spanning its middle
    for gt in plan["transitions"]:
        if gt["type"] == "dissolve":
            hit = [t for t in found if t.kind == "dissolve" and gt["first"] - 1 <= t.frame <= gt["last"] + 1]
            assert hit and hit[0].first <= gt["frame"] <= hit[0].last + 1
    # flashes are not cuts
    for fl in flashes:
        assert not any(t.kind == "cut" and t.frame in (fl, fl + 1) for t in found)


def test_uint8_frames_give_the_same_answer(bench):
    plan, frames, _ = bench
    as8 = [np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames]
    a = [t.frame for t in cuts.detect_transitions([cuts.thumbnail(f) for f in frames])]
    b = [t.frame for t in cuts.detect_transitions([cuts.thumbnail(f) for f in as8])]
    assert a == b


def test_grain_and_flicker_alone_make_no_cut():
    plan = samples.plan_timeline(1, 40, (96, 72), seed=2, dissolves=(), first_frame=0)
    fade = samples.FadeParams(grain=0.05, flicker=0.12)
    frames = [img for _f, img in samples.iter_frames(plan, "source", fade=fade, seed=2)]
    assert cuts.detect_transitions([cuts.thumbnail(f) for f in frames]) == []


def test_shots_from_transitions_cover_the_range():
    tr = [cuts.Transition("cut", 10, 10, 10, 1.0), cuts.Transition("dissolve", 20, 18, 22, 1.0)]
    assert cuts.shots_from_transitions(1, 30, tr) == [(1, 9), (10, 19), (20, 30)]
    assert cuts.frames_in_transitions(tr) == [18, 19, 20, 21, 22]


def test_scoring():
    truth = [{"frame": 10}, {"frame": 30, "first": 27, "last": 33}]
    assert cuts.score_transitions([11, 28], truth)["f1"] == 1.0
    s = cuts.score_transitions([12, 30, 50], truth)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 1)
    assert cuts.score_transitions([], [])["f1"] == 1.0


def test_detect_cuts_on_files(tmp_path):
    gt = samples.make_shot_sequence(tmp_path, n_shots=3, frames_per_shot=10, size=(128, 96),
                                    seed=4, dissolves=(), reference=False, truth=False)
    seq = FrameSequence.from_path(gt["source"])
    res = cuts.detect_cuts(seq)
    assert [t.frame for t in res.transitions] == gt["cuts"]
    assert res.shots == [(1001, 1010), (1011, 1020), (1021, 1030)]
    with pytest.raises(ImagingError, match="at least 2 frames"):
        cuts.detect_cuts(FrameSequence.from_path(seq.path(1001), first=1001, last=1001))
