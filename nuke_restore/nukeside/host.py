"""Tiny queries of the running Nuke. Each is one seam: tests swap ``nuke`` in ``sys.modules``."""
from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any, List, Optional

logger = logging.getLogger(__name__)


def nuke_module() -> Optional[ModuleType]:
    """The ``nuke`` module, or None outside Nuke."""
    try:
        return importlib.import_module("nuke")
    except ImportError:
        return None


def require_nuke() -> ModuleType:
    nuke = nuke_module()
    if nuke is None:
        raise RuntimeError("this command runs inside Nuke (the 'nuke' module is not importable)")
    return nuke


def is_gui() -> bool:
    """True in an interactive Nuke session (False in ``nuke -t``, on a farm, or outside Nuke)."""
    nuke = nuke_module()
    if nuke is None:
        return False
    gui = getattr(nuke, "GUI", None)
    if gui is not None:
        return bool(gui)
    env = getattr(nuke, "env", None)
    try:
        return bool(env["gui"]) if env is not None else False
    except (KeyError, TypeError):
        return False


def nuke_version() -> str:
    """``NUKE_VERSION_STRING`` such as ``15.1v3``, or '' when unknown."""
    nuke = nuke_module()
    return str(getattr(nuke, "NUKE_VERSION_STRING", "")) if nuke is not None else ""


def selected_nodes() -> List[Any]:
    return list(require_nuke().selectedNodes())


def selected_reads() -> List[Any]:
    """Selected ``Read`` nodes, in selection order."""
    return [n for n in selected_nodes() if n.Class() == "Read"]


def message(text: str) -> None:
    """Show ``text`` to the artist (a dialog in the GUI) and log it."""
    logger.info("%s", text)
    nuke = nuke_module()
    if nuke is not None and is_gui():
        nuke.message(text)


def error(text: str) -> None:
    """Show an error to the artist and log it at ERROR."""
    logger.error("%s", text)
    nuke = nuke_module()
    if nuke is not None and is_gui():
        nuke.message(text)


def script_path() -> str:
    """The path of the open script, or '' when it was never saved."""
    root = require_nuke().root()
    name = root.name() if root is not None else ""
    return "" if not name or name == "Root" else str(name)


def project_directory() -> str:
    """Root's project directory knob as written ('' when unset)."""
    knob = require_nuke().root().knob("project_directory")
    try:
        return str(knob.value() or "") if knob is not None else ""
    except Exception:
        return ""


def script_modified() -> bool:
    root = require_nuke().root()
    try:
        return bool(root.modified())
    except Exception:
        return False


def ask_filename(title: str, pattern: str = "*", default: str = "") -> str:
    """A file browser in the GUI; '' when cancelled."""
    nuke = require_nuke()
    result = nuke.getFilename(title, pattern, default)
    return result or ""
