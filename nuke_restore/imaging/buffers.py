"""New large output arrays laid out so that filling them front to back is cheap.

A new array of more than a few MB is a fresh mapping: every page is zeroed by the kernel at its
first write. numpy asks for transparent huge pages on arrays of 4 MB and more, so on Linux most of
a 2K frame is faulted 2 MB at a time. Two things then make a front-to-back writer (such as OpenCV's
``cv2.transform``) slower than ``numpy.copy`` into the same kind of fresh array:

* The kernel zeroes a huge page in an order that ends at the faulting address (to leave that part
  cached). A front-to-back writer first touches each 2 MB block at its bottom, so the block is
  zeroed top-down, which the memory system streams badly: touching one byte per 4 KB page of a
  fresh 38 MB array costs 4.3-4.5 ms going up and 2.3-2.6 ms going down (one thread, this
  project's 2-core AMD EPYC VM, Linux 6.18, glibc 2.36). ``numpy.copy`` never pays it: glibc's
  ``memmove`` copies back to front when source and destination sit at the same offset within a
  4 KB page (to avoid 4K aliasing), and two numpy buffers from fresh mappings always do. Copying
  from a source at another page offset (glibc then copies front to back) takes 1.3-1.5x longer.
* A mapping is aligned to 4 KB, not 2 MB, so its ragged ends (2.5 MB of a 38 MB frame on average)
  get ~600 separate 4 KB faults, each with its own kernel entry.

:func:`empty_top_down` returns an uninitialised array that starts on a 2 MB boundary (over-asking
by 2 MB of address space; the unused head is never touched, so it costs no memory) and whose 2 MB
blocks have been first touched at their top byte, lowest block first: the kernel zeroes each one
bottom-up while the caller's writes follow in the same order. The values written later are
unaffected; only the cost of the first write changes. Elsewhere (no huge pages, another OS) the
result is an ordinary array and the few touched bytes cost nothing. See ``bench/bench_ycbcr.py``.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

#: The x86-64 / arm64 (4 KB base page) transparent huge page size.
HUGE_PAGE = 2 << 20
#: numpy asks for huge pages from this size on; smaller arrays come back from ``np.empty``.
MIN_BYTES = 4 << 20


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
