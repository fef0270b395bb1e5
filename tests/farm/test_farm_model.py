"""Settings validation, path maps and the consistency rules of a plan."""
from __future__ import annotations

import pytest
from farm_helpers import make_plan, make_specs

from nuke_restore.errors import FarmError
from nuke_restore.farm import FarmSettings, PathMap, check_batch, parse_gpus
from nuke_restore.farm.model import (
    RENDEZVOUS,
    check_path_maps,
    check_plan,
    default_port,
    remap,
    remap_text,
)


@pytest.mark.parametrize("text, message", [
    ("/a/b", "expected FROM=TO"),
    ("=/mnt", "FROM and TO must both be given"),
    ("relative=/mnt", "FROM must be an absolute path"),
    ("/a=relative", "TO must be an absolute path"),
    ("/a=/b$HOME", "not allowed"),
])
def test_bad_path_maps_are_refused(text, message):
    with pytest.raises(FarmError, match=message) as info:
        PathMap.parse(text)
    assert "--path-map" in str(info.value)


def test_path_map_longest_prefix_wins_and_respects_boundaries():
    maps = check_path_maps([PathMap.parse("/Volumes/show=/mnt/show"),
                            PathMap.parse("/Volumes/show/plates=/fast/plates"),
                            PathMap.parse("Z:/proj=/mnt/proj")])
    assert remap("/Volumes/show/plates/a.exr", maps) == "/fast/plates/a.exr"
    assert remap("/Volumes/show/x.nk", maps) == "/mnt/show/x.nk"
    assert remap("/Volumes/showreel/x.nk", maps) == "/Volumes/showreel/x.nk"
    assert remap("Z:/proj/a", maps) == "/mnt/proj/a"
    text = ('Read {\n file /Volumes/show/src.####.exr\n}\n'
            'Write {\n file "/Volumes/show/out/a b.exr"\n label /Volumes/showreel\n}\n')
    out = remap_text(text, maps)
    assert "file /mnt/show/src.####.exr" in out
    assert 'file "/mnt/show/out/a b.exr"' in out
    assert "label /Volumes/showreel" in out


def test_path_map_twice_is_refused():
    with pytest.raises(FarmError, match="mapped twice"):
        check_path_maps([PathMap.parse("/a=/b"), PathMap.parse("/a/=/c")])


def test_parse_gpus():
    assert parse_gpus("0, 2") == (0, 2)
    assert parse_gpus(None) == ()
    for bad in ("a", "0,0", "-1", "1;2"):
        with pytest.raises(FarmError, match="--gpus"):
            parse_gpus(bad)


@pytest.mark.parametrize("changes, message", [
    ({"world_size": 0}, "--world-size must be at least 1"),
    ({"world_size": -3}, "--world-size must be at least 1"),
    ({"world_size": 100000}, "larger than"),
    ({"managers": ("deadline", "slurm")}, "--manager 'slurm': unknown"),
    ({"port": 80}, "--port 80"),
    ({"port": 70000}, "--port 70000"),
    ({"main_addr": "host name"}, "--main-addr"),
    ({"main_addr": "$(reboot)"}, "--main-addr"),
    ({"sync_interval": 0}, "--sync-interval"),
    ({"chunk_size": 0}, "--chunk-size"),
    ({"cue_show": "my show"}, "--cue-show"),
])
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(FarmError, match=message.replace("(", r"\(").replace("$", r"\$")):
        FarmSettings(**changes).validate()


def test_batch_smaller_than_world_size_names_the_field():
    with pytest.raises(FarmError) as info:
        check_batch(3, 4, "procedures[0].copycat.batch_size", "procedure 'chroma'")
    text = str(info.value)
    assert "procedures[0].copycat.batch_size is 3" in text
    assert "--world-size 4" in text and "--batch-size 4" in text
    with pytest.raises(FarmError, match="is Auto"):
        check_batch(None, 2, "copycat.batch_size", "x")
    check_batch(4, 4, "f", "x")
    check_batch(None, 1, "f", "x")  # one process: Auto is fine
    check_batch(1, 1, "f", "x")


def test_plan_refuses_batch_below_world_size():
    with pytest.raises(FarmError, match="batch_size is 3, smaller than --world-size 4"):
        make_plan(make_specs(batch=3), world_size=4)


def test_default_port_is_seeded_and_in_range():
    assert default_port("DEMO/SH010/chroma/CopyCat_chroma") == default_port(
        "DEMO/SH010/chroma/CopyCat_chroma")
    assert 30000 <= default_port("x") < 50000


def test_check_plan_catches_tampered_ranks():
    plan = make_plan()
    task = plan.shots[0].trainings[0]
    from dataclasses import replace

    bad_env = tuple((k, "9" if k == "COPYCAT_RANK" else v) for k, v in task.ranks[2].env)
    tampered = replace(task, ranks=task.ranks[:2] + (replace(task.ranks[2], env=bad_env),)
                       + task.ranks[3:])
    plan.shots[0].trainings[0] = tampered
    with pytest.raises(FarmError, match="exports COPYCAT_RANK=9"):
        check_plan(plan)
    other_script = tuple(a.replace("_train.nk", "_other.nk") for a in task.ranks[1].argv)
    plan.shots[0].trainings[0] = replace(task, ranks=(task.ranks[0], replace(
        task.ranks[1], argv=other_script)) + task.ranks[2:])
    with pytest.raises(FarmError, match="same script and node"):
        check_plan(plan)


def test_rendezvous_placeholder_when_no_main_addr():
    plan = make_plan()
    env = plan.shots[0].trainings[0].ranks[1].env_dict()
    assert env["COPYCAT_MAIN_ADDR"] == RENDEZVOUS
    plan = make_plan(main_addr="10.0.0.5")
    assert {r.env_dict()["COPYCAT_MAIN_ADDR"] for r in plan.shots[0].trainings[0].ranks} == {
        "10.0.0.5"}


def test_pool_group_and_tags():
    from nuke_restore.farm.jobs import plan_files

    files = plan_files(make_plan(deadline_pool="gpu_pool", deadline_group="rtx", cue_tags=("gpu",)))
    job = files["deadline/SH010/01_SH010_chroma_train.job_info.job"]
    assert "Pool=gpu_pool\n" in job and "Group=rtx\n" in job
    assert files["opencue/SH010.xml"].count("<tags>gpu</tags>") == 3
    with pytest.raises(FarmError, match="--cue-tags"):
        FarmSettings(cue_tags=("gpu nodes",)).validate()
    with pytest.raises(FarmError, match="--pool"):
        FarmSettings(deadline_pool="a b").validate()
