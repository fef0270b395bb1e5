"""Property: any valid config builds deterministically and every script validates with no error."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nuke_restore.config import config_from_dict
from nuke_restore.recipes import build_scripts, validate_built

# More examples locally: NUKE_RESTORE_PROPERTY_EXAMPLES=200 pytest tests/recipes/test_property.py
MAX_EXAMPLES = int(os.environ.get("NUKE_RESTORE_PROPERTY_EXAMPLES", "12"))
PROCS = ["chroma", "chroma_nonref", "spatial", "combined", "telecine", "baseline"]


@st.composite
def configs(draw):
    w = draw(st.integers(256, 4096))
    h = draw(st.integers(256, 3072))
    first = draw(st.integers(0, 5000))
    n_shots = draw(st.integers(1, 4))
    lengths = [draw(st.integers(8, 60)) for _ in range(n_shots)]
    shots, f = [], first
    for i, n in enumerate(lengths):
        shot = {"name": f"SH{i + 1:03d}", "first": f, "last": f + n - 1,
                "scene": f"SC{draw(st.integers(1, 2))}"}
        if draw(st.booleans()):
            k = draw(st.integers(3, 6))
            frames = sorted(draw(st.sets(st.integers(f, f + n - 1), min_size=k, max_size=k)))
            shot["train"] = frames
        shots.append(shot)
        f += n
    x0 = draw(st.integers(0, w // 4))
    y0 = draw(st.integers(0, h // 4))
    crop = [x0, y0, draw(st.integers(x0 + 64, w)), draw(st.integers(y0 + 64, h))]
    mode = draw(st.sampled_from(["auto", "manual", "both", "none"]))
    alignment = {"mode": mode, "crop": crop}
    if draw(st.booleans()):  # a keyed crop (subtitles that come and go)
        alignment["crop"] = {shots[0]["first"]: crop,
                             shots[-1]["last"]: [crop[0], crop[1] + 8, crop[2], crop[3]]}
        alignment["live_area"] = crop
    if mode in ("manual", "both") and draw(st.booleans()):
        alignment["transforms"] = {s["first"]: {"translate": [draw(st.floats(-20, 20)), 1.5],
                                               "rotate": 0.25, "scale": 1.0}
                                   for s in shots}
    procs = draw(st.lists(st.sampled_from(PROCS), min_size=1, max_size=3, unique=True))
    procedures = []
    for p in procs:
        item = {"type": p}
        if p == "chroma_nonref":
            item.update(citation="painted keyframes", assumptions="estimates",
                        pair_type=draw(st.sampled_from(["constructed-painted", "artwork"])))
        if p == "chroma":
            item["target_luma"] = draw(st.sampled_from(["source", "matched"]))
        if p in ("spatial", "combined"):
            item["source_median"] = draw(st.integers(0, 5))
        procedures.append(item)
    copycat = {"batch_size": draw(st.integers(1, 8))}
    target = draw(st.sampled_from(["none", "steps", "epochs"]))
    if target != "none":
        copycat[target] = draw(st.integers(100, 100000))
    clips = {"main": {"source": "src/S_####.exr", "reference": "ref/R_%04d.exr",
                      "first": first, "last": f - 1}}
    if draw(st.booleans()):  # a second reel with its own shot
        clips["reel2"] = {"source": "r2/S_####.exr", "reference": "r2/R_####.exr", "first": 1,
                          "last": 30}
        shots.append({"name": "R2_010", "clip": "reel2", "scene": "SC1"})
        for s_ in shots[:-1]:
            s_["clip"] = "main"
    return {
        "project": {"name": "PROP", "format": {"width": w, "height": h},
                    "non_commercial": draw(st.booleans())},
        "clips": clips,
        "shots": shots,
        "granularity": draw(st.sampled_from(["shot", "scene", "sequence"])),
        "dataset": {"validation_fraction": draw(st.sampled_from([0, 0.2])),
                    "escalate": draw(st.integers(0, 1))},
        "alignment": alignment,
        "copycat": copycat,
        "inference": {"clamp": draw(st.booleans())},
        "procedures": procedures,
    }


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_random_configs_build_and_validate(tmp_path_factory, data):
    path = str(tmp_path_factory.mktemp("prop") / "job.yaml")
    cfg = config_from_dict(data, path=path)
    a = build_scripts(cfg)
    b = build_scripts(config_from_dict(data, path=path))
    assert [x.text for x in a] == [y.text for y in b]
    for x in a:
        assert validate_built(x) == [], (x.relpath, validate_built(x))
