"""Progress for long work: ``nuke.ProgressTask`` in the GUI, log lines elsewhere."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from . import host

logger = logging.getLogger(__name__)


class Progress:
    """What a long command reports to: ``update(percent, message)`` and ``cancelled``."""

    def __init__(self, title: str, task: Optional[Any] = None) -> None:
        self.title = title
        self._task = task

    def update(self, percent: int, message: str) -> None:
        logger.info("%s: %s", self.title, message)
        if self._task is not None:
            self._task.setMessage(message)
            self._task.setProgress(max(0, min(100, int(percent))))

    @property
    def cancelled(self) -> bool:
        return bool(self._task is not None and self._task.isCancelled())


@contextmanager
def progress_task(title: str) -> Iterator[Progress]:
    """A ``Progress`` backed by ``nuke.ProgressTask`` when Nuke has a GUI.

    The task is dropped at the end (Nuke closes the bar when the object is deleted).
    """
    task = None
    nuke = host.nuke_module()
    if nuke is not None and host.is_gui() and hasattr(nuke, "ProgressTask"):
        try:
            task = nuke.ProgressTask(title)
        except Exception:  # a progress bar is a nicety: never fail the command for it
            logger.debug("nuke.ProgressTask unavailable", exc_info=True)
            task = None
    progress = Progress(title, task)
    try:
        yield progress
    finally:
        if task is not None:
            task.setProgress(100)
        del task
