"""Y'CbCr conversion time against a plain memory copy of the same frame.

A per-pixel 3x3 colour transform cannot beat the memory bandwidth: reading and writing the frame
once. The peer is therefore ``numpy.copy`` of the same float32 frame (allocates its output, like
the conversion does). Goal: within 1.5x of the copy. Every contender runs on ONE thread (numpy's
BLAS through threadpoolctl, OpenCV through cv2.setNumThreads), so the ratio does not depend on how
many cores happen to be free. OpenCV's own cvtColor is printed as a second peer.

The second table shows where the time goes: the kernel zeroing a fresh 38 MB output (first touched
front to back, as a plain writer does; top of each 2 MB block first, as buffers.empty_top_down
does), the copy and the matrix pass into an output that is already mapped, and the copy from a
source at another offset within its 4 KB page (glibc's memmove then runs front to back instead of
back to front, and pays what a front-to-back writer pays).

    .venv/bin/python bench/bench_ycbcr.py [--width 2048 --height 1556] [--repeat 15]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nuke_restore.imaging import buffers, colour  # noqa: E402

COPY = "numpy copy (peer: memory floor)"


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
        COPY: lambda: frame.copy(),
        "rgb_to_ycbcr rec709": lambda: colour.rgb_to_ycbcr(frame, "rec709"),
        "ycbcr_to_rgb rec709": lambda: colour.ycbcr_to_rgb(ycc, "rec709"),
        "rgb_to_ycbcr rec709, offset 0.5": lambda: colour.rgb_to_ycbcr(frame, "rec709", 0.5),
        "luma rec709": lambda: colour.luma(frame),
    }
    warm = np.ones_like(frame)  # an output already mapped (its pages faulted in)
    shifted = _off_page(frame, 2048)
    parts = {  # where the time goes
        "fresh pages alone, front to back": lambda: _touch(np.empty_like(frame)),
        "fresh pages alone, 2 MB tops first": lambda: _touch(np.empty_like(frame), tops=True),
        "fresh pages alone, empty_top_down": lambda: _touch(
            buffers.empty_top_down(frame.shape, frame.dtype)),
        "numpy copy into a mapped output": lambda: np.copyto(warm, frame),
        "numpy copy, source 2 KB off in page": lambda: shifted.copy(),
    }
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:
        cv2.setNumThreads(1)
        flat = frame.reshape(-1, 1, 3)
        mat = colour.ycbcr_matrix().astype(np.float32)
        contenders["cv2.cvtColor RGB2YCrCb (peer)"] = lambda: cv2.cvtColor(frame,
                                                                         cv2.COLOR_RGB2YCrCb)
        contenders["cv2.transform, its own output"] = lambda: cv2.transform(flat, mat)
        parts["cv2.transform into a mapped output"] = lambda: cv2.transform(
            flat, mat, dst=warm.reshape(-1, 1, 3))
    from threadpoolctl import threadpool_limits

    everything = {**contenders, **parts}
    rounds, blocks = {}, {}
    with threadpool_limits(1):
        _race(everything, rounds, args.repeat)
        for name, fn in everything.items():  # each contender in its own block
            _race({name: fn}, blocks, args.repeat)
    mb = frame.nbytes / 1e6
    print(f"frame {args.width}x{args.height} RGB float32 ({mb:.1f} MB), best of {args.repeat}, "
          "one thread; 'round robin' interleaves the contenders, 'blocks' runs each alone:")
    for title, group in (("operation", contenders), ("where the time goes", parts)):
        print(f"  {title:38s} {'ms':>8s} {'x copy, round robin':>20s} {'x copy, blocks':>15s}")
        for name in group:
            print(f"  {name:38s} {rounds[name] * 1e3:8.2f} {rounds[name] / rounds[COPY]:20.2f} "
                  f"{blocks[name] / blocks[COPY]:15.2f}")
    r1 = rounds["rgb_to_ycbcr rec709"] / rounds[COPY]
    r2 = blocks["rgb_to_ycbcr rec709"] / blocks[COPY]
    print(f"\nrgb_to_ycbcr / copy = {r1:.2f}x round robin, {r2:.2f}x in blocks (goal <= 1.5x); "
          f"copy moves {2 * mb / rounds[COPY] / 1e3:.1f} GB/s (read + write)")
    # correctness guard: the fast path must equal the textbook matrix product
    ref = np.einsum("...c,dc->...d", frame[:64, :64].astype(np.float64), colour.ycbcr_matrix())
    assert np.allclose(ycc[:64, :64], ref, atol=1e-5)
    return 0


def _touch(arr, tops=False):
    """Fault every page of a fresh ``arr`` by writing one byte per 4 KB page, lowest first;
    with ``tops`` first the top byte of every whole 2 MB block (so each is zeroed bottom-up)."""
    raw = arr.reshape(-1).view(np.uint8)
    if tops:
        first = -raw.ctypes.data % buffers.HUGE_PAGE
        raw[first + buffers.HUGE_PAGE - 1::buffers.HUGE_PAGE] = 0
    raw[::4096] = 0


def _off_page(frame, shift):
    """A copy of ``frame`` whose data sits ``shift`` bytes further into its 4 KB page than a
    fresh array's does."""
    fresh = np.empty_like(frame).ctypes.data % 4096
    raw = np.empty(frame.nbytes + 8192, np.uint8)
    start = (fresh + shift - raw.ctypes.data) % 4096
    out = raw[start:start + frame.nbytes].view(frame.dtype).reshape(frame.shape)
    out[...] = frame
    return out


def _race(contenders, best, repeat) -> None:
    for _ in range(repeat):  # round-robin so background load hits all alike
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            best[name] = min(dt, best.get(name, dt))


if __name__ == "__main__":
    sys.exit(main())
