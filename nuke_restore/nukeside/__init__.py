"""The thin layer that runs inside Nuke: menus, commands, the setup dialog and the Qt shim.

Everything here is Python 3.9 and standard library (+ Qt, through ``qt.py``). ``nuke`` is imported
inside functions, never at module level, so the modules import (and are tested) without Nuke; the
headless core (``nk``, ``recipes``, ``config``) never imports this package.

    startup    what init.py / menu.py call: plugin paths and menus (never raise)
    menus      the Restore menu and toolbar, as data
    commands   the menu callables: build, validate, open/save job configs, gizmos
    host       tiny queries of the running Nuke (the seams tests replace)
    paste      pasting generated .nk text as one undo step, beside the selection
    reads      Read nodes -> clip facts that prefill the dialog
    jobfile    job configs as YAML when PyYAML is importable, else JSON
    settings   the dialog's values and their job-config dict
    dialog     the setup dialog and the Read chooser (Qt)
    qt         the Qt shim (qtpy, PySide6, PySide2)
    progress   nuke.ProgressTask with a logging fallback
    log        a Script Editor log handler
"""
