"""Job configs: YAML in, a checked ``JobConfig`` out, plus the template search path.

>>> from nuke_restore.config import config_from_dict
>>> cfg = config_from_dict({
...     "project": {"name": "DEMO", "format": {"width": 1024, "height": 768}},
...     "clips": {"main": {"source": "src/SRC_####.exr", "reference": "ref/REF_####.exr",
...                        "first": 1001, "last": 1040}},
...     "shots": [{"name": "SH010", "first": 1001, "last": 1040}],
...     "procedures": ["chroma"]})
>>> cfg.shots[0].train, cfg.shots[0].preview
([1001, 1014, 1027, 1040], 1007)
"""
from __future__ import annotations

from .model import (
    Alignment,
    Clip,
    CopyCatSettings,
    Format,
    InferenceSettings,
    JobConfig,
    Procedure,
    Project,
    Provenance,
    Shot,
    Stage,
    TransformKey,
    config_from_dict,
    escalate,
    load_config,
    pick_frames,
    pick_preview,
    resolve_crop_size,
    training_schedule,
)
from .templates import ENV_VAR as TEMPLATE_PATH_ENV
from .templates import list_templates, load_preset, load_procedure, search_path

__all__ = [
    "Alignment", "Clip", "CopyCatSettings", "Format", "InferenceSettings", "JobConfig", "Procedure",
    "Project", "Provenance", "Shot", "Stage", "TransformKey", "config_from_dict", "escalate",
    "load_config", "pick_frames", "pick_preview", "resolve_crop_size", "training_schedule",
    "TEMPLATE_PATH_ENV", "list_templates", "load_preset", "load_procedure", "search_path",
]
