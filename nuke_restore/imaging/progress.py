"""Progress bars for long image passes: tqdm on stderr, silent when not a terminal or when quiet."""
from __future__ import annotations

import sys
from typing import Iterable, Optional

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Silence (or re-enable) every progress bar of this process, e.g. for ``--quiet``."""
    global _QUIET
    _QUIET = bool(quiet)


def progress_enabled(requested: bool = True) -> bool:
    """True when a bar should be drawn: requested, not quiet, and stderr is a terminal."""
    if not requested or _QUIET:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress_bar(
    iterable: Optional[Iterable] = None,
    total: Optional[int] = None,
    desc: Optional[str] = None,
    enabled: bool = True,
    unit: str = "frame",
):
    """A tqdm bar on stderr (or a no-op wrapper when disabled or tqdm is missing).

    Args:
        iterable: what to iterate; may be None when the caller calls ``update()``.
        total: number of steps, when the iterable has no ``len``.
        desc: short label shown before the bar.
        enabled: the caller's wish (e.g. ``progress=True``); terminals and --quiet decide the rest.
        unit: the step unit shown in the rate.
    """
    show = progress_enabled(enabled)
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is in the imaging extra; degrade to no bar rather than fail
        return _NoBar(iterable, total)
    return tqdm(iterable, total=total, desc=desc, disable=not show, file=sys.stderr,
                unit=unit, leave=False, dynamic_ncols=True)


class _NoBar:
    """The subset of the tqdm interface the project uses, doing nothing."""

    def __init__(self, iterable, total):
        self._it = iterable
        self.total = total

    def __iter__(self):
        return iter(self._it if self._it is not None else ())

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
