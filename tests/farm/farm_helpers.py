"""Helpers for the farm tests: a small, fixed set of built scripts (independent of the recipes)."""
from __future__ import annotations

from pathlib import Path

from nuke_restore.farm import FarmSettings, PathMap, ScriptSpec, build_plan

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"

TRAIN_NK = """Root {
 inputs 0
 first_frame 1001
 last_frame 1040
}
CopyCat {
 inputs 3
 dataDirectory /Volumes/show/training/{shot}_{proc}
 batchSizeType Manual
 batchSize {batch}
 name CopyCat_{proc}
 xpos 0
 ypos 0
}
"""


INFER_NK = """Root {
 inputs 0
}
Inference {
 modelFile training/{shot}_{proc}/{shot}_{proc}.40000.cat
 name Inference1
}
"""


def make_specs(batch: int = 4, shots=("SH010",), procedures=("chroma",)) -> list:
    specs = []
    for shot in shots:
        for proc in procedures:
            specs.append(ScriptSpec(
                shot=shot, procedure=proc, kind="training",
                relpath=f"{shot}/{shot}_{proc}_train.nk",
                text=TRAIN_NK.replace("{shot}", shot).replace("{proc}", proc)
                .replace("{batch}", str(batch)),
                copycat_nodes=(f"CopyCat_{proc}",), batch_size=batch,
                batch_field="procedures[0].copycat.batch_size"))
            specs.append(ScriptSpec(
                shot=shot, procedure=proc, kind="inference",
                relpath=f"{shot}/{shot}_{proc}_inference.nk",
                text=INFER_NK.replace("{shot}", shot).replace("{proc}", proc),
                write_nodes=((f"Write_{proc}", f"/Volumes/show/renders/{shot}_{proc}.####.exr"),),
                frames=(1001, 1040)))
    return specs


def make_settings(**overrides) -> FarmSettings:
    values = dict(world_size=4, cue_user="artist", batch_name="DEMO",
                  path_maps=(PathMap.parse("/Volumes/show=/mnt/show"),))
    values.update(overrides)
    return FarmSettings(**values).validate()


def make_plan(specs=None, out_root="/Volumes/show/farm", qc=True, **overrides):
    settings = make_settings(**overrides)
    builder = (lambda shot, renders: [("nuke-restore", "qc", "--shot", shot)]) if qc else None
    return build_plan(specs if specs is not None else make_specs(), settings, out_root,
                      qc_builder=builder)
