"""The setup dialog, offscreen, under PySide6 (in-process) and PySide2 (system Python 3.11)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"


def _env(tmp_path, api):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NUKE_RESTORE_QT_API=api,
               PYTHONPATH=str(PROJECT), NUKE_RESTORE_TEST_TMP=str(tmp_path))
    env.pop("PYTHONHOME", None)
    return env


def test_dialog_under_pyside6(tmp_path):
    pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed (the 'ui' extra)")
    # a subprocess keeps Qt's application object out of the pytest process
    result = subprocess.run([sys.executable, str(HERE / "dialog_check.py")],
                            env=_env(tmp_path, "pyside6"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "binding: PySide6" in result.stdout


def _system_has_pyside2() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import PySide2.QtWidgets"],
                           capture_output=True, text=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _system_has_pyside2(),
                    reason="PySide2 is not importable by /usr/bin/python3 (scripts/setup-qt.sh)")
def test_dialog_under_pyside2_with_the_system_python(tmp_path):
    result = subprocess.run([SYSTEM_PYTHON, str(HERE / "dialog_check.py")],
                            env=_env(tmp_path, "pyside2"), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "binding: PySide2" in result.stdout


def test_qt_shim_names_the_fix_when_no_binding_is_importable(tmp_path):
    code = ("import sys\n"
            "for name in ('PySide6', 'PySide2', 'qtpy'):\n"
            "    sys.modules[name] = None\n"
            "try:\n"
            "    import nuke_restore.nukeside.qt\n"
            "except ImportError as exc:\n"
            "    print('ERR', exc)\n")
    result = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path, ""),
                            capture_output=True, text=True, timeout=60)
    assert "ERR no Qt binding found" in result.stdout and "nuke-restore[ui]" in result.stdout


def test_screenshot_is_committed():
    shot = PROJECT / "docs" / "dialog-pyside6.png"
    assert shot.is_file() and shot.stat().st_size > 10000
    assert shutil.which("true") is not None


def test_suggest_uses_curation_on_real_frames(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("OpenImageIO")
    pytest.importorskip("PySide6.QtWidgets")
    from nuke_restore.imaging.sequence import write_image
    from nuke_restore.nukeside.dialog import curation_available, suggest_with_curation
    from nuke_restore.nukeside.settings import ClipSettings, JobSettings

    assert curation_available()[0]
    base = np.random.default_rng(1).random((64, 96, 3)).astype(np.float32)
    for frame in range(1, 13):
        img = np.roll(base, frame, axis=1) * 0.8 + 0.1
        write_image(str(tmp_path / f"src.{frame:04d}.exr"), img)
        write_image(str(tmp_path / f"ref.{frame:04d}.exr"), img * 0.9)
    settings = JobSettings(source=ClipSettings(f"{tmp_path}/src.####.exr", 1, 12),
                           reference=ClipSettings(f"{tmp_path}/ref.####.exr", 1, 12))
    frames, preview, problem = suggest_with_curation(settings, 4)
    assert len(frames) == 4 and frames[0] == 1 and frames[-1] == 12
    assert preview is not None and preview not in frames and problem == ""
