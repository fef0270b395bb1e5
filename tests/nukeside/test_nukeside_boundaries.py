"""Room boundaries: only nukeside (and the root start-up files) may import nuke or Qt."""
from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
HOST_IMPORT = re.compile(r"^\s*(?:import|from)\s+(nuke|nukescripts|PySide2|PySide6|qtpy)\b", re.M)


def test_headless_rooms_never_import_nuke_or_qt():
    offenders = []
    for room in ("nk", "recipes", "imaging", "config", "farm", "cli"):
        for path in sorted((PROJECT / "nuke_restore" / room).rglob("*.py")):
            if HOST_IMPORT.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(PROJECT)))
    assert offenders == []


def test_qt_is_imported_only_by_the_shim():
    for path in sorted((PROJECT / "nuke_restore" / "nukeside").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name != "qt.py":
            assert not re.search(r"^\s*(?:import|from)\s+(PySide2|PySide6|qtpy)\b", text, re.M), \
                path.name


def test_nukeside_imports_nuke_only_inside_functions():
    # `import nuke` at module level would break importing (and testing) outside Nuke.
    for path in [PROJECT / "init.py", PROJECT / "menu.py",
                 *sorted((PROJECT / "nuke_restore" / "nukeside").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^(?:import|from)\s+nuke\b", text, re.M), path.name
