"""Route the package's log records to Nuke's Script Editor (which shows stdout/stderr)."""
from __future__ import annotations

import logging
import sys

LOGGER_NAME = "nuke_restore"
_HANDLER_MARK = "_nuke_restore_script_editor"


def install_script_editor_handler(level: int = logging.INFO) -> logging.Handler:
    """Attach (once) a handler that prints ``[nuke_restore] LEVEL: message`` to stderr.

    Idempotent: calling it from init.py and menu.py leaves one handler. Returns that handler.
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in logger.handlers:
        if getattr(handler, _HANDLER_MARK, False):
            return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[nuke_restore] %(levelname)s: %(message)s"))
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return handler
