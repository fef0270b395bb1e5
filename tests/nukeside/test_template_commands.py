"""The template commands under the recording fake `nuke`: save a selection as a template with
roles, and build from a studio template found on the search path."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nuke_restore.nk.parser import parse_text
from nuke_restore.nukeside import commands, menus
from nuke_restore.nukeside import templates as tcmd
from nuke_restore.nukeside.settings import JobSettings
from nuke_restore.recipes import template_roles as tr

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]


@pytest.fixture
def graph(fake_nuke, tmp_path):
    """A saved script with a hand-drawn graph selected."""
    (tmp_path / "comp").mkdir()
    fake_nuke.root_node.path = str(tmp_path / "comp" / "shot.nk")
    fake_nuke.add_node("Read", "Read1", {"file": "scans/a.####.dpx", "first": 1001, "last": 1040},
                       selected=True)
    fake_nuke.add_node("Grade", "Grade_dust", {"white": 1.1}, selected=True)
    fake_nuke.add_node("CopyCat", "CopyCat1", {"epochs": 100}, selected=True)
    fake_nuke.add_node("Blur", "not_selected")
    return fake_nuke


def test_menu_offers_the_template_commands(fake_nuke):
    menus.install_menus(fake_nuke)
    names = [c.name for c in fake_nuke.commands]
    assert "Templates/Save selection as template..." in names
    assert "Templates/Build from studio template..." in names


def test_save_selection_tags_roles_and_writes_a_template(graph, tmp_path, monkeypatch):
    seen = {}

    def ask(rows, kind, procedure):
        seen["rows"] = rows
        seen["kind"] = kind
        return tcmd.RoleAnswer("training", "chroma",
                               {"Read1": "source_read", "CopyCat1": "copycat", "Grade_dust": ""})

    monkeypatch.setattr(tcmd, "ask_template_roles", ask)
    target = tmp_path / "studio_chroma_training.nk"
    graph.filename_answers.append(str(target))
    tcmd.save_selection_as_template()
    # suggestions: CopyCat -> copycat, the Grade has none; the kind follows the CopyCat
    rows = {r.name: r for r in seen["rows"]}
    assert rows["CopyCat1"].role == "copycat" and rows["Grade_dust"].role == ""
    assert "source_read" in rows["Read1"].choices and seen["kind"] == "training"
    script = parse_text(target.read_text())
    report = tr.check(script)
    assert report.kind == "training"
    assert {(t.node.name, t.role) for t in report.tags} == {("Read1", "source_read"),
                                                            ("CopyCat1", "copycat")}
    assert tr.template_info(script)["type"] == "chroma"
    assert script.find("Grade_dust").knob(tr.ROLE_KNOB) is None
    assert "not_selected" not in target.read_text()
    message = graph.messages[-1]
    assert f"Saved template: {target}" in message
    assert "role reference_read is missing" in message  # the check is shown at once


def test_save_never_overwrites(graph, tmp_path, monkeypatch):
    monkeypatch.setattr(tcmd, "ask_template_roles",
                        lambda rows, kind, proc: tcmd.RoleAnswer("training", "chroma",
                                                                 {"CopyCat1": "copycat"}))
    target = tmp_path / "t.nk"
    target.write_text("mine")
    graph.filename_answers.append(str(target))
    tcmd.save_selection_as_template()
    assert target.read_text() == "mine"
    assert "exists" in graph.messages[-1]


def test_cancel_and_empty_selection_write_nothing(graph, tmp_path, monkeypatch):
    monkeypatch.setattr(tcmd, "ask_template_roles", lambda *a: None)
    tcmd.save_selection_as_template()
    assert graph.messages == [] and not list(tmp_path.glob("*.nk"))
    for n in graph.nodes:
        n.setSelected(False)
    tcmd.save_selection_as_template()
    assert "select the nodes" in graph.messages[-1]


def test_build_from_a_studio_template_pastes_the_filled_graph(fake_nuke, tmp_path, monkeypatch):
    (tmp_path / "comp").mkdir()
    fake_nuke.root_node.path = str(tmp_path / "comp" / "shot.nk")
    fake_nuke.root_node.project_dir = "[python {nuke.script_directory()}]"
    fake_nuke.add_node("Read", "Read_SOURCE", {"file": "scans/FILM_SOURCE_####.exr", "first": 471,
                                               "last": 499, "colorspace": "color_picking"},
                       selected=True)
    fake_nuke.add_node("Read", "Read_REF", {"file": "dvd/FILM_REF_####.exr", "first": 471,
                                            "last": 499, "colorspace": "color_picking"},
                       selected=True)
    monkeypatch.setattr(commands, "remembered_settings", JobSettings)
    monkeypatch.setattr(commands, "ask_job_settings", lambda s, title: s)
    # The studio template: what the recipe builds for these settings, turned into a template.
    settings = commands.anchored_settings(
        commands.prefill_settings("chroma", "training", JobSettings()), str(tmp_path / "comp"))
    from nuke_restore.recipes import build_scripts

    recipe = [b for b in build_scripts(commands.config_from_settings(settings),
                                       outdir=settings.output_dir) if b.kind == "training"][0]
    studio = tmp_path / "studio" / "procedures"
    studio.mkdir(parents=True)
    text, _ = tr.init_from_built(recipe.text)
    (studio / "house_chroma.nk").write_text(text)
    monkeypatch.setenv("NUKE_RESTORE_TEMPLATE_PATH", str(tmp_path / "studio"))
    offered = []

    def choose(entries):
        offered.extend(entries)
        return entries[0]

    monkeypatch.setattr(tcmd, "choose_template", choose)
    tcmd.build_from_template()
    assert fake_nuke.messages == [], fake_nuke.messages
    assert [(e.name, e.kind, e.procedure) for e in offered] == [("house_chroma.nk", "training",
                                                                 "chroma")]
    pasted = fake_nuke.pasted_texts[-1]
    assert "nuke_restore_role copycat" in pasted and "CopyCat_CHROMA" in pasted
    assert [s for s, _ in fake_nuke.undo_log] == ["begin", "name", "end"]


def test_build_from_template_without_templates_says_where_to_put_them(fake_nuke, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("NUKE_RESTORE_TEMPLATE_PATH", str(tmp_path))
    tcmd.build_from_template()
    assert "no .nk templates found" in fake_nuke.messages[-1]


SYSTEM_PYTHON = "/usr/bin/python3"


def _run_dialog_check(python, api, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NUKE_RESTORE_QT_API=api,
               PYTHONPATH=str(PROJECT))
    env.pop("PYTHONHOME", None)
    result = subprocess.run([python, str(HERE / "template_dialog_check.py"),
                             str(tmp_path / "roles.png")], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "roles.png").stat().st_size > 1000


def test_role_dialog_offscreen_pyside6(tmp_path):
    pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed (the 'ui' extra)")
    _run_dialog_check(sys.executable, "pyside6", tmp_path)


def _system_has_pyside2() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import PySide2.QtWidgets"],
                           capture_output=True, text=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _system_has_pyside2(),
                    reason="PySide2 is not importable by /usr/bin/python3 (scripts/setup-qt.sh)")
def test_role_dialog_offscreen_pyside2(tmp_path):
    _run_dialog_check(SYSTEM_PYTHON, "pyside2", tmp_path)
