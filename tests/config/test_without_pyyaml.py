"""Inside Nuke there is no PyYAML: JSON job files and the JSON template twins must build the same bytes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from nuke_restore.config import load_config
from nuke_restore.config.yamlio import load_json_text
from nuke_restore.errors import ConfigError
from nuke_restore.recipes import build_scripts, sample_config_text

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, sys
sys.modules["yaml"] = None   # what Nuke's Python looks like: import yaml raises ImportError
from nuke_restore.config import load_config
from nuke_restore.recipes import build_scripts
cfg = load_config(sys.argv[1])
print(json.dumps({b.relpath: b.text for b in build_scripts(cfg)}))
"""


def test_template_twins_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "compile_templates.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_json_job_builds_identical_scripts_without_pyyaml(tmp_path):
    data = yaml.safe_load(sample_config_text())
    job = tmp_path / "job.json"
    job.write_text(json.dumps(data, indent=2))
    expected = {b.relpath: b.text for b in build_scripts(load_config(job))}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(job)], capture_output=True, text=True,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == expected and len(got) >= 2


def test_yaml_job_without_pyyaml_says_what_to_do(tmp_path):
    job = tmp_path / "job.yaml"
    job.write_text(sample_config_text())
    child = ("import sys; sys.modules['yaml'] = None\n"
             "from nuke_restore.config import load_config\n"
             "load_config(sys.argv[1])\n")
    proc = subprocess.run([sys.executable, "-c", child, str(job)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "PyYAML is not installed" in proc.stderr and "JSON" in proc.stderr


def test_json_loader_keeps_positions_and_rejects_duplicates():
    text = '{\n "a": 1,\n "b": [\n  2,\n  {"c": 3}\n ]\n}\n'
    data = load_json_text(text, "x.json")
    assert data == {"a": 1, "b": [2, {"c": 3}]}
    assert data.key_pos["a"] == (2, 2) and data.key_pos["b"] == (3, 2)
    assert data["b"].item_pos[1] == (5, 3)
    try:
        load_json_text('{"a": 1,\n "a": 2}', "x.json")
    except ConfigError as exc:
        assert str(exc).startswith("x.json:2:2:") and "duplicate key" in str(exc)
    else:
        raise AssertionError("duplicate key accepted")
