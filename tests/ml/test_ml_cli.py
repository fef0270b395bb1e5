"""train -> export -> catfile -> evaluate through the CLI on a small job; bad input is one line;
nothing imports torch at plugin load."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nuke_restore.cli import main


def test_plugin_load_never_imports_torch_or_ml():
    code = ("import sys, nuke_restore, nuke_restore.recipes, nuke_restore.config, "
            "nuke_restore.nk, nuke_restore.cli, nuke_restore.cli.train, nuke_restore.cli.export, "
            "nuke_restore.cli.evaluate, nuke_restore.cli.catfile\n"
            "from nuke_restore.cli import build_parser; build_parser()\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('nuke_restore.ml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_train_export_catfile_evaluate(ml_job, tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed: pip install 'nuke-restore[ml]'")
    cfg, gt = ml_job
    run = tmp_path / "run"
    assert main(["train", str(cfg), "--shot", "SH010", "--procedure", "chroma", "--steps", "4",
                 "-o", str(run)]) == 0
    summary = json.loads((run / "SH010_chroma.json").read_text())
    assert summary["steps"] == 4 and summary["settings"]["mode"] == "chroma"
    assert summary["settings"]["model_size"] == "Small" and summary["crop_size"] == 32
    pt = tmp_path / "model.pt"
    assert main(["export", str(run / "SH010_chroma.pt"), "-o", str(pt)]) == 0
    assert main(["export", str(run / "SH010_chroma.pt"), "-o", str(pt)]) == 1  # no overwrite
    assert main(["catfile", str(pt), "-o", str(tmp_path / "cat")]) == 0
    assert (tmp_path / "cat" / "model_CatFileCreator.nk").is_file()
    base = cfg.parent / "footage"
    out = tmp_path / "ev.json"
    assert main(["evaluate", str(pt), "--source", str(base / "source/source.####.exr"),
                 "--reference", str(base / "truth/truth.####.exr"), "--frames", "1003",
                 "--fit-frames", "1001,1006", "--ceiling", "-o", str(out),
                 "--html", str(tmp_path / "ev.html")]) == 0
    doc = json.loads(out.read_text())
    assert set(doc["metrics"]) == {"source", "model", "poly", "lut3d", "cdl", "chroma_ceiling"}
    # 4 steps from an identity start barely move: the model is scored on what it does.
    assert abs(doc["metrics"]["model"]["psnr"] - doc["metrics"]["source"]["psnr"]) < 1.0
    assert "Headless model vs colour baselines" in (tmp_path / "ev.html").read_text()
    # The same figures as a section of the QC report (qc --model-eval).
    qc_args = ["qc", "--source", str(base / "source/source.####.exr"), "--reference",
               str(base / "truth/truth.####.exr"), "--output", str(base / "source/source.####.exr"),
               "--mode", "chroma", "--frames", "1003,1006"]
    assert main(qc_args + ["--model-eval", str(tmp_path / "nope.json"),
                           "-o", str(tmp_path / "qc.html")]) == 1
    assert not (tmp_path / "qc.html").exists()
    assert main(qc_args + ["--model-eval", str(out), "-o", str(tmp_path / "qc.html"),
                           "--json", str(tmp_path / "qc.json")]) == 0
    page = (tmp_path / "qc.html").read_text()
    assert page.count("Headless model vs colour baselines") == 1
    assert f"{doc['metrics']['model']['psnr']:.3f}" in page
    assert json.loads((tmp_path / "qc.json").read_text())["model_evaluation"] == doc
    capsys.readouterr()
    assert main(["evaluate", str(pt), "--source", str(base / "source/source.####.exr"),
                 "--reference", str(base / "truth/truth.####.exr"), "--frames", "1003",
                 "--fit-frames", "1003", "-o", str(tmp_path / "ev2.json")]) == 1
    assert "both held out and used for fitting" in capsys.readouterr().err
    # A ground truth numbered from 1 at half size: --reference-offset / --frame-map pair the frames
    # and the truth is brought to the source's format, as the built graph's Reformat_REF does.
    from nuke_restore.imaging.sequence import box_downscale, read_image, write_image

    half = tmp_path / "half"
    half.mkdir()
    for f in (1001, 1003, 1006):
        img = read_image(str(base / f"truth/truth.{f}.exr"))
        write_image(half / f"truth.{f - 1000:04d}.exr", box_downscale(img, 2), "float")
    capsys.readouterr()
    args = ["evaluate", str(pt), "--source", str(base / "source/source.####.exr"),
            "--reference", str(half / "truth.####.exr"), "--frames", "1003",
            "--fit-frames", "1001,1006"]
    assert main(args + ["-o", str(tmp_path / "ev3.json")]) == 1
    err = capsys.readouterr().err
    assert "--reference-offset" in err and err.count("\n") == 1
    (tmp_path / "map.json").write_text('{"offset": -1000}')
    for extra, name in ((["--reference-offset", "-1000"], "ev4.json"),
                        (["--frame-map", str(tmp_path / "map.json")], "ev5.json")):
        assert main(args + extra + ["-o", str(tmp_path / name)]) == 0
        moved = json.loads((tmp_path / name).read_text())
        assert moved["reference_frames"] == {"1003": 3, "1001": 1, "1006": 6}
        assert moved["reference_scale"] == 2.0
        # Same scores within what halving the truth's resolution costs.
        for row in ("source", "model"):
            assert abs(moved["metrics"][row]["psnr"] - doc["metrics"][row]["psnr"]) < 1.5


def test_bad_input_is_one_line(tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed: pip install 'nuke-restore[ml]'")
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    assert main(["export", str(junk), "-o", str(tmp_path / "m.pt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "junk.pt" in err and "Traceback" not in err
    assert not (tmp_path / "m.pt").exists()
    assert main(["export", str(tmp_path / "missing.pt"), "-o", str(tmp_path / "m.pt")]) == 1
    assert "checkpoint not found" in capsys.readouterr().err
    import torch

    from nuke_restore.ml.train import FORMAT

    other = tmp_path / "other.pt"  # a checkpoint of a different network version
    torch.save({"format": FORMAT, "model": {"head.weight": torch.zeros(2, 16, 1, 1)},
                "settings": {"model_size": "Small", "mode": "chroma"}, "step": 1}, str(other))
    assert main(["export", str(other), "-o", str(tmp_path / "m.pt")]) == 1
    err = capsys.readouterr().err
    assert "do not fit this version's network" in err and err.count("\n") == 1


def test_farm_trainer_torch_runs_the_headless_trainer(ml_job, tmp_path):
    cfg, _gt = ml_job
    out = tmp_path / "farm"
    assert main(["farm", str(cfg), "--trainer", "torch", "--manager", "shell", "--gpus", "1",
                 "-o", str(out)]) == 0
    rank = (out / "SH010" / "SH010_chroma_train" / "rank_0.sh").read_text()
    assert f"\nnuke-restore train {cfg.resolve()} --shot SH010 --procedure chroma " \
           "--device cuda -o " in rank
    # then the packaging chain (run end to end in test_ml_farm_chain.py)
    assert "\nnuke-restore export " in rank and "\nnuke -t " in rank
    assert "CUDA_VISIBLE_DEVICES" in rank and "COPYCAT_RANK" not in rank
    assert main(["farm", str(cfg), "--trainer", "torch", "--world-size", "2", "--manager",
                 "shell", "-o", str(tmp_path / "f2")]) == 1


def test_inference_uses_the_exported_model_when_it_exists(ml_job, tmp_path):
    from nuke_restore.config import load_config
    from nuke_restore.recipes import build_scripts

    cfg = load_config(ml_job[0])

    def model_file():
        built = [b for b in build_scripts(cfg, ["SH010"], outdir=tmp_path)
                 if b.procedure == "chroma" and b.kind == "inference"][0]
        return [n.knob("modelFile") for n in built.script.nodes if n.cls == "Inference"][0]

    before = model_file()
    assert before.endswith(".cat") and "_torch" not in before
    cat = tmp_path / "pipeline/03_copycat_training/SH010/chroma/SH010_chroma_torch.cat"
    cat.parent.mkdir(parents=True)
    cat.write_bytes(b"cat")
    assert model_file() == "pipeline/03_copycat_training/SH010/chroma/SH010_chroma_torch.cat"
