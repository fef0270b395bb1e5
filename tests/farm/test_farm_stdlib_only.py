"""nuke_restore.farm uses the standard library only (plus the package's own errors and fileio)."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import nuke_restore.farm as farm

ALLOWED_RELATIVE = {"errors", "fileio"}


def _stdlib(name: str) -> bool:
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return name in names
    # Python 3.9: the modules this package is expected to use.
    return name in {"__future__", "dataclasses", "json", "logging", "os", "posixpath", "re", "shlex",
                    "stat", "typing", "xml", "zlib", "pathlib"}


def test_farm_imports_only_the_standard_library():
    folder = Path(farm.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) >= 7
    for path in modules:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert _stdlib(alias.name.split(".")[0]), (path.name, alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    assert _stdlib(node.module.split(".")[0]), (path.name, node.module)
                elif node.level == 2:
                    assert node.module in ALLOWED_RELATIVE, (path.name, node.module)
