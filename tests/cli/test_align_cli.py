"""``nuke-restore align`` on sample footage with known reference warps."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("OpenImageIO")
from nuke_restore.cli import main  # noqa: E402
from nuke_restore.imaging import geometry  # noqa: E402


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    samples = pytest.importorskip("nuke_restore.imaging.samples")
    out = tmp_path_factory.mktemp("align_footage")
    try:
        return samples.make_shot_sequence(out / "f", n_shots=1, frames_per_shot=4,
                                          size=(192, 144), seed=3, dissolves=(), events=False,
                                          truth=False)
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"sample footage unavailable: {exc}")


def _true_nuke(gt, frame):
    w, h = gt["size"]
    return geometry.nuke_from_sampling(np.array(gt["warps"][str(frame)]["src_to_ref"]), h)


def test_json_values_register_the_reference(footage, capsys, tmp_path):
    png = tmp_path / "res.png"
    rc = main(["align", footage["source"], footage["reference"], "--per-frame", "--json",
               "--residual-image", str(png)])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["frames"]) == {str(f) for f in footage["frames"]}
    w, h = footage["size"]
    for f, v in doc["frames"].items():
        assert set(v) >= {"translate", "rotate", "scale", "center", "residual"}
        assert v["center"] == [w / 2, h / 2]
        m = geometry.nuke_matrix(v["translate"], v["rotate"], v["scale"], v["center"])
        assert geometry.corner_error(m, _true_nuke(footage, f), w, h) < 0.25
        assert v["residual"] < 0.3
    assert png.stat().st_size > 1000
    from nuke_restore.imaging.sequence import read_image

    assert read_image(png).shape[1] > 2 * w  # before | after side by side


def test_shot_mode_writes_one_transform_and_refuses_overwrite(footage, tmp_path, capsys):
    out = tmp_path / "align.json"
    assert main(["align", footage["source"], footage["reference"], "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["mode"] == "shot" and "shot" in doc
    vals = {json.dumps({k: v[k] for k in ("translate", "rotate", "scale")})
            for v in doc["frames"].values()}
    assert len(vals) == 1
    capsys.readouterr()
    assert main(["align", footage["source"], footage["reference"], "-o", str(out)]) == 1
    assert "exists" in capsys.readouterr().err


def test_missing_frame_and_size_mismatch_are_clear_errors(footage, tmp_path, capsys):
    rc = main(["align", footage["source"], footage["reference"], "--frames", "1001-1100"])
    assert rc == 1
    assert "missing frame" in capsys.readouterr().err
    from nuke_restore.imaging.sequence import write_image

    small = tmp_path / "small.1001.exr"
    write_image(small, np.zeros((50, 60, 3), np.float32))
    rc = main(["align", footage["source"], str(tmp_path / "small.####.exr"), "--frames", "1001"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "aspect" in err and "60x50" in err


def test_unreadable_frame_is_a_clear_error(footage, tmp_path, capsys):
    bad = tmp_path / "bad.1001.exr"
    bad.write_bytes(b"not an image at all")
    rc = main(["align", footage["source"], str(tmp_path / "bad.####.exr"), "--frames", "1001"])
    assert rc == 1
    assert "bad.1001.exr" in capsys.readouterr().err


def test_proxy_results_are_reported_at_full_resolution(footage, capsys):
    rc = main(["align", footage["source"], footage["reference"], "--per-frame", "--json",
               "--proxy", "2", "--frames", "1001-1002"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    w, h = footage["size"]
    for f, v in doc["frames"].items():
        assert v["center"] == [w / 2, h / 2]
        m = geometry.nuke_matrix(v["translate"], v["rotate"], v["scale"], v["center"])
        # Half resolution costs accuracy, but the values must be full-resolution pixels.
        assert geometry.corner_error(m, _true_nuke(footage, f), w, h) < 0.6


def test_a_picture_without_texture_is_reported_unverified(tmp_path, capsys):
    """No tiles to measure: the residual is null and the warning says why, not 'above 0.25 px'."""
    from nuke_restore.imaging.sequence import write_image

    yy, xx = np.mgrid[0:144, 0:192].astype(np.float32)
    ramp = np.stack([xx / 192, yy / 144, 0.5 + 0 * xx], -1)
    for f in (1001, 1002):
        write_image(tmp_path / f"src.{f}.exr", ramp)
        write_image(tmp_path / f"ref.{f}.exr", np.roll(ramp, 2, axis=1))
    rc = main(["align", str(tmp_path / "src.####.exr"), str(tmp_path / "ref.####.exr"),
               "--per-frame", "--json"])
    captured = capsys.readouterr()
    assert rc == 0
    doc = json.loads(captured.out)
    assert all(v.get("residual") is None for v in doc["frames"].values())
    assert "residual not measurable on frame(s) [1001, 1002]" in captured.err
    assert "residual above" not in captured.err
