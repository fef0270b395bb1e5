"""``nuke-restore baseline`` on sample footage with ground truth."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("OpenImageIO")
from nuke_restore.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    samples = pytest.importorskip("nuke_restore.imaging.samples")
    out = tmp_path_factory.mktemp("baseline_footage")
    try:
        return samples.make_shot_sequence(out / "f", n_shots=1, frames_per_shot=6,
                                          size=(160, 120), seed=5, dissolves=(), events=False)
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"sample footage unavailable: {exc}")


def test_fit_apply_and_export(footage, tmp_path, capsys):
    from nuke_restore.imaging import metrics
    from nuke_restore.imaging.sequence import read_image

    out = tmp_path / "bl"
    pattern = str(tmp_path / "render" / "b.####.exr")
    rc = main(["baseline", "--source", footage["source"], "--reference", footage["reference"],
               "--frames", "1001,1003,1006", "--method", "poly", "--align", "-o", str(out),
               "--apply", footage["source"], "--out", pattern])
    assert rc == 0, capsys.readouterr().err
    meta = json.loads((out / "baseline.json").read_text())
    assert meta["frames"] == [1001, 1003, 1006] and meta["method"] == "poly"
    assert (out / "baseline_poly.cube").read_text().count("\n") > 33 ** 3
    # Held-out frames get much closer to the true colours than the faded scan is.
    for f in (1002, 1004, 1005):
        truth = read_image(footage["truth"].replace("####", str(f)))
        src = read_image(footage["source"].replace("####", str(f)))
        got = read_image(pattern.replace("####", str(f)))
        assert got.shape == src.shape
        assert metrics.psnr(got, truth) > metrics.psnr(src, truth) + 6


def test_existing_outputs_are_not_overwritten(footage, tmp_path, capsys):
    out = tmp_path / "bl"
    args = ["baseline", "--source", footage["source"], "--reference", footage["reference"],
            "--method", "cdl", "-o", str(out)]
    assert main(args) == 0
    assert (out / "baseline.cc").exists()
    before = (out / "baseline.json").read_text()
    capsys.readouterr()
    assert main(args) == 1
    assert "exists" in capsys.readouterr().err
    assert (out / "baseline.json").read_text() == before
    assert main(args + ["--force"]) == 0


def test_apply_refuses_partial_overwrite(footage, tmp_path, capsys):
    render = tmp_path / "render"
    render.mkdir()
    (render / "b.1004.exr").write_bytes(b"user's file")
    rc = main(["baseline", "--source", footage["source"], "--reference", footage["reference"],
               "-o", str(tmp_path / "bl"), "--apply", footage["source"],
               "--out", str(render / "b.####.exr")])
    assert rc == 1
    assert sorted(p.name for p in render.iterdir()) == ["b.1004.exr"]
    assert not (tmp_path / "bl").exists()


def test_too_few_frames_and_bad_pattern(footage, tmp_path, capsys):
    from nuke_restore.imaging.sequence import write_image

    write_image(tmp_path / "one.1001.exr", np.zeros((120, 160, 3), np.float32))
    rc = main(["baseline", "--source", footage["source"],
               "--reference", str(tmp_path / "one.####.exr"), "--frames", "1001-1003"])
    assert rc == 1
    assert "missing frame" in capsys.readouterr().err


def test_no_frames_in_common_is_a_clear_error(footage, tmp_path, capsys):
    from nuke_restore.imaging.sequence import write_image

    write_image(tmp_path / "other.0001.exr", np.zeros((120, 160, 3), np.float32))
    rc = main(["baseline", "--source", footage["source"],
               "--reference", str(tmp_path / "other.####.exr"), "-o", str(tmp_path / "bl")])
    assert rc == 1
    assert "too few frames in common" in capsys.readouterr().err
    assert not (tmp_path / "bl").exists()


def test_a_corrupt_frame_half_way_leaves_no_partial_sequence(footage, tmp_path, capsys):
    """Frames written before the bad one, and the folders the run created, are removed again."""
    import shutil
    from pathlib import Path

    src = Path(footage["source"]).parent
    copy = tmp_path / "src"
    shutil.copytree(src, copy)
    bad = sorted(copy.iterdir())[3]
    bad.write_bytes(bad.read_bytes()[:200])  # truncated EXR
    pattern = copy / Path(footage["source"]).name
    rc = main(["baseline", "--source", footage["source"], "--reference", footage["reference"],
               "-o", str(tmp_path / "bl"), "--apply", str(pattern),
               "--out", str(tmp_path / "renders" / "v1" / "b.####.exr")])
    assert rc == 1
    assert bad.name in capsys.readouterr().err
    assert not (tmp_path / "renders").exists()
    assert not (tmp_path / "bl").exists()
