"""Y'CbCr conversion time against a plain memory copy of the same frame.

A per-pixel 3x3 colour transform cannot beat the memory bandwidth: reading and writing the frame
once. The peer is therefore ``numpy.copy`` of the same float32 frame (allocates its output, like
the conversion does). Goal: within 1.5x of the copy. Every contender runs on ONE thread (numpy's
BLAS through threadpoolctl, OpenCV through cv2.setNumThreads), so the ratio does not depend on how
many cores happen to be free. OpenCV's own cvtColor is printed as a second peer.

    .venv/bin/python bench/bench_ycbcr.py [--width 2048 --height 1556] [--repeat 15]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nuke_restore.imaging import colour  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--height", type=int, default=1556)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    frame = rng.random((args.height, args.width, 3), dtype=np.float32)
    ycc = colour.rgb_to_ycbcr(frame)
    contenders = {
        "numpy copy (peer: memory floor)": lambda: frame.copy(),
        "rgb_to_ycbcr rec709": lambda: colour.rgb_to_ycbcr(frame, "rec709"),
        "ycbcr_to_rgb rec709": lambda: colour.ycbcr_to_rgb(ycc, "rec709"),
        "rgb_to_ycbcr rec709, offset 0.5": lambda: colour.rgb_to_ycbcr(frame, "rec709", 0.5),
        "luma rec709": lambda: colour.luma(frame),
    }
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(1)
        contenders["cv2.cvtColor RGB2YCrCb (peer)"] = lambda: cv2.cvtColor(frame,
                                                                         cv2.COLOR_RGB2YCrCb)
        # the matrix pass alone, into an output allocated once: what is left of the conversion
        # once the fresh output's page faults are taken away
        out = np.empty_like(frame).reshape(-1, 1, 3)
        mat = colour.ycbcr_matrix().astype(np.float32)
        contenders["cv2.transform into a reused output"] = lambda: cv2.transform(
            frame.reshape(-1, 1, 3), mat, dst=out)
    from threadpoolctl import threadpool_limits

    rounds, blocks = {}, {}
    with threadpool_limits(1):
        _race(contenders, rounds, args.repeat)
        for name, fn in contenders.items():  # each contender in its own block
            _race({name: fn}, blocks, args.repeat)
    mb = frame.nbytes / 1e6
    print(f"frame {args.width}x{args.height} RGB float32 ({mb:.1f} MB), best of {args.repeat}, "
          "one thread; 'round robin' interleaves the contenders, 'blocks' runs each alone:")
    print(f"  {'operation':38s} {'ms':>8s} {'x copy, round robin':>20s} {'x copy, blocks':>15s}")
    copy = "numpy copy (peer: memory floor)"
    for name in contenders:
        print(f"  {name:38s} {rounds[name] * 1e3:8.2f} {rounds[name] / rounds[copy]:20.2f} "
              f"{blocks[name] / blocks[copy]:15.2f}")
    r1 = rounds["rgb_to_ycbcr rec709"] / rounds[copy]
    r2 = blocks["rgb_to_ycbcr rec709"] / blocks[copy]
    print(f"\nrgb_to_ycbcr / copy = {r1:.2f}x round robin, {r2:.2f}x in blocks (goal <= 1.5x); "
          f"copy moves {2 * mb / rounds[copy] / 1e3:.1f} GB/s (read + write)")
    # correctness guard: the fast path must equal the textbook matrix product
    ref = np.einsum("...c,dc->...d", frame[:64, :64].astype(np.float64), colour.ycbcr_matrix())
    assert np.allclose(ycc[:64, :64], ref, atol=1e-5)
    return 0


def _race(contenders, best, repeat) -> None:
    for _ in range(repeat):  # round-robin so background load hits all alike
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            best[name] = min(dt, best.get(name, dt))


if __name__ == "__main__":
    sys.exit(main())
