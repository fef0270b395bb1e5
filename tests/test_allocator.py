"""The command's allocator setting: freed frame buffers are reused instead of faulted in again."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import resource, sys
    from nuke_restore._allocator import keep_frame_buffers
    tuned = keep_frame_buffers() if sys.argv[1] == "on" else False
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    size = 3 << 20                        # a 960x540 16-bit RGB frame
    def frame():
        # what a reader does: decode into one buffer, hand back a copy, free the first; two
        # frame buffers live at once outgrow glibc's adaptive trim threshold (twice one buffer),
        # so by default the heap top is given back and faulted in again on every frame
        a = bytearray(size)
        b = bytes(a)
        del a
        return b
    for _ in range(3):                    # settle
        frame()
    before = faults()
    for _ in range(20):
        frame()
    print(tuned, (faults() - before) / 20)
""")


def _probe(mode):
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", float(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_freed_frame_buffers_are_reused():
    tuned, faults_on = _probe("on")
    if not tuned:
        pytest.skip("not glibc: the setting does not apply (and changes nothing)")
    _, faults_off = _probe("off")
    pages = (3 << 20) // 4096
    assert faults_off > pages / 2          # default: every buffer faulted in anew
    assert faults_on < pages / 20          # tuned: the heap's pages are reused


def test_command_entry_only():
    """Importing the package (as Nuke does) changes no allocator setting: only the CLI calls it."""
    import nuke_restore.cli as cli

    assert not cli._as_command()           # pytest is not the nuke-restore command
