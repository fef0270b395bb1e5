"""Fixtures for the Nuke side: a fresh recording fake ``nuke`` in sys.modules for each test."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_nuke import FakeNuke  # noqa: E402

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_nuke(monkeypatch):
    """A GUI-mode fake ``nuke`` module, installed as ``sys.modules['nuke']`` for this test only."""
    fake = FakeNuke()
    monkeypatch.setitem(sys.modules, "nuke", fake)
    yield fake


@pytest.fixture
def terminal_nuke(fake_nuke):
    """The fake in ``nuke -t`` / farm mode: no GUI, ``nuke.menu`` raises like the real one."""
    fake_nuke.gui = False
    return fake_nuke


@pytest.fixture(autouse=True)
def _quiet_nuke_restore_handler():
    """Start-up installs a Script Editor handler on the 'nuke_restore' logger: remove it after
    each test so handlers do not pile up across tests."""
    logger = logging.getLogger("nuke_restore")
    before = list(logger.handlers)
    level = logger.level
    yield
    logger.handlers[:] = before
    logger.setLevel(level)
