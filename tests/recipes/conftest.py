"""Job configs used by the recipe tests."""
from __future__ import annotations

import copy

import pytest

from nuke_restore.config import config_from_dict
from nuke_restore.recipes import sample_config_text

MURALLA = {
    "version": 1,
    "project": {"name": "MURALLA", "film_title": "La Muralla Verde",
                "format": {"width": 4096, "height": 3072, "name": "MURALLA_4K"}, "fps": 24},
    "clips": {"main": {"source": "plates/MURALLA_SOURCE_####.exr",
                       "reference": "plates/MURALLA_REF_####.exr",
                       "balanced": "plates/MURALLA_BAL_####.exr", "first": 400, "last": 600}},
    "shots": [{"name": "VFX0050", "first": 471, "last": 499, "scene": "SC01",
               "train": [471, 478, 492, 499], "preview": 485},
              {"name": "VFX0060", "first": 500, "last": 560, "scene": "SC01"}],
    "alignment": {"mode": "both", "roi": [889, 457, 3766, 2619],
                  "crop": {471: [0, 300, 4096, 3072], 480: [0, 600, 4096, 3072]},
                  "live_area": [664, 360, 4004, 2815],
                  "transforms": {471: {"translate": [12.5, -3], "rotate": 0.2, "scale": 1.01},
                                 499: {"translate": [13.0, -3], "rotate": 0.2, "scale": 1.01}},
                  "which": {471: 1, 499: 0}},
    "copycat": {"epochs": 30000},
    "provenance": {"restorationist": "F. B.", "institution": "Archive",
                   "training_date": "2024-05-01", "processing_date": "2024-05-03"},
    "procedures": [
        {"type": "chroma"},
        {"name": "chroma_m", "type": "chroma", "target_luma": "matched"},
        {"type": "chroma_nonref", "pair_type": "artwork", "citation": "Pancho Fierro paintings",
         "assumptions": "period palette", "reference": "art/ART_####.exr"},
        {"type": "spatial", "source_median": 3},
        {"type": "combined", "source_median": 3},
        {"type": "telecine"},
        {"type": "baseline", "matchgrade_task": "Match Different Clip"},
    ],
}


@pytest.fixture
def muralla_dict():
    return copy.deepcopy(MURALLA)


@pytest.fixture
def muralla(tmp_path, muralla_dict):
    return config_from_dict(muralla_dict, path=str(tmp_path / "job.yaml"))


@pytest.fixture
def sample_cfg(tmp_path):
    from nuke_restore.config import load_config

    p = tmp_path / "job.yaml"
    p.write_text(sample_config_text())
    return load_config(p)
