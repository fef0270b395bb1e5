"""One switch for Python's cyclic garbage collector around bulk work.

Parsing, writing, validating or building a script allocates many small objects and frees almost
none until the end. The cyclic collector would rescan that growing heap again and again (parse
time grew super-linearly on big files), and a script holds no reference cycles of its own
(``Node.parent`` and ``Graph.owner`` are weak), so nothing is lost by waiting until the block ends.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; restore its previous state after (nestable)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
