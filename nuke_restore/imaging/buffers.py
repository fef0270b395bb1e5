"""New large output arrays laid out so that filling them front to back is cheap.

A new array of 32 MB and more (a 2K float RGB frame is 38 MB) is a fresh mapping: the kernel
zeroes every page at its first write. numpy asks for transparent huge pages on arrays of 4 MB and
more, so on Linux most of such a frame is faulted 2 MB at a time. Two things then make a writer
that goes front to back (OpenCV's ``cv2.transform``, for one) slower than ``numpy.copy`` into the
same kind of fresh array:

* The kernel zeroes a huge page in an order that ends at the faulting address (to leave that part
  in cache). A front-to-back writer first touches each 2 MB block at its bottom, so the block is
  zeroed top-down, which this machine streams badly: faulting in a fresh 38 MB array one byte per
  4 KB page, lowest first, took 3.9-5.5 ms; with the top byte of each 2 MB block touched first,
  2.6-3.5 ms (18 runs of bench/bench_ycbcr.py, one thread, 2-core AMD EPYC VM, Linux 6.18,
  glibc 2.36). ``numpy.copy`` never pays it: glibc's ``memmove`` copies back to front when source
  and destination sit at the same offset within a 4 KB page (to avoid 4K aliasing), and two numpy
  buffers from fresh mappings always do. The same copy from a source 2 KB further into its page
  (glibc then copies front to back) took 1.4-1.6x as long in the same runs, interleaved.
* A mapping is aligned to 4 KB, not 2 MB, so its ragged ends (here ~630 pages, 2.5 MB) are
  faulted 4 KB at a time, each fault a separate kernel entry.

:func:`empty_top_down` returns an uninitialised array that starts on a 2 MB boundary (it asks for
2 MB more address space; the head it skips is never touched, so it costs no memory, and at most the
rest of one huge page past the array's end may be backed) and whose whole 2 MB blocks have been
first touched at their top byte, lowest block first: the kernel zeroes each bottom-up, and the
caller's writes then follow in the same order. Faulting a 38 MB array in this way took 1.7-2.3 ms.
The values later written are unaffected; only the cost of the first write changes. Without huge
pages, or on another OS, the result is an ordinary array and the few touched bytes cost nothing.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

#: The x86-64 / arm64 (4 KB base page) transparent huge page size.
HUGE_PAGE = 2 << 20
#: Smaller arrays come back from ``np.empty``. glibc serves an allocation from a fresh mapping
#: when it is at least its mmap threshold, which adapts upwards to the largest block freed but
#: never past 32 MB (``nuke-restore`` pins it at 32 MB). Below that a new frame is usually carved
#: from heap memory already faulted in, where there is nothing to gain: on 1K (9.6 MB) and HD
#: (24.9 MB) float frames the conversion took no page faults and this layout gained nothing.
MIN_BYTES = 32 << 20


def empty_top_down(shape: Tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape``/``dtype`` (see the module notes)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    raw = np.empty(nbytes + HUGE_PAGE, np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE
    raw = raw[start:start + nbytes]
    raw[HUGE_PAGE - 1::HUGE_PAGE] = 0  # each whole 2 MB block: its top byte, lowest block first
    raw[-1] = 0  # the ragged last block (if any) likewise from its top
    return raw.view(dtype).reshape(shape)
