"""The job config: what to build, read from YAML and checked field by field.

``config_from_dict`` turns the YAML data into a ``JobConfig``. Every problem raises ``ConfigError``
naming the file, line, dotted field (``shots[2].train``) and, for choices, the allowed values. Defaults
come from the published workflow through the ``default`` preset (templates), so a studio preset can change
them. Paths in the config are relative to the config file's folder; the recipes rewrite them relative
to the output folder so every path in a built script is relative.
"""
from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import ConfigError, TemplateError
from ..fileio import inside_problem
from ..framemap import MAX_FRAME, FrameMap
from ..nk.values import text_problem
from . import templates as tpl
from .fields import Section, check_int
from .framing import apply_shot_offsets, nearest, read_clip_map, spread
from .yamlio import LineDict, decode_text, load_json_text, load_yaml_text

logger = logging.getLogger(__name__)

GRANULARITIES = ("shot", "scene", "sequence")
ALIGN_MODES = ("auto", "manual", "both", "none")
PAIR_TYPES = ("direct", "constructed-painted", "artwork")
TARGET_LUMA = ("source", "matched")
CROP_SIZES = (32, 64, 128, 256, 512)
MODEL_SIZES = ("Small", "Medium", "Large")
INITIAL_WEIGHTS = ("None", "Checkpoint", "Deblur", "Upscale")
MATCHGRADE_TASKS = ("Match Graded Source", "Match Different Clip")
IPTC_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
STAGE_PAIRS = ("chroma", "spatial")
CHAINS = ("source", "reference")
SCRIPT_KINDS = ("training", "inference", "baseline")

Box = Tuple[float, float, float, float]

# Bounds that keep a hostile config from allocating or looping without end: frame numbers, the
# length of one clip, and training steps/epochs (CopyCat's knobs are 32-bit integers).
FRAME_LIMIT = 10_000_000
MAX_CLIP_FRAMES = 1_000_000
MAX_STEPS = 2**31 - 1


@dataclass
class Format:
    width: int
    height: int
    pixel_aspect: float = 1.0
    name: str = ""

    @property
    def nk(self) -> str:
        """The Root/Read ``format`` value: ``"W H 0 0 W H PA NAME"``."""
        pa = f"{self.pixel_aspect:g}"
        return f"{self.width} {self.height} 0 0 {self.width} {self.height} {pa} {self.name}".strip()


@dataclass
class Project:
    name: str
    film_title: str
    format: Format
    fps: float = 24.0
    ocio_config: str = "fn-nuke_studio-config-v1.0.0_aces-v1.3_ocio-v2.1"
    ocio_config_path: Optional[str] = None
    working_space: str = "scene_linear"
    read_colorspace: str = "color_picking"
    write_colorspace: str = "aces_interchange"
    non_commercial: bool = False
    nuke_version: str = "15.1 v1"


@dataclass
class Clip:
    name: str
    source: str
    reference: Optional[str]
    first: int
    last: int
    balanced: Optional[str] = None
    colorspace: Optional[str] = None
    # The Reference's own input colourspace (a JPEG/DVD reference is rarely the scan's log encoding).
    reference_colorspace: Optional[str] = None
    train_on_balanced: bool = True
    composite: Optional[Composite] = None
    # Reference numbering: None = the Reference is numbered like the Source. Else a FrameMap from
    # ``reference_offset: N`` (reference = source + N) or ``frame_map: FILE`` (nuke-restore conform).
    frame_map: Optional[FrameMap] = None
    frame_map_file: Optional[str] = None
    frame_map_source: str = ""  # how a map not read from a file was given (per-shot offsets)
    # (line, column) of each field's value in the config, for errors found later (footage checks).
    pos: Dict[str, Tuple[Optional[int], Optional[int]]] = field(default_factory=dict,
                                                                 repr=False, compare=False)

    @property
    def map_name(self) -> str:
        """Where the clip's frame numbering comes from, for messages and labels."""
        if self.frame_map_file:
            return self.frame_map_file
        if self.frame_map_source:
            return self.frame_map_source
        return f"reference_offset {self.frame_map.offset if self.frame_map else 0}"

    @property
    def refmap(self) -> FrameMap:
        """Source frame -> reference frame (the identity when the config gives no map)."""
        return self.frame_map if self.frame_map is not None else FrameMap.identity()

    def matched(self, first: int, last: int) -> List[int]:
        """The source frames in ``first..last`` whose reference frame is known (a clean match)."""
        if self.frame_map is None:
            return list(range(first, last + 1))
        return [f for f in range(first, last + 1) if self.frame_map.reference(f) is not None]

    def reference_range(self) -> Tuple[int, int]:
        """The reference frames the clip's matched source frames show (its Read's range)."""
        refs = [self.refmap.reference(f) for f in self.matched(self.first, self.last)]
        refs = [r for r in refs if r is not None]
        return (min(refs), max(refs)) if refs else (self.first, self.last)

    @property
    def training_source(self) -> str:
        """The Source used for training: the balanced one when given (Faded Balancer)."""
        return self.balanced if (self.balanced and self.train_on_balanced) else self.source


@dataclass
class Composite:
    """A composite-of-prints Source : a second print, registered to the
    first by keyed Transform values, replaces the first where a matte is white."""

    source: str
    matte: str
    keys: Dict[int, TransformKey] = field(default_factory=dict)


@dataclass
class Shot:
    name: str
    clip: str
    first: int
    last: int
    scene: str = ""
    train: List[int] = field(default_factory=list)
    preview: Optional[int] = None
    validation: List[int] = field(default_factory=list)
    line: Optional[int] = None
    file: Optional[str] = None  # the curation file the shot came from (for its line), else None
    # This shot's reference frame = source frame + N, overriding the clip's reference_offset.
    reference_offset: Optional[int] = None


@dataclass
class TransformKey:
    translate: Tuple[float, float] = (0.0, 0.0)
    rotate: float = 0.0
    scale: float = 1.0
    center: Optional[Tuple[float, float]] = None
    residual: Optional[float] = None


@dataclass
class Alignment:
    mode: str = "none"
    keys: Dict[int, TransformKey] = field(default_factory=dict)
    which: Dict[int, int] = field(default_factory=dict)  # per-frame Dissolve choice (0 auto, 1 manual)
    roi: Optional[Box] = None
    crop: Optional[Box] = None
    crop_keys: Dict[int, Box] = field(default_factory=dict)
    live_area: Optional[Box] = None
    source_file: Optional[str] = None
    accuracy: Optional[float] = None  # F_Align accuracy; None = Nuke's default


@dataclass
class CopyCatSettings:
    gpu: bool = True
    model_size: str = "Medium"
    batch_size: Optional[int] = 3  # None = Auto
    crop_size: Any = "auto"
    checkpoint_interval: int = 10000
    contact_sheet_interval: int = 100
    multi_resolution: bool = True
    initial_weights: str = "None"
    steps: Optional[int] = None
    epochs: Optional[int] = None
    epochs_per_batch: int = 10000
    double_for_256: bool = True


@dataclass
class InferenceSettings:
    clamp: bool = False
    half_precision: bool = False
    reformat: str = "auto"  # auto = only for Non-Commercial (1080 cap)
    read_back: bool = True
    # The live-area Crop before the model / in the baseline render: off = renders keep the project
    # format (black outside the live area); on = renders come out at the live-area size.
    crop_reformat: bool = False
    model_files: Dict[str, str] = field(default_factory=dict)


@dataclass
class Provenance:
    film_title: str = ""
    restorationist: str = ""
    institution: str = ""
    source_element: str = ""
    reference_source: str = ""
    training_date: str = ""
    processing_date: str = ""
    iptc_digital_source_type: str = "trainedAlgorithmicMedia"
    notes: str = ""
    ml_processing: str = ""


@dataclass
class Stage:
    pair: str
    chain: str = "source"
    reference_median: int = 0
    source_median: int = 0
    target_luma: str = "source"
    luma_blur: float = 5.0
    # A training region inside the cropped picture (x, y, r, t in the crop's reformatted frame):
    # e.g. model 1 of the telecine recipe learns from the least-damaged area only.
    region: Optional[Box] = None


@dataclass
class Procedure:
    name: str
    template: str
    scripts: List[str]
    stages: List[Stage]
    recovery_type: str
    description: str = ""
    granularity: str = "shot"
    pair_type: str = "direct"
    registered: bool = True
    citation: str = ""
    assumptions: str = ""
    reference: Optional[str] = None
    copycat: CopyCatSettings = field(default_factory=CopyCatSettings)
    matchgrade_task: str = "Match Graded Source"
    template_file: Optional[str] = None
    line: Optional[int] = None
    # .nk templates (``template: studio_chroma.nk`` or a list): (name, config line) each; filled
    # per unit by recipes/template_fill.py.
    nk_templates: List[Tuple[str, Optional[int]]] = field(default_factory=list)


@dataclass
class JobConfig:
    project: Project
    clips: Dict[str, Clip]
    shots: List[Shot]
    procedures: List[Procedure]
    alignment: Alignment
    inference: InferenceSettings
    provenance: Provenance
    presets: Dict[str, Any]
    granularity: str = "shot"
    pair_counts: Dict[str, int] = field(default_factory=lambda: {"shot": 4, "scene": 16,
                                                                  "sequence": 33})
    path: Optional[str] = None
    base_dir: Path = field(default_factory=Path)
    template_path: List[Path] = field(default_factory=list)
    output_dir: Optional[str] = None
    experiments_log: str = "notes/experiments.md"

    def shot(self, name: str) -> Shot:
        for s in self.shots:
            if s.name == name:
                return s
        raise ConfigError(f"no shot {name!r}; shots: {', '.join(s.name for s in self.shots)}",
                          self.path, field="shots")


TOP_KEYS = ("version", "project", "clips", "shots", "curation", "granularity", "dataset",
            "alignment", "copycat", "inference", "provenance", "procedures", "templates", "preset",
            "outputs")


# ---------------------------------------------------------------------------------------------------
def load_config(path: os.PathLike) -> JobConfig:
    """Read and check a job config file (YAML). Raises ConfigError naming file, line and field."""
    p = Path(path)
    try:
        text = decode_text(p.read_bytes(), str(p))
    except FileNotFoundError:
        raise ConfigError("config file not found", str(p)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", str(p)) from None
    data = load_yaml_text(text, str(p))
    return config_from_dict(data, path=str(p))


def config_from_dict(data: Any, path: Optional[str] = None) -> JobConfig:
    """Build a JobConfig from already-parsed data (a dict, or the LineDict of ``load_config``)."""
    if data is None:
        raise ConfigError("the config is empty", path, 1)
    top = Section(data, path, "", (1, 1))
    top.check_keys(TOP_KEYS)
    version = top.integer("version", 1)
    if version != 1:
        raise top.error("version", f"unsupported config version {version}; allowed values: 1")
    base_dir = Path(path).resolve().parent if path else Path.cwd()

    extra = []
    for item, fname, pos in top.items("templates"):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError("expected a folder path", path, pos[0], pos[1], field=fname)
        problem = text_problem(item, "path")
        if problem is not None:
            raise ConfigError(problem, path, pos[0], pos[1], field=fname)
        if not (base_dir / item).is_dir():
            raise ConfigError(f"template folder {item!r} not found", path, pos[0], pos[1],
                              field=fname)
        extra.append(base_dir / item)
    tpath = tpl.search_path(extra)
    preset_name = top.text("preset", "default", kind="name")
    try:
        presets, _files = tpl.load_preset(preset_name, tpath)
    except TemplateError as exc:
        raise top.error("preset", exc.message) from None
    _check_preset(presets, top, preset_name)

    project = _project(top.section("project"), presets)
    clips = _clips(top, project, base_dir)
    shots = _shots(top, clips, base_dir)
    ds_defaults = presets.get("dataset", {})
    dataset = top.section("dataset", ("pairs", "pair_counts", "minimum_pairs", "escalate",
                                      "validation_fraction", "pair_type",
                                      "citation", "assumptions", "registered"))
    pair_counts = dict(ds_defaults.get("pair_counts", {"shot": 4, "scene": 16, "sequence": 33}))
    if dataset.has("pair_counts"):
        pcs = dataset.section("pair_counts", GRANULARITIES)
        for g in GRANULARITIES:
            pair_counts[g] = pcs.integer(g, pair_counts.get(g, 4), minimum=1)
    minimum = dataset.integer("minimum_pairs", int(ds_defaults.get("minimum_pairs", 3)), minimum=1)
    granularity = top.text("granularity", "shot", choices=GRANULARITIES)
    pairs = dataset.integer("pairs", None, minimum=minimum)
    levels = dataset.integer("escalate", 0, minimum=0, maximum=3)
    apply_shot_offsets(shots, clips)
    _fill_frames(shots, clips, granularity, pairs, pair_counts, minimum, path, levels)
    fraction = dataset.number("validation_fraction", 0.0, minimum=0.0, maximum=0.5)
    if fraction > 0.5:
        raise dataset.error("validation_fraction", "must be at most 0.5 (0.15-0.25 is "
                                                   "usual)")
    if fraction:
        for s in shots:
            if not s.validation:
                s.validation = pick_validation(s, fraction,
                                               clips[s.clip].matched(s.first, s.last))

    alignment = _alignment(top.section("alignment"), base_dir, project)
    copycat = _copycat(top.section("copycat"), presets, CopyCatSettings(), apply_presets=True)
    inference = _inference(top.section("inference"))
    provenance = _provenance(top.section("provenance"), project)
    procedures = _procedures(top, tpath, copycat, granularity, dataset, presets)
    outputs = top.section("outputs", ("dir", "experiments_log"))
    cfg = JobConfig(
        project=project, clips=clips, shots=shots, procedures=procedures, alignment=alignment,
        inference=inference, provenance=provenance, presets=presets, granularity=granularity,
        pair_counts=pair_counts, path=path, base_dir=base_dir, template_path=tpath,
        output_dir=outputs.text("dir", None, kind="path"),
        experiments_log=_check_inside(outputs, "experiments_log", outputs.text(
            "experiments_log", "notes/experiments.md", kind="path")),
    )
    _check_crop_sizes(cfg, top)
    return cfg


# ---------------------------------------------------------------------------------------------------
def _project(sec: Section, presets: Dict[str, Any]) -> Project:
    sec.check_keys(("name", "film_title", "format", "fps", "ocio_config", "ocio_config_path",
                    "working_space", "read_colorspace", "write_colorspace", "non_commercial",
                    "nuke_version"))
    name = sec.text("name", kind="ident")
    fmt_sec = sec.section("format", ("width", "height", "pixel_aspect", "name"))
    if not sec.has("format"):
        raise ConfigError("is required (width and height of the working format)", sec.path,
                          sec.pos[0] or None, sec.pos[1] or None, field=sec.sub("format"))
    fmt = Format(
        width=fmt_sec.integer("width", minimum=16, maximum=65536),
        height=fmt_sec.integer("height", minimum=16, maximum=65536),
        pixel_aspect=fmt_sec.number("pixel_aspect", 1.0, minimum=0.01, maximum=100.0),
        name=fmt_sec.text("name", f"{name}_format", kind="ident"),
    )
    _check_ident(fmt_sec, "name", fmt.name)
    read_cs = presets.get("read", {}).get("colorspace", "color_picking")
    write_cs = presets.get("write", {}).get("colorspace", "aces_interchange")
    return Project(
        name=name,
        film_title=sec.text("film_title", name),
        format=fmt,
        fps=sec.number("fps", 24.0, minimum=1.0, maximum=1000.0),
        ocio_config=sec.text("ocio_config", Project.ocio_config, kind="name"),
        ocio_config_path=sec.text("ocio_config_path", None, kind="path"),
        working_space=sec.text("working_space", "scene_linear", kind="name"),
        read_colorspace=sec.text("read_colorspace", str(read_cs), kind="name"),
        write_colorspace=sec.text("write_colorspace", str(write_cs), kind="name"),
        non_commercial=sec.boolean("non_commercial", False),
        nuke_version=sec.text("nuke_version", "15.1 v1", kind="version"),
    )


def _check_preset(data: Any, top: Section, name: str, where: str = "") -> None:
    """Preset files are templates a config may bring: finite, bounded numbers, whole numbers where
    the recipes count, and text that passes the text rule (it reaches knobs)."""
    def bad(message: str) -> ConfigError:
        return top.error("preset", f"preset {name!r}, {where or 'top level'}: {message}")

    if isinstance(data, dict):
        for k, v in data.items():
            _check_preset(v, top, name, f"{where}.{k}" if where else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_preset(v, top, name, f"{where}[{i}]")
    elif isinstance(data, bool) or data is None:
        return
    elif isinstance(data, (int, float)):
        if isinstance(data, float) and not math.isfinite(data):
            raise bad(f"must be a finite number, got {data}")
        if abs(data) > 1e15:
            raise bad("is too large a number")
    elif isinstance(data, str):
        problem = text_problem(data, "text")
        if problem is not None:
            raise bad(problem)


def _preset_int(sec: Section, value: Any, what: str, lo: int = 1, hi: int = 2**31 - 1) -> int:
    """A whole number from the preset (already finite and bounded: ``_check_preset``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not lo <= value <= hi:
        raise sec.error(None, f"the preset's {what} must be a whole number from {lo} to {hi}, "
                              f"got {value!r}")
    return int(value)


def _check_ident(sec: Section, key: str, value: str) -> None:
    # Matched in full (no trailing-newline loophole): see nk.values.text_problem.
    problem = text_problem(value, "ident")
    if problem is not None:
        raise sec.error(key, problem)


def _check_inside(sec: Section, key: str, value: str) -> str:
    """An output path the config chooses: relative and inside the output folder (no ``..``)."""
    problem = inside_problem(value)
    if problem is not None:
        raise sec.error(key, problem)
    return value


def _check_path(sec: Section, key: str, value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if "\\" in value:
        raise sec.error(key, "use forward slashes in paths")
    if "#" not in value and "%" not in value:
        raise sec.error(key, f"{value!r} has no frame number; use #### or %04d")
    return value


def _clips(top: Section, project: Project, base_dir: Path) -> Dict[str, Clip]:
    if not top.has("clips"):
        raise ConfigError("is required (at least one clip with source and reference)", top.path,
                          1, 1, field="clips")
    sec = top.section("clips")
    clips: Dict[str, Clip] = {}
    for name in sec.data:
        c = sec.section(name, ("source", "reference", "balanced", "first", "last", "colorspace",
                               "train_on_balanced", "composite", "reference_offset", "frame_map",
                               "reference_colorspace"))
        _check_ident(sec, name, str(name))
        first = c.integer("first", minimum=-FRAME_LIMIT, maximum=FRAME_LIMIT)
        last = c.integer("last", minimum=first, maximum=min(FRAME_LIMIT, first + MAX_CLIP_FRAMES - 1))
        fmap, fmap_file = read_clip_map(c, base_dir)
        clips[str(name)] = Clip(
            name=str(name),
            source=_check_path(c, "source", c.text("source", kind="path")),
            reference=_check_path(c, "reference", c.text("reference", None, kind="path")),
            balanced=_check_path(c, "balanced", c.text("balanced", None, kind="path")),
            first=first, last=last,
            colorspace=c.text("colorspace", None, kind="name"),
            reference_colorspace=c.text("reference_colorspace", None, kind="name"),
            train_on_balanced=c.boolean("train_on_balanced", True),
            frame_map=fmap, frame_map_file=fmap_file,
            pos={key: c.where(key) for key in ("", "source", "reference", "balanced", "first",
                                                "last", "reference_offset", "frame_map")},
        )
        if fmap is not None and not clips[str(name)].matched(first, last):
            key = "frame_map" if fmap_file else "reference_offset"
            raise c.error(key, f"no source frame of the clip ({first} to {last}) has a reference "
                               "frame in this map")
        if c.has("composite"):
            cs = c.section("composite", ("source", "matte", "transforms"))
            comp = Composite(source=_check_path(cs, "source", cs.text("source", kind="path")),
                             matte=_check_path(cs, "matte", cs.text("matte", kind="path")))
            if cs.has("transforms"):
                comp.keys, _src = read_transforms(cs, "transforms", base_dir, project)
            clips[str(name)].composite = comp
    if not clips:
        raise sec.error(None, "needs at least one clip")
    return clips


def _shots(top: Section, clips: Dict[str, Clip], base_dir: Path) -> List[Shot]:
    if top.has("shots") and top.has("curation"):
        raise top.error("curation", "give either shots or curation, not both")
    only_clip = next(iter(clips)) if len(clips) == 1 else None
    shots: List[Shot] = []
    if top.has("curation"):
        rel = top.text("curation", kind="path")
        cpath = base_dir / rel
        try:
            # Read with positions, so a bad field in the curation names its line and column.
            data = load_json_text(decode_text(cpath.read_bytes(), str(cpath)), str(cpath))
        except FileNotFoundError:
            raise top.error("curation", f"curation file {rel!r} not found") from None
        except OSError as exc:
            raise top.error("curation", f"cannot read curation file {rel!r}: "
                            f"{exc.strerror or exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("shots"), list):
            raise ConfigError('expected {"shots": [...]}', str(cpath), 1, field="shots")
        if not data["shots"]:
            raise ConfigError("no shots in the curation", str(cpath),
                              *getattr(data, "value_pos", {}).get("shots", (1, None)),
                              field="shots")
        item_pos = getattr(data["shots"], "item_pos", {})
        for i, item in enumerate(data["shots"]):
            if not isinstance(item, dict):
                raise ConfigError("expected an object", str(cpath), *item_pos.get(i, (None, None)),
                                  field=f"shots[{i}]")
            # Other tools' files carry more (transitions, exclusions): read only what we use.
            kept = LineDict({k: v for k, v in item.items() if k in _SHOT_KEYS})
            kept.pos = getattr(item, "pos", item_pos.get(i, (0, 0)))
            for table in ("key_pos", "value_pos"):
                setattr(kept, table, {k: v for k, v in getattr(item, table, {}).items()
                                      if k in _SHOT_KEYS})
            sec = Section(kept, str(cpath), f"shots[{i}]")
            shots.append(_shot(sec, clips, only_clip, default_name=f"SH{(i + 1) * 10:04d}"))
            shots[-1].file = str(cpath)
    else:
        items = top.items("shots")
        if not items:
            first = clips[only_clip] if only_clip else None
            if first is None:
                raise ConfigError("is required when there is more than one clip", top.path, 1, 1,
                                  field="shots")
            # One clip and no shots: the whole clip is one shot.
            shots.append(Shot(name=f"{first.name}_ALL", clip=first.name, first=first.first,
                              last=first.last))
        for item, fname, pos in items:
            sec = Section(item, top.path, fname, (pos[0] or 0, pos[1] or 0))
            shots.append(_shot(sec, clips, only_clip, default_name=None))
    seen = set()
    for s in shots:
        if s.name in seen:
            raise ConfigError(f"duplicate shot name {s.name!r}", s.file or top.path, s.line, field="shots")
        seen.add(s.name)
    by_clip: Dict[str, List[Shot]] = {}
    for s in shots:
        by_clip.setdefault(s.clip, []).append(s)
    for members in by_clip.values():
        members = sorted(members, key=lambda m: m.first)
        for a, b in zip(members, members[1:]):
            if b.first <= a.last:
                # A pair must never straddle a cut: shots do not share frames.
                raise ConfigError(f"shots {a.name} ({a.first}-{a.last}) and {b.name} "
                                  f"({b.first}-{b.last}) overlap", b.file or top.path, b.line,
                                  field="shots")
    return shots


_SHOT_KEYS = ("name", "clip", "first", "last", "scene", "train", "preview", "validation",
              "reference_offset")


def _shot(sec: Section, clips: Dict[str, Clip], only_clip: Optional[str],
          default_name: Optional[str]) -> Shot:
    sec.check_keys(_SHOT_KEYS)
    name = sec.text("name", default_name, kind="ident") if default_name else \
        sec.text("name", kind="ident")
    _check_ident(sec, "name", str(name))
    clip_name = sec.text("clip", only_clip, kind="ident")
    if clip_name is None:
        raise sec.error(None, "clip is required when there is more than one clip")
    if clip_name not in clips:
        raise sec.error("clip", f"unknown clip {clip_name!r}; allowed values: {', '.join(clips)}")
    clip = clips[clip_name]
    first = sec.integer("first", clip.first, minimum=clip.first, maximum=clip.last)
    last = sec.integer("last", clip.last, minimum=first, maximum=clip.last)
    frames = []
    for item, fname, pos in sec.items("train"):
        frames.append(check_int(item, sec, "train", minimum=first, maximum=last, field=fname,
                                pos=pos))
        _check_matched(clip, frames[-1], "training", sec, fname, pos)
    if len(set(frames)) != len(frames):
        raise sec.error("train", "training frames must not repeat")
    preview = sec.integer("preview", None, minimum=first, maximum=last)
    if preview is not None:
        _check_matched(clip, preview, "preview", sec, sec.sub("preview"), sec.where("preview"))
    if preview is not None and preview in frames:
        raise sec.error("preview", f"preview frame {preview} is a training frame; the preview must "
                                   "be a hold-out frame")
    validation = []
    for item, fname, pos in sec.items("validation"):
        v = check_int(item, sec, "validation", minimum=first, maximum=last, field=fname, pos=pos)
        _check_matched(clip, v, "validation", sec, fname, pos)
        if v in frames:
            raise ConfigError(f"validation frame {v} is also a training frame", sec.path, pos[0],
                              pos[1], field=fname)
        validation.append(v)
    raw_scene = sec.raw("scene")
    if isinstance(raw_scene, int) and not isinstance(raw_scene, bool):
        scene = f"SC{raw_scene:03d}"  # `nuke-restore curate` numbers its scenes
    else:
        scene = sec.text("scene", "", kind="ident")
    if scene != "":
        _check_ident(sec, "scene", str(scene))
    offset = sec.integer("reference_offset", None, minimum=-MAX_FRAME, maximum=MAX_FRAME)
    if offset is not None and clip.frame_map_file:
        raise sec.error("reference_offset", f"clip {clip_name} takes its frame numbers from "
                                            f"{clip.frame_map_file}: give per-shot offsets or a "
                                            "frame map, not both")
    return Shot(name=str(name), clip=clip_name, first=first, last=last, scene=str(scene),
                train=sorted(frames), preview=preview, validation=sorted(validation),
                line=sec.pos[0] or None, reference_offset=offset)


def _check_matched(clip: Clip, frame: int, role: str, sec: Section, fname: str, pos) -> None:
    """A training, preview or validation frame needs a reference frame showing it cleanly."""
    if clip.frame_map is None:
        return
    m = clip.frame_map.match(frame)
    if m is None or m.reference is None:
        why = f" ({m.reason})" if m is not None and m.reason else ""
        src = clip.map_name
        raise ConfigError(f"{role} frame {frame} has no clean reference match in {src}{why}; "
                          "pick a frame the frame map matches", sec.path, pos[0], pos[1],
                          field=fname)


def pick_frames(first: int, last: int, count: int) -> List[int]:
    """``count`` frames spread evenly over [first, last], always including both ends."""
    span = last - first + 1
    count = min(count, span)
    if count <= 1:
        return [first]
    return sorted({first + round(i * (last - first) / (count - 1)) for i in range(count)})


def escalate(frames: Sequence[int], candidates: Optional[Sequence[int]] = None) -> List[int]:
    """Insert a frame at the midpoint of every gap (the 4 -> 7 -> 13 escalation).

    With ``candidates`` (the frames with a clean reference match) the candidate nearest each midpoint
    is inserted instead; a gap without one stays as it is.
    """
    out = set(frames)
    fs = sorted(frames)
    for a, b in zip(fs, fs[1:]):
        if b - a > 1:
            if candidates is None:
                out.add((a + b) // 2)
            else:
                f = nearest(candidates, (a + b) // 2, a, b)
                if f is not None:
                    out.add(f)
    return sorted(out)


def pick_validation(shot: Shot, fraction: float,
                    candidates: Optional[Sequence[int]] = None) -> List[int]:
    """Hold-out validation frames: ``fraction`` of the pairs, spread over the shot, never a training
    or preview frame; only ``candidates`` (matched frames) when given."""
    want = max(1, int(round(fraction * len(shot.train))))
    taken = set(shot.train) | ({shot.preview} if shot.preview is not None else set())
    pool = range(shot.first, shot.last + 1) if candidates is None else sorted(candidates)
    free = [f for f in pool if f not in taken]
    if not free:
        return []
    if want >= len(free):
        return free
    step = len(free) / want
    return sorted({free[int(step * i + step / 2)] for i in range(want)})


def pick_preview(first: int, last: int, train: Sequence[int],
                 candidates: Optional[Sequence[int]] = None) -> Optional[int]:
    """The midpoint of the widest gap between training frames that is not itself trained.

    With ``candidates`` (the frames with a clean reference match): the candidate nearest the midpoint
    of the widest gap that holds one.
    """
    cands = list(range(first, last + 1)) if candidates is None else sorted(candidates)
    fs = sorted(train)
    best = None
    for a, b in zip(fs, fs[1:]):
        if b - a > 1 and nearest(cands, (a + b) // 2, a, b) is not None and (
                best is None or b - a > best[1] - best[0]):
            best = (a, b)
    if best is not None:
        return nearest(cands, (best[0] + best[1]) // 2, best[0], best[1])
    for f in cands:
        if f not in train:
            return f
    return None


def _fill_frames(shots: List[Shot], clips: Dict[str, Clip], granularity: str,
                 pairs: Optional[int], pair_counts: Dict[str, int], minimum: int,
                 path: Optional[str], levels: int = 0) -> None:
    """Default training and preview frames for shots that did not give them.

    Only source frames with a clean reference match (the clip's frame map) are picked.
    """
    # A scene/sequence budget is spread over its shots in proportion to their length.
    groups: Dict[str, List[Shot]] = {}
    for s in shots:
        key = s.name if granularity == "shot" else (s.scene or s.name) if granularity == "scene" \
            else "ALL"
        groups.setdefault(key, []).append(s)
    for members in groups.values():
        budget = pairs if pairs is not None else pair_counts.get(granularity, 4)
        total = sum(s.last - s.first + 1 for s in members)
        for s in members:
            clip = clips[s.clip]
            cands = clip.matched(s.first, s.last)
            if clip.frame_map is not None and not s.train and len(cands) < (
                    minimum + 1 if granularity == "shot" else 2):
                src = clip.map_name
                raise ConfigError(
                    f"shot {s.name} ({s.first}-{s.last}) has {len(cands)} source frame(s) with a "
                    f"clean reference match in {src}; at least "
                    f"{minimum + 1 if granularity == 'shot' else 2} are needed (training frames "
                    "plus a hold-out preview): check the frame map or widen the shot",
                    s.file or path, s.line, field="shots")
            if s.train:
                continue
            share = budget if len(members) == 1 else max(
                1 if granularity != "shot" else minimum,
                int(round(budget * (s.last - s.first + 1) / total)))
            if len(members) == 1:
                share = max(share, minimum)
            # Keep at least one untrained frame for the hold-out Preview.
            share = max(1, min(share, len(cands) - 1))
            s.train = spread(cands, share)
            for _ in range(levels):
                # Convergence stalled: add a frame at every midpoint (4 -> 7 -> 13),
                # still leaving a frame for the Preview.
                more = escalate(s.train, cands)
                if len(more) < len(cands):
                    s.train = more
        for s in members:
            if s.preview is None:
                s.preview = pick_preview(s.first, s.last, s.train,
                                         clips[s.clip].matched(s.first, s.last))
        n = sum(len(s.train) for s in members)
        if n < minimum and granularity == "shot":
            s = members[0]
            raise ConfigError(f"shot {s.name} has {n} training frames; at least {minimum} are "
                              "needed (start, middle, end)", s.file or path, s.line,
                              field="shots.train")
        for s in members:
            if s.preview is None:
                raise ConfigError(f"shot {s.name} has no untrained frame left for the preview",
                                  s.file or path, s.line, field="shots.preview")


def _box(sec: Section, key: str, value: Any = None, fname: Optional[str] = None,
         pos: Any = None) -> Box:
    v = sec.data.get(key) if value is None else value
    ok = isinstance(v, list) and len(v) == 4 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        and abs(x) <= 1e7 for x in v)
    if not ok or not (v[2] > v[0] and v[3] > v[1]):
        msg = "expected [x, y, r, t] with r > x and t > y (Nuke box: left, bottom, right, top)"
        if pos is not None:
            raise ConfigError(msg, sec.path, pos[0], pos[1], field=fname)
        raise sec.error(key, msg)
    return (float(v[0]), float(v[1]), float(v[2]), float(v[3]))


def _inside(sec: Section, key: Any, box: Box, fmt: Format) -> Box:
    """A box must lie inside the project format (a crop outside it would render black)."""
    if box[0] < 0 or box[1] < 0 or box[2] > fmt.width or box[3] > fmt.height:
        raise sec.error(key, "[" + ", ".join(f"{v:g}" for v in box) + "] reaches outside the "
                        f"project format (0, 0, {fmt.width}, {fmt.height}); keep "
                        f"0 <= x < r <= {fmt.width} and 0 <= y < t <= {fmt.height}")
    return box


def _alignment(sec: Section, base_dir: Path, project: Project) -> Alignment:
    sec.check_keys(("mode", "transforms", "which", "roi", "crop", "live_area", "accuracy"))
    al = Alignment(mode=sec.text("mode", "none", choices=ALIGN_MODES))
    al.accuracy = sec.number("accuracy", None, minimum=0.0, maximum=1000.0)
    fmt = project.format
    if sec.has("roi"):
        al.roi = _inside(sec, "roi", _box(sec, "roi"), fmt)
    if sec.has("live_area"):
        al.live_area = _inside(sec, "live_area", _box(sec, "live_area"), fmt)
    if sec.has("crop"):
        crop = sec.data["crop"]
        if isinstance(crop, list):
            al.crop = _inside(sec, "crop", _box(sec, "crop"), fmt)
        else:
            csec = sec.section("crop")
            for k in csec.data:
                frame = check_int(_frame_key(k), csec, k, field=csec.sub(str(k)),
                                  pos=csec.where(k, False))
                al.crop_keys[frame] = _inside(csec, k, _box(csec, k), fmt)
            if not al.crop_keys:
                raise sec.error("crop", "expected a box [x, y, r, t] or per-frame boxes")
            al.crop = al.crop_keys[min(al.crop_keys)]
    if sec.has("transforms"):
        al.keys, al.source_file = read_transforms(sec, "transforms", base_dir, project)
        if al.mode == "none":
            al.mode = "manual"
    if sec.has("which"):
        wsec = sec.section("which")
        for k in wsec.data:
            frame = check_int(_frame_key(k), wsec, k, field=wsec.sub(str(k)),
                              pos=wsec.where(k, False))
            al.which[frame] = wsec.integer(k, choices=(0, 1))
    if al.mode == "manual" and not al.keys:
        # Valid: the artist keys the Transform in Nuke; it starts at identity.
        logger.info("manual alignment without transforms: the Transform starts at identity")
    return al


def read_transforms(sec: Section, key: str, base_dir: Path, project: Project
                    ) -> Tuple[Dict[int, TransformKey], Optional[str]]:
    """Per-frame Transform values: inline, or a file from ``nuke-restore align --json``."""
    tr = sec.data[key]
    source_file = None
    if isinstance(tr, str):
        problem = text_problem(tr, "path")  # named in the StickyNote and the sidecars
        if problem is not None:
            raise sec.error(key, problem)
        tpath = base_dir / tr
        try:
            # Read with positions, so a bad value in the file names its line and column.
            data = load_json_text(decode_text(tpath.read_bytes(), str(tpath)), str(tpath))
        except FileNotFoundError:
            raise sec.error(key, f"alignment file {tr!r} not found") from None
        except OSError as exc:
            raise sec.error(key, f"cannot read alignment file {tr!r}: "
                            f"{exc.strerror or exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("frames"), dict):
            raise ConfigError('expected {"frames": {...}}', str(tpath), 1, field="frames")
        frames = data["frames"]
        fsec = Section(frames if isinstance(frames, LineDict) else LineDict(frames), str(tpath),
                       "frames")
        source_file = tr
    else:
        fsec = sec.section(key)
    keys: Dict[int, TransformKey] = {}
    for k in fsec.data:
        frame = check_int(_frame_key(k), fsec, k, field=fsec.sub(str(k)),
                          pos=fsec.where(k, False))
        # An `nuke-restore align` file may carry extra keys (residual_max, ncc, cornerpin).
        keys[frame] = _transform_key(fsec.section(k), project, strict=not isinstance(tr, str))
    return keys, source_file


def _frame_key(k: Any) -> Any:
    """A per-frame mapping key: YAML gives ints, JSON gives digit strings."""
    return int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k


def _transform_key(sec: Section, project: Project, strict: bool = True) -> TransformKey:
    if strict:
        sec.check_keys(("translate", "rotate", "scale", "center", "residual"))

    def pair(key: str, default):
        if not sec.has(key):
            return default
        v = sec.data[key]
        if not (isinstance(v, list) and len(v) == 2 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            and abs(x) <= 1e7 for x in v)):
            raise sec.error(key, "expected [x, y] (finite numbers, at most 1e7 in size)")
        return (float(v[0]), float(v[1]))

    return TransformKey(
        translate=pair("translate", (0.0, 0.0)),
        rotate=sec.number("rotate", 0.0, minimum=-1e6, maximum=1e6),
        scale=sec.number("scale", 1.0, minimum=1e-6, maximum=1e6),
        center=pair("center", None),
        residual=sec.number("residual", None),
    )


_COPYCAT_KEYS = ("gpu", "model_size", "batch_size", "crop_size", "checkpoint_interval",
                 "contact_sheet_interval", "multi_resolution", "initial_weights", "steps", "epochs",
                 "double_for_256")


def _copycat(sec: Section, presets: Dict[str, Any], base: CopyCatSettings,
             apply_presets: bool = False) -> CopyCatSettings:
    sec.check_keys(_COPYCAT_KEYS)
    p = presets.get("copycat", {}) if presets else {}
    t = presets.get("training", {}) if presets else {}
    # Preset values first (knob names), then the base settings, then this section.
    cc = CopyCatSettings(**{k: getattr(base, k) for k in base.__dataclass_fields__})
    if apply_presets:
        cc.gpu = bool(p.get("useGPUIfAvailable", cc.gpu))
        cc.model_size = str(p.get("modelSize", cc.model_size))
        cc.batch_size = None if str(p.get("batchSizeType", "Manual")) == "Auto" else _preset_int(
            sec, p.get("batchSize", cc.batch_size or 3), "batchSize", 1, 64)
        cc.crop_size = p.get("cropSize", cc.crop_size)
        if cc.crop_size != "auto":
            cc.crop_size = _preset_int(sec, cc.crop_size, "cropSize", 32, 512)
        cc.checkpoint_interval = _preset_int(sec, p.get("checkpointInterval", cc.checkpoint_interval),
                                             "checkpointInterval")
        cc.contact_sheet_interval = _preset_int(sec, p.get("imageInterval", cc.contact_sheet_interval),
                                                "imageInterval")
        cc.multi_resolution = bool(p.get("useMultiResolution", cc.multi_resolution))
        cc.initial_weights = str(p.get("initialWeights", cc.initial_weights))
        cc.epochs_per_batch = _preset_int(sec, t.get("epochs_per_batch", cc.epochs_per_batch),
                                          "epochs_per_batch", 1, 10**7)
        cc.double_for_256 = bool(t.get("double_for_256", cc.double_for_256))
    cc.gpu = sec.boolean("gpu", cc.gpu)
    cc.model_size = sec.text("model_size", cc.model_size, choices=MODEL_SIZES)
    if sec.has("batch_size"):
        v = sec.data["batch_size"]
        cc.batch_size = None if v == "auto" else sec.integer("batch_size", minimum=1, maximum=64)
    if sec.has("crop_size"):
        v = sec.data["crop_size"]
        cc.crop_size = "auto" if v == "auto" else sec.integer("crop_size", choices=CROP_SIZES)
    cc.checkpoint_interval = sec.integer("checkpoint_interval", cc.checkpoint_interval, minimum=1,
                                         maximum=MAX_STEPS)
    cc.contact_sheet_interval = sec.integer("contact_sheet_interval", cc.contact_sheet_interval,
                                            minimum=1, maximum=MAX_STEPS)
    cc.multi_resolution = sec.boolean("multi_resolution", cc.multi_resolution)
    cc.initial_weights = sec.text("initial_weights", cc.initial_weights, choices=INITIAL_WEIGHTS)
    if sec.has("steps") and sec.has("epochs"):
        raise sec.error("epochs", "give steps or epochs, not both (epochs = steps x batch / pairs)")
    if sec.has("steps"):
        cc.steps, cc.epochs = sec.integer("steps", minimum=1, maximum=MAX_STEPS), None
    if sec.has("epochs"):
        cc.epochs, cc.steps = sec.integer("epochs", minimum=1, maximum=MAX_STEPS), None
    cc.double_for_256 = sec.boolean("double_for_256", cc.double_for_256)
    return cc


def _inference(sec: Section) -> InferenceSettings:
    sec.check_keys(("clamp", "half_precision", "reformat", "read_back", "model_files",
                    "crop_reformat"))
    inf = InferenceSettings(
        clamp=sec.boolean("clamp", False),
        half_precision=sec.boolean("half_precision", False),
        reformat=sec.text("reformat", "auto", choices=("auto", "on", "off")),
        read_back=sec.boolean("read_back", True),
        crop_reformat=sec.boolean("crop_reformat", False),
    )
    if sec.has("model_files"):
        ms = sec.section("model_files")
        for k in ms.data:
            key_problem = text_problem(str(k), "name")
            if key_problem is not None:
                raise ms.error(k, key_problem, value=False)
            inf.model_files[str(k)] = ms.text(k, kind="path")
    return inf


def _provenance(sec: Section, project: Project) -> Provenance:
    keys = tuple(Provenance.__dataclass_fields__)
    sec.check_keys(keys)
    pv = Provenance()
    for k in keys:
        if k == "iptc_digital_source_type":
            pv.iptc_digital_source_type = sec.text(k, pv.iptc_digital_source_type,
                                                   choices=IPTC_TYPES)
        else:
            setattr(pv, k, sec.text(k, "", allow_empty=True))
    if not pv.film_title:
        pv.film_title = project.film_title
    return pv


_PROC_KEYS = ("name", "type", "granularity", "target_luma", "reference_median", "source_median",
              "luma_blur", "copycat", "pair_type", "citation", "assumptions", "registered",
              "reference", "matchgrade_task", "stages", "template")


def _nk_templates(sec: Section) -> List[Tuple[str, Optional[int]]]:
    """``template: NAME.nk`` or a list of them (one per script kind): plain names on the search path."""
    if not sec.has("template"):
        return []
    value = sec.raw("template")
    items = [(value, sec.sub("template"), sec.where("template"))] if isinstance(value, str) \
        else sec.items("template")
    out = []
    for item, fname, pos in items:
        if not isinstance(item, str) or not item.endswith(".nk"):
            raise ConfigError(f"expected a .nk template name like studio_chroma.nk, got {item!r}",
                              sec.path, pos[0], pos[1], field=fname)
        try:
            tpl.check_name(item, "template")
        except TemplateError as exc:
            raise ConfigError(exc.message, sec.path, pos[0], pos[1], field=fname) from None
        out.append((item, pos[0]))
    return out


def _procedures(top: Section, tpath: List[Path], copycat: CopyCatSettings, granularity: str,
                dataset: Section, presets: Dict[str, Any]) -> List[Procedure]:
    items = top.items("procedures")
    if not items:
        raise ConfigError("is required: a list like [{type: chroma}]; procedure templates: "
                          + ", ".join(tpl.list_names("procedures", tpath)),
                          top.path, 1, 1, field="procedures")
    out: List[Procedure] = []
    names = set()
    available = tpl.list_names("procedures", tpath)
    med_default = int((presets.get("reference_median") or {}).get("size", 10))
    for item, fname, pos in items:
        if isinstance(item, str):
            item = LineDict({"type": item})
            item.pos = (pos[0] or 0, pos[1] or 0)
        sec = Section(item, top.path, fname, (pos[0] or 0, pos[1] or 0), _PROC_KEYS)
        ptype = sec.text("type", choices=available)
        try:
            data, tfile = tpl.load_procedure(ptype, tpath)
        except TemplateError as exc:
            raise sec.error("type", exc.message) from None
        name = sec.text("name", ptype, kind="ident")
        _check_ident(sec, "name", name)
        if name in names:
            raise sec.error("name", f"duplicate procedure name {name!r}")
        names.add(name)
        tsec = Section(data, str(tfile), "", (1, 1),
                       ("description", "recovery_type", "scripts", "stages", "pair_type",
                        "requires"))
        scripts = [s for s, _f, _p in tsec.items("scripts")]
        for s in scripts:
            if s not in SCRIPT_KINDS:
                raise tsec.error("scripts", f"unknown script kind {s!r}; allowed values: "
                                            f"{', '.join(SCRIPT_KINDS)}")
        pair_type = sec.text("pair_type", tsec.text("pair_type", dataset.text(
            "pair_type", "direct", choices=PAIR_TYPES), choices=PAIR_TYPES), choices=PAIR_TYPES)
        target_luma = sec.text("target_luma", "source", choices=TARGET_LUMA)
        ref_med = sec.integer("reference_median", None, minimum=0, maximum=50)
        src_med = sec.integer("source_median", 0, minimum=0, maximum=5)
        luma_blur = sec.number("luma_blur", 5.0, minimum=0.5, maximum=1000.0)
        stages: List[Stage] = []
        stage_items = sec.items("stages") if sec.has("stages") else tsec.items("stages")
        for k, (st, sfname, spos) in enumerate(stage_items):
            if isinstance(st, str):
                st = {"pair": st}
            ssec = Section(st, sec.path if sec.has("stages") else str(tfile), sfname,
                           (spos[0] or 0, spos[1] or 0),
                           ("pair", "chain", "reference_median", "source_median", "target_luma",
                            "luma_blur", "region"))
            pair = ssec.text("pair", choices=STAGE_PAIRS)
            stage = Stage(
                pair=pair,
                chain=ssec.text("chain", "source", choices=CHAINS),
                # The Reference Median is chroma-only; spatial jobs never filter the Reference.
                reference_median=ssec.integer(
                    "reference_median",
                    (ref_med if ref_med is not None else med_default) if pair == "chroma" else 0,
                    minimum=0, maximum=50),
                source_median=ssec.integer("source_median", src_med if pair == "spatial" else 0,
                                           minimum=0, maximum=5),
                target_luma=ssec.text("target_luma", target_luma if pair == "chroma" else "source",
                                      choices=TARGET_LUMA),
                luma_blur=ssec.number("luma_blur", luma_blur, minimum=0.5, maximum=1000.0),
                region=_box(ssec, "region") if ssec.has("region") else None,
            )
            if stage.pair == "spatial" and stage.reference_median:
                raise ssec.error("reference_median", "spatial jobs never median or blur the "
                                                     "Reference: its detail is the target")
            if stage.pair == "spatial" and stage.target_luma != "source":
                raise ssec.error("target_luma", "target_luma applies to chroma stages only")
            if k == 0 and ssec.has("chain"):
                raise ssec.error("chain", "the first stage has nothing to chain from")
            stages.append(stage)
        if ref_med and not any(st.pair == "chroma" for st in stages):
            raise sec.error("reference_median", "spatial jobs never median or blur the Reference: "
                                                "its detail is the target")
        if "training" in scripts and not stages:
            raise tsec.error("stages", "a procedure with a training script needs stages")
        proc = Procedure(
            name=name, template=ptype, scripts=scripts, stages=stages,
            recovery_type=tsec.text("recovery_type", ptype),
            description=tsec.text("description", ""),
            granularity=sec.text("granularity", granularity, choices=GRANULARITIES),
            pair_type=pair_type,
            registered=sec.boolean("registered", dataset.boolean("registered",
                                                                 pair_type != "artwork")),
            citation=sec.text("citation", dataset.text("citation", "", allow_empty=True),
                              allow_empty=True),
            assumptions=sec.text("assumptions", dataset.text("assumptions", "", allow_empty=True),
                                 allow_empty=True),
            reference=_check_path(sec, "reference", sec.text("reference", None, kind="path")),
            copycat=_copycat(sec.section("copycat"), presets, copycat),
            matchgrade_task=sec.text("matchgrade_task", str(
                (presets.get("matchgrade") or {}).get("matchGradeTask", "Match Graded Source")),
                choices=MATCHGRADE_TASKS),
            template_file=str(tfile), line=sec.pos[0] or None,
            nk_templates=_nk_templates(sec),
        )
        required = [r for r, _f, _p in tsec.items("requires")]
        if pair_type != "direct":
            required = sorted(set(required) | {"citation", "assumptions"})
        missing = [r for r in required if not getattr(proc, r, "")]
        if missing:
            raise sec.error(None, f"{' and '.join(missing)} required for {pair_type} references: "
                                  "cite the sources and state the assumptions")
        out.append(proc)
    return out


def _check_crop_sizes(cfg: JobConfig, top: Section) -> None:
    box = cfg.alignment.crop or (0, 0, cfg.project.format.width, cfg.project.format.height)
    boxes = [box] + list(cfg.alignment.crop_keys.values())
    short = min(min(b[2] - b[0], b[3] - b[1]) for b in boxes)
    for proc in cfg.procedures:
        cc = proc.copycat
        if cc.crop_size == "auto":
            continue
        if cc.crop_size > short:
            raise ConfigError(f"crop_size {cc.crop_size} is larger than the cropped picture "
                              f"({short:g} px); use 256 or smaller", cfg.path, proc.line,
                              field=f"procedures[{proc.name}].copycat.crop_size")
    if short < 32:
        raise ConfigError(f"the crop box is only {short:g} px on its short side",
                          cfg.path, field="alignment.crop")


def resolve_crop_size(cc: CopyCatSettings, short_side: float) -> int:
    """The CopyCat crop: the configured one, or 512 when the picture allows it, else 256."""
    if cc.crop_size != "auto":
        return int(cc.crop_size)
    for size in (512, 256, 128, 64, 32):
        if short_side >= size:
            return size
    return 32


def training_schedule(cc: CopyCatSettings, pairs: int, crop_size: int) -> Tuple[int, int]:
    """(epochs, steps) for ``pairs`` training pairs: steps = epochs x pairs / batch.

    Given steps, epochs = ceil(steps x batch / pairs), so the reported steps can round up slightly.
    Given neither, the author's rule of thumb:
    epochs = batch x 10000, doubled for 256-or-smaller crops when ``double_for_256`` is on.
    """
    batch = cc.batch_size or 1
    pairs = max(1, pairs)
    if cc.epochs is not None:
        epochs = cc.epochs
    elif cc.steps is not None:
        # An explicit target is honoured as given; the x2 rule belongs to the rule of thumb.
        epochs = int(math.ceil(cc.steps * batch / pairs))
    else:
        epochs = batch * cc.epochs_per_batch * (2 if (cc.double_for_256 and crop_size <= 256)
                                                else 1)
    steps = int(round(epochs * pairs / batch))
    return epochs, steps
