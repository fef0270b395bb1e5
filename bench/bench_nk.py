"""Benchmark the .nk engine: parse and write throughput, peak memory.

Workloads: every file of ../shared/nk-corpus (when present) and a generated 200,000-node script.
Figures are CPU time (``time.process_time``, best of ``--repeat``) so other processes on the machine
matter less; each is printed against the goal and against peers measured in the same run on the
same bytes: ``bytes.split()`` (a lower bound: no TCL rules at all) and a ``re.finditer`` token loop
(the cheapest Python-level tokeniser one could write).

Goals: parse >= 10 MB/s, write >= 20 MB/s (one core), peak memory <= 20x the file size.

Usage: python bench/bench_nk.py [--nodes 200000] [--repeat 3] [--shared ../shared]
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import re
import time
import tracemalloc
from pathlib import Path

from nuke_restore.nk import Script, parse_bytes, write_bytes

GOAL_PARSE = 10.0  # MB/s
GOAL_WRITE = 20.0  # MB/s
GOAL_MEMORY = 20.0  # x file size


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def generated_script(nodes: int) -> Script:
    """A deterministic script: a long chain with 10% two-input merges reaching back (fan-out)."""
    rng = random.Random(1)
    s = Script.new()
    chain = [s.add("Read", [("file", "plates/a.####.exr"), ("first", 1001)], inputs=(),
                   name="Read1")]
    for i in range(nodes - 1):
        if rng.random() < 0.1 and len(chain) > 2:
            n = s.add("Merge2", [("operation", "plus"), ("mix", 0.5)],
                      inputs=[chain[-1], rng.choice(chain[-50:])], name=f"Merge{i}")
        else:
            n = s.add("Grade", [("white", 1.1), ("xpos", i), ("ypos", i * 2)],
                      inputs=[chain[-1]], name=f"Grade{i}")
        chain.append(n)
    return s


def peak_memory(data: bytes) -> int:
    gc.collect()
    tracemalloc.start()
    script = parse_bytes(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del script
    return peak


def mbs(size: int, seconds: float) -> float:
    return size / 1e6 / seconds if seconds > 0 else float("inf")


def verdict(value: float, goal: float, higher_is_better: bool = True) -> str:
    ok = value >= goal if higher_is_better else value <= goal
    return "meets goal" if ok else "BELOW GOAL" if higher_is_better else "ABOVE LIMIT"


def report(label: str, blobs, repeat: int) -> None:
    size = sum(len(b) for b in blobs)
    t_split = best(lambda: [b.split() for b in blobs], repeat)
    token = re.compile(rb"[^ \t\r\n]+")

    def token_loop():
        for b in blobs:
            for _m in token.finditer(b):
                pass

    t_tokens = best(token_loop, repeat)
    scripts = []
    t_parse = best(lambda: scripts.__setitem__(slice(None), [parse_bytes(b, strict=False) for b in blobs]),
                   repeat)
    t_write = best(lambda: [write_bytes(s) for s in scripts], repeat)
    assert all(write_bytes(s) == b for s, b in zip(scripts, blobs)), "round trip broke"

    def parse_and_decode():
        for b in blobs:
            for n in parse_bytes(b, strict=False).walk():
                n.knobs  # noqa: B018 - decode every knob, as validation does

    t_full = best(parse_and_decode, repeat)
    t_bulk = best(lambda: [parse_bytes(b, strict=False).decode_knobs() for b in blobs], repeat)
    t_canon = best(lambda: [write_bytes(s, canonical=True) for s in scripts], repeat)
    print(f"\n== {label}: {len(blobs)} file(s), {size / 1e6:.2f} MB")
    print(f"  peer bytes.split()          {mbs(size, t_split):8.1f} MB/s")
    print(f"  peer re.finditer token loop {mbs(size, t_tokens):8.1f} MB/s")
    p = mbs(size, t_parse)
    print(f"  parse                       {p:8.1f} MB/s  goal {GOAL_PARSE:.0f}: {verdict(p, GOAL_PARSE)}"
          f"; {t_parse / t_tokens:.2f}x the token loop")
    print(f"  parse + decode every knob   {mbs(size, t_full):8.1f} MB/s (node by node), "
          f"{mbs(size, t_bulk):.1f} MB/s (Graph.decode_knobs)")
    w = mbs(size, t_write)
    print(f"  write (replay)              {w:8.1f} MB/s  goal {GOAL_WRITE:.0f}: {verdict(w, GOAL_WRITE)}")
    print(f"  write canonical (fmt)       {mbs(size, t_canon):8.1f} MB/s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU-time figures, best of {args.repeat}; load average at start {load:.2f}")

    corpus = Path(args.shared) / "nk-corpus"
    if corpus.is_dir():
        blobs = [p.read_bytes() for p in sorted(corpus.iterdir()) if p.suffix in (".nk", ".gizmo")]
        report("corpus", blobs, args.repeat)
        biggest = max(blobs, key=len)
        peak = peak_memory(biggest)
        ratio = peak / len(biggest)
        print(f"  peak memory, largest file ({len(biggest) / 1e6:.2f} MB): {ratio:.1f}x file size  "
              f"limit {GOAL_MEMORY:.0f}x: {verdict(ratio, GOAL_MEMORY, False)}")
    else:
        print(f"(no corpus at {corpus}; skipped)")

    script = generated_script(args.nodes)
    t0 = time.process_time()
    data = write_bytes(script)
    t_regen = time.process_time() - t0
    print(f"\n== generated: {args.nodes} nodes built in code")
    print(f"  write from the builder model (stack commands derived): "
          f"{mbs(len(data), t_regen):.1f} MB/s ({len(data) / 1e6:.1f} MB)")
    del script
    report(f"generated {args.nodes}-node script", [data], args.repeat)
    peak = peak_memory(data)
    ratio = peak / len(data)
    print(f"  peak memory while parsing: {ratio:.1f}x file size  limit {GOAL_MEMORY:.0f}x: "
          f"{verdict(ratio, GOAL_MEMORY, False)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
