"""curate end to end against a plain OpenImageIO read + PySceneDetect pipeline, same files, same run.

``bench_cuts.py`` times the detectors on frames already in memory. A user runs ``nuke-restore
curate`` on files, so this bench times the whole thing: a half-float EXR sequence (ZIP, what a
Resolve/Nuke export writes) made from real photographs (slow moves, cuts, a dissolve, grain and
fade), then

* ours: :func:`nuke_restore.imaging.curate.curate` (reads, detects cuts and dissolves, scores
  texture and colour, picks training and preview frames);
* peer: for every frame, ``OpenImageIO.ImageInput`` read as 8-bit (OIIO converts) -> BGR ->
  PySceneDetect's
  ``ContentDetector.process_frame`` (+ ``post_process``), i.e. cut detection only.

Wall-clock frames/s for each, and ours as a multiple of the peer (goal >= 1.5x). The peer reads
one frame at a time, as PySceneDetect's own loop does; ours reads on its thread pool, which is
part of what is measured.

Usage: python bench/bench_curate.py [--frames 120] [--width 960] [--repeat 2]
Needs the bench extra (scenedetect) besides imaging.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nuke_restore.imaging import curate as curate_mod  # noqa: E402
from nuke_restore.imaging import samples, sequence  # noqa: E402
from nuke_restore.imaging.colour import srgb_to_linear  # noqa: E402


def make_sequence(folder: Path, n_frames: int, width: int, seed: int = 7) -> str:
    height = int(round(width * 9 / 16))
    n_shots = max(2, n_frames // 30)
    lengths = [n_frames // n_shots] * n_shots
    plan = samples.plan_timeline(n_shots, lengths, (width, height), seed, dissolves=(1,),
                                 dissolve_length=8, first_frame=1001)
    for f, img in samples.iter_frames(plan, "source", seed=seed):
        sequence.write_image(folder / f"plate.{f:04d}.exr", srgb_to_linear(img), dtype="half",
                             compression="zip")
    return str(folder / "plate.####.exr")


def run_ours(pattern: str) -> float:
    t0 = time.perf_counter()
    curate_mod.curate(pattern)
    return time.perf_counter() - t0


def run_peer(pattern: str) -> float:
    import OpenImageIO as oiio
    from scenedetect.common import FrameTimecode
    from scenedetect.detectors import ContentDetector

    seq = sequence.FrameSequence.from_path(pattern)
    det = ContentDetector(min_scene_len=4)
    t0 = time.perf_counter()
    tc = None
    for i, f in enumerate(seq.frames):
        inp = oiio.ImageInput.open(seq.path(f))
        # OIIO converts to 8 bits itself (its fastest path); no colour handling at all
        data = inp.read_image(0, 0, 0, 3, "uint8")
        inp.close()
        bgr = np.ascontiguousarray(np.asarray(data)[..., ::-1])
        tc = FrameTimecode(i, 24.0)
        det.process_frame(tc, bgr)
    if tc is not None:
        det.post_process(tc)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--width", type=int, default=960)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    try:
        import scenedetect  # noqa: F401
    except ImportError:
        print("PySceneDetect is needed: pip install 'nuke-restore[bench]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        pattern = make_sequence(Path(tmp), args.frames, args.width)
        n = len(sequence.FrameSequence.from_path(pattern).frames)
        best = {"ours: curate (read + cuts + picks)": 9e9,
                "peer: OIIO read + PySceneDetect Content": 9e9}
        for _ in range(args.repeat):  # alternate so background load hits both alike
            best["peer: OIIO read + PySceneDetect Content"] = min(
                best["peer: OIIO read + PySceneDetect Content"], run_peer(pattern))
            best["ours: curate (read + cuts + picks)"] = min(
                best["ours: curate (read + cuts + picks)"], run_ours(pattern))
    peer = best["peer: OIIO read + PySceneDetect Content"]
    print(f"curate end to end: {n} half-float EXR frames (ZIP) at {args.width} px wide, "
          f"best of {args.repeat}, wall clock")
    for name, dt in best.items():
        print(f"  {name:44s} {n / dt:8.1f} frames/s  {peer / dt:5.2f}x the peer")
    ratio = peer / best["ours: curate (read + cuts + picks)"]
    print(f"\nours / peer = {ratio:.2f}x (goal >= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
