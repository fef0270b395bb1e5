"""Fuzz: mutated real files either parse (and then write back byte for byte) or raise exactly
NkSyntaxError, each within a time bound. Seeded, so failures reproduce."""
from __future__ import annotations

import random
import time

import pytest

from nuke_restore.errors import NkSyntaxError
from nuke_restore.nk import parse_bytes, write_bytes

TIME_BOUND_S = 3.0  # CPU seconds per input; the largest corpus file parses in well under 0.5 s
SPECIAL = [b"{", b"}", b'"', b"[", b"]", b"\\", b"$", b"#", b"\n", b"\r", b"\x00", b"\xff",
           b"push $N1\n", b"end_group\n", b"set N1 [stack 0]\n", b"clone $C1 {\n", b"inputs 2+1\n"]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    op = rng.randrange(8)
    if op == 0 and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    elif op == 1:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        return data[:rng.randrange(len(data) + 1)]
    elif op == 4:
        pos = rng.randrange(len(data) + 1)
        return data[:pos] + rng.choice(SPECIAL) + data[pos:]
    elif op == 5 and data:
        pos = rng.randrange(len(data))
        return data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:]
    elif op == 6 and data:
        pos = rng.randrange(len(data))
        return data[:pos] + data[pos + 1:]
    else:
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + b" " + rng.choice(SPECIAL)
    return b"\n".join(lines)


def _check(data: bytes, label: str) -> None:
    t0 = time.process_time()
    try:
        script = parse_bytes(data, label, strict=bool(len(data) % 2))
    except NkSyntaxError as exc:
        assert exc.line is None or exc.line >= 1
        assert "\n" not in str(exc)
    else:
        assert write_bytes(script) == data, label
        # Knobs are decoded lazily, after the parse: decoding all of them, and a canonical
        # rewrite from the decoded knobs, must work on whatever the parser accepted.
        script.decode_knobs()
        again = parse_bytes(write_bytes(script, canonical=True), label, strict=False)
        assert again.decode_knobs() == script.decode_knobs(), label
    assert time.process_time() - t0 < TIME_BOUND_S, label


def _run(corpus_files, files: int, mutations: int, seed: int) -> None:
    rng = random.Random(seed)
    small = sorted((p for p in corpus_files if p.stat().st_size < 60_000), key=lambda p: p.name)
    for path in rng.sample(small, min(files, len(small))):
        data = path.read_bytes()
        for k in range(mutations):
            mutated = data
            for _ in range(rng.randrange(1, 4)):
                mutated = _mutate(mutated, rng)
            _check(mutated, f"{path.name}#{k}")


def test_mutated_corpus_files_fail_cleanly(corpus_files):
    _run(corpus_files, files=25, mutations=12, seed=20261126)


@pytest.mark.slow
def test_mutated_corpus_files_fail_cleanly_long(corpus_files):
    _run(corpus_files, files=200, mutations=60, seed=7)


def test_random_bytes_fail_cleanly():
    rng = random.Random(3)
    for k in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        _check(data, f"random#{k}")
        text = "".join(rng.choice('{}[]"\\$# \n\tabc01+') for _ in range(rng.randrange(1, 300)))
        _check(text.encode(), f"tcl#{k}")
