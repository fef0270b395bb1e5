"""Keep freed frame buffers for reuse in the ``nuke-restore`` process (glibc only).

glibc serves every allocation above its mmap threshold (128 KB at start) with a fresh mapping.
It adapts: once such a block is freed, the threshold rises to its size and the trim threshold to
twice that. But a reader holds two frame buffers at once (decoded, then the copy handed back), so
the heap top outgrows the trim threshold at every frame, is given back to the system, and every
page of the next frame is faulted in and zeroed again. Measured on 960x540 16-bit DPX frames read
with OpenImageIO: ~1,500 page faults and 4.0-4.4 ms of CPU a frame by default, none and 0.4 ms
with the thresholds set; `nuke-restore conform` of 129 such frames against 161 JPEG frames, 2.0-2.5
s of CPU before, 1.6-1.8 s after (same output). Frames up to 32 MB (glibc's ceiling for the
threshold; a 4K 16-bit RGB frame is 75 MB and keeps the default path) are then carved from the
heap and reused.

The cost: up to ``trim`` bytes of freed memory stay with the process until it ends. Called once by
the command-line entry point, never inside Nuke or on import.
"""
from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_frame_buffers(mmap_threshold: int = 32 << 20, trim: int = 256 << 20) -> bool:
    """Raise glibc's mmap and trim thresholds; False (and nothing changed) elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # glibc only: musl's mallopt does nothing
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim))
