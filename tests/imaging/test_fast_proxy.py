"""The fast curate read/analysis path is pinned to the plain one it replaced.

* ``proxy_downscale`` (OpenCV strips) equals ``box_downscale`` on the decoded values within float
  rounding, for every pixel type a proxy read decodes natively (half, uint8, uint16) and for
  sizes that do not divide by the factor;
* proxy reads of half EXR, 8-bit JPEG and 10-bit DPX equal a full float read box-filtered;
* ``_blur3`` and ``measure`` are bit-identical to the padded formulation;
* OpenColorIO ``convert`` equals the processor's ``applyRGB``;
* ``curate`` gives the same JSON with and without OpenCV (the numpy fallback is the old path).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("OpenImageIO")

from nuke_restore.imaging import curate as cur  # noqa: E402
from nuke_restore.imaging import samples  # noqa: E402
from nuke_restore.imaging import sequence as seqmod  # noqa: E402


def _needs_cv2():
    if seqmod._cv2_for_proxies() is None:
        pytest.skip("OpenCV missing or without exact half/uint16 conversion: numpy path only")


@pytest.mark.parametrize("dtype", [np.float16, np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("shape,factor", [((540, 960, 3), 3), ((301, 157, 3), 4),
                                          ((130, 70, 1), 2), ((200, 64, 3), 5)])
def test_fast_downscale_equals_the_box_filter(dtype, shape, factor):
    _needs_cv2()
    rng = np.random.default_rng(3)
    if np.dtype(dtype).kind == "u":
        img = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
        scale = 1.0 / np.iinfo(dtype).max
    else:
        img = (rng.random(shape) * 3 - 0.5).astype(dtype)
        scale = 1.0
    want = seqmod.box_downscale(img, factor) * np.float32(scale)
    got = seqmod.proxy_downscale(img, factor, scale)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    # 2-D input keeps 2-D output
    flat = img[..., 0]
    assert seqmod.proxy_downscale(flat, factor, scale).shape == want.shape[:2]


def test_numpy_fallback_is_the_box_filter(monkeypatch):
    monkeypatch.setattr(seqmod, "_CV2", [None])
    img = np.random.default_rng(1).random((40, 60, 3)).astype(np.float16)
    assert np.array_equal(seqmod.proxy_downscale(img, 4), seqmod.box_downscale(img, 4))


@pytest.mark.parametrize("ext,dtype,attrs", [
    ("exr", "half", {"compression": "zip"}),
    ("jpg", "uint8", {}),
    ("dpx", "uint16", {"oiio:BitsPerSample": 10}),
    ("tif", "uint16", {}),
])
def test_proxy_reads_equal_a_float_read_box_filtered(tmp_path, ext, dtype, attrs):
    img = samples.load_photo("astronaut")[:171, :250].astype(np.float32)
    attrs = dict(attrs)
    comp = attrs.pop("compression", None)
    path = seqmod.write_image(tmp_path / f"p.{ext}", img, dtype, compression=comp,
                              attributes=attrs or None)
    full = seqmod.read_image(path)  # float decode, no proxy: the reference
    for factor in (2, 3):
        got = seqmod.read_image(path, proxy=factor)
        want = seqmod.box_downscale(full, factor)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-7)


def _blur3_padded(y):
    p = np.pad(y, 1, mode="edge")
    y = (p[:-2, 1:-1] + 2 * p[1:-1, 1:-1] + p[2:, 1:-1]) * 0.25
    p = np.pad(y, 1, mode="edge")
    return (p[1:-1, :-2] + 2 * p[1:-1, 1:-1] + p[1:-1, 2:]) * 0.25


def test_blur_and_measure_are_bit_identical_to_the_padded_form():
    rng = np.random.default_rng(5)
    for shape in [(180, 320), (24, 32), (3, 5)]:
        y = rng.random(shape, dtype=np.float32)
        assert np.array_equal(cur._blur3(y).view(np.uint32), _blur3_padded(y).view(np.uint32))
    img = (rng.random((60, 80, 3), dtype=np.float32) * 1.4 - 0.2)
    for linear in (True, False):
        st = cur.measure(img, linear)
        enc = np.clip(img, 0.0, None)
        enc = np.sqrt(enc) if linear else enc
        y = cur._luma(enc).astype(np.float32)
        gx, gy = cur._gradients(_blur3_padded(y))
        assert st.sharpness == float(np.mean(gx ** 2 + gy ** 2))
        assert np.array_equal(st.thumb, cur.cuts_mod.thumbnail(enc, 32, linear=False))


def test_ocio_convert_equals_apply_rgb():
    pytest.importorskip("PyOpenColorIO")
    from nuke_restore.imaging import ocio

    cfg = ocio.load_config(None)
    lin = ocio._find(cfg, ocio._LINEAR_709_NAMES)
    rgb = (np.random.default_rng(2).random((17, 23, 3), dtype=np.float32) * 1.5 - 0.1)
    for src in ("ACEScg", ocio.CINEON):
        want = rgb.copy().reshape(-1, 3)
        ocio._cpu(None, src, lin).applyRGB(want)
        assert np.array_equal(ocio.convert(rgb, src, lin), want.reshape(rgb.shape))
    assert ocio.convert(np.zeros((0, 3), np.float32), "ACEScg", lin).shape == (0, 3)


@pytest.mark.parametrize("fmt", ["exr", "dpx"])
def test_curate_json_is_the_same_with_and_without_the_fast_path(tmp_path, monkeypatch, fmt):
    _needs_cv2()
    gt = samples.make_shot_sequence(tmp_path / "f", n_shots=2, frames_per_shot=10,
                                    size=(200, 112), seed=4, dissolves=(), source_format=fmt,
                                    reference_scale=2)
    opts = cur.CurateOptions(proxy=2)
    fast = cur.curate(gt["source"], gt["reference"], opts)
    monkeypatch.setattr(seqmod, "_CV2", [None])
    slow = cur.curate(gt["source"], gt["reference"], opts)
    assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)
    assert fast["shots"] and all(s["train"] for s in fast["shots"])
