"""RestoreBench: the headless model against the shot-level colour baselines and the chroma-only
ceiling, on faded pairs with ground truth made from real photographs (scikit-image wheel).

Each photograph makes one "shot" of 8 frames: crops of 80 % of the (downscaled) photograph at
random positions, like a camera moving over one print. The Source is a density-domain dye fade
(imaging.samples.fade_linear: crosstalk, retention C/M/Y 0.45/0.90/0.65, blue stain, density
grain), either uniform or with the retention loss modulated +-35 % by a smooth random field that
belongs to the print ("spatial": the fade varies across the picture, which no single shot-level
colour map can follow). The Reference is the truth made video-like (imaging.samples.
degrade_reference: half resolution, a gentle luma curve). 4 frames train/fit, 4 are held out.

Everything learns from (Source, Reference) pairs - the baselines fit Source -> Reference; the
chroma-mode model trains on the graph's chroma target (Source Y' + Reference CbCr); the full-mode
model on the Reference itself (a plain pair; ``--matched`` adds full mode on the matched-luma
target: low-pass Reference Y' + high-pass Source Y' + Reference CbCr) - and is scored against the
truth on the held-out frames: PSNR and CIEDE2000 on sRGB-encoded values
(nuke_restore.ml.evaluate.score). ``--reference video`` makes the Reference a video-like copy of
the truth (half resolution, a luma curve) instead of the truth itself. The chroma-only ceiling is
the truth's CbCr with the Source's Y': the best any method that keeps the Source luma can reach.

Goals (issue 13): spatial fade - the model >= 2 dB PSNR over the best shot-level baseline and a
lower Delta E 2000; uniform fade - the chroma-mode model within 1 dB of the chroma-only ceiling.
Throughput: training steps/s per crop size on CPU (one thread), and on CUDA when present.

Usage: python bench/bench_restore.py [--quick] [--steps N] [--photos a,b]
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

from nuke_restore.config.model import Stage  # noqa: E402
from nuke_restore.imaging import samples  # noqa: E402
from nuke_restore.imaging.colour import srgb_to_linear  # noqa: E402
from nuke_restore.imaging.sequence import box_downscale  # noqa: E402

FRAMES = 8
FIT = 4
LR = 3e-3
# (target, row): chroma mode on the template's target (Source Y' + Reference CbCr); full mode on
# the Reference itself (a plain pair). --matched adds full mode on the matched-luma target.
MODELS = [("source", "model, chroma mode"), ("reference", "model, full mode")]
MATCHED = ("matched", "model, matched-luma (full) mode")
PNG: list = []


def smooth_field(shape, rng) -> np.ndarray:
    f = ndimage.gaussian_filter(rng.standard_normal(shape), min(shape) / 6.0)
    return f / (np.abs(f).max() + 1e-9)


def shot(name: str, rng, spatial: bool, long_side: int, reference: str = "truth"):
    """8 (source, reference, truth) linear frames of one print."""
    photo = samples.load_photo(name)
    k = max(1, int(round(max(photo.shape[:2]) / long_side)))
    photo = box_downscale(photo, k) if k > 1 else photo
    h, w = photo.shape[:2]
    ch, cw = int(h * 0.8) // 4 * 4, int(w * 0.8) // 4 * 4
    field = smooth_field((h, w), rng) if spatial else None
    params = samples.FadeParams()
    r = np.asarray(params.retention)
    out = []
    for _ in range(FRAMES):
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        gt = np.ascontiguousarray(photo[y0:y0 + ch, x0:x0 + cw])
        scale = 1.0
        if field is not None:
            r_eff = 1 - (1 - r) * (1 + 0.35 * field[y0:y0 + ch, x0:x0 + cw][..., None])
            scale = np.clip(r_eff / r, 0, None)
        src = np.clip(samples.fade_linear(srgb_to_linear(gt), params, rng,
                                          retention_scale=scale), 0, 1)
        ref = (srgb_to_linear(samples.degrade_reference(gt, 2)) if reference == "video"
               else srgb_to_linear(gt))
        out.append((src.astype(np.float32), ref.astype(np.float32),
                    srgb_to_linear(gt).astype(np.float32)))
    return out


def train_model(frames, target_luma: str, steps: int, crop: int, seed: int, cosine: bool = False):
    from nuke_restore.ml import data, train

    srcs = [s for s, _r, _g in frames[:FIT]]
    if target_luma == "reference":
        # A plain Source -> Reference pair (no Y'CbCr shuffle): full mode.
        tgts = [np.clip(r, 0, 1) for _s, r, _g in frames[:FIT]]
        mode = "full"
    else:
        stage = Stage(pair="chroma", target_luma=target_luma, luma_blur=5.0)
        tgts = [np.clip(data.shuffle_target(stage, s, r), 0, 1) for s, r, _g in frames[:FIT]]
        mode = data.network_mode(stage)
    pairs = data.pairs_from_arrays(srcs, tgts, mode=mode, crop_size=crop,
                                   batch_size=4, model_size="Small")
    model, hist, secs = train.train_arrays(pairs, steps, cosine=cosine, learning_rate=LR,
                                           seed=seed)
    return model, secs


def _runner(model):
    from nuke_restore.ml import evaluate as ev

    return lambda img: ev.run_model(model, img)


def _step(m, opt, x, y) -> None:
    opt.zero_grad()
    loss = (m(x) - y).abs().mean()
    loss.backward()
    opt.step()


def _strip(frame, methods, path: str) -> None:
    """Source | best-known baselines | models | truth, side by side, sRGB (a look, not a score)."""
    from nuke_restore.imaging.colour import linear_to_srgb
    from nuke_restore.imaging.sequence import write_image

    src, _ref, truth = frame
    names = ["lut3d"] + [k for k in methods if k.startswith("model")]
    panels = [src] + [methods[n](src) for n in names] + [truth]
    gap = np.ones((src.shape[0], 4, 3), np.float32)
    row = np.concatenate([x for p in panels for x in (linear_to_srgb(np.clip(p, 0, 1)), gap)][:-1],
                         1)
    write_image(path, row, "uint8", force=True)
    print(f"picture: {path} (" + " | ".join(["source"] + names + ["truth"]) + ")")


def run_fade(names, spatial: bool, steps: int, crop: int, long_side: int, reference: str,
             cosine: bool = False):
    from nuke_restore.ml import evaluate as ev

    acc = {}
    secs = 0.0
    for k, name in enumerate(names):
        rng = np.random.default_rng(2000 + 31 * k + (1 if spatial else 0))
        frames = shot(name, rng, spatial, long_side, reference)
        methods = ev.baseline_methods([(s, r) for s, r, _g in frames[:FIT]])
        for luma, key in MODELS:
            model, t = train_model(frames, luma, steps, crop, seed=k, cosine=cosine)
            secs += t
            methods[key] = _runner(model)
        table = ev.evaluate_arrays(methods, [(s, g) for s, _r, g in frames[FIT:]], ceiling=True)
        if PNG and k == 0:
            _strip(frames[FIT], methods, PNG[0] + ("_spatial" if spatial else "_uniform") + ".png")
        for method, m in table.items():
            acc.setdefault(method, []).append(m)
    mean = {m: {k: float(np.mean([r[k] for r in rs])) for k in rs[0]} for m, rs in acc.items()}
    return mean, secs


def throughput(device: str, sizes, steps: int = 6):
    import torch

    from nuke_restore.ml.net import build

    torch.set_num_threads(1)
    out = {}
    for model_size in ("Small", "Medium"):
        for crop in sizes:
            torch.manual_seed(0)
            m = build(model_size, "chroma").to(device)
            opt = torch.optim.Adam(m.parameters(), 1e-3)
            x = torch.rand(4, 3, crop, crop, device=device)
            y = torch.rand(4, 3, crop, crop, device=device)
            _step(m, opt, x, y)  # warm-up
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(steps):
                _step(m, opt, x, y)
            if device == "cuda":
                torch.cuda.synchronize()
            out[(model_size, crop)] = steps / (time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one photograph, fewer steps")
    ap.add_argument("--steps", type=int, default=None, help="training steps per model")
    ap.add_argument("--photos", default=None, help="comma-separated photo names")
    ap.add_argument("--size", type=int, default=160, help="photo long side before cropping")
    ap.add_argument("--reference", choices=("truth", "video"), default="truth",
                    help="what the pairs' Reference is: the truth itself (default) or a "
                         "video-like copy of it (half resolution, a luma curve)")
    ap.add_argument("--matched", action="store_true",
                    help="also train full mode on the matched-luma target")
    ap.add_argument("--cosine", action="store_true",
                    help="decay the learning rate to zero over the run (cosine schedule)")
    ap.add_argument("--full-only", action="store_true", help="train the full-mode model only")
    ap.add_argument("--png", metavar="STEM", help="write STEM_<fade>.png: one held-out frame")
    ap.add_argument("--no-throughput", action="store_true", help="skip the steps/s table")
    ap.add_argument("--only", choices=("uniform", "spatial"), help="run one fade only")
    args = ap.parse_args()
    import torch

    if args.matched:
        MODELS.append(MATCHED)
    if args.png:
        PNG.append(args.png)
    if args.full_only:
        MODELS[:] = [m for m in MODELS if m[0] != "source"]
    names = (args.photos.split(",") if args.photos else
             (["astronaut"] if args.quick else ["astronaut", "coffee"]))
    steps = args.steps or (300 if args.quick else 800)
    crop = 64
    print(f"RestoreBench: photos {', '.join(names)}; frames {FRAMES} per shot ({FIT} train/fit, "
          f"{FRAMES - FIT} held out), long side {args.size}px, 80% crops; Small model, "
          f"{steps} steps, batch 4, crop {crop}, Adam lr {LR:g}, L1; torch {torch.__version__}, "
          f"1 CPU thread\n")
    t_all = time.perf_counter()
    results = {}
    for spatial in (False, True):
        label = "spatially varying fade" if spatial else "uniform fade"
        if args.only and args.only != ("spatial" if spatial else "uniform"):
            continue
        mean, secs = run_fade(names, spatial, steps, crop, args.size, args.reference,
                              args.cosine)
        results[spatial] = mean
        print(f"== {label} (held-out frames vs truth; training {secs:.0f} s CPU)")
        print(f"{'method':34s} {'PSNR dB':>8s} {'PSNR-Y':>8s} {'dE00':>7s} {'dE00 p95':>8s}")
        for m, r in mean.items():
            print(f"{m:34s} {r['psnr']:8.2f} {r['psnr_y']:8.2f} {r['de00_mean']:7.2f} "
                  f"{r['de00_p95']:8.2f}")
        best = max(("poly", "lut3d", "cdl"), key=lambda b: mean[b]["psnr"])
        for _t, mk in MODELS:
            d = mean[mk]["psnr"] - mean[best]["psnr"]
            de = mean[mk]["de00_mean"] / mean[best]["de00_mean"]
            print(f"  {mk}: {d:+.2f} dB vs best baseline ({best}), dE00 ratio {de:.2f}")
        if "model, chroma mode" in mean:
            gap = mean["chroma_ceiling"]["psnr"] - mean["model, chroma mode"]["psnr"]
            print(f"  chroma mode is {gap:.2f} dB below the chroma-only ceiling")
        print()
    if True in results:
        sp = results[True]
        best = max(("poly", "lut3d", "cdl"), key=lambda b: sp[b]["psnr"])
        top = max((k for _t, k in MODELS), key=lambda k: sp[k]["psnr"])
        g1 = sp[top]["psnr"] - sp[best]["psnr"]
        ok1 = g1 >= 2.0 and sp[top]["de00_mean"] < sp[best]["de00_mean"]
        print(f"goal spatial: {top} {g1:+.2f} dB over {best} (goal >= +2 dB), dE00 "
              f"{sp[top]['de00_mean']:.2f} vs {sp[best]['de00_mean']:.2f} -> "
              f"{'MET' if ok1 else 'NOT MET'}")
    if False in results and "model, chroma mode" in results[False]:
        un = results[False]
        g2 = un["chroma_ceiling"]["psnr"] - un["model, chroma mode"]["psnr"]
        print(f"goal uniform: chroma mode {g2:.2f} dB below the ceiling (goal <= 1 dB) -> "
              f"{'MET' if g2 <= 1.0 else 'NOT MET'}")
    if args.no_throughput:
        return 0
    print("\n== training throughput (steps/s, batch 4, chroma mode)")
    sizes = (32, 64, 128) if args.quick else (32, 64, 128, 256)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        tp = throughput(dev, sizes)
        ref = tp[("Small", 64)]
        for (ms, c), v in tp.items():
            print(f"{dev:5s} {ms:7s} crop {c:4d}: {v:7.2f} steps/s  ({v / ref:.2f}x Small/64)")
    if len(devices) == 1:
        print("cuda: no GPU on this machine (not measured)")
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
