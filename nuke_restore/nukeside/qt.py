"""The one Qt shim of the Nuke side: PySide6 (Nuke 16+), PySide2 (Nuke 14-15), or qtpy.

A binding Nuke has already loaded wins; otherwise PySide6, then PySide2, then qtpy. Set
``NUKE_RESTORE_QT_API=pyside6|pyside2|qtpy`` to force one (tests use it to exercise both).
Only names that mean the same in both bindings are used by the dialog; ``exec_dialog`` hides the
``exec``/``exec_`` rename.
"""
from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import Any, Tuple

_ORDER = ("PySide6", "PySide2", "qtpy")


def _load(name: str) -> Tuple[ModuleType, ModuleType, ModuleType]:
    core = importlib.import_module(f"{name}.QtCore")
    gui = importlib.import_module(f"{name}.QtGui")
    widgets = importlib.import_module(f"{name}.QtWidgets")
    return core, gui, widgets


def _choose() -> Tuple[str, ModuleType, ModuleType, ModuleType]:
    forced = os.environ.get("NUKE_RESTORE_QT_API", "").strip().lower()
    names = [n for n in _ORDER if n.lower() == forced] if forced else \
        [n for n in _ORDER if n in sys.modules] + [n for n in _ORDER if n not in sys.modules]
    errors = []
    for name in names:
        try:
            return (name,) + _load(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise ImportError("no Qt binding found (tried " + "; ".join(errors or names) + "); "
                      "install the 'ui' extra: pip install 'nuke-restore[ui]'")


BINDING, QtCore, QtGui, QtWidgets = _choose()
QT_VERSION = str(getattr(QtCore, "qVersion", lambda: "?")())


def exec_dialog(dialog: Any) -> int:
    """Run a modal dialog (PySide6 ``exec``, PySide2 ``exec_``)."""
    run = getattr(dialog, "exec", None) or dialog.exec_
    return int(run())


def application() -> Any:
    """The running QApplication (Nuke's), or a new one outside Nuke (tests, screenshots)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1] or ["nuke_restore"])
    return app
