"""The farm finds the checkpoint CopyCat wrote (``Training_<yymmdd_hhmmss>.<steps>.cat``).

A fake ``nuke`` trains by writing CopyCat-style checkpoints every ``checkpointInterval`` steps into the
data directory; the render then resolves the built script's model path to the right one, records it,
and the chain reaches QC unattended. The shell rule is checked against the Python rule.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from nuke_restore.farm import FarmSettings, ScriptSpec, build_plan, write_plan
from nuke_restore.farm.checkpoints import RESOLVE_FUNCTION, pick_checkpoint, requested_steps

FAKE_NUKE = r'''#!{python}
"""Fake nuke: -X <CopyCat> writes Training_<stamp>.<steps>.cat every 10000 steps up to
FAKE_STEPS (rank 0 only); -X <Write> writes one file per frame, naming the model it loaded."""
import os, re, sys
args = sys.argv[1:]
node = args[args.index("-X") + 1]
script = args[-1]
text = open(script).read()
folder = os.path.dirname(script)
block = re.search(r"^(\w+) \{{((?:(?!^\}}).)*?^ name " + re.escape(node) + r"$.*?)^\}}", text,
                  re.M | re.S)
cls, body = block.group(1), block.group(2)
def knob(name, where=body):
    return re.search(r"^ " + name + r" (\S+)$", where, re.M).group(1)
def here(path):
    return path if path.startswith("/") else os.path.join(folder, path)
with open(os.environ["FAKE_NUKE_LOG"], "a") as log:
    log.write("%s %s rank=%s\n" % (cls, node, os.environ.get("COPYCAT_RANK", "-")))
if cls == "CopyCat":
    if os.environ.get("COPYCAT_RANK", "0") == "0":
        data = here(knob("dataDirectory")).rstrip("/")
        os.makedirs(data, exist_ok=True)
        stamp = os.environ.get("FAKE_STAMP", "261203_061500")
        for steps in range(10000, int(os.environ["FAKE_STEPS"]) + 1, 10000):
            open(os.path.join(data, "Training_%s.%d.cat" % (stamp, steps)), "w").write(
                "run %s step %d" % (stamp, steps))
elif cls == "Write":
    model = here(knob("modelFile", text))
    loaded = open(model).read()
    first, last = map(int, args[args.index("-F") + 1].split("-")) if "-F" in args else (1001, 1003)
    pattern = re.sub(r"#+", lambda m: "%%0%dd" % len(m.group(0)), here(knob("file")))
    os.makedirs(os.path.dirname(pattern), exist_ok=True)
    for frame in range(first, last + 1):
        open(pattern % frame, "w").write(loaded)
'''

TRAIN = """Root {
 inputs 0
 first_frame 1
 last_frame 4
}
CopyCat {
 inputs 2
 dataDirectory training/SH010_chroma/
 name CopyCat_chroma
}
"""

INFER = """Root {
 inputs 0
 first_frame 1001
 last_frame 1003
}
Inference {
 modelFile training/SH010_chroma/SH010_chroma.40000.cat
 name Inference_CHROMA
}
Write {
 file renders/SH010_chroma.####.exr
 name Write_chroma
}
"""


@pytest.fixture
def farm(tmp_path):
    fake = tmp_path / "bin" / "nuke"
    fake.parent.mkdir()
    fake.write_text(FAKE_NUKE.format(python=sys.executable))
    fake.chmod(0o755)
    out = tmp_path / "farm out"  # a space in the path, on purpose
    specs = [
        ScriptSpec(shot="SH010", procedure="chroma", kind="training",
                   relpath="SH010_chroma_training.nk", text=TRAIN,
                   copycat_nodes=("CopyCat_chroma",), batch_size=2),
        ScriptSpec(shot="SH010", procedure="chroma", kind="inference",
                   relpath="SH010_chroma_inference.nk", text=INFER,
                   write_nodes=(("Write_chroma", str(out / "renders/SH010_chroma.####.exr")),),
                   frames=(1001, 1003)),
    ]
    settings = FarmSettings(world_size=1, nuke=str(fake), cue_user="artist").validate()
    report = tmp_path / "qc.txt"
    plan = build_plan(specs, settings, str(out), qc_builder=lambda shot, renders: [
        ("sh", "-c", f"echo {shot} checked > '{report}'")])
    write_plan(plan, out)
    return out, report, tmp_path / "nuke.log"


def _run(posix_sh, out, log, **env):
    base = {"PATH": "/usr/bin:/bin", "FAKE_NUKE_LOG": str(log), "TMPDIR": str(out.parent)}
    base.update(env)
    return subprocess.run([posix_sh, str(out / "SH010" / "run_all.sh")], env=base,
                          capture_output=True, text=True, timeout=120)


def test_chain_resolves_copycat_checkpoint_and_reaches_qc(farm, posix_sh):
    out, report, log = farm
    data = out / "training" / "SH010_chroma"
    data.mkdir(parents=True)
    # Left-overs: an older run that went further (never taken: more steps than requested) and an
    # older run that stopped at 20000 (older timestamp: loses to the fresh run).
    (data / "Training_261101_090000.80000.cat").write_text("old long run")
    (data / "Training_261101_090000.20000.cat").write_text("old short run")
    result = _run(posix_sh, out, log, FAKE_STEPS="40000")
    assert result.returncode == 0, result.stderr
    model = data / "SH010_chroma.40000.cat"
    assert model.read_text() == "run 261203_061500 step 40000"
    record = json.loads((data / "SH010_chroma.40000.cat.checkpoint.json").read_text())
    assert record == {"model": "SH010_chroma.40000.cat",
                      "checkpoint": "Training_261203_061500.40000.cat", "steps": 40000,
                      "requested_steps": 40000, "note": ""}
    renders = sorted((out / "renders").iterdir())
    assert len(renders) == 3 and renders[0].read_text() == "run 261203_061500 step 40000"
    assert report.read_text() == "SH010 checked\n"
    assert "Training_261203_061500.40000.cat" in result.stderr


def test_retraining_replaces_the_resolved_model_but_never_a_users_file(farm, posix_sh):
    out, report, log = farm
    data = out / "training" / "SH010_chroma"
    assert _run(posix_sh, out, log, FAKE_STEPS="40000").returncode == 0
    # A second run that stopped early at 30000: newer, so it wins, with a warning on record.
    result = _run(posix_sh, out, log, FAKE_STEPS="30000", FAKE_STAMP="261204_101010")
    assert result.returncode == 0, result.stderr
    model = data / "SH010_chroma.40000.cat"
    assert model.read_text() == "run 261204_101010 step 30000"
    record = json.loads((data / "SH010_chroma.40000.cat.checkpoint.json").read_text())
    assert record["steps"] == 30000 and "stopped early" in record["note"]
    assert "training stopped early: 30000 of 40000 steps" in result.stderr
    # The artist's own model (no record beside it) is used as is.
    (data / "SH010_chroma.40000.cat.checkpoint.json").unlink()
    model.write_text("chosen by hand")
    assert _run(posix_sh, out, log, FAKE_STEPS="40000").returncode == 0
    assert model.read_text() == "chosen by hand"
    assert sorted((out / "renders").iterdir())[0].read_text() == "chosen by hand"


def test_no_checkpoint_stops_before_the_render(farm, posix_sh):
    out, report, log = farm
    result = _run(posix_sh, out, log, FAKE_STEPS="0")
    assert result.returncode != 0
    assert "holds no CopyCat checkpoint Training_<yymmdd_hhmmss>.<steps>.cat" in result.stderr
    assert "did training finish?" in result.stderr and "Traceback" not in result.stderr
    assert not (out / "renders").exists() and not report.exists()


def test_python_rule():
    names = ["Training_261203_061500.10000.cat", "Training_261203_061500.40000.cat",
             "Training_261101_090000.80000.cat", "Training_261203_061500.40000.catnc",
             "notes.txt", "Training_bad.40000.cat"]
    assert pick_checkpoint(names, 40000) == ("Training_261203_061500.40000.cat", 40000)
    assert pick_checkpoint(names, 20000) == ("Training_261203_061500.10000.cat", 10000)
    assert pick_checkpoint(names, 5000) is None
    assert pick_checkpoint(names, None) == ("Training_261203_061500.40000.cat", 40000)
    assert pick_checkpoint(names, 40000, "catnc") == ("Training_261203_061500.40000.catnc", 40000)
    assert requested_steps("SH010_chroma_s2.40000.catnc") == 40000


def test_shell_rule_matches_python_rule(tmp_path, posix_sh):
    rnd = random.Random(7)
    for trial in range(12):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        names = {f"Training_2612{rnd.randint(1, 3):02d}_{rnd.randint(0, 2):02d}0000."
                 f"{rnd.choice([10000, 20000, 30000, 40000, 50000])}.cat" for _ in range(5)}
        for n in names:
            (folder / n).write_text(n)
        want = rnd.choice([20000, 40000])
        model = folder / f"SH_x.{want}.cat"
        script = RESOLVE_FUNCTION + f'nr_resolve_model "{model}"\n'
        r = subprocess.run([posix_sh, "-c", script], capture_output=True, text=True)
        expected = pick_checkpoint(names, want)
        if expected is None:
            assert r.returncode != 0 and not model.exists()
        else:
            assert r.returncode == 0, r.stderr
            assert model.read_text() == expected[0], (names, want)
