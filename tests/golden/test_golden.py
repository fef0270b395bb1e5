"""Golden scripts per procedure: tests/golden/<case>/{job.yaml, expected/*.nk}.

The expected files were reviewed by eye and re-parse with the parser. After an intended change,
rewrite them with ``NUKE_RESTORE_UPDATE_GOLDENS=1 pytest tests/golden`` and review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nuke_restore.config import load_config
from nuke_restore.nk.parser import parse_text
from nuke_restore.nk.validate import validate_script
from nuke_restore.recipes import build_scripts, rules_for

HERE = Path(__file__).resolve().parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "job.yaml").is_file())
UPDATE = os.environ.get("NUKE_RESTORE_UPDATE_GOLDENS") == "1"


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    folder = HERE / case
    expected = folder / "expected"
    built = build_scripts(load_config(folder / "job.yaml"), outdir=expected)
    assert built
    if UPDATE:
        expected.mkdir(exist_ok=True)
        for old in expected.glob("*.nk"):
            old.unlink()
        for b in built:
            (expected / b.relpath).write_text(b.text, encoding="utf-8")
    names = sorted(b.relpath for b in built)
    assert names == sorted(p.name for p in expected.glob("*.nk")), "set of scripts changed"
    for b in built:
        want = (expected / b.relpath).read_text(encoding="utf-8")
        assert b.text == want, f"{case}/{b.relpath} differs from the golden file"
        parsed = parse_text(want)
        errs = [d for d in validate_script(parsed, rules=rules_for(parsed))
                if d.severity == "error"]
        assert errs == [], (b.relpath, errs)
