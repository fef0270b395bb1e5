"""The setup dialog's values, their steps ⇄ epochs arithmetic, and the job-config dict they make.

Nuke's own Python has no PyYAML, so the Nuke side never needs YAML to build: the dialog fills a
``JobSettings``, ``to_config_dict()`` turns it into the plain dict that
``nuke_restore.config.config_from_dict`` reads (the same structure a YAML job file holds), and
``jobfile`` saves/loads that dict as YAML when PyYAML is importable, else as JSON.
Standard library only.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Optional

#: Procedure templates of the core (nuke_restore/templates_data/procedures) the dialog offers.
PROCEDURES = ("chroma", "spatial", "combined", "baseline")
STAGES = ("training", "inference")
GRANULARITIES = ("shot", "scene", "sequence")
#: config alignment.mode values the dialog offers ("manual" needs per-frame transforms, which come
#: from `nuke-restore align`, so it is left to job files).
ALIGNMENT_MODES = ("auto", "both", "none")
CLIP_NAME = "main"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # project/shot/format names (config rule)
MODEL_SIZES = ("Small", "Medium", "Large")  # CopyCat modelSize (nuke-facts)
CROP_SIZES = (32, 64, 128, 256, 512)  # CopyCat cropSize (nuke-facts)


def epochs_for_steps(steps: int, batch_size: int, pairs: int) -> int:
    """CopyCat's Epochs for a target of ``steps`` (Total Steps = Epochs × pairs ÷ batch).

    >>> epochs_for_steps(40000, 3, 4)   # the Muralla shot: 4 pairs, batch 3
    30000
    """
    if pairs <= 0 or batch_size <= 0:
        return 0
    return max(1, round(steps * batch_size / pairs))


def steps_for_epochs(epochs: int, batch_size: int, pairs: int) -> int:
    """Total Steps CopyCat reports for ``epochs`` (Epochs × pairs ÷ batch).

    >>> steps_for_epochs(334, 1, 33)     # Candy Candy
    11022
    """
    if pairs <= 0 or batch_size <= 0:
        return 0
    return round(epochs * pairs / batch_size)


def suggest_frames(first: int, last: int, count: int = 4) -> List[int]:
    """First, last and evenly spaced frames in between (the workflow's default pick).

    >>> suggest_frames(471, 499)
    [471, 480, 490, 499]
    """
    if last < first:
        first, last = last, first
    span = last - first
    if count <= 1 or span == 0:
        return [first]
    count = min(count, span + 1)
    return sorted({first + round(i * span / (count - 1)) for i in range(count)})


def suggest_preview(frames: List[int]) -> Optional[int]:
    """An untrained frame for CopyCat's Preview: the middle of the widest gap between picks."""
    picks = sorted(set(frames))
    best = None
    for a, b in zip(picks, picks[1:]):
        if b - a >= 2 and (best is None or b - a > best[1] - best[0]):
            best = (a, b)
    return None if best is None else (best[0] + best[1]) // 2


@dataclass
class ClipSettings:
    path: str = ""
    first: int = 1
    last: int = 1
    colorspace: str = ""


@dataclass
class CopyCatSettings:
    model_size: str = "Medium"
    batch_size: int = 3
    crop_size: int = 512
    steps: int = 40000
    checkpoint_interval: int = 10000
    contact_sheet_interval: int = 100
    multi_resolution: bool = True
    use_gpu: bool = True


@dataclass
class JobSettings:
    """Everything the setup dialog asks for."""

    shot: str = "shot010"
    procedure: str = "chroma"
    stage: str = "training"
    granularity: str = "shot"
    source: ClipSettings = field(default_factory=ClipSettings)
    reference: ClipSettings = field(default_factory=ClipSettings)
    training_frames: List[int] = field(default_factory=list)
    preview_frame: Optional[int] = None
    alignment: str = "auto"
    copycat: CopyCatSettings = field(default_factory=CopyCatSettings)
    output_dir: str = "restore"
    format_name: str = ""
    format_width: int = 0
    format_height: int = 0

    @property
    def pairs(self) -> int:
        return len(set(self.training_frames))

    @property
    def epochs(self) -> int:
        return epochs_for_steps(self.copycat.steps, self.copycat.batch_size, self.pairs)

    # -- persistence (QSettings / job files) -------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> JobSettings:
        """Lenient: unknown keys are ignored and wrong types fall back to defaults (a corrupt
        remembered state must never stop the dialog from opening)."""
        out = cls()
        if not isinstance(data, dict):
            return out
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            current = getattr(out, f.name)
            if isinstance(current, (ClipSettings, CopyCatSettings)):
                setattr(out, f.name, _sub_from_dict(type(current), value))
            elif f.name == "training_frames":
                if isinstance(value, list) and all(isinstance(v, int) for v in value):
                    out.training_frames = list(value)
            elif f.name == "preview_frame":
                out.preview_frame = value if isinstance(value, int) else None
            elif isinstance(value, type(current)):
                setattr(out, f.name, value)
        return out

    # -- the job config ----------------------------------------------------------------------------
    def to_config_dict(self) -> Dict[str, Any]:
        """The job-config dict (what a YAML/JSON job file holds) for ``config_from_dict``.

        One clip (``main``) and one shot named after the job; the training frames and preview
        frame are the shot's; paths stay as the Reads give them.
        """
        clip: Dict[str, Any] = {"source": self.source.path, "first": self.source.first,
                                "last": self.source.last}
        if self.reference.path:
            clip["reference"] = self.reference.path
        if self.source.colorspace:
            clip["colorspace"] = self.source.colorspace
        shot: Dict[str, Any] = {"name": self.shot, "clip": CLIP_NAME, "first": self.source.first,
                                "last": self.source.last}
        if self.training_frames:
            shot["train"] = sorted(set(self.training_frames))
        if self.preview_frame is not None:
            shot["preview"] = self.preview_frame
        fmt: Dict[str, Any] = {"width": self.format_width, "height": self.format_height}
        if self.format_name and _IDENT.match(self.format_name):
            fmt["name"] = self.format_name
        return {
            "version": 1,
            "project": {"name": self.shot, "format": fmt},
            "clips": {CLIP_NAME: clip},
            "shots": [shot],
            "granularity": self.granularity,
            "procedures": [self.procedure],
            "alignment": {"mode": self.alignment},
            "copycat": {
                "gpu": self.copycat.use_gpu,
                "model_size": self.copycat.model_size,
                "batch_size": self.copycat.batch_size,
                "crop_size": self.copycat.crop_size,
                "steps": self.copycat.steps,
                "checkpoint_interval": self.copycat.checkpoint_interval,
                "contact_sheet_interval": self.copycat.contact_sheet_interval,
                "multi_resolution": self.copycat.multi_resolution,
            },
            "outputs": {"dir": self.output_dir},
        }


def _clip_dict(clip: ClipSettings) -> Dict[str, Any]:
    out: Dict[str, Any] = {"path": clip.path, "first": clip.first, "last": clip.last}
    if clip.colorspace:
        out["colorspace"] = clip.colorspace
    return out


def _sub_from_dict(cls: type, data: Any) -> Any:
    out = cls()
    if isinstance(data, dict):
        for f in fields(cls):
            value = data.get(f.name)
            if value is not None and type(value) is type(getattr(out, f.name)):
                setattr(out, f.name, value)
    return out


def settings_from_config_dict(job: Dict[str, Any]) -> JobSettings:
    """The dialog values for a job-config dict (the inverse of ``JobSettings.to_config_dict``).

    Lenient like ``from_dict``: the first clip and first shot are shown, and what cannot be read
    keeps its default; the dialog's inline validation then points at the field.
    """
    out = JobSettings()
    if not isinstance(job, dict):
        return out

    def section(value: Any) -> Dict[str, Any]:
        return value if isinstance(value, dict) else {}

    project = section(job.get("project"))
    fmt = section(project.get("format"))
    clips = section(job.get("clips"))
    clip = section(next(iter(clips.values()), None)) if clips else {}
    shots = job.get("shots") if isinstance(job.get("shots"), list) else []
    shot = section(shots[0]) if shots else {}
    procedures = job.get("procedures") if isinstance(job.get("procedures"), list) else []
    procedure = procedures[0] if procedures else None
    if isinstance(procedure, dict):
        procedure = procedure.get("type")
    copycat = section(job.get("copycat"))
    flat: Dict[str, Any] = {
        "shot": shot.get("name") or project.get("name"),
        "procedure": procedure if procedure in PROCEDURES else None,
        "granularity": job.get("granularity"),
        "output_dir": section(job.get("outputs")).get("dir"),
        "format_name": fmt.get("name"),
        "format_width": fmt.get("width"),
        "format_height": fmt.get("height"),
        "source": {"path": clip.get("source"), "first": clip.get("first"),
                   "last": clip.get("last"), "colorspace": clip.get("colorspace")},
        "reference": {"path": clip.get("reference"), "first": clip.get("first"),
                      "last": clip.get("last"), "colorspace": clip.get("colorspace")},
        "alignment": section(job.get("alignment")).get("mode"),
        "training_frames": shot.get("train"),
        "preview_frame": shot.get("preview"),
        "copycat": {"model_size": copycat.get("model_size"),
                    "batch_size": copycat.get("batch_size"),
                    "crop_size": copycat.get("crop_size"), "steps": copycat.get("steps"),
                    "checkpoint_interval": copycat.get("checkpoint_interval"),
                    "contact_sheet_interval": copycat.get("contact_sheet_interval"),
                    "multi_resolution": copycat.get("multi_resolution"),
                    "use_gpu": copycat.get("gpu")},
    }
    if flat["alignment"] not in ALIGNMENT_MODES:
        flat["alignment"] = None
    return JobSettings.from_dict({k: v for k, v in flat.items() if v is not None})


def parse_frames(text: str) -> List[int]:
    """``"471, 478 492-494"`` -> ``[471, 478, 492, 493, 494]`` (sorted, unique).

    Raises ValueError naming the bad piece.
    """
    frames = set()
    for piece in text.replace(",", " ").split():
        if "-" in piece[1:]:
            head, tail = piece[0] + piece[1:].split("-", 1)[0], piece[1:].split("-", 1)[1]
            try:
                a, b = int(head), int(tail)
            except ValueError:
                raise ValueError(f"{piece!r} is not a frame or a range like 10-20") from None
            if b < a or b - a > 10000:
                raise ValueError(f"{piece!r} is not a usable range")
            frames.update(range(a, b + 1))
        else:
            try:
                frames.add(int(piece))
            except ValueError:
                raise ValueError(f"{piece!r} is not a frame number") from None
    return sorted(frames)


def format_frames(frames: List[int]) -> str:
    return ", ".join(str(f) for f in sorted(set(frames)))


def check_settings(settings: JobSettings) -> Dict[str, str]:
    """Problems the dialog shows next to their fields: ``{field key: message}`` (empty = fine).

    These are the checks that need no core import; the job config's own validation
    (``config_from_dict``) runs after them and its errors are mapped by field name.
    """
    problems: Dict[str, str] = {}
    if not settings.shot.strip():
        problems["shot"] = "give the shot (or scene/sequence) a name"
    elif not _IDENT.match(settings.shot):
        problems["shot"] = ("start with a letter or _, then letters, digits and _ only "
                            "(it names nodes, folders and files)")
    if settings.format_width < 16 or settings.format_height < 16:
        problems["format"] = "set the working format (the Source Read's format)"
    if not settings.source.path.strip():
        problems["source.path"] = "select a Source Read or enter its file path"
    if settings.source.last < settings.source.first:
        problems["source.range"] = "last frame is before first frame"
    needs_reference = settings.stage == "training" or settings.procedure in ("combined",
                                                                               "baseline")
    if needs_reference and not settings.reference.path.strip():
        problems["reference.path"] = "training needs a Reference (colour or detail donor)"
    if settings.reference.path and settings.reference.last < settings.reference.first:
        problems["reference.range"] = "last frame is before first frame"
    if needs_reference:
        if not settings.training_frames:
            problems["training_frames"] = "pick at least one training frame (4 is the usual start)"
        else:
            outside = [f for f in settings.training_frames
                       if not settings.source.first <= f <= settings.source.last]
            if outside:
                problems["training_frames"] = (
                    f"outside the Source range {settings.source.first}-{settings.source.last}: "
                    f"{format_frames(outside)}")
        if settings.preview_frame is not None and settings.preview_frame in settings.training_frames:
            problems["preview_frame"] = "the preview frame must not be a training frame"
    if settings.copycat.steps <= 0:
        problems["copycat.steps"] = "steps must be positive"
    if not settings.output_dir.strip():
        problems["output_dir"] = "choose an output folder"
    return problems


#: Where a job-config field (ConfigError.field) is shown in the dialog.
CONFIG_FIELD_WIDGETS = (
    ("project.name", "shot"),
    ("project.format", "format"),
    ("project", "shot"),
    ("procedures", "procedure"),
    ("granularity", "granularity"),
    ("clips.main.reference", "reference.path"),
    ("clips", "source.path"),
    ("shots[0].preview", "preview_frame"),
    ("shots.preview", "preview_frame"),
    ("shots[0].name", "shot"),
    ("shots", "training_frames"),
    ("dataset", "training_frames"),
    ("alignment", "alignment"),
    ("copycat", "copycat.steps"),
    ("outputs", "output_dir"),
)


def widget_for_config_field(config_field: Optional[str]) -> str:
    """The dialog field key that shows an error about ``config_field`` ('' = the general line)."""
    if not config_field:
        return ""
    for prefix, key in CONFIG_FIELD_WIDGETS:
        if config_field == prefix or config_field.startswith(prefix + ".") or \
                config_field.startswith(prefix + "["):
            return key
    return ""


def example_settings() -> JobSettings:
    """The workflow's worked example (La Muralla Verde, shot VFX0050) for screenshots and tests."""
    return JobSettings(
        shot="VFX0050", procedure="chroma", stage="training", granularity="shot",
        source=ClipSettings("plates/MURALLA_SOURCE_####.exr", 471, 499, "color_picking"),
        reference=ClipSettings("plates/MURALLA_REF_####.exr", 471, 499, "color_picking"),
        training_frames=[471, 478, 492, 499], preview_frame=485, alignment="auto",
        output_dir="pipeline", format_name="MURALLA_4K", format_width=4096, format_height=3072,
    )
