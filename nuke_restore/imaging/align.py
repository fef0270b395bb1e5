"""Registration of a reference onto a source, reported as Nuke Transform / CornerPin2D values.

The reference moves, the source never does. The method is built for the pairs
this project sees: a faded, grainy film scan against a soft, compressed telecine/DVD reference.

1. Both frames are reduced to luma and a 2x box pyramid is built down to ~96 px.
2. Every level is turned into a *structure image*: a band-pass (difference of Gaussians) of the
   lightly blurred luma divided by its local contrast. Fading (a smooth, monotonic change of tone
   and contrast) and the missing high frequencies of a soft reference mostly cancel out.
3. At the coarsest level a small grid over rotation and scale is scored by phase correlation
   (which also gives the translation). This is robust where log-polar methods are not.
4. Gauss-Newton (Lucas-Kanade with a gain/offset term, Huber-weighted) refines a similarity
   (or affine / perspective) warp coarse-to-fine, on strong-gradient pixels only: inverse
   compositional below full resolution (level 1 is skipped when there are three or more
   levels), forward additive with the reference's gradients at full resolution, where the
   accuracy is decided.
5. An independent residual is then measured (``residual``): the aligned reference is compared
   with the source in tiles by up-sampled phase correlation on a differently filtered band. Its
   RMS tile shift, in source pixels, is ``residual``; spread across tiles flags parallax or gate
   weave that no global transform can fix.

Warp parameters are kept in normalised coordinates centred on the picture, ``x~ = (p - c) / rho``
with ``rho`` half the long side, so they carry between pyramid levels unchanged (see
``geometry`` for the image/Nuke coordinate maths).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import fft as sfft
from scipy import ndimage

from ..errors import ImagingError
from .geometry import NukeTransform, bilerp, nuke_from_sampling, warp_image
from .residual import residual_tiles, summarise_tiles

logger = logging.getLogger(__name__)

MODELS = ("translation", "similarity", "affine", "perspective")
_NPARAM = {"translation": 2, "similarity": 4, "affine": 6, "perspective": 8}
_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
# Sample points per Gauss-Newton iteration below full resolution (they only hand over a start).
_COARSE_POINTS = 4000


@dataclass
class AlignOptions:
    """Knobs of :func:`estimate`. Defaults suit film scans against video references.

    Attributes:
        model: "translation", "similarity" (Transform), "affine" or "perspective" (CornerPin2D).
        max_rotate: search range for the coarse rotation grid, degrees either way.
        max_scale: search range for scale, ``1/max_scale .. max_scale``.
        roi: analysis region ``(x0, y0, x1, y1)`` in Nuke coordinates (like F_Align's BL/TR);
            default a central region 90 % of the frame.
        max_points: pixels used per Gauss-Newton iteration at fine levels.
        coarse_size: long side of the coarsest pyramid level.
        residual_tiles: tile grid (columns, rows) for the independent residual.
        residual: measure the independent residual (off: ``residual`` is NaN, ~30 % faster).
    """

    model: str = "similarity"
    max_rotate: float = 10.0
    max_scale: float = 1.3
    roi: Optional[Tuple[float, float, float, float]] = None
    max_points: int = 12000
    coarse_size: int = 96
    iterations: Tuple[int, int] = (30, 8)
    residual_tiles: Tuple[int, int] = (4, 3)
    residual: bool = True

    def __post_init__(self) -> None:
        # Checked here, before any frame is read (a negative range emptied the rotation grid).
        if not self.max_rotate >= 0.0:
            raise ImagingError(f"max_rotate (--max-rotate) must be 0 or more degrees, got "
                               f"{self.max_rotate:g}")
        if not self.max_scale >= 1.0:
            raise ImagingError(f"max_scale (--max-scale) is a factor of 1 or more (1.3 searches "
                               f"1/1.3 to 1.3), got {self.max_scale:g}")


@dataclass
class AlignResult:
    """Result of one registration.

    Attributes:
        transform: Nuke Transform values (and CornerPin2D corners for perspective).
        sampling: 3x3 image-coordinate map: the aligned reference at ``p`` is ``ref(G p)``.
        residual: independent RMS misregistration after alignment, source pixels.
        residual_max: largest tile shift, pixels.
        tiles: per-tile ``(u, v, du, dv)`` image coords and shift (x right, y down), pixels.
        ncc: correlation of the structure images after alignment, on the full-resolution
            sample points (the strongest edges inside the analysis region).
        nonrigid: True when tile shifts disagree beyond what a global transform explains.
    """

    transform: NukeTransform
    sampling: np.ndarray
    residual: float
    residual_max: float
    tiles: List[Tuple[float, float, float, float]] = field(default_factory=list)
    ncc: float = 0.0
    nonrigid: bool = False

    def to_json(self) -> Dict[str, object]:
        out = self.transform.to_json()
        def num(v: float):
            # null, not NaN, when too few tiles had texture to measure: valid JSON.
            return round(v, 4) if math.isfinite(v) else None

        out.update({
            "residual": num(self.residual),
            "residual_max": num(self.residual_max),
            "ncc": round(self.ncc, 4),
            "nonrigid": self.nonrigid,
        })
        return out


# --------------------------------------------------------------------------- preprocessing


def to_luma(image: np.ndarray) -> np.ndarray:
    """Rec.709-weighted luma of an RGB(A) image (or the image itself if single channel)."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        return img
    if img.shape[2] == 1:
        return img[..., 0]
    # Plain weighted sum: tensordot goes through BLAS, slower here and thread-hungry.
    return (_LUMA[0] * img[..., 0] + _LUMA[1] * img[..., 1] + _LUMA[2] * img[..., 2]).astype(
        np.float32, copy=False)


def _gauss_taps(sigma: float, truncate: float) -> np.ndarray:
    """scipy.ndimage's Gaussian kernel (radius ``int(truncate * sigma + 0.5)``)."""
    r = int(truncate * sigma + 0.5)
    k = np.exp(-0.5 / (sigma * sigma) * np.arange(-r, r + 1) ** 2)
    return k / k.sum()


def _gauss(img: np.ndarray, sigma: float, truncate: float) -> np.ndarray:
    """Gaussian blur with edges repeated, float32 (ndimage.gaussian_filter, "nearest").

    Both passes are sums of whole shifted copies of the flattened image, several times faster
    than ndimage's line-by-line passes. The vertical pass writes into rows padded by the
    kernel radius (edge columns repeated), so the horizontal pass can run over the flattened
    rows: what wraps from one row into the next lands in the padding. Returns a view.
    """
    k = _gauss_taps(sigma, truncate).astype(np.float32)
    r = len(k) // 2
    h, w = img.shape
    if h <= 2 * r or w <= r:
        return ndimage.gaussian_filter(img, sigma, mode="nearest", truncate=truncate)
    img = np.ascontiguousarray(img, dtype=np.float32)
    n = h * w
    f = img.ravel()
    wp = w + 2 * r
    t = np.empty(h * wp, np.float32)
    t2 = t[:n].reshape(h, w)
    # Vertical: rows i - j and i + j, clamped to the first and last row.
    vp = np.empty((h, wp), np.float32)
    v = vp[:, r:r + w]
    np.multiply(img, k[r], out=v)
    for j in range(1, r + 1):
        s = j * w
        np.add(f[:n - 2 * s], f[2 * s:], out=t[s:n - s])  # t2[i] for j <= i < h - j
        np.add(img[0], img[j:2 * j], out=t2[:j])
        np.add(img[h - 2 * j:h - j], img[h - 1], out=t2[h - j:])
        t2 *= k[r + j]
        v += t2
    vp[:, :r] = v[:, :1]
    vp[:, r + w:] = v[:, -1:]
    # Horizontal, over the flattened padded rows.
    npad = h * wp
    vf = vp.ravel()
    out = np.empty((h, wp), np.float32)
    o = out.ravel()[r:npad - r]
    np.multiply(vf[r:npad - r], k[r], out=o)
    tp = t[:npad - 2 * r]
    for j in range(1, r + 1):
        np.add(vf[r - j:npad - r - j], vf[r + j:npad - r + j], out=tp)
        tp *= k[r + j]
        o += tp
    return out[:, r:r + w]


def _downsample(img: np.ndarray) -> np.ndarray:
    h, w = (img.shape[0] // 2) * 2, (img.shape[1] // 2) * 2
    a = img[:h, :w]
    out = a[0::2, 0::2] + a[1::2, 0::2]
    out += a[0::2, 1::2]
    out += a[1::2, 1::2]
    out *= np.float32(0.25) if out.dtype == np.float32 else 0.25
    return out


def _upsample(a: np.ndarray, shape: Tuple[int, int],
              out: Optional[np.ndarray] = None) -> np.ndarray:
    """2x bilinear up-sampling (pixel centres, edges clamped) to ``shape``; undoes _downsample's
    geometry (an odd last row/column is repeated)."""
    h, w = a.shape
    q = a * 0.25
    t = a - q
    # Horizontal pass into rows 1..h of a buffer with one spare row above and below.
    rows = np.empty((h + 2, 2 * w), a.dtype)
    mid = rows[1:-1]
    np.add(t[:, 1:], q[:, :-1], out=mid[:, 2::2])
    np.add(t[:, :-1], q[:, 1:], out=mid[:, 1:-1:2])
    mid[:, 0] = a[:, 0]
    mid[:, -1] = a[:, -1]
    rows[0] = rows[1]
    rows[-1] = rows[-2]
    # Vertical pass: whole rows.
    q = rows * 0.25
    mid -= q[1:-1]
    if out is None:
        out = np.empty(shape, a.dtype)
    np.add(mid, q[:-2], out=out[0:2 * h:2, :2 * w])
    np.add(mid, q[2:], out=out[1:2 * h:2, :2 * w])
    if shape[0] > 2 * h:
        out[2 * h:, :2 * w] = out[2 * h - 1, :2 * w]
    if shape[1] > 2 * w:
        out[:, 2 * w:] = out[:, 2 * w - 1:2 * w]
    return out


def _half_sigma(sigma: float) -> float:
    """Gaussian sigma at half resolution that, after the box down-sampling (variance 1/4 px^2)
    and the bilinear up-sampling (~1/3 px^2), blurs by ``sigma`` at full resolution."""
    return math.sqrt(max(sigma * sigma - 0.25 - 1.0 / 3.0, 1.0)) / 2.0


def structure(luma: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Band-pass luma normalised by local contrast: insensitive to fading and softness.

    The wide blurs (4 and 6 sigma) are computed at half resolution and up-sampled: the result
    is smooth, so the detour costs nothing that matters (0.9999 correlation with
    full-resolution filtering) and saves more than half the time.
    """
    luma = np.asarray(luma, dtype=np.float32)
    b = _gauss(luma, sigma, 3.0)
    if min(b.shape) < 64:
        d = b - ndimage.gaussian_filter(b, 4.0 * sigma, mode="nearest", truncate=3.0)
        var = ndimage.gaussian_filter(d * d, 6.0 * sigma, mode="nearest", truncate=2.5)
        eps = 0.25 * float(np.sqrt(np.mean(var))) + 1e-6
        return (d / (np.sqrt(var) + eps)).astype(np.float32)
    d = _upsample(_gauss(_downsample(b), _half_sigma(4.0 * sigma), 3.0), b.shape)
    np.subtract(b, d, out=d)
    np.multiply(d, d, out=b)
    # 1 / (local RMS contrast + eps), at half resolution, then up-sampled.
    var = _gauss(_downsample(b), _half_sigma(6.0 * sigma), 2.5)
    eps = 0.25 * math.sqrt(float(np.mean(var, dtype=np.float64))) + 1e-6
    np.sqrt(var, out=var)
    var += np.float32(eps)
    np.divide(np.float32(1.0), var, out=var)
    d *= _upsample(var, b.shape, out=b)
    return d


def _pyramid(luma: np.ndarray, coarse_size: int) -> List[np.ndarray]:
    levels = [luma]
    while max(levels[-1].shape) > 2 * coarse_size and min(levels[-1].shape) > 32:
        levels.append(_downsample(levels[-1]))
    return levels


# --------------------------------------------------------------------------- warp models


def _param_matrix(theta: np.ndarray, model: str) -> np.ndarray:
    """3x3 map in normalised coordinates for a parameter vector."""
    m = np.eye(3)
    if model == "translation":
        m[0, 2], m[1, 2] = theta
    elif model == "similarity":
        a, b, tx, ty = theta
        m[:2] = [[1 + a, -b, tx], [b, 1 + a, ty]]
    elif model == "affine":
        m[:2] = [[1 + theta[0], theta[1], theta[4]], [theta[2], 1 + theta[3], theta[5]]]
    else:
        m = np.array([[1 + theta[0], theta[1], theta[2]], [theta[3], 1 + theta[4], theta[5]],
                      [theta[6], theta[7], 1.0]])
    return m


def _matrix_param(m: np.ndarray, model: str) -> np.ndarray:
    m = m / m[2, 2]
    if model == "translation":
        return np.array([m[0, 2], m[1, 2]])
    if model == "similarity":
        a = 0.5 * (m[0, 0] + m[1, 1]) - 1
        b = 0.5 * (m[1, 0] - m[0, 1])
        return np.array([a, b, m[0, 2], m[1, 2]])
    if model == "affine":
        return np.array([m[0, 0] - 1, m[0, 1], m[1, 0], m[1, 1] - 1, m[0, 2], m[1, 2]])
    return np.array([m[0, 0] - 1, m[0, 1], m[0, 2], m[1, 0], m[1, 1] - 1, m[1, 2], m[2, 0],
                     m[2, 1]])


def _warp_jacobian(x: np.ndarray, y: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                   den: Optional[np.ndarray], model: str) -> Tuple[np.ndarray, np.ndarray]:
    """d(q)/d(theta) for points (x, y) mapping to (qx, qy); shapes (P, N)."""
    one, zero = np.ones_like(x), np.zeros_like(x)
    if model == "translation":
        return np.stack([one, zero]), np.stack([zero, one])
    if model == "similarity":
        return np.stack([x, -y, one, zero]), np.stack([y, x, zero, one])
    if model == "affine":
        return (np.stack([x, y, zero, zero, one, zero]),
                np.stack([zero, zero, x, y, zero, one]))
    jx = np.stack([x, y, one, zero, zero, zero, -qx * x, -qx * y])
    jy = np.stack([zero, zero, zero, x, y, one, -qy * x, -qy * y])
    if den is not None:
        jx /= den
        jy /= den
    return jx, jy


class _Frame:
    """Normalised-coordinate helpers for one pyramid level."""

    def __init__(self, shape: Tuple[int, int], level: int, c0: np.ndarray, rho0: float):
        self.shape = shape
        self.scale = 0.5 ** level
        self.c = c0 * self.scale
        self.rho = rho0 * self.scale

    def to_norm(self) -> np.ndarray:
        """3x3 from level image coordinates to normalised coordinates."""
        return np.array([[1 / self.rho, 0, -self.c[0] / self.rho],
                         [0, 1 / self.rho, -self.c[1] / self.rho], [0, 0, 1]])

    def image_map(self, m_norm: np.ndarray) -> np.ndarray:
        n = self.to_norm()
        return np.linalg.inv(n) @ m_norm @ n


def _cell(u: np.ndarray, v: np.ndarray, width: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat index of the pixel up-left of image coordinates (u, v), and the fractions past it."""
    x = u - 0.5
    y = v - 0.5
    x0 = np.floor(x)
    y0 = np.floor(y)
    return y0.astype(np.intp) * width + x0.astype(np.intp), x - x0, y - y0


def _bilinear(flat: np.ndarray, u: np.ndarray, v: np.ndarray, width: int) -> np.ndarray:
    """Bilinear samples of a flattened (H*W) image at image coordinates (u, v) (no bounds
    checks: the caller keeps every point at least one pixel inside the picture)."""
    i, fx, fy = _cell(u, v, width)
    a, b = flat[i], flat[i + 1]
    i += width
    c, d = flat[i], flat[i + 1]
    top = a + (b - a) * fx
    return top + (c + (d - c) * fx - top) * fy


# --------------------------------------------------------------------------- coarse search


def _coarse_search(src: np.ndarray, ref: np.ndarray, frame: _Frame,
                   opts: AlignOptions) -> np.ndarray:
    """Best similarity (normalised coordinates) over a rotation x scale grid at the top level.

    Scored on a further halved copy (~50-100 px) by phase-correlation peak height, which also
    gives the translation. Two passes: 6 degree / 12 % steps over the whole search range, then
    3 degree / 6 % steps around the winner; what is left (<= 1.5 degrees, 3 %) is well inside
    the Gauss-Newton basin of the next step.
    """
    level = 0
    while max(src.shape) > 100 and min(src.shape) > 40:
        src, ref = _downsample(src), _downsample(ref)
        level += 1
    # The source is cropped (centred) to sizes whose FFTs are fast; the warps read the whole
    # reference.
    h, w = src.shape
    hc, wc = _smooth_len(h), _smooth_len(w)
    oy, ox = (h - hc) // 2, (w - wc) // 2
    src = src[oy:oy + hc, ox:ox + wc]
    frame = _Frame(src.shape, level, frame.c, frame.rho)
    n_ref = frame.to_norm()
    frame.c = frame.c - np.array([ox, oy])
    n = frame.to_norm()
    n_inv = np.linalg.inv(n)
    n_ref_inv = np.linalg.inv(n_ref)
    win = np.outer(np.hanning(hc), np.hanning(wc)).astype(np.float32)
    fsrc = sfft.rfft2(src * win, workers=1)
    # (rotation, log scale) -> (peak, du, dv, sampling map of the candidate)
    scored: Dict[Tuple[float, float], Tuple[float, float, float, np.ndarray]] = {}

    def score(cands: Sequence[Tuple[float, float]]) -> None:
        # One batch of candidates: one stack of warps, the FFTs on the whole stack.
        todo: Dict[Tuple[float, float], Tuple[float, float]] = {}
        for r, ls in cands:
            key = (round(r, 6), round(ls, 6))
            if key not in scored and key not in todo:
                todo[key] = (r, ls)
        if not todo:
            return
        rl = np.array(list(todo.values()))
        a, s = np.radians(rl[:, 0]), np.exp(rl[:, 1])
        lin = np.zeros((len(rl), 3, 3))
        lin[:, 0, 0] = lin[:, 1, 1] = s * np.cos(a)
        lin[:, 1, 0] = s * np.sin(a)
        lin[:, 0, 1] = -lin[:, 1, 0]
        lin[:, 2, 2] = 1.0
        maps = n_ref_inv @ lin @ n
        warped = _warp_stack(ref, maps, (hc, wc))
        warped *= win
        for key, g, (du, dv, peak) in zip(todo, maps, _phase_corr_many(fsrc, warped)):
            scored[key] = (peak, du, dv, g)

    if opts.model == "translation":
        score([(0.0, 0.0)])
        best = scored[(0.0, 0.0)]
    else:
        max_ls = math.log(max(opts.max_scale, 1.0))
        for step_r, step_s, centre in ((6.0, math.log(1.12), None),
                                       (3.0, math.log(1.06), True)):
            if centre is None:
                nr = int(math.ceil(opts.max_rotate / step_r - 0.25))
                ns = int(math.ceil(max_ls / step_s - 0.25))
                rots = [k * step_r for k in range(-nr, nr + 1)]
                lss = [k * step_s for k in range(-ns, ns + 1)]
            else:
                (r0, l0) = max(scored, key=lambda k: scored[k][0])
                rots = [r0 + k * step_r for k in (-1, 0, 1) if abs(r0 + k * step_r) <=
                        opts.max_rotate + step_r]
                lss = [l0 + k * step_s for k in (-1, 0, 1)
                       if abs(l0 + k * step_s) <= max_ls + step_s]
            score([(r, ls) for r in rots for ls in lss])
        best = max(scored.values(), key=lambda t: t[0])
        logger.debug("coarse search: %d candidates, peak %.4f", len(scored), best[0])
    peak, du, dv, g = best
    # warped(p) = ref(G p) ~ src(p + d)  =>  src(p) ~ ref(G (p - d)).
    shift = np.array([[1, 0, -du], [0, 1, -dv], [0, 0, 1.0]])
    return n_ref @ g @ shift @ n_inv


def _smooth_len(n: int) -> int:
    """The largest length <= n with no prime factor above 5 (fast FFTs)."""
    for m in range(n, 0, -1):
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
    return n


def _warp_stack(img: np.ndarray, maps: Sequence[np.ndarray], shape: Tuple[int, int],
                chunk: int = 8) -> np.ndarray:
    """Bilinear warps of ``img`` by several affine sampling maps (image coordinates), zero
    outside the picture: (len(maps), H, W) float32."""
    h, w = img.shape
    hh, ww = shape
    # A zero border two pixels wide: clamped coordinates then read zeros.
    pad = np.zeros((h + 4, w + 4), np.float32)
    pad[2:-2, 2:-2] = img
    flat = pad.ravel()
    row = w + 4
    # Single precision is plenty for positions in a ~100 px picture.
    g = np.array(maps, dtype=np.float32)
    # Input position of output pixel (c, r): G (c + .5, r + .5) - .5, +2 for the border.
    uu = (np.arange(ww, dtype=np.float32) + np.float32(0.5))[None, None, :]
    vv = (np.arange(hh, dtype=np.float32) + np.float32(0.5))[None, :, None]
    out = np.empty((len(maps), hh, ww), np.float32)
    for k0 in range(0, len(maps), chunk):
        gk = g[k0:k0 + chunk, :2, :, None, None]
        x = gk[:, 0, 0] * uu + gk[:, 0, 1] * vv + (gk[:, 0, 2] + np.float32(1.5))
        y = gk[:, 1, 0] * uu + gk[:, 1, 1] * vv + (gk[:, 1, 2] + np.float32(1.5))
        np.clip(x, np.float32(0.0), np.float32(w + 2), out=x)
        np.clip(y, np.float32(0.0), np.float32(h + 2), out=y)
        x0 = np.floor(x)
        y0 = np.floor(y)
        x -= x0
        y -= y0
        i = y0.astype(np.intp)
        i *= row
        i += x0.astype(np.intp)
        a, b = flat[i], flat[i + 1]
        i += row
        bilerp(a, b, flat[i], flat[i + 1], x, y, out[k0:k0 + chunk])
    return out


def _phase_corr_many(fa: np.ndarray, bs: np.ndarray) -> List[Tuple[float, float, float]]:
    """Translations (du, dv) moving each of ``bs`` (N, H, W, already windowed) onto the image
    whose windowed rfft2 is ``fa``, with the phase-correlation peak heights; one batch of
    FFTs (single precision)."""
    cross = sfft.rfft2(bs, workers=1)
    np.conjugate(cross, out=cross)
    cross *= fa
    mag = np.abs(cross)
    mag += 1e-9
    cross /= mag
    corr = sfft.irfft2(cross, s=bs.shape[1:], workers=1)
    h, w = corr.shape[1:]
    flat = corr.reshape(len(corr), -1)
    out = []
    for k, idx in enumerate(np.argmax(flat, axis=1)):
        iv, iu = divmod(int(idx), w)
        dv = iv if iv <= h // 2 else iv - h
        du = iu if iu <= w // 2 else iu - w
        out.append((float(du), float(dv), float(flat[k, idx])))
    return out


# --------------------------------------------------------------------------- refinement


def _median(a: np.ndarray) -> float:
    """Median of a 1-D array (as np.median, by one partition)."""
    n = a.size
    k = n // 2
    if n % 2:
        return float(np.partition(a, k)[k])
    p = np.partition(a, (k - 1, k))
    return 0.5 * (float(p[k - 1]) + float(p[k]))


def _select_points(s: np.ndarray, box: Tuple[int, int, int, int], max_points: int,
                   rng: np.random.Generator) -> Tuple[np.ndarray, ...]:
    """Sample points on the strongest structure-image gradients inside ``box`` (x0, y0, x1, y1,
    at least one pixel clear of the border).

    Returns pixel-centre coordinates ``(u, v)``, the central-difference gradients there (as
    ``np.gradient`` gives them) and the values, all float64.
    """
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    if bw <= 0 or bh <= 0:
        raise ImagingError("registration lost the picture (the analysis region is empty)")
    # Doubled central differences inside the box only.
    gx = s[y0:y1, x0 + 1:x1 + 1] - s[y0:y1, x0 - 1:x1 - 1]
    gy = s[y0 + 1:y1 + 1, x0:x1] - s[y0 - 1:y1 - 1, x0:x1]
    mag = gx * gx
    mag += gy * gy
    flat = mag.ravel()
    n_valid = flat.size
    if n_valid <= max_points:
        idx = np.arange(n_valid)
    else:
        # Keep the strongest edges (threshold from a subsample's quantile), then thin them
        # with a seeded generator: a deterministic sparse Lucas-Kanade.
        k = min(n_valid, 3 * max_points)
        thr = _quantile(flat[::7], 1.0 - k / n_valid)
        idx = np.flatnonzero(flat > thr)
        if idx.size > max_points:
            idx = rng.choice(idx, size=max_points, replace=False)
    v, u = np.divmod(idx, bw)
    return (u + (x0 + 0.5), v + (y0 + 0.5),
            0.5 * gx.ravel()[idx].astype(np.float64), 0.5 * gy.ravel()[idx].astype(np.float64),
            s[v + y0, u + x0].astype(np.float64))


def _quantile(a: np.ndarray, q: float) -> float:
    """``np.quantile(a, q)`` (linear interpolation) by one partition."""
    pos = q * (a.size - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, a.size - 1)
    p = np.partition(a, (lo, hi))
    return float(p[lo]) + (float(p[hi]) - float(p[lo])) * (pos - lo)


def _warp_points(m: np.ndarray, x: np.ndarray, y: np.ndarray, frame: _Frame, model: str):
    """Normalised points (x, y) through the 3x3 map ``m``: (qx, qy, den, qu, qv), the last two
    in level image coordinates (``den`` is None for non-perspective models)."""
    qx = m[0, 0] * x + m[0, 1] * y + m[0, 2]
    qy = m[1, 0] * x + m[1, 1] * y + m[1, 2]
    den = None
    if model == "perspective":
        den = m[2, 0] * x + m[2, 1] * y + m[2, 2]
        qx /= den
        qy /= den
    return qx, qy, den, qx * frame.rho + frame.c[0], qy * frame.rho + frame.c[1]


def _keep_inside(qu: np.ndarray, qv: np.ndarray, w: int, h: int, margin: float,
                 keep: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """Points at least ``margin`` pixels inside the picture: None when all are, else their
    mask, with the others clamped in place (the caller gives them no weight)."""
    inside = (qu > margin) & (qu < w - margin) & (qv > margin) & (qv < h - margin)
    if keep is not None:
        inside &= keep
    n_in = int(np.count_nonzero(inside))
    if n_in < 50:
        raise ImagingError("registration lost the picture (the frames share too little)")
    if n_in == len(inside):
        return None
    np.clip(qu, margin, w - margin, out=qu)
    np.clip(qv, margin, h - margin, out=qv)
    return inside


def _huber_weights(res: np.ndarray, inside: Optional[np.ndarray]) -> np.ndarray:
    """Huber weights (k = 1.345 robust sigma): grain, dirt and one-sided damage must not pull
    the fit. Points outside the picture get none."""
    r_in = res if inside is None else res[inside]
    sigma = 1.4826 * _median(np.abs(r_in - _median(r_in))) + 1e-9
    wts = np.abs(res)
    np.maximum(wts, 1e-12, out=wts)
    np.divide(1.345 * sigma, wts, out=wts)
    np.minimum(wts, 1.0, out=wts)
    if inside is not None:
        wts[~inside] = 0.0
    return wts


def _gram(jt: np.ndarray) -> np.ndarray:
    """``J^T J`` for Jacobian rows ``jt`` (P, N). einsum, not BLAS: a multi-threaded BLAS
    stalls on a busy machine for such small products."""
    return np.einsum("in,jn->ij", jt, jt)


def _weighted_gram(jt: np.ndarray, gram: np.ndarray, wts: np.ndarray) -> np.ndarray:
    """``J^T W J`` from the unweighted ``gram``, correcting only the points with weight < 1."""
    low = np.flatnonzero(wts < 1.0)
    if not low.size:
        return gram.copy()
    jl = jt[:, low]
    return gram - np.einsum("in,jn->ij", jl * (1.0 - wts[low]), jl)


def _solve(hess: np.ndarray, grad: np.ndarray, gain: float, npar: int) -> Optional[np.ndarray]:
    """Gauss-Newton step; the geometric columns of the Jacobian carry the gain."""
    dg = np.ones(len(grad))
    dg[:npar] = gain
    hess = hess * np.outer(dg, dg)
    hess[np.diag_indices_from(hess)] *= 1.0 + 1e-6
    try:
        return np.linalg.solve(hess, grad * dg)
    except np.linalg.LinAlgError:
        return None


def _refine(src: np.ndarray, ref: np.ndarray, frame: _Frame, m_norm: np.ndarray,
            box: Tuple[int, int, int, int], opts: AlignOptions, iters: int,
            rng: np.random.Generator, level: int = 0) -> Tuple[np.ndarray, float]:
    """Gauss-Newton at one level; returns the map and the correlation at the sample points."""
    if level == 0:
        return _refine_fine(src, ref, frame, m_norm, box, opts, iters, rng)
    return _refine_coarse(src, ref, frame, m_norm, box, opts, iters, rng, level)


def _refine_coarse(src: np.ndarray, ref: np.ndarray, frame: _Frame, m_norm: np.ndarray,
                   box: Tuple[int, int, int, int], opts: AlignOptions, iters: int,
                   rng: np.random.Generator, level: int) -> Tuple[np.ndarray, float]:
    """Gauss-Newton below full resolution, which only has to hand over a good start.

    Inverse compositional (Baker & Matthews 2004) with a gain/offset term on the source,
    ``ref(W(x; p)) ~ g * src(x) + b``: the Jacobian comes from the source's gradients at the
    sample points and is fixed for the level, so an iteration samples the reference once and
    re-weights the fixed Hessian only by the points that the Huber weights pull down.
    """
    model = opts.model
    npar = _NPARAM[model]
    tol = 0.02
    u, v, gxs, gys, sval = _select_points(src, box, min(opts.max_points, _COARSE_POINTS), rng)
    x = (u - frame.c[0]) / frame.rho
    y = (v - frame.c[1]) / frame.rho
    jx, jy = _warp_jacobian(x, y, x, y, None, model)
    jt = np.empty((npar + 2, len(x)))
    np.multiply(jx, gxs * frame.rho, out=jt[:npar])
    jt[:npar] += jy * (gys * frame.rho)
    jt[npar] = sval
    jt[npar + 1] = 1.0
    gram = _gram(jt)
    flat = np.ascontiguousarray(ref, np.float32).ravel()
    h, w = ref.shape
    gain, bias = 1.0, 0.0
    m = np.asarray(m_norm, float) / m_norm[2, 2]
    done, step = 0, float("nan")
    for _ in range(iters):
        done += 1
        _, _, _, qu, qv = _warp_points(m, x, y, frame, model)
        inside = _keep_inside(qu, qv, w, h, 1.0)
        rv = _bilinear(flat, qu, qv, w)
        res = rv - (gain * sval + bias)
        wts = _huber_weights(res, inside)
        res *= wts
        delta = _solve(_weighted_gram(jt, gram, wts), np.einsum("in,n->i", jt, res), gain,
                       npar)
        if delta is None:
            break
        # Inverse compositional update: W(p) <- W(p) o W(dp)^-1.
        m = m @ np.linalg.inv(_param_matrix(delta[:npar], model))
        m /= m[2, 2]
        gain += delta[npar]
        bias += delta[npar + 1]
        # Stop when the picture corners move less than 1/50 px at this level.
        step = float(np.max(np.abs(delta[:npar]))) * frame.rho
        if step < tol:
            break
    logger.debug("level %d: %d iterations, last step %.2g px", level, done, step)
    return _param_matrix(_matrix_param(m, model), model), float("nan")


def _ref_gradients(flat: np.ndarray, u: np.ndarray, v: np.ndarray, width: int
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear samples of a flattened image and of its central-difference gradients (as
    ``np.gradient`` gives them inside the picture) at (u, v), from 12 neighbours; the caller
    keeps every point two pixels inside the picture."""
    i, fx, fy = _cell(u, v, width)
    j = i + width
    a, b, c, d = flat[i], flat[i + 1], flat[j], flat[j + 1]
    top = a + (b - a) * fx
    val = top + (c + (d - c) * fx - top) * fy
    # Differences at the four corners, interpolated the same way.
    ga, gb, gc, gd = b - flat[i - 1], flat[i + 2] - a, d - flat[j - 1], flat[j + 2] - c
    top = ga + (gb - ga) * fx
    gx = 0.5 * (top + (gc + (gd - gc) * fx - top) * fy)
    ga, gb, gc, gd = c - flat[i - width], d - flat[i + 1 - width], flat[j + width] - a, \
        flat[j + 1 + width] - b
    top = ga + (gb - ga) * fx
    gy = 0.5 * (top + (gc + (gd - gc) * fx - top) * fy)
    return val, gx, gy


def _refine_fine(src: np.ndarray, ref: np.ndarray, frame: _Frame, m_norm: np.ndarray,
                 box: Tuple[int, int, int, int], opts: AlignOptions, iters: int,
                 rng: np.random.Generator) -> Tuple[np.ndarray, float]:
    """Gauss-Newton at full resolution: forward additive, ``src(x) ~ g(x) * ref(W(x; p)) + b(x)``.

    The photometric gain and offset are not constants but ``c0 + c1 r^2`` (r: distance from the
    frame centre): two elements of one film differ by a radial falloff (lens and scanner
    vignetting, fundus-like illumination, density grain that the local-contrast normalisation
    weighs differently towards dark edges). With a constant gain the fit pays for that radial
    mismatch with a scale error: 0.17 px median corner error on a faded fundus photograph,
    0.12 px with the radial term, other RegBench photos unchanged (bench/bench_align.py).
    The Jacobian comes from the reference's gradients at the warped points and is kept once the
    steps are small. Gradients of the soft reference rather than of the grainy source (as the
    inverse compositional form would use) keep the estimate unbiased.
    """
    model = opts.model
    npar = _NPARAM[model]
    tol = 1e-3
    u, v, _, _, sval = _select_points(src, box, opts.max_points, rng)
    x = (u - frame.c[0]) / frame.rho
    y = (v - frame.c[1]) / frame.rho
    basis = np.stack([np.ones_like(x), x * x + y * y])  # photometric: constant + radial
    nb = basis.shape[0]
    flat = np.ascontiguousarray(ref, np.float32).ravel()
    h, w = ref.shape
    theta = _matrix_param(m_norm, model)
    gain_c = np.zeros(nb)
    gain_c[0] = 1.0
    bias_c = np.zeros(nb)
    jt = keep = last = None
    stale = True
    done, step = 0, float("nan")
    for _ in range(iters):
        done += 1
        qx, qy, den, qu, qv = _warp_points(_param_matrix(theta, model), x, y, frame, model)
        # Two pixels of margin for the gradients' neighbours.
        inside = _keep_inside(qu, qv, w, h, 2.0, keep)
        if stale:
            rv, gxs, gys = _ref_gradients(flat, qu, qv, w)
            jx, jy = _warp_jacobian(x, y, qx, qy, den, model)
            jt = jx * (gxs * frame.rho)
            jt += jy * (gys * frame.rho)
            if inside is not None:
                # Points that start outside stay out: their Jacobian rows are not valid.
                jt[:, ~inside] = 0.0
                keep = inside
        else:
            rv = _bilinear(flat, qu, qv, w)
        gain = gain_c @ basis
        res = sval - (gain * rv + bias_c @ basis)
        last = (rv, inside)
        wts = _huber_weights(res, inside)
        # J = [gain * jt, rv * basis, basis]; a few rows, so the normal equations are cheap.
        jac = np.concatenate([jt * gain, basis * rv, basis])
        jw = jac * wts
        hess = np.einsum("in,jn->ij", jw, jac)
        hess[np.diag_indices_from(hess)] *= 1.0 + 1e-6
        grad = np.einsum("in,n->i", jw, res)
        try:
            delta = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        theta = theta + delta[:npar]
        gain_c += delta[npar:npar + nb]
        bias_c += delta[npar + nb:]
        # Stop when the picture corners move less than 1/1000 px; after a step of more than
        # 1/20 px the Jacobian is taken afresh.
        step = float(np.max(np.abs(delta[:npar]))) * frame.rho
        if step < tol:
            break
        stale = step > 0.05
    logger.debug("level 0: %d iterations, last step %.2g px", done, step)
    # Correlation at the sample points, as sampled by the last iteration.
    ncc = float("nan")
    if last is not None:
        rv, inside = last
        ncc = _ncc(sval, rv) if inside is None else _ncc(sval[inside], rv[inside])
    return _param_matrix(theta, model), ncc


# --------------------------------------------------------------------------- entry points


def estimate(source: np.ndarray, reference: np.ndarray,
             options: Optional[AlignOptions] = None,
             init: Optional[np.ndarray] = None) -> AlignResult:
    """Register ``reference`` onto ``source``.

    Args:
        source: HxW(x3) float image, the element that stays put.
        reference: same size; the element the returned Transform moves.
        options: :class:`AlignOptions`.
        init: optional 3x3 image-coordinate sampling map to start from (skips the coarse grid),
            e.g. the previous frame's result.

    Returns:
        AlignResult with Nuke Transform values and an independent residual.

    Raises:
        ImagingError: the frames differ in size or are too small.
    """
    opts = options or AlignOptions()
    if opts.model not in MODELS:
        raise ImagingError(f"unknown alignment model {opts.model!r}; use one of {MODELS}")
    src_l, ref_l = to_luma(source), to_luma(reference)
    if src_l.shape != ref_l.shape:
        raise ImagingError(f"source is {src_l.shape[1]}x{src_l.shape[0]} but reference is "
                           f"{ref_l.shape[1]}x{ref_l.shape[0]}: conform the reference first")
    h, w = src_l.shape
    if min(h, w) < 48:
        raise ImagingError(f"frames of {w}x{h} are too small to register")
    c0 = np.array([w / 2.0, h / 2.0])
    rho0 = max(w, h) / 2.0
    roi = _roi_pixels(opts.roi, w, h)
    src_pyr = _pyramid(src_l, opts.coarse_size)
    ref_pyr = _pyramid(ref_l, opts.coarse_size)
    top = len(src_pyr) - 1
    m_norm = None
    ncc = float("nan")
    if init is not None:
        m_norm = _Frame((h, w), 0, c0, rho0).to_norm() @ init @ np.linalg.inv(
            _Frame((h, w), 0, c0, rho0).to_norm())
    # Level 1 is skipped below level 2: the coarse levels only hand over a start, and from
    # level 2 it is well inside the full-resolution basin.
    for level in [k for k in range(top, -1, -1) if k != 1 or top == 1]:
        s = structure(src_pyr[level])
        r = structure(ref_pyr[level])
        frame = _Frame(s.shape, level, c0, rho0)
        if m_norm is None:
            m_norm = _coarse_search(s, r, frame, opts)
        box = _level_box(s.shape, roi, 0.5 ** level)
        iters = opts.iterations[0] if level > 0 else opts.iterations[1]
        # One generator per level: the points of one level do not depend on the others'.
        rng = np.random.default_rng((12345, level))
        m_norm, ncc = _refine(s, r, frame, m_norm, box, opts, iters, rng, level)
    frame0 = _Frame((h, w), 0, c0, rho0)
    g = frame0.image_map(m_norm)
    tiles = []
    if opts.residual:
        tiles = residual_tiles(src_l, ref_l, opts.residual_tiles, roi, sampling=g)
    nuke_m = nuke_from_sampling(g, h)
    tr = NukeTransform.from_nuke_matrix(nuke_m, w, h, perspective=opts.model == "perspective")
    res, res_max, nonrigid = summarise_tiles(tiles)
    return AlignResult(tr, g, res, res_max, [t[:4] for t in tiles], ncc, nonrigid)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt(np.sum(a * a) * np.sum(b * b))) + 1e-12
    return float(np.sum(a * b) / den)


def _roi_pixels(roi, w: int, h: int) -> Tuple[int, int, int, int]:
    """Analysis region as array bounds (x0, y0, x1, y1), from Nuke-coordinate BL/TR."""
    if roi is None:
        mx, my = int(round(0.05 * w)), int(round(0.05 * h))
        return mx, my, w - mx, h - my
    bx, by, tx, ty = roi
    x0, x1 = int(max(0, min(bx, tx))), int(min(w, max(bx, tx)))
    y0, y1 = int(max(0, h - max(by, ty))), int(min(h, h - min(by, ty)))
    if x1 - x0 < 32 or y1 - y0 < 32:
        raise ImagingError(f"analysis region {roi} leaves too little picture ({w}x{h} frame)")
    return x0, y0, x1, y1


def _level_box(shape, roi, scale: float) -> Tuple[int, int, int, int]:
    """The analysis region at one pyramid level, (x0, y0, x1, y1), two pixels clear of the
    border."""
    x0, y0, x1, y1 = (int(round(v * scale)) for v in roi)
    m = 2
    return max(x0, m), max(y0, m), min(x1, shape[1] - m), min(y1, shape[0] - m)


def apply(reference: np.ndarray, result_or_map, order: int = 1) -> np.ndarray:
    """The reference as the Transform renders it (aligned onto the source)."""
    g = result_or_map.sampling if isinstance(result_or_map, AlignResult) else result_or_map
    return warp_image(np.asarray(reference, dtype=np.float32), g, order=order)


def residual_heatmap(source: np.ndarray, aligned: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """RGB float heat map of the structural difference after alignment (black = aligned)."""
    s = structure(to_luma(source))
    a = structure(to_luma(aligned))
    d = np.clip(np.abs(s - a) / gain, 0.0, 1.0)
    return heat_colours(d)


def heat_colours(x: np.ndarray) -> np.ndarray:
    """Map 0..1 to a black-red-yellow-white ramp (float RGB)."""
    x = np.clip(x, 0.0, 1.0)[..., None]
    stops = np.array([[0, 0, 0], [0.7, 0.05, 0.0], [1.0, 0.75, 0.0], [1.0, 1.0, 1.0]],
                     dtype=np.float32)
    pos = x * (len(stops) - 1)
    i = np.clip(np.floor(pos).astype(int), 0, len(stops) - 2)
    f = pos - i
    return (stops[i[..., 0]] * (1 - f) + stops[i[..., 0] + 1] * f).astype(np.float32)


def combine(results: Sequence[AlignResult]) -> np.ndarray:
    """One shot-level sampling map from per-frame results: the element-wise median."""
    if not results:
        raise ImagingError("no frames were registered")
    stack = np.stack([r.sampling / r.sampling[2, 2] for r in results])
    return np.median(stack, axis=0)


def frames_json(results: Dict[int, AlignResult]) -> Dict[str, object]:
    """The ``{"frames": {"1001": {...}}}`` document (keys in frame order)."""
    return {"frames": {str(f): results[f].to_json() for f in sorted(results)}}


# --------------------------------------------------------------------------- sequences


def prepare(img: np.ndarray, encoding: str) -> np.ndarray:
    """Pixels in ``encoding`` ("linear"/"srgb") as the registration wants them (sRGB-encoded).

    Linear scans are encoded first so that both sides have similar tone curves.
    """
    from .baseline import encode

    return encode(img, encoding)


def residual_panel(source: np.ndarray, reference: np.ndarray, result: AlignResult
                   ) -> np.ndarray:
    """Side-by-side heat maps: structural difference before (left) and after (right) alignment.

    Bright = edges that do not line up. Both sides are on the same scale.
    """
    aligned = apply(reference, result)
    before = residual_heatmap(source, reference)
    after = residual_heatmap(source, aligned)
    # Where the moved reference has no picture, show grey rather than a false "misaligned" edge.
    valid = warp_image(np.ones(source.shape[:2], np.float32), result.sampling, order=1) > 0.999
    valid = ndimage.binary_erosion(valid, iterations=3)
    after[~valid] = 0.35
    gap = np.ones((before.shape[0], 6, 3), np.float32)
    return np.concatenate([before, gap, after], axis=1)


# Sequence-level registration (pairs, colour, shots, cuts) lives in align_shots; its public names
# stay importable from here. Imported last: align_shots uses the functions above.
from .align_shots import align_sequences, align_to_file, shots_from_curation  # noqa: E402,F401
