"""Writer: stack commands from connections, replay of parsed layout, determinism."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from nuke_restore.errors import NukeRestoreError
from nuke_restore.nk import PASTE_INPUT, Script, parse_file, parse_text, write_bytes, write_script
from nuke_restore.nk.values import Expr

FIX = Path(__file__).parent / "fixtures"


def _round(script):
    text = write_script(script)
    again = parse_text(text)
    assert again.signature() == script.signature(), text
    return text, again


def test_fan_out_uses_set_and_push():
    s = Script.new()
    read = s.add("Read", [("file", "a.exr")], inputs=(), name="Read1")
    g = s.add("Grade", [("white", 1.5)], inputs=[read], name="Grade1")
    b = s.add("Blur", [("size", 3)], inputs=[read], name="Blur1")
    s.add("Merge2", [("operation", "plus")], inputs=[g, b], name="Merge1")
    text, _ = _round(s)
    var = re.search(r"^set (N[0-9a-f]{8}) \[stack 0\]$", text, re.M)
    assert var, text
    assert text.count(f"push ${var.group(1)}") == 1
    assert "inputs 2" in text and text.index("Read {") < text.index("Grade {")


def test_empty_inputs_and_masks():
    s = Script.new(kind="gizmo")
    a = s.add("Constant", inputs=(), name="A")
    m = s.add("Constant", inputs=(), name="M")
    merge = s.add("Merge2", inputs=[None, a], name="Merge1", mask=m)
    grade = s.add("Grade", inputs=[merge], name="Grade1", mask=m)
    text, again = _round(s)
    assert "inputs 2+1" in text and "inputs 1+1" in text and "push 0" in text
    assert again.find("Merge1").inputs[0] is None
    assert grade.mask_inputs == 1


def test_groups_and_clones():
    s = Script.new()
    src = s.add("Constant", inputs=(), name="C1")
    grp = s.add("Group", inputs=[src], name="G1")
    inp = grp.body.add("Input", [("inputs", 0)], name="Input1")
    blur = grp.body.add("Blur", [("size", 2)], inputs=[inp], name="Blur1")
    grp.body.add("Output", inputs=[blur], name="Output1")
    clone = s.add_clone(blur, [("xpos", 10)])
    clone.connect(0, grp)
    outer_blur = s.add("Blur", inputs=[grp], name="Blur2")
    outer_clone = s.add_clone(outer_blur, [("xpos", 20)], inputs=[src])
    text, again = _round(s)
    assert "end_group" in text
    assert re.search(r"^set C[0-9a-f]{8} \[stack 0\]$", text, re.M)
    assert re.search(r"^clone \$C[0-9a-f]{8} \{$", text, re.M)
    assert outer_clone.clone_of is outer_blur
    assert again.signature() == s.signature()


def test_paste_input_adds_clipboard_header():
    s = Script(kind="clipboard")
    s.add("Blur", inputs=[PASTE_INPUT], name="Blur1")
    text = write_script(s)
    again = parse_text(text)
    assert again.signature()[1] == s.signature()[1]
    assert text.splitlines()[0] == "set cut_paste_input [stack 0]"
    assert "push $cut_paste_input" in text
    assert again.find("Blur1").input(0) is PASTE_INPUT


def test_output_is_deterministic_and_variables_look_like_nuke():
    def build():
        s = Script.new()
        r = s.add("Read", [("file", "a.exr")], inputs=(), name="Read1")
        for i in range(5):
            s.add("Grade", inputs=[r], name=f"Grade{i}")
        return write_script(s)

    one, two = build(), build()
    assert one == two
    names = re.findall(r"^set (\S+) ", one, re.M)
    assert names and all(re.fullmatch(r"N[0-9a-f]{6}00", n) for n in names)


def test_built_nodes_put_inputs_first_and_values_formatted():
    s = Script(kind="bare")
    a = s.add("Constant", inputs=(), name="A")
    b = s.add("Constant", inputs=(), name="B")
    m = s.add("Merge2", [("mix", 0.5), ("operation", "over")], inputs=[a, b], name="M")
    m.set_raw("disable", "{{parent.off}}")
    m.set("label", "a [b] \"c\"")
    m.set("which", Expr("frame > 10"))
    text = write_script(s)
    body = text[text.index("Merge2 {"):].splitlines()
    assert body[1] == " inputs 2"
    assert ' label "a \\[b] \\"c\\""' in body
    assert ' which {{"frame > 10"}}' in body


def test_replay_keeps_bytes_and_edits_touch_one_line():
    path = FIX / "values.nk"
    s = parse_file(path)
    assert write_bytes(s) == path.read_bytes()
    s.find("Transform1").set("center", [10, 20])
    out = write_bytes(s).decode().splitlines()
    orig = path.read_text().splitlines()
    diff = [(a, b) for a, b in zip(orig, out) if a != b]
    assert diff == [(" center {{width/2} {height/2}}", " center {10 20}")]


def test_connection_edit_regenerates_stack_commands():
    path = FIX / "clipboard.nk"
    s = parse_file(path)
    merge, grade = s.find("Merge1"), s.find("Grade1")
    merge.connect(1, None)
    merge.connect(0, grade)
    text, again = _round(s)
    assert again.find("Merge1").inputs[:1] == [again.find("Grade1")]
    assert write_bytes(s) != path.read_bytes()


def test_canonical_layout_fixes_indentation():
    text = "Blur {\n    inputs 0\n      name B\n}\nGrade {\nname G\n   }\n"
    s = parse_text(text)
    assert write_script(s) == text
    assert write_script(s, canonical=True) == "Blur {\n inputs 0\n name B\n}\nGrade {\n name G\n}\n"


def test_cycle_is_reported():
    s = Script(kind="bare")
    a = s.add("Grade", name="A")
    b = s.add("Grade", inputs=[a], name="B")
    a.connect(0, b)
    with pytest.raises(NukeRestoreError, match="cycle"):
        write_script(s)


def test_long_chain_does_not_recurse():
    s = Script(kind="bare")
    prev = s.add("Constant", inputs=(), name="C")
    for i in range(5000):
        prev = s.add("Grade", inputs=[prev], name=f"G{i}")
    # Built in reverse item order: the writer must walk 5000 inputs deep without recursion.
    s.items.reverse()
    text = write_script(s)
    again = parse_text(text)
    assert again.find("G4999").input(0).name == "G4998"


def test_connection_edit_inside_a_group_rewrites_only_that_group():
    path = FIX / "nested_groups.nk"
    data = path.read_text()
    s = parse_file(path)
    outer = s.find("Outer")
    inner = outer.body.find("Inner")
    grade = inner.body.find("Grade1")
    out_node = inner.body.find("Output1")
    out_node.connect(0, inner.body.find("Input1"))  # bypass the Grade inside Inner
    text = write_script(s)
    again = parse_text(text)
    assert again.signature() == s.signature()
    before, after = data.split(" Group {", 1)[0], data.rsplit(" end_group", 1)[1]
    assert text.startswith(before) and text.endswith(after)  # outside Inner: untouched bytes
    assert grade.parent is inner.body


def test_group_body_written_alone_has_no_end_group():
    s = parse_file(FIX / "gizmo.gizmo")
    body = s.nodes[0].body
    text = write_script(body)
    assert "end_group" not in text
    again = parse_text(text)
    assert [n.name for n in again.nodes] == [n.name for n in body.nodes]
    assert again.find("Merge1").inputs[1].name == "Input2"


def test_renamed_class_of_an_untouched_node_is_written():
    s = parse_text("Blur {\n inputs 0\n name B\n}\n")
    s.nodes[0].cls = "Defocus"
    assert write_script(s) == "Defocus {\n inputs 0\n name B\n}\n"


def test_canonical_nuke_quirks():
    """Layout Nuke writes that the regenerator copies (evidence in tests/nk/roundtrip_expectations.json)."""
    from nuke_restore.nk import parse_text, write_script

    # A clone's original indented `set C`, `clone $C {` at column 0, and a separate `set N` when
    # the original is also pushed again; `add_layer` after the node's pushes.
    text = (
        "set cut_paste_input [stack 0]\nversion 13.2 v8\npush 0\npush $cut_paste_input\n"
        "add_layer {P P.red P.green}\nGroup {\n inputs 2\n name G\n}\n Input {\n  inputs 0\n"
        "  name Input1\n }\n Blur {\n  name Blur1\n }\n set C12345600 [stack 0]\n"
        "set N12345600 [stack 0]\nclone $C12345600 {\n }\npush $N12345600\n Merge2 {\n"
        "  inputs 2\n  name Merge1\n }\n Output {\n  name Output1\n }\nend_group\n"
    )
    script = parse_text(text)
    assert write_script(script, canonical=True) == text
    # A saved gizmo whose inputs were connected outside: `inputs N` alone, no `push 0`.
    gizmo = "Gizmo {\n inputs 2\n name G\n}\n Input {\n  inputs 0\n  name Input1\n }\nend_group\n"
    assert write_script(parse_text(gizmo), canonical=True) == gizmo
    # Primatte writes a blank line after each of its data blocks.
    prim = "Primatte3 {\n data { 5\n    0 1 0\n  }\n\n name Primatte1\n}\n"
    assert write_script(parse_text(prim), canonical=True) == prim


def test_canonical_keeps_nuke_variables():
    from nuke_restore.nk import parse_text, write_script

    # A `set` Nuke wrote for a dependent outside the file stays (a no-op for the graph).
    text = "Constant {\n inputs 0\n name C\n}\nset Nabc12300 [stack 0]\nBlur {\n name B\n}\n"
    assert write_script(parse_text(text), canonical=True) == text
    # Two gizmos concatenated in one file may each use the same variable name.
    body = (" Input {\n  inputs 0\n  name Input1\n }\nset N11 [stack 0]\n Blur {\n  name B\n }\n"
            "push $N11\n Merge2 {\n  inputs 2\n  name M\n }\nend_group\n")
    text = "Gizmo {\n name G1\n}\n" + body + "Gizmo {\n name G2\n}\n" + body
    script = parse_text(text)
    assert write_script(script, canonical=True) == text
    again = parse_text(write_script(script, canonical=True))
    assert again.signature() == script.signature()
