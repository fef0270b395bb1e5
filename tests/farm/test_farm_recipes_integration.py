"""`nuke-restore farm` on the demo's own job config (the recipes' sample_config_text)."""
from __future__ import annotations

import json

import pytest

from nuke_restore.cli import main

recipes = pytest.importorskip("nuke_restore.recipes")
if not hasattr(recipes, "build_scripts") or not hasattr(recipes, "sample_config_text"):
    pytest.skip("recipes API (build_scripts, sample_config_text) not available",
                allow_module_level=True)

COPYCAT_VARS = ("COPYCAT_MAIN_ADDR", "COPYCAT_MAIN_PORT", "COPYCAT_RANK", "COPYCAT_WORLD_SIZE")


@pytest.fixture
def demo_config(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(recipes.sample_config_text())
    return path


def test_demo_batch_3_refuses_world_size_4(demo_config, tmp_path, capsys):
    out = tmp_path / "farm"
    assert main(["farm", str(demo_config), "--world-size", "4", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "copycat.batch_size is 3, smaller than --world-size 4" in err
    assert "job.yaml:" in err
    assert not out.exists()


def test_demo_world_size_4_with_batch_override(demo_config, tmp_path, capsys):
    out = tmp_path / "farm"
    code = main(["farm", str(demo_config), "--world-size", "4", "--batch-size", "4", "-o",
                 str(out), "--shot", "SH010", "--cue-user", "artist"])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((out / "farm.json").read_text())
    tasks = {t["name"]: t for t in manifest["shots"][0]["tasks"]}
    trainings = [t for t in tasks.values() if t["kind"] == "training"]
    assert trainings
    for task in trainings:
        assert task["batch_size"] == 4
        assert [r["rank"] for r in task["ranks"]] == [0, 1, 2, 3]
        assert len({r["command"] for r in task["ranks"]}) == 1
        assert [r["keeps_checkpoints"] for r in task["ranks"]] == [True, False, False, False]
        for rank in range(4):
            env = (out / "SH010" / task["name"] / f"rank_{rank}.env").read_text()
            assert all(key in env for key in COPYCAT_VARS)
            assert f"COPYCAT_RANK={rank}\n" in env and "COPYCAT_WORLD_SIZE=4\n" in env
        # The script named by the command was written, with the CopyCat node in it.
        script = task["script"]
        assert (out / script.rsplit("/", 1)[1]).read_text().count(task["copycat_node"]) >= 1
    # Multi-stage (combined): stage 2 trains after stage 1; inference after both.
    combined = sorted(n for n in tasks if n.startswith("SH010_combined_train"))
    assert len(combined) == 2 and tasks[combined[1]]["depends_on"] == [combined[0]]
    assert sorted(tasks["SH010_combined_infer"]["depends_on"]) == combined
    assert tasks["SH010_qc"]["depends_on"]
    assert (out / "deadline" / "submit_deadline.sh").is_file()
    assert list((out / "deadline" / "SH010").glob("*_SH010_chroma_train.job_info.job"))
    assert (out / "opencue" / "SH010.xml").read_text().count("<layer ") == len(tasks)
    # Per-task checkpoint folders never collide.
    dirs = [t["data_directory"] for t in trainings]
    assert len(set(dirs)) == len(dirs)


def test_demo_world_size_3_needs_no_override(demo_config, tmp_path, capsys):
    out = tmp_path / "farm"
    code = main(["farm", str(demo_config), "--world-size", "3", "-o", str(out), "--shot", "SH020",
                 "--manager", "shell", "--cue-user", "artist"])
    assert code == 0, capsys.readouterr().err
    assert (out / "SH020" / "SH020_chroma_train" / "rank_2.sh").is_file()
    assert not (out / "SH020" / "SH020_chroma_train" / "rank_3.sh").exists()
    assert not (out / "deadline").exists() and not (out / "opencue").exists()


def test_demo_qc_commands_are_valid_nuke_restore_qc_calls(demo_config, tmp_path, capsys):
    from nuke_restore.cli import build_parser

    out = tmp_path / "farm"
    assert main(["farm", str(demo_config), "--world-size", "3", "-o", str(out), "--shot", "SH010",
                 "--manager", "shell", "--qc-command", "echo {shot} done"]) == 0
    manifest = json.loads((out / "farm.json").read_text())
    qc = [t for t in manifest["shots"][0]["tasks"] if t["kind"] == "qc"][0]
    inference = [t for t in manifest["shots"][0]["tasks"] if t["kind"] == "inference"]
    commands = qc["commands"]
    assert len(commands) == len(inference) + 1 and commands[-1] == ["echo", "SH010", "done"]
    parser = build_parser()
    for argv in commands[:-1]:
        assert argv[:2] == ["nuke-restore", "qc"]
        args = parser.parse_args(argv[1:])  # the real qc CLI accepts them
        assert args.mode in ("chroma", "spatial") and args.output.endswith(".####.exr")
        assert args.source.startswith("/") and args.reference.startswith("/")
    script = (out / "SH010" / "SH010_qc.sh").read_text()
    assert script.count("nuke-restore qc ") == len(inference)


def test_qc_reads_the_footage_as_the_scripts_do(tmp_path, capsys):
    """The farm's QC command carries the OCIO config, the Reads' and Writes' colour spaces and the
    Reference's frame numbering; a job with only the MatchGrade baseline still gets measured."""
    cfg = tmp_path / "job.yaml"
    cfg.write_text("""\
project: {name: REAL, format: {width: 768, height: 576}}
clips:
  main: {source: scan/scan.####.dpx, reference: dvd/dvd.####.jpg, first: 1001, last: 1024,
         colorspace: Cineon, reference_colorspace: sRGB - Texture, reference_offset: -1000}
shots:
  - {name: SH010, first: 1001, last: 1024}
procedures: [baseline]
""")
    out = tmp_path / "farm"
    assert main(["farm", str(cfg), "--manager", "shell", "-o", str(out)]) == 0, \
        capsys.readouterr().err
    qc = (out / "SH010" / "SH010_qc.sh").read_text()
    line = next(x for x in qc.splitlines() if x.startswith("nuke-restore qc"))
    for part in ("--mode chroma", "--baseline ", "--source-colourspace Cineon",
                 "--reference-colourspace 'sRGB - Texture'", "--reference-offset -1000",
                 "--baseline-colourspace aces_interchange",
                 "--ocio-config fn-nuke_studio-config-v1.0.0_aces-v1.3_ocio-v2.1"):
        assert part in line, (part, line)
    assert "--output " not in line  # no inference render in this job
