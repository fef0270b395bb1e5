"""`qc` on a render with a hole, `align --roi` reversed: refused in one line, nothing written."""
from __future__ import annotations

import numpy as np
import pytest

from nuke_restore.cli import main

pytest.importorskip("OpenImageIO")

from nuke_restore.imaging.sequence import write_image  # noqa: E402


def _seq(folder, name, frames, seed):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for f in frames:
        write_image(folder / f"{name}.{f:04d}.png", rng.random((48, 64, 3)), "uint8")
    return str(folder / f"{name}.####.png")


def test_qc_render_with_a_missing_frame(tmp_path, capsys):
    src = _seq(tmp_path / "src", "src", range(1001, 1006), 1)
    ref = _seq(tmp_path / "ref", "ref", range(1001, 1006), 2)
    out = _seq(tmp_path / "render", "out", [1001, 1002, 1004, 1005], 3)
    report = tmp_path / "qc.html"
    rc = main(["qc", "--source", src, "--reference", ref, "--output", out, "--mode", "chroma",
               "-o", str(report)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "out." in err and "missing frame(s) 1003" in err and "incomplete render" in err
    assert not report.exists()


def test_align_reversed_roi(tmp_path, capsys):
    src = _seq(tmp_path / "src", "src", range(1001, 1003), 1)
    out = tmp_path / "align.json"
    rc = main(["align", src, src, "--roi", "60,40,0,0", "-o", str(out)])
    assert rc == 1
    assert "--roi 60,40,0,0" in capsys.readouterr().err
    assert not out.exists()


def test_curate_frames_too_small(tmp_path, capsys):
    folder = tmp_path / "tiny"
    folder.mkdir()
    rng = np.random.default_rng(4)
    for f in range(1001, 1006):
        write_image(folder / f"t.{f:04d}.png", rng.random((4, 4, 3)), "uint8")
    out = tmp_path / "curation.json"
    rc = main(["curate", str(folder / "t.####.png"), "-o", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "t.1001.png" in err and "4x4 are too small to curate" in err
    assert not out.exists()


@pytest.mark.parametrize("argv, message", [
    (["--max-rotate", "-5"], "must be 0 or more degrees, got -5"),
    (["--max-scale", "0.5"], "a factor of 1 or more"),
    (["--proxy", "-1"], "--proxy must be 1 or more"),
])
def test_align_bad_search_options(tmp_path, capsys, argv, message):
    src = _seq(tmp_path / "src", "src", range(1001, 1003), 1)
    out = tmp_path / "align.json"
    assert main(["align", src, src, "-o", str(out), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("argv, message", [
    (["--escalate", "-1"], "--escalate must be at least 0"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--proxy", "-2"], "--proxy must be at least 1"),
])
def test_curate_bad_numbers(tmp_path, capsys, argv, message):
    src = _seq(tmp_path / "src", "src", range(1001, 1005), 1)
    assert main(["curate", src, *argv]) == 2
    assert message in capsys.readouterr().err


def test_qc_frames_too_small(tmp_path, capsys):
    folder = tmp_path / "tiny"
    folder.mkdir()
    rng = np.random.default_rng(6)
    for f in range(1001, 1004):
        write_image(folder / f"t.{f:04d}.png", rng.random((4, 4, 3)), "uint8")
    pattern = str(folder / "t.####.png")
    report = tmp_path / "qc.html"
    rc = main(["qc", "--source", pattern, "--reference", pattern, "--output", pattern,
               "--mode", "spatial", "-o", str(report)])
    assert rc == 1
    assert "4x4 are too small to measure" in capsys.readouterr().err
    assert not report.exists()


def test_baseline_too_few_pixels_names_the_source(tmp_path, capsys):
    folder = tmp_path / "tiny"
    folder.mkdir()
    rng = np.random.default_rng(7)
    for f in range(1001, 1004):
        write_image(folder / f"t.{f:04d}.png", rng.random((4, 4, 3)), "uint8")
    pattern = str(folder / "t.####.png")
    outdir = tmp_path / "fit"
    assert main(["baseline", "--source", pattern, "--reference", pattern, "-o", str(outdir)]) == 1
    err = capsys.readouterr().err
    assert f"{pattern}: too few valid pixels" in err
    assert not outdir.exists()


def test_truncated_png_is_one_line(tmp_path, capsys):
    src = _seq(tmp_path / "src", "src", range(1001, 1005), 8)
    victim = tmp_path / "src" / "src.1003.png"
    victim.write_bytes(victim.read_bytes()[:300])
    out = tmp_path / "curation.json"
    assert main(["curate", src, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "src.1003.png: frame 1003: corrupt or truncated" in err
    assert not out.exists()
