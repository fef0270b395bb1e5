"""RegBench: registration accuracy and speed against OpenCV's pyramid ECC.

Pairs: a bundled real photograph (scikit-image wheel) as ground truth; the *source* is its
density-domain dye fade with grain and a slight blur; the *reference* is the photograph moved by
a known Nuke Transform, then degraded like a DVD/telecine (0.5x, 4:2:0 chroma, JPEG q80,
bicubic back up). Error: RMS displacement of the four format corners between the estimated and
the true registration, in pixels. Both methods run in the same process on the same pairs,
single-threaded, and are timed the same way (process CPU time, so that other jobs on a shared
machine do not skew the comparison).

Peers: cv2.findTransformECC (affine, 3-level pyramid, 100 iterations, eps 1e-6,
gaussFiltSize 5), initialised by cv2.phaseCorrelate (fast) and by ORB-4000 + RANSAC (robust to
large rotation/scale); the ORB-started one also runs in its fair set-up, with a valid-pixel mask
of the reference (its black Transform border left out), which is how a careful user runs it.

Usage: python bench/bench_align.py [--photos N] [--quick]
Needs the bench extra (opencv-python-headless) besides imaging.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from nuke_restore.imaging import align, geometry, samples  # noqa: E402
from nuke_restore.imaging.colour import linear_to_srgb, srgb_to_linear  # noqa: E402

CASES = [
    # name, translate (Nuke px), rotate (deg CCW), scale
    ("translation", (3.37, -5.81), 0.0, 1.0),
    ("similarity s1.03 r0.8", (4.2, 2.6), 0.8, 1.03),
    ("large s1.10 r3", (-7.5, 5.0), 3.0, 1.10),
    ("XL s1.25 r8 t(40,25)", (40.0, 25.0), 8.0, 1.25),
]


def _cv2():
    import cv2

    cv2.setNumThreads(1)
    return cv2


def degrade_dvd(srgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return samples.degrade_dvd(srgb, rng)


def faded_source(srgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lin = samples.fade_linear(srgb_to_linear(srgb), samples.FadeParams(), rng)
    lin = samples.gaussian_blur(lin, 0.6)
    return linear_to_srgb(np.clip(lin, 0, 1))


def make_pair(photo: np.ndarray, case, rng):
    _, t, r, s = case
    h, w = photo.shape[:2]
    m_gen = geometry.nuke_matrix(t, r, s, (w / 2, h / 2))
    ref = geometry.render_transform(photo, m_gen, order=3)
    return faded_source(photo, rng), degrade_dvd(np.clip(ref, 0, 1), rng), m_gen


def valid_mask(gray: np.ndarray) -> np.ndarray:
    """The fair peer set-up: ECC told which reference pixels are picture (not the black border
    the Transform leaves), as a user of findTransformECC would: non-black pixels, eroded 3 px."""
    cv2 = _cv2()
    m = (gray > 1.0 / 255).astype(np.uint8)
    return cv2.erode(m, np.ones((7, 7), np.uint8))


def ecc_pyramid(src: np.ndarray, ref: np.ndarray, init: str, masked: bool = False) -> np.ndarray:
    """cv2 pyramid ECC (affine). Returns the image-coordinate sampling map."""
    cv2 = _cv2()
    a = cv2.cvtColor(src, cv2.COLOR_RGB2GRAY)
    b = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    mask = valid_mask(b) if masked else None
    h, w = a.shape
    if init == "orb":
        orb = cv2.ORB_create(4000)
        ka, da = orb.detectAndCompute((a * 255).astype(np.uint8), None)
        kb, db = orb.detectAndCompute((b * 255).astype(np.uint8), None)
        matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
        pa = np.float32([ka[m.queryIdx].pt for m in matches])
        pb = np.float32([kb[m.trainIdx].pt for m in matches])
        warp, _ = cv2.estimateAffinePartial2D(pa, pb, method=cv2.RANSAC,
                                              ransacReprojThreshold=2.0)
        warp = warp.astype(np.float32) if warp is not None else np.eye(2, 3, dtype=np.float32)
    else:
        win = cv2.createHanningWindow((w, h), cv2.CV_32F)
        (dx, dy), _ = cv2.phaseCorrelate(a, b, win)
        warp = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    levels = 3
    pa, pb, pm = [a], [b], [mask]
    for _ in range(levels - 1):
        pa.append(cv2.pyrDown(pa[-1]))
        pb.append(cv2.pyrDown(pb[-1]))
        if mask is not None:
            pm.append(cv2.resize(pm[-1], pb[-1].shape[::-1], interpolation=cv2.INTER_NEAREST))
        else:
            pm.append(None)
    warp = warp.copy()
    warp[:, 2] /= 2 ** (levels - 1)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-6)
    for lev in range(levels - 1, -1, -1):
        try:
            _, warp = cv2.findTransformECC(pa[lev], pb[lev], warp, cv2.MOTION_AFFINE, crit,
                                           pm[lev], 5)
        except cv2.error:
            pass
        if lev:
            warp[:, 2] *= 2
    g_idx = np.vstack([warp, [0, 0, 1]]).astype(float)
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1.0]])
    return half @ g_idx @ np.linalg.inv(half)


def corner_err_from_sampling(g: np.ndarray, m_gen: np.ndarray, w: int, h: int) -> float:
    m_est = geometry.nuke_from_sampling(g, h)
    return geometry.corner_error(m_est @ m_gen, np.eye(3), w, h)


def parallax_check():
    """The real stereo pair: registration must report that one transform does not fit."""
    from skimage import data

    left, right, _ = data.stereo_motorcycle()
    return align.estimate(left.astype(np.float32) / 255, right.astype(np.float32) / 255)


def fundus_check(n: int = 6, size: int = 1024):
    """A fundus photograph (black surround, weak low-contrast texture): random similarity warps
    (+-4 deg, scale 0.92-1.12, +-12 px), faded grainy source, DVD-like reference. Ours against
    ORB-started ECC with a valid mask, same pairs."""
    cv2 = _cv2()
    from skimage import data

    photo = cv2.resize(data.retina().astype(np.float32) / 255, (size, size),
                       interpolation=cv2.INTER_AREA)
    errs = {"ours": [], "ECC pyr (ORB init, valid mask)": []}
    times = {k: [] for k in errs}
    for seed in range(n):
        rng = np.random.default_rng(500 + seed)
        case = ("fundus", tuple(rng.uniform(-12, 12, 2)), rng.uniform(-4, 4),
                rng.uniform(0.92, 1.12))
        src, ref, m_gen = make_pair(photo, case, rng)
        t0 = time.process_time()
        res = align.estimate(src, ref)
        times["ours"].append(time.process_time() - t0)
        errs["ours"].append(geometry.corner_error(res.transform.matrix() @ m_gen, np.eye(3),
                                                  size, size))
        t0 = time.process_time()
        g = ecc_pyramid(src, ref, "orb", masked=True)
        times["ECC pyr (ORB init, valid mask)"].append(time.process_time() - t0)
        errs["ECC pyr (ORB init, valid mask)"].append(corner_err_from_sampling(g, m_gen, size,
                                                                               size))
    return {k: (float(np.median(v)), float(np.max(v)), 1000 * float(np.median(times[k])))
            for k, v in errs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="two photos, two cases")
    args = ap.parse_args()
    names = list(samples.PHOTOS)[: (2 if args.quick else args.photos)]
    cases = CASES[:2] if args.quick else CASES
    methods = ["ours", "ours without residual check", "ECC pyr (phaseCorr init)",
               "ECC pyr (ORB init)", "ECC pyr (ORB init, valid mask)"]
    rows = []
    for case in cases:
        errs = {m: [] for m in methods}
        times = {m: [] for m in methods}
        residuals = []
        for i, name in enumerate(names):
            rng = np.random.default_rng(100 + i)
            photo = samples.load_photo(name)
            src, ref, m_gen = make_pair(photo, case, rng)
            h, w = src.shape[:2]
            t0 = time.process_time()
            res = align.estimate(src, ref)
            times["ours"].append(time.process_time() - t0)
            errs["ours"].append(geometry.corner_error(res.transform.matrix() @ m_gen,
                                                      np.eye(3), w, h))
            residuals.append(res.residual)
            t0 = time.process_time()
            res2 = align.estimate(src, ref, align.AlignOptions(residual=False))
            times["ours without residual check"].append(time.process_time() - t0)
            errs["ours without residual check"].append(geometry.corner_error(
                res2.transform.matrix() @ m_gen, np.eye(3), w, h))
            for m, init, masked in (("ECC pyr (phaseCorr init)", "pc", False),
                                    ("ECC pyr (ORB init)", "orb", False),
                                    ("ECC pyr (ORB init, valid mask)", "orb", True)):
                t0 = time.process_time()
                g = ecc_pyramid(src, ref, init, masked)
                times[m].append(time.process_time() - t0)
                errs[m].append(corner_err_from_sampling(g, m_gen, w, h))
        for m in methods:
            e = np.array(errs[m])
            rows.append((case[0], m, float(np.median(e)), float(e.max()),
                         1000 * float(np.median(times[m]))))
        rows.append((case[0], "ours: reported residual (median)", float(np.nanmedian(residuals)),
                     float(np.nanmax(residuals)), float("nan")))
    stereo = parallax_check()
    fundus = fundus_check(2 if args.quick else 6)
    print(f"RegBench: {len(names)} photos ({', '.join(names)}), corner RMS error in px; "
          "ms = median CPU time per pair, 1 thread")
    print(f"{'case':24s} {'method':34s} {'median':>8s} {'worst':>8s} {'CPU ms':>8s} "
          f"{'x ECC pc':>8s}  goal")
    peer = {case: ms for case, m, _, _, ms in rows if m == "ECC pyr (phaseCorr init)"}
    for case, m, med, worst, ms in rows:
        ratio = ms / peer[case] if peer.get(case) else float("nan")
        # Goals (issue 5): <= 0.15 px median, <= 0.25 px worst, time <= 1x pyramid ECC.
        verdict = ""
        if m.startswith("ours") and "residual (median)" not in m:
            ok = med <= 0.15 and worst <= 0.25 and ratio <= 1.0
            verdict = "meets goal" if ok else "MISSES GOAL"
        print(f"{case:24s} {m:34s} {med:8.3f} {worst:8.3f} {ms:8.1f} {ratio:8.2f}  {verdict}")
    ecc_ms = fundus["ECC pyr (ORB init, valid mask)"][2]
    for m, (med, worst, ms) in fundus.items():
        verdict = ""
        if m == "ours":
            verdict = "meets goal" if med <= 0.15 and worst <= 0.25 else "MISSES GOAL"
        print(f"{'fundus 1024 (retina)':24s} {m:34s} {med:8.3f} {worst:8.3f} {ms:8.1f} "
              f"{ms / ecc_ms:8.2f}  {verdict}  (ratio to masked ORB ECC)")
    print("parallax stress (skimage stereo_motorcycle left/right, no global transform fits): "
          f"residual {stereo.residual:.2f} px, worst tile {stereo.residual_max:.2f} px, "
          f"nonrigid flag {stereo.nonrigid}")


if __name__ == "__main__":
    main()
