"""validate_script: what it reports on built graphs and on every real file of the corpus."""
from __future__ import annotations

import doctest
import os
from pathlib import Path

import pytest

from nuke_restore.errors import NkSyntaxError
from nuke_restore.nk import schema as schema_module
from nuke_restore.nk import validate as validate_module
from nuke_restore.nk.model import Node, Script
from nuke_restore.nk.parser import parse_file, parse_text
from nuke_restore.nk.validate import CODES, Diagnostic, summarize, validate_file, validate_script

_SHARED = Path(os.environ.get("NUKE_RESTORE_SHARED",
                              Path(__file__).resolve().parents[2].parent / "shared"))
_CORPUS = sorted(p for p in (_SHARED / "nk-corpus").glob("*") if p.suffix in (".nk", ".gizmo"))

# Corpus files allowed error-level findings, with the reason. Everything else must have none.
ALLOWED_ERRORS = {
    "WuLiFang__Nuke__plugins__third_party__Obsolete__bm_Lightwrap.gizmo": (
        {"unresolved-variable"},
        "hand-edited gizmo: line 334 pushes $N239acf30, which is never set (Nuke reports it and "
        "leaves the Dot's input empty)",
    ),
}


def codes(diags, severity=None):
    return [d.code for d in diags if severity is None or d.severity == severity]


def only(diags, code):
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, [str(d) for d in diags]
    return found[0]


@pytest.mark.parametrize("path", _CORPUS or [pytest.param(None, marks=pytest.mark.skip(
    reason=f"no real Nuke-saved scripts found in {_SHARED / 'nk-corpus'} (the evidence folder is "
           "not part of the project; set NUKE_RESTORE_SHARED to it)"))],
    ids=[p.name[:60] for p in _CORPUS] or ["nk-corpus-missing"])
def test_corpus_files_have_no_error_findings(path):
    diags = validate_script(parse_file(path, strict=False))
    errors = [d for d in diags if d.severity == "error"]
    # The proof that the schema is right: no real file has an unknown knob or a bad menu value.
    assert not [d for d in errors if d.code in ("unknown-knob", "bad-enum-value")], \
        [str(d) for d in errors]
    allowed = ALLOWED_ERRORS.get(path.name, (set(), ""))[0]
    assert {d.code for d in errors} <= allowed, [str(d) for d in errors]
    if allowed:
        assert {d.code for d in errors} == allowed  # the exception is still needed


def test_corpus_untrusted_finds_callbacks(corpus_files):
    total = {}
    for path in corpus_files:
        for d in validate_script(parse_file(path, strict=False), untrusted=True):
            total[d.code] = total.get(d.code, 0) + 1
    for code in ("python-callback", "python-in-tcl", "python-button"):
        assert total.get(code, 0) > 0, total


# -- built graphs --------------------------------------------------------------------------------

def test_bad_enum_value_names_node_knob_value():
    s = Script.new()
    s.add("Merge2", [("operation", "ovr")], inputs=(), name="Merge1")
    d = only(validate_script(s), "bad-enum-value")
    assert (d.severity, d.node, d.knob, d.value) == ("error", "Merge1", "operation", "ovr")
    assert "'over'" in d.message
    assert str(d).startswith("<script>: error[bad-enum-value] Merge1.operation=ovr: ")


@pytest.mark.parametrize("raw", ["over", '"over"', "22", "{{parent.op}}", '"\\[value op]"'])
def test_enum_accepts_values_quotes_indices_and_expressions(raw):
    s = Script.new()
    s.add("Merge2", [], inputs=(), name="M").set_raw("operation", raw)
    assert "bad-enum-value" not in codes(validate_script(s))


def test_enum_index_out_of_range_and_case():
    s = Script.new()
    s.add("Merge2", [], inputs=(), name="M").set_raw("operation", "99")
    assert codes(validate_script(s), "error") == ["bad-enum-value"]
    s = Script.new()
    s.add("Reformat", [("filter", "Impulse")], inputs=(), name="R")
    d = only(validate_script(s), "bad-enum-value")
    assert d.severity == "info"  # older Nukes wrote capitalised filters; files load


def test_ocio_menus_are_warnings_not_errors():
    s = Script.new()
    s.add("Write", [("colorspace", "matte_paint")], inputs=(), name="W")
    assert only(validate_script(s), "bad-enum-value").severity == "warning"


def test_unknown_knob_is_error_with_hint():
    s = Script.new()
    s.add("Blur", [("sizee", 3)], inputs=(), name="Blur1")
    d = only(validate_script(s), "unknown-knob")
    assert (d.severity, d.node, d.knob, d.value) == ("error", "Blur1", "sizee", "3")
    assert "'size'" in d.message


def test_user_knobs_sub_knobs_and_panel_state_are_known():
    s = Script.new()
    g = s.add("Grade", [("white_panelDropped", True)], inputs=(), name="G")
    g.add_user_knob("7 amount l Amount", 0.5)
    s.add("ColorCorrect", [("shadows.gamma", 1.02)], inputs=(), name="CC")
    assert codes(validate_script(s)) == []


def test_clone_inherits_user_knobs():
    s = Script.new()
    orig = s.add("Grade", [], inputs=(), name="G1")
    orig.add_user_knob("7 amount", 0.5)
    clone = s.add_clone(orig, [("xpos", 10)])
    clone.set("amount", 0.7)
    assert codes(validate_script(s)) == []


def test_dynamic_and_corpus_classes_unknown_knobs_are_info():
    s = Script.new()
    s.add("Write", [("exr_mystery", 1)], inputs=(), name="W")
    s.add("BackdropNode", [("mystery", 1)], inputs=(), name="B")
    diags = validate_script(s)
    assert [(d.code, d.severity) for d in diags] == [("unknown-knob", "info")] * 2


def test_legacy_knob_is_info():
    s = Script.new()
    s.add("Write", [("first_part", "rgba")], inputs=(), name="W")
    assert only(validate_script(s), "legacy-knob").severity == "info"


@pytest.mark.parametrize("cls,severity,words", [
    ("PC_Matting.gizmo", "warning", "NUKE_PATH"),
    ("OFXcom.example.thing_v1", "warning", "OFX"),
    ("MyStudioTool", "warning", "plugin or gizmo"),
    ("VectorBlur", "warning", "'VectorBlur2'"),
    ("merge2", "error", "'Merge2'"),
])
def test_unknown_class(cls, severity, words):
    s = Script.new()
    s.add(cls, [("whatever", 1)], inputs=(), name="N1")
    diags = validate_script(s)
    d = only(diags, "unknown-class")
    assert d.severity == severity and words in d.message
    assert "unknown-knob" not in codes(diags)  # no knob checks on unknown classes


def test_wrong_input_count():
    s = Script.new()
    a = s.add("Constant", [], inputs=(), name="C1")
    b = s.add("Constant", [], inputs=(), name="C2")
    c = s.add("Constant", [], inputs=(), name="C3")
    s.add("Blur", [], inputs=[a, b, c], name="Blur1")  # Blur: input + mask = 2
    s.add("Merge2", [], inputs=[a, b], mask=c, name="M")
    d = only(validate_script(s), "wrong-input-count")
    assert d.node == "Blur1" and "at most 2" in d.message


def test_group_inputs_come_from_input_nodes():
    s = Script.new()
    a = s.add("Constant", [], inputs=(), name="C1")
    g = s.add("Group", [], inputs=[a, a], name="G")
    g.body.add("Input", [], inputs=(), name="Input1")
    g.body.add("Output", [], name="Output1")
    d = only(validate_script(s), "wrong-input-count")
    assert d.severity == "warning" and "1 Input node" in d.message


def test_copycat_needs_input_and_ground_truth():
    s = Script.new()
    src = s.add("Read", [("file", "a.####.exr")], inputs=(), name="Src")
    s.add("CopyCat", [("dataDirectory", "train")], inputs=[src], name="CopyCat1")
    d = only(validate_script(s), "missing-required-input")
    assert d.severity == "error" and "Ground Truth" in d.message


def test_duplicate_name_per_level_only():
    s = Script.new()
    s.add("Blur", [], inputs=(), name="X")
    g = s.add("Group", [], inputs=(), name="G")
    g.body.add("Blur", [], inputs=(), name="X")  # another level: fine
    s.add("Grade", [], inputs=(), name="X")
    d = only(validate_script(s), "duplicate-name")
    assert d.node == "X" and d.severity == "error"


def test_input_from_another_group_level_is_unresolved():
    s = Script.new()
    outer = s.add("Constant", [], inputs=(), name="C1")
    g = s.add("Group", [], inputs=(), name="G")
    g.body.add("Blur", [], inputs=[outer], name="B")
    d = only(validate_script(s), "unresolved-variable")
    assert d.node == "G.B"


def test_group_without_body_is_unclosed():
    s = Script.new()
    s.append(Node("Group", []))
    assert "unclosed-group" in codes(validate_script(s), "error")


def test_lenient_parse_problems_become_findings():
    s = parse_text("Blur {\n inputs 0\n name B\n}\npush $Nnowhere\nGrade {\n name G\n}\n",
                   strict=False)
    d = only(validate_script(s), "unresolved-variable")
    assert d.line == 5 and d.severity == "error"


def test_unknown_top_level_command():
    # Strict parsing refuses it outright (test_parser); validation parses leniently and reports it.
    s = parse_text("Blur {\n inputs 0\n}\nfrobnicate now\n", strict=False)
    d = only(validate_script(s), "unknown-command")
    assert d.line == 4 and d.value == "frobnicate now"


# -- untrusted -----------------------------------------------------------------------------------

def _risky() -> Script:
    s = Script.new()
    r = s.add("Read", [("file", "[python {nuke.script_directory()}]/a.exr")], inputs=(), name="R")
    r.set("knobChanged", "import os; os.system('x')")
    n = s.add("NoOp", [], inputs=[r], name="N")
    n.add_user_knob('22 go l Go T "print(1)"')
    n.add_user_knob('52 py T "nuke.thisNode()"')
    n.add_user_knob('32 tcl T "knob this.x 1"')
    s.root.set("onScriptLoad", "nuke.tprint('hi')")
    return s


def test_untrusted_reports_code_that_runs():
    diags = validate_script(_risky(), untrusted=True)
    got = sorted((d.code, d.node, d.knob) for d in diags)
    assert ("python-callback", "R", "knobChanged") in got
    assert ("python-in-tcl", "R", "file") in got
    assert ("python-button", "N", "go") in got
    assert ("python-button", "N", "py") in got
    assert ("tcl-script-button", "N", "tcl") in got
    root = [d for d in diags if d.knob == "onScriptLoad"]
    assert root and "loads" in root[0].message
    assert all(d.severity == "error" for d in diags)  # --untrusted findings are errors


def test_trusted_mode_is_quiet_about_code():
    assert codes(validate_script(_risky())) == []


def test_strict_upgrades_warnings_only():
    s = Script.new()
    s.add("Some.gizmo", [], inputs=(), name="G")
    s.add("Write", [("first_part", "rgba")], inputs=(), name="W")
    diags = validate_script(s, strict=True)
    assert sorted((d.code, d.severity) for d in diags) == [
        ("legacy-knob", "info"), ("unknown-class", "error")]
    assert summarize(diags) == {"error": 1, "warning": 0, "info": 1}


def test_extra_rules_are_run():
    def rule(script):
        yield Diagnostic("workflow-rule", "error", "no Write node", path=script.path)

    s = Script.new()
    assert codes(validate_script(s, rules=[rule])) == ["workflow-rule"]


def test_codes_table_is_complete():
    assert set(CODES) >= {"unknown-class", "unknown-knob", "bad-enum-value", "wrong-input-count",
                          "unresolved-variable", "unclosed-group", "duplicate-name",
                          "missing-required-input"}
    for severity, meaning in CODES.values():
        assert severity in ("error", "warning", "info") and meaning


def test_docstring_examples():
    for module in (schema_module, validate_module):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


def test_validate_file(tmp_path):
    path = tmp_path / "a.nk"
    path.write_text("Merge2 {\n inputs 0\n operation ovr\n name M\n}\n", encoding="utf-8")
    d = only(validate_file(path), "bad-enum-value")
    assert (d.path, d.line) == (str(path), 3)
    path.write_text("Merge2 {\n", encoding="utf-8")
    with pytest.raises(NkSyntaxError):
        validate_file(path)
