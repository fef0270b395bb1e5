"""CatFileCreator packaging: only evidenced knobs, validated by our validator, no live TCL from
user text, deterministic bytes. Needs no torch."""
from __future__ import annotations

import json
import re

import pytest

from nuke_restore.errors import NukeRestoreError
from nuke_restore.ml import catfile
from nuke_restore.nk.parser import parse_text
from nuke_restore.nk.writer import write_script


def _blocks(text, cls):
    return re.findall(r"^" + cls + r" \{\n(.*?)^\}", text, re.S | re.M)


def test_knobs_are_in_the_knob_scan_and_in_real_saved_files(knob_facts_path, corpus_files):
    facts = json.loads(knob_facts_path.read_text())["classes"]["CatFileCreator"]["knobs"]
    seen = set()
    for p in corpus_files:
        for body in _blocks(p.read_text(errors="replace"), "CatFileCreator"):
            seen |= {ln.split()[0] for ln in body.splitlines() if ln.strip()}
    assert seen, "no CatFileCreator block in the corpus"
    node = catfile.build_script("m.pt", "m.cat", "m").nodes[-1]
    written = [k.name for k in node.knobs]
    assert set(catfile.KNOBS) <= set(written)
    for k in written:
        assert k in facts, k
        assert k in seen, k  # every knob we write appears in a real saved CatFileCreator


def test_script_validates_and_paths_are_relative_to_the_script():
    script = catfile.build_script("shot_model.pt", "shot_model.cat", "shot_model")
    assert catfile.validate(script) == []
    text = write_script(script)
    again = parse_text(text)
    node = [n for n in again.nodes if n.cls == "CatFileCreator"][0]
    assert node.knob("torchScriptFile") == '"\\[python \\{nuke.script_directory()\\}]/shot_model.pt"'
    assert node.knob("channelsIn") == node.knob("channelsOut") == "rgba.red,rgba.green,rgba.blue"


@pytest.mark.parametrize("bad", ["a b", "x[exec]", "$env", "../up", "a;b", "{x}", ""])
def test_user_text_never_becomes_tcl(bad):
    with pytest.raises(NukeRestoreError, match="plain file name"):
        catfile.build_script("m.pt", "m.cat", bad)


def test_package_writes_the_kit_deterministically(tmp_path):
    pt = tmp_path / "my model.pt"
    pt.write_bytes(b"PK\x03\x04 not really a model but a zip header")
    a = catfile.package(pt, tmp_path / "a")
    catfile.package(pt, tmp_path / "b")
    assert a["model_id"] == "my_model"
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["cat.json", "make_cat.py", "my_model.pt", "my_model_CatFileCreator.nk"]
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes()
    doc = json.loads((tmp_path / "a" / "cat.json").read_text())
    assert doc["cat"] == "my_model.cat" and len(doc["sha256"]) == 64
    with pytest.raises(Exception, match="exists"):
        catfile.package(pt, tmp_path / "a")
    catfile.package(pt, tmp_path / "a", force=True)
    bad = tmp_path / "bad.pt"
    bad.write_text("hello")
    with pytest.raises(NukeRestoreError, match="not a TorchScript archive"):
        catfile.package(bad, tmp_path / "c")
    assert not (tmp_path / "c").exists()
