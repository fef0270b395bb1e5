"""The Restore menu (menu bar) and the Restore toolbar (Nodes panel), as data.

Shortcuts: only two, both Ctrl+Alt+Shift chords, which Nuke's default keymap does not use as far as
the documentation we could read shows (no running Nuke was available to check); everything else is
reached through the menu or the Tab search.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from . import commands
from . import templates as template_commands

logger = logging.getLogger(__name__)

MENU_NAME = "Restore"
ICON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icons")

#: The RS_ gizmos in gizmos/ (kept equal to nuke_restore.recipes.gizmos.GIZMOS by a test, so the
#: menu needs no import of the recipes at start-up).
GIZMO_ENTRIES: Tuple[Tuple[str, str], ...] = (
    ("RS_Align", "Align"),
    ("RS_YCbCrShuffle", "YCbCr Shuffle"),
    ("RS_MatchGradeBaseline", "MatchGrade Baseline"),
    ("RS_LumaMatch", "Luma Match"),
    ("RS_CleanupCrop", "Cleanup Crop"),
    ("RS_Compare", "Compare"),
)


@dataclass(frozen=True)
class MenuEntry:
    """One command: its menu path under Restore, callable, shortcut, icon file and tooltip."""

    path: str
    command: Callable[[], None]
    icon: str = ""
    shortcut: str = ""
    tooltip: str = ""


def menu_entries() -> List[Optional[MenuEntry]]:
    """The Restore menu in order; None is a separator."""
    build = [
        MenuEntry("Build chroma training...", commands.build_chroma_training, "RS_chroma.png",
                  "Ctrl+Alt+Shift+C", "Chroma recovery: dataset, pair and CopyCat training graph "
                  "from the selected Source and Reference Reads."),
        MenuEntry("Build chroma inference...", commands.build_chroma_inference,
                  "RS_inference.png", "", "Chroma recovery inference on the full Source."),
        MenuEntry("Build spatial training...", commands.build_spatial_training, "RS_spatial.png",
                  "", "Spatial recovery (detail from a better element): training graph."),
        MenuEntry("Build spatial inference...", commands.build_spatial_inference,
                  "RS_inference.png", "", "Spatial recovery inference on the full Source."),
        MenuEntry("Build combined (spatial then chroma)...", commands.build_combined,
                  "RS_combined.png", "", "Spatial stage, then chroma on its result."),
        MenuEntry("Build MatchGrade baseline...", commands.build_matchgrade_baseline,
                  "RS_matchgrade.png", "", "The 3D-LUT baseline that shows what a grade can "
                  "recover."),
    ]
    tools = [
        MenuEntry("QC compare", commands.qc_compare, "RS_compare.png", "",
                  "RS_Compare wired to up to four selected nodes (A, B, C, D)."),
        MenuEntry("Validate current script", commands.validate_current_script,
                  "RS_validate.png", "Ctrl+Alt+Shift+V",
                  "Check the saved script with the nuke_restore harness."),
    ]
    files = [
        MenuEntry("Open job config...", commands.open_job_config, "RS_config.png", "",
                  "Open a YAML/JSON job config, review it and build it."),
        MenuEntry("Save job config...", commands.save_job_config, "RS_config.png", "",
                  "Save the dialog's settings as a job config for the command line or a farm."),
    ]
    templates = [MenuEntry(path, command, "RS_config.png", "", tooltip)
                 for path, command, tooltip in template_commands.menu_commands()]
    gizmos = [
        MenuEntry(f"Gizmos/{label}", commands.create_gizmo(name), f"{name}.png", "",
                  f"Create an {name}.")
        for name, label in GIZMO_ENTRIES
    ]
    return build + [None] + tools + [None] + files + [None] + templates + [None] + gizmos


def _icon(entry: MenuEntry) -> str:
    # A bare file name, as Nuke documents: init.py put ICON_DIR on the plugin path, where Nuke
    # looks icons up.
    return entry.icon


def _add_entries(menu: Any, entries: List[Optional[MenuEntry]], with_shortcuts: bool) -> int:
    added = 0
    for entry in entries:
        if entry is None:
            menu.addSeparator()
            continue
        menu.addCommand(entry.path, entry.command,
                        entry.shortcut if with_shortcuts else "",
                        icon=_icon(entry), tooltip=entry.tooltip)
        added += 1
    return added


def install_menus(nuke: Any) -> int:
    """Add the Restore menu to the menu bar and the Restore toolbar to the Nodes panel.

    Shortcuts are bound once, on the menu-bar items. Returns the number of commands added.
    """
    entries = menu_entries()
    bar = nuke.menu("Nuke").addMenu(MENU_NAME)
    count = _add_entries(bar, entries, with_shortcuts=True)
    toolbar = nuke.menu("Nodes").addMenu(MENU_NAME, icon="RS_restore.png")
    count += _add_entries(toolbar, entries, with_shortcuts=False)
    logger.debug("Restore menus installed (%d commands)", count)
    return count
