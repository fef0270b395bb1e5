"""FadeBench: colour baselines and training-target builds against ground truth.

Data: the bundled real photographs (scikit-image wheel). Each photograph makes one "shot" of 8
frames (different crops, own grain); 4 frames are fitted on, the other 4 scored. The source is
a density-domain dye fade (crosstalk M, retention C/M/Y 0.45/0.90/0.65, blue
stain, density grain), uniform or with the retention loss modulated +-35 % by a smooth random
field ("spatial"). The reference is the truth degraded like a DVD: 0.5x, 4:2:0, JPEG q80, bicubic
back up; pixel-aligned (registration is RegBench's job).

Scores on the held-out frames against the truth: PSNR (sRGB-encoded RGB), mean CIEDE2000 and
PSNR of Rec.709 luma.
Rows: inputs and ceilings, target builds (template "source Y + reference CbCr" vs the frequency
split), per-frame unpaired transfers (Reinhard, IDT, histogram matching ours and scikit-image's),
and
shot-level paired maps (ours: poly2, LUT33, CDL; peer: a naive LUT33 of cell means), plus the
oracle LUT fitted on the truth. Same data, same run, fixed seeds.

Usage: python bench/bench_baseline.py [--quick]
Needs the bench extra (opencv-python-headless, scikit-image) besides imaging.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_align import degrade_dvd  # noqa: E402

from nuke_restore.imaging import baseline, lut, metrics, samples  # noqa: E402
from nuke_restore.imaging.colour import (  # noqa: E402
    linear_to_srgb,
    rgb_to_ycbcr,
    srgb_to_linear,
    ycbcr_to_rgb,
)

FRAMES = 8
FIT = 4


def smooth_field(shape, rng) -> np.ndarray:
    f = ndimage.gaussian_filter(rng.standard_normal(shape), min(shape) / 6.0)
    return f / (np.abs(f).max() + 1e-9)


def fade(gt_srgb, rng, field=None) -> np.ndarray:
    """Density fade; ``field`` (HxW in -1..1) modulates the retention loss by +-35 %."""
    params = samples.FadeParams()
    r = np.asarray(params.retention)
    scale = 1.0
    if field is not None:
        r_eff = 1 - (1 - r) * (1 + 0.35 * field[..., None])
        scale = np.clip(r_eff / r, 0, None)
    lin = samples.fade_linear(srgb_to_linear(gt_srgb), params, rng, retention_scale=scale)
    return linear_to_srgb(np.clip(lin, 0, 1))


def shot_frames(photo, rng, spatial):
    """8 crops of one faded print: the spatial field belongs to the print, not the frame."""
    h, w = photo.shape[:2]
    ch, cw = int(h * 0.8) // 2 * 2, int(w * 0.8) // 2 * 2
    field = smooth_field((h, w), rng) if spatial else None
    frames = []
    for _ in range(FRAMES):
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        gt = np.ascontiguousarray(photo[y0:y0 + ch, x0:x0 + cw])
        crop = None if field is None else field[y0:y0 + ch, x0:x0 + cw]
        src = fade(gt, rng, crop)
        ref = degrade_dvd(gt, rng)
        frames.append((src.astype(np.float32), ref.astype(np.float32), gt))
    return frames


def chroma_ceiling(gt, ref):
    y = rgb_to_ycbcr(gt)
    return ycbcr_to_rgb(np.concatenate([y[..., :1], rgb_to_ycbcr(ref)[..., 1:]], -1))


def naive_lut(src, ref, n=33):
    """Peer 3D LUT: nearest-cell means, identity where a cell saw no sample."""
    idx = np.clip(np.round(src * (n - 1)).astype(int), 0, n - 1)
    flat = (idx[:, 0] * n + idx[:, 1]) * n + idx[:, 2]
    cnt = np.bincount(flat, minlength=n ** 3)
    table = lut.identity(n).reshape(-1, 3).copy()
    for c in range(3):
        s = np.bincount(flat, weights=ref[:, c], minlength=n ** 3)
        table[cnt > 0, c] = s[cnt > 0] / cnt[cnt > 0]
    return table.reshape(n, n, n, 3)


def score(img, gt):
    img = np.clip(img, 0, 1)
    return (metrics.psnr(img, gt), float(metrics.delta_e2000(metrics.srgb_to_lab(img),
                                                             metrics.srgb_to_lab(gt)).mean()),
            metrics.psnr(metrics.luma(img), metrics.luma(gt)))


def run(spatial: bool, names, rows):
    from skimage.exposure import match_histograms

    acc = {}
    times = {}

    def add(name, img, gt, dt=0.0):
        acc.setdefault(name, []).append(score(img, gt))
        times[name] = times.get(name, 0.0) + dt

    for k, name in enumerate(names):
        rng = np.random.default_rng(1000 + 17 * k + (1 if spatial else 0))
        photo = samples.load_photo(name)
        frames = shot_frames(photo, rng, spatial)
        fit_pairs = [(s, r) for s, r, _ in frames[:FIT]]
        t0 = time.perf_counter()
        fitted = {m: baseline.fit(fit_pairs, m) for m in ("poly", "lut3d", "cdl")}
        tfit = time.perf_counter() - t0
        s_all, r_all = baseline.sample_pairs(fit_pairs)
        t0 = time.perf_counter()
        peer = naive_lut(s_all, r_all)
        tpeer = time.perf_counter() - t0
        oracle = baseline.fit_lut3d(*baseline.sample_pairs([(s, g) for s, _, g in frames[:FIT]]))
        for src, ref, gt in frames[FIT:]:
            add("faded input", src, gt)
            add("reference itself (DVD-like)", ref, gt)
            add("chroma ceiling: truth Y + ref CbCr", chroma_ceiling(gt, ref), gt)
            add("target: src Y + ref CbCr (template)", baseline.chroma_target(src, ref), gt)
            t0 = time.perf_counter()
            ms = baseline.matched_target(src, ref, sigma=2.0)
            add("target: freq split (ref low + src high Y, ref CbCr)", ms, gt,
                time.perf_counter() - t0)
            t0 = time.perf_counter()
            add("Reinhard Lab, per frame (ours)", baseline.reinhard(src, ref), gt,
                time.perf_counter() - t0)
            t0 = time.perf_counter()
            add("histogram match RGB, per frame (ours = skimage's)", baseline.histogram_match(src, ref), gt,
                time.perf_counter() - t0)
            t0 = time.perf_counter()
            add("IDT 20 iterations, per frame (ours)", baseline.idt(src, ref), gt,
                time.perf_counter() - t0)
            t0 = time.perf_counter()
            add("histogram match RGB, per frame (skimage)",
                match_histograms(src, ref, channel_axis=-1), gt, time.perf_counter() - t0)
            for m, b in fitted.items():
                t0 = time.perf_counter()
                add(f"shot-level {m} on {FIT} frames (ours)", b(src), gt,
                    time.perf_counter() - t0)
            t0 = time.perf_counter()
            add(f"shot-level naive LUT33 on {FIT} frames (peer)", lut.apply(peer, src), gt,
                time.perf_counter() - t0)
            add("oracle LUT33 fitted on truth", oracle(src), gt)
        times["fit: poly+lut3d+cdl"] = times.get("fit: poly+lut3d+cdl", 0.0) + tfit
        times["fit: naive LUT33"] = times.get("fit: naive LUT33", 0.0) + tpeer
    n_test = len(names) * (FRAMES - FIT)
    for name, vals in acc.items():
        v = np.array(vals)
        rows.append(("spatial" if spatial else "uniform", name, float(v[:, 0].mean()),
                     float(v[:, 1].mean()), float(v[:, 2].mean()),
                     1000 * times.get(name, 0.0) / n_test))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="two photos, uniform fade only")
    args = ap.parse_args()
    names = list(samples.PHOTOS)[: (2 if args.quick else None)]
    rows = []
    for spatial in ((False,) if args.quick else (False, True)):
        run(spatial, names, rows)
    print(f"FadeBench: {len(names)} photos x {FRAMES - FIT} held-out frames "
          f"(fit on {FIT}), PSNR dB / mean CIEDE2000 vs truth, ms per frame to apply")
    print(f"{'fade':8s} {'method':54s} {'PSNR':>6s} {'dE00':>6s} {'PSNR-Y':>6s} {'ms':>7s}")
    for fade_kind, name, p, d, py, ms in rows:
        print(f"{fade_kind:8s} {name:54s} {p:6.2f} {d:6.2f} {py:6.2f} {ms:7.1f}")


def apply_speed(repeat: int = 5) -> None:
    """Baseline apply on a 2K frame: ours against OpenColorIO reading the exported file (peer).

    Ours applies the in-memory table/CDL through OCIO's CPU processor; the peer is what a user or
    Nuke would run: an OCIO FileTransform of the written .cube/.cc. The numpy reference forms are
    printed too. One thread where the library lets us pin it.
    """
    import tempfile

    import PyOpenColorIO as ocio

    from nuke_restore.imaging.ocio import apply_transform

    rng = np.random.default_rng(0)
    frame = rng.random((1556, 2048, 3), dtype=np.float32)
    table = lut.identity(33) ** 1.2 * 0.9 + 0.03
    cdl = baseline.CdlMap(np.array([1.1, 0.9, 1.2]), np.array([0.01, -0.02, 0.03]),
                          np.array([1.1, 0.95, 1.0]), 0.8)
    with tempfile.TemporaryDirectory() as tmp:
        cube = os.path.join(tmp, "b.cube")
        lut.write_cube(cube, table)
        cc = os.path.join(tmp, "b.cc")
        with open(cc, "w") as fh:
            fh.write(cdl.to_cc())

        def file_transform(path, interp=None):
            tr = ocio.FileTransform(src=path)
            if interp is not None:
                tr.setInterpolation(interp)
            return apply_transform(tr, frame)

        contenders = {
            "LUT33: OCIO FileTransform .cube (peer)":
                lambda: file_transform(cube, ocio.INTERP_LINEAR),
            "LUT33: ours (in-memory OCIO Lut3DTransform)": lambda: lut.apply(table, frame),
            "LUT33: numpy reference": lambda: lut.apply_reference(table, frame),
            "CDL: OCIO FileTransform .cc (peer)": lambda: file_transform(cc),
            "CDL: ours (in-memory OCIO CDLTransform)": lambda: cdl(frame),
            "CDL: numpy reference": lambda: cdl.reference(frame),
        }
        best = {}
        for _ in range(repeat):
            for name, fn in contenders.items():
                t0 = time.perf_counter()
                fn()
                best[name] = min(best.get(name, 9e9), time.perf_counter() - t0)
        diff_lut = float(np.abs(lut.apply(table, frame)
                                - file_transform(cube, ocio.INTERP_LINEAR)).max())
        diff_cdl = float(np.abs(cdl(frame) - file_transform(cc)).max())
    print(f"\nBaseline apply, 2048x1556 float32, best of {repeat} (ratio to the OCIO file peer):")
    for name, dt in best.items():
        peer = best["LUT33: OCIO FileTransform .cube (peer)" if name.startswith("LUT")
                    else "CDL: OCIO FileTransform .cc (peer)"]
        print(f"  {name:46s} {dt * 1e3:8.1f} ms {dt / peer:6.2f}x")
    print(f"  max |ours - peer|: LUT {diff_lut:.1e}, CDL {diff_cdl:.1e}")


if __name__ == "__main__":
    main()
    apply_speed()
