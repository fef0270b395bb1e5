"""Shared fixtures: the ../shared evidence folder (skipped cleanly when absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NUKE_RESTORE_SHARED", PROJECT.parent / "shared"))


#: What a test that needs the evidence folder says when it is not there.
MISSING_EVIDENCE = (
    f"evidence folder not found at {SHARED}: these tests compare against 99 real Nuke-saved "
    "scripts (nk-corpus/) and the scan of Nuke 17.0v3's knobs (nuke-facts/knobs-17.0v3.json), "
    "which are not part of the project; set NUKE_RESTORE_SHARED to the folder that holds them")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "nk-corpus").is_dir():
        pytest.skip(MISSING_EVIDENCE)
    return SHARED


@pytest.fixture(scope="session")
def corpus_files(shared_dir):
    files = sorted(p for p in (shared_dir / "nk-corpus").iterdir() if p.suffix in (".nk", ".gizmo"))
    assert files, "nk-corpus is empty"
    return files


@pytest.fixture(scope="session")
def knob_facts_path(shared_dir) -> Path:
    p = shared_dir / "nuke-facts" / "knobs-17.0v3.json"
    if not p.is_file():
        pytest.skip(f"{p} not found: the scan of Nuke 17.0v3's knobs (nuke-facts/) is missing "
                    "from the evidence folder")
    return p


def pytest_collection_modifyitems(config, items):
    if os.environ.get("NUKE_EXECUTABLE"):
        return
    skip = pytest.mark.skip(reason="NUKE_EXECUTABLE is not set: no real Nuke to run this tier in")
    for item in items:
        if "nuke" in item.keywords:
            item.add_marker(skip)
