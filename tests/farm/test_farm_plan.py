"""The plan: one process per rank, identical commands, per-rank environments, ordering."""
from __future__ import annotations

import json

import pytest
from farm_helpers import make_plan, make_specs

from nuke_restore.errors import FarmError
from nuke_restore.farm import ScriptSpec
from nuke_restore.farm.jobs import plan_files
from nuke_restore.farm.model import COPYCAT_VARS, strip_gpu
from nuke_restore.farm.plan import find_data_directory


def test_every_rank_runs_the_same_script_and_node():
    plan = make_plan(world_size=4)
    task = plan.shots[0].trainings[0]
    assert [r.rank for r in task.ranks] == [0, 1, 2, 3]
    assert task.world_size == 4
    argvs = {tuple(r.argv) for r in task.ranks}
    assert len(argvs) == 1
    argv = task.ranks[0].argv
    assert argv[:7] == ("nuke", "-V", "2", "-F", "1", "-X", "CopyCat_chroma")
    assert argv[-1] == "/mnt/show/farm/SH010/SH010_chroma_train.nk"
    assert "--gpu" in argv


def test_rank_environments():
    plan = make_plan(world_size=4, main_addr="render01", port=41000, sync_interval=8)
    task = plan.shots[0].trainings[0]
    for spec in task.ranks:
        env = spec.env_dict()
        assert set(COPYCAT_VARS) <= set(env)
        assert env["COPYCAT_RANK"] == str(spec.rank)
        assert env["COPYCAT_WORLD_SIZE"] == "4"
        assert env["COPYCAT_MAIN_ADDR"] == "render01"
        assert env["COPYCAT_MAIN_PORT"] == "41000"
        assert env["COPYCAT_SYNC_INTERVAL"] == "8"
    assert [r.keeps_checkpoints for r in task.ranks] == [True, False, False, False]


def test_single_process_exports_no_copycat_variables():
    plan = make_plan(world_size=1, specs=make_specs(batch=1))
    task = plan.shots[0].trainings[0]
    assert len(task.ranks) == 1 and task.ranks[0].env == ()
    files = plan_files(plan)
    assert "COPYCAT_" not in files["SH010/SH010_chroma_train/rank_0.sh"].replace(
        "no COPYCAT_* variables", "")
    assert "lib/farm.sh" not in files


def test_gpus_round_robin_only_change_the_gpu_index():
    plan = make_plan(world_size=4, gpus=(0, 1))
    ranks = plan.shots[0].trainings[0].ranks
    assert [r.gpu for r in ranks] == [0, 1, 0, 1]
    assert ranks[1].argv[ranks[1].argv.index("--gpu") + 1] == "1"
    assert strip_gpu(list(ranks[0].argv)) == strip_gpu(list(ranks[1].argv))
    plan = make_plan(world_size=2, use_gpu=False)
    assert "--gpu" not in plan.shots[0].trainings[0].ranks[0].argv


def test_ports_are_distinct_and_deterministic():
    specs = make_specs(shots=("SH010", "SH020"), procedures=("chroma", "spatial"))
    a = make_plan(specs, world_size=2)
    b = make_plan(specs, world_size=2)
    ports = [t.port for t in a.trainings()]
    assert ports == [t.port for t in b.trainings()]
    assert len(set(ports)) == 4
    fixed = make_plan(specs, world_size=2, port=40000)
    assert sorted(t.port for t in fixed.trainings()) == [40000, 40001, 40002, 40003]
    with pytest.raises(FarmError, match="beyond 65535"):
        make_plan(specs, world_size=2, port=65534)


def test_dependencies_training_then_inference_then_qc():
    plan = make_plan()
    shot = plan.shots[0]
    names = [t.name for t in shot.tasks()]
    assert names == ["SH010_chroma_train", "SH010_chroma_infer", "SH010_qc"]
    assert shot.renders[0].depends_on == ("SH010_chroma_train",)
    assert shot.qc[0].depends_on == ("SH010_chroma_infer",)


def test_multi_stage_training_waits_for_the_earlier_inference():
    specs = make_specs(procedures=("spatial",))
    chroma = make_specs(procedures=("chroma",))
    chroma[0] = ScriptSpec(**{**chroma[0].__dict__, "after": ("spatial",)})
    plan = make_plan(specs + chroma, world_size=2)
    tasks = {t.name: t for t in plan.shots[0].tasks()}
    assert tasks["SH010_chroma_train"].depends_on == ("SH010_spatial_infer",)
    order = [t.name for t in plan.shots[0].tasks()]
    assert order.index("SH010_spatial_infer") < order.index("SH010_chroma_train")


def test_shared_data_directory_is_refused():
    specs = make_specs(shots=("SH010", "SH020"))
    same = specs[2].text.replace("SH020_chroma", "SH010_chroma")
    specs[2] = ScriptSpec(**{**specs[2].__dict__, "text": same})
    with pytest.raises(FarmError, match="both write checkpoints to"):
        make_plan(specs, world_size=2)


def test_data_directory_is_found_and_remapped():
    plan = make_plan()
    assert plan.shots[0].trainings[0].data_directory == "/mnt/show/training/SH010_chroma"
    assert find_data_directory('CopyCat {\n name A\n dataDirectory "/x y"\n}\n', "A") == "/x y"
    assert find_data_directory("CopyCat {\n name A\n}\n", "A") is None


def test_scripts_are_copied_with_farm_paths():
    plan = make_plan()
    text = plan.scripts["SH010/SH010_chroma_train.nk"]
    assert "/mnt/show/training/SH010_chroma" in text and "/Volumes/show" not in text


def test_script_paths_may_not_escape():
    bad = make_specs()
    bad[0] = ScriptSpec(**{**bad[0].__dict__, "relpath": "../evil.nk"})
    with pytest.raises(FarmError, match="escapes"):
        make_plan(bad)


def test_manifest_is_deterministic_json():
    a = plan_files(make_plan())["farm.json"]
    b = plan_files(make_plan())["farm.json"]
    assert a == b
    data = json.loads(a)
    ranks = data["shots"][0]["tasks"][0]["ranks"]
    assert [r["rank"] for r in ranks] == [0, 1, 2, 3]
    assert [r["keeps_checkpoints"] for r in ranks] == [True, False, False, False]
