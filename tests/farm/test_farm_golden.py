"""Golden job files: a fixed two-shot plan with world size 4 and a path map.

Rewrite with NUKE_RESTORE_UPDATE_GOLDENS=1 after an intended change, and review the diff.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from farm_helpers import make_plan, make_specs

from nuke_restore.farm.jobs import plan_files

GOLDEN_FILES = [
    "SH010/SH010_chroma_train/rank_0.sh",
    "SH010/SH010_chroma_train/rank_1.sh",
    "SH010/SH010_chroma_train/rank_3.env",
    "SH010/SH010_chroma_train/launch_local.sh",
    "SH010/SH010_chroma_infer.sh",
    "SH010/SH010_qc.sh",
    "SH010/run_all.sh",
    "lib/farm.sh",
    "deadline/SH010/01_SH010_chroma_train.job_info.job",
    "deadline/SH010/01_SH010_chroma_train.plugin_info.job",
    "deadline/SH010/02_SH010_chroma_infer.job_info.job",
    "deadline/SH010/02_SH010_chroma_infer.plugin_info.job",
    "deadline/SH010/03_SH010_qc.job_info.job",
    "deadline/SH010/03_SH010_qc.plugin_info.job",
    "deadline/submit_deadline.sh",
    "opencue/SH010.xml",
    "opencue/submit_opencue.py",
    "farm.json",
]


def _files():
    specs = make_specs(shots=("SH010", "SH020"))
    return plan_files(make_plan(specs, world_size=4, sync_interval=2))


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden(name, golden):
    files = _files()
    golden(name.replace("/", "__") + ".golden", files[name])


def test_same_inputs_same_bytes():
    assert _files() == _files()


def test_opencue_spec_follows_the_dtd_order():
    root = ET.fromstring(_files()["opencue/SH020.xml"].split("\n", 2)[2])
    assert [c.tag for c in root] == ["show", "shot", "user", "job", "depends"]
    job = root.find("job")
    assert [c.tag for c in job] == ["paused", "maxretries", "layers"]
    layers = job.find("layers")
    for layer in layers:
        assert [c.tag for c in layer] == ["cmd", "range", "chunk"]
        assert layer.get("type") in ("Render", "Util", "Post")
    train = layers[0]
    assert train.find("range").text == "0-3"
    assert train.find("cmd").text.endswith("/SH020_chroma_train/rank_#IFRAME#.sh")
    deps = [(d.find("deplayer").text, d.find("onlayer").text) for d in root.find("depends")]
    assert deps == [("SH020_chroma_infer", "SH020_chroma_train"),
                    ("SH020_qc", "SH020_chroma_infer")]


def test_deadline_training_job_has_one_task_per_rank():
    files = _files()
    job = files["deadline/SH020/01_SH020_chroma_train.job_info.job"]
    plugin = files["deadline/SH020/01_SH020_chroma_train.plugin_info.job"]
    assert "Plugin=CommandLine\n" in job and "Frames=0-3\n" in job and "ChunkSize=1\n" in job
    assert "Arguments=<QUOTE>/mnt/show/farm/SH020/SH020_chroma_train/rank_<STARTFRAME>.sh<QUOTE>" \
        in plugin
    assert "Executable=/bin/sh\n" in plugin
    # Every rank script the tasks can name exists.
    for rank in range(4):
        assert f"SH020/SH020_chroma_train/rank_{rank}.sh" in files
