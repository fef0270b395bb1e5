"""Offscreen checks of the setup dialog, run under either binding (imported by the PySide6 test,
and run as a script by /usr/bin/python3 for PySide2). Exits non-zero on the first failure."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run_checks(screenshot: str = "") -> str:
    from nuke_restore.errors import ConfigError
    from nuke_restore.nukeside import dialog as dlg
    from nuke_restore.nukeside.qt import BINDING, QtCore, QtWidgets, application

    app = application()
    calls = []

    def config_check(settings):
        calls.append(settings)
        if settings.granularity == "sequence":
            raise ConfigError("sequence scope needs at least 8 pairs", field="shots[0].train")

    d = dlg.SetupDialog(dlg.example_settings(), "chroma training", config_check)
    # prefilled values and the live steps -> epochs arithmetic
    assert d.settings().source.path == "plates/MURALLA_SOURCE_####.exr"
    assert "= 30000 epochs" in d.epochs_note.text(), d.epochs_note.text()
    d.steps.setValue(80000)
    assert "= 60000 epochs" in d.epochs_note.text(), d.epochs_note.text()
    d.frames.setText("471, 478, 485-486, 492, 499")
    assert d.settings().training_frames == [471, 478, 485, 486, 492, 499]
    # inline validation: the preview frame is now a training frame
    assert "preview_frame" in d.errors and not d.build_button.isEnabled()
    label = d.findChild(QtWidgets.QLabel, "error_preview_frame")
    assert label is not None and "must not be a training frame" in label.text()
    d.frames.setText("471, 478, 492, 499")
    assert not d.errors and d.build_button.isEnabled(), d.errors
    # a config error from the core lands next to its field
    n_calls = len(calls)
    d.granularity.setCurrentIndex(d.granularity.findData("sequence"))
    assert len(calls) == n_calls and not d.errors  # the core check waits for a pause in typing
    deadline = QtCore.QElapsedTimer()
    deadline.start()
    while len(calls) == n_calls and deadline.elapsed() < 5000:
        app.processEvents()
        QtCore.QThread.msleep(20)
    assert d.errors.get("training_frames") == "sequence scope needs at least 8 pairs", d.errors
    assert not d.build_button.isEnabled()
    d.granularity.setCurrentIndex(d.granularity.findData("shot"))
    d.check_now()
    assert not d.errors and calls
    d.procedure.setCurrentIndex(d.procedure.findData("combined"))
    assert not d.stage.isEnabled()
    d.procedure.setCurrentIndex(d.procedure.findData("chroma"))
    assert d.stage.isEnabled()
    d.source.path.setText("")
    assert "source.path" in d.errors and not d.build_button.isEnabled()
    d.source.path.setText("plates/MURALLA_SOURCE_####.exr")
    d.frames.setText("471, x")
    assert "'x' is not a frame number" in d.errors.get("training_frames", ""), d.errors
    d.frames.setText("471, 478, 492, 499")
    # suggest: disabled with a reason when curation is not importable here
    ok, why = dlg.curation_available()
    assert d.suggest.isEnabled() == ok and d.suggest.toolTip() == why
    # Even spreads frames and picks an untrained preview
    d.count.setValue(5)
    d.spread.click()
    assert d.settings().training_frames == [471, 478, 485, 492, 499]
    assert d.settings().preview_frame not in d.settings().training_frames
    # keyboard: every mnemonic is unique and every label has a buddy
    letters = []
    for widget in d.findChildren(QtWidgets.QLabel) + d.findChildren(QtWidgets.QAbstractButton):
        text = widget.text()
        if "&" in text and not text.endswith("&"):
            letters.append(text[text.index("&") + 1].lower())
            if isinstance(widget, QtWidgets.QLabel):
                assert widget.buddy() is not None, text
    assert len(letters) == len(set(letters)) and len(letters) >= 15, letters
    # Tab walks the form top to bottom
    d.show()
    d.activateWindow()
    app.processEvents()
    d.shot.setFocus()
    app.processEvents()
    walked = []
    for _ in range(9):
        walked.append(app.focusWidget())
        QtWidgets.QApplication.sendEvent(app.focusWidget(), _key(QtCore, "Tab"))
        app.processEvents()
    expected = [d.shot, d.procedure, d.stage, d.granularity, d.source.path, d.source.browse,
                d.source.first, d.source.last, d.source.colorspace]
    assert walked == expected, [type(w).__name__ for w in walked]
    # Enter builds, Escape cancels
    d.shot.setFocus()
    app.processEvents()
    QtWidgets.QApplication.sendEvent(d.shot, _key(QtCore, "Return"))
    app.processEvents()
    assert d.result() == QtWidgets.QDialog.Accepted
    e = dlg.SetupDialog(dlg.example_settings(), "x", None)
    e.show()
    app.processEvents()
    QtWidgets.QApplication.sendEvent(e, _key(QtCore, "Escape"))
    app.processEvents()
    assert e.result() == QtWidgets.QDialog.Rejected and not e.isVisible()
    # remembered values survive a round trip through QSettings (in a private ini file)
    store_path = os.path.join(os.environ.get("NUKE_RESTORE_TEST_TMP", "."), "dialog.ini")
    dlg._store = lambda: QtCore.QSettings(store_path, QtCore.QSettings.IniFormat)
    chosen = d.settings()
    dlg.remember(chosen)
    assert dlg.load_remembered() == chosen
    # the real core check passes for the worked example...
    import importlib.util

    from nuke_restore.nukeside import commands

    if importlib.util.find_spec("yaml") is not None:
        dlg._core_config_check()(dlg.example_settings())
    # ... and where Nuke's Python has no PyYAML, the dialog says so and will not build
    real = commands.core_needs_missing_yaml
    commands.core_needs_missing_yaml = lambda: True
    try:
        f = dlg.SetupDialog(dlg.example_settings(), "no yaml", dlg._core_config_check())
        assert "PyYAML" in f.general_error.text() and not f.build_button.isEnabled()
        f.deleteLater()
    finally:
        commands.core_needs_missing_yaml = real
    # the chooser refuses the same Read on both sides
    from nuke_restore.nukeside.reads import ClipInfo

    clips = [ClipInfo("Read1", "a.exr", 1, 9, "", "", 0, 0),
             ClipInfo("Read2", "b.exr", 1, 9, "", "", 0, 0)]
    chooser = dlg.ClipChooser(clips, clips[0], clips[1])
    assert chooser.ok.isEnabled() and chooser.choice() == (clips[0], clips[1])
    chooser.reference.setCurrentIndex(chooser.reference.findData(0))
    assert not chooser.ok.isEnabled()
    for w in (d, e, chooser):
        w.close()
        w.deleteLater()
    app.processEvents()
    if screenshot:
        dlg.save_screenshot(screenshot)
    return BINDING


def _key(QtCore, name):
    from nuke_restore.nukeside.qt import QtGui

    key = getattr(QtCore.Qt, f"Key_{name}")
    return QtGui.QKeyEvent(QtCore.QEvent.KeyPress, key, QtCore.Qt.NoModifier)


if __name__ == "__main__":
    print("binding:", run_checks(sys.argv[1] if len(sys.argv) > 1 else ""))
