"""QC building blocks: PNG encoder, SVG charts, per-mode metrics, the demo report."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")
from nuke_restore.errors import ImagingError  # noqa: E402
from nuke_restore.imaging import qc, report  # noqa: E402


def test_png_encoder_round_trips_through_openimageio(tmp_path):
    pytest.importorskip("OpenImageIO")
    from nuke_restore.imaging.sequence import read_image

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    p = tmp_path / "x.png"
    p.write_bytes(report.png_bytes(img))
    back = np.round(read_image(p) * 255).astype(np.uint8)
    np.testing.assert_array_equal(back, img)
    grey = report.png_bytes(np.linspace(0, 1, 30).reshape(5, 6))
    assert grey.startswith(b"\x89PNG") and report.png_bytes(img) == report.png_bytes(img)


def test_line_chart_is_inline_svg_with_every_series():
    svg = report.line_chart([1001, 1002, 1003], {"a": [1, 2, 3], "b": [3, float("nan"), 1]},
                            "title <x>")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2 and "nan" not in svg.lower()  # gaps are skipped
    assert svg.count("<circle") == 5
    assert "title &lt;x&gt;" in svg and ">a<" in svg and ">b<" in svg
    assert "no data" in report.line_chart([], {}, "empty")


def test_chroma_metrics_separate_luma_keeping_from_luma_breaking():
    rng = np.random.default_rng(1)
    src = rng.random((40, 50, 3)).astype(np.float32) * 0.8 + 0.1
    ref = src[..., ::-1].copy()
    keep = src.copy()
    broken = np.clip(src * 0.7, 0, 1)
    m = qc.frame_metrics(src, ref, {"keep": keep, "broken": broken}, "chroma")
    assert m["keep"]["luma_psnr_src"] == float("inf")
    assert m["broken"]["luma_psnr_src"] < 30
    assert m["reference"]["de00_ref"] == 0.0
    assert m["keep"]["de00_ref"] > 1.0


def test_bad_mode_and_size():
    a = np.zeros((8, 8, 3), np.float32)
    with pytest.raises(ImagingError, match="mode"):
        qc.frame_metrics(a, a, {}, "sharpen")
    with pytest.raises(ImagingError, match="x"):
        qc.frame_metrics(a, a, {"out": a[:4]}, "chroma")


@pytest.mark.slow
def test_demo_report(tmp_path):
    samples = pytest.importorskip("nuke_restore.imaging.samples")
    gt = samples.make_demo_footage(tmp_path / "footage")
    path = qc.demo_report(gt, tmp_path / "qc")
    text = path.read_text()
    assert "baseline (poly)" in text and "freq-split target" in text
