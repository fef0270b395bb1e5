"""`nuke-restore fmt` and `nuke-restore graph`: behaviour, exit codes, no tracebacks."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nuke_restore.cli import main

FIX = Path(__file__).resolve().parent.parent / "nk" / "fixtures"
MESSY = "Blur {\n    inputs 0\n      name B\n}\nGrade {\nname G\n   }\n"
CANON = "Blur {\n inputs 0\n name B\n}\nGrade {\n name G\n}\n"


@pytest.fixture()
def messy(tmp_path):
    p = tmp_path / "messy.nk"
    p.write_text(MESSY)
    return p


def test_fmt_prints_canonical_to_stdout(messy, capsysbinary):
    assert main(["fmt", str(messy)]) == 0
    assert capsysbinary.readouterr().out.decode() == CANON
    assert messy.read_text() == MESSY  # never touched without -o/--in-place


def test_fmt_check(messy, tmp_path, capsys):
    assert main(["fmt", "--check", str(messy)]) == 1
    cap = capsys.readouterr()
    assert "would reformat" in cap.err and "+    inputs 0" not in cap.out and "-    inputs 0" in cap.out
    clean = tmp_path / "clean.nk"
    clean.write_text(CANON)
    assert main(["fmt", "--check", str(clean)]) == 0


def test_fmt_output_refuses_to_overwrite(messy, tmp_path, capsys):
    out = tmp_path / "out.nk"
    assert main(["fmt", str(messy), "-o", str(out)]) == 0
    assert out.read_text() == CANON
    out.write_text("mine")
    assert main(["fmt", str(messy), "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["fmt", str(messy), "-o", str(out), "--force"]) == 0
    assert out.read_text() == CANON


def test_fmt_in_place(messy):
    assert main(["fmt", "--in-place", str(messy)]) == 0
    assert messy.read_text() == CANON


@pytest.mark.parametrize("content, where", [
    ("Blur {\n name a\n", ":1:6:"),
    ("Blur {\n}\nend_group\n", ":3:1:"),
    ("\x00\x01\x02binary", ":1:1:"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, where):
    p = tmp_path / "bad.nk"
    p.write_bytes(content.encode("latin-1"))
    for cmd in ("fmt", "graph"):
        assert main([cmd, str(p)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and where in err and "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    for cmd in ("fmt", "graph"):
        assert main([cmd, str(tmp_path / "nope.nk")]) == 2
        assert "cannot read" in capsys.readouterr().err


def test_lenient_flag(tmp_path, capsys):
    p = tmp_path / "l.nk"
    p.write_text("Blur {\n inputs 0\n}\npush $Nzz\nMerge2 {\n inputs 2\n}\n")
    assert main(["graph", str(p)]) == 2
    assert main(["graph", "--lenient", str(p)]) == 0
    assert "warning" in capsys.readouterr().err


def test_graph_text_tree(tmp_path, capsys):
    p = tmp_path / "n.nk"
    shutil.copy(FIX / "nested_groups.nk", p)
    assert main(["graph", str(p)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Constant Constant1"
    assert lines[1] == "Group Outer  0:Constant1"
    assert "  Group Inner  0:Input1" in lines
    assert "    Grade Grade1  0:Input1" in lines
    assert lines[-1] == "Blur Blur1  0:Outer"


def test_graph_masks_and_clones(capsys):
    assert main(["graph", str(FIX / "masks_push0.nk")]) == 0
    out = capsys.readouterr().out
    assert "Grade Grade1  0:Plate mask:Matte" in out
    assert "Merge2 Merge1  mask:Grade1" in out
    assert main(["graph", str(FIX / "clones.nk")]) == 0
    assert "(clone of Blur1)" in capsys.readouterr().out


def test_graph_dot(capsys):
    assert main(["graph", "--dot", str(FIX / "gizmo.gizmo")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph nuke {") and out.rstrip().endswith("}")
    assert "subgraph cluster_1" in out and '[label="1"]' in out


def test_graph_text_tells_one_node_from_its_clone(tmp_path, capsys):
    """One node feeding two inputs vs an original and its clone (same name in the file)."""
    from nuke_restore.config import load_config
    from nuke_restore.recipes import build_scripts

    golden = Path(__file__).resolve().parents[1] / "golden" / "chroma"
    built = build_scripts(load_config(golden / "job.yaml"), outdir=golden / "expected")
    p = tmp_path / "t.nk"
    p.write_text(next(b for b in built if b.kind == "training").text)
    assert main(["graph", str(p)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Shuffle2 Shuffle_TARGET  0:Colorspace_TO_YCbCr 1:Colorspace_TO_YCbCr(clone1)" in out
    assert any(line.startswith("Colorspace Colorspace_TO_YCbCr(clone1)  (clone of "
                               "Colorspace_TO_YCbCr)") for line in out)
    q = tmp_path / "same.nk"
    q.write_text("Constant {\n inputs 0\n}\nset N1 [stack 0]\nBlur {\n}\nset N2 [stack 0]\n"
                 "push $N2\nMerge2 {\n inputs 2\n name M\n}\npush $N1\nBlur {\n}\n")
    assert main(["graph", str(q)]) == 0
    out = capsys.readouterr().out.splitlines()
    # Unnamed nodes get their place in the file: the two Blurs are told apart, and the Merge is
    # visibly fed twice by the same one.
    assert "Merge2 M  0:<Blur#2> 1:<Blur#2>" in out
    assert "Blur <Blur#4>  0:<Constant#1>" in out
