"""The Restore setup dialog and the Read chooser (Qt through ``qt.py``).

Keyboard: every field has a mnemonic (Alt+letter), the tab order follows the form top to bottom,
Enter builds (when nothing is wrong) and Escape cancels. Problems are shown in red under the field
they concern, from ``settings.check_settings`` and then from the core's ``config_from_dict``
(ConfigError.field). The last accepted values are remembered with QSettings.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import logging
from typing import Any, Callable, Dict, List, Optional, Tuple

from .qt import QtCore, QtWidgets, application, exec_dialog
from .reads import ClipInfo
from .settings import (
    ALIGNMENT_MODES,
    CROP_SIZES,
    GRANULARITIES,
    MODEL_SIZES,
    PROCEDURES,
    STAGES,
    ClipSettings,
    CopyCatSettings,
    JobSettings,
    check_settings,
    example_settings,
    format_frames,
    parse_frames,
    steps_for_epochs,
    suggest_frames,
    suggest_preview,
    widget_for_config_field,
)

logger = logging.getLogger(__name__)

SETTINGS_ORG = "nuke_restore"
SETTINGS_APP = "setup-dialog"
SETTINGS_KEY = "last_job"

_PROCEDURE_LABELS = {
    "chroma": "Chroma recovery (colour from the Reference)",
    "spatial": "Spatial recovery (detail from the Reference)",
    "combined": "Combined: spatial, then chroma",
    "baseline": "MatchGrade baseline",
}
_ERROR_STYLE = "color: #e0645a;"
_NOTE_STYLE = "color: #9a9a9a;"


# -- remembered values -------------------------------------------------------------------------------


def _store() -> Any:
    return QtCore.QSettings(SETTINGS_ORG, SETTINGS_APP)


def load_remembered() -> JobSettings:
    """The last accepted values; defaults when none or when the stored value is corrupt."""
    raw = _store().value(SETTINGS_KEY, "")
    try:
        return JobSettings.from_dict(json.loads(raw)) if raw else JobSettings()
    except (TypeError, ValueError):
        logger.info("ignoring unreadable remembered dialog values")
        return JobSettings()


def remember(settings: JobSettings) -> None:
    store = _store()
    store.setValue(SETTINGS_KEY, json.dumps(settings.to_dict()))
    store.sync()


# -- curation (optional) -----------------------------------------------------------------------------


def curation_available() -> Tuple[bool, str]:
    """Whether the "Suggest" button can work here, and why not when it cannot."""
    for module, why in (("numpy", "numpy"), ("OpenImageIO", "OpenImageIO")):
        if importlib.util.find_spec(module) is None:
            return False, (f"Suggest needs the imaging extra ({why} is not importable in this "
                           "Python; pip install 'nuke-restore[imaging]'). Frames are spread "
                           "evenly instead.")
    try:
        spec = importlib.util.find_spec("nuke_restore.imaging.curate")
    except ImportError:
        spec = None
    if spec is None:
        return False, "Suggest needs nuke_restore.imaging.curate, which this install lacks."
    return True, "Pick training frames with curation (structure match, cuts, coverage)."


def suggest_with_curation(settings: JobSettings, count: int
                          ) -> Tuple[List[int], Optional[int], str]:
    """``(training frames, preview, problem)`` from ``nuke_restore.imaging.curate``.

    Curates the Source (and the Reference, when given, to reject pairs that disagree) over the
    Source range with ``count`` frames per shot. When the range holds several shots, the frames of
    all of them are returned with a problem text: a training pair must never straddle a cut, and
    the Restore menu builds one shot at a time.
    """
    curate = importlib.import_module("nuke_restore.imaging.curate")
    options = curate.CurateOptions(granularity="shot", train=max(2, count))
    result = curate.curate(settings.source.path, settings.reference.path or None, options,
                           first=settings.source.first, last=settings.source.last)
    shots = result.get("shots") or []
    frames = sorted({int(f) for shot in shots for f in shot.get("train", [])})
    preview = next((shot.get("preview") for shot in shots if shot.get("preview") is not None), None)
    problem = ""
    if len(shots) > 1:
        cuts = ", ".join(str(shot["first"]) for shot in shots[1:])
        problem = (f"{len(shots)} shots in {settings.source.first}-{settings.source.last} (cuts at "
                   f"{cuts}): set first/last to one shot, or build the job with nuke-restore")
    return frames, preview, problem


# -- widgets -----------------------------------------------------------------------------------------


class _ClipFields:
    """Path, first/last and colourspace of one clip, with their error lines."""

    def __init__(self, dialog: SetupDialog, side: str, mnemonic: str) -> None:
        self.path = QtWidgets.QLineEdit()
        self.path.setObjectName(f"{side}_path")
        self.path.setPlaceholderText("plates/SHOT_####.exr")
        self.browse = QtWidgets.QToolButton()
        self.browse.setText("...")
        self.browse.setToolTip(f"Browse for the {side} sequence")
        self.first = _spin(-1000000, 10000000)
        self.last = _spin(-1000000, 10000000)
        self.colorspace = QtWidgets.QLineEdit()
        self.colorspace.setPlaceholderText("color_picking")
        self.colorspace.setToolTip("The Read colourspace; identical on every branch.")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        frames = QtWidgets.QHBoxLayout()
        frames.addWidget(self.first)
        dash = QtWidgets.QLabel("to")
        frames.addWidget(dash)
        frames.addWidget(self.last)
        frames.addSpacing(12)
        cs_label = QtWidgets.QLabel("colourspace")
        frames.addWidget(cs_label)
        frames.addWidget(self.colorspace, 1)
        self.path_row, self.frames_row = row, frames
        self.label = QtWidgets.QLabel(f"&{mnemonic}")
        self.label.setBuddy(self.path)
        self.browse.clicked.connect(lambda: dialog.browse_clip(self))

    def set(self, clip: ClipSettings) -> None:
        self.path.setText(clip.path)
        self.first.setValue(clip.first)
        self.last.setValue(clip.last)
        self.colorspace.setText(clip.colorspace)

    def get(self) -> ClipSettings:
        return ClipSettings(self.path.text().strip(), self.first.value(), self.last.value(),
                            self.colorspace.text().strip())


def _spin(low: int, high: int, step: int = 1) -> Any:
    box = QtWidgets.QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setAccelerated(True)
    return box


def _combo(items: List[Tuple[str, str]]) -> Any:
    box = QtWidgets.QComboBox()
    for value, label in items:
        box.addItem(label, value)
    return box


def _select(box: Any, value: Any) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)


def _error_label() -> Any:
    label = QtWidgets.QLabel("")
    label.setStyleSheet(_ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


class SetupDialog(QtWidgets.QDialog):
    """The form. ``settings()`` reads it; ``errors`` holds the problems currently shown."""

    def __init__(self, settings: JobSettings, title: str = "",
                 config_check: Optional[Callable[[JobSettings], None]] = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("nuke_restore_setup")
        self.setWindowTitle(f"Restore - {title}" if title else "Restore setup")
        self._config_check = config_check
        self.errors: Dict[str, str] = {}
        self._error_labels: Dict[str, Any] = {}
        self._build(settings)
        self.load(settings)
        self.check_now()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self, settings: JobSettings) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setSpacing(8)
        self.general_error = _error_label()
        outer.addWidget(self.general_error)

        job_box, job = self._group("Job")
        self.shot = QtWidgets.QLineEdit()
        self.shot.setToolTip("Names the training folder, outputs and the job file.")
        self.procedure = _combo([(p, _PROCEDURE_LABELS[p]) for p in PROCEDURES])
        self.stage = _combo([(s, s.capitalize()) for s in STAGES])
        self.granularity = _combo([(g, g.capitalize()) for g in GRANULARITIES])
        self.granularity.setToolTip("One model per shot, scene or sequence. Step down a level "
                                    "whenever composition or reference quality changes.")
        self._row(job, "S&hot", self.shot, "shot")
        self._row(job, "&Procedure", self.procedure, "procedure")
        stage_row = QtWidgets.QHBoxLayout()
        stage_row.addWidget(self.stage, 1)
        gran_label = QtWidgets.QLabel("Gra&nularity")
        gran_label.setBuddy(self.granularity)
        stage_row.addSpacing(12)
        stage_row.addWidget(gran_label)
        stage_row.addWidget(self.granularity, 1)
        self._row(job, "S&tage", stage_row, "granularity", buddy=self.stage)
        outer.addWidget(job_box)

        clips_box, clips = self._group("Clips")
        self.source = _ClipFields(self, "Source", "Source")
        self.reference = _ClipFields(self, "Reference", "Reference")
        for side, key in ((self.source, "source"), (self.reference, "reference")):
            clips.addRow(side.label, side.path_row)
            self._add_error(clips, f"{key}.path")
            clips.addRow("", side.frames_row)
            self._add_error(clips, f"{key}.range")
        self.format_width = _spin(0, 65536)
        self.format_height = _spin(0, 65536)
        self.format_width.setToolTip("Working format width (from the Source Read).")
        self.format_height.setToolTip("Working format height (from the Source Read).")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.format_width, 1)
        row.addWidget(QtWidgets.QLabel("x"))
        row.addWidget(self.format_height, 1)
        row.addStretch(2)
        self._row(clips, "&Working format", row, "format", buddy=self.format_width)
        outer.addWidget(clips_box)

        frames_box, frames = self._group("Training frames")
        self.frames = QtWidgets.QLineEdit()
        self.frames.setPlaceholderText("471, 478, 492, 499  (ranges like 10-20 work too)")
        self.frames.setToolTip("Source frame numbers used as training pairs (same on both sides).")
        self.suggest = QtWidgets.QPushButton("Su&ggest")
        ok, why = curation_available()
        self.suggest.setEnabled(ok)
        self.suggest.setToolTip(why)
        self.spread = QtWidgets.QPushButton("&Even")
        self.spread.setToolTip("First, last and evenly spaced frames in between.")
        for button in (self.suggest, self.spread):
            button.setAutoDefault(False)  # Enter in the form must build, not press these
        self.count = _spin(1, 256)
        self.count.setValue(4)
        self.count.setToolTip("How many frames Suggest/Even pick (escalate 4 -> 7 -> 11).")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.frames, 1)
        row.addWidget(self.count)
        row.addWidget(self.spread)
        row.addWidget(self.suggest)
        self._row(frames, "&Frames", row, "training_frames", buddy=self.frames)
        self.preview = _spin(-1, 10000000)
        self.preview.setSpecialValueText("none")
        self.preview.setToolTip("An untrained Source frame for CopyCat's Preview input.")
        self._row(frames, "Pre&view frame", self.preview, "preview_frame")
        self.alignment = _combo([(m, m) for m in ALIGNMENT_MODES])
        self.alignment.setToolTip("How the Reference is registered to the Source (RS_Align).")
        self._row(frames, "&Alignment", self.alignment, "alignment")
        outer.addWidget(frames_box)

        cc_box, cc = self._group("CopyCat")
        self.model_size = _combo([(m, m) for m in MODEL_SIZES])
        self.batch = _spin(1, 64)
        self.crop = _combo([(c, str(c)) for c in CROP_SIZES])
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.model_size, 1)
        for text, widget in (("batch si&ze", self.batch), ("&crop", self.crop)):
            label = QtWidgets.QLabel(text)
            label.setBuddy(widget)
            row.addSpacing(12)
            row.addWidget(label)
            row.addWidget(widget, 1)
        self._row(cc, "&Model size", row, "copycat.model", buddy=self.model_size)
        self.steps = _spin(1, 10000000, 1000)
        self.steps.setToolTip("Target Total Steps; the Epochs knob is computed from it.")
        self.epochs_note = QtWidgets.QLabel("")
        self.epochs_note.setObjectName("epochs_note")
        self.epochs_note.setStyleSheet(_NOTE_STYLE)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.steps, 1)
        row.addWidget(self.epochs_note, 2)
        self._row(cc, "Tra&ining steps", row, "copycat.steps", buddy=self.steps)
        self.checkpoint = _spin(1, 10000000, 1000)
        self.contact = _spin(1, 1000000, 10)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.checkpoint, 1)
        label = QtWidgets.QLabel("c&ontact sheet every")
        label.setBuddy(self.contact)
        row.addSpacing(12)
        row.addWidget(label)
        row.addWidget(self.contact, 1)
        self._row(cc, "Chec&kpoint every", row, "copycat.intervals", buddy=self.checkpoint)
        self.multires = QtWidgets.QCheckBox("M&ulti-resolution training")
        self.gpu = QtWidgets.QCheckBox("Use GPU if availab&le")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.multires)
        row.addWidget(self.gpu)
        row.addStretch(1)
        cc.addRow("", row)
        outer.addWidget(cc_box)

        out_box, out = self._group("Output")
        self.output = QtWidgets.QLineEdit()
        self.output.setToolTip("Where pipeline/ (training data, renders) goes. The pasted nodes "
                               "use paths relative to it, so keep this script's folder (the "
                               "default) unless you will save the script there.")
        self.output_browse = QtWidgets.QToolButton()
        self.output_browse.setText("...")
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(self.output_browse)
        self._row(out, "Output fol&der", row, "output_dir", buddy=self.output)
        outer.addWidget(out_box)

        self.buttons = QtWidgets.QDialogButtonBox()
        self.build_button = self.buttons.addButton("&Build", QtWidgets.QDialogButtonBox.AcceptRole)
        self.build_button.setDefault(True)
        self.buttons.addButton(QtWidgets.QDialogButtonBox.Cancel)
        outer.addWidget(self.buttons)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

        self.output_browse.clicked.connect(self._browse_output)
        self.spread.clicked.connect(self._spread_frames)
        self.suggest.clicked.connect(self._suggest_frames)
        for widget in (self.shot, self.frames, self.output, self.source.path, self.source.colorspace,
                       self.reference.path, self.reference.colorspace):
            widget.textChanged.connect(self.refresh)
        for widget in (self.preview, self.batch, self.steps, self.checkpoint, self.contact,
                       self.source.first, self.source.last, self.reference.first,
                       self.reference.last, self.format_width, self.format_height):
            widget.valueChanged.connect(self.refresh)
        for widget in (self.procedure, self.stage, self.granularity, self.alignment,
                       self.model_size, self.crop):
            widget.currentIndexChanged.connect(self.refresh)
        self._set_tab_order()

    def _group(self, title: str) -> Tuple[Any, Any]:
        box = QtWidgets.QGroupBox(title)
        form = QtWidgets.QFormLayout(box)
        form.setLabelAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.AllNonFixedFieldsGrow)
        return box, form

    def _row(self, form: Any, text: str, field: Any, key: str, buddy: Any = None) -> None:
        label = QtWidgets.QLabel(text)
        label.setBuddy(buddy if buddy is not None else field)
        form.addRow(label, field)
        self._add_error(form, key)

    def _add_error(self, form: Any, key: str) -> None:
        label = _error_label()
        label.setObjectName(f"error_{key}")
        self._error_labels[key] = label
        form.addRow("", label)

    def _set_tab_order(self) -> None:
        chain = [self.shot, self.procedure, self.stage, self.granularity,
                 self.source.path, self.source.browse, self.source.first, self.source.last,
                 self.source.colorspace, self.reference.path, self.reference.browse,
                 self.reference.first, self.reference.last, self.reference.colorspace,
                 self.format_width, self.format_height, self.frames, self.count, self.spread, self.suggest, self.preview, self.alignment,
                 self.model_size, self.batch, self.crop, self.steps, self.checkpoint, self.contact,
                 self.multires, self.gpu, self.output, self.output_browse]
        for a, b in zip(chain, chain[1:]):
            QtWidgets.QWidget.setTabOrder(a, b)

    # -- values ------------------------------------------------------------------------------------
    def load(self, s: JobSettings) -> None:
        self.shot.setText(s.shot)
        _select(self.procedure, s.procedure)
        _select(self.stage, s.stage)
        _select(self.granularity, s.granularity)
        self.source.set(s.source)
        self.reference.set(s.reference)
        self.frames.setText(format_frames(s.training_frames))
        self.preview.setValue(s.preview_frame if s.preview_frame is not None else
                              self.preview.minimum())
        _select(self.alignment, s.alignment)
        _select(self.model_size, s.copycat.model_size)
        self.batch.setValue(s.copycat.batch_size)
        _select(self.crop, s.copycat.crop_size)
        self.steps.setValue(s.copycat.steps)
        self.checkpoint.setValue(s.copycat.checkpoint_interval)
        self.contact.setValue(s.copycat.contact_sheet_interval)
        self.multires.setChecked(s.copycat.multi_resolution)
        self.gpu.setChecked(s.copycat.use_gpu)
        self.output.setText(s.output_dir)
        self._format_name = s.format_name
        self.format_width.setValue(s.format_width)
        self.format_height.setValue(s.format_height)

    def settings(self) -> JobSettings:
        """The form's values (frames that do not parse become an empty list; see errors)."""
        try:
            frames = parse_frames(self.frames.text())
        except ValueError:
            frames = []
        preview = self.preview.value()
        return JobSettings(
            shot=self.shot.text().strip(),
            procedure=self.procedure.currentData(),
            stage=self.stage.currentData(),
            granularity=self.granularity.currentData(),
            source=self.source.get(),
            reference=self.reference.get(),
            training_frames=frames,
            preview_frame=None if preview == self.preview.minimum() else preview,
            alignment=self.alignment.currentData(),
            copycat=CopyCatSettings(
                model_size=self.model_size.currentData(),
                batch_size=self.batch.value(),
                crop_size=int(self.crop.currentData()),
                steps=self.steps.value(),
                checkpoint_interval=self.checkpoint.value(),
                contact_sheet_interval=self.contact.value(),
                multi_resolution=self.multires.isChecked(),
                use_gpu=self.gpu.isChecked(),
            ),
            output_dir=self.output.text().strip(),
            format_name=getattr(self, "_format_name", ""),
            format_width=self.format_width.value(),
            format_height=self.format_height.value(),
        )

    # -- live feedback -----------------------------------------------------------------------------
    #: The core's config check reads templates from disk (~0.1 s): run it once typing pauses.
    CORE_CHECK_DELAY_MS = 250

    def refresh(self, *args: Any) -> None:
        """Recompute epochs ⇄ steps and the dialog's own checks now; the core's check shortly."""
        self._update(core=False)
        timer = getattr(self, "_core_timer", None)
        if timer is None:
            timer = self._core_timer = QtCore.QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(self.CORE_CHECK_DELAY_MS)
            timer.timeout.connect(self.check_now)
        timer.start()

    def check_now(self) -> None:
        """Run every check, the core's included (also what Build does before accepting)."""
        timer = getattr(self, "_core_timer", None)
        if timer is not None:
            timer.stop()
        self._update(core=True)

    def _update(self, core: bool) -> None:
        s = self.settings()
        self.stage.setEnabled(s.procedure in ("chroma", "spatial"))
        pairs = s.pairs
        if pairs:
            epochs = s.epochs
            self.epochs_note.setText(
                f"= {epochs} epochs  ({s.copycat.steps} steps x {s.copycat.batch_size} batch "
                f"/ {pairs} pairs; CopyCat will report "
                f"{steps_for_epochs(epochs, s.copycat.batch_size, pairs)} steps)")
        else:
            self.epochs_note.setText("epochs need at least one training pair")
        errors = dict(check_settings(s))
        try:
            parse_frames(self.frames.text())
        except ValueError as exc:
            errors["training_frames"] = str(exc)
        if core and not errors and self._config_check is not None:
            try:
                self._config_check(s)
            except Exception as exc:  # ConfigError with .field, or anything the core raises
                config_field = getattr(exc, "field", None)
                key = widget_for_config_field(config_field)
                message = getattr(exc, "message", None) or str(exc)
                if config_field and message.startswith(f"{config_field}: ") and key:
                    message = message[len(config_field) + 2:]  # the field is shown by position
                errors[key or ""] = message
        self.show_errors(errors)

    def show_errors(self, errors: Dict[str, str]) -> None:
        self.errors = dict(errors)
        for key, label in self._error_labels.items():
            text = errors.get(key, "")
            label.setText(text)
            label.setVisible(bool(text))
        general = [m for k, m in errors.items() if k not in self._error_labels]
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))
        self.build_button.setEnabled(not errors)

    # -- actions -----------------------------------------------------------------------------------
    def _spread_frames(self) -> None:
        s = self.settings()
        frames = suggest_frames(s.source.first, s.source.last, self.count.value())
        self.frames.setText(format_frames(frames))
        preview = suggest_preview(frames)
        self.preview.setValue(preview if preview is not None else self.preview.minimum())

    def _suggest_frames(self) -> None:
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.WaitCursor)
        try:
            frames, preview, problem = suggest_with_curation(self.settings(), self.count.value())
        except Exception as exc:  # missing frames, size mismatch...: shown, never raised into Nuke
            logger.exception("frame suggestion failed")
            self.show_errors({**self.errors, "training_frames": f"Suggest failed: {exc}"})
            return
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        self.frames.setText(format_frames(frames))
        if preview is None:
            preview = suggest_preview(frames)
        self.preview.setValue(preview if preview is not None else self.preview.minimum())
        self.check_now()
        if problem:
            self.show_errors({**self.errors, "training_frames": problem})

    def browse_clip(self, clip: _ClipFields) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Pick one frame of the sequence")
        if path:
            clip.path.setText(path)

    def _browse_output(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Output folder")
        if path:
            self.output.setText(path)

    def _accept(self) -> None:
        self.check_now()
        if not self.errors:
            self.accept()


def run_setup_dialog(settings: JobSettings, title: str = "",
                     config_check: Optional[Callable[[JobSettings], None]] = None
                     ) -> Optional[JobSettings]:
    """Show the dialog modally; the accepted values (remembered), or None when cancelled."""
    application()
    if config_check is None:
        config_check = _core_config_check()
    dialog = SetupDialog(settings, title, config_check)
    if exec_dialog(dialog) != QtWidgets.QDialog.Accepted:
        return None
    chosen = dialog.settings()
    remember(chosen)
    return chosen


def _core_config_check() -> Optional[Callable[[JobSettings], None]]:
    """The core's own check of the job config, shown inline; None when the core cannot run here."""
    from .commands import YAML_NEEDED, core_needs_missing_yaml

    if core_needs_missing_yaml():
        def explain(settings: JobSettings) -> None:
            raise RuntimeError(YAML_NEEDED)

        return explain
    try:
        config_from_dict = importlib.import_module("nuke_restore.config").config_from_dict
    except (ImportError, AttributeError):
        logger.info("nuke_restore.config is not importable: only the dialog's own checks run")
        return None

    def check(settings: JobSettings) -> None:
        config_from_dict(settings.to_config_dict())

    return check


# -- the Read chooser --------------------------------------------------------------------------------


class ClipChooser(QtWidgets.QDialog):
    """Which selected Read is the Source and which the Reference."""

    def __init__(self, clips: List[ClipInfo], source: Optional[ClipInfo],
                 reference: Optional[ClipInfo], parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore - which Read is which?")
        self.clips = clips
        form = QtWidgets.QFormLayout(self)
        note = QtWidgets.QLabel("The selected Reads do not say which is the Source (the element "
                                "being restored) and which the Reference.")
        note.setWordWrap(True)
        form.addRow(note)
        items = [(i, f"{c.node_name}  ({c.path})") for i, c in enumerate(clips)]
        self.source = _combo(items)
        self.reference = _combo([(-1, "(none)")] + items)
        if source is not None:
            _select(self.source, clips.index(source))
        if reference is not None:
            _select(self.reference, clips.index(reference))
        for text, widget in (("&Source", self.source), ("&Reference", self.reference)):
            label = QtWidgets.QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        self.error = _error_label()
        form.addRow(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok |
                                             QtWidgets.QDialogButtonBox.Cancel)
        self.ok = buttons.button(QtWidgets.QDialogButtonBox.Ok)
        form.addRow(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.source.currentIndexChanged.connect(self._check)
        self.reference.currentIndexChanged.connect(self._check)
        self._check()

    def _check(self, *args: Any) -> None:
        same = self.source.currentData() == self.reference.currentData()
        self.error.setText("Source and Reference must be different Reads" if same else "")
        self.error.setVisible(same)
        self.ok.setEnabled(not same)

    def choice(self) -> Tuple[ClipInfo, Optional[ClipInfo]]:
        ref = self.reference.currentData()
        return self.clips[self.source.currentData()], (self.clips[ref] if ref >= 0 else None)


def run_clip_chooser(clips: List[ClipInfo], source: Optional[ClipInfo],
                     reference: Optional[ClipInfo]) -> Optional[Tuple[ClipInfo, Optional[ClipInfo]]]:
    application()
    chooser = ClipChooser(clips, source, reference)
    if exec_dialog(chooser) != QtWidgets.QDialog.Accepted:
        return None
    return chooser.choice()


def apply_nuke_like_look(app: Any) -> None:
    """Fusion style with a dark palette close to Nuke's, for screenshots outside Nuke only.

    Inside Nuke the dialog inherits Nuke's own style and palette; this is never called there.
    """
    from .qt import QtGui

    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    colours = {
        "Window": (50, 50, 50), "WindowText": (200, 200, 200), "Base": (36, 36, 36),
        "AlternateBase": (58, 58, 58), "Text": (210, 210, 210), "Button": (66, 66, 66),
        "ButtonText": (210, 210, 210), "Highlight": (247, 147, 30), "HighlightedText": (20, 20, 20),
        "ToolTipBase": (60, 60, 60), "ToolTipText": (220, 220, 220),
    }
    for role, rgb in colours.items():
        palette.setColor(getattr(QtGui.QPalette, role), QtGui.QColor(*rgb))
    palette.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.ButtonText, QtGui.QColor(110, 110, 110))
    palette.setColor(QtGui.QPalette.Disabled, QtGui.QPalette.Text, QtGui.QColor(110, 110, 110))
    app.setPalette(palette)


def save_screenshot(path: str, settings: Optional[JobSettings] = None) -> str:
    """Render the dialog (offscreen works) to a PNG at ``path``; returns the binding used."""
    from .qt import BINDING

    apply_nuke_like_look(application())
    dialog = SetupDialog(settings or example_settings(), "chroma training")
    dialog.adjustSize()
    dialog.resize(max(dialog.width(), 640), dialog.sizeHint().height())
    dialog.show()
    application().processEvents()
    saved = dialog.grab().save(path)
    dialog.close()
    dialog.deleteLater()
    application().processEvents()
    if not saved:
        raise OSError(f"could not write {path}")
    return BINDING
