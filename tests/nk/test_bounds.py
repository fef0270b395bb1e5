"""Tiny hostile .nk inputs must not exhaust time or memory, nor end in a traceback.

Each case goes through `validate`, `fmt` and `graph`: one clear line naming the file, exit 2
(unreadable), no traceback, quickly. Linearity is shown with small sizes (N vs 4N); memory with
tracemalloc against the file size.
"""
from __future__ import annotations

import os
import sys
import time
import tracemalloc

import pytest

from nuke_restore.cli import main
from nuke_restore.nk.parser import MAX_INPUTS, parse_bytes, parse_text
from nuke_restore.nk.validate import validate_script

COMMANDS = (["validate"], ["validate", "--untrusted"], ["fmt"], ["graph"])


def _run_all(path, capsys):
    out = []
    for cmd in COMMANDS:
        t = time.process_time()
        code = main([*cmd, str(path)])
        spent = time.process_time() - t
        captured = capsys.readouterr()
        out.append((cmd, code, spent, captured.out, captured.err))
    return out


@pytest.mark.parametrize("value", ["100000000", "1000000000", "99999999999999999999",
                                   "1" + "0" * 5000, "3+99999999", "20001"])
def test_huge_inputs_are_refused_quickly(tmp_path, capsys, value):
    path = tmp_path / "huge.nk"
    path.write_text(f"Blur {{ inputs {value} }}\n")
    for cmd, code, spent, out, err in _run_all(path, capsys):
        assert code == 2, (cmd, out, err)
        assert "Traceback" not in out + err and spent < 2, (cmd, spent)
        line = next(x for x in err.splitlines() if str(path) in x)
        assert f"at most {MAX_INPUTS}" in line


def test_largest_real_input_count_still_reads():
    s = parse_text("ZMerge {\n inputs 20000\n name Z\n}\n")
    assert len(s.find("Z").inputs) == 20000


def test_many_wide_nodes_hit_the_slot_budget():
    # 2,000 nodes of 20,000 inputs each in 50 KB: 40M empty slots would be 320 MB.
    text = "".join(f"ZMerge {{\n inputs 20000\n name Z{i}\n}}\n" for i in range(2000))
    with pytest.raises(Exception) as info:
        parse_text(text, strict=False)
    assert "inputs" in str(info.value) and "size" in str(info.value)


def test_unknown_knobs_validate_in_linear_time():
    def cost(n):
        text = "Blur {\n" + "".join(f" k{i} {i}\n" for i in range(n)) + " name B\n}\n"
        t = time.process_time()
        script = parse_text(text)
        found = validate_script(script, untrusted=True, source=text)
        spent = time.process_time() - t
        listed = [d for d in found if d.code == "unknown-knob"]
        assert len(listed) == min(n, 1000) + (n > 1000)  # first 1,000, then one summary line
        assert n <= 1000 or any(f"{n} in all" in d.message for d in listed)
        return spent

    small = min(cost(1500) for _ in range(2))
    big = min(cost(6000) for _ in range(2))
    assert big / small < 7, (small, big)  # quadratic would be ~16


@pytest.mark.skipif(sys.version_info < (3, 11), reason="possessive patterns need Python 3.11")
@pytest.mark.parametrize("quoted", [True, False])
def test_long_value_memory_within_20x(quoted):
    from nuke_restore.nk.schema import load_schema

    load_schema()  # cached for the process: not part of the measure
    body = ("ab\\ncd " * 60_000) if quoted else ("ab cd ef" * 60_000)
    value = f'"{body}"' if quoted else "{" + body + "}"
    data = f"Blur {{\n label {value}\n name B\n}}\n".encode()
    tracemalloc.start()
    try:
        script = parse_bytes(data)
        validate_script(script, untrusted=True, source=data.decode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(data), peak / len(data)


def test_non_regular_files_are_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.nk"
    os.mkfifo(fifo)
    paths = [fifo, tmp_path]
    paths += [p for p in ("/dev/zero", "/dev/urandom") if os.path.exists(p)]
    for path in paths:
        for cmd, code, spent, _out, err in _run_all(path, capsys):
            if cmd[0] == "validate" and path == tmp_path:
                continue  # a folder is a valid argument of validate (scanned)
            assert code == 2 and spent < 2, (cmd, path, code)
            assert "not a regular file" in err and "Traceback" not in err, (cmd, err)


def test_folder_scan_finds_every_file_nuke_opens(tmp_path, capsys):
    hostile = "Blur {\n inputs 0\n label \"\\[python {1}]\"\n}\n"
    names = ["A.NK", "b.nk~", "c.nk.autosave", "d.gizmo", "e.Gizmo", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text(hostile)
    assert main(["validate", "--untrusted", "--json", str(tmp_path)]) == 1
    import json

    doc = json.loads(capsys.readouterr().out)
    seen = sorted(os.path.basename(f["path"]) for f in doc["files"])
    assert seen == sorted(names[:-1])
    assert all(any(d["code"] == "python-in-tcl" for d in f["findings"]) for f in doc["files"])


def test_encrypted_script_says_it_cannot_be_checked(tmp_path, capsys):
    path = tmp_path / "x.nknc"
    path.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["validate", "--untrusted", str(path)]) == 2
    assert "cannot be checked" in capsys.readouterr().err
