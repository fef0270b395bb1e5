"""Which knob values are defaults (so they are not written) and the order Nuke writes knobs in.

Nuke writes only knobs that differ from their default. The compiled schema (``nuke_restore.nk.schema``,
built from nuke-facts and the corpus) answers both questions when it is installed; otherwise the small
table below is used. It holds the Nuke 17.0v3 defaults (nuke-facts ``knobs-17.0v3.json``) of exactly the
knobs the recipes set, and ``tests/recipes/test_knobdefs.py`` checks it against the facts file.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

logger = logging.getLogger(__name__)

# Nuke 17.0v3 default script values (nuke-facts) of the knobs the recipes emit.
FALLBACK_DEFAULTS: Dict[str, Dict[str, str]] = {
    "CopyCat": {"useGPUIfAvailable": "true", "modelSize": "Medium", "batchSizeType": "Auto",
                "batchSize": "8", "cropSize": "256", "checkpointInterval": "1000",
                "imageInterval": "100", "useMultiResolution": "true", "initialWeights": "None",
                "epochs": "10000"},
    "Grade": {"black_clamp": "true", "white_clamp": "false", "channels": "rgb"},
    "Remove": {"operation": "remove", "channels": "all"},
    "Colorspace": {"colorspace_in": "RGB", "colorspace_out": "RGB", "illuminant_in": "D65",
                   "illuminant_out": "D65", "primary_in": "sRGB", "primary_out": "sRGB",
                   "channels": "rgb"},
    "Median": {"size": "3", "channels": "rgb"},
    "Crop": {"reformat": "false", "crop": "true", "intersect": "false"},
    "Dissolve": {"which": "0", "channels": "all"},
    "Merge2": {"operation": "over", "bbox": "union"},
    "FrameHold": {"firstFrame": "1"},
    "FrameRange": {"first_frame": "0", "last_frame": "-123"},
    "AppendClip": {"firstFrame": "1", "meta_from_first": "false"},
    "Log2Lin": {"operation": "log2lin"},
    "MatchGrade": {"matchGradeTask": "Match Graded Source", "analysisType": "Analyze Reference Frames",
                   "output": "Matched", "transform": "3D LUT", "prelut": "Auto Detect",
                   "lutres": "32", "sourceRefFrames": "0", "targetRefFrames": "0"},
    "Inference": {"halfPrecision": "false", "useGPUIfAvailable": "true"},
    "Write": {"channels": "rgb", "create_directories": "false", "file_type": " ",
              "use_limit": "false"},
    "Read": {"colorspace": "default", "raw": "false", "first": "1", "last": "1", "origfirst": "1",
             "origlast": "1", "origset": "false", "on_error": "error"},
    "Reformat": {"resize": "width", "center": "true", "filter": "cubic", "black_outside": "false",
                 "type": "to format"},
    "Transform": {"rotate": "0", "scale": "1", "translate": "0 0"},
    "Blur": {"size": "0", "channels": "all"},
    "Shuffle2": {"in1": "rgba", "in2": "none"},
    "PostageStamp": {"postage_stamp": "true", "hide_input": "false"},
    "OFXuk.co.thefoundry.furnace.f_align_v403": {
        "scale": "false", "rotate": "true", "translate": "true", "perspective": "false",
        "range": "Source Clip Range", "filtering": "Medium", "renderOn": "true", "accuracy": "0.9"},
}

# Knobs Nuke writes whatever their value.
ALWAYS = {"name", "xpos", "ypos", "inputs", "label", "addUserKnob"}
# Knobs whose scanned "default" is really the scan session's format (2048 x 1556): written always,
# so a box or centre that happens to equal it never depends on the project format.
ALWAYS_FOR = {"Crop": {"box"}, "Transform": {"center"}}

# Knobs Nuke writes on save even at their default: every such node of the real Nuke-saved files in
# the test corpus writes them (tests/nk/test_fidelity.py checks each against those files):
# FrameRange `time ""` (13 of 13 nodes), AppendClip `meta_from_first false` and `time ""` (2 of 2),
# MatchGrade `serializeKnob` (2 of 2; an unanalysed MatchGrade writes the scan's default, below).
MATCHGRADE_SERIALIZE_DEFAULT = '"0 0 0 0 0 0 1 1 1 0 18446744073709551615 18446744073709551615"'
ON_SAVE: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "FrameRange": (("time", '""'),),
    "AppendClip": (("meta_from_first", "false"), ("time", '""')),
    "MatchGrade": (("serializeKnob", MATCHGRADE_SERIALIZE_DEFAULT),),
    # the one TimeOffset of the corpus (NST_X_Aton_Examples.nk) writes `time ""` after time_offset
    "TimeOffset": (("time", '""'),),
}
# The same per file format: an EXR Write writes `first_part rgba` (6 of the 7 EXR Writes of the
# corpus; the 7th chose `none`).
ON_SAVE_FILE_TYPE: Dict[Tuple[str, str], Tuple[Tuple[str, str], ...]] = {
    ("Write", "exr"): (("first_part", "rgba"),),
}
# Root in OCIO mode: the viewer/LUT knobs every real Nuke-saved OCIO script of the corpus writes
# (6 of 6 files, whatever the config: OCIO roles).
ROOT_OCIO_LUTS: Tuple[Tuple[str, str], ...] = (
    ("defaultViewerLUT", "OCIO LUTs"), ("workingSpaceLUT", "scene_linear"),
    ("int8Lut", "matte_paint"), ("int16Lut", "texture_paint"), ("logLut", "compositing_log"),
    ("floatLut", "scene_linear"),
)
# Root `monitorLut` under Nuke's own ACES 1.x configs (`aces_1.0.3`, `aces_1.1`, `aces_1.2`): 5 of 5
# corpus scripts with such a config write `monitorLut "sRGB (ACES)"` (the config's display "ACES",
# view "sRGB"). Not written for other configs: no real file shows how Nuke names the display and
# view of the OCIO v2 configs there, so Nuke's own default view applies. `monitorOutLUT` is not
# written for any: the corpus has both "sRGB (ACES)" and "Rec.709 (ACES)" (a user's choice).
ACES1_MONITOR_LUT = ("monitorLut", "sRGB (ACES)")


def monitor_lut_for(ocio_config: str) -> Optional[Tuple[str, str]]:
    """The Root ``monitorLut`` knob Nuke writes for ``ocio_config``, or None where not evidenced."""
    return ACES1_MONITOR_LUT if ocio_config.startswith("aces_1.") else None


# Read `file_type` from the file's suffix. Nuke 13 and later write it on every Read with a file
# (corpus: `input_seq_####.jpg` -> `file_type jpeg`, .png -> png, .exr -> exr); the value must be an
# item of the 17.0v3 Read file_type menu, where `.jpg`/`.tif` are `jpeg`/`tiff`.
_SUFFIX_TYPE = {"jpg": "jpeg", "tif": "tiff"}


def file_type_for(cls: str, path: str) -> Optional[str]:
    """The ``file_type`` Nuke writes for ``path`` on ``cls`` (Read/Write), or None if not evidenced."""
    base = path.rsplit("/", 1)[-1]
    if "." not in base:
        return None
    suffix = base.rsplit(".", 1)[-1].lower()
    value = _SUFFIX_TYPE.get(suffix, suffix)
    schema = _schema()
    menu = schema.enum_values(cls, "file_type") if schema is not None else None
    if menu is None:
        return value if value in ("exr", "jpeg", "png", "dpx", "tiff") else None
    return value if value in menu else None


def on_save(cls: str, present: Dict[str, str]) -> List[Tuple[str, str]]:
    """The (knob, raw value) pairs Nuke writes on save for ``cls`` that ``present`` lacks."""
    out = [kv for kv in ON_SAVE.get(cls, ()) if kv[0] not in present]
    file_type = present.get("file_type")
    if file_type:
        out += [kv for kv in ON_SAVE_FILE_TYPE.get((cls, file_type.strip('"')), ())
                if kv[0] not in present]
    return out


# Generic order: class knobs first (in the order set), then these, as real files write them.
_TAIL = ["name", "tile_color", "label", "note_font", "note_font_size", "note_font_color",
         "selected", "xpos", "ypos", "bdwidth", "bdheight", "z_order"]
_HEAD = ["inputs"]


@lru_cache(maxsize=1)
def _schema():
    try:
        from ..nk.schema import load_schema  # H2's compiled schema, when present
    except ImportError:
        return None
    try:
        return load_schema()
    except Exception as exc:  # noqa: BLE001 - a broken schema must not break building
        logger.warning("knob schema unavailable, using built-in defaults: %s", exc)
        return None


def _norm(raw: str) -> str:
    text = raw.strip()
    if len(text) >= 2 and text[0] in "{\"" and text[-1] in "}\"":
        text = text[1:-1].strip()
    parts = text.split()
    out = []
    for p in parts:
        try:
            f = float(p)
            out.append(repr(f))
        except ValueError:
            out.append(p)
    # "1 1" for a 2-vector default of 1 is written as a single "1".
    if len(out) > 1 and len(set(out)) == 1:
        out = out[:1]
    return " ".join(out)


@lru_cache(maxsize=1 << 16)
def is_default(cls: str, knob: str, raw: str) -> bool:
    """True when ``raw`` is the class default of ``knob`` (so Nuke would not write it)."""
    if knob in ALWAYS or knob in ALWAYS_FOR.get(cls, ()):
        return False
    schema = _schema()
    if schema is not None:
        try:
            res = schema.is_default(cls, knob, raw)
            if res is not None:
                return bool(res)
        except Exception:  # noqa: BLE001 - fall back to the table below
            pass
    default = FALLBACK_DEFAULTS.get(cls, {}).get(knob)
    if default is None:
        return False
    return _norm(raw) == _norm(default)


@lru_cache(maxsize=1024)
def knob_order(cls: str) -> Optional[List[str]]:
    schema = _schema()
    if schema is None:
        return None
    try:
        order = schema.knob_order(cls)
    except Exception:  # noqa: BLE001
        return None
    return list(order) if order else None


def sort_knobs(cls: str, names: List[str]) -> List[str]:
    """``names`` in the order Nuke writes them for ``cls``; stable for knobs the order lacks."""
    return [names[i] for i in sort_index(cls, tuple(names))]


@lru_cache(maxsize=1 << 14)
def sort_index(cls: str, names: Tuple[str, ...]) -> Tuple[int, ...]:
    """The positions of ``names`` in writing order (cached: the same node shapes recur)."""
    order = knob_order(cls)
    if order:
        idx = {k: i for i, k in enumerate(order)}
        keys = []
        last = -1.0
        for pos, name in enumerate(names):
            if name in idx:
                last = float(idx[name])
                keys.append((last, pos))
            else:
                keys.append((last + 0.5, pos))
        return tuple(p for _k, p in sorted(keys))
    tail = {k: i for i, k in enumerate(_TAIL)}

    def key(pos: int):
        name = names[pos]
        if name in _HEAD:
            return (0, 0, pos)
        if name in tail:
            return (2, tail[name], pos)
        return (1, 0, pos)

    return tuple(sorted(range(len(names)), key=key))
