"""A job like a real one for the .nk template tests: one clip, three shots with different
training-frame counts, keyed manual alignment, a picture crop and a live area."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Dict, List, Optional

from nuke_restore.config import config_from_dict
from nuke_restore.nk.model import Script
from nuke_restore.recipes import build_scripts
from nuke_restore.recipes import template_roles as tr

JOB = {
    "version": 1,
    "project": {"name": "REEL2", "film_title": "Reel two",
                "format": {"width": 1024, "height": 778, "name": "REEL2_1K"}, "fps": 24},
    "clips": {"main": {"source": "scans/reel2_src.####.dpx",
                       "reference": "ref/reel2_ref.####.jpg", "first": 400, "last": 620},
              # a second scan with its own numbering, a JPEG reference and an input transform
              "pickup": {"source": "scans/pickup/pk_src.%04d.dpx",
                         "reference": "ref/pickup/pk_ref.####.jpg", "first": 1001,
                         "last": 1100, "colorspace": "scene_linear"}},
    "shots": [
        {"name": "SH010", "clip": "main", "first": 471, "last": 499,
         "train": [471, 478, 492, 499], "preview": 485},
        {"name": "SH020", "clip": "main", "first": 500, "last": 560,
         "train": [502, 511, 520, 533, 547, 558], "preview": 540},
        {"name": "SH030", "clip": "pickup", "first": 1010, "last": 1049,
         "train": [1012, 1019, 1030, 1046], "preview": 1024},
    ],
    "alignment": {"mode": "both", "crop": [8, 6, 1016, 772], "live_area": [20, 16, 1004, 762],
                  "transforms": {471: {"translate": [2.5, -1], "rotate": 0.1, "scale": 1.01},
                                 499: {"translate": [3.0, -1], "rotate": 0.2, "scale": 1.01},
                                 505: {"translate": [-4.0, 2], "rotate": 0.0, "scale": 0.99},
                                 558: {"translate": [-4.5, 2.5], "rotate": 0.0, "scale": 0.99},
                                 1010: {"translate": [1.0, 0.5], "rotate": -0.3, "scale": 1.0},
                                 1049: {"translate": [1.5, 0.5], "rotate": -0.2,
                                        "scale": 1.0}}},
    "copycat": {"steps": 20000, "batch_size": 2},
    "provenance": {"restorationist": "T. D.", "institution": "Archive",
                   "training_date": "2026-01-01", "processing_date": "2026-01-02"},
    "procedures": [{"type": "chroma"}, {"type": "baseline"}],
}
KINDS = {"training": "chroma", "inference": "chroma", "baseline": "baseline"}


def job(tmp: Path, templates: Optional[Dict[str, List[str]]] = None) -> object:
    """The job config; ``templates`` maps procedure type -> .nk template names (in tmp/studio)."""
    data = copy.deepcopy(JOB)
    if templates:
        data["templates"] = ["studio"]
        for proc in data["procedures"]:
            if proc["type"] in templates:
                proc["template"] = templates[proc["type"]]
    (tmp / "studio" / "procedures").mkdir(parents=True, exist_ok=True)
    return config_from_dict(data, path=str(tmp / "job.yaml"))


def built(cfg, shot: str, kind: str, outdir: Path):
    proc = KINDS[kind]
    for b in build_scripts(cfg, shots=[shot], outdir=outdir):
        if b.kind == kind and b.procedure == proc:
            return b
    raise AssertionError(f"no {kind} script for {shot}")


def make_template(tmp: Path, kind: str, shot: str = "SH010", name: Optional[str] = None) -> Path:
    """`template init` of the recipe's script of ``shot``, saved in tmp/studio/procedures/."""
    b = built(job(tmp), shot, kind, tmp)
    text, report = tr.init_from_built(b.text, b.relpath)
    assert not report.errors, report.errors
    path = tmp / "studio" / "procedures" / (name or f"studio_{KINDS[kind]}_{kind}.nk")
    path.write_text(text)
    return path


SKIP = {"xpos", "ypos", "addUserKnob", tr.ROLE_KNOB, tr.TEMPLATE_KNOB, "nuke_restore_recipe",
        "inputs"}


def graph_view(script: Script) -> list:
    """Classes, names, wiring, clone links and every knob value that is not layout or a tag.
    Backdrop titles and sizes are the TD's (they are not roles) and are left out."""
    out = []
    for n in script.nodes:
        knobs = tuple(sorted((k.name, k.value) for k in n.knobs if k.name not in SKIP and not (
            n.cls == "BackdropNode" and k.name in ("label", "bdheight", "bdwidth"))))
        ins = tuple((i.cls, i.name) if i is not None else None for i in n.inputs)
        while ins and ins[-1] is None:
            ins = ins[:-1]
        clone = n.clone_of.name if n.clone_of is not None else None
        out.append((n.cls, n.name, clone, knobs, ins))
    return sorted(out, key=repr)


def frames_of(script: Script, append_name: str) -> List[str]:
    node = script.find(append_name)
    return [i.knob("firstFrame") for i in node.inputs if i is not None]
