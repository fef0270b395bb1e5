"""nuke_restore: build, validate and run CopyCat film-restoration graphs for Nuke.

Rooms:
    nuke_restore.nk        the .nk engine (model, parser, writer, schema, validation); stdlib only
    nuke_restore.config    job configs (YAML) and template search paths
    nuke_restore.recipes   procedures as graph builders (chroma, spatial, combined, baseline, inference)
    nuke_restore.imaging   headless numpy/OpenImageIO tools (curate, align, baseline, qc); lazy imports
    nuke_restore.farm      headless CopyCat training jobs for render farms
    nuke_restore.nukeside  the thin layer that runs inside Nuke (menus, commands, dialog)
    nuke_restore.cli       the ``nuke-restore`` command
"""
from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
