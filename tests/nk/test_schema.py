"""The compiled knob schema: reproducible from ../shared, and answers what validation and the writer ask."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from nuke_restore.nk.schema import load_schema, values_equal

PROJECT = Path(__file__).resolve().parents[2]
DATA = PROJECT / "nuke_restore" / "nk" / "data" / "schema.json"


def _compiler():
    spec = importlib.util.spec_from_file_location("compile_schema", PROJECT / "scripts" / "compile_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compiler_reproduces_committed_file_byte_for_byte(shared_dir, knob_facts_path):
    comp = _compiler()
    doc, _report = comp.compile_schema(shared_dir)
    assert comp.dump(doc) == DATA.read_bytes(), "schema.json is stale: run scripts/compile_schema.py"


def test_provenance_names_source_and_hash(knob_facts_path):
    import hashlib

    prov = load_schema().provenance
    assert prov["facts"]["file"] == knob_facts_path.name
    assert prov["facts"]["sha256"] == hashlib.sha256(knob_facts_path.read_bytes()).hexdigest()
    assert prov["facts"]["nuke"] == "17.0v3"
    assert prov["generator"].startswith("compile_schema")


def test_package_data_is_small_and_json():
    assert DATA.stat().st_size < 400_000
    json.loads(DATA.read_text(encoding="utf-8"))


def test_every_facts_knob_and_enum_is_in_schema(knob_facts_path):
    facts = json.loads(knob_facts_path.read_text(encoding="utf-8"))["classes"]
    s = load_schema()
    for cls, info in facts.items():
        assert s.has_class(cls)
        assert s.class_info(cls).source == "facts"
        assert s.input_range(cls) == (info["inputs"]["min"], info["inputs"]["max"])
        assert set(s.knob_order(cls)) >= set(info["knobs"])
        for name, k in info["knobs"].items():
            got = s.knob(cls, name)
            assert got.type == k["type"]
            if "allowed" in k:
                assert got.enum == tuple(a.split("\t")[0] for a in k["allowed"])


def test_corpus_classes_are_marked_as_such():
    s = load_schema()
    for cls in ("Root", "BackdropNode", "Gizmo", "Shuffle"):
        info = s.class_info(cls)
        assert info is not None and info.source == "corpus", cls
    assert s.knob("BackdropNode", "bdwidth").source == "corpus"
    # Seen in one repository only: a third-party class, not a Nuke built-in.
    assert not s.has_class("P2STMap")
    assert not s.has_class("F_Align")  # Nuke's class is the OFX id below
    assert s.has_class("OFXuk.co.thefoundry.furnace.f_align_v403")


def test_knob_order_follows_nuke_not_alphabet():
    order = load_schema().knob_order("Grade")
    for a, b in [("channels", "white"), ("white", "name"), ("name", "xpos"), ("xpos", "ypos")]:
        assert order.index(a) < order.index(b), (a, b)
    root = load_schema().knob_order("Root")
    assert root.index("name") < root.index("format") < root.index("proxy_type")


def test_knob_order_reproduces_real_files(corpus_files):
    comp = _compiler()
    s = load_schema()
    ok = total = 0
    for path in corpus_files:
        for cls, knobs, user, _clone in comp.scan_nodes(comp._decode(path.read_bytes())):
            seq = [k for k in knobs if k != "inputs" and k not in user]
            order = {k: i for i, k in enumerate(s.knob_order(cls))}
            if not order or any(k not in order for k in seq):
                continue
            total += 1
            ok += sorted(seq, key=order.get) == seq
    assert total > 5000
    assert ok / total > 0.98, (ok, total)


def test_enum_values_strip_menu_labels():
    s = load_schema()
    ops = s.enum_values("Merge2", "operation")
    assert "over" in ops and "hypot" in ops
    assert all("\t" not in v for v in ops)
    assert s.enum_values("Merge2", "mix") is None
    assert s.enum_values("NoSuchClass", "x") is None


def test_is_default():
    s = load_schema()
    assert s.is_default("Merge2", "operation", "over")
    assert s.is_default("Merge2", "operation", '"over"')
    assert s.is_default("Merge2", "operation", "22")  # index of 'over'
    assert not s.is_default("Merge2", "operation", "0")
    assert not s.is_default("Merge2", "operation", "plus")
    assert s.is_default("Merge2", "mix", "1.0")
    assert s.is_default("Grade", "white", "{1 1 1 1}")
    assert not s.is_default("Grade", "white", "{1 1 1.1 1}")
    assert s.is_default("Blur", "crop", "true")
    assert not s.is_default("Blur", "crop", "false")
    assert not s.is_default("Merge2", "mix", "{{parent.mix}}")
    # Session values of the scan are not defaults: Nuke always writes name/xpos/ypos.
    assert not s.is_default("Merge2", "name", "Merge1")
    assert not s.is_default("Merge2", "xpos", "0")
    assert s.is_default("Merge2", "selected", "false")
    assert not s.is_default("Merge2", "selected", "true")
    assert not s.is_default("Merge2", "no_such_knob", "1")


@pytest.mark.parametrize("raw,default,kind,expected", [
    ("{0 0}", "0 0", "XY_Knob", True),
    ("1", "true", "Boolean_Knob", True),
    ("0", "true", "Boolean_Knob", False),
    ("rgba", "rgba", None, True),
    ('"\\[value x]"', "0", None, False),
])
def test_values_equal(raw, default, kind, expected):
    assert values_equal(raw, default, kind) is expected
