"""Issue 10 section 4 (images): a decoded-image memory budget checked from headers before any
pixel is decoded, and NaN/Inf pixels refused with a clear message (never NaN in our JSON)."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nuke_restore.cli import main

pytest.importorskip("OpenImageIO")

from nuke_restore.imaging import sequence as seq  # noqa: E402
from nuke_restore.imaging.sequence import write_image  # noqa: E402


def _seq(folder, name, n=5, w=96, h=64, seed=0, ext="exr", nan_frame=None):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(1001, 1001 + n):
        img = (rng.random((h, w, 3)) * 0.5 + 0.1).astype(np.float32)
        if f == nan_frame:
            img[5, 7, 0] = np.nan
            img[9, 3, 2] = np.inf
        write_image(folder / f"{name}.{f:04d}.{ext}", img, "half" if ext == "exr" else "uint8")
    return str(folder / f"{name}.####.{ext}")


def _huge_headers(folder, name, n=5, size=16384):
    """Tiny files whose headers promise 16k x 16k pixels (PPM: a 20-byte header, no pixels)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(1001, 1001 + n):
        (folder / f"{name}.{f:04d}.ppm").write_bytes(f"P6\n{size} {size}\n255\n".encode()
                                                      + b"\0" * 64)
    return str(folder / f"{name}.####.ppm")


def test_nan_pixels_are_refused_by_curate(tmp_path, capsys):
    src = _seq(tmp_path / "src", "src", nan_frame=1003)
    out = tmp_path / "curation.json"
    rc = main(["curate", src, "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "src.1003.exr" in err and "2 pixel(s) are NaN or infinite" in err and "x=7, y=5" in err
    assert not out.exists()


def test_clean_exr_curates_without_nan_in_json(tmp_path, capsys):
    src = _seq(tmp_path / "src", "src")
    out = tmp_path / "curation.json"
    assert main(["curate", src, "-o", str(out)]) == 0
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the curation JSON"))


def test_budget_refuses_before_decoding(tmp_path, capsys):
    src = _huge_headers(tmp_path / "src", "src")
    ref = _huge_headers(tmp_path / "ref", "ref")
    out = tmp_path / "align.json"
    rc = main(["--memory-budget", "2G", "align", src, ref, "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "16384x16384" in err and "memory budget of 2.0 GiB" in err and "--memory-budget" in err
    assert not out.exists()


def test_budget_from_the_environment_in_a_subprocess(tmp_path):
    """Five 16k x 16k frames (3 GiB each decoded) against a 1 GiB budget: refused at the first
    header, with a small peak memory."""
    src = _huge_headers(tmp_path / "src", "src")
    ref = _huge_headers(tmp_path / "ref", "ref")
    code = ("import atexit, resource, sys\n"
            "atexit.register(lambda: print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss, file=sys.stderr))\n"
            "from nuke_restore.cli import main\n"
            f"sys.exit(main(['align', {src!r}, {ref!r}, '-o', {str(tmp_path / 'a.json')!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, seq.BUDGET_ENV: "1G"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "needs 3.0 GiB" in proc.stderr and "memory budget of 1.0 GiB" in proc.stderr
    peak_kb = int(proc.stderr.split("PEAK_KB")[1].split()[0])
    assert peak_kb < 512 * 1024, peak_kb  # the process never got near one decoded frame
    assert not (tmp_path / "a.json").exists()


def test_budget_counts_live_images_and_releases_them(tmp_path, monkeypatch):
    src = _seq(tmp_path / "src", "src", n=3, w=64, h=64)
    one = 64 * 64 * 3 * 4
    gc.collect()
    already = seq._budget_live[0]  # images other tests in this process still hold
    monkeypatch.setenv(seq.BUDGET_ENV, str(already + 2 * one + 100))
    s = seq.FrameSequence.from_path(src)
    a = s.read(1001)
    b = s.read(1002)
    with pytest.raises(seq.ImagingError, match="already in memory"):
        s.read(1003)
    del a
    c = s.read(1003)  # a's memory was given back
    assert c.shape == (64, 64, 3) and b.shape == (64, 64, 3)


def test_parse_size():
    assert seq.parse_size("8G") == 8 * 1024**3
    assert seq.parse_size("512m") == 512 * 1024**2
    assert seq.parse_size("1000") == 1000
    for bad in ("", "lots", "-1G", "1e400", "0"):
        with pytest.raises(ValueError):
            seq.parse_size(bad)


def test_bad_budget_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--memory-budget", "lots", "curate", "x"])
    assert info.value.code == 2
    assert "--memory-budget" in capsys.readouterr().err
