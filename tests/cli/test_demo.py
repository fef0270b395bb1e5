"""`nuke-restore demo`: the whole workflow on bundled sample data, deterministic and valid."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nuke_restore.cli import main
from nuke_restore.nk.parser import parse_file
from nuke_restore.nk.values import parse_word

pytest.importorskip("OpenImageIO")


def _main_pipe_read(node):
    """Follow input 0 (Nuke's main pipe) up to the Read it starts from."""
    seen = set()
    while node is not None and node.cls != "Read" and id(node) not in seen:
        seen.add(id(node))
        node = node.input(0) or (node.clone_of.input(0) if node.clone_of else None)
    return node


def _upstream(node):
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(n.inputs)


def _copycats(path: Path):
    return [n for n in parse_file(path).walk() if n.cls == "CopyCat"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", str(out)]) == 0
    return out


def test_demo_runs_every_step_and_writes_each_product(demo_dir):
    steps = json.loads((demo_dir / ".nuke-restore-demo").read_text())["steps"]
    assert steps == ["footage", "curate", "align", "config", "build", "baseline", "qc"]
    curation = json.loads((demo_dir / "curation.json").read_text())
    truth = json.loads((demo_dir / "footage" / "ground_truth.json").read_text())
    firsts = [s["first"] for s in curation["shots"]]
    # Cut detection on the sample footage finds every true shot start (the dissolve included) within 1 frame.
    for cut in truth["cuts"]:
        assert any(abs(cut - f) <= 1 for f in firsts), (cut, firsts)
    frames = json.loads((demo_dir / "align.json").read_text())["frames"]
    residuals = sorted(f["residual"] for f in frames.values() if f["residual"] is not None)
    assert residuals and residuals[len(residuals) // 2] <= 0.25
    assert list((demo_dir / "baseline").glob("*.cube"))
    html = (demo_dir / "qc" / "qc_report.html").read_text()
    # Self-contained: images inlined; no scripts, stylesheets or images fetched from anywhere.
    assert "data:image/png;base64," in html
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)



def test_demo_alignment_is_scored_against_the_true_warps(demo_dir):
    from nuke_restore.cli._demo_steps import _error_against_truth

    frames = json.loads((demo_dir / "align.json").read_text())["frames"]
    truth = json.loads((demo_dir / "footage" / "ground_truth.json").read_text())
    assert _error_against_truth(frames, truth) <= 0.15  # the goal for the median
    # One pixel off in x everywhere is one pixel of corner error: the score can fail.
    off = {f: dict(r, translate=[r["translate"][0] + 1.0, r["translate"][1]])
           for f, r in frames.items()}
    assert 0.8 < _error_against_truth(off, truth) < 1.2

def test_demo_scripts_validate_and_copycats_are_wired(demo_dir):
    scripts = sorted((demo_dir / "scripts").glob("*.nk"))
    procedures = {p.stem.split("_", 1)[1].rsplit("_", 1)[0] for p in scripts}
    assert {"chroma", "chroma_nonref", "spatial", "combined", "baseline"} <= procedures
    assert main(["validate", *map(str, scripts)]) == 0
    trained = 0
    for path in scripts:
        for cc in _copycats(path):
            trained += 1
            inp, truth, preview = (cc.input(i) for i in range(3))
            assert inp is not None and truth is not None and preview is not None, (path, cc.name)
            src_read = _main_pipe_read(inp.input(0) if inp.cls == "CopyBBox" else inp)
            assert src_read is not None, (path, cc.name)
            # The Preview shows a frame of the same Source the Input trains on.
            assert _main_pipe_read(preview) is src_read, (path, cc.name)
            # The Ground Truth is built from Source and Reference: it reaches a Read the Input does not.
            truth_reads = {id(n) for n in _upstream(truth) if n.cls == "Read"}
            assert id(src_read) in truth_reads and len(truth_reads) >= 2, (path, cc.name)
            held = parse_word(preview.knob("first_frame") or "0")
            holds = [parse_word(n.knob("first_frame") or "") for n in _upstream(inp)
                     if n.cls == "FrameHold"]
            assert held not in holds, (path, cc.name, held, holds)
    assert trained >= 12


def test_demo_is_deterministic_across_folders(tmp_path, demo_dir):
    other = tmp_path / "again"
    assert main(["demo", str(other)]) == 0
    first = sorted(str(p.relative_to(demo_dir)) for p in demo_dir.rglob("*") if p.is_file())
    again = sorted(str(p.relative_to(other)) for p in other.rglob("*") if p.is_file())
    assert first == again and len(first) > 100
    # Every file, footage EXRs and the QC report included, is byte for byte the same.
    for rel in first:
        assert (other / rel).read_bytes() == (demo_dir / rel).read_bytes(), rel


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path, capsys):
    (tmp_path / "precious.nk").write_text("keep me")
    assert main(["demo", str(tmp_path)]) == 1
    assert "not a previous demo" in capsys.readouterr().err
    assert (tmp_path / "precious.nk").read_text() == "keep me"
