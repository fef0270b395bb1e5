"""The complete example in docs/job-config.md is a valid config and builds."""
from __future__ import annotations

import json
import re
from pathlib import Path

from nuke_restore.config import load_config
from nuke_restore.recipes import build_scripts, validate_built

DOC = Path(__file__).resolve().parents[2] / "docs" / "job-config.md"


def test_docs_example_loads_and_builds(tmp_path):
    text = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / "show_templates").mkdir()
    (tmp_path / "align.json").write_text(json.dumps({"frames": {
        "471": {"translate": [12.5, -3], "rotate": 0.2, "scale": 1.01},
        "499": {"translate": [13, -3], "rotate": 0.2, "scale": 1.01}}}))
    sub = tmp_path / "job"
    sub.mkdir()
    (sub / "job.yaml").write_text(text)
    (tmp_path / "job" / "align.json").write_text((tmp_path / "align.json").read_text())
    cfg = load_config(sub / "job.yaml")
    assert cfg.shots[0].validation == [481, 495]
    built = build_scripts(cfg, shots=["VFX0050"])
    assert {b.procedure for b in built} == {"chroma", "chroma_m", "chroma_nonref", "spatial",
                                            "combined", "baseline"}
    for b in built:
        assert validate_built(b) == [], b.relpath
    tr = next(b for b in built if b.procedure == "chroma" and b.kind == "training")
    assert "AppendClip_SRC_VAL" in tr.text  # the validation stack
    inf = next(b for b in built if b.procedure == "chroma" and b.kind == "inference")
    assert "Training_240501_101500.40000.cat" in inf.text
