"""Image-quality metrics that need no downloaded weights.

All functions take float arrays (H x W x 3 RGB or H x W) and return plain floats or numpy arrays.
Colour metrics expect sRGB-encoded values in 0..1 unless they say otherwise; use
:func:`to_display` to bring linear renders there first.

* PSNR (RGB or one channel), SSIM on luma (Wang et al. 2004, Gaussian window sigma 1.5),
* CIEDE2000 (Sharma, Wu, Dalal 2005) from sRGB through CIELAB (D65),
* radially averaged power spectrum and a high-frequency energy ratio (grain/sharpness),
* colourfulness (Hasler and Suesstrunk 2003).
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

import numpy as np
from scipy import ndimage

from .colour import linear_to_srgb, srgb_to_linear

_LUMA709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
# sRGB (linear) to XYZ, D65.
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_D65 = np.array([0.95047, 1.0, 1.08883])


def to_display(image: np.ndarray, encoding: str = "srgb") -> np.ndarray:
    """Bring pixels to sRGB-encoded 0..1 for colour metrics: ``encoding`` is what they are now."""
    img = np.asarray(image, dtype=np.float32)
    if encoding == "linear":
        return linear_to_srgb(np.clip(img, 0.0, 1.0)).astype(np.float32)
    if encoding != "srgb":
        raise ValueError(f"encoding must be 'linear' or 'srgb', not {encoding!r}")
    return img


def luma(image: np.ndarray) -> np.ndarray:
    """Rec.709 luma of RGB values as given (no decoding)."""
    img = np.asarray(image, dtype=np.float32)
    return img if img.ndim == 2 else np.tensordot(img[..., :3], _LUMA709, axes=([2], [0]))


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0, mask: Optional[np.ndarray] = None
         ) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images)."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if mask is not None:
        d = d[mask]
    mse = float(np.mean(d * d))
    return float("inf") if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    """Mean SSIM on luma with an 11-tap Gaussian window (sigma 1.5), K1 0.01, K2 0.03."""
    x = luma(a).astype(np.float64)
    y = luma(b).astype(np.float64)

    def g(z):
        return ndimage.gaussian_filter(z, 1.5, truncate=3.5, mode="reflect")

    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mx, my = g(x), g(y)
    sxx = g(x * x) - mx * mx
    syy = g(y * y) - my * my
    sxy = g(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB-encoded values in 0..1."""
    lin = srgb_to_linear(np.clip(np.asarray(rgb, np.float64), 0.0, 1.0))
    xyz = np.einsum("...c,kc->...k", lin, _RGB_TO_XYZ) / _D65
    eps = (6.0 / 29.0) ** 3
    f = np.where(xyz > eps, np.cbrt(np.maximum(xyz, eps)), xyz / (3 * (6.0 / 29.0) ** 2) + 4.0 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray, kl: float = 1.0, kc: float = 1.0,
                kh: float = 1.0) -> np.ndarray:
    """CIEDE2000 colour difference of two CIELAB arrays (..., 3), element-wise.

    Follows Sharma, Wu and Dalal (2005), including their notes on hue angles of achromatic
    colours and the mean hue across the 0/360 boundary.
    """
    lab1 = np.asarray(lab1, np.float64)
    lab2 = np.asarray(lab2, np.float64)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1 = np.hypot(a1, b1)
    c2 = np.hypot(a2, b2)
    cbar7 = ((c1 + c2) / 2) ** 7
    gfac = 0.5 * (1 - np.sqrt(cbar7 / (cbar7 + 25.0 ** 7)))
    a1p, a2p = (1 + gfac) * a1, (1 + gfac) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where((a1p == 0) & (b1 == 0), 0.0, np.degrees(np.arctan2(b1, a1p)) % 360)
    h2p = np.where((a2p == 0) & (b2 == 0), 0.0, np.degrees(np.arctan2(b2, a2p)) % 360)
    dl = l2 - l1
    dc = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    lbar = (l1 + l2) / 2
    cbarp = (c1p + c2p) / 2
    hsum = h1p + h2p
    hbar = np.where(np.abs(h1p - h2p) > 180,
                    np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2)
    hbar = np.where(c1p * c2p == 0, hsum, hbar)
    t = (1 - 0.17 * np.cos(np.radians(hbar - 30)) + 0.24 * np.cos(np.radians(2 * hbar))
         + 0.32 * np.cos(np.radians(3 * hbar + 6)) - 0.20 * np.cos(np.radians(4 * hbar - 63)))
    dtheta = 30 * np.exp(-(((hbar - 275) / 25) ** 2))
    cbarp7 = cbarp ** 7
    rc = 2 * np.sqrt(cbarp7 / (cbarp7 + 25.0 ** 7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc = 1 + 0.045 * cbarp
    sh = 1 + 0.015 * cbarp * t
    rt = -np.sin(np.radians(2 * dtheta)) * rc
    tl, tc, th = dl / (kl * sl), dc / (kc * sc), dhh / (kh * sh)
    return np.sqrt(tl * tl + tc * tc + th * th + rt * tc * th)


def delta_e_stats(a: np.ndarray, b: np.ndarray) -> Dict[str, float]:
    """Mean and 95th percentile CIEDE2000 between two sRGB-encoded images."""
    de = delta_e2000(srgb_to_lab(a), srgb_to_lab(b))
    return {"mean": float(np.mean(de)), "p95": float(np.percentile(de, 95))}


def radial_spectrum(image: np.ndarray, bins: int = 32) -> Tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of luma (Hann window), frequencies in cycles/pixel.

    Returns (frequencies, power) with ``bins`` bins from 0 to 0.5 cycles/px.
    """
    y = luma(image).astype(np.float64)
    y = y - y.mean()
    h, w = y.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    p = np.abs(np.fft.fft2(y * win)) ** 2 / float(np.sum(win * win))
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    r = np.sqrt(fx * fx + fy * fy)
    edges = np.linspace(0.0, 0.5, bins + 1)
    idx = np.clip(np.digitize(r.ravel(), edges) - 1, 0, bins)
    sums = np.bincount(idx, weights=p.ravel(), minlength=bins + 1)[:bins]
    counts = np.bincount(idx, minlength=bins + 1)[:bins]
    return 0.5 * (edges[1:] + edges[:-1]), sums / np.maximum(counts, 1)


def hf_energy(image: np.ndarray, cutoff: float = 0.25) -> float:
    """Share of luma power above ``cutoff`` cycles/px (grain and fine detail)."""
    f, p = radial_spectrum(image, bins=64)
    total = float(np.sum(p[1:])) + 1e-20
    return float(np.sum(p[f >= cutoff]) / total)


def sharpness(image: np.ndarray) -> float:
    """Mean gradient magnitude of luma (a simple acutance proxy)."""
    gy, gx = np.gradient(luma(image).astype(np.float64))
    return float(np.mean(np.hypot(gx, gy)))


def colourfulness(image: np.ndarray) -> float:
    """Hasler and Suesstrunk colourfulness of sRGB-encoded 0..1 values (times 255 scale)."""
    rgb = np.asarray(image, np.float64) * 255.0
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def compare(a: np.ndarray, b: np.ndarray) -> Dict[str, float]:
    """The standard full-reference set between two sRGB-encoded images."""
    de = delta_e_stats(a, b)
    return {"psnr": psnr(a, b), "psnr_y": psnr(luma(a), luma(b)), "ssim_y": ssim(a, b),
            "de00_mean": de["mean"], "de00_p95": de["p95"]}
