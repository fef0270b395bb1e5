"""init.py and menu.py loaded under the recording fake: plugin paths, menus, and broken installs."""
from __future__ import annotations

import logging
import runpy
import sys
from pathlib import Path

import pytest

from nuke_restore.nukeside import menus
from nuke_restore.recipes.gizmos import GIZMOS

PROJECT = Path(__file__).resolve().parents[2]


def _run(name: str) -> None:
    runpy.run_path(str(PROJECT / name), run_name="__nuke_startup__")


def _commands(fake, menu_path):
    return {c.name: c for c in fake.commands if c.menu == menu_path}


def test_init_adds_gizmos_and_icons_to_the_plugin_path(fake_nuke):
    _run("init.py")
    assert str(PROJECT / "gizmos") in fake_nuke.plugin_paths
    assert str(PROJECT / "nuke_restore" / "nukeside" / "icons") in fake_nuke.plugin_paths


def test_init_works_in_terminal_mode_and_adds_no_menus(terminal_nuke):
    _run("init.py")
    assert str(PROJECT / "gizmos") in terminal_nuke.plugin_paths
    assert terminal_nuke.commands == [] and terminal_nuke.menus == {}


def test_menu_registers_every_restore_command_in_menu_bar_and_toolbar(fake_nuke):
    _run("init.py")
    _run("menu.py")
    bar = _commands(fake_nuke, "Nuke/Restore")
    toolbar = _commands(fake_nuke, "Nodes/Restore")
    assert set(bar) == set(toolbar)
    names = " | ".join(bar)
    for word in ("chroma training", "chroma inference", "spatial training", "spatial inference",
                 "combined", "MatchGrade", "QC compare", "Validate current script",
                 "Open job config", "Save job config"):
        assert word in names, word
    for spec in GIZMOS:
        assert any(name.startswith("Gizmos/") and bar[name].icon.endswith(f"{spec.name}.png")
                   for name in bar), spec.name
    assert all(callable(c.command) for c in fake_nuke.commands)
    assert all(c.icon and (PROJECT / "nuke_restore" / "nukeside" / "icons" /
                           c.icon.rsplit("/", 1)[-1]).is_file() for c in fake_nuke.commands)
    assert fake_nuke.menus["Nodes"].submenus["Restore"].icon.endswith("RS_restore.png")


def test_shortcuts_are_few_unique_and_only_on_the_menu_bar(fake_nuke):
    _run("menu.py")
    bar = [c.shortcut for c in _commands(fake_nuke, "Nuke/Restore").values() if c.shortcut]
    assert bar and len(bar) == len(set(bar))
    assert all(s.startswith("Ctrl+Alt+Shift+") for s in bar)
    assert not any(c.shortcut for c in _commands(fake_nuke, "Nodes/Restore").values())


def test_menu_does_nothing_in_terminal_mode(terminal_nuke):
    _run("menu.py")
    assert terminal_nuke.commands == []


def test_menu_gizmo_list_matches_the_gizmo_builders():
    assert [name for name, _ in menus.GIZMO_ENTRIES] == [s.name for s in GIZMOS]


@pytest.mark.parametrize("script", ["init.py", "menu.py"])
def test_broken_install_logs_and_does_not_raise(fake_nuke, monkeypatch, caplog, script):
    # A missing/broken package: importing nuke_restore.nukeside.startup fails.
    monkeypatch.setitem(sys.modules, "nuke_restore.nukeside.startup", None)
    with caplog.at_level(logging.ERROR, logger="nuke_restore"):
        _run(script)
    assert any("Nuke continues" in r.getMessage() and r.exc_info for r in caplog.records)
    assert fake_nuke.commands == []


def test_a_failing_nuke_call_inside_startup_is_logged_not_raised(fake_nuke, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("plugin path exploded")

    monkeypatch.setattr(fake_nuke, "pluginAddPath", broken)
    with caplog.at_level(logging.ERROR, logger="nuke_restore"):
        _run("init.py")
    assert any("plugin path exploded" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_startup_modules_import_nothing_heavy(fake_nuke):
    heavy = ("numpy", "OpenImageIO", "yaml", "PySide6", "PySide2", "qtpy",
             "nuke_restore.recipes", "nuke_restore.config", "nuke_restore.imaging")
    code = (
        "import sys, runpy\n"
        f"sys.path.insert(0, {str(PROJECT)!r})\n"
        f"sys.path.insert(0, {str(PROJECT / 'tests' / 'nukeside')!r})\n"
        "from fake_nuke import FakeNuke\n"
        "sys.modules['nuke'] = FakeNuke()\n"
        f"runpy.run_path({str(PROJECT / 'init.py')!r})\n"
        f"runpy.run_path({str(PROJECT / 'menu.py')!r})\n"
        "print(sorted(m for m in sys.modules))\n"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout
    for module in heavy:
        assert f"'{module}'" not in loaded, f"start-up imported {module}"


def test_init_appends_an_optional_pydeps_folder_to_sys_path(fake_nuke, tmp_path, monkeypatch):
    from nuke_restore.nukeside import startup

    (tmp_path / "pydeps").mkdir()
    (tmp_path / "gizmos").mkdir()
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert startup.initialize(str(tmp_path)) is True
    assert sys.path[-1] == str(tmp_path / "pydeps")
    assert str(tmp_path / "gizmos") in fake_nuke.plugin_paths
