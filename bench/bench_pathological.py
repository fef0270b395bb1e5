"""Pathological .nk inputs: time and peak memory of `validate --untrusted`, against the file size
and against a normal script of similar size measured in the same run.

Each case is the in-process pipeline of `nuke-restore validate --untrusted`: read (regular files
only), parse leniently, validate, and run the untrusted-code analysis on the text. A refused input
(exit 2) counts as done when it is refused. Figures:

- CPU seconds (``time.process_time``, best of ``--repeat``) and, for the normal peer of similar
  size, the same; ``x peer`` is the ratio (a pathological file should cost about what a normal
  file of its size costs, or less);
- peak Python memory (``tracemalloc``) as a multiple of the file size (the limit is 20x; for tiny
  files the fixed cost of the objects of one node dominates, so the ratio says little there and
  the absolute peak is printed too).

The peer is the corpus file (../shared/nk-corpus) closest in size when one is within 2x and is a
normal script (at least one node per 4 KB, not one big embedded value), else a generated script of
ordinary nodes of the same size.

Usage: python bench/bench_pathological.py [--scale 1.0] [--repeat 2] [--shared ../shared]
(the long-value cases are 4 MB at the default scale; ``--scale 3.25`` makes them 52 MB. Peak
memory is measured in a second run under tracemalloc, which is slow on values with millions of
escapes.)
"""
from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from nuke_restore.errors import NkSyntaxError
from nuke_restore.nk.lexer import decode, read_script_bytes
from nuke_restore.nk.parser import parse_bytes
from nuke_restore.nk.schema import load_schema
from nuke_restore.nk.validate import summarize, validate_script

LIMIT_MEMORY = 20.0


def pipeline(path: str) -> str:
    """What `validate --untrusted PATH` does, in process; returns a short outcome."""
    try:
        data = read_script_bytes(path)
        script = parse_bytes(data, path, strict=False)
    except NkSyntaxError as exc:
        return "refused: " + exc.message[:38]
    found = validate_script(script, untrusted=True, source=decode(data)[0])
    counts = summarize(found)
    return f"{counts['error']} errors, {counts['warning']} warnings"


def measure(fn: Callable[[], object], repeat: int, memory: bool = True) -> Tuple[float, int, object]:
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        result = fn()
        times.append(time.process_time() - t0)
    if not memory:
        return min(times), 0, result
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return min(times), peak, result


def normal_text(size: int) -> bytes:
    """Ordinary nodes (Read -> Grade chain, names, positions) up to ``size`` bytes."""
    parts = ["version 15.1 v1\n"]
    total = len(parts[0])
    i = 0
    while total < size:
        block = (f"Grade {{\n white 1.1\n gamma 0.9\n label \"grade {i}\"\n name Grade{i}\n"
                 f" xpos {i}\n ypos {2 * i}\n}}\n")
        parts.append(block)
        total += len(block)
        i += 1
    return "".join(parts).encode()


def peer_for(size: int, corpus: List[Path], folder: str) -> Tuple[str, str]:
    best_path: Optional[Path] = None
    for p in corpus:
        s = p.stat().st_size
        if p.read_bytes().count(b"\n name ") < s / 4096:
            continue  # not a normal script: mostly one big embedded value
        if size / 2 <= s <= size * 2 and (best_path is None or
                                           abs(s - size) < abs(best_path.stat().st_size - size)):
            best_path = p
    if best_path is not None:
        return str(best_path), "corpus " + best_path.name[-28:]
    path = os.path.join(folder, f"normal-{size}.nk")
    if not os.path.exists(path):
        with open(path, "wb") as fh:
            fh.write(normal_text(max(size, 200)))
    return path, "generated"


def cases(scale: float) -> List[Tuple[str, bytes]]:
    big = int(2_000_000 * scale)  # 8 bytes each
    out = [
        ("Blur inputs 100000000", b"Blur { inputs 100000000 }\n"),
        ("Blur inputs 1000000000", b"Blur { inputs 1000000000 }\n"),
        ("inputs 99999999999999999999", b"Blur { inputs 99999999999999999999 }\n"),
        ("inputs of 5,000 digits", b"Blur { inputs 1" + b"0" * 5000 + b" }\n"),
        ("2,000 x ZMerge inputs 20000", b"".join(
            b"ZMerge {\n inputs 20000\n name Z%d\n}\n" % i for i in range(2000))),
        ("one node, 50k unknown knobs", b"Blur {\n" + b"".join(
            b" k%d %d\n" % (i, i) for i in range(50_000)) + b" name B\n}\n"),
        (f"quoted value {big * 8 // 1_000_000} MB, escapes", b'Blur {\n label "'
         + b"ab\\ncd " * big + b'"\n name B\n}\n'),
        (f"braced value {big * 8 // 1_000_000} MB", b"Blur {\n label {" + b"ab cd ef" * big
         + b"}\n name B\n}\n"),
        ("label with 10k nested [value", b'Blur {\n label "' + b"\\[value " * 10_000 + b"x"
         + b"]" * 10_000 + b'"\n}\n'),
        ("200k brackets in one label", b'Blur {\n label "' + b"\\[value a] " * 200_000
         + b'"\n}\n'),
        ("groups nested 150 deep", b"".join(b"Group {\n name G%d\n}\n" % i for i in range(150))
         + b"end_group\n" * 150),
        ("unclosed quote, 1 MB", b'Blur {\n label "' + b"x" * 1_000_000 + b"\n}\n"),
    ]
    return out


class _Rows(list):
    def append(self, row) -> None:
        label, size, outcome, t, tp, peer_label, peak = row
        ratio = f"{t / tp:7.2f}" if tp else f"{'-':>7}"
        per = f"{peak / size:9.1f}" if size else f"{'-':>9}"
        print(f"{label:32} {size:>10,} {outcome[:42]:42} {t:7.3f} {ratio} "
              f"{peak / 1e6:8.2f} {per}  {peer_label}", flush=True)
        super().append(row)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    args = ap.parse_args()
    load_schema()
    corpus_dir = Path(args.shared) / "nk-corpus"
    corpus = sorted(corpus_dir.glob("*.nk")) + sorted(corpus_dir.glob("*.gizmo")) \
        if corpus_dir.is_dir() else []
    head = (f"{'input':32} {'size':>10} {'outcome':42} {'CPU s':>7} {'x peer':>7} "
            f"{'peak MB':>8} {'peak/size':>9}  peer")
    print(head)
    print("-" * len(head), flush=True)
    rows = _Rows()
    with tempfile.TemporaryDirectory(prefix="bench-patho-") as tmp:
        for label, data in cases(args.scale):
            path = os.path.join(tmp, "case.nk")
            with open(path, "wb") as fh:
                fh.write(data)
            t, peak, outcome = measure(lambda p=path: pipeline(p), args.repeat)
            peer_path, peer_label = peer_for(len(data), corpus, tmp)
            tp, _, _ = measure(lambda p=peer_path: pipeline(p), args.repeat, memory=False)
            rows.append((label, len(data), str(outcome), t, tp, peer_label, peak))
        for label, path in (("/dev/zero", "/dev/zero"), ("/dev/urandom", "/dev/urandom")):
            if os.path.exists(path):
                t, peak, outcome = measure(lambda p=path: pipeline(p), args.repeat)
                rows.append((label, 0, str(outcome), t, None, "-", peak))
        fifo = os.path.join(tmp, "fifo.nk")
        os.mkfifo(fifo)
        t, peak, outcome = measure(lambda: pipeline(fifo), args.repeat)
        rows.append(("FIFO (no writer)", 0, str(outcome), t, None, "-", peak))

    print(f"\nMemory limit: {LIMIT_MEMORY:.0f}x the file size (meaningful for files above ~100 KB; "
          "below that the fixed cost of one node's objects dominates).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
