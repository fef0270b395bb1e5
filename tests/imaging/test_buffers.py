"""buffers.empty_top_down: a plain uninitialised array, huge-page aligned when large."""
from __future__ import annotations

import numpy as np
import pytest

from nuke_restore.imaging import buffers


@pytest.mark.parametrize("shape,dtype", [((7, 3), np.float32), ((1, 1), np.uint16),
                                         ((1024, 1024, 3), np.float32),
                                         ((1556, 2048, 3), np.float32), ((3, 2_900_001), np.float32)])
def test_shape_dtype_and_writable_memory(shape, dtype):
    a = buffers.empty_top_down(shape, dtype)
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    vals = np.arange(a.size, dtype=dtype).reshape(shape)
    a[...] = vals  # every byte belongs to the array: no overlap with the touched-byte bookkeeping
    assert np.array_equal(a, vals)
    if a.nbytes >= buffers.MIN_BYTES:
        assert a.ctypes.data % buffers.HUGE_PAGE == 0
    else:
        assert a.base is None  # small arrays are ordinary np.empty results


def test_buffer_outlives_the_helper_and_arrays_are_independent():
    a = buffers.empty_top_down((2048, 2048, 2), np.float32)
    b = buffers.empty_top_down((2048, 2048, 2), np.float32)
    a.fill(1.0)
    b.fill(2.0)
    view = a[::2]
    del a
    assert float(view.min()) == float(view.max()) == 1.0 and float(b.sum()) == 2.0 * b.size
