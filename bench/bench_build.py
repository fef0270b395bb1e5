"""Benchmark: `nuke-restore build` of a 1,000-shot job (2,000 chroma scripts) against the 10 s CPU limit.

Two figures, both printed against the limit:

* **whole command**: ``nuke-restore build job.yaml -o DIR`` run as a user runs it, in a child
  process: start-up, YAML loading, building, parsing and validating every script, writing 2,000
  scripts and their sidecars atomically. CPU = user + system time of the child.
* **in-memory build**: ``build_scripts`` only (no validation, no files), best of 2 runs in this
  process; also checks that two builds give identical bytes.

On a shared machine (load average above the core count) wall time measures the neighbours, so the
verdict uses CPU time and the load average is printed with it. System time is almost all file and
folder creation, and swings with deletions: ext4 mounted without a journal (as on this VM) will not
reuse an inode freed in the last 5-10 minutes, and finding a free one walks past every such inode
of the block group (``perf``: ``recently_deleted`` under ``ext4_create``), so a build right after
~10^4 files were deleted near its output pays 2-7 s of system time instead of ~0.4 s.
Usage: .venv/bin/python bench/bench_build.py [--shots 1000] [--procedure chroma] [--runs 2]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time

LIMIT_S = 10.0


def job(shots: int, procedure: str) -> dict:
    length = 48
    return {
        "project": {"name": "BENCH", "format": {"width": 4096, "height": 3072}},
        "clips": {"main": {"source": "plates/SRC_####.exr", "reference": "plates/REF_####.exr",
                           "first": 1001, "last": 1000 + shots * length}},
        "shots": [{"name": f"SH{i + 1:05d}", "first": 1001 + i * length,
                   "last": 1000 + (i + 1) * length, "scene": f"SC{i // 20:03d}"}
                  for i in range(shots)],
        "alignment": {"mode": "both", "crop": [0, 200, 4096, 3072]},
        "procedures": [procedure],
    }


def build_once(data: dict):
    from nuke_restore.config import config_from_dict
    from nuke_restore.recipes import build_scripts

    t0, c0 = time.perf_counter(), time.process_time()
    cfg = config_from_dict(data, path="bench/job.yaml")
    built = build_scripts(cfg)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    digest = hashlib.sha256("".join(b.relpath + b.text for b in built).encode()).hexdigest()
    return dt, dc, len(built), digest


def whole_command(data: dict, runs: int):
    """CPU (user, system) and wall seconds of `nuke-restore build` in a child; best run by CPU."""
    import yaml

    best = None
    digests = set()
    with tempfile.TemporaryDirectory() as tmp:
        job_path = os.path.join(tmp, "job.yaml")
        with open(job_path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, sort_keys=False)
        for i in range(runs):
            out = os.path.join(tmp, f"out{i}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "nuke_restore", "build", job_path,
                                   "-o", out], capture_output=True, text=True)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                raise SystemExit(f"nuke-restore build failed:\n{proc.stderr}")
            user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
            h = hashlib.sha256()
            names = sorted(n for n in os.listdir(out) if n.endswith(".nk"))
            for name in names:
                with open(os.path.join(out, name), "rb") as fh:
                    h.update(name.encode() + b"\0" + fh.read())
            digests.add(h.hexdigest())
            if best is None or user + system < best[0] + best[1]:
                best = (user, system, wall, len(names))
            # Outputs are removed at the end, not between runs: on ext4 without a journal,
            # creating a file skips every inode deleted nearby in the last minutes, so deleting a
            # run's 6,000 files would bill the next run for them (system time 0.4 -> 2-7 s).
    return best, digests


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--procedure", default="chroma")
    ap.add_argument("--runs", type=int, default=2, help="runs of each measurement (best is kept)")
    args = ap.parse_args(argv)
    data = job(args.shots, args.procedure)
    from nuke_restore.recipes import build_scripts  # noqa: F401 - imports outside the timing

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.shots} shots ({args.procedure}); load average {load:.1f} on {os.cpu_count()} cores; "
          f"best of {args.runs} runs each")
    (user, system, wall, n_files), cmd_digests = whole_command(data, args.runs)
    cpu_cmd = user + system
    print(f"whole command `nuke-restore build` ({n_files} scripts validated and written):")
    print(f"  cpu  {cpu_cmd:.2f} s (user {user:.2f} + system {system:.2f}) = "
          f"{cpu_cmd / LIMIT_S:.2f} x the {LIMIT_S:.0f} s limit; wall {wall:.2f} s")
    runs = [build_once(data) for _ in range(args.runs)]
    wall_b = min(r[0] for r in runs)
    cpu_b = min(r[1] for r in runs)
    digests = {r[3] for r in runs}
    print(f"in-memory build (build_scripts, {runs[0][2]} scripts, no validation, no files):")
    print(f"  cpu  {cpu_b:.2f} s = {cpu_b / LIMIT_S:.2f} x the {LIMIT_S:.0f} s limit; "
          f"wall {wall_b:.2f} s; {1000 * cpu_b / args.shots:.2f} ms per shot")
    same = len(digests) == 1 and len(cmd_digests) == 1
    print(f"identical bytes across runs: {same} (sha256 {sorted(digests)[0][:16]})")
    ok = same and cpu_cmd <= LIMIT_S and cpu_b <= LIMIT_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
