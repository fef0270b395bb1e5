"""Parser: one fixture per construct, and every error is one NkSyntaxError with a location."""
from __future__ import annotations

from pathlib import Path

import pytest

from nuke_restore.errors import EncryptedScriptError, NkSyntaxError
from nuke_restore.nk import PASTE_INPUT, parse_bytes, parse_file, parse_text

FIX = Path(__file__).parent / "fixtures"


def _by_name(graph):
    return {n.name: n for n in graph.nodes}


def test_full_script_header_is_kept_verbatim():
    s = parse_file(FIX / "full_script.nk")
    assert s.kind == "script"
    commands = [d.command for d in s.items if not hasattr(d, "cls")]
    assert commands == ["#", "#", "version", "define_window_layout_xml"]
    assert s.version == "15.1 v1"
    assert s.root is not None and s.root.knob("colorManagement") == "Nuke"
    n = _by_name(s)
    assert n["Grade1"].input(0) is n["Read1"] and n["Write1"].input(0) is n["Grade1"]
    # Root takes no part in the stack; `version` inside a node is a knob, not the header.
    assert n["Read1"].inputs == [] and n["Read1"].knob("version") == "3"


def test_line_numbers_on_nodes_and_knobs():
    s = parse_file(FIX / "full_script.nk")
    grade = s.find("Grade1")
    text = (FIX / "full_script.nk").read_text().splitlines()
    assert text[grade.line - 1].startswith("Grade {")
    assert text[grade.knob_line("white") - 1].strip() == "white 1.2"


def test_clipboard_paste_input_and_fan_out():
    s = parse_file(FIX / "clipboard.nk")
    assert s.kind == "clipboard"
    n = _by_name(s)
    assert n["Blur1"].input(0) is PASTE_INPUT
    assert n["Grade1"].input(0) is n["Blur1"]
    assert n["Merge1"].inputs == [n["Blur1"], n["Grade1"]]  # top of stack is input 0
    assert n["Blur1"].stack_var == "N1a2b3c00"


def test_gizmo_body_inputs_and_user_knobs():
    s = parse_file(FIX / "gizmo.gizmo")
    assert s.kind == "gizmo"
    giz = s.nodes[0]
    assert giz.cls == "Gizmo" and giz.body is not None
    assert giz.inputs == [None, None]  # a saved gizmo: inputs connected when instantiated
    inner = _by_name(giz.body)
    assert inner["Merge1"].inputs == [inner["Blur1"], inner["Input2"]]
    assert inner["Blur1"].input(0) is inner["Input1"]
    assert inner["Blur1"].knob("size") == "{{parent.amount}}"
    defs = [k.value for k in giz.knobs if k.name == "addUserKnob"]
    assert defs[1] == "{7 amount l Amount R 0 10}" and giz.knob("amount") == "2"


def test_nested_groups_have_their_own_stack():
    s = parse_file(FIX / "nested_groups.nk")
    n = _by_name(s)
    outer = n["Outer"]
    assert outer.input(0) is n["Constant1"]
    assert n["Blur1"].input(0) is outer  # after end_group the group is on top
    inner = _by_name(outer.body)["Inner"]
    assert inner.input(0) is _by_name(outer.body)["Input1"]
    grade = _by_name(inner.body)["Grade1"]
    assert grade.input(0) is _by_name(inner.body)["Input1"]
    assert grade.parent is inner.body


def test_clones_reference_their_original():
    s = parse_file(FIX / "clones.nk")
    nodes = s.nodes
    blur, clone, merge = nodes[1], nodes[2], nodes[3]
    assert clone.clone_of is blur and clone.cls == "Blur" and clone.name == "Blur1"
    assert clone.input(0) is nodes[0]
    assert merge.inputs == [clone, blur]


def test_masks_and_empty_inputs():
    s = parse_file(FIX / "masks_push0.nk")
    n = _by_name(s)
    assert n["Grade1"].inputs == [n["Plate"], n["Matte"]] and n["Grade1"].mask_inputs == 1
    assert n["Merge1"].inputs == [None, None, n["Grade1"]] and n["Merge1"].mask_inputs == 1
    assert n["Keymix1"].inputs == [None, n["Merge1"]]


def test_bare_paste_without_trailing_newline():
    s = parse_file(FIX / "bare_paste.nk")
    assert s.kind == "bare" and not s.trailing_newline
    node = s.nodes[0]
    assert node.inputs == [None]
    assert node.knob("catFile") == "model.cat"


def test_concatenated_gizmos():
    s = parse_file(FIX / "concatenated.gizmo")
    gizmos = [n for n in s.nodes if n.cls == "Gizmo"]
    assert [g.name for g in gizmos] == ["First", "Second"]
    assert [d.command for d in s.items if not hasattr(d, "cls")] == ["#", "version", "#", "version"]


def test_values_are_kept_raw():
    s = parse_file(FIX / "values.nk")
    n = _by_name(s)
    assert n["Keylight1"].knob("Screen Matte") == "0"
    assert n["ColorCorrect1"].knob("shadows.gamma") == "1.02"
    assert n["ColorMatrix1"].knob("matrix").count("\n") == 4
    t = n["Transform1"]
    assert t.knob("translate").startswith("{{curve x1 0")
    assert t.knob("label").startswith('"\\[value in] # not a comment')
    assert t.name == "Transform1" and t.knob("note_font") == "微软雅黑"
    assert n["Read1"].knob("version") == "211"
    assert s.items[0].text.startswith("# Copyright") and s.items[1].command == "add_layer"
    assert n["Keylight1"].inputs == []


def test_crlf_and_non_utf8_bytes():
    data = (FIX / "clipboard.nk").read_bytes().replace(b"\n", b"\r\n")
    data = data.replace(b"size 4", b"label \"\xb6\xc1\xc8\xa1\"\r\n size 4")  # GBK bytes
    s = parse_bytes(data)
    assert s.newline == "\r\n"
    assert s.find("Blur1").knob("size") == "4"
    from nuke_restore.nk import write_bytes

    assert write_bytes(s) == data


@pytest.mark.parametrize("text, line, col, words", [
    ("Blur {\n name a\n size {{1 2\n}\n", 3, 7, ["unclosed brace", "line 3"]),
    ("Blur {\n name a\n size {1 2\n}\n", 1, 6, ["unclosed node", "line 1"]),
    ("Blur {\n name a\n", 1, 6, ["unclosed node", "Blur", "line 1"]),
    ("push $Nabc\nBlur {\n}\n", 1, 1, ["unknown variable", "Nabc"]),
    ("Blur {\n}\nend_group\n", 3, 1, ["end_group without"]),
    ("Group {\n}\n Blur {\n }\n", None, None, ["no end_group"]),
    ("Blur {\n inputs 0\n}\nBlur {\n inputs 0\n}\nMerge2 {\n inputs 3\n}\n", 8, 9,
     ["stack underflow", "3 inputs", "only 2"]),
    ("Blur {\n inputs x\n}\n", 2, 9, ["inputs must be"]),
    ("}\n", 1, 1, ["unexpected '}'"]),
    ("Blur {\n name\n}\n", 2, 2, ["no value"]),
    ('Blur {\n label "abc\n}\n', 2, 8, ["unclosed quote", "line 2"]),
    ("Blur {\n}\nclone $Cnope {\n}\n", 3, 7, ["unknown variable"]),
    ("Blur {\n} trailing\n", 2, 3, ["unexpected text"]),
])
def test_errors_are_located(text, line, col, words):
    with pytest.raises(NkSyntaxError) as exc:
        parse_text(text, path="x.nk")
    err = exc.value
    assert err.path == "x.nk"
    if line is not None:
        assert (err.line, err.column) == (line, col), str(err)
    for w in words:
        assert w in str(err)
    assert "\n" not in str(err)


def test_lenient_mode_records_warnings():
    text = "Blur {\n inputs 0\n}\npush $Nabc\nMerge2 {\n inputs 2\n}\n"
    with pytest.raises(NkSyntaxError):
        parse_text(text)
    s = parse_text(text, strict=False)
    assert len(s.warnings) == 1 and "Nabc" in str(s.warnings[0])
    merge = s.nodes[1]
    assert merge.inputs == [None, s.nodes[0]]


def test_encrypted_and_binary_scripts(tmp_path):
    enc = tmp_path / "secret.nknc"
    enc.write_bytes(b"\x00\x13\x88garbage" * 100)
    with pytest.raises(EncryptedScriptError, match="Non-Commercial"):
        parse_file(enc)
    b64 = tmp_path / "secret.nkind"
    b64.write_bytes(b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=\n")
    with pytest.raises(EncryptedScriptError, match="Indie"):
        parse_file(b64)
    binary = tmp_path / "image.nk"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(NkSyntaxError, match="binary"):
        parse_file(binary)
    plain = tmp_path / "plain.nknc"  # a text script with the suffix is just parsed
    plain.write_bytes((FIX / "clipboard.nk").read_bytes())
    assert parse_file(plain).find("Merge1") is not None


def test_unreadable_file_is_a_syntax_error(tmp_path):
    with pytest.raises(NkSyntaxError, match="cannot read"):
        parse_file(tmp_path / "missing.nk")


def test_very_long_line_is_fast():
    import time

    payload = "x\\\"y " * 200_000  # ~1.2 MB quoted value with escapes
    text = f'NoOp {{\n knobChanged "{payload}"\n name N1\n}}\n'
    t0 = time.process_time()
    s = parse_text(text)
    assert time.process_time() - t0 < 2.0
    assert s.nodes[0].name == "N1"


def test_absurd_group_nesting_is_refused():
    deep = "Group {\n}\n" * 300 + "end_group\n" * 300
    with pytest.raises(NkSyntaxError, match="nested more than"):
        parse_text(deep)
    ok = "Group {\n}\n" * 50 + "end_group\n" * 50
    from nuke_restore.nk import write_script

    assert write_script(parse_text(ok)) == ok


def test_bare_word_at_top_level_is_an_error_naming_its_line():
    # A file cut in the middle of the next class name (found by the bad-input sweep).
    from nuke_restore.errors import NkSyntaxError
    from nuke_restore.nk.parser import parse_text as _parse

    with pytest.raises(NkSyntaxError) as exc:
        _parse("Blur {\n name Blur1\n}\nBa", path="t.nk")
    assert str(exc.value).startswith("t.nk:4:1:") and "unknown command 'Ba'" in str(exc.value)
    lenient = _parse("Blur {\n name Blur1\n}\nBa", path="t.nk", strict=False)
    assert [n.cls for n in lenient.nodes] == ["Blur"]


def test_a_block_in_another_layout_is_scanned_now_and_decoded_on_first_use():
    """Multi-line values and quoted names take the general loop; the knobs still wait until read,
    and come out exactly as an eager read gives them (names, values, lines, layout hints)."""
    from nuke_restore.nk import write_bytes
    from nuke_restore.nk.lexer import Source
    from nuke_restore.nk.parser import knob_block

    text = ('Grade {\n inputs 0\n "white" {{curve x1 1\n   x10 2}}\n'
            '  gamma  1.2\n name Odd1\n }\nBlur {\n size 3\n name B1\n}\n')
    script = parse_text(text)
    odd, blur = script.nodes
    assert odd.untouched and blur.untouched  # (reading a name would decode the knobs)
    assert write_bytes(script) == text.encode()  # untouched: written back as read
    eager = []
    knob_block(Source(text), "Grade", 1, text.index("{"), 1, "\n ", eager)
    lazy = odd.knobs
    assert [(k.name, k.value, k.line, k.pre, k.sep, k.qname) for k in lazy] == \
        [(k.name, k.value, k.line, k.pre, k.sep, k.qname) for k in eager]
    assert [(k.name, k.line) for k in lazy] == [("inputs", 2), ("white", 3), ("gamma", 5),
                                                 ("name", 6)]
    assert odd.knob("white") == "{{curve x1 1\n   x10 2}}"
    odd.set("gamma", 1.5)
    out = write_bytes(script).decode()
    assert "  gamma  1.5\n" in out and out.replace("1.5", "1.2") == text
