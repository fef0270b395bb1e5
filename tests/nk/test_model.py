"""Model: the builder API other parts use, and the graph signature."""
from __future__ import annotations

from nuke_restore.nk import PASTE_INPUT, Directive, Knob, Script, parse_text


def test_builder_api():
    s = Script.new(version="14.0 v5")
    assert s.version == "14.0 v5" and s.root.knob("inputs") == "0"
    read = s.add("Read", [("file", "a.####.exr"), ("first", 1001)], inputs=())
    g = s.add("Grade", {"white_clamp": True}, inputs=[read], name="Grade1")
    assert g.input(0) is read and g.knob("white_clamp") == "true" and g.name == "Grade1"
    g.set("white", 1.25).set_raw("black", "{{parent.b}}")
    assert g.knob("white") == "1.25" and g.knob("black") == "{{parent.b}}"
    g.set("white", 2)
    assert [k.name for k in g.knobs].count("white") == 1
    g.add_user_knob("7 amount l Amount", 0.5)
    assert g.knobs[-2].value == "{7 amount l Amount}" and g.knob("amount") == "0.5"
    grp = s.add("Group", inputs=[g], name="G")
    inner = grp.body.add("Input", [("inputs", 0)], name="Input1")
    assert inner.parent is grp.body and grp.body.owner is grp
    c = s.add_clone(g, [("xpos", 5)], inputs=[read])
    assert c.clone_of is g and c.name == "Grade1"
    assert s.consumers(read) == [(g, 0), (c, 0)]
    assert [n.name for n in s.walk()][-2:] == ["Input1", "Grade1"]
    assert s.paste_input is PASTE_INPUT


def test_knob_equality_ignores_layout_hints():
    assert Knob("a", "1", 3, "\n  ", " ") == Knob("a", "1")
    assert Knob("a", "1") != Knob("a", "2")
    assert Directive("version 15.1 v1").command == "version"
    assert Directive("#! x -nx").command == "#"


def test_signature_ignores_order_and_variable_names():
    a = parse_text("Blur {\n inputs 0\n name A\n}\nset N1 [stack 0]\nGrade {\n name B\n}\n"
                   "push $N1\nMerge2 {\n inputs 2\n name M\n}\n")
    b = parse_text("Blur {\n inputs 0\n name A\n}\nset Nffff [stack 0]\nGrade {\n name B\n}\n"
                   "push $Nffff\nMerge2 {\n inputs 2\n name M\n}\n")
    assert a.signature() == b.signature()
    b.find("M").inputs.reverse()
    assert a.signature() != b.signature()
    c = parse_text("Blur {\n inputs 0\n name A\n}\nset N1 [stack 0]\nGrade {\n name B\n}\n"
                   "push $N1\nMerge2 {\n inputs 2\n name M\n mix 0.5\n}\n")
    assert a.signature() != c.signature()


def test_module_examples_run():
    import doctest

    from nuke_restore.nk import model, parser, values

    for module in (model, parser, values):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


def test_decode_knobs_decodes_every_node():
    s = parse_text("Blur {\n inputs 0\n size 3\n name A\n}\nGroup {\n name G\n}\n"
                   " Grade {\n  inputs 0\n  white 2\n  name B\n }\nend_group\n")
    assert all(n.untouched for n in s.walk())
    assert s.decode_knobs() == 3
    assert not any(n.untouched for n in s.walk())
    inner = s.find("G").body.find("B")
    assert inner.knob("white") == "2" and inner.knob_line("white") == 11


def test_a_dropped_script_is_freed_without_the_cyclic_collector():
    """Node.parent and Graph.owner are weak: no reference cycles, so parsing many scripts in one
    process (or a Nuke session) does not pile up garbage for the cyclic collector."""
    import gc

    text = ("Group {\n inputs 0\n name G1\n}\n Constant {\n  inputs 0\n  name C1\n }\n"
            " Output {\n  name Output1\n }\nend_group\nGrade {\n inputs 0\n name Grade1\n}\n")
    script = parse_text(text)
    group = script.find("G1")
    inner = group.body.find("C1")
    assert inner.parent is group.body and group.body.owner is group
    assert script.find("Grade1").parent is script
    built = Script.new()
    node = built.add("Blur", [("size", 3)], inputs=())
    assert node.parent is built
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        del script, group, inner, built, node
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


def test_a_script_survives_pickle_and_deepcopy_with_its_links():
    """The weak parent/owner links are rebuilt to point into the copy; the paste sentinel stays one."""
    import copy
    import pickle

    from nuke_restore.nk import write_bytes

    text = ("set cut_paste_input [stack 0]\nversion 15.1 v1\npush $cut_paste_input\nGroup {\n"
            " name G1\n}\n Blur {\n  inputs 0\n  name B1\n }\n Output {\n  name Output1\n }\n"
            "end_group\nGrade {\n name Grade1\n}\n")
    script = parse_text(text)
    for copied in (copy.deepcopy(script), pickle.loads(pickle.dumps(script))):
        group, grade = copied.nodes
        assert write_bytes(copied) == text.encode()
        assert group.parent is copied and grade.parent is copied
        assert group.body.owner is group and group.body.nodes[0].parent is group.body
        assert group.inputs[0] is PASTE_INPUT and grade.inputs[0] is group
    built = Script.new()
    blur = built.add("Blur", [("size", 3)], inputs=())
    copied = copy.deepcopy(built)
    assert copied.nodes[-1].parent is copied and blur.parent is built
