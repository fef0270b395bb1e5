"""Recipes: every built script validates; the R12 rules catch broken graphs; layout, determinism,
evidence (classes/knobs/enums), provenance and the per-procedure structure."""
from __future__ import annotations

import json
import re

from nuke_restore.nk.model import Node
from nuke_restore.nk.parser import parse_text
from nuke_restore.nk.validate import validate_script
from nuke_restore.nk.writer import write_script
from nuke_restore.recipes import build_scripts, rules_for, validate_built
from nuke_restore.recipes.graph import node_rect
from nuke_restore.recipes.provenance import EXR_KEYS, SIDECAR_FIELDS


def by(built, procedure, kind, unit=None):
    return next(b for b in built if b.procedure == procedure and b.kind == kind
                and (unit is None or b.unit == unit))


def node(script, name):
    return next(n for n in script.walk() if n.clone_of is None and n.name == name)


def errors(script):
    return [d for d in validate_script(script, rules=rules_for(script)) if d.severity == "error"]


def codes(script):
    return {d.code for d in errors(script)}


# -- every script validates ---------------------------------------------------------------------------
def test_all_built_scripts_validate(muralla, sample_cfg):
    built = build_scripts(muralla) + build_scripts(sample_cfg)
    assert len(built) > 40
    for b in built:
        assert rules_for(b.script), b.relpath  # recognised as ours
        assert validate_built(b) == [], b.relpath
        parsed = parse_text(b.text)
        assert errors(parsed) == [], b.relpath


def test_round_trip_and_determinism(muralla):
    a = build_scripts(muralla)
    b = build_scripts(muralla)
    assert [x.text for x in a] == [y.text for y in b]
    for x in a:
        assert write_script(parse_text(x.text)) == x.text, x.relpath


def test_rules_ignore_other_scripts(corpus_files):
    for path in corpus_files[:20]:
        script = parse_text(path.read_text(encoding="utf-8", errors="replace"))
        assert rules_for(script) == []


# -- the rules catch what they claim to ---------------------------------------------------------------
def _training(muralla):
    return parse_text(by(build_scripts(muralla), "chroma", "training", "VFX0050").text)


def test_rule_framehold_parity(muralla):
    s = _training(muralla)
    node(s, "FrameHold_REF_478").set("firstFrame", 479)
    assert "NR002" in codes(s)


def test_rule_preview_holdout(muralla):
    s = _training(muralla)
    node(s, "FrameHold_PREVIEW_485").set("firstFrame", 492)
    assert "NR003" in codes(s)


def test_rule_copycat_wiring(muralla):
    s = _training(muralla)
    node(s, "CopyCat_CHROMA").inputs[2] = None
    assert "NR006" in codes(s)
    s = _training(muralla)
    cc = node(s, "CopyCat_CHROMA")
    cc.inputs[0], cc.inputs[1] = cc.inputs[1], cc.inputs[0]
    assert "NR006" in codes(s)


def test_rule_clone_parity(muralla):
    s = _training(muralla)
    clone = next(n for n in s.walk() if n.clone_of is not None and n.clone_of.cls == "Crop")
    clone.clone_of = None
    clone.knobs = [k for k in clone.knobs] + []
    clone.set("name", "Crop_SRC_BYHAND")
    clone.set("box", [0, 0, 10, 10])
    assert "NR001" in codes(s)


def test_rule_shuffle_mode(muralla):
    s = _training(muralla)
    sh = node(s, "Shuffle_TARGET")
    sh.inputs[0], sh.inputs[1] = sh.inputs[1], sh.inputs[0]  # spatial wiring in a chroma job
    assert "NR004" in codes(s)
    s = _training(muralla)
    node(s, "Shuffle_TARGET").set("mappings", "4 rgba.red 0 0 rgba.red 0 0")
    assert "NR004" in codes(s)


def test_rule_clamps_and_alpha(muralla):
    s = _training(muralla)
    node(s, "Grade_CLAMP_SRC").remove_knob("white_clamp")
    assert "NR005" in codes(s)
    s = _training(muralla)
    node(s, "Remove_ALPHA_TGT").set("channels", "rgb")
    assert "NR005" in codes(s)


def test_rule_prefilter_parity(muralla):
    built = build_scripts(muralla)
    s = parse_text(by(built, "spatial", "inference", "VFX0050").text)
    med = node(s, "Median_SRC_PREFILTER")
    med.set("size", 5)
    assert "NR007" in codes(s)
    s = parse_text(by(built, "spatial", "training", "VFX0050").text)
    node(s, "Median_SRC_PREFILTER").set("size", 4)
    assert "NR007" in codes(s)


def test_rule_write_and_paths(muralla):
    built = build_scripts(muralla)
    s = parse_text(by(built, "chroma", "inference", "VFX0050").text)
    w = node(s, "Write_CHROMA")
    w.inputs[0] = w.inputs[0].inputs[0]  # bypass ModifyMetaData
    assert "NR011" in codes(s)
    s = parse_text(by(built, "chroma", "inference", "VFX0050").text)
    node(s, "Read_SRC").set("file", "/mnt/plates/SRC_####.exr")
    assert "NR012" in codes(s)
    s = parse_text(by(built, "chroma", "inference", "VFX0050").text)
    node(s, "Write_CHROMA").set("file_type", "png")
    assert "NR010" in codes(s)


def test_rule_inference_no_grade(muralla):
    s = parse_text(by(build_scripts(muralla), "chroma", "inference", "VFX0050").text)
    inf = node(s, "Inference_CHROMA")
    g = Node("Grade")
    g.set("name", "Grade_SNEAKY")
    g.set("white_clamp", True)
    g.inputs = [inf.inputs[0]]
    s.append(g)
    inf.inputs[0] = g
    assert "NR008" in codes(s)


def test_rule_matchgrade_clone(muralla):
    s = parse_text(by(build_scripts(muralla), "baseline", "baseline", "VFX0050").text)
    assert errors(s) == []
    clone = next(n for n in s.walk() if n.clone_of is not None and n.clone_of.cls == "MatchGrade")
    clone.clone_of = None
    clone.set("name", "MatchGrade_COPY")
    assert "NR009" in codes(s)
    s = parse_text(by(build_scripts(muralla), "baseline", "baseline", "VFX0050").text)
    fit = node(s, "MatchGrade_FIT")
    fit.inputs[0], fit.inputs[1] = fit.inputs[1], fit.inputs[0]
    assert "NR009" in codes(s)


# -- layout -------------------------------------------------------------------------------------------
def _overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_layout_no_overlap_top_to_bottom_backdrops(muralla, sample_cfg):
    for b in build_scripts(muralla) + build_scripts(sample_cfg)[:6]:
        nodes = [n for n in b.script.nodes if n.cls not in ("Root",)]
        plain = [n for n in nodes if n.cls != "BackdropNode"]
        rects = [(n, node_rect(n)) for n in plain]
        assert all(r is not None for _n, r in rects), b.relpath
        for i in range(len(rects)):
            for j in range(i + 1, len(rects)):
                assert not _overlap(rects[i][1], rects[j][1]), \
                    (b.relpath, rects[i][0], rects[j][0])
        for n in plain:
            for src in n.inputs:
                if src is not None:
                    assert node_rect(src)[1] < node_rect(n)[1], (b.relpath, src, n)
        backdrops = [node_rect(n) for n in nodes if n.cls == "BackdropNode"]
        labels = [n.knob("label") for n in nodes if n.cls == "BackdropNode"]
        assert len(backdrops) >= 3 and all(labels)
        for n in plain:
            if n.cls == "StickyNote":
                continue
            r = node_rect(n)
            assert any(bd[0] <= r[0] and r[0] + r[2] <= bd[0] + bd[2] and bd[1] <= r[1]
                       and r[1] + r[3] <= bd[1] + bd[3] for bd in backdrops), (b.relpath, n)
        assert sum(1 for n in nodes if n.cls == "StickyNote") == 1


# -- structure per procedure --------------------------------------------------------------------------
def test_muralla_chroma_structure(muralla):
    built = build_scripts(muralla)
    b = by(built, "chroma", "training", "VFX0050")
    s = b.script
    cc = node(s, "CopyCat_CHROMA")
    assert cc.knob("epochs") == "30000" and cc.knob("batchSize") == "3"
    assert cc.knob("cropSize") == "512" and cc.knob("batchSizeType") == "Manual"
    assert cc.knob("checkpointInterval") == "10000"
    assert cc.knob("modelSize") is None and cc.knob("useGPUIfAvailable") is None  # defaults
    assert cc.knob("dataDirectory") == "pipeline/03_copycat_training/VFX0050/chroma/"
    assert "40000 steps" in cc.knob("label")
    for side in ("SRC", "REF"):
        app = node(s, f"AppendClip_{side}")
        assert [i.knob("firstFrame") for i in app.inputs] == ["471", "478", "492", "499"]
    assert cc.input(2).knob("firstFrame") == "485"
    assert node(s, "Read_SRC").knob("file") == "plates/MURALLA_BAL_####.exr"  # balanced Source
    # Keyed crop and alignment, Dissolve which keyed per frame.
    assert node(s, "Crop_PICTURE").knob("box").startswith("{0 {curve x471 300 x480 600}")
    assert node(s, "Dissolve_ALIGN").knob("which") == "{{curve x471 1 x499 0}}"
    assert "curve" in node(s, "Transform_ALIGN").knob("translate")
    fa = node(s, "F_Align")
    assert fa.cls == "OFXuk.co.thefoundry.furnace.f_align_v403"
    assert (fa.knob("scale"), fa.knob("perspective"), fa.knob("range"), fa.knob("filtering")) \
        == ("true", "true", '"Current Frame"', "High")
    assert fa.knob("regionBL") == "{889 457}" and fa.knob("regionTR") == "{3766 2619}"
    assert fa.knob("rotate") is None and fa.knob("accuracy") is None  # defaults
    assert fa.input(0) is node(s, "Reformat_REF") and fa.input(1) is node(s, "Read_SRC")
    # The Reference is brought to the project format right after its Read (no retime: same numbers).
    assert node(s, "Reformat_REF").input(0) is node(s, "Read_REF")
    assert node(s, "Reformat_REF").knob("format") == '"4096 3072 0 0 4096 3072 1 MURALLA_4K"'
    assert b.copycat_nodes == ["CopyCat_CHROMA"] and b.batch_size == 3
    inf = by(built, "chroma", "inference", "VFX0050")
    live = node(inf.script, "Crop_LIVE_AREA")
    # Renders keep the scan's format: the live-area Crop blacks out, it does not reformat.
    assert live.knob("box") == "{664 360 4004 2815}" and live.knob("reformat") is None
    assert live.knob("crop") is None  # the default: on, black outside the box
    assert node(inf.script, "Inference_CHROMA").knob("modelFile").endswith("VFX0050_chroma.40000.cat")
    assert not [n for n in inf.script.walk() if n.cls in ("Grade", "Median", "Remove")]


def test_granularity_scene_pools_shots(muralla_dict, tmp_path):
    from nuke_restore.config import config_from_dict

    muralla_dict["granularity"] = "scene"
    muralla_dict["procedures"] = ["chroma"]
    cfg = config_from_dict(muralla_dict, path=str(tmp_path / "job.yaml"))
    built = build_scripts(cfg)
    assert {b.unit for b in built} == {"SC01"}
    app = node(built[0].script, "AppendClip_SRC")
    frames = [int(i.knob("firstFrame")) for i in app.inputs]
    assert frames[:4] == [471, 478, 492, 499] and len(frames) > 4 and max(frames) > 499
    assert built[0].metadata["frame_range"] == "471-560"


def test_matched_luma_and_nonref(muralla):
    built = build_scripts(muralla)
    s = by(built, "chroma_m", "training", "VFX0050").script
    assert node(s, "Merge_MATCHED_LUMA").knob("operation") == "plus"
    assert node(s, "Merge_DETAIL_SRC").knob("operation") == "from"
    assert "MATCHED LUMA" in node(s, "PostageStamp_REF").knob("label")
    nr = by(built, "chroma_nonref", "training", "VFX0050")
    assert not [n for n in nr.script.walk() if n.cls in ("Transform", "Dissolve")]
    assert not [n for n in nr.script.walk() if "f_align" in n.cls]
    assert node(nr.script, "Read_REF").knob("file") == "art/ART_####.exr"
    assert "Pancho Fierro" in nr.text
    side = by(built, "chroma_nonref", "inference", "VFX0050").metadata
    assert side["extended"]["reference_material"] == {
        "type": "artwork", "registered": False, "citation": "Pancho Fierro paintings",
        "assumptions": "period palette"}


def test_multistage_chaining(muralla):
    built = build_scripts(muralla)
    tr = by(built, "combined", "training", "VFX0050")
    assert tr.copycat_nodes == ["S1_CopyCat_SPATIAL", "S2_CopyCat_CHROMA"]
    s = tr.script
    chained = [n for n in s.walk() if n.cls == "Inference"]
    assert len(chained) == 1  # stage 1's model feeds stage 2's Source
    assert chained[0].input(0).name == "S1_Median_SRC_PREFILTER"
    # Stage 2's Source stack descends from the chained Inference.
    src2 = node(s, "S2_FrameRange_SRC")
    from nuke_restore.recipes.rules import upstream

    assert chained[0] in list(upstream(src2))
    inf = by(built, "combined", "inference", "VFX0050").script
    i2 = node(inf, "S2_Inference_CHROMA")
    assert i2.input(0) is node(inf, "S1_Inference_SPATIAL")
    tele = by(built, "telecine", "training", "VFX0050").script
    ref2 = node(tele, "S2_FrameRange_REF")
    assert any(n.cls == "Inference" for n in upstream(ref2))  # model 1 builds model 2's target


def test_baseline_matchgrade(muralla):
    b = by(build_scripts(muralla), "baseline", "baseline", "VFX0050")
    fit = node(b.script, "MatchGrade_FIT")
    assert fit.knob("matchGradeTask") == '"Match Different Clip"'
    assert fit.knob("prelut") == "Logarithmic" and fit.knob("lutres") == "64"
    assert fit.knob("sourceRefFrames") == "{{curve x1 1 2 3 4}}"  # keys 1-4, as Nuke writes them
    assert fit.knob("transform") is None  # 3D LUT is the default
    assert b.write_nodes[0][1].startswith("pipeline/05_matchgrade_render/VFX0050/")


def test_non_commercial(muralla_dict, tmp_path):
    from nuke_restore.config import config_from_dict

    muralla_dict["project"]["non_commercial"] = True
    muralla_dict["procedures"] = ["chroma"]
    cfg = config_from_dict(muralla_dict, path=str(tmp_path / "job.yaml"))
    inf = by(build_scripts(cfg), "chroma", "inference", "VFX0050")
    assert node(inf.script, "Inference_CHROMA").knob("modelFile").endswith(".catnc")
    r = node(inf.script, "Reformat_HD")
    assert r.knob("resize") == "height" and r.knob("filter") == "Lanczos6"


# -- provenance ---------------------------------------------------------------------------------------
def test_provenance_everywhere(muralla):
    for b in build_scripts(muralla):
        for name, path in b.write_nodes:
            w = node(b.script, name)
            meta = w.input(0)
            assert meta.cls == "ModifyMetaData"
            keys = re.findall(r"\{set (exr/\w+) ", meta.knob("metadata"))
            assert keys == [f"exr/{k}" for k in EXR_KEYS]
            assert not path.startswith("/") and "_v001_" in path
        if b.kind != "training":
            assert list(b.metadata)[:len(SIDECAR_FIELDS)] == list(SIDECAR_FIELDS)
            assert b.metadata["nuke_script"] == b.relpath
            js = next(t for r, t in b.sidecars.items() if r.endswith("_metadata.json"))
            assert json.loads(js)["shot_id"] == b.unit
            assert any(r.endswith(f"{b.unit}_metadata.txt") for r in b.sidecars)
        assert "2026" not in b.text and "date" not in b.text.lower().replace("trainingdate", "") \
            .replace("processingdate", "")


# -- evidence: only classes, knobs and enum values Nuke knows ------------------------------------------
_GENERIC = {"name", "xpos", "ypos", "label", "inputs", "tile_color", "note_font_size", "bdwidth",
            "bdheight", "addUserKnob", "nuke_restore_recipe", "selected"}
_CONFIG_DEPENDENT = {("Read", "colorspace"), ("Write", "colorspace")}


def _corpus_knobs(corpus_files):
    seen = {}
    for path in corpus_files:
        try:
            s = parse_text(path.read_text(encoding="utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - a few corpus files need the lenient parser
            continue
        for n in s.walk():
            seen.setdefault(n.cls, set()).update(k.name for k in n.knobs)
    return seen


def test_only_evidenced_classes_knobs_and_enums(muralla, sample_cfg, knob_facts_path,
                                                corpus_files):
    facts = json.loads(knob_facts_path.read_text())["classes"]
    corpus = _corpus_knobs(corpus_files)
    from pathlib import Path

    from nuke_restore.config import load_config

    golden = Path(__file__).resolve().parents[1] / "golden"
    # Plus the jobs whose Reference is numbered otherwise (TimeOffset, keyed FrameHold, Reformat).
    mapped = [b for case in ("chroma_offset", "baseline_framemap")
              for b in build_scripts(load_config(golden / case / "job.yaml"))]
    assert {n.cls for b in mapped for n in b.script.walk()} >= {"TimeOffset", "Reformat",
                                                                  "FrameHold"}
    for b in build_scripts(muralla) + build_scripts(sample_cfg) + mapped:
        for n in b.script.walk():
            if n.clone_of is not None:
                continue
            assert n.cls in facts or n.cls in corpus, n.cls
            known = set(facts.get(n.cls, {}).get("knobs", {})) | corpus.get(n.cls, set())
            for k in n.knobs:
                if k.name in _GENERIC:
                    continue
                assert k.name in known, (b.relpath, n.cls, k.name)
                fact = facts.get(n.cls, {}).get("knobs", {}).get(k.name, {})
                if fact.get("allowed") and (n.cls, k.name) not in _CONFIG_DEPENDENT:
                    allowed = {a.split("\t")[0] for a in fact["allowed"]}
                    value = k.value.strip('"')
                    m = re.match(r"^\{\{(\d+)\} ([A-Z ]+)\}$", value)
                    if m:  # Shuffle2 fromInputN: {{index} menu...}, as `{{1} B A}` in real files
                        menu = m.group(2).split()
                        assert set(menu) <= {"B", "A"} and int(m.group(1)) < len(menu)
                        continue
                    assert value in allowed, (n.cls, k.name, value)


def test_fallback_defaults_match_facts(knob_facts_path):
    from nuke_restore.recipes.knobdefs import FALLBACK_DEFAULTS

    facts = json.loads(knob_facts_path.read_text())["classes"]
    for cls, knobs in FALLBACK_DEFAULTS.items():
        for knob, default in knobs.items():
            assert facts[cls]["knobs"][knob]["default"] == default, (cls, knob)


def test_two_clips_in_one_unit(tmp_path):
    from nuke_restore.config import config_from_dict

    cfg = config_from_dict({
        "project": {"name": "KNIGHTS", "format": {"width": 2048, "height": 1556}},
        "clips": {
            "reelA": {"source": "a/A_SRC_####.exr", "reference": "a/A_REF_####.exr", "first": 1,
                      "last": 50},
            "reelB": {"source": "b/B_SRC_####.exr", "reference": "b/B_REF_####.exr", "first": 1,
                      "last": 40}},
        "shots": [{"name": "A010", "clip": "reelA"}, {"name": "B010", "clip": "reelB"}],
        "granularity": "sequence",
        "alignment": {"mode": "auto"},
        "procedures": [{"type": "spatial", "source_median": 3}, "baseline"],
    }, path=str(tmp_path / "job.yaml"))
    built = build_scripts(cfg)
    assert {b.unit for b in built} == {"KNIGHTS_SEQ"}
    for b in built:
        assert validate_built(b) == [], (b.relpath, validate_built(b))
    tr = by(built, "spatial", "training").script
    frames = [(i.name) for i in node(tr, "AppendClip_SRC").inputs]
    assert any("reelA" in f for f in frames) and any("reelB" in f for f in frames)
    inf = by(built, "spatial", "inference")
    assert [w[0] for w in inf.write_nodes] == ["Write_SPATIAL_reelA", "Write_SPATIAL_reelB"]
    clones = [n for n in inf.script.walk() if n.clone_of is not None]
    assert {n.clone_of.cls for n in clones} >= {"Inference", "Crop", "Median"}


def test_stage_training_region(tmp_path):
    from nuke_restore.config import config_from_dict

    cfg = config_from_dict({
        "project": {"name": "T", "format": {"width": 1920, "height": 1080}},
        "clips": {"m": {"source": "s.####.exr", "reference": "r.####.exr", "first": 1,
                        "last": 40}},
        "alignment": {"mode": "auto", "crop": [240, 0, 1680, 1080]},
        "procedures": [{"type": "telecine", "stages": [
            {"pair": "spatial", "region": [100, 100, 400, 400]},
            {"pair": "spatial", "chain": "reference"}]}]}, path=str(tmp_path / "job.yaml"))
    tr = by(build_scripts(cfg), "telecine", "training")
    assert validate_built(tr) == []
    s = parse_text(tr.text)
    region = node(s, "S1_Crop_REGION")
    assert region.knob("box") == "{100 100 400 400}"
    assert node(s, "S1_CopyCat_SPATIAL").knob("cropSize") is None  # 256 (default): 300 px
    assert node(s, "S2_CopyCat_SPATIAL").knob("cropSize") == "512"
    clone = next(n for n in s.walk() if n.clone_of is region)
    clone.clone_of = None
    clone.set("name", "S1_Crop_BYHAND")
    assert "NR001" in codes(s)


def test_only_expected_findings(muralla):
    """Besides no errors: the only findings are the config-dependent OCIO names and the EXR-only
    Write `metadata` knob (not in the 17.0v3 scan, which lists no file-format knobs)."""
    expected = {("warning", "bad-enum-value", "Read", "colorspace"),
                ("warning", "bad-enum-value", "Write", "colorspace"),
                ("info", "legacy-knob", "Write", "metadata")}
    for b in build_scripts(muralla):
        s = parse_text(b.text)
        for d in validate_script(s, rules=rules_for(s)):
            cls = node(s, d.node).cls if d.node else None
            assert (d.severity, d.code, cls, d.knob) in expected, (b.relpath, d)


def test_composite_of_prints_source(tmp_path):
    from nuke_restore.config import config_from_dict

    cfg = config_from_dict({
        "project": {"name": "KNIGHTS", "format": {"width": 2048, "height": 1556}},
        "clips": {"m": {"source": "a/PRINT_A_####.exr", "reference": "r/REF_####.exr",
                        "first": 1, "last": 40,
                        "composite": {"source": "b/PRINT_B_####.exr", "matte": "m/M_####.png",
                                      "transforms": {1: {"translate": [3, 1]},
                                                     40: {"translate": [4, 1.5]}}}}},
        "alignment": {"mode": "auto"},
        "procedures": ["spatial", "baseline"]}, path=str(tmp_path / "job.yaml"))
    for b in build_scripts(cfg):
        assert validate_built(b) == [], b.relpath
        s = b.script
        km = node(s, "Keymix_PRINTS")
        assert km.input(0) is node(s, "Read_SRC")
        assert km.input(1) is node(s, "Transform_PRINT_B")
        assert km.input(2) is node(s, "Read_MATTE") and node(s, "Read_MATTE").knob("raw") == "true"
        assert node(s, "Transform_PRINT_B").knob("translate") == \
            "{{curve x1 3 x40 4} {curve x1 1 x40 1.5}}"
        assert node(s, "Transform_PRINT_B").knob("center") == "{1024 778}"  # always written
        # Everything downstream uses the composite, never print A alone.
        users = [n for n in s.walk() if node(s, "Read_SRC") in n.inputs]
        assert [u.name for u in users] == ["Keymix_PRINTS"]


def test_scripts_are_ascii_unless_the_config_is_not(muralla):
    for b in build_scripts(muralla):
        assert b.text.isascii(), b.relpath
