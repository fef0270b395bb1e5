"""ConformBench: our temporal conform against a per-frame nearest-neighbour matcher, same frames, same run.

Ground truth is built at run time from real photographs shipped in the scikit-image wheel: camera
moves over the photographs make a "film" of distinct frames; a faded, grainy, dusty print scan of it
is the source (16-bit log DPX, 1001 on), and video transfers of it are the references (JPEG, from 1):

* ``pal-offset``   PAL 1:1 with an offset; half resolution, reframed (2 % crop and shift), faded dyes
* ``ntsc-2:3``     2:3 hard telecine woven from fields (upper first), letterboxed 16:9 in 4:3
* ``ntsc-2:3-bff`` 2:3, lower field first, the reference missing film frames, the source missing and
  repeating film frames (splices on both sides, the cadence runs on across them)
* ``blend``        frame-blending standards conversion (4 film frames to 5 video frames)
* ``pal-splices``  1:1 with film frames missing from the source, repeated in the source, missing
  from the reference
* ``recut``        a different cut: a shot of the source is not in the reference, which has another

Scores: share of matchable source frames mapped to a right reference frame (one that shows the same
film frame cleanly: both fields, no blend); share of source frames without a clean match reported as
none; matches onto field-mixed or blended reference frames (false); cadence phase and breaks
(splices) against the truth, exactly. Speed: source frames per second of the whole run (reading both
sequences included), against the nearest-neighbour matcher (every source frame against reference
frames in a window of +-W around the frame the true rate and first offset predict - generous to
it - by normalised correlation of full-resolution luma on the reference's raster; none below a
correlation threshold). Both run on one core: one BLAS thread (OPENBLAS_NUM_THREADS=1 unless set), one
OpenCV thread and conform's reading on one thread (``threads=1``; the command reads on two, which shortens wall time but costs CPU time in
hand-offs), with the allocator setting of the `nuke-restore` command, and with every module
imported before the clock starts. Each case runs both methods ``--repeat`` times (3), alternating;
the fastest run of each counts. Usage:

    .venv/bin/python bench/bench_conform.py [--width 960] [--shots 48,96,72,120,64 | --shot 28]
                                            [--seed 3] [--window 8]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread for both methods (as the other benches): on a shared, loaded machine idle BLAS
# threads spin, and the CPU time they burn is the neighbours' load, not either method's work.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nuke_restore._allocator import keep_frame_buffers  # noqa: E402
from nuke_restore._optional import optional  # noqa: E402
from nuke_restore.framemap import FrameMap, FrameMatch  # noqa: E402
from nuke_restore.imaging import align as _align  # noqa: E402,F401 - conform imports it lazily
from nuke_restore.imaging import conform as cf  # noqa: E402
from nuke_restore.imaging import conform_synth as cs  # noqa: E402
from nuke_restore.imaging.conform_features import find_active, read_for_luma, read_luma  # noqa: E402
from nuke_restore.imaging.sequence import FrameSequence  # noqa: E402

# as `nuke-restore` itself runs (nuke_restore/_allocator.py), for both methods
keep_frame_buffers()
# imported on first use by both methods' readers: not by whichever runs first. One OpenCV thread:
# both methods on one core (its pool would bill thread hand-offs on ~100 KB images to conform)
_cv2 = optional("cv2")
if _cv2 is not None:
    _cv2.setNumThreads(1)

#: Five shots of 2-5 seconds at 24 fps (the first release used 5 x 28 frames, shorter than real
#: shots, which hid a failure of the blended case on longer shots; ``--shot 28`` runs that bench)
DEFAULT_SHOTS = "48,96,72,120,64"


def build_cases(root: Path, width: int, shots, seed: int):
    height = int(round(width * 9 / 16))
    t0 = time.perf_counter()
    film = cs.render_film(list(shots), (width, height), seed=seed)
    print(f"film: {len(film)} frames at {width}x{height} in {time.perf_counter() - t0:.1f} s",
          flush=True)
    n = len(film)
    half = cs.RefLook(size=(width // 2, height // 2), crop=0.02, shift=(0.01, -0.005))
    rw = width * 3 // 4
    rh = rw * 2 // 3                                   # 720x480 for 960 wide
    pic = int(round(rw * 9 / 16))
    box = cs.RefLook(size=(rw, rh), letterbox=(rh - pic) // 2, gains=(0.95, 1.0, 1.1),
                     gamma=0.9, quality=60)
    starts = np.concatenate([[0], np.cumsum(shots)]).astype(int)
    a, b, c, e = (range(starts[k], starts[k + 1]) for k in (0, 1, 2, 4))
    cases = []

    def add(name, src, refs, look, cadence):
        cases.append(cs.make_conform_case(root, name, film, list(src), refs, look, seed=seed,
                                          cadence=cadence))

    add("pal-offset", range(6, n - 8), cs.one_to_one(range(n)), half, {"kind": "1:1"})
    add("ntsc-2:3", range(5, n - 6), cs.telecine(range(n), phase=3), box, {"kind": "2:3"})
    ref_films = [f for f in range(n) if not 60 <= f < 63]
    src = [f for f in range(2, n - 3) if not 30 <= f < 32]
    src = src[:80] + src[77:]                          # three film frames repeated
    add("ntsc-2:3-bff", src, cs.telecine(ref_films, phase=0, field_order="bff"), box,
        {"kind": "2:3"})
    add("blend", range(3, n - 4), cs.blended(range(n), 4, 5, phase=1), half,
        {"kind": "blend 4:5"})
    src = [f for f in range(n) if not 40 <= f < 43]
    src = src[:95] + src[93:]                          # two repeated
    add("pal-splices", src, cs.one_to_one([f for f in range(n) if not 70 <= f < 74]), half,
        {"kind": "1:1"})
    add("recut", list(a) + list(b) + list(c), cs.one_to_one(list(a) + list(e) + list(c)), half,
        {"kind": "1:1"})
    return cases


def truth_phase(case: cs.ConformCase, lo: int) -> int:
    """Cycle position (A=0 .. D=3 as conform labels it) of source index ``lo`` in a 2:3 case:
    the first field-mixed source frame at or after it is C (2)."""
    truth = list(case.truth().values())
    k = next(k for k in range(lo, len(truth)) if truth[k]["reason"] == "field-mixed")
    return (2 - (k - lo)) % 4


def nearest_neighbour(case: cs.ConformCase, window: int, threshold: float = 0.8):
    """Per source frame: best normalised correlation against reference frames near the expected one."""
    t0 = time.perf_counter()
    src = FrameSequence.from_path(case.source)
    ref = FrameSequence.from_path(case.reference)
    ref_l = [read_luma(ref.path(f), f) for f in ref.frames]
    act = find_active(ref_l[:: max(1, len(ref_l) // 12)])
    rh, rw = act.bottom - act.top, act.right - act.left

    def norm(y):
        v = y - y.mean()
        return (v / max(float(np.sqrt((v * v).sum())), 1e-6)).ravel()

    refs = np.stack([norm(y[act.top: act.bottom, act.left: act.right]) for y in ref_l])
    rate = 1.25 if case.cadence.get("kind", "1:1") != "1:1" else 1.0
    # the first source frame's true position (generous: the matcher is told where to look)
    truth = list(case.truth().values())
    first = next(t for t in truth if t["refs"])["refs"][0] - case.reference_first
    first_src = next(i for i, t in enumerate(truth) if t["refs"])
    matches = {}
    for i, f in enumerate(src.frames):
        y = read_luma(src.path(f), f)
        h, w = y.shape
        # onto the reference's raster (nearest-row/column area average by index sampling)
        rows = (np.arange(rh) + 0.5) * h / rh
        cols = (np.arange(rw) + 0.5) * w / rw
        s = norm(y[rows.astype(int)][:, cols.astype(int)])
        centre = int(round(first + (i - first_src) * rate))
        lo, hi = max(0, centre - window), min(len(refs), centre + window + 1)
        if lo >= hi:
            matches[f] = FrameMatch(None, 0.0, "no-match")
            continue
        corr = refs[lo:hi] @ s
        k = int(np.argmax(corr))
        matches[f] = (FrameMatch(ref.frames[lo + k], float(max(0.0, min(1.0, corr[k]))))
                      if corr[k] >= threshold else FrameMatch(None, 0.0, "no-match"))
    return FrameMap(matches), time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=960)
    ap.add_argument("--shots", default=DEFAULT_SHOTS,
                    help=f"frames of each of the 5 shots, comma-separated (default "
                         f"{DEFAULT_SHOTS}: 2-5 seconds at 24 fps)")
    ap.add_argument("--shot", type=int, help="every shot this long (28: the first release's "
                    "bench)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--window", type=int, default=8, help="nearest-neighbour search +-frames")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each method per case, alternating; the fastest counts")
    ap.add_argument("--keep", metavar="DIR", help="write the footage here and keep it (a second "
                    "run with the same DIR and settings reuses it)")
    args = ap.parse_args(argv)
    tmp = None
    if args.keep:
        root = Path(args.keep)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="conformbench-")
        root = Path(tmp.name)
    try:
        import pickle

        shots = [args.shot] * 5 if args.shot else [int(x) for x in args.shots.split(",")]
        if len(shots) != 5 or min(shots) < 20:
            ap.error("--shots: five shot lengths of 20 frames or more")
        saved = root / f"cases-{args.width}-{'_'.join(map(str, shots))}-{args.seed}.pickle"
        if saved.is_file():
            cases = pickle.loads(saved.read_bytes())
        else:
            cases = build_cases(root, args.width, shots, args.seed)
            if args.keep:
                saved.write_bytes(pickle.dumps(cases))
        return report(cases, args.window, args.repeat)
    finally:
        if tmp is not None:
            tmp.cleanup()


def report(cases, window: int, repeat: int = 3) -> int:
    tot = {"ours": np.zeros(5), "nn": np.zeros(5)}
    times = {"ours": 0.0, "nn": 0.0}
    cpu = {"ours": 0.0, "nn": 0.0}
    n_src = 0
    exact_all = True
    print(f"{'case':<14} {'method':<6} {'right':>9} {'none':>7} {'false':>5}  "
          f"{'cadence':<26} breaks (found / true)")
    for case in cases:
        src = FrameSequence.from_path(case.source)
        ref = FrameSequence.from_path(case.reference)
        for seq in (src, ref):                      # warm the file cache for both methods
            for f in seq.frames:
                Path(seq.path(f)).read_bytes()
        # the two methods alternate, ``repeat`` times each; the fastest run of each counts (the
        # machine is shared: a slow run measures the neighbours; both get the same chances)
        c_ours = c_nn = t_ours = t_nn = float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            res = cf.conform(src, ref, options=cf.ConformOptions(threads=1))
            t_ours = min(t_ours, time.perf_counter() - t0)
            c_ours = min(c_ours, time.process_time() - c0)
            c0 = time.process_time()
            nn_map, t = nearest_neighbour(case, window)
            c_nn = min(c_nn, time.process_time() - c0)
            t_nn = min(t_nn, t)
        n_src += len(src.frames)
        times["ours"] += t_ours
        times["nn"] += t_nn
        cpu["ours"] += c_ours
        cpu["nn"] += c_nn
        for method, fmap in (("ours", res.frame_map), ("nn", nn_map)):
            sc = cs.score(case, fmap)
            tot[method] += [sc["right"], sc["matchable"], sc["none"], sc["unmatchable"],
                            sc["false_mixed"]]
            cad = ""
            brk = ""
            if method == "ours":
                segs = fmap.cadence
                cad_ok = bool(segs) and all(s["kind"] == case.cadence["kind"] for s in segs)
                if case.cadence["kind"] == "2:3":
                    phases = []
                    for s in segs:
                        lo = src.frames.index(s["source"][0])
                        phases.append((s["phase"], truth_phase(case, lo)))
                    cad_ok = cad_ok and all(p == t for p, t in phases)
                    cad = f"2:3 {segs[0].get('field_order')} phase " + ",".join(
                        f"{p}" for p, _ in phases) + (" ok" if cad_ok else " WRONG")
                elif case.cadence["kind"].startswith("blend"):
                    cad = f"{segs[0]['kind']} phase {segs[0]['phase']}" + (" ok" if cad_ok
                                                                            else " WRONG")
                else:
                    cad = f"1:1 offsets {','.join(str(s['offset']) for s in segs)}" + (
                        " ok" if cad_ok else " WRONG")
                exact = sc["breaks_exact"] and cad_ok
                exact_all = exact_all and exact
                brk = f"{sc['breaks_found']} / {sc['breaks_true']}" + ("" if sc["breaks_exact"]
                                                                       else "  MISMATCH")
            print(f"{case.name:<14} {method:<6} {sc['right']:>4}/{sc['matchable']:<4} "
                  f"{sc['none']:>3}/{sc['unmatchable']:<3} {sc['false_mixed']:>5}  {cad:<26} {brk}",
                  flush=True)
            if method == "ours" and sc["wrong"]:
                print(f"{'':<22}wrong: {sc['wrong'][:12]}")
    print()
    for method in ("ours", "nn"):
        r, m, no, u, fm = tot[method]
        print(f"{method:<5} right {100 * r / max(m, 1):6.2f} %  none-when-none "
              f"{100 * no / max(u, 1):6.2f} %  false matches on field-mixed/blended {int(fm)}  "
              f"{n_src / cpu[method]:7.1f} source frames per CPU second "
              f"({n_src / times[method]:.1f} per wall second)")
    # The floor every method shares: decoding each frame of both sequences once, nothing else.
    dec = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        for case in cases:
            for pattern in (case.source, case.reference):
                seq = FrameSequence.from_path(pattern)
                for f in seq.frames:
                    read_for_luma(seq.path(f), f)
        dec = min(dec, time.process_time() - c0)
    print(f"decoding alone: {n_src / dec:7.1f} source frames per CPU second "
          f"({1000 * dec / n_src:.1f} ms a source frame; ours spends "
          f"{1000 * (cpu['ours'] - dec) / n_src:.1f} ms beyond it, the matcher "
          f"{1000 * (cpu['nn'] - dec) / n_src:.1f} ms)")
    # Speed from CPU time: the machine is shared, wall time measures the neighbours' load too.
    speed = cpu["nn"] / cpu["ours"]
    fps = n_src / cpu["ours"]
    r, m, no, u, fm = tot["ours"]
    goals = [("right >= 99.5 %", 100 * r / max(m, 1) >= 99.5),
             ("none-when-none >= 98 %", 100 * no / max(u, 1) >= 98.0),
             ("no false match on field-mixed", fm == 0),
             ("cadence phase and every splice exact", exact_all),
             (f">= 3x nearest-neighbour speed ({speed:.2f}x)", speed >= 3.0),
             (f">= 100 frames/s ({fps:.0f} per CPU second)", fps >= 100)]
    print()
    for g, ok in goals:
        print(f"  {'met    ' if ok else 'NOT MET'}  {g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
