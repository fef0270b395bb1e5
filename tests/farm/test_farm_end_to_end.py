"""A whole shot through the generated scripts, with a fake Nuke that trains and renders instantly.

run_all.sh -> launch_local.sh (2 ranks) -> inference (model check, render) -> QC (frame check, QC
command). The fake reads the .nk the way the real command names it (-X node, -F range, script path).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nuke_restore.farm import FarmSettings, ScriptSpec, build_plan, write_plan

FAKE_NUKE = r'''#!{python}
"""Fake nuke: -X <CopyCat> writes <dataDirectory>/<name>.40000.cat (rank 0 only, as CopyCat does);
-X <Write> writes one file per frame of -F FIRST-LAST (default: the Root range)."""
import os, re, sys
args = sys.argv[1:]
node = args[args.index("-X") + 1]
script = args[-1]
text = open(script).read()
folder = os.path.dirname(script)
block = re.search(r"^(\w+) \{{((?:(?!^\}}).)*?^ name " + re.escape(node) + r"$.*?)^\}}", text,
                  re.M | re.S)
cls, body = block.group(1), block.group(2)
def knob(name):
    return re.search(r"^ " + name + r" (\S+)$", body, re.M).group(1)
def here(path):
    return path if path.startswith("/") else os.path.join(folder, path)
with open(os.environ["FAKE_NUKE_LOG"], "a") as log:
    log.write("%s %s rank=%s\n" % (cls, node, os.environ.get("COPYCAT_RANK", "-")))
if cls == "CopyCat":
    if os.environ.get("COPYCAT_RANK", "0") == "0":
        data = here(knob("dataDirectory")).rstrip("/")
        os.makedirs(data, exist_ok=True)
        open(os.path.join(data, os.path.basename(data) + ".40000.cat"), "w").write("model")
elif cls == "Write":
    if "-F" in args:
        first, last = map(int, args[args.index("-F") + 1].split("-"))
    else:
        first = int(re.search(r"^ first_frame (\d+)$", text, re.M).group(1))
        last = int(re.search(r"^ last_frame (\d+)$", text, re.M).group(1))
    pattern = re.sub(r"#+", lambda m: "%%0%dd" % len(m.group(0)), here(knob("file")))
    os.makedirs(os.path.dirname(pattern), exist_ok=True)
    for frame in range(first, last + 1):
        open(pattern % frame, "w").write("pixels")
'''

TRAIN = """Root {
 inputs 0
 first_frame 1
 last_frame 4
}
CopyCat {
 inputs 2
 dataDirectory training/SH010_chroma
 name CopyCat_chroma
}
"""

INFER = """Root {
 inputs 0
 first_frame 1001
 last_frame 1012
}
Inference {
 modelFile training/SH010_chroma/SH010_chroma.40000.cat
 name Inference1
}
Write {
 file renders/SH010_chroma.####.exr
 name Write_chroma
}
"""


def test_a_shot_runs_end_to_end(tmp_path, posix_sh):
    fake = tmp_path / "bin" / "nuke"
    fake.parent.mkdir()
    fake.write_text(FAKE_NUKE.format(python=sys.executable))
    fake.chmod(0o755)
    out = tmp_path / "farm"
    specs = [
        ScriptSpec(shot="SH010", procedure="chroma", kind="training",
                   relpath="SH010_chroma_training.nk", text=TRAIN,
                   copycat_nodes=("CopyCat_chroma",), batch_size=2),
        ScriptSpec(shot="SH010", procedure="chroma", kind="inference",
                   relpath="SH010_chroma_inference.nk", text=INFER,
                   write_nodes=(("Write_chroma", str(out / "renders/SH010_chroma.####.exr")),),
                   frames=(1001, 1012)),
    ]
    settings = FarmSettings(world_size=2, nuke=str(fake), cue_user="artist").validate()
    report = tmp_path / "qc.txt"
    plan = build_plan(specs, settings, str(out), qc_builder=lambda shot, renders: [
        ("sh", "-c", f"echo {shot} checked > {report}")])
    write_plan(plan, out)
    log = tmp_path / "nuke.log"
    env = {"PATH": "/usr/bin:/bin", "FAKE_NUKE_LOG": str(log), "TMPDIR": str(tmp_path),
           "NUKE_RESTORE_HEARTBEAT": "1"}
    result = subprocess.run([posix_sh, str(out / "SH010" / "run_all.sh")], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    calls = sorted(log.read_text().splitlines())
    assert calls == ["CopyCat CopyCat_chroma rank=0", "CopyCat CopyCat_chroma rank=1",
                     "Write Write_chroma rank=-"]
    assert (out / "training/SH010_chroma/SH010_chroma.40000.cat").is_file()
    assert len(list((out / "renders").glob("SH010_chroma.*.exr"))) == 12
    assert report.read_text() == "SH010 checked\n"
    # The same scripts, chunked as a manager would run them: frames 1001-1005 only.
    for frame in (out / "renders").iterdir():
        frame.unlink()
    subprocess.run([posix_sh, str(out / "SH010" / "SH010_chroma_infer.sh"), "1001", "1005"],
                   env=env, check=True, timeout=60)
    assert len(list((out / "renders").iterdir())) == 5
    qc = subprocess.run([posix_sh, str(out / "SH010" / "SH010_qc.sh")], env=env,
                        capture_output=True, text=True, timeout=60)
    assert qc.returncode == 1 and "7 render output file(s) missing" in qc.stderr
    manifest = json.loads((out / "farm.json").read_text())
    assert [t["name"] for t in manifest["shots"][0]["tasks"]] == [
        "SH010_chroma_train", "SH010_chroma_infer", "SH010_qc"]
    assert Path(manifest["farm_root"]) == out
