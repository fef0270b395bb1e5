"""`farm --trainer torch` runs the whole chain with a fake nuke: headless training, TorchScript
export, the CatFileCreator script run by `nuke -t make_cat.py`, then the inference render loading
`<unit>_<proc>_torch.cat` and QC."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nuke_restore.cli import main

# A stand-in for Nuke: `-t make_cat.py` runs the script with a stub `nuke` module whose
# CatFileCreator "creates" the .cat from the knobs the .nk names (torchScriptFile, catFile, as
# written by `nuke-restore catfile`); `-X Write` renders one file per frame after checking that the
# script's Inference model file exists and is such a .cat.
FAKE_NUKE = r'''#!{python}
import os, re, runpy, sys, types
args = sys.argv[1:]
log = open(os.environ["FAKE_NUKE_LOG"], "a")

def blocks(text):
    return re.finditer(r"^(\w+) \{{\n(.*?)^\}}", text, re.M | re.S)

def knob(body, name):
    m = re.search(r"^ " + name + r" (\"(?:[^\"\\]|\\.)*\"|\S+)$", body, re.M)
    return m.group(1).strip('"') if m else None

if "-t" in args:
    script = args[args.index("-t") + 1]
    nuke = types.ModuleType("nuke")
    state = {{}}
    def scriptOpen(path):
        state["path"], state["text"] = path, open(path).read()
    def toNode(name):
        for m in blocks(state["text"]):
            if knob(m.group(2), "name") == name:
                body = m.group(2)
        here = os.path.dirname(state["path"])
        def path(k):
            return knob(body, k).replace("\\[python \\{{nuke.script_directory()\\}}]", here)
        def create():
            pt, cat = path("torchScriptFile"), path("catFile")
            assert open(pt, "rb").read(2) == b"PK", pt
            open(cat, "w").write("CAT " + knob(body, "modelId"))
            log.write("CatFileCreator %s\n" % os.path.basename(cat))
        return {{"createCatFile": types.SimpleNamespace(execute=create)}}
    nuke.scriptOpen, nuke.toNode = scriptOpen, toNode
    sys.modules["nuke"] = nuke
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")
else:
    node, script = args[args.index("-X") + 1], args[-1]
    text = open(script).read()
    folder = os.path.dirname(script)
    here = lambda p: p if p.startswith("/") else os.path.join(folder, p)
    body = next(m.group(2) for m in blocks(text) if knob(m.group(2), "name") == node)
    model = next((knob(m.group(2), "modelFile") for m in blocks(text) if m.group(1) == "Inference"),
                 None)
    if model is not None:
        assert open(here(model)).read().startswith("CAT "), model
    log.write("Write %s %s\n" % (node, os.path.basename(model or "-")))
    first = int(re.search(r"^ first_frame (\d+)$", text, re.M).group(1))
    last = int(re.search(r"^ last_frame (\d+)$", text, re.M).group(1))
    out = re.sub(r"#+", lambda m: "%%0%dd" % len(m.group(0)), here(knob(body, "file")))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    for f in range(first, last + 1):
        open(out % f, "w").write("pixels")
'''


def test_farm_torch_chain_reaches_inference_and_qc(ml_job, tmp_path, posix_sh):
    pytest.importorskip("torch", reason="torch is not installed: pip install 'nuke-restore[ml]'")
    cfg, _gt = ml_job
    # The same job with one procedure and 8 steps, so the chain runs in seconds.
    text = cfg.read_text().replace("steps: 200", "steps: 8").replace(
        "  - type: spatial\n    source_median: 3\n", "")
    fast = cfg.parent / "job_farm_chain.yaml"
    fast.write_text(text)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    nuke = bin_ / "nuke"
    nuke.write_text(FAKE_NUKE.format(python=sys.executable))
    tool = bin_ / "nuke-restore"
    tool.write_text(f"#!/bin/sh\nexec {sys.executable} -m nuke_restore \"$@\"\n")
    for f in (nuke, tool):
        f.chmod(0o755)
    out = tmp_path / "farm"
    assert main(["farm", str(fast), "--trainer", "torch", "--manager", "shell", "--cpu",
                 "--nuke", str(nuke), "--qc-tool", str(tool), "--no-qc-metrics",
                 "-o", str(out)]) == 0
    stage = out / "pipeline/03_copycat_training/SH010/chroma"
    infer_nk = (out / "SH010_chroma_inference.nk").read_text()
    assert "modelFile pipeline/03_copycat_training/SH010/chroma/SH010_chroma_torch.cat" in infer_nk
    log = tmp_path / "nuke.log"
    env = {"PATH": f"{bin_}:/usr/bin:/bin", "FAKE_NUKE_LOG": str(log), "TMPDIR": str(tmp_path),
           "OMP_NUM_THREADS": "1"}
    # Before training: the render stops with a clear message, not a CopyCat checkpoint search.
    early = subprocess.run([posix_sh, str(out / "SH010/SH010_chroma_infer.sh")], env=env,
                           capture_output=True, text=True, timeout=60)
    assert early.returncode == 1 and "SH010_chroma_torch.cat is missing" in early.stderr
    assert "did the training chain" in early.stderr and not log.exists()
    run = subprocess.run([posix_sh, str(out / "SH010/run_all.sh")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    calls = log.read_text().splitlines()
    assert calls[0] == "CatFileCreator SH010_chroma_torch.cat"
    assert "Write Write_CHROMA SH010_chroma_torch.cat" in calls
    for name in ("SH010_chroma.pt", "SH010_chroma_torch.pt", "SH010_chroma_torch.json",
                 "SH010_chroma_torch_CatFileCreator.nk", "make_cat.py", "cat.json",
                 "SH010_chroma_torch.cat"):
        assert (stage / name).is_file(), name
    meta = json.loads((stage / "cat.json").read_text())
    assert meta["cat"] == "SH010_chroma_torch.cat" and meta["mode"] == "chroma"
    assert json.loads((stage / "SH010_chroma.json").read_text())["steps"] == 8
    renders = list((out / "pipeline/04_inference_render").rglob("*"))
    assert sum(p.is_file() for p in renders) >= 10
    manifest = json.loads((out / "farm.json").read_text())
    task = manifest["shots"][0]["tasks"][0]
    assert [c[1] for c in task["ranks"][0]["then"]] == ["export", "catfile", "-t"]
