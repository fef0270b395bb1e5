"""Real footage, end to end: the whole job on material made like a restorer's, with a fake `nuke`.

The footage: a 10-bit Cineon log DPX scan at 256x192 numbered 1001-1024 with a cut at 1013, faded;
its reference, a JPEG "DVD" at half resolution numbered from 1, with a different offset per shot
(reference = source - 1000 in the first shot, source - 990 after the cut: a splice in the transfer).
Made from photographs shipped in scikit-image (imaging/samples.py); small, so the test stays fast.

The chain: `nuke-restore conform` (the frame map) -> curate -> align with the
curation -> job config -> build -> baseline to scene-linear EXR -> qc; then `nuke-restore farm` and its
`run_all.sh` with a fake `nuke` that trains by writing CopyCat-style checkpoints and renders by
writing EXRs, running on to QC. The baseline's ΔE2000 against the reference must beat the untouched
scan's, both in the headless QC and in the farm's.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("scipy", reason="the imaging extra (scipy) is not installed")
pytest.importorskip("OpenImageIO", reason="the imaging extra (OpenImageIO) is not installed")
pytest.importorskip("PyOpenColorIO", reason="the imaging extra (opencolorio) is not installed")

import numpy as np  # noqa: E402

from nuke_restore.cli import main  # noqa: E402
from nuke_restore.framemap import load_frame_map  # noqa: E402
from nuke_restore.imaging.sequence import write_image  # noqa: E402
from nuke_restore.nk.values import curve_keys  # noqa: E402

OFFSETS = (-1000, -990)  # reference frame = source frame + offset, per shot

# A stand-in for `nuke -X NODE script.nk`, run with this test's Python so it can use the imaging
# code: a CopyCat "trains" by writing Training_<yymmdd_hhmmss>.<steps>.cat files (every 10000 steps
# and the last); a Write "renders" one EXR per frame of the script's range, at the size the script's
# live-area Crop delivers. Inference renders are the untouched scan (a model that learned nothing);
# the MatchGrade render is the headless baseline (FAKE_BASELINE), so QC has real numbers to judge.
FAKE_NUKE = r'''#!{python}
import os, re, sys
import numpy as np
from nuke_restore.imaging import ocio
from nuke_restore.imaging.sequence import FrameSequence, read_image, write_image

args = sys.argv[1:]
node = args[args.index("-X") + 1]
script = args[-1]
text = open(script).read()
folder = os.path.dirname(script)

def block(name):
    for m in re.finditer(r"^(\w+) \{{\n(.*?)^\}}", text, re.M | re.S):
        if re.search(r"^ name " + re.escape(name) + r"$", m.group(2), re.M):
            return m.group(1), m.group(2)
    raise SystemExit("fake nuke: no node " + name)

def knob(body, name):
    m = re.search(r"^ " + name + r" (\"(?:[^\"\\]|\\.)*\"|\{{[^}}]*\}}|\S+)$", body, re.M)
    return m.group(1).strip('"') if m else None

def here(path):
    return path if path.startswith("/") else os.path.join(folder, path)

cls, body = block(node)
with open(os.environ["FAKE_NUKE_LOG"], "a") as log:
    log.write("%s %s\n" % (cls, node))
if cls == "CopyCat":
    steps = int(re.search(r"= (\d+) steps", body).group(1))
    data = here(knob(body, "dataDirectory"))
    os.makedirs(data, exist_ok=True)
    for s in sorted(set(list(range(10000, steps, 10000)) + [steps])):
        open(os.path.join(data, "Training_261203_061500.%d.cat" % s), "w").write("weights %d" % s)
elif cls == "Write":
    model = knob(text, "modelFile")
    if model is not None:
        assert open(here(model)).read().startswith("weights"), "the model is not a checkpoint"
    first = int(re.search(r"^ first_frame (\d+)$", text, re.M).group(1))
    last = int(re.search(r"^ last_frame (\d+)$", text, re.M).group(1))
    _c, crop = block("Crop_LIVE_AREA")
    box = [int(float(v)) for v in knob(crop, "box").strip("{{}}").split()]
    reformat = knob(crop, "reformat") == "true"
    _c, read = block("Read_SRC")
    src = FrameSequence.from_path(here(knob(read, "file")))
    out = re.sub(r"#+", lambda m: "%%0%dd" % len(m.group(0)), here(knob(body, "file")))
    baseline = os.environ.get("FAKE_BASELINE") if "MATCHGRADE" in node else None
    for f in range(first, last + 1):
        if baseline:
            img = read_image(baseline.replace("####", "%04d" % f))
            rgb = ocio.convert(img, "ACEScg", "ACES2065-1")
        else:
            rgb = ocio.convert(read_image(src.path(f)), "Cineon", "ACES2065-1")
        h = rgb.shape[0]
        x, y, r, t = box
        rows = slice(h - t, h - y)  # Nuke's y runs up from the bottom
        if reformat:
            rgb = rgb[rows, x:r]
        else:
            kept = np.zeros_like(rgb)
            kept[rows, x:r] = rgb[rows, x:r]
            rgb = kept
        write_image(out % f, rgb.astype(np.float32), "half", force=True)
'''


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    from nuke_restore.imaging import samples

    root = tmp_path_factory.mktemp("real_job")
    gt = samples.make_shot_sequence(root / "footage", n_shots=2, frames_per_shot=12, seed=1,
                                    dissolves=(), events=False, source_format="dpx",
                                    reference_scale=2, reference_offset=OFFSETS)
    # The DVD carries ten frames the print lost at the splice (reference 13-22): material of its
    # own, here textured grey frames, so the reference is a whole numbered sequence as a DVD is.
    rng = np.random.default_rng(5)
    for r in range(13, 23):
        write_image(root / "footage" / "reference" / f"reference.{r:04d}.jpg",
                    np.clip(0.4 + 0.1 * rng.standard_normal((96, 128, 3)), 0, 1).astype(np.float32),
                    "uint8", force=True)
    truth = {f: f + (OFFSETS[0] if f < 1013 else OFFSETS[1]) for f in range(1001, 1025)}
    return {"root": root, "source": gt["source"], "reference": gt["reference"], "truth": gt,
            "map": truth}


def _fake_nuke(folder: Path) -> Path:
    fake = folder / "bin" / "nuke"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text(FAKE_NUKE.format(python=sys.executable))
    fake.chmod(0o755)
    return fake


def test_real_footage_end_to_end(job, capsys):
    root = job["root"]
    src, ref = job["source"], job["reference"]
    fmap = ["--frame-map", str(root / "conform.json")]
    colour = ["--source-colourspace", "Cineon", "--reference-colourspace", "sRGB - Texture"]
    # Plainly numbered footage does not line up at all: the two elements share no frame numbers
    # in the second shot's range, which is why the frame map exists.
    assert job["truth"]["reference_offsets"] == list(OFFSETS)

    # 0. conform: which reference frame shows each scan frame (the offset changes at the splice)
    assert main(["conform", src, ref, "-o", str(root / "conform.json")]) == 0
    found = load_frame_map(root / "conform.json")
    assert {f: found.reference(f) for f in range(1001, 1025)} == job["map"]

    # 1. curate: cuts, training and preview frames, only where the map has a clean match
    cur = root / "curation.json"
    assert main(["curate", src, "--reference", ref, *fmap, *colour, "-o", str(cur)]) == 0
    shots = json.loads(cur.read_text())["shots"]
    assert [(s["first"], s["last"]) for s in shots] == [(1001, 1012), (1013, 1024)]

    # 2. align with the curation: one solve per shot
    al = root / "align.json"
    assert main(["align", src, ref, *fmap, *colour, "--curation", str(cur), "--json",
                 "-o", str(al)]) == 0
    doc = json.loads(al.read_text())
    assert [(s["first"], s["last"]) for s in doc["shots"]] == [(1001, 1012), (1013, 1024)]
    capsys.readouterr()

    # 3. the job config names the same footage, colour spaces, map, curation and alignment
    (root / "job.yaml").write_text(f"""\
version: 1
project: {{name: REAL, format: {{width: 256, height: 192}}}}
clips:
  main:
    source: {Path(src).relative_to(root).as_posix()}
    reference: {Path(ref).relative_to(root).as_posix()}
    first: 1001
    last: 1024
    colorspace: Cineon
    reference_colorspace: sRGB - Texture
    frame_map: conform.json
curation: curation.json
alignment: {{mode: both, transforms: align.json, live_area: [0, 0, 256, 192]}}
copycat: {{steps: 20000}}
procedures: [chroma, baseline]
""")

    # 4. build: the Reference is retimed per source frame and reformatted to the scan's format
    scripts = root / "scripts"
    assert main(["build", str(root / "job.yaml"), "-o", str(scripts)]) == 0, capsys.readouterr().err
    training = (scripts / "SH0010_chroma_training.nk").read_text()
    second = (scripts / "SH0020_baseline.nk").read_text()
    assert "name Reformat_REF" in training and 'format "256 192 0 0 256 192 1 REAL_format"' in training
    curve = re.search(r"firstFrame (\{\{curve K [^}]*\}\})", second).group(1)
    keys = dict((int(f), int(r)) for f, r in curve_keys(curve))
    assert keys == job["map"]  # every source frame holds its mapped reference frame
    ref_holds = re.findall(r"firstFrame (\d+)\n name FrameHold_REF_(\d+)\n label \"reference "
                           r"frame (\d+)\"", second)
    assert ref_holds and all(int(r) == int(f) - 990 for f, _n, r in ref_holds)
    inference = (scripts / "SH0010_chroma_inference.nk").read_text()
    live = re.search(r"Crop \{\n box \{0 0 256 192\}\n(.*?)\n\}", inference, re.S).group(1)
    assert "reformat true" not in live  # renders at the scan's format
    capsys.readouterr()

    # 5. baseline fitted on the pairs, applied to the whole scan, written as scene-linear EXR
    bl, render = root / "baseline", str(root / "baseline_render" / "base.####.exr")
    frames = ",".join(str(f) for s in shots for f in s["train"])
    assert main(["baseline", "--source", src, "--reference", ref, *fmap, *colour,
                 "--frames", frames, "--align", "-o", str(bl), "--apply", src,
                 "--out", render]) == 0
    meta = json.loads((bl / "baseline.json").read_text())
    assert meta["colour"]["spaces"]["output"]["colourspace"] == "ACEScg"

    # 6. qc: the baseline is closer in colour to the reference than the untouched scan
    js = root / "qc.json"
    assert main(["qc", "--source", src, "--reference", ref, *fmap, *colour, "--baseline", render,
                 "--mode", "chroma", "--align", "--frames", "1002-1024x3",
                 "-o", str(root / "qc.html"), "--json", str(js)]) == 0
    summary = json.loads(js.read_text())["summary"]
    scan_de, base_de = summary["source"]["de00_ref"], summary["baseline"]["de00_ref"]
    assert base_de < scan_de
    capsys.readouterr()
    with capsys.disabled():
        print(f"\nheadless QC dE00 against the reference: untouched scan {scan_de:.2f}, "
              f"baseline {base_de:.2f}")

    # 7. the farm chain with a fake nuke: training -> inference -> MatchGrade render -> QC
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no POSIX sh: the farm's run_all.sh cannot run here")
    fake = _fake_nuke(root)
    tool = Path(sys.executable).with_name("nuke-restore")
    farm = root / "farm jobs"  # a space on purpose: every path is quoted
    assert main(["farm", str(root / "job.yaml"), "--manager", "shell", "-o", str(farm),
                 "--shot", "SH0020", "--nuke", str(fake), "--cpu",
                 "--qc-tool", str(tool)]) == 0, capsys.readouterr().err
    env = dict(os.environ, FAKE_NUKE_LOG=str(root / "nuke.log"), FAKE_BASELINE=render,
               TMPDIR=str(root))
    run = subprocess.run([sh, str(farm / "SH0020" / "run_all.sh")], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    calls = (root / "nuke.log").read_text().split()
    assert calls[:2] == ["CopyCat", "CopyCat_CHROMA"] and "Write_CHROMA" in calls \
        and "Write_MATCHGRADE" in calls
    data = farm / "pipeline" / "03_copycat_training" / "SH0020" / "chroma"
    record = json.loads(next(data.glob("*.checkpoint.json")).read_text())
    assert record["checkpoint"] == f"Training_261203_061500.{record['requested_steps']}.cat"
    exrs = sorted((farm / "pipeline" / "04_inference_render").rglob("*.exr"))
    assert len(exrs) == 12
    from nuke_restore.imaging.sequence import read_image

    assert read_image(exrs[0]).shape[:2] == (192, 256)  # the scan's format
    qc = json.loads(next((farm / "SH0020" / "qc").glob("*.json")).read_text())["summary"]
    with capsys.disabled():
        print(f"farm QC dE00: scan {qc['source']['de00_ref']:.2f}, "
              f"MatchGrade render {qc['baseline']['de00_ref']:.2f}, "
              f"inference render {qc['output']['de00_ref']:.2f}")
    assert qc["baseline"]["de00_ref"] < qc["source"]["de00_ref"]
    # Like with like: the fake model changes nothing, so after Nuke's output transform (ACES2065-1
    # EXR) and QC's reading of it, the inference render scores what the untouched scan scores.
    assert abs(qc["output"]["de00_ref"] - qc["source"]["de00_ref"]) < 0.05
