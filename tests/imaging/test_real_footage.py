"""The imaging commands on footage made like a real job.

A 10-bit Cineon log DPX scan at 256x192 numbered 1001-1024 with a cut at 1013, against a JPEG
DVD reference at half resolution numbered 1-24 (reference frame = source frame - 1000), faded
source against good-colour reference. Made from scikit-image photographs (imaging/samples.py).
"""
from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("OpenImageIO")
pytest.importorskip("PyOpenColorIO")
from nuke_restore.cli import main  # noqa: E402

SRC_ARGS = ("--reference-offset", "-1000")


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    samples = pytest.importorskip("nuke_restore.imaging.samples")
    out = tmp_path_factory.mktemp("real_footage")
    try:
        gt = samples.make_shot_sequence(out / "f", n_shots=2, frames_per_shot=12, seed=3,
                                        dissolves=(), events=False, source_format="dpx",
                                        reference_scale=2, reference_offset=-1000)
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"sample footage unavailable: {exc}")
    gt["dir"] = out
    return gt


def test_the_footage_is_what_a_real_job_brings(real):
    from nuke_restore.imaging.sequence import FrameSequence

    src, ref = FrameSequence.from_path(real["source"]), FrameSequence.from_path(real["reference"])
    assert (src.first, src.last, src.size) == (1001, 1024, (256, 192))
    assert (ref.first, ref.last, ref.size) == (1, 24, (128, 96))
    assert real["cuts"] == [1013]


def test_without_the_offset_the_numbering_is_explained(real, capsys):
    rc = main(["align", real["source"], real["reference"]])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1
    assert "too few frames in common (0" in err and "--reference-offset" in err


def test_curate_align_per_shot_baseline_and_qc(real, tmp_path, capsys):
    """The whole imaging side: curate -> align with curation -> baseline to EXR -> qc."""
    cur = tmp_path / "curation.json"
    sheet = tmp_path / "sheet.png"
    assert main(["curate", real["source"], "--reference", real["reference"], *SRC_ARGS,
                 "-o", str(cur), "--contact-sheet", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert "colour: source 'Cineon'" in out and "scale 2" in out
    assert "reference frame = source frame -1000" in out and "missing reference frames: refuse" in out
    curation = json.loads(cur.read_text())
    assert [(s["first"], s["last"]) for s in curation["shots"]] == [(1001, 1012), (1013, 1024)]
    assert curation["reference_scale"] == 2.0
    assert curation["reference_frames"]["1013"] == 13
    from nuke_restore.imaging.sequence import read_image

    rows = read_image(sheet)  # one source row and one reference row per shot
    assert rows.shape[0] > 4 * 96 and rows[..., 1].max() > 0.5

    # -- align: one transform per shot, on every frame, loaded by the job config as it is
    al = tmp_path / "align.json"
    assert main(["align", real["source"], real["reference"], *SRC_ARGS, "--curation", str(cur),
                 "--json", "-o", str(al)]) == 0
    doc = json.loads(al.read_text())
    assert sorted(int(f) for f in doc["frames"]) == list(range(1001, 1025))
    shots = doc["shots"]
    assert [(s["first"], s["last"]) for s in shots] == [(1001, 1012), (1013, 1024)]
    t1, t2 = doc["frames"]["1005"], doc["frames"]["1020"]
    assert t1 == {k: v for k, v in doc["frames"]["1001"].items() if k in t1}
    assert t1["translate"] != t2["translate"]  # the shots moved differently
    _load_through_job_config(real, cur, al, tmp_path)

    # -- baseline fitted on log DPX + half-resolution JPEG, rendered to linear EXR
    bl, render = tmp_path / "bl", str(tmp_path / "render" / "bl.####.exr")
    assert main(["baseline", "--source", real["source"], "--reference", real["reference"],
                 *SRC_ARGS, "--frames", "1002,1007,1011,1015,1019,1023", "--align",
                 "-o", str(bl), "--apply", real["source"], "--out", render]) == 0
    meta = json.loads((bl / "baseline.json").read_text())
    assert meta["reference_frames"] == [2, 7, 11, 15, 19, 23]
    assert meta["colour"]["spaces"]["output"]["colourspace"] == "ACEScg"
    capsys.readouterr()

    # -- qc: the baseline must be closer in colour to the reference than the untouched scan
    js = tmp_path / "qc.json"
    assert main(["qc", "--source", real["source"], "--reference", real["reference"], *SRC_ARGS,
                 "--baseline", render, "--mode", "chroma", "--align", "--frames", "1003-1023x5",
                 "-o", str(tmp_path / "qc.html"), "--json", str(js)]) == 0
    qc = json.loads(js.read_text())["summary"]
    scan, base = qc["source"]["de00_ref"], qc["baseline"]["de00_ref"]
    print(f"dE00 against the reference: untouched scan {scan:.2f}, baseline {base:.2f}")
    assert base < 0.5 * scan
    html = (tmp_path / "qc.html").read_text()
    assert 'class="best"' not in html  # one candidate: nothing to call best
    assert "baseline (2:1, 96x96 px" in html and "scale 2" in html


def _load_through_job_config(real, cur, al, tmp_path):
    """``alignment.transforms: align.json`` in a job config reads the file as align wrote it."""
    from nuke_restore.config import load_config
    from nuke_restore.recipes import sample_config_text

    text = sample_config_text(footage=real, alignment=al.name, base=tmp_path)
    (tmp_path / "job.yaml").write_text(text)
    cfg = load_config(tmp_path / "job.yaml")
    keys = cfg.alignment.keys
    assert sorted(keys) == list(range(1001, 1025))
    doc = json.loads(al.read_text())
    assert keys[1020].translate == tuple(doc["frames"]["1020"]["translate"])


def test_one_transform_across_a_cut_is_warned_naming_the_cut(real, caplog):
    from nuke_restore.framemap import FrameMap
    from nuke_restore.imaging import align

    with caplog.at_level(logging.WARNING):
        doc, _ = align.align_sequences(real["source"], real["reference"], shot_samples=4,
                                       frame_map=FrameMap.from_offset(-1000))
    assert any("spans the cut at frame(s) 1013" in w for w in doc["warnings"])
    assert "spans the cut at frame(s) 1013" in caplog.text


def test_per_frame_inside_shots(real):
    from nuke_restore.framemap import FrameMap
    from nuke_restore.imaging import align

    doc, res = align.align_sequences(real["source"], real["reference"], per_frame=True,
                                     frames=range(1010, 1016), shots=[(1001, 1012), (1013, 1024)],
                                     frame_map=FrameMap.from_offset(-1000), proxy=2)
    assert sorted(res) == list(range(1010, 1016))
    assert [(s["first"], s["last"]) for s in doc["shots"]] == [(1010, 1012), (1013, 1015)]
    assert "transform" not in doc["shots"][0]  # per frame: no one transform per shot


def test_missing_reference_frames_one_policy(real, tmp_path, capsys):
    """Refused by default naming the frames, skipped with --allow-missing, stated either way."""
    ref_dir = tmp_path / "ref"
    shutil.copytree(str(real["dir"] / "f" / "reference"), ref_dir)
    (ref_dir / "reference.0005.jpg").unlink()
    ref = str(ref_dir / "reference.####.jpg")
    commands = {
        "curate": ["curate", real["source"], "--reference", ref],
        "align": ["align", real["source"], ref, "--frames", "1003-1007", "--proxy", "2"],
        "baseline": ["baseline", "--source", real["source"], "--reference", ref,
                     "--frames", "1003-1007", "-o", str(tmp_path / "b")],
        "qc": ["qc", "--source", real["source"], "--reference", ref, "--baseline",
               real["source"], "--baseline-colourspace", "Cineon", "--mode", "chroma",
               "--frames", "1003-1007", "-o", str(tmp_path / "q.html")],
    }
    for name, args in commands.items():
        rc = main(args + list(SRC_ARGS))
        err = capsys.readouterr().err
        assert rc == 1, name
        assert "reference is missing frame(s) 5 for source frame(s) 1005" in err, (name, err)
        rc = main(args + list(SRC_ARGS) + ["--allow-missing", "--force"])
        cap = capsys.readouterr()
        assert rc == 0, (name, cap.err)
        text = cap.out + cap.err
        assert "missing reference frames: skip" in text, name
        assert "skipped 1005" in text, name


def test_frame_map_table_and_no_clean_match(real, tmp_path):
    from nuke_restore.framemap import FrameMap, FrameMatch, load_frame_map
    from nuke_restore.imaging import curate

    table = {f: FrameMatch(f - 1000) for f in range(1001, 1025)}
    table[1004] = FrameMatch(None, 0.0, "field-mixed")
    (tmp_path / "conform.json").write_text(FrameMap(table).dumps())
    result = curate.curate(real["source"], real["reference"],
                           frame_map=load_frame_map(tmp_path / "conform.json"))
    shot = result["shots"][0]
    assert shot["excluded"]["1004"].startswith("no clean reference match")
    assert 1004 not in shot["train"] and shot["preview"] != 1004
    assert result["no_clean_match"] == [1004]
    assert result["reference_frames"]["1010"] == 10


def test_other_aspect_reference_is_refused(real, tmp_path, capsys):
    from nuke_restore.imaging.sequence import write_image

    for f in range(1, 25):
        write_image(tmp_path / f"sq.{f:04d}.jpg", np.full((96, 96, 3), 0.5, np.float32), "uint8")
    rc = main(["align", real["source"], str(tmp_path / "sq.####.jpg"), *SRC_ARGS])
    err = capsys.readouterr().err
    assert rc == 1 and "96x96 (aspect 1.000) but the source is 256x192 (aspect 1.333)" in err


def test_qc_refuses_an_undeclared_encoding_mismatch(real, tmp_path, capsys):
    """The issue's broken run: an EXR holding display-encoded values, read as scene-linear."""
    from nuke_restore.imaging import ocio
    from nuke_restore.imaging.sequence import read_image, write_image

    for f in (1003, 1004):
        scan = read_image(real["source"].replace("####", str(f)))
        write_image(tmp_path / f"enc.{f}.exr", ocio.to_analysis(scan, "Cineon"))  # no tag
    args = ["qc", "--source", real["source"], "--reference", real["reference"], *SRC_ARGS,
            "--baseline", str(tmp_path / "enc.####.exr"), "--mode", "chroma",
            "--frames", "1003-1004", "-o", str(tmp_path / "q.html")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "reads as 'ACEScg'" in err and "look like sRGB-encoded (display) values" in err
    assert not (tmp_path / "q.html").exists()
    # declared, it is what it says: the untouched scan, so it scores as the source does
    assert main(args + ["--baseline-colourspace", "sRGB - Texture",
                        "--json", str(tmp_path / "q.json")]) == 0
    summary = json.loads((tmp_path / "q.json").read_text())["summary"]
    assert summary["baseline"]["de00_ref"] == pytest.approx(summary["source"]["de00_ref"],
                                                            abs=0.05)
