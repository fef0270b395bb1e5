"""``nuke-restore qc``: metrics that see what they should, a self-contained report."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("OpenImageIO")
from nuke_restore.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Source, aligned reference, and two chroma renders: one keeps luma, one breaks it."""
    from nuke_restore.imaging.colour import rgb_to_ycbcr, ycbcr_to_rgb
    from nuke_restore.imaging.sequence import write_image

    samples = pytest.importorskip("nuke_restore.imaging.samples")
    try:
        photo = samples.load_photo("astronaut")[::4, ::4]  # 128x128 real photograph
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"bundled photograph unavailable: {exc}")
    root = tmp_path_factory.mktemp("qc")
    rng = np.random.default_rng(0)
    for f in (1, 2, 3):
        truth = np.clip(photo + 0.01 * f, 0, 1).astype(np.float32)
        src = np.clip(truth * [1.2, 0.8, 0.9] + rng.normal(0, 0.01, truth.shape), 0, 1)
        y_src = rgb_to_ycbcr(src)
        good = ycbcr_to_rgb(np.concatenate([y_src[..., :1], rgb_to_ycbcr(truth)[..., 1:]], -1))
        bad = np.clip(good * 0.8, 0, 1)  # right hue but the luma moved: a failed chroma job
        for name, img in (("src", src), ("ref", truth), ("good", good), ("bad", bad),
                          ("truth", truth)):
            write_image(root / f"{name}.{f:04d}.png", np.clip(img, 0, 1), "uint16")
    return root


def test_chroma_report_is_self_contained_and_has_metrics(renders, tmp_path, capsys):
    report = tmp_path / "qc.html"
    js = tmp_path / "qc.json"
    rc = main(["qc", "--source", str(renders / "src.####.png"),
               "--reference", str(renders / "ref.####.png"),
               "--baseline", str(renders / "bad.####.png"),
               "--output", str(renders / "good.####.png"),
               "--truth", str(renders / "truth.####.png"),
               "--mode", "chroma", "-o", str(report), "--json", str(js)])
    assert rc == 0, capsys.readouterr().err
    text = report.read_text()
    # Self-contained: images inline, no external resources, no scripts.
    assert text.count("data:image/png;base64,") >= 6
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", text)
    assert "<script" not in text.lower()
    assert "<svg" in text and "dE00 vs reference" in text and "luma PSNR vs source" in text
    doc = json.loads(js.read_text())
    s = doc["summary"]
    # The luma-preserving render wins on luma and matches the reference colour.
    assert s["output"]["luma_psnr_src"] > s["baseline"]["luma_psnr_src"] + 10
    assert s["output"]["de00_ref"] < 0.5 * s["source"]["de00_ref"]
    assert s["output"]["luma_drift_p99"] < 0.02
    assert set(doc["per_frame"]) == {"1", "2", "3"}
    out = capsys.readouterr().out
    assert "output" in out and "report:" in out


def test_spatial_mode_sees_chroma_changes(renders, tmp_path):
    js = tmp_path / "qc.json"
    assert main(["qc", "--source", str(renders / "src.####.png"),
                 "--reference", str(renders / "ref.####.png"),
                 "--output", str(renders / "good.####.png"), "--mode", "spatial",
                 "-o", str(tmp_path / "r.html"), "--json", str(js)]) == 0
    s = json.loads(js.read_text())["summary"]
    # "good" replaced the source chroma: a spatial job must not do that.
    assert s["output"]["chroma_psnr_src"] < 35
    assert 0 < s["output"]["hf_ratio_ref"]


def test_errors(renders, tmp_path, capsys):
    base = ["qc", "--source", str(renders / "src.####.png"),
            "--reference", str(renders / "ref.####.png"), "--mode", "chroma",
            "-o", str(tmp_path / "r.html")]
    assert main(base) == 1
    assert "nothing to judge" in capsys.readouterr().err
    assert main(base + ["--output", str(renders / "good.####.png"), "--frames", "1-5"]) == 1
    assert "missing frame" in capsys.readouterr().err
    assert main(base + ["--output", str(renders / "good.####.png")]) == 0
    assert main(base + ["--output", str(renders / "good.####.png")]) == 1
    assert "exists" in capsys.readouterr().err


def test_align_option_registers_and_reports_the_residual(renders, tmp_path):
    report = tmp_path / "r.html"
    js = tmp_path / "qc.json"
    assert main(["qc", "--source", str(renders / "src.####.png"),
                 "--reference", str(renders / "ref.####.png"),
                 "--output", str(renders / "good.####.png"), "--mode", "chroma", "--align",
                 "-o", str(report), "--json", str(js)]) == 0
    res = json.loads(js.read_text())["alignment_residual_px"]
    assert set(res) == {"1", "2", "3"}
    assert all(v is not None and v < 0.25 for v in res.values())  # already registered pairs
    assert "registration residual" in report.read_text()
