"""The reference's framing against the source: the scale and offset a transfer put on the picture.

Telecines and DVD transfers crop (overscan), scale and shift the picture; the conform undoes that
on its small rasters before matching frames, so that a descriptor cell sees the same part of the
picture on both sides. The framing is measured from a few "sure" pairs (a source frame and the
reference frame a first, coarse alignment says shows it cleanly), one from each stretch of the
source:

1. **Scale**: pairs are registered (:func:`.align.estimate`, similarity, on the small rasters)
   until two from different stretches agree. A pan does not change the scale, so a pair a frame
   or two off still measures it.
2. **Offset**: a pan *is* an offset, so a pair whose reference frame is off by a frame, or shows a
   blend of two (frame-blending conversions), measures the framing plus the picture's motion over
   that offset. Each pair is therefore placed (by phase correlation, at that scale) against its
   reference frame and both neighbours: the three offsets lie on the line of that shot's motion,
   and the framing lies on that line too, wherever along it the true film frame is. Different
   shots move differently, so the framing is where the lines meet; a pair that does not move is a
   direct measure of it. When every shot moves the same way the lines do not pin it down, and the
   offset most pairs share (within a tolerance) is kept instead.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from .conform_features import warp_small

#: A pair's offsets spanning less than this (small-raster pixels) are one point: it does not move.
STILL = 0.3
#: Offsets farther than this from a pair's motion line (pixels): not a straight motion, not used.
STRAIGHT = 0.3
#: Lines crossing at less than this angle do not pin the framing down (sine of 20 degrees).
CROSSING = 0.34


def estimate_framing(sure: Sequence[Tuple[int, int]], src_small: np.ndarray,
                     ref_small: np.ndarray, reach: int = 1, tolerance: float = 0.6,
                     meet: float = 0.35) -> Optional[Dict[str, Any]]:
    """Scale and offset of the reference's picture against the source's (module docstring).

    Args:
        sure: (source index, reference index) pairs spread over the source, at least two.
        src_small, ref_small: the small rasters (n x 1 x h x w, m x 2 x h x w).
        reach: reference neighbours placed either side of each pair's frame.
        tolerance: small-raster pixels within which two scales (at the raster's edge) or two
            offsets agree.
        meet: pixels within which a pair's motion line passes the framing.

    Returns:
        ``{"sampling": 3x3 map (output x -> reference G x), "scale", "shift" (shares of the
        width and height), "pairs", "of", "method": "lines" or "consensus"}``, or None when
        nothing needs correcting (below a tenth of a descriptor cell) or nothing agrees.
    """
    if len(sure) < 2:
        return None
    h, w = src_small.shape[-2:]
    half_size = max(w, h) / 2
    scale = _scale(sure, src_small, ref_small, tolerance / half_size)
    if scale is None:
        return None
    centre = np.array([w / 2.0, h / 2.0])
    g0 = np.eye(3)
    g0[:2, :2] *= scale
    g0[:2, 2] = centre - scale * centre
    m = len(ref_small)
    picks = [(p, d) for p, (_i, j) in enumerate(sure) for d in range(-reach, reach + 1)
             if 0 <= j + d < m]
    refs = warp_small(np.stack([ref_small[sure[p][1] + d].mean(axis=0) for p, d in picks]), g0)
    shifts = _phase_shifts(np.stack([src_small[i, 0] for i, _j in sure]), refs,
                           [p for p, _d in picks])
    found: List[List[Tuple[int, np.ndarray, float]]] = [[] for _ in sure]
    for (p, d), (du, dv, peak) in zip(picks, shifts):
        # src(x) ~ warped(x + d) = ref(g0 (x + d)): the shift seen from the centre
        found[p].append((abs(d), scale * np.array([du, dv]), float(peak)))
    have = [q for q in found if q]
    met = _where_lines_meet([[x[1] for x in q] for q in have], meet)
    if met is not None:
        shift, used, method = met[0], met[1], "lines"
        peak = float(np.median([x[2] for q in have for x in q]))
    else:
        agreed = _consensus(have, tolerance)
        if agreed is None:
            return None
        shift, used, method = agreed[0], agreed[1], "consensus"
        peak = agreed[2]
    g = g0.copy()
    g[:2, 2] += shift
    par = np.array([(scale - 1.0) * half_size, shift[0], shift[1]])
    # below a tenth of a descriptor cell (a small raster pixel is half a cell or less): no change
    if float(np.abs(par).max()) < 0.2:
        return None
    return {"sampling": g, "scale": round(scale, 4),
            "shift": [round(float(shift[0]) / w, 4), round(float(shift[1]) / h, 4)],
            "pairs": used, "of": len(have), "method": method, "peak": round(peak, 3)}


def _scale(sure, src_small, ref_small, tolerance: float) -> Optional[float]:
    """The scale two registered pairs from different stretches agree on (every other stretch
    first), or None."""
    from .align import AlignOptions, estimate

    # transfers are scaled and shifted, not turned: no coarse rotation search (the similarity
    # refinement still measures a small turn); few iterations suffice on 128x72 rasters
    opts = AlignOptions(model="similarity", max_rotate=0.0, max_scale=1.12, residual=False,
                        coarse_size=64, max_points=2000, iterations=(6, 3))
    scales: List[float] = []
    for p in list(range(0, len(sure), 2)) + list(range(1, len(sure), 2))[::-1]:
        i, j = sure[p]
        try:
            res = estimate(src_small[i, 0].astype(np.float64),
                           ref_small[j].mean(axis=0).astype(np.float64), opts)
        except ImagingError:
            continue
        s = float(np.sqrt(abs(np.linalg.det(res.sampling[:2, :2]))))
        close = [x for x in scales if abs(x - s) <= tolerance]
        if close:
            return float(np.median(close + [s]))
        scales.append(s)
    return None


def _where_lines_meet(points: Sequence[Sequence[np.ndarray]], meet: float
                      ) -> Optional[Tuple[np.ndarray, int]]:
    """The point where most pairs' motion lines meet (least squares over those passing within
    ``meet``), with how many pairs; None when no two usable lines cross at a clear angle.

    Each pair's offsets give one constraint group: a line (its offsets spread along a straight
    motion: one row ``n . F = n . c``, ``n`` the line's normal) or a point (they do not spread:
    two rows). A pair whose offsets do not lie on a line gives none.
    """
    groups: List[List[Tuple[np.ndarray, float]]] = []
    for pts in points:
        p = np.asarray(pts, np.float64)
        c = p.mean(axis=0)
        if len(p) >= 2:
            _u, _s, vt = np.linalg.svd(p - c)
            along, across = (p - c) @ vt[0], (p - c) @ vt[1]
        if len(p) < 2 or np.ptp(along) < STILL:
            groups.append([(np.array([1.0, 0.0]), c[0]), (np.array([0.0, 1.0]), c[1])])
        elif np.abs(across).max() <= STRAIGHT:
            groups.append([(vt[1], float(vt[1] @ c))])

    def solve(gs):
        # least squares over the rows n . F = c of the groups (a 2 x 2 system)
        sxx = sxy = syy = bx = by = 0.0
        for g in gs:
            for (nx, ny), c in g:
                sxx += nx * nx
                sxy += nx * ny
                syy += ny * ny
                bx += nx * c
                by += ny * c
        # unit normals: the smallest eigenvalue is the squared sine of the widest crossing
        low = 0.5 * (sxx + syy) - float(np.hypot(0.5 * (sxx - syy), sxy))
        if low < CROSSING ** 2:
            return None
        det = sxx * syy - sxy * sxy
        return np.array([(syy * bx - sxy * by) / det, (sxx * by - sxy * bx) / det])

    def fits(g, f):
        return all(abs(n @ f - c) <= meet for n, c in g)

    best: Optional[Tuple[int, float, np.ndarray]] = None
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            f = solve([groups[a], groups[b]])
            if f is None:
                continue
            inliers = [g for g in groups if fits(g, f)]
            if len(inliers) < 2:
                continue
            f = solve(inliers)
            if f is None:
                continue
            spread = float(sum(abs(n @ f - c) for g in inliers for n, c in g))
            key = (len(inliers), -spread)
            if best is None or key > best[:2]:
                best = (len(inliers), -spread, f)
    if best is None:
        return None
    return best[2], best[0]


def _consensus(have, tolerance: float) -> Optional[Tuple[np.ndarray, int, float]]:
    """The offset most pairs share within ``tolerance`` (ties: nearer the pair's own frame, then
    the higher peak), the median of those sharing it; None when fewer than half share one."""
    best_key, best_set = None, []
    for mine in have:
        for d, shift, peak in mine:
            agree = [min(q, key=lambda x: np.abs(x[1] - shift).max()) for q in have]
            agree = [x for x in agree if np.abs(x[1] - shift).max() <= tolerance]
            key = (len(agree), -d, peak)
            if best_key is None or key > best_key:
                best_key, best_set = key, agree
    if len(best_set) < max(2, (len(have) + 1) // 2):
        return None
    return (np.median(np.stack([x[1] for x in best_set]), axis=0), len(best_set),
            float(np.median([x[2] for x in best_set])))


def _phase_shifts(srcs: np.ndarray, refs: np.ndarray, which: Optional[Sequence[int]] = None
                  ) -> np.ndarray:
    """Rows (du, dv, peak), one per raster of ``refs``: ``src(x) ~ ref(x + (du, dv))`` with
    ``src = srcs[which[k]]`` (default ``srcs[k]``), by phase correlation (Hann window), all in
    one batch of FFTs.

    The normalised cross-power spectrum is tapered by a Gaussian, so the correlation peak is a
    Gaussian of about one pixel: a parabola through the logarithms of the peak and its
    neighbours then finds its centre to a fraction of a pixel without the pull towards whole
    pixels that a parabola through a sharp phase-correlation peak has. ``peak`` is 1 for a
    perfect match.
    """
    from scipy import fft as sfft

    k, h, w = refs.shape
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)

    def spectrum(a):
        # single precision, as the aligner's phase correlation: plenty for a ~100 px raster
        a = np.asarray(a, np.float32)
        return sfft.rfft2((a - a.mean(axis=(1, 2), keepdims=True)) * win, workers=1)

    fs = spectrum(srcs)
    cross = (fs if which is None else fs[np.asarray(which)]) * np.conj(spectrum(refs))
    cross /= np.abs(cross) + 1e-12
    wy = sfft.fftfreq(h)[:, None]
    wx = sfft.rfftfreq(w)[None, :]
    taper = np.exp(-2.0 * np.pi ** 2 * (wx * wx + wy * wy))      # a Gaussian of 1 pixel
    cross *= taper.astype(np.float32)
    corr = sfft.irfft2(cross, s=(h, w), workers=1) / sfft.irfft2(taper, s=(h, w))[0, 0]
    # the peak and its four neighbours (wrapping round), all rasters at once
    flat = corr.reshape(k, -1)
    iv, iu = np.divmod(np.argmax(flat, axis=1), w)
    n = np.arange(k)
    peak = corr[n, iv, iu]
    floor = 1e-6 * np.maximum(peak, 1e-12)

    def vertex(a, c):
        a, b, c = (np.log(np.maximum(x, floor)) for x in (a, peak, c))
        den = a - 2 * b + c
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.clip(0.5 * (a - c) / den, -0.5, 0.5)
        return np.where(den < 0, off, 0.0)

    fu = vertex(corr[n, iv, iu - 1], corr[n, iv, (iu + 1) % w])
    fv = vertex(corr[n, iv - 1, iu], corr[n, (iv + 1) % h, iu])
    # the correlation peaks at -(du, dv), modulo the raster's size
    du = np.where(iu <= w // 2, iu + fu, iu + fu - w)
    dv = np.where(iv <= h // 2, iv + fv, iv + fv - h)
    return np.stack([-du, -dv, peak], axis=1)
