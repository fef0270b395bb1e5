"""MatchGrade-like colour baselines fitted on aligned pairs, and training-target construction.

A baseline maps the source's colours onto the reference's with one global function fitted on the
curated pairs of a shot: what any CopyCat model has to beat.

* ``poly``: polynomial regression with a constant term (degree 2 by default: 10 terms per
  channel), lightly ridge-regularised and re-weighted once against misaligned pixels. FadeBench
  (bench/bench_baseline.py) measures it as the strongest shot-level map (34.8 dB uniform fade).
* ``lut3d``: paired 3D LUT (MatchGrade "3D LUT" transform): targets are splatted trilinearly into
  an N^3 lattice; each node's weighted mean is shrunk toward the polynomial fit with weight
  ``w / (w + 0.5)``, so empty cells fall back to the polynomial instead of staying identity.
* ``cdl``: ASC CDL slope / offset / power per channel plus saturation (Rec.709 luma weights),
  fitted by non-linear least squares; exportable as ``.cc`` and to OCIO's CDLTransform.

Unpaired per-frame transfers for comparison: :func:`reinhard` (Lab mean/std),
:func:`histogram_match` and :func:`idt` (Pitié iterative distribution transfer).

Values are fitted in a *working encoding* (sRGB-encoded 0..1 by default, a perceptually even
domain like MatchGrade's logarithmic pre-LUT); :func:`encode` / :func:`decode` convert.

Targets: :func:`chroma_target` is the template's "source Y + reference CbCr";
:func:`matched_target` is the frequency split "reference low-pass Y + source high-pass Y +
reference CbCr", which keeps the source's grain and detail but takes tone from the reference.
"""
from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import ndimage

from ..errors import ImagingError
from ..fileio import write_atomic
from . import lut as lutmod
from .colour import linear_to_srgb, rgb_to_ycbcr, srgb_to_linear, ycbcr_to_rgb

logger = logging.getLogger(__name__)

METHODS = ("poly", "lut3d", "cdl")
_LUMA709 = np.array([0.2126, 0.7152, 0.0722])


# --------------------------------------------------------------------------- encodings


def encode(rgb: np.ndarray, encoding: str) -> np.ndarray:
    """Values in ``encoding`` ("linear" or "srgb") to the sRGB-encoded working domain."""
    if encoding == "linear":
        return linear_to_srgb(np.clip(rgb, 0.0, None))
    if encoding == "srgb":
        return np.asarray(rgb, np.float32)
    raise ImagingError(f"unknown encoding {encoding!r}; use 'linear' or 'srgb'")


def decode(rgb: np.ndarray, encoding: str) -> np.ndarray:
    """Inverse of :func:`encode`."""
    if encoding == "linear":
        return srgb_to_linear(rgb)
    if encoding == "srgb":
        return np.asarray(rgb, np.float32)
    raise ImagingError(f"unknown encoding {encoding!r}; use 'linear' or 'srgb'")


def guess_encoding(path: str) -> str:
    """EXR/HDR/TIFF-float files are taken as linear, everything else as sRGB-encoded."""
    return "linear" if str(path).lower().endswith((".exr", ".hdr", ".sxr")) else "srgb"


# --------------------------------------------------------------------------- pair sampling


def sample_pairs(pairs: Sequence[Tuple[np.ndarray, np.ndarray]], max_samples: int = 200_000,
                 seed: int = 0, margin: int = 4) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel pairs (N, 3) x 2 from aligned frames, skipping borders and invalid reference pixels.

    Reference pixels that are exactly 0 in all channels (outside an aligned, warped frame) are
    dropped. The subsample is seeded, so fits are deterministic.
    """
    if not pairs:
        raise ImagingError("no frame pairs to fit on")
    srcs, refs = [], []
    for s, r in pairs:
        if s.shape != r.shape:
            raise ImagingError(f"pair sizes differ: {s.shape[1]}x{s.shape[0]} vs "
                               f"{r.shape[1]}x{r.shape[0]}")
        s = s[margin:s.shape[0] - margin, margin:s.shape[1] - margin].reshape(-1, 3)
        r = r[margin:r.shape[0] - margin, margin:r.shape[1] - margin].reshape(-1, 3)
        ok = np.any(r != 0, axis=1) & np.all(np.isfinite(s), axis=1) & np.all(np.isfinite(r),
                                                                               axis=1)
        srcs.append(s[ok])
        refs.append(r[ok])
    s = np.concatenate(srcs).astype(np.float64)
    r = np.concatenate(refs).astype(np.float64)
    if len(s) < 100:
        raise ImagingError(f"too few valid pixels to fit a colour map ({len(s)} of the pairs, "
                           "need 100): frames too small, or the reference black or non-finite")
    if len(s) > max_samples:
        idx = np.random.default_rng(seed).choice(len(s), max_samples, replace=False)
        s, r = s[idx], r[idx]
    return s, r


# --------------------------------------------------------------------------- polynomial


def _poly_features(x: np.ndarray, degree: int) -> np.ndarray:
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    cols = [np.ones_like(r), r, g, b]
    if degree >= 2:
        cols += [r * r, g * g, b * b, r * g, r * b, g * b]
    if degree >= 3:
        cols += [r ** 3, g ** 3, b ** 3, r * r * g, r * r * b, g * g * r, g * g * b, b * b * r,
                 b * b * g, r * g * b]
    return np.stack(cols, axis=1)


@dataclass
class PolyMap:
    """Per-channel polynomial in R, G, B with a constant term."""

    coef: np.ndarray  # (terms, 3)
    degree: int = 2

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        shape = rgb.shape
        x = np.clip(np.asarray(rgb, np.float64).reshape(-1, 3), -0.25, 1.5)
        out = _poly_features(x, self.degree) @ self.coef
        return out.reshape(shape).astype(np.float32)

    def to_json(self) -> Dict[str, object]:
        return {"method": "poly", "degree": self.degree, "coef": self.coef.tolist()}


def fit_poly(src: np.ndarray, ref: np.ndarray, degree: int = 2, ridge: float = 1e-4) -> PolyMap:
    """Least-squares polynomial map src -> ref, refitted once with Huber-like weights."""
    feats = _poly_features(src, degree)
    w = np.ones(len(src))
    coef = None
    for _ in range(2):
        fw = feats * w[:, None]
        a = fw.T @ feats + ridge * len(src) * np.eye(feats.shape[1])
        coef = np.linalg.solve(a, fw.T @ ref)
        res = np.linalg.norm(feats @ coef - ref, axis=1)
        k = 2.0 * float(np.median(res)) + 1e-6
        w = np.where(res <= k, 1.0, k / np.maximum(res, 1e-12))
    return PolyMap(coef, degree)


# --------------------------------------------------------------------------- 3D LUT


@dataclass
class Lut3DMap:
    """A paired 3D LUT (``table[r, g, b, 3]``) in the working domain."""

    table: np.ndarray
    coverage: float = 0.0

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        return lutmod.apply(self.table, rgb)

    def to_json(self) -> Dict[str, object]:
        return {"method": "lut3d", "size": int(self.table.shape[0]),
                "coverage": round(self.coverage, 4)}


def fit_lut3d(src: np.ndarray, ref: np.ndarray, size: int = 33,
              prior: Optional[PolyMap] = None, shrink: float = 0.5) -> Lut3DMap:
    """Paired 3D LUT by trilinear splatting, regularised toward ``prior`` (default a poly fit)."""
    prior = prior or fit_poly(src, ref)
    n = size
    x = np.clip(src, 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(x).astype(np.int64), n - 2)
    f = x - i0
    acc = np.zeros((n ** 3, 3))
    wsum = np.zeros(n ** 3)
    for dr in (0, 1):
        wr = f[:, 0] if dr else 1 - f[:, 0]
        for dg in (0, 1):
            wg = f[:, 1] if dg else 1 - f[:, 1]
            for db in (0, 1):
                wb = f[:, 2] if db else 1 - f[:, 2]
                wt = wr * wg * wb
                idx = ((i0[:, 0] + dr) * n + (i0[:, 1] + dg)) * n + (i0[:, 2] + db)
                wsum += np.bincount(idx, weights=wt, minlength=n ** 3)
                for c in range(3):
                    acc[:, c] += np.bincount(idx, weights=wt * ref[:, c], minlength=n ** 3)
    grid = lutmod.identity(n).reshape(-1, 3)
    p = prior(grid).astype(np.float64)
    mean = acc / np.maximum(wsum, 1e-12)[:, None]
    lam = (wsum / (wsum + shrink))[:, None]
    table = lam * mean + (1 - lam) * p
    coverage = float(np.mean(wsum > 0.5))
    return Lut3DMap(table.reshape(n, n, n, 3), coverage)


# --------------------------------------------------------------------------- ASC CDL


@dataclass
class CdlMap:
    """ASC CDL: ``out = (in * slope + offset) ** power``, then saturation (Rec.709 luma)."""

    slope: np.ndarray
    offset: np.ndarray
    power: np.ndarray
    saturation: float = 1.0

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        # Through OpenColorIO's CDLTransform (what Nuke's OCIOCDLTransform runs), 1.6-1.8x faster
        # than the numpy form below, which stays as fallback and test reference (they agree to 3e-7).
        try:
            import PyOpenColorIO as ocio
        except ImportError:
            return self.reference(rgb)
        tr = ocio.CDLTransform()
        tr.setSlope([float(v) for v in self.slope])
        tr.setOffset([float(v) for v in self.offset])
        tr.setPower([float(v) for v in self.power])
        tr.setSat(float(self.saturation))
        tr.setStyle(ocio.CDL_NO_CLAMP)
        from .ocio import apply_transform

        return apply_transform(tr, rgb)

    def reference(self, rgb: np.ndarray) -> np.ndarray:
        # OCIO's default CDL style (CDL_NO_CLAMP, also used for .cc files): no clamping;
        # negative values pass the power function unchanged.
        x = np.asarray(rgb, np.float64)
        sop = x * self.slope + self.offset
        y = np.where(sop >= 0, np.abs(sop) ** self.power, sop)
        lum = (y @ _LUMA709)[..., None]
        return (lum + self.saturation * (y - lum)).astype(np.float32)

    def to_json(self) -> Dict[str, object]:
        return {"method": "cdl", "slope": self.slope.tolist(), "offset": self.offset.tolist(),
                "power": self.power.tolist(), "saturation": self.saturation}

    def to_cc(self, cc_id: str = "baseline") -> str:
        """ASC ColorCorrection XML (``.cc``), readable by OCIO's FileTransform and Nuke."""
        def v(a):
            return " ".join(f"{x:.6f}" for x in a)
        return (f'<ColorCorrection id="{cc_id}">\n'
                f"  <SOPNode>\n    <Slope>{v(self.slope)}</Slope>\n"
                f"    <Offset>{v(self.offset)}</Offset>\n    <Power>{v(self.power)}</Power>\n"
                f"  </SOPNode>\n  <SatNode>\n    <Saturation>{self.saturation:.6f}</Saturation>\n"
                f"  </SatNode>\n</ColorCorrection>\n")


def fit_cdl(src: np.ndarray, ref: np.ndarray, max_samples: int = 20_000) -> CdlMap:
    """Fit CDL slope/offset/power per channel, then the saturation, by robust least squares.

    The channels are fitted one at a time (3 parameters each) and the saturation in closed form;
    two rounds of this alternation converge far faster than one 10-parameter solve.
    """
    from scipy.optimize import least_squares

    if len(src) > max_samples:
        idx = np.random.default_rng(1).choice(len(src), max_samples, replace=False)
        src, ref = src[idx], ref[idx]
    slope, offset, power, sat = np.ones(3), np.zeros(3), np.ones(3), 1.0
    target = ref.copy()
    for _ in range(2):
        for c in range(3):
            x, t = src[:, c], target[:, c]

            def resid(p, x=x, t=t):
                return np.maximum(x * p[0] + p[1], 0.0) ** p[2] - t

            sol = least_squares(resid, [slope[c], offset[c], power[c]],
                                bounds=([0.05, -1.0, 0.1], [20.0, 1.0, 10.0]),
                                loss="soft_l1", f_scale=0.05, max_nfev=100)
            slope[c], offset[c], power[c] = sol.x
        y = np.maximum(src * slope + offset, 0.0) ** power
        lum = (y @ _LUMA709)[:, None]
        d = y - lum
        sat = float(np.clip(np.sum((ref - lum) * d) / max(float(np.sum(d * d)), 1e-12), 0.0, 4.0))
        # Next round: fit the channels to the target with the saturation undone.
        lum_r = (ref @ _LUMA709)[:, None]
        target = lum_r + (ref - lum_r) / max(sat, 1e-3)
    return CdlMap(slope, offset, power, sat)


# --------------------------------------------------------------------------- unpaired


def reinhard(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Reinhard et al. 2001 in CIELAB: match per-channel mean and std (sRGB-encoded in/out)."""
    from .metrics import srgb_to_lab

    a, b = srgb_to_lab(src), srgb_to_lab(ref)
    out = (a - a.mean((0, 1))) / (a.std((0, 1)) + 1e-9) * b.std((0, 1)) + b.mean((0, 1))
    return lab_to_srgb(out)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """Inverse of :func:`metrics.srgb_to_lab` (values clipped to 0..1)."""
    from .metrics import _D65, _RGB_TO_XYZ

    fy = (lab[..., 0] + 16) / 116
    fx = fy + lab[..., 1] / 500
    fz = fy - lab[..., 2] / 200
    d = 6.0 / 29.0

    def finv(t):
        return np.where(t > d, t ** 3, 3 * d * d * (t - 4.0 / 29))

    xyz = np.stack([finv(fx), finv(fy), finv(fz)], -1) * _D65
    lin = np.einsum("...c,kc->...k", xyz, np.linalg.inv(_RGB_TO_XYZ))
    return linear_to_srgb(np.clip(lin, 0, 1)).astype(np.float32)


def histogram_match(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-channel histogram matching of ``src`` to ``ref`` (quantile mapping).

    scikit-image's ``match_histograms``: the field's implementation, 2.3x faster than the sort-based
    version we had, with the same output on continuous (tie-free) data.
    """
    from skimage.exposure import match_histograms

    out = match_histograms(np.asarray(src, np.float32), np.asarray(ref, np.float32), channel_axis=-1)
    return np.asarray(out, np.float32)


def idt(src: np.ndarray, ref: np.ndarray, iterations: int = 20, seed: int = 0,
        max_samples: int = 20_000) -> np.ndarray:
    """Iterative distribution transfer (Pitie, Kokaram, Dahyot 2005): unpaired, per frame.

    Each iteration rotates both colour clouds by a random orthonormal basis and matches the
    1-D marginals along its axes (quantile mapping), moving ``src`` toward ``ref``'s 3-D colour
    distribution. Seeded, so deterministic.
    """
    rng = np.random.default_rng(seed)
    shape = src.shape
    # Planar (3, N) arrays: np.interp on contiguous rows is several times faster than on columns.
    x = np.ascontiguousarray(np.asarray(src, np.float64).reshape(-1, 3).T)
    y = np.asarray(ref, np.float64).reshape(-1, 3)
    if len(y) > max_samples:
        y = y[rng.choice(len(y), max_samples, replace=False)]
    y = np.ascontiguousarray(y.T)
    n = x.shape[1]
    sub = rng.choice(n, max_samples, replace=False) if n > max_samples else np.arange(n)
    qs = np.linspace(0.0, 1.0, 257)
    ramp = np.arange(len(qs)) * 1e-12
    for _ in range(iterations):
        rot, _r = np.linalg.qr(rng.standard_normal((3, 3)))
        xr = np.einsum("kc,kn->cn", rot, x)
        yr = np.einsum("kc,kn->cn", rot, y)
        for k in range(3):
            # Piecewise-linear quantile map from x's marginal to y's along this axis.
            xq = np.maximum.accumulate(np.quantile(xr[k, sub], qs) + ramp)
            xr[k] = np.interp(xr[k], xq, np.quantile(yr[k], qs))
        x = np.einsum("ck,kn->cn", rot, xr)
    return np.ascontiguousarray(x.T).reshape(shape).astype(np.float32)


# --------------------------------------------------------------------------- targets


def chroma_target(src: np.ndarray, ref: np.ndarray, matrix: str = "rec709") -> np.ndarray:
    """The template's ground truth: source Y' + reference CbCr (working domain in and out)."""
    ys = rgb_to_ycbcr(src, matrix)
    yr = rgb_to_ycbcr(ref, matrix)
    return ycbcr_to_rgb(np.concatenate([ys[..., :1], yr[..., 1:]], -1), matrix)


def matched_target(src: np.ndarray, ref: np.ndarray, sigma: float = 2.0,
                   matrix: str = "rec709") -> np.ndarray:
    """Frequency-split ground truth: G(ref Y') + (src Y' - G(src Y')) + reference CbCr.

    ``sigma`` (source pixels) should be about the reference's blur radius.
    """
    ys = rgb_to_ycbcr(src, matrix)
    yr = rgb_to_ycbcr(ref, matrix)
    ls = ys[..., 0]
    lr = yr[..., 0]
    y = (ndimage.gaussian_filter(lr, sigma, mode="nearest") + ls
         - ndimage.gaussian_filter(ls, sigma, mode="nearest"))
    return ycbcr_to_rgb(np.concatenate([y[..., None], yr[..., 1:]], -1), matrix)


# --------------------------------------------------------------------------- fitting entry


@dataclass
class Baseline:
    """A fitted baseline and what it was fitted on."""

    method: str
    mapping: object
    frames: List[int] = field(default_factory=list)
    fit_error: Dict[str, float] = field(default_factory=dict)
    setup: object = None  # the PairSetup it was fitted on (frame pairing, colour, scale)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        return self.mapping(rgb)

    def table(self, size: int = 33) -> np.ndarray:
        """The map baked into a 3D LUT table (exact for ``lut3d`` at its own size)."""
        if isinstance(self.mapping, Lut3DMap) and self.mapping.table.shape[0] == size:
            return self.mapping.table
        grid = lutmod.identity(size)
        return self.mapping(grid.reshape(-1, 3)).reshape(grid.shape).astype(np.float64)

    def to_json(self) -> Dict[str, object]:
        d = {"frames": self.frames, "fit_error": self.fit_error}
        d.update(self.mapping.to_json())  # type: ignore[attr-defined]
        if self.setup is not None:
            d.update(self.setup.describe())  # type: ignore[attr-defined]
            d["reference_frames"] = [self.setup.pairing.reference(f)  # type: ignore[attr-defined]
                                     for f in self.frames]
        return d


def fit(pairs: Sequence[Tuple[np.ndarray, np.ndarray]], method: str = "poly",
        frames: Sequence[int] = (), lut_size: int = 33, degree: int = 2) -> Baseline:
    """Fit a baseline on aligned (source, reference) pairs in the working domain."""
    if method not in METHODS:
        raise ImagingError(f"unknown baseline method {method!r}; use one of {METHODS}")
    s, r = sample_pairs(pairs)
    if method == "poly":
        mapping: object = fit_poly(s, r, degree)
    elif method == "lut3d":
        mapping = fit_lut3d(s, r, lut_size, prior=fit_poly(s, r, degree))
    else:
        mapping = fit_cdl(s, r)
    pred = mapping(s)  # type: ignore[operator]
    rmse = float(np.sqrt(np.mean((pred - r) ** 2)))
    ident = float(np.sqrt(np.mean((s - r) ** 2)))
    err = {"rmse": round(rmse, 6), "identity_rmse": round(ident, 6),
           "psnr_db": round(-20 * math.log10(max(rmse, 1e-12)), 3)}
    logger.info("baseline %s: fit RMSE %.4f (identity %.4f)", method, rmse, ident)
    return Baseline(method, mapping, list(frames), err)


def export(baseline: Baseline, outdir, force: bool = False, lut_size: int = 33,
           encoding_note: str = "sRGB-encoded in and out") -> Dict[str, str]:
    """Write ``baseline.json``, ``baseline_<method>.cube`` and for CDL ``baseline.cc``."""
    out = Path(outdir)
    paths: Dict[str, str] = {}
    cube = out / f"baseline_{baseline.method}.cube"
    lutmod.write_cube(cube, baseline.table(lut_size), force=force,
                      title=f"nuke_restore {baseline.method} baseline",
                      comments=(f"domain: {encoding_note}",
                                f"fitted on frames {baseline.frames}"))
    paths["cube"] = str(cube)
    if isinstance(baseline.mapping, CdlMap):
        cc = out / "baseline.cc"
        write_atomic(cc, baseline.mapping.to_cc(), force=force)
        paths["cc"] = str(cc)
    meta = out / "baseline.json"
    doc = baseline.to_json()
    doc["encoding"] = encoding_note
    doc["files"] = {k: Path(v).name for k, v in paths.items()}
    write_atomic(meta, json.dumps(doc, indent=1) + "\n", force=force)
    paths["json"] = str(meta)
    return paths


# --------------------------------------------------------------------------- sequences


def read_pairs(source, reference, frames: Optional[Sequence[int]] = None, n_frames: int = 4,
               align_first: bool = False, source_encoding: Optional[str] = None,
               reference_encoding: Optional[str] = None, proxy: int = 1,
               progress: bool = False, *, frame_map=None, allow_missing: bool = False,
               colour=None, setup_out: Optional[list] = None
               ) -> Tuple[List[int], List[Tuple[np.ndarray, np.ndarray]]]:
    """Read (source, reference) pairs in the working domain, optionally registering them first.

    Without ``frames``, ``n_frames`` source frames spread evenly over the paired range are used
    (first and last included), like MatchGrade's reference frames. The reference frame of each
    source frame comes from ``frame_map`` (default: the same number); a reference of another size
    is brought to the source's format; both sides are decoded from their colour spaces
    (``colour``, or ``source_encoding``/``reference_encoding`` names) to the working domain.
    ``setup_out``, when given, receives the :class:`~.pairs.PairSetup` (for reports).
    """
    from . import align
    from .ocio import Colour
    from .pairs import pick_even, setup_pairs
    from .progress import progress_bar

    if colour is None:
        colour = Colour(declared={"source": source_encoding, "reference": reference_encoding})
    setup = setup_pairs(source, reference, frame_map, frames, allow_missing, colour)
    todo = setup.frames
    if frames is None:
        todo = pick_even(todo, n_frames)
    pairs = []
    for f in progress_bar(todo, desc="read pairs", enabled=progress):
        s = setup.read_source(f, proxy)
        r = setup.read_reference(f, proxy)
        if align_first:
            res = align.estimate(s, r)
            if not res.residual <= 0.5:
                logger.warning("frame %d: registration residual %.2f px", f, res.residual)
            r = align.apply(r, res)
        pairs.append((s, r))
    if setup_out is not None:
        setup_out.append(setup)
    return todo, pairs


def fit_sequences(source, reference, method: str = "poly", frames: Optional[Sequence[int]] = None,
                  n_frames: int = 4, align_first: bool = False, lut_size: int = 33,
                  degree: int = 2, source_encoding: Optional[str] = None,
                  reference_encoding: Optional[str] = None, progress: bool = False, *,
                  frame_map=None, allow_missing: bool = False, colour=None) -> Baseline:
    """Fit a baseline on frames of two sequences (see :func:`read_pairs` and :func:`fit`).

    The result's ``notes`` say how frames were paired, the colour spaces and the reference scale.
    """
    got: list = []
    todo, pairs = read_pairs(source, reference, frames, n_frames, align_first, source_encoding,
                             reference_encoding, progress=progress, frame_map=frame_map,
                             allow_missing=allow_missing, colour=colour, setup_out=got)
    b = fit(pairs, method, todo, lut_size, degree)
    b.setup = got[0]
    return b


def apply_sequence(baseline_map: Baseline, source, out_pattern: str,
                   frames: Optional[Sequence[int]] = None, encoding: Optional[str] = None,
                   force: bool = False, progress: bool = False, *, colour=None) -> List[str]:
    """Apply a baseline to a sequence and write ``out_pattern`` (``####`` or ``%04d``).

    The source is decoded from its colour space (``colour``'s ``source``; or ``encoding``; or its
    file type's); the output is written in ``colour``'s ``output`` colour space, else by its file
    type: EXR is scene-linear (the source's space when that is scene-linear, else the config's
    ``scene_linear``), 8/16-bit files sRGB. EXR files carry the colour space in their header.
    Every target is checked before anything is written, so a refused overwrite leaves nothing
    half done.

    Raises:
        OutputExistsError: a target exists and ``force`` is false.
        ImagingError: missing or unreadable source frames.
    """
    import re

    from ..errors import OutputExistsError
    from ..fileio import missing_folders, remove_empty_folders
    from .ocio import Colour, tag_attributes
    from .pairs import open_sequence, read, resolve_frames
    from .progress import progress_bar
    from .sequence import check_image_output, write_image

    seq = open_sequence(source)
    todo = resolve_frames({"source": seq}, frames)
    m = re.search(r"(#+|%0?(\d*)d)", out_pattern)
    if not m:
        raise ImagingError("output pattern needs a frame token (#### or %04d)", path=out_pattern)
    pad = len(m.group(1)) if m.group(1).startswith("#") else int(m.group(2) or 1)

    def target(f: int) -> str:
        return out_pattern[:m.start()] + f"{f:0{pad}d}" + out_pattern[m.end():]

    if not force:
        for f in todo:
            if Path(target(f)).exists():
                raise OutputExistsError("exists; use --force to overwrite", path=target(f))
    if colour is None:
        colour = Colour(declared={"source": encoding})
    src_cs = colour.space("source", seq.path(todo[0]))
    out_cs = colour.output_space("output", target(todo[0]), like=src_cs)
    check_image_output(target(todo[0]), force=True)
    created = missing_folders(target(todo[0]))  # removed again if the run fails
    out_ext = Path(out_pattern).suffix.lower()
    dtype = "half" if out_ext == ".exr" else ("uint16" if out_ext in (".tif", ".tiff", ".png",
                                                                      ".dpx") else "uint8")
    attrs = tag_attributes(out_cs, target(todo[0]))
    written: List[str] = []
    try:
        for f in progress_bar(todo, desc="apply baseline", enabled=progress):
            img = colour.to_analysis(read(seq, f), "source")
            out = colour.from_analysis(baseline_map(img), "output")
            kw = {"compression": "zip"} if out_ext == ".exr" else {}
            write_image(target(f), out, dtype, force=True, attributes=attrs, **kw)
            written.append(target(f))
    except BaseException:
        # A corrupt source frame half way: remove what this run wrote, leave no partial sequence.
        # (Targets that existed were only overwritten with force.)
        for p in written:
            try:
                os.unlink(p)
            except OSError:
                pass
        remove_empty_folders(created)
        raise
    return written


def demo_baseline(footage: Dict[str, object], outdir) -> str:
    """The demo's step: a shot-level poly baseline on 4 frames of the first shot.

    Fits on registered pairs, applies to the whole shot, exports the .cube, and scores held-out
    frames against the sample's ground truth.
    """
    from . import metrics
    from .pairs import open_sequence, read

    shot = footage["shots"][0]  # type: ignore[index]
    first, last = int(shot["first"]), int(shot["last"])
    src_seq = open_sequence(footage["source"])
    frames = [f for f in src_seq.frames if first <= f <= last]
    events = footage.get("events") or {}
    clean = [f for f in frames if f not in set(events.get("flash", [])) | set(
        events.get("blur", []))]
    from .pairs import pick_even

    fit_frames = pick_even(clean, 4)
    b = fit_sequences(footage["source"], footage["reference"], "poly", frames=fit_frames,
                      align_first=True)
    out = Path(outdir)
    paths = export(b, out, force=True)
    written = apply_sequence(b, footage["source"], str(out / "render" / "baseline.####.exr"),
                             frames=frames, force=True)
    held = [f for f in clean if f not in fit_frames]
    scores = []
    if footage.get("truth") and held:
        truth = open_sequence(footage["truth"])
        for f in held:
            gt = encode(read(truth, f), "linear")
            src = encode(read(src_seq, f), "linear")
            scores.append((metrics.psnr(src, gt), metrics.psnr(np.clip(b(src), 0, 1), gt)))
    msg = (f"poly baseline fitted on frames {fit_frames}, {len(written)} frames rendered, "
           f".cube -> {Path(paths['cube']).name}")
    if scores:
        before = float(np.mean([s[0] for s in scores]))
        after = float(np.mean([s[1] for s in scores]))
        msg += f"; held-out PSNR {after:.1f} dB (faded source {before:.1f} dB)"
    return msg
