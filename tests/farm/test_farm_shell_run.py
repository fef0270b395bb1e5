"""Run the generated POSIX scripts for real, with a fake `nuke` that records what it was given."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from farm_helpers import make_plan, make_specs

from nuke_restore.farm import write_plan

FAKE_NUKE = """#!/bin/sh
# Records its arguments and COPYCAT_* environment, like a Nuke that trains instantly.
out="$FAKE_NUKE_OUT/rank_${COPYCAT_RANK:-single}.txt"
{
    printf 'args:'
    for a in "$@"; do printf ' %s' "$a"; done
    printf '\\n'
    env | grep '^COPYCAT_' | sort
    printf 'NUKE_TEMP_DIR=%s\\n' "$NUKE_TEMP_DIR"
} >"$out"
exit "${FAKE_NUKE_EXIT:-0}"
"""


def _setup(tmp_path: Path, **overrides):
    fake = tmp_path / "bin" / "nuke"
    fake.parent.mkdir()
    fake.write_text(FAKE_NUKE)
    fake.chmod(0o755)
    out = tmp_path / "farm dir"  # a space exercises the quoting
    record = tmp_path / "record"
    record.mkdir()
    (tmp_path / "tmp").mkdir()
    plan = make_plan(make_specs(batch=4), out_root=str(out), path_maps=(), nuke=str(fake),
                     **overrides)
    write_plan(plan, out)
    env = dict(os.environ, FAKE_NUKE_OUT=str(record), TMPDIR=str(tmp_path / "tmp"),
               NUKE_RESTORE_HEARTBEAT="1", NUKE_RESTORE_RENDEZVOUS_TIMEOUT="20")
    return out, record, env


def _read(record: Path, rank) -> dict:
    lines = (record / f"rank_{rank}.txt").read_text().splitlines()
    data = {"args": lines[0][len("args: "):].split(" ")}
    data.update(line.split("=", 1) for line in lines[1:])
    return data


def test_launch_local_runs_every_rank(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=4, gpus=(0, 1))
    launcher = out / "SH010" / "SH010_chroma_train" / "launch_local.sh"
    result = subprocess.run([posix_sh, str(launcher)], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    seen = [_read(record, rank) for rank in range(4)]
    for rank, data in enumerate(seen):
        assert data["COPYCAT_RANK"] == str(rank)
        assert data["COPYCAT_WORLD_SIZE"] == "4"
        assert data["COPYCAT_MAIN_ADDR"] == "127.0.0.1"
        assert data["COPYCAT_MAIN_PORT"] == seen[0]["COPYCAT_MAIN_PORT"]
        assert data["args"][:7] == ["-V", "2", "-F", "1", "-X", "CopyCat_chroma", "--gpu"]
        assert data["args"][7] == str(rank % 2)
        assert data["args"][-1].endswith("SH010/SH010_chroma_train.nk")
        assert data["NUKE_TEMP_DIR"].endswith(f"rank_{rank}")
    assert len({d["NUKE_TEMP_DIR"] for d in seen}) == 4


def test_launch_local_reports_a_failed_rank(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=2)
    env["FAKE_NUKE_EXIT"] = "3"
    launcher = out / "SH010" / "SH010_chroma_train" / "launch_local.sh"
    result = subprocess.run([posix_sh, str(launcher)], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "rank 0 failed" in result.stderr


def test_rendezvous_publishes_rank0_address(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=2)
    env["NUKE_RESTORE_MAIN_ADDR"] = ""  # use the shared-storage rendezvous
    env["COPYCAT_LOCAL_ADDR"] = "10.9.8.7"
    # Rank 0 stays alive (heartbeat running) until rank 1 has started its nuke, as real ranks do
    # while they wait for each other; bounded so a failure cannot hang the test.
    fake = Path(env["FAKE_NUKE_OUT"]).parent / "bin" / "nuke"
    fake.write_text(FAKE_NUKE.replace('exit "${FAKE_NUKE_EXIT:-0}"', """\
if [ "$COPYCAT_RANK" = 0 ]; then
    i=0
    while [ ! -f "$FAKE_NUKE_OUT/rank_1.txt" ] && [ "$i" -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
fi
exit 0"""))
    task_dir = out / "SH010" / "SH010_chroma_train"
    rank1 = subprocess.Popen([posix_sh, str(task_dir / "rank_1.sh")], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    rank0 = subprocess.Popen([posix_sh, str(task_dir / "rank_0.sh")], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err1 = rank1.communicate(timeout=30)[1]
    err0 = rank0.communicate(timeout=30)[1]
    assert rank1.returncode == 0, err1
    assert rank0.returncode == 0, err0
    assert _read(record, 1)["COPYCAT_MAIN_ADDR"] == "10.9.8.7"
    assert _read(record, 0)["COPYCAT_MAIN_ADDR"] == "10.9.8.7"
    # Rank 0 cleans up, so the next run cannot pick up a dead address.
    assert not (task_dir / "rendezvous" / "main_addr").exists()


def test_stale_rendezvous_file_is_not_trusted(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=2)
    env["NUKE_RESTORE_MAIN_ADDR"] = ""
    env["NUKE_RESTORE_RENDEZVOUS_TIMEOUT"] = "2"
    task_dir = out / "SH010" / "SH010_chroma_train"
    (task_dir / "rendezvous").mkdir()
    (task_dir / "rendezvous" / "main_addr").write_text("10.0.0.99 41\n")
    result = subprocess.run([posix_sh, str(task_dir / "rank_1.sh")], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 3
    assert "not being refreshed" in result.stderr
    assert "did not publish its address" in result.stderr
    assert not (record / "rank_1.txt").exists()


def test_fixed_main_addr_refuses_rank0_on_another_host(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=2, main_addr="192.0.2.77")
    env.pop("NUKE_RESTORE_MAIN_ADDR", None)
    task_dir = out / "SH010" / "SH010_chroma_train"
    result = subprocess.run([posix_sh, str(task_dir / "rank_0.sh")], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "rank 0 must run on 192.0.2.77" in result.stderr
    result = subprocess.run([posix_sh, str(task_dir / "rank_1.sh")], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert _read(record, 1)["COPYCAT_MAIN_ADDR"] == "192.0.2.77"


def test_render_script_frames_and_chunks(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=2)
    script = out / "SH010" / "SH010_chroma_infer.sh"
    result = subprocess.run([posix_sh, str(script), "1001", "1010"], env=env, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1 and "did training finish?" in result.stderr
    assert not (record / "rank_single.txt").exists()
    model = out / "SH010" / "training" / "SH010_chroma" / "SH010_chroma.40000.cat"
    model.parent.mkdir(parents=True)
    model.write_text("trained")
    subprocess.run([posix_sh, str(script), "1001", "1010"], env=env, check=True, timeout=30)
    assert "-F 1001-1010 -X Write_chroma" in " ".join(_read(record, "single")["args"])
    env["CUE_CHUNK"] = "10"
    subprocess.run([posix_sh, str(script), "1035"], env=env, check=True, timeout=30)
    assert "-F 1035-1040" in " ".join(_read(record, "single")["args"])  # clamped to the last frame
    subprocess.run([posix_sh, str(script)], env=env, check=True, timeout=30)
    assert "-F" not in _read(record, "single")["args"]


def test_qc_script_checks_outputs_then_runs(tmp_path, posix_sh):
    specs = make_specs()
    renders = tmp_path / "renders"
    renders.mkdir()
    specs[1] = type(specs[1])(**{**specs[1].__dict__, "frames": (1, 3), "write_nodes": (
        ("Write_chroma", str(renders / "out.####.exr")),)})
    plan = make_plan(specs, out_root=str(tmp_path / "farm"), path_maps=())
    plan.shots[0].qc[0] = type(plan.shots[0].qc[0])(
        **{**plan.shots[0].qc[0].__dict__, "commands": (("sh", "-c", "echo qc-ran"),)})
    write_plan(plan, tmp_path / "farm")
    qc = tmp_path / "farm" / "SH010" / "SH010_qc.sh"
    result = subprocess.run([posix_sh, str(qc)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "3 render output file(s) missing" in result.stderr
    for frame in (1, 2, 3):
        (renders / f"out.{frame:04d}.exr").write_text("x")
    result = subprocess.run([posix_sh, str(qc)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "qc-ran" in result.stdout


FAKE_DEADLINE = """#!/bin/sh
# Records each submission (job info + plugin info) and answers like deadlinecommand.
n=$(ls "$FAKE_DL_OUT" | wc -l)
n=$((n + 1))
cat "$1" >"$FAKE_DL_OUT/$n.job"
printf '\\nPLUGIN %s\\n' "$2" >>"$FAKE_DL_OUT/$n.job"
printf 'Submitting to Repository: fake\\r\\nResult=Success\\r\\nJobID=job%03d\\r\\n' "$n"
"""


def test_submit_deadline_chains_job_ids(tmp_path, posix_sh):
    out, record, env = _setup(tmp_path, world_size=4)
    fake = tmp_path / "bin" / "deadlinecommand"
    fake.write_text(FAKE_DEADLINE)
    fake.chmod(0o755)
    sent = tmp_path / "sent"
    sent.mkdir()
    env.update(DEADLINECOMMAND=str(fake), FAKE_DL_OUT=str(sent))
    result = subprocess.run([posix_sh, str(out / "deadline" / "submit_deadline.sh")], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "submitted SH010_chroma_train as job001" in result.stdout
    jobs = [(sent / f"{n}.job").read_text() for n in (1, 2, 3)]
    assert "Frames=0-3" in jobs[0] and "JobDependencies" not in jobs[0]
    assert "JobDependencies=job001\n" in jobs[1]
    assert "JobDependencies=job002\n" in jobs[2]
    assert "01_SH010_chroma_train.plugin_info.job" in jobs[0]


def test_every_generated_script_parses(tmp_path, posix_sh):
    import py_compile
    import shutil

    out, _, _ = _setup(tmp_path, world_size=3, main_addr=None)
    shells = [posix_sh] + [s for s in (shutil.which("bash"), shutil.which("dash")) if s]
    scripts = sorted(out.rglob("*.sh"))
    assert len(scripts) >= 8
    for script in scripts:
        text = script.read_text()
        assert text.startswith("#!/bin/sh\n"), script
        if script.name != "farm.sh":  # the sourced library sets no options of its own
            assert "\nset -eu\n" in text, script
        for shell in shells:
            result = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
            assert result.returncode == 0, (shell, script, result.stderr)
    for script in out.rglob("*.py"):
        py_compile.compile(str(script), cfile=str(tmp_path / "x.pyc"), doraise=True)
