"""Names and notes in built scripts: stage suffixes on Inference nodes, StickyNote titles."""
from __future__ import annotations

from nuke_restore.nk.parser import parse_text
from nuke_restore.recipes import build_scripts


def _by(built, proc, kind):
    return next(b for b in built if b.procedure == proc and b.kind == kind and b.unit == "VFX0050")


def test_inference_nodes_carry_their_stage_like_other_stage_nodes(muralla):
    built = build_scripts(muralla)
    single = parse_text(_by(built, "chroma", "inference").text)
    names = [n.name for n in single.walk() if n.cls == "Inference"]
    assert names == ["Inference_CHROMA"]  # as CopyCat_CHROMA in the training script
    multi = parse_text(_by(built, "combined", "inference").text)
    names = [n.name for n in multi.walk() if n.cls == "Inference"]
    assert names == ["S1_Inference_SPATIAL", "S2_Inference_CHROMA"]
    train = parse_text(_by(built, "combined", "training").text)
    assert [n.name for n in train.walk() if n.cls == "CopyCat"] == ["S1_CopyCat_SPATIAL",
                                                                  "S2_CopyCat_CHROMA"]


def test_sticky_note_titles_never_repeat_the_kind(muralla):
    built = build_scripts(muralla)
    for b in built:
        note = next(n for n in parse_text(b.text).walk() if n.cls == "StickyNote")
        first = note.knob("label").strip('"').split("\\n")[0]
        assert "baseline baseline" not in first and "training training" not in first, first
    note = next(n for n in parse_text(_by(built, "baseline", "baseline").text).walk()
                if n.cls == "StickyNote")
    assert "MatchGrade render script for procedure baseline" in note.knob("label")
