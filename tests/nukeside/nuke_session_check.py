"""Run inside a real Nuke: ``$NUKE_EXECUTABLE -t nuke_session_check.py PROJECT PASTE_DIR OUT.json``.

Loads init.py and menu.py as Nuke would, pastes every prepared clipboard file (built by the test in
the host Python), creates every RS_ gizmo, and writes what happened as JSON. Python 3.9 + nuke only.
"""
import json
import os
import runpy
import sys
import traceback


def main(project, paste_dir, out_path):
    import nuke

    report = {"errors": [], "plugin_path": [], "menu_installed": None, "pastes": {}, "gizmos": {}}
    try:
        runpy.run_path(os.path.join(project, "init.py"))
        report["plugin_path"] = list(nuke.pluginPath())
        runpy.run_path(os.path.join(project, "menu.py"))  # -t: must not raise, adds nothing
        from nuke_restore.nukeside.startup import install_gui

        report["menu_installed"] = install_gui()
        for name in sorted(os.listdir(paste_dir)):
            try:
                nuke.scriptClear()
                nuke.nodePaste(os.path.join(paste_dir, name))
                report["pastes"][name] = sorted(n.Class() for n in nuke.allNodes())
            except Exception:
                report["errors"].append(f"paste {name}: {traceback.format_exc()}")
        from nuke_restore.nukeside.menus import GIZMO_ENTRIES

        nuke.scriptClear()
        for gizmo, _label in GIZMO_ENTRIES:
            try:
                node = nuke.createNode(gizmo, inpanel=False)
                report["gizmos"][gizmo] = {"class": node.Class(), "inputs": node.maxInputs()}
            except Exception:
                report["errors"].append(f"gizmo {gizmo}: {traceback.format_exc()}")
    except Exception:
        report["errors"].append(traceback.format_exc())
    with open(out_path, "w") as fh:
        json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
