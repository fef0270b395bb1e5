"""Reference numbering in built scripts: ``reference_offset`` and ``frame_map`` per clip.

The Reference is retimed into source frame numbers right after its Read (TimeOffset for an offset,
a FrameHold keyed per source frame for a table), reformatted to the project format, and every
dataset FrameHold on the Reference side shows the mapped reference frame.
"""
from __future__ import annotations

import json

import pytest

from nuke_restore.config import load_config
from nuke_restore.errors import ConfigError
from nuke_restore.nk.parser import parse_text
from nuke_restore.nk.validate import validate_script
from nuke_restore.nk.values import curve_keys
from nuke_restore.recipes import build_scripts, rules_for

JOB = """\
version: 1
project:
  name: REAL
  format: {width: 768, height: 576}
clips:
  main:
    source: scan/scan.####.dpx
    reference: dvd/dvd.####.jpg
    first: 1001
    last: 1024
EXTRA
shots:
  - {name: SH010, first: 1001, last: 1012}
  - {name: SH020, first: 1013, last: 1024}
procedures: [chroma, baseline]
"""


def _job(tmp_path, extra: str, fmap=None):
    if fmap is not None:
        (tmp_path / "conform.json").write_text(json.dumps(fmap, indent=1))
    p = tmp_path / "job.yaml"
    p.write_text(JOB.replace("EXTRA", extra))
    return p


def _node(script, name):
    return next(n for n in script.walk() if n.clone_of is None and n.name == name)


def _errors(text):
    s = parse_text(text)
    return [d for d in validate_script(s, rules=rules_for(s)) if d.severity == "error"]


def test_offset_retimes_the_reference_once(tmp_path):
    cfg = load_config(_job(tmp_path, "    reference_offset: -1000"))
    built = build_scripts(cfg, outdir=tmp_path)
    tr = next(b for b in built if b.kind == "training" and b.unit == "SH010")
    s = parse_text(tr.text)
    read = _node(s, "Read_REF")
    # The Reference Read covers the reference's own numbers (1..24), not the scan's.
    # (first 1 is Read's default, so it is not written)
    assert (read.knob("first"), read.knob("last"), read.knob("origlast")) == (None, "24", "24")
    off = _node(s, "TimeOffset_REF")
    assert off.input(0) is read and off.knob("time_offset") == "1000"
    assert _node(s, "Reformat_REF").input(0) is off
    # Both stacks hold the same source frames; the Reference side says which reference frame.
    src = [n for n in _node(s, "AppendClip_SRC").inputs]
    ref = [n for n in _node(s, "AppendClip_REF").inputs]
    assert [n.knob("firstFrame") for n in src] == [n.knob("firstFrame") for n in ref]
    frames = [int(n.knob("firstFrame")) for n in ref]
    assert frames == cfg.shot("SH010").train
    for n, f in zip(ref, frames):
        assert f"reference frame {f - 1000}" in n.knob("label")
    assert f"{frames[0]}>{frames[0] - 1000}" in tr.text  # the StickyNote lists the pairs
    for b in built:
        assert _errors(b.text) == [], b.relpath


def test_table_map_holds_the_mapped_frame_and_skips_unmatched(tmp_path):
    # A cut at 1013 with a different offset per shot, a field-mixed frame and an unmatched frame.
    frames = {str(f): {"reference": f - 1000, "confidence": 0.97} for f in range(1001, 1013)}
    frames.update({str(f): {"reference": f - 990, "confidence": 0.95} for f in range(1013, 1025)})
    frames["1001"] = {"reference": None, "reason": "field-mixed"}
    frames["1018"] = {"reference": None, "reason": "no-match"}
    cfg = load_config(_job(tmp_path, "    frame_map: conform.json", {"frames": frames}))
    clip = cfg.clips["main"]
    assert clip.frame_map_file == "conform.json" and clip.frame_map.reference(1013) == 23
    for shot in cfg.shots:
        used = set(shot.train) | {shot.preview}
        assert 1001 not in used and 1018 not in used
        assert all(clip.frame_map.reference(f) is not None for f in used)
    sh10 = cfg.shot("SH010")
    assert sh10.train[0] == 1002  # the first matched frame, not the field-mixed 1001
    built = build_scripts(cfg, outdir=tmp_path)
    tr = next(b for b in built if b.kind == "training" and b.unit == "SH020")
    s = parse_text(tr.text)
    hold = _node(s, "FrameHold_REF_MAP")
    curve = hold.knob("firstFrame")
    assert curve.startswith("{{curve K x1002 2 3 4 ")
    keys = dict((int(f), int(r)) for f, r in curve_keys(curve))
    assert keys[1013] == 23 and 1018 not in keys and 1001 not in keys and keys[1024] == 34
    assert (_node(s, "Read_REF").knob("first"), _node(s, "Read_REF").knob("last")) == ("2", "34")
    for n in _node(s, "AppendClip_REF").inputs:
        f = int(n.knob("firstFrame"))
        assert f"reference frame {keys[f]}" in n.knob("label")
    bl = next(b for b in built if b.kind == "baseline" and b.unit == "SH020")
    sb = parse_text(bl.text)
    # The MatchGrade fit sees the Reference through the same retime.
    assert _node(sb, "FrameHold_REF_MAP").knob("firstFrame") == curve
    for b in built:
        assert _errors(b.text) == [], b.relpath


def test_too_few_matched_frames_is_refused(tmp_path):
    frames = {str(f): {"reference": f} for f in range(1001, 1025)}
    for f in range(1013, 1023):
        frames[str(f)] = {"reference": None, "reason": "field-mixed"}
    with pytest.raises(ConfigError) as e:
        load_config(_job(tmp_path, "    frame_map: conform.json", {"frames": frames}))
    msg = str(e.value)
    assert "SH020" in msg and "2 source frame(s)" in msg and "conform.json" in msg
    assert "job.yaml:14:" in msg  # the shot's line


def test_explicit_training_frame_without_match_is_refused(tmp_path):
    frames = {str(f): {"reference": f} for f in range(1001, 1025)}
    frames["1005"] = {"reference": None, "reason": "field-mixed"}
    p = _job(tmp_path, "    frame_map: conform.json", {"frames": frames})
    p.write_text(p.read_text().replace("{name: SH010, first: 1001, last: 1012}",
                                       "{name: SH010, first: 1001, last: 1012, "
                                       "train: [1001, 1005, 1012]}"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "shots[0].train[1]" in str(e.value) and "field-mixed" in str(e.value)
    assert str(e.value).startswith(f"{p}:13:")


def test_offset_and_map_are_exclusive_and_bad_maps_name_file_line_field(tmp_path):
    p = _job(tmp_path, "    reference_offset: 4\n    frame_map: conform.json", {"offset": 3})
    with pytest.raises(ConfigError, match="not both") as e:
        load_config(p)
    assert str(e.value).startswith(f"{p}:12:") and "clips.main.frame_map" in str(e.value)
    p = _job(tmp_path, "    frame_map: missing.json")
    with pytest.raises(ConfigError, match="not found") as e:
        load_config(p)
    assert "clips.main.frame_map" in str(e.value)
    (tmp_path / "conform.json").write_text('{"frames": {\n "1001": {"reference": 17},\n'
                                           ' "1002": {"reference": "x"}}}\n')
    p = _job(tmp_path, "    frame_map: conform.json")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).startswith(f"{tmp_path / 'conform.json'}:3:")
    assert "frames.1002.reference" in str(e.value)
    p = _job(tmp_path, "    reference_offset: 1.5")
    with pytest.raises(ConfigError, match="whole number") as e:
        load_config(p)
    assert "clips.main.reference_offset" in str(e.value)


def test_offset_zero_changes_nothing(tmp_path):
    plain = build_scripts(load_config(_job(tmp_path, "")), outdir=tmp_path)
    zero = build_scripts(load_config(_job(tmp_path, "    reference_offset: 0")), outdir=tmp_path)
    assert [b.text for b in plain] == [b.text for b in zero]
    assert "TimeOffset" not in plain[0].text


def test_crop_reformat_option(tmp_path):
    p = _job(tmp_path, "alignment: {live_area: [8, 8, 760, 568]}")
    p.write_text(p.read_text().replace("alignment:", "alignment:").replace(
        "    last: 1024\nalignment", "    last: 1024\nalignment"))
    cfg = load_config(p)
    inf = [b for b in build_scripts(cfg, outdir=tmp_path) if b.kind == "baseline"][0]
    crop = _node(parse_text(inf.text), "Crop_LIVE_AREA")
    assert crop.knob("reformat") is None and crop.knob("box") == "{8 8 760 568}"
    p.write_text(p.read_text() + "inference: {crop_reformat: true}\n")
    inf = [b for b in build_scripts(load_config(p), outdir=tmp_path) if b.kind == "baseline"][0]
    assert _node(parse_text(inf.text), "Crop_LIVE_AREA").knob("reformat") == "true"


def test_per_shot_offsets_make_a_table(tmp_path):
    """A cut with a different offset per shot, without a conform file."""
    p = _job(tmp_path, "    reference_offset: -1000")
    p.write_text(p.read_text().replace("{name: SH020, first: 1013, last: 1024}",
                                       "{name: SH020, first: 1013, last: 1024, "
                                       "reference_offset: -990}"))
    cfg = load_config(p)
    fmap = cfg.clips["main"].frame_map
    assert fmap.offset is None and fmap.reference(1012) == 12 and fmap.reference(1013) == 23
    built = build_scripts(cfg, outdir=tmp_path)
    tr = parse_text(next(b for b in built if b.kind == "training" and b.unit == "SH020").text)
    curve = _node(tr, "FrameHold_REF_MAP").knob("firstFrame")
    keys = dict((int(f), int(r)) for f, r in curve_keys(curve))
    assert (keys[1012], keys[1013]) == (12, 23) and len(keys) == 24
    assert (_node(tr, "Read_REF").knob("last")) == "34"
    for b in built:
        assert _errors(b.text) == [], b.relpath
    # Equal per-shot offsets are one offset: a TimeOffset, as for the clip's own.
    p.write_text(p.read_text().replace("reference_offset: -990}", "reference_offset: -1000}"))
    built = build_scripts(load_config(p), outdir=tmp_path)
    assert "TimeOffset_REF" in built[0].text and "FrameHold_REF_MAP" not in built[0].text


def test_per_shot_offset_and_a_map_file_are_exclusive(tmp_path):
    frames = {str(f): {"reference": f} for f in range(1001, 1025)}
    p = _job(tmp_path, "    frame_map: conform.json", {"frames": frames})
    p.write_text(p.read_text().replace("{name: SH020, first: 1013, last: 1024}",
                                       "{name: SH020, first: 1013, last: 1024, "
                                       "reference_offset: -990}"))
    with pytest.raises(ConfigError, match="per-shot offsets or a frame map, not both") as e:
        load_config(p)
    assert "shots[1].reference_offset" in str(e.value) and str(e.value).startswith(f"{p}:14:")
