# nuke_restore: Nuke start-up (init.py). Runs in GUI, `nuke -t` and farm sessions. Never raises.
#
# Put this folder on NUKE_PATH (or call nuke.pluginAddPath on it from ~/.nuke/init.py). It makes the
# nuke_restore package importable and adds gizmos/ and the icons to Nuke's plugin path. Any failure
# is logged with its traceback and Nuke starts without the tools.
from __future__ import annotations


def _nuke_restore_init() -> None:
    import logging
    import os
    import sys

    log = logging.getLogger("nuke_restore.startup")
    try:
        try:
            here = os.path.dirname(os.path.abspath(__file__))
        except NameError:  # some Nukes exec init.py without __file__: find us on the plugin path
            import nuke

            here = next((p for p in nuke.pluginPath()
                         if os.path.isdir(os.path.join(p, "nuke_restore", "nukeside"))), "")
        if here and here not in sys.path:
            sys.path.insert(0, here)
        from nuke_restore.nukeside.startup import initialize

        initialize(here or None)
    except Exception:
        log.exception("nuke_restore: init.py failed; Nuke continues without nuke_restore")


_nuke_restore_init()
del _nuke_restore_init
