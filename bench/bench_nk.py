"""Benchmark the .nk engine against a real .nk parser: parse + decode, write, peak memory.

Workloads: every file of ../shared/nk-corpus (when present) and a generated 200,000-node script.
Figures are CPU time (``time.process_time``, best of ``--repeat``) so other processes on the machine
matter less. Each is printed against the goal and against the peer measured in the same run on the
same bytes: ``nkparser`` (PyPI, "Parse, query, and serialize Foundry Nuke .nk script files"; in the
``bench`` extra), whose ``Script.from_string`` tokenises, builds nodes and classifies every knob
value. Ours is timed doing the same work: ``parse_bytes`` and then every knob decoded. Both start
from the file's bytes (nkparser needs text, so its figure includes decoding the bytes as UTF-8).
``bytes.split()`` is printed as a floor (no TCL rules at all).

Memory: peak while parsing and decoding the largest file, measured with tracemalloc, plus the input
bytes themselves (which a caller holds while parsing), as a multiple of the file size.

Goals: parse + decode >= 10 MB/s, write >= 20 MB/s (one core), peak memory <= 20x the file size.

Usage: python bench/bench_nk.py [--nodes 200000] [--repeat 3] [--shared ../shared]
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import time
import tracemalloc
from pathlib import Path

from nuke_restore.nk import Script, parse_bytes, write_bytes

try:
    import nkparser
except ImportError:  # pragma: no cover - the peer is in the bench extra
    nkparser = None

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


def _ours(data: bytes):
    script = parse_bytes(data, strict=False)
    for n in script.walk():
        n.knobs  # noqa: B018 - decode every knob
    return script


def _peer(data: bytes):
    return nkparser.Script.from_string(data.decode("utf-8", "replace"))


def peak_memory(fn, data: bytes) -> float:
    """Peak memory of ``fn(data)`` (kept alive to the end) plus the input, as a multiple of it."""
    gc.collect()
    tracemalloc.start()
    result = fn(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return (peak + len(data)) / len(data)


def mbs(size: int, seconds: float) -> float:
    return size / 1e6 / seconds if seconds > 0 else float("inf")


def verdict(value: float, goal: float, higher_is_better: bool = True) -> str:
    ok = value >= goal if higher_is_better else value <= goal
    return "meets goal" if ok else "BELOW GOAL" if higher_is_better else "ABOVE LIMIT"


def report(label: str, blobs, repeat: int) -> None:
    size = sum(len(b) for b in blobs)
    t_split = best(lambda: [b.split() for b in blobs], repeat)
    scripts = []
    t_parse = best(lambda: scripts.__setitem__(slice(None), [parse_bytes(b, strict=False) for b in blobs]),
                   repeat)
    t_write = best(lambda: [write_bytes(s) for s in scripts], repeat)
    assert all(write_bytes(s) == b for s, b in zip(scripts, blobs)), "round trip broke"
    t_full = best(lambda: [_ours(b) for b in blobs], repeat)
    t_bulk = best(lambda: [parse_bytes(b, strict=False).decode_knobs() for b in blobs], repeat)
    t_canon = best(lambda: [write_bytes(s, canonical=True) for s in scripts], repeat)
    print(f"\n== {label}: {len(blobs)} file(s), {size / 1e6:.2f} MB")
    print(f"  floor bytes.split()          {mbs(size, t_split):8.1f} MB/s")
    f = mbs(size, t_full)
    print(f"  ours parse + decode knobs    {f:8.1f} MB/s  goal {GOAL_PARSE:.0f}: {verdict(f, GOAL_PARSE)}"
          f" (parse alone {mbs(size, t_parse):.1f}; Graph.decode_knobs {mbs(size, t_bulk):.1f})")
    if nkparser is not None:
        peers = []
        t_peer = best(lambda: peers.__setitem__(slice(None), [_peer(b) for b in blobs]), repeat)
        t_peer_write = best(lambda: [p.to_nk() for p in peers], repeat)
        same = sum(p.to_nk().encode("utf-8") == b for p, b in zip(peers, blobs))
        print(f"  peer nkparser parse+classify {mbs(size, t_peer):8.1f} MB/s  -> ours "
              f"{t_peer / t_full:.2f}x its speed")
        print(f"  write back: ours {mbs(size, t_write):.1f} MB/s, {len(blobs)}/{len(blobs)} "
              f"byte-identical; nkparser {mbs(size, t_peer_write):.1f} MB/s, {same}/{len(blobs)} "
              f"byte-identical -> ours {t_peer_write / t_write:.2f}x its speed")
    else:
        print("  peer nkparser not installed (pip install -e .[bench]): no peer figure")
    w = mbs(size, t_write)
    print(f"  write (replay)               {w:8.1f} MB/s  goal {GOAL_WRITE:.0f}: {verdict(w, GOAL_WRITE)}")
    print(f"  write canonical (fmt)        {mbs(size, t_canon):8.1f} MB/s")


def memory(label: str, data: bytes) -> None:
    ours = peak_memory(_ours, data)
    line = (f"  peak memory, {label} ({len(data) / 1e6:.2f} MB), input included: ours {ours:.1f}x "
            f"the file, limit {GOAL_MEMORY:.0f}x: {verdict(ours, GOAL_MEMORY, False)}")
    if nkparser is not None:
        peer = peak_memory(_peer, data)
        line += f"; nkparser {peer:.1f}x -> ours {ours / peer:.2f}x its memory"
    print(line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if nkparser is not None:
        from importlib.metadata import version

        peer = f"peer nkparser {version('nkparser')}"
    else:
        peer = "no peer installed"
    print(f"CPU-time figures, best of {args.repeat}; load average at start {load:.2f}; {peer}")

    corpus = Path(args.shared) / "nk-corpus"
    if corpus.is_dir():
        blobs = [p.read_bytes() for p in sorted(corpus.iterdir()) if p.suffix in (".nk", ".gizmo")]
        report("corpus", blobs, args.repeat)
        memory("largest corpus file", max(blobs, key=len))
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
    memory("generated script", data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
