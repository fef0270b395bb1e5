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


def test_frame_charts_tick_whole_frames_and_keep_the_legend_off_the_plot():
    import re

    from nuke_restore.imaging import report

    svg = report.line_chart([1001, 1002, 1003, 1004], {"a": [1, 2, 3, 4], "b": [4, 3, 2, 1]},
                            "t", "y")
    xt = [t for t in re.findall(r'text-anchor="middle" class="tk">([^<]+)<', svg) if t not in ("frame", "y")]
    assert xt and all(t.isdigit() for t in xt)  # no 1001.5
    plot_right = 56 + (660 - 56 - 150)
    legend_x = [float(x) for x in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="10"', svg)]
    assert legend_x and all(x > plot_right for x in legend_x)


def test_heat_maps_use_their_own_percentile_and_crops_find_detail():
    from nuke_restore.imaging import qc

    small = np.linspace(0, 0.004, 10000).reshape(100, 100)
    img, top = qc._heat(small, "luma")
    assert top == pytest.approx(np.percentile(small, 99.5))
    assert img.max() > 0.9  # a small error still reaches white on its own scale
    frame = np.full((200, 300, 3), 0.5, np.float32)
    assert qc.detail_box(frame, 100) == (100, 50, 100)  # flat: the centre
    frame[20:60, 230:280] = np.random.default_rng(0).random((40, 50, 3))
    x0, y0, side = qc.detail_box(frame, 100)
    assert x0 <= 230 and x0 + side >= 280 and y0 <= 20 and y0 + side >= 60


def test_best_is_highlighted_only_between_two_or_more_renders():
    from nuke_restore.imaging import qc

    def result(names):
        vals = {f: {n: {k: float(i + f % 3) for k, _, _ in qc.METRICS["chroma"]}
                    for i, n in enumerate(names)} for f in (1, 2)}
        return qc.QCResult("chroma", [1, 2], vals, names)

    assert 'class="best"' not in qc.render_html(result(["source", "reference", "baseline"]))
    assert 'class="best"' in qc.render_html(result(["source", "reference", "baseline", "output"]))


EVAL = {"model": "/runs/SH010_chroma_torch.pt", "frames": [1003, 1008], "fit_frames": [1001, 1010],
        "metrics": {"source": {"psnr": 19.0, "psnr_y": 21.9, "de00_mean": 11.6, "de00_p95": 20.8},
                    "model": {"psnr": 38.2, "psnr_y": 41.0, "de00_mean": 1.58, "de00_p95": 3.79},
                    "lut3d": {"psnr": 37.8, "psnr_y": 40.1, "de00_mean": 1.50, "de00_p95": 3.80},
                    "chroma_ceiling": {"psnr": 40.0, "psnr_y": 45.0, "de00_mean": 0.5,
                                       "de00_p95": 1.0}},
        "best_baseline": "lut3d", "model_minus_best_baseline_db": 0.38,
        "reference_frames": {"1003": 3, "1008": 8}, "reference_scale": 2.0}


def test_model_evaluation_is_a_section_of_the_report(tmp_path):
    import json
    import re

    from nuke_restore.imaging import model_eval

    def result():
        vals = {f: {n: {k: float(i + f % 3) for k, _, _ in qc.METRICS["chroma"]}
                    for i, n in enumerate(["source", "output"])} for f in (1, 2)}
        return qc.QCResult("chroma", [1, 2], vals, ["source", "output"])

    plain = result()
    assert "Headless model" not in qc.render_html(plain)
    assert "model_evaluation" not in plain.to_json()
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(EVAL))
    r = result()
    r.model_eval = model_eval.load_model_eval(path)
    text = qc.render_html(r)
    sec = text[text.index("Headless model vs colour baselines"):]
    sec = sec[:sec.index("</section>")]
    rows = re.findall(r"<tr><td[^>]*>(\w+)</td>(.*?)</tr>", sec)
    assert [n for n, _ in rows] == ["source", "model", "lut3d", "chroma_ceiling"]
    best = {n: re.findall(r'class="best">([\d.]+)<', cells) for n, cells in rows}
    # PSNRs: the model is best among candidates; dE00 mean: the LUT; the ceiling is never "best".
    assert best["model"] == ["38.200", "41.000", "3.790"] and best["lut3d"] == ["1.500"]
    assert best["chroma_ceiling"] == [] and best["source"] == []
    assert "+0.38 dB" in sec and "1003&rarr;3" in sec and "scale 2" in sec
    assert r.to_json()["model_evaluation"]["best_baseline"] == "lut3d"
    # Bad evaluate JSON: one line naming the file and the field.
    for doc, field in (({"metrics": {"model": {"psnr": "x"}}}, "metrics.model.psnr"),
                       ({"frames": []}, "metrics"),
                       ({"metrics": {"source": EVAL["metrics"]["source"]}}, "metrics.model")):
        path.write_text(json.dumps(doc))
        with pytest.raises(ImagingError, match=re.escape(field)) as exc:
            model_eval.load_model_eval(path)
        assert str(path) in str(exc.value) and "\n" not in str(exc.value)
    path.write_text("{")
    with pytest.raises(ImagingError, match="not valid JSON"):
        model_eval.load_model_eval(path)
