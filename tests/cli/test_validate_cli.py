"""`nuke-restore validate`: exit codes, messages that name file:line/node/knob/value, --json."""
from __future__ import annotations

import json
import sys
import types

import pytest

from nuke_restore.cli import main
from nuke_restore.nk.model import Script
from nuke_restore.nk.writer import write_bytes


def _write(tmp_path, script: Script, name: str = "graph.nk"):
    path = tmp_path / name
    data = write_bytes(script)
    path.write_bytes(data)
    return path, data.decode("utf-8").splitlines()


def _line_of(lines, text: str) -> int:
    return next(i for i, line in enumerate(lines, 1) if line.strip() == text)


def _bad_script() -> Script:
    s = Script.new()
    read = s.add("Read", [("file", "plates/src.####.exr")], inputs=(), name="Read1")
    s.add("Merge2", [("operation", "ovr")], inputs=[read], name="Merge1")
    s.add("Blur", [("sizee", 3)], inputs=[read], name="Blur1")
    return s


def test_wrong_enum_and_unknown_knob_exit_1_naming_both_with_lines(tmp_path, capsys):
    path, lines = _write(tmp_path, _bad_script())
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    enum_line = _line_of(lines, "operation ovr")
    knob_line = _line_of(lines, "sizee 3")
    assert any(o.startswith(f"{path}:{enum_line}: error[bad-enum-value] Merge1.operation=ovr: ")
               for o in out), out
    assert any(o.startswith(f"{path}:{knob_line}: error[unknown-knob] Blur1.sizee=3: ")
               for o in out), out


def test_clean_generated_script_exits_0(tmp_path, capsys):
    s = Script.new()
    read = s.add("Read", [("file", "plates/src.####.exr")], inputs=(), name="Read1")
    s.add("Merge2", [("operation", "plus")], inputs=[read], name="Merge1")
    path, _ = _write(tmp_path, s)
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "0 error(s)" in captured.err


@pytest.mark.parametrize("content,words", [
    (b"Blur {\n name B\n", "never closed"),                   # truncated inside a node
    (b"Group {\n name G\n}\n Blur {\n }\n", "end_group"),     # truncated group
    (b"\x00\x9f\x12garbage{{{", "not a Nuke script"),        # binary garbage
    (b"hello world\n", "not a Nuke script"),                  # text that is no script
])
def test_unreadable_files_exit_2_with_one_clear_line(tmp_path, capsys, content, words):
    path = tmp_path / "bad.nk"
    path.write_bytes(content)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:") and "unreadable" in first and words in first
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.nk")]) == 2
    err = capsys.readouterr().err
    assert "nope.nk" in err and "cannot read" in err


def test_unreadable_wins_over_findings(tmp_path, capsys):
    good, _ = _write(tmp_path, _bad_script())
    bad = tmp_path / "cut.nk"
    bad.write_bytes(b"Blur {\n")
    assert main(["validate", str(good), str(bad)]) == 2


def test_json_document_shape_and_stability(tmp_path, capsys):
    path, lines = _write(tmp_path, _bad_script())
    assert main(["validate", "--json", str(path)]) == 1
    first = capsys.readouterr().out
    assert main(["validate", "--json", str(path)]) == 1
    assert capsys.readouterr().out == first  # same input, same bytes
    doc = json.loads(first)
    assert set(doc) == {"format", "files", "summary", "exit_code"}
    assert doc["exit_code"] == 1 and doc["format"] == 1
    assert doc["summary"] == {"files": 1, "unreadable": 0, "error": 2, "warning": 0, "info": 0}
    (entry,) = doc["files"]
    assert entry["path"] == str(path) and entry["readable"] is True
    keys = {"code", "severity", "message", "path", "line", "node", "knob", "value", "column"}
    assert all(set(f) == keys for f in entry["findings"])
    enum = next(f for f in entry["findings"] if f["code"] == "bad-enum-value")
    assert (enum["node"], enum["knob"], enum["value"], enum["line"]) == (
        "Merge1", "operation", "ovr", _line_of(lines, "operation ovr"))


def test_json_for_unreadable_file(tmp_path, capsys):
    path = tmp_path / "cut.nk"
    path.write_bytes(b"Blur {\n name B\n")
    assert main(["validate", "--json", str(path)]) == 2
    doc = json.loads(capsys.readouterr().out)
    (entry,) = doc["files"]
    assert entry["readable"] is False
    assert entry["findings"][0]["code"] == "syntax-error"
    assert entry["findings"][0]["line"] == 1


def test_strict_turns_warnings_into_exit_1(tmp_path, capsys):
    s = Script.new()
    s.add("Studio_Tool.gizmo", [], inputs=(), name="T")
    path, _ = _write(tmp_path, s)
    assert main(["validate", str(path)]) == 0
    assert "warning[unknown-class]" in capsys.readouterr().out
    assert main(["validate", "--strict", str(path)]) == 1


def test_untrusted_flag(tmp_path, capsys):
    s = Script.new()
    r = s.add("Read", [("file", "a.exr")], inputs=(), name="R")
    r.set("onCreate", "import os")
    path, lines = _write(tmp_path, s)
    assert main(["validate", str(path)]) == 0
    assert "python-callback" not in capsys.readouterr().out
    assert main(["validate", "--untrusted", str(path)]) == 1  # code that runs is an error
    out = capsys.readouterr().out
    line = _line_of(lines, 'onCreate "import os"')
    assert f"{path}:{line}: error[python-callback] R.onCreate=" in out


def test_folder_argument_validates_every_script(tmp_path, capsys):
    _write(tmp_path, _bad_script(), "a.nk")
    _write(tmp_path, Script.new(), "b.nk")
    assert main(["validate", "--json", str(tmp_path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["path"].rsplit("/", 1)[-1] for f in doc["files"]] == ["a.nk", "b.nk"]


def test_graph_rules_from_recipes_are_applied(tmp_path, capsys, monkeypatch):
    from nuke_restore.nk.validate import Diagnostic

    def rules_for(script):
        return [lambda sc: [Diagnostic("workflow-no-write", "error", "no Write node",
                                       path=sc.path)]]

    fake = types.ModuleType("nuke_restore.recipes.rules")
    fake.rules_for = rules_for
    monkeypatch.setitem(sys.modules, "nuke_restore.recipes.rules", fake)
    path, _ = _write(tmp_path, Script.new())
    assert main(["validate", str(path)]) == 1
    assert "error[workflow-no-write]" in capsys.readouterr().out


def test_errors_inside_graph_rules_surface(tmp_path, monkeypatch):
    fake = types.ModuleType("nuke_restore.recipes.rules")

    def rules_for(script):
        raise RuntimeError("broken rule module")

    fake.rules_for = rules_for
    monkeypatch.setitem(sys.modules, "nuke_restore.recipes.rules", fake)
    path, _ = _write(tmp_path, Script.new())
    with pytest.raises(RuntimeError, match="broken rule module"):
        main(["validate", str(path)])


def test_corpus_exit_code(corpus_files, capsys):
    # One hand-edited gizmo pushes an unknown variable (see tests/nk/test_validate.py).
    assert main(["validate", "--show", "error", *map(str, corpus_files)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "unresolved-variable" in out[0] and "bm_Lightwrap" in out[0]


def test_output_is_valid_utf8_for_undecodable_bytes(tmp_path, capsys):
    # An old script with GBK bytes in a label (like a corpus file): output must still encode.
    path = tmp_path / "gbk.nk"
    path.write_bytes(b'Merge2 {\n inputs 0\n operation "\xb5\xbc\xc8\xeb"\n name M\n}\n')
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "M.operation=" in out
    out.encode("utf-8")
    assert main(["validate", "--json", str(path)]) == 1
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert json.loads(out)["files"][0]["findings"][0]["code"] == "bad-enum-value"
