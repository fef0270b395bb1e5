"""Y'CbCr as Nuke's Colorspace node (configurable), transfer curves, OpenColorIO transforms."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nuke_restore.errors import ImagingError
from nuke_restore.imaging import colour

# Full range, written out independently of the code's Kr/Kb derivation.
REC709 = np.array([[0.2126, 0.7152, 0.0722],
                   [-0.114572, -0.385428, 0.5],
                   [0.5, -0.454153, -0.045847]])
REC709_INV = np.array([[1.0, 0.0, 1.5748], [1.0, -0.187324, -0.468124], [1.0, 1.8556, 0.0]])
REC601 = np.array([[0.299, 0.587, 0.114],
                   [-0.168736, -0.331264, 0.5],
                   [0.5, -0.418688, -0.081312]])
REC601_INV = np.array([[1.0, 0.0, 1.402], [1.0, -0.344136, -0.714136], [1.0, 1.772, 0.0]])


@pytest.mark.parametrize("name,fwd,inv", [("rec709", REC709, REC709_INV),
                                          ("rec601", REC601, REC601_INV)])
def test_matrix_matches_documented_coefficients(name, fwd, inv):
    assert np.allclose(colour.ycbcr_matrix(name), fwd, atol=2e-6)
    assert np.allclose(np.linalg.inv(colour.ycbcr_matrix(name)), inv, atol=2e-6)


def test_primaries_and_grey():
    px = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.18, 0.18, 0.18]], np.float32)
    out = colour.rgb_to_ycbcr(px, "rec709")
    assert out[0, 0] == pytest.approx(0.2126, abs=1e-6)      # Y of red
    assert out[1, 1] == pytest.approx(0.5, abs=1e-6)         # Cb of blue
    assert np.allclose(out[2], [0.18, 0.0, 0.0], atol=1e-6)  # grey has no chroma
    off = colour.rgb_to_ycbcr(px, "rec709", offset=0.5)
    assert np.allclose(off[2], [0.18, 0.5, 0.5], atol=1e-6)
    srgb = colour.rgb_to_ycbcr(px, "rec709", curve="srgb")
    assert srgb[2, 0] == pytest.approx(0.4613, abs=1e-3)     # the sRGB-curve signature


def test_packing_and_inverse_on_image():
    rng = np.random.default_rng(1)
    img = rng.random((9, 7, 3)).astype(np.float32)
    ycc = colour.rgb_to_ycbcr(img, "rec601")
    expect = np.einsum("hwc,dc->hwd", img.astype(np.float64), REC601)
    assert np.allclose(ycc, expect, atol=1e-5)
    assert np.allclose(colour.luma(img, "rec601"), expect[..., 0], atol=1e-5)
    assert np.allclose(colour.ycbcr_to_rgb(ycc, "rec601"), img, atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.5, 4.0, allow_nan=False, width=32), min_size=3, max_size=3),
       st.sampled_from(["rec709", "rec601", "rec2020"]), st.sampled_from([0.0, 0.5]),
       st.sampled_from([None, "srgb", "rec709"]))
def test_round_trip_property(rgb, matrix, offset, curve):
    x = np.array([rgb], np.float32)
    back = colour.ycbcr_to_rgb(colour.rgb_to_ycbcr(x, matrix, offset, curve), matrix, offset, curve)
    assert np.allclose(back, x, atol=2e-5 * max(1.0, float(np.abs(x).max()) ** 2))


def test_curves_invert():
    v = np.linspace(-0.2, 2.0, 101).astype(np.float32)
    assert np.allclose(colour.srgb_to_linear(colour.linear_to_srgb(v)), v, atol=1e-5)
    assert np.allclose(colour.rec709_inverse_oetf(colour.rec709_oetf(v)), v, atol=1e-5)
    assert colour.linear_to_srgb(np.float32(0.0031308)) == pytest.approx(0.04045, abs=1e-5)


def test_bad_inputs():
    with pytest.raises(ValueError):
        colour.ycbcr_matrix("rec999")
    with pytest.raises(ImagingError):
        colour.rgb_to_ycbcr(np.zeros((4, 4)))


def test_ocio_builtin_config_transforms():
    pytest.importorskip("PyOpenColorIO")
    grey = np.array([[0.18, 0.18, 0.18]], np.float32)
    spaces = colour.ocio_colourspaces("ocio://default")
    assert "ACEScg" in spaces
    out = colour.ocio_transform(grey, "ocio://default", "ACEScg", "ACES2065-1")
    assert np.allclose(out, 0.18, atol=2e-3)  # neutral grey stays neutral across gamuts
    back = colour.ocio_transform(out, "ocio://default", "ACES2065-1", "ACEScg")
    assert np.allclose(back, grey, atol=1e-4)
    tex = colour.ocio_transform(grey, "ocio://default", "ACEScg", "sRGB - Texture")
    assert tex[0, 0] == pytest.approx(float(colour.linear_to_srgb(np.float32(0.18))), abs=3e-3)
    assert np.array_equal(grey, np.array([[0.18, 0.18, 0.18]], np.float32))  # input untouched
    cfg = colour.load_ocio_config("ocio://default")
    disp = cfg.getDefaultDisplay()
    view = cfg.getDefaultView(disp)
    shown = colour.ocio_display(np.array([[0.0, 0.0, 0.0], [0.18, 0.18, 0.18]], np.float32),
                                "ocio://default", "ACEScg", disp, view)
    assert shown[1, 0] > shown[0, 0]


def test_ocio_errors_are_imaging_errors(tmp_path):
    pytest.importorskip("PyOpenColorIO")
    with pytest.raises(ImagingError):
        colour.ocio_transform(np.zeros((1, 3)), str(tmp_path / "missing.ocio"), "a", "b")
    with pytest.raises(ImagingError):
        colour.ocio_transform(np.zeros((1, 3)), "ocio://default", "NoSuchSpace", "ACEScg")


@pytest.mark.parametrize("shape", [(3,), (7, 3), (5, 9, 3), (2, 4, 6, 3)])
@pytest.mark.parametrize("offset", [0.0, 0.5])
@pytest.mark.parametrize("opencv", [True, False])
def test_fast_matrix_path_equals_the_textbook_product(shape, offset, opencv, monkeypatch):
    if not opencv:  # the numpy fallback when OpenCV is not installed
        monkeypatch.setattr(colour, "_cv2", lambda: None)
    # rgb_to_ycbcr/ycbcr_to_rgb/luma run through OpenCV's per-pixel transform; any shape must give
    # the float64 matrix product of the definition.
    rgb = np.random.default_rng(3).random(shape).astype(np.float32)
    m = colour.ycbcr_matrix("rec709").astype(np.float64)
    want = np.einsum("...c,dc->...d", rgb.astype(np.float64), m) + np.array([0, offset, offset])
    got = colour.rgb_to_ycbcr(rgb, "rec709", offset)
    assert got.shape == rgb.shape
    np.testing.assert_allclose(got, want, atol=2e-7)
    np.testing.assert_allclose(colour.ycbcr_to_rgb(got, "rec709", offset), rgb, atol=5e-7)
    np.testing.assert_allclose(colour.luma(rgb), want[..., 0], atol=2e-7)


@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_large_frame_output_is_bit_identical_to_opencvs_own_output(offset):
    # Outputs of 32 MB and more are written into buffers.empty_top_down (page-aligned for the
    # kernel's huge pages, first touched top-down). Only the cost of the first write may change:
    # every bit must equal cv2.transform into an output OpenCV allocates itself.
    cv2 = pytest.importorskip("cv2")
    rgb = np.random.default_rng(5).random((1400, 2001, 3), dtype=np.float32) * 1.5 - 0.25
    fwd = colour.ycbcr_matrix("rec709").astype(np.float32)
    mat = np.concatenate([fwd, np.array([[0.0], [offset], [offset]], np.float32)], axis=1)
    want = cv2.transform(rgb.reshape(-1, 1, 3), mat).reshape(rgb.shape)
    got = colour.rgb_to_ycbcr(rgb, "rec709", offset)
    assert got.ctypes.data % (2 << 20) == 0  # the large-output path was taken
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    y = cv2.transform(rgb.reshape(-1, 1, 3), fwd[:1]).reshape(rgb.shape[:-1])
    assert np.array_equal(colour.luma(rgb).view(np.uint32), y.view(np.uint32))  # 11 MB: np.empty
    # and the values are the textbook product
    ref = np.einsum("...c,dc->...d", rgb[::37, ::41].astype(np.float64), fwd.astype(np.float64))
    np.testing.assert_allclose(got[::37, ::41], ref + [0, offset, offset], atol=3e-7)
