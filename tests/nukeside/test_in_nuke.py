"""The `nuke` tier: inside a real Nuke (`$NUKE_EXECUTABLE -t`), skipped unless NUKE_EXECUTABLE is set.

Covers what applies to a terminal session: init.py puts gizmos/ on the plugin path, menu.py adds
nothing and does not raise, every built graph pastes through nuke.nodePaste with the expected node
classes, and every RS_ gizmo loads with its inputs.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from nuke_restore.nukeside import paste
from nuke_restore.nukeside.menus import GIZMO_ENTRIES

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]

pytestmark = pytest.mark.nuke


def _built_texts():
    from nuke_restore.config import config_from_dict
    from nuke_restore.nukeside.settings import example_settings
    from nuke_restore.recipes import build_scripts

    texts = {}
    for procedure in ("chroma", "spatial", "combined", "baseline"):
        settings = example_settings()
        settings.procedure = procedure
        for built in build_scripts(config_from_dict(settings.to_config_dict())):
            texts[f"{built.name}.nk"] = (paste.clipboard_text(built.text), built)
    return texts


def test_inside_nuke_startup_paste_and_gizmos(tmp_path):
    texts = _built_texts()
    paste_dir = tmp_path / "pastes"
    paste_dir.mkdir()
    for name, (text, _built) in texts.items():
        (paste_dir / name).write_text(text, encoding="utf-8")
    out = tmp_path / "report.json"
    result = subprocess.run(
        [os.environ["NUKE_EXECUTABLE"], "-t", str(HERE / "nuke_session_check.py"), str(PROJECT),
         str(paste_dir), str(out)], capture_output=True, text=True, timeout=600)
    assert out.is_file(), result.stdout + result.stderr
    report = json.loads(out.read_text())
    assert report["errors"] == [], "\n".join(report["errors"])
    assert any(p.rstrip("/").endswith("gizmos") for p in report["plugin_path"])
    assert report["menu_installed"] is False
    for name, (_text, built) in texts.items():
        expected = sorted(n.cls if n.clone_of is None else n.clone_of.cls
                          for n in built.script.nodes if n.cls != "Root")
        assert report["pastes"][name] == expected, name
    for gizmo, _label in GIZMO_ENTRIES:
        assert report["gizmos"][gizmo]["inputs"] >= 1, gizmo
