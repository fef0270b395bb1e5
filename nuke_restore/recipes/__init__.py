"""Recipes: build every restoration graph of a job config (see docs/workflow.md).

>>> from nuke_restore.config import config_from_dict
>>> from nuke_restore.recipes import build_scripts
>>> cfg = config_from_dict({
...     "project": {"name": "DEMO", "format": {"width": 1024, "height": 768}},
...     "clips": {"main": {"source": "src/SRC_####.exr", "reference": "ref/REF_####.exr",
...                        "first": 1001, "last": 1040}},
...     "procedures": ["chroma"]})
>>> [(b.kind, b.relpath, b.copycat_nodes) for b in build_scripts(cfg)]
... # doctest: +NORMALIZE_WHITESPACE
[('training', 'main_ALL_chroma_training.nk', ['CopyCat_CHROMA']),
 ('inference', 'main_ALL_chroma_inference.nk', [])]
"""
from __future__ import annotations

from .build import BuiltScript, build_scripts, build_to_dir, validate_built
from .rules import marker, rules_for, run_rules
from .sample import sample_config_text

__all__ = ["BuiltScript", "build_scripts", "build_to_dir", "validate_built", "marker", "rules_for",
           "run_rules", "sample_config_text"]
