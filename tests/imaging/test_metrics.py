"""Metrics: CIEDE2000 against Sharma et al.'s published pairs, Lab, PSNR, SSIM, spectra."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")
from nuke_restore.imaging import metrics  # noqa: E402

# Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1 (a subset incl. the hue
# wrap-around and achromatic cases).
SHARMA = [
    ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
    ((50, 3.1571, -77.2803), (50, 0, -82.7485), 2.8615),
    ((50, 2.8361, -74.02), (50, 0, -82.7485), 3.4412),
    ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0),
    ((50, 0, 0), (50, -1, 2), 2.3669),
    ((50, 2.49, -0.001), (50, -2.49, 0.0009), 7.1792),
    ((50, 2.49, -0.001), (50, -2.49, 0.0011), 7.2195),
    ((50, -0.001, 2.49), (50, 0.0009, -2.49), 4.8045),
    ((50, 2.5, 0), (50, 0, -2.5), 4.3065),
    ((50, 2.5, 0), (73, 25, -18), 27.1492),
    ((50, 2.5, 0), (61, -5, 29), 22.8977),
    ((50, 2.5, 0), (56, -27, -3), 31.903),
    ((50, 2.5, 0), (58, 24, 15), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.263),
    ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ((90.8027, -2.0831, 1.441), (91.1528, -1.6435, 0.0447), 1.4441),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
]


def test_ciede2000_matches_sharma_pairs_both_ways():
    a = np.array([p[0] for p in SHARMA], float)
    b = np.array([p[1] for p in SHARMA], float)
    want = np.array([p[2] for p in SHARMA])
    np.testing.assert_allclose(metrics.delta_e2000(a, b), want, atol=1e-4)
    np.testing.assert_allclose(metrics.delta_e2000(b, a), want, atol=1e-4)
    assert metrics.delta_e2000(a, a).max() == 0.0


def test_ciede2000_agrees_with_colour_science_on_random_colours():
    colour = pytest.importorskip("colour")
    rng = np.random.default_rng(3)
    a = np.c_[rng.uniform(0, 100, 500), rng.uniform(-80, 80, (500, 2))]
    b = a + rng.normal(0, 6, a.shape)
    np.testing.assert_allclose(metrics.delta_e2000(a, b),
                               colour.delta_E(a, b, method="CIE 2000"), atol=1e-6)


def test_lab_of_white_black_and_red():
    lab = metrics.srgb_to_lab(np.array([[1.0, 1, 1], [0, 0, 0], [1, 0, 0]]))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.05)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.05)


def test_psnr_and_ssim_behave():
    rng = np.random.default_rng(0)
    img = ndimage_smooth(rng.random((64, 80, 3)))
    noisy = img + rng.normal(0, 0.01, img.shape)
    assert metrics.psnr(img, img) == float("inf")
    assert metrics.psnr(img, noisy) == pytest.approx(40.0, abs=0.3)
    assert metrics.ssim(img, img) == pytest.approx(1.0)
    worse = img + rng.normal(0, 0.05, img.shape)
    assert metrics.ssim(img, worse) < metrics.ssim(img, noisy) < 1.0


def test_radial_spectrum_sees_grain_and_blur():
    rng = np.random.default_rng(1)
    base = ndimage_smooth(rng.random((128, 128, 3)))
    grainy = base + rng.normal(0, 0.03, base.shape)
    f, p = metrics.radial_spectrum(grainy)
    assert f[0] > 0 and f[-1] < 0.5 and len(p) == 32
    assert metrics.hf_energy(grainy) > 3 * metrics.hf_energy(base)
    assert metrics.sharpness(grainy) > metrics.sharpness(base)


def test_colourfulness_zero_for_grey():
    grey = np.full((8, 8, 3), 0.4)
    assert metrics.colourfulness(grey) == pytest.approx(0.0, abs=1e-9)
    red = grey.copy()
    red[..., 0] = 0.9
    assert metrics.colourfulness(red) > 10


def ndimage_smooth(x):
    from scipy import ndimage

    return ndimage.gaussian_filter(x, (2, 2, 0))
