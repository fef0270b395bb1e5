"""Fidelity: what we write follows what Nuke writes, each convention checked against the real
Nuke-saved files it was learnt from (../shared/nk-corpus; skipped when that folder is absent).

Conventions: keyed curves write ``x<frame>`` only where the interval between keys changes; knob order
(Shuffle2 ``fromInput1 fromInput2 in2 mappings``, Copy ``from0 to0 from1 to1 ... bbox``); knobs Nuke
writes on save even at their default (FrameRange/AppendClip ``time``, AppendClip
``meta_from_first``, MatchGrade ``serializeKnob``, EXR Write ``first_part``, Root OCIO LUT knobs,
Read ``file_type``); a stray top-level ``}`` is accepted leniently and written back unchanged.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from nuke_restore.errors import NkSyntaxError
from nuke_restore.nk import parse_bytes, parse_file, write_bytes
from nuke_restore.nk.values import curve_keys, format_curve, parse_word
from nuke_restore.recipes import knobdefs

PROJECT = Path(__file__).resolve().parents[2]
GOLDEN = PROJECT / "tests" / "golden"

# Curves made only of keys (no interpolation flags or slopes), as Nuke writes tracked/keyed values.
_PLAIN_CURVE = re.compile(r"\{curve( x-?\d+(\.\d+)?( [-+]?[\d.]+(e[-+]?\d+)?| x-?\d+(\.\d+)?)+)\}")


def _corpus(shared_dir, name_part: str) -> Path:
    hits = sorted(p for p in (shared_dir / "nk-corpus").iterdir() if name_part in p.name)
    if not hits:
        pytest.skip(f"nk-corpus file *{name_part}* is not present")
    return hits[0]


@pytest.fixture(scope="module")
def corpus_nodes(corpus_files):
    """(file name, node) for every node of every corpus file."""
    out = []
    for path in corpus_files:
        script = parse_file(path, strict=False)
        out.extend((path.name, n) for n in script.walk())
    return out


@pytest.fixture(scope="module")
def golden_nodes():
    out = []
    for path in sorted(GOLDEN.glob("*/expected/*.nk")):
        out.extend((path, n) for n in parse_file(path).walk())
    assert out, "no golden scripts"
    return out


def _knobs(node):
    return [k.name for k in node.knobs]


# -- keyed curves ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name_part, start", [
    # tracked corner: every frame keyed, `x` only on the first key
    ("WLF__FX__smoke", "{curve x1 6070.748047 6083.761719 "),
    # sparse keys: `x39` right after `x38` is written, because the interval changed (37 -> 1)
    ("NST_X_Aton_Examples", "{curve x1 9176.75 x38 9469.2 x39 9350.85 "),
    # keys at -10, 0, 10: the third key follows at the same interval, so it has no `x`
    ("PP_Mask_hub_V2", "{curve C x-10 0 x0 1 0}"),
])
def test_curve_written_exactly_as_in_the_real_file(shared_dir, name_part, start):
    text = _corpus(shared_dir, name_part).read_text(encoding="utf-8", errors="replace")
    at = text.index(start)
    real = text[at:text.index("}", at) + 1]
    body = real.replace("{curve C ", "{curve ")  # the interpolation flag is not ours to write
    assert format_curve(curve_keys(body)) == body
    frames = [f for f, _v in curve_keys(body)]
    assert frames == sorted(frames) and len(frames) >= 3


def test_every_plain_curve_of_the_corpus_round_trips(corpus_files):
    """The rule (``x`` before a key only where the interval to the previous key changes) reproduces
    every keys-only curve of the corpus; the simpler "previous frame + 1" rule would not."""
    seen = 0
    plus_one_mismatch = 0
    for path in corpus_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in _PLAIN_CURVE.finditer(text):
            real = m.group(0)
            keys = curve_keys(real)
            ours = format_curve(keys)
            # Same keys and `x` tokens; numbers may be spelt differently (`2.1e-007` on Windows).
            assert re.findall(r" x-?[\d.]+", ours) == re.findall(r" x-?[\d.]+", real), \
                (path.name, real[:80])
            assert [f for f, _v in curve_keys(ours)] == [f for f, _v in keys]
            assert len(ours.split()) == len(real.split())
            seen += 1
            explicit = len(re.findall(r" x-?\d", real))
            frames = [f for f, _v in keys]
            plus_one = 1 + sum(1 for a, b in zip(frames, frames[1:]) if b != a + 1)
            plus_one_mismatch += explicit != plus_one
    assert seen >= 140, seen  # 144 keys-only curves in the 99 files
    assert plus_one_mismatch > 0  # the corpus tells the two rules apart


def test_built_animation_uses_the_rule():
    from nuke_restore.recipes.chains import anim

    value = anim({1001: (0.5,), 1002: (0.6,), 1003: (0.7,), 1010: (1.0,)}, 1)
    assert str(value) == "{{curve x1001 0.5 0.6 0.7 x1010 1}}"
    assert curve_keys(str(value)) == [(1001, 0.5), (1002, 0.6), (1003, 0.7), (1010, 1.0)]


# -- knob order -----------------------------------------------------------------------------------

def _corpus_order(corpus_nodes):
    """(class, a, b) -> how many corpus nodes write a before b."""
    before = Counter()
    for _f, n in corpus_nodes:
        names = [k for k in _knobs(n) if k not in ("inputs", "addUserKnob")]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                before[(n.cls, a, b)] += 1
    return before


def test_golden_knob_order_agrees_with_real_files(corpus_nodes, golden_nodes):
    """No pair of knobs in our built scripts is written in the order real files do not use."""
    before = _corpus_order(corpus_nodes)
    wrong = []
    for path, n in golden_nodes:
        if n.cls == "Root":
            continue
        names = [k for k in _knobs(n) if k not in ("inputs", "addUserKnob")]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if before[(n.cls, b, a)] > before[(n.cls, a, b)]:
                    wrong.append((path.name, n.cls, a, b))
    assert wrong == []


def test_shuffle2_and_copy_order_as_real_files(shared_dir, golden_nodes):
    shuffles = [n for _p, n in golden_nodes if n.cls == "Shuffle2"]
    assert shuffles
    for n in shuffles:
        names = [k for k in _knobs(n) if k in ("fromInput1", "fromInput2", "in2", "mappings")]
        assert names == ["fromInput1", "fromInput2", "in2", "mappings"]
    # Real Shuffle2 with in1: fromInput1, in1, fromInput2 - in2 takes the same place in group 2.
    real = parse_file(_corpus(shared_dir, "P2STMap__Projections"), strict=False)
    with_in1 = [_knobs(n) for n in real.walk() if n.cls == "Shuffle2" and n.knob("in1")]
    assert with_in1 and all(k.index("in1") < k.index("fromInput2") for k in with_in1)
    from nuke_restore.nk.schema import load_schema

    order = load_schema().knob_order("Shuffle2")
    assert order.index("fromInput1") < order.index("in1") < order.index("fromInput2") \
        < order.index("in2") < order.index("mappings")
    copy = load_schema().knob_order("Copy")
    assert copy.index("from1") == copy.index("to0") + 1
    assert copy.index("to1") < copy.index("bbox")
    gizmo = (PROJECT / "gizmos" / "RS_YCbCrShuffle.gizmo").read_text(encoding="utf-8")
    block = gizmo[gizmo.index(" Copy {"):]
    block = block[:block.index("}")]
    assert re.findall(r"^\s+(\w+)", block, re.M)[1:6] == ["inputs", "from0", "to0", "from1", "to1"]
    assert re.findall(r"^\s+(\w+)", block, re.M)[6] == "bbox"


# -- knobs Nuke writes on save --------------------------------------------------------------------

def test_on_save_knobs_are_what_every_real_node_writes(corpus_nodes, golden_nodes):
    for cls, pairs in knobdefs.ON_SAVE.items():
        real = [n for _f, n in corpus_nodes if n.cls == cls]
        assert real, f"no real {cls} in the corpus"
        built = [n for _p, n in golden_nodes if n.cls == cls and n.clone_of is None]
        for knob, value in pairs:
            assert all(n.knob(knob) is not None for n in real), (cls, knob)
            if knob != "serializeKnob":  # an analysed MatchGrade stores its analysis there
                assert {n.knob(knob) for n in real} == {value}, (cls, knob)
            for n in built:
                assert n.knob(knob) == value, (cls, knob)
    # An unanalysed real MatchGrade writes the scan's default, which is ours.
    real_mg = [n.knob("serializeKnob") for _f, n in corpus_nodes if n.cls == "MatchGrade"]
    assert knobdefs.MATCHGRADE_SERIALIZE_DEFAULT in real_mg


def test_matchgrade_serialize_default_is_the_scanned_default(knob_facts_path):
    import json

    facts = json.loads(knob_facts_path.read_text(encoding="utf-8"))["classes"]
    default = facts["MatchGrade"]["knobs"]["serializeKnob"]["default"]
    assert parse_word(knobdefs.MATCHGRADE_SERIALIZE_DEFAULT) == default


def test_exr_write_first_part(corpus_nodes, golden_nodes):
    real = [n.knob("first_part") for _f, n in corpus_nodes
            if n.cls == "Write" and n.knob("file_type") == "exr"]
    assert Counter(real).most_common(1)[0][0] == "rgba"
    writes = [n for _p, n in golden_nodes if n.cls == "Write"]
    assert writes and all(n.knob("first_part") == "rgba" for n in writes)


def test_root_ocio_lut_knobs(corpus_nodes, golden_nodes):
    roots = [n for _f, n in corpus_nodes if n.cls == "Root" and n.knob("colorManagement") == "OCIO"]
    assert len(roots) >= 5
    for knob, value in knobdefs.ROOT_OCIO_LUTS:
        assert {parse_word(n.knob(knob)) for n in roots} == {value}, knob
    built = [n for _p, n in golden_nodes if n.cls == "Root"]
    assert built
    for n in built:
        for knob, value in knobdefs.ROOT_OCIO_LUTS:
            assert parse_word(n.knob(knob)) == value, knob
        names = [k for k in _knobs(n)]
        # the order of the real files: defaultViewerLUT, workingSpaceLUT, ..., floatLut
        real = _knobs(roots[0])
        common = [k for k in real if k in names]
        assert [k for k in names if k in common] == common


def test_monitor_lut_only_where_real_files_show_it(corpus_nodes):
    """Under an ACES 1.x config every real OCIO Root writes monitorLut "sRGB (ACES)", between
    workingSpaceLUT and int8Lut; ours writes the same there, and nothing for other configs."""
    from nuke_restore.config import config_from_dict
    from nuke_restore.recipes import build_scripts

    aces1 = [n for _f, n in corpus_nodes if n.cls == "Root" and n.knob("colorManagement") == "OCIO"
             and "(ACES)" in (n.knob("monitorOutLUT") or "")]
    assert len(aces1) >= 4
    assert {parse_word(n.knob("monitorLut")) for n in aces1} == {"sRGB (ACES)"}

    def root_for(ocio_config):
        data = {"project": {"name": "T", "format": {"width": 256, "height": 144},
                            "ocio_config": ocio_config},
                "clips": {"main": {"source": "p/S_####.exr", "reference": "p/R_####.exr",
                                   "first": 1001, "last": 1004}},
                "procedures": ["chroma"]}
        text = build_scripts(config_from_dict(data, path="t.yaml"))[0].text
        return next(n for n in parse_bytes(text.encode()).walk() if n.cls == "Root")

    root = root_for("aces_1.2")
    assert parse_word(root.knob("monitorLut")) == "sRGB (ACES)"
    assert root.knob("monitorOutLUT") is None
    names = _knobs(root)
    for real in aces1:
        order = [k for k in _knobs(real) if k in names and k in
                 ("workingSpaceLUT", "monitorLut", "int8Lut")]
        assert order == [k for k in names if k in order]
    assert root_for("fn-nuke_studio-config-v1.0.0_aces-v1.3_ocio-v2.1").knob("monitorLut") is None


def test_read_file_type_from_suffix(corpus_nodes):
    """Nuke 13 and later write file_type on every Read with a file; ours derives it the same way."""
    checked = 0
    for _f, n in corpus_nodes:
        if n.cls != "Read" or n.knob("file_type") is None or n.knob("file") is None:
            continue
        path = parse_word(n.knob("file"))
        if "[" in path:
            continue
        assert knobdefs.file_type_for("Read", path) == n.knob("file_type"), path
        checked += 1
    assert checked >= 5
    assert knobdefs.file_type_for("Read", "ref/dvd.####.jpg") == "jpeg"
    assert knobdefs.file_type_for("Read", "scan/A.####.dpx") == "dpx"
    assert knobdefs.file_type_for("Read", "noext") is None


def test_every_built_read_has_a_file_type(tmp_path):
    from nuke_restore.cli import main

    assert main(["demo", str(tmp_path / "demo"), "--no-imaging"]) == 0
    scripts = sorted((tmp_path / "demo" / "scripts").glob("*.nk"))
    assert len(scripts) == 33
    reads = [n for p in scripts for n in parse_file(p).walk() if n.cls == "Read"]
    assert reads and all(n.knob("file_type") for n in reads)
    assert any(n.knob("file_type") == "jpeg" for n in reads)  # the JPEG reference


# -- a stray top-level brace ----------------------------------------------------------------------

def test_stray_brace_loads_leniently_and_writes_back_unchanged(shared_dir, tmp_path):
    real = _corpus(shared_dir, "NST_CProject").read_bytes()
    data = b"}\n" + real
    with pytest.raises(NkSyntaxError, match="unexpected '}'"):
        parse_bytes(data, "stray.nk")
    script = parse_bytes(data, "stray.nk", strict=False)
    assert [w.line for w in script.warnings] == [1]
    assert write_bytes(script) == data
    assert parse_bytes(real, "real.nk").signature()[1:] == script.signature()[1:]
    assert script.signature()[0] == ("}",)  # kept where it stands, as a directive

    path = tmp_path / "stray.nk"
    path.write_bytes(data)
    run = [sys.executable, "-m", "nuke_restore"]
    val = subprocess.run(run + ["validate", str(path)], capture_output=True, text=True)
    assert val.returncode == 0, val.stdout + val.stderr
    assert "warning[stray-brace]" in val.stdout
    assert subprocess.run(run + ["validate", "--strict", str(path)]).returncode == 1
    fmt = subprocess.run(run + ["fmt", "--lenient", str(path)], capture_output=True)
    assert fmt.returncode == 0 and b"unexpected '}'" in fmt.stderr
    plain = tmp_path / "real.nk"
    plain.write_bytes(real)
    want = subprocess.run(run + ["fmt", str(plain)], capture_output=True).stdout
    assert fmt.stdout == b"}\n" + want
    assert subprocess.run(run + ["fmt", str(path)], capture_output=True).returncode == 2


# -- file-type knobs in the schema ----------------------------------------------------------------

def test_file_type_knobs_come_from_real_files(corpus_nodes):
    from nuke_restore.nk.schema import load_schema

    schema = load_schema()
    table = defaultdict(set)
    for _f, n in corpus_nodes:
        if n.cls in ("Read", "Write") and n.knob("file_type"):
            for k in _knobs(n):
                info = schema.knob(n.cls, k)
                if info is not None and info.source == "corpus":
                    table[(n.cls, n.knob("file_type"))].add(k)
    assert table[("Write", "exr")] >= {"metadata", "first_part"}
    for (cls, ft), knobs in table.items():
        assert set(schema.file_type_knobs(cls, ft)) == knobs, (cls, ft)
    assert schema.file_type_knobs("Write", "tiff") == ()
