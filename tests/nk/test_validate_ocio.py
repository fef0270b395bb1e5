"""Colourspace names are checked against the OCIO config the script names, and file-type knobs real
files write (EXR Write ``metadata``) are not reported; so our own scripts pass ``validate --strict``."""
from __future__ import annotations

from pathlib import Path

import pytest

from nuke_restore.nk import parse_file
from nuke_restore.nk.model import Script
from nuke_restore.nk.ocio import builtin_names, names_for
from nuke_restore.nk.validate import validate_script

PROJECT = Path(__file__).resolve().parents[2]
STUDIO = "fn-nuke_studio-config-v1.0.0_aces-v1.3_ocio-v2.1"


def _script(root_knobs, read_cs, write_knobs=()):
    s = Script.new()
    for k, v in root_knobs:
        s.root.set(k, v)
    r = s.add("Read", [("file", "a.####.exr"), ("file_type", "exr"), ("colorspace", read_cs)],
              inputs=(), name="Read1")
    s.add("Write", [("file", "o.####.exr"), ("file_type", "exr")] + list(write_knobs),
          inputs=(r,), name="Write1")
    return s


def _findings(s, **kw):
    return [(d.severity, d.code, d.knob) for d in validate_script(s, **kw)]


def test_builtin_config_names_match_opencolorio():
    names = builtin_names(STUDIO)
    assert names is not None and {"ACEScg", "ACES2065-1", "color_picking", "scene_linear",
                                  "aces_interchange", "sRGB - Texture"} <= names
    assert builtin_names("aces_1.2") is None  # a config only Nuke's install holds
    pytest.importorskip("PyOpenColorIO")
    import PyOpenColorIO as ocio

    config = ocio.Config.CreateFromBuiltinConfig(STUDIO[len("fn-nuke_"):])
    assert set(config.getColorSpaceNames()) <= names


def test_colourspace_checked_against_the_named_config():
    ocio_root = [("colorManagement", "OCIO"), ("OCIO_config", STUDIO)]
    assert _findings(_script(ocio_root, "ACEScg")) == []
    assert _findings(_script(ocio_root, "color_picking")) == []  # a role
    assert _findings(_script(ocio_root, "Utility - sRGB - Texture")) == []  # an alias
    d = validate_script(_script(ocio_root, "ACEScgg"))
    assert [(x.severity, x.code) for x in d] == [("warning", "bad-enum-value")]
    assert STUDIO in d[0].message and "did you mean 'ACEScg'" in d[0].message
    # Nuke's default menu name is not in this config
    assert _findings(_script(ocio_root, "Cineon")) == [("warning", "bad-enum-value", "colorspace")]


def test_unknown_config_is_not_flagged_and_nuke_mode_uses_the_default_menu():
    assert _findings(_script([("colorManagement", "OCIO"), ("OCIO_config", "aces_1.2")],
                             "ACES - ACEScg")) == []
    assert names_for(_script([("colorManagement", "OCIO"), ("OCIO_config", "aces_1.2")], "x")) \
        == (None, "aces_1.2")
    nuke_mode = [("colorManagement", "Nuke")]
    assert _findings(_script(nuke_mode, "Cineon")) == []
    assert _findings(_script(nuke_mode, "ACEScg")) == [("warning", "bad-enum-value", "colorspace")]


def test_custom_config_file(tmp_path):
    ocio = pytest.importorskip("PyOpenColorIO")
    config = ocio.Config.CreateFromBuiltinConfig("cg-config-v1.0.0_aces-v1.3_ocio-v2.1")
    (tmp_path / "config.ocio").write_text(config.serialize(), encoding="utf-8")
    s = _script([("colorManagement", "OCIO"), ("OCIO_config", "custom"),
                 ("customOCIOConfigPath", "config.ocio")], "ACEScg")
    s.path = str(tmp_path / "comp.nk")
    assert _findings(s) == []
    s2 = _script([("colorManagement", "OCIO"), ("OCIO_config", "custom"),
                  ("customOCIOConfigPath", "config.ocio")], "NotASpace")
    s2.path = str(tmp_path / "comp.nk")
    assert _findings(s2) == [("warning", "bad-enum-value", "colorspace")]


def test_exr_write_file_type_knobs_are_not_reported():
    root = [("colorManagement", "OCIO"), ("OCIO_config", STUDIO)]
    s = _script(root, "ACEScg", [("metadata", "all metadata"), ("first_part", "rgba")])
    assert _findings(s) == []
    # on a PNG Write, metadata is not a knob real files write: still reported as before
    s = Script.new()
    s.add("Write", [("file", "o.png"), ("file_type", "png"), ("metadata", "all metadata")],
          inputs=(), name="Write1")
    assert _findings(s) == [("info", "legacy-knob", "metadata")]


def test_goldens_pass_strict_validation():
    from nuke_restore.recipes import rules_for

    paths = sorted((PROJECT / "tests" / "golden").glob("*/expected/*.nk"))
    assert paths
    for p in paths:
        s = parse_file(p)
        found = validate_script(s, strict=True, rules=rules_for(s))
        assert found == [], (p.name, [str(d) for d in found][:3])


def test_demo_build_passes_validate_strict(tmp_path):
    from nuke_restore.cli import main

    out = tmp_path / "demo"
    assert main(["demo", str(out), "--no-imaging"]) == 0
    assert len(list((out / "scripts").glob("*.nk"))) == 33
    assert main(["validate", "--strict", str(out / "scripts")]) == 0


def test_compiled_ocio_table_matches_opencolorio():
    """nk/data/ocio_builtin.json is what scripts/compile_ocio.py writes from the installed OCIO."""
    import importlib.util
    import json

    ocio = pytest.importorskip("PyOpenColorIO")
    data = PROJECT / "nuke_restore" / "nk" / "data" / "ocio_builtin.json"
    if json.loads(data.read_text(encoding="utf-8"))["opencolorio"] != ocio.__version__:
        pytest.skip(f"the table was compiled with another OpenColorIO than {ocio.__version__}")
    spec = importlib.util.spec_from_file_location("compile_ocio", PROJECT / "scripts" / "compile_ocio.py")
    comp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(comp)
    assert comp.dump(comp.compile_table()) == data.read_bytes()
