"""Fixtures for the farm tests."""
from __future__ import annotations

import os
import shutil

import pytest
from farm_helpers import GOLDEN


@pytest.fixture
def golden():
    """Compare text with tests/farm/golden/NAME; NUKE_RESTORE_UPDATE_GOLDENS=1 rewrites it."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("NUKE_RESTORE_UPDATE_GOLDENS") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"missing golden {path}; run with NUKE_RESTORE_UPDATE_GOLDENS=1"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check


@pytest.fixture
def posix_sh():
    sh = shutil.which("sh")
    if not sh:
        pytest.skip("no POSIX sh on this machine")
    return sh
