# nuke_restore: Nuke GUI start-up (menu.py). Adds the Restore menu and toolbar. Never raises.
from __future__ import annotations


def _nuke_restore_menu() -> None:
    import logging

    try:
        from nuke_restore.nukeside.startup import install_gui

        install_gui()
    except Exception:
        logging.getLogger("nuke_restore.startup").exception(
            "nuke_restore: menu.py failed; Nuke continues without the Restore menu")


_nuke_restore_menu()
del _nuke_restore_menu
