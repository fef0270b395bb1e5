"""What the root init.py and menu.py call. Both functions log and return False on failure, never
raise: a broken nuke_restore must never stop Nuke from starting (GUI, ``nuke -t`` or a farm)."""
from __future__ import annotations

import logging
import os
import sys
from typing import Optional

from . import host
from .log import install_script_editor_handler

logger = logging.getLogger(__name__)

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def plugin_root() -> str:
    """The folder that holds init.py, menu.py, gizmos/ and the nuke_restore package."""
    return os.path.dirname(os.path.dirname(PACKAGE_DIR))


#: Optional folder beside init.py for third-party Python packages built for Nuke's Python
#: (``pip install --target <root>/pydeps PyYAML``); appended to sys.path so Nuke's own modules win.
PYDEPS = "pydeps"


def initialize(root: Optional[str] = None) -> bool:
    """init.py: put gizmos/ and the icons on Nuke's plugin path (every kind of session)."""
    try:
        install_script_editor_handler()
        nuke = host.require_nuke()
        root = root or plugin_root()
        deps = os.path.join(root, PYDEPS)
        if os.path.isdir(deps) and deps not in sys.path:
            sys.path.append(deps)
        for folder in (os.path.join(root, "gizmos"), os.path.join(PACKAGE_DIR, "icons")):
            if os.path.isdir(folder):
                nuke.pluginAddPath(folder.replace("\\", "/"))
            else:
                logger.warning("nuke_restore: %s is missing; its tools will not load", folder)
        return True
    except Exception:
        logger.exception("nuke_restore: start-up (init.py) failed; Nuke continues without it")
        return False


def install_gui() -> bool:
    """menu.py: the Restore menu and toolbar (GUI sessions only)."""
    try:
        if not host.is_gui():
            return False
        from .menus import install_menus

        install_menus(host.require_nuke())
        return True
    except Exception:
        logger.exception("nuke_restore: menu set-up (menu.py) failed; Nuke continues without it")
        return False
