"""Cattery packaging: a Nuke script whose CatFileCreator turns our TorchScript file into a .cat,
plus ``cat.json`` describing it (standard library only; built through our .nk engine).

Only CatFileCreator knobs evidenced both by Nuke 17's knob scan and by real saved files are
written: ``torchScriptFile``, ``catFile``, ``channelsIn``, ``channelsOut``, ``modelId`` (plus
``name``, ``tile_color`` and ``postage_stamp`` as the saved files write them). ``outputScale`` is in
the scan but in no saved file, so it is left at Nuke's default (the models keep the picture size).
The file paths use the form real CatFileCreator scripts use, ``[python {nuke.script_directory()}]/``
followed by a file name we check to be plain (letters, digits, ``._-``), so nothing a user types
becomes live TCL.

Creating the .cat still needs Nuke: open the script and press *Create .cat file* on the node, or run
``nuke -t make_cat.py`` (it executes the node's ``createCatFile`` knob; that this knob is a button
which ``execute()`` presses is UNVERIFIED without a Nuke session - the ``nuke`` test tier checks it).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..errors import NukeRestoreError
from ..fileio import check_output, write_atomic

NODE_CLASS = "CatFileCreator"
RGB = "rgba.red,rgba.green,rgba.blue"
KNOBS = ("torchScriptFile", "catFile", "channelsIn", "channelsOut", "modelId")
_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
SCRIPT_DIR = "\\[python \\{nuke.script_directory()\\}]"

MAKE_CAT = '''"""Run with `nuke -t make_cat.py`: creates {cat} from {pt} via the CatFileCreator."""
import json
import os
import sys

import nuke

here = os.path.dirname(os.path.abspath(__file__))
nuke.scriptOpen(os.path.join(here, {nk!r}))
node = nuke.toNode({node!r})
node["createCatFile"].execute()
cat = os.path.join(here, {cat!r})
print(json.dumps({{"cat": cat, "exists": os.path.isfile(cat)}}))
sys.exit(0 if os.path.isfile(cat) else 1)
'''


def check_name(text: str, what: str) -> str:
    if not _SAFE.match(text or ""):
        raise NukeRestoreError(f"{what} {text!r} must be a plain file name (letters, digits, "
                               "'.', '_' and '-'); it is written into a Nuke script")
    return text


def build_script(pt_name: str, cat_name: str, model_id: str, nuke_version: str = "15.1 v1"):
    """The CatFileCreator script (an ``nk.model.Script``)."""
    from ..nk.model import Script
    from ..nk.values import Raw

    for text, what in ((pt_name, "TorchScript file name"), (cat_name, ".cat file name"),
                       (model_id, "model id")):
        check_name(text, what)
    script = Script.new(nuke_version)
    script.add(NODE_CLASS, [
        ("torchScriptFile", Raw(f'"{SCRIPT_DIR}/{pt_name}"')),
        ("catFile", Raw(f'"{SCRIPT_DIR}/{cat_name}"')),
        ("channelsIn", Raw(RGB)),
        ("channelsOut", Raw(RGB)),
        ("modelId", model_id),
        ("name", f"CatFileCreator_{re.sub(r'[^A-Za-z0-9_]', '_', model_id)}"),
        ("tile_color", Raw("0x1f00ffff")),
        ("xpos", 0), ("ypos", 0),
        ("postage_stamp", False),
    ])
    return script


def validate(script) -> List[Any]:
    """Errors of our validator (classes, knobs and values against Nuke's knob scan)."""
    from ..nk.parser import parse_text
    from ..nk.validate import validate_script
    from ..nk.writer import write_script

    diags = validate_script(parse_text(write_script(script)))
    return [d for d in diags if getattr(d, "severity", "error") == "error"]


def package(pt_path, out_dir, model_id: Optional[str] = None, force: bool = False,
            nuke_version: str = "15.1 v1") -> Dict[str, Any]:
    """Copy the .pt into ``out_dir`` and write the CatFileCreator .nk, ``make_cat.py`` and
    ``cat.json``. Nothing is written when a check fails."""
    from ..nk.writer import write_script

    src = Path(pt_path)
    if not src.is_file():
        raise NukeRestoreError("TorchScript file not found", str(src))
    data = src.read_bytes()
    if data[:2] != b"PK":
        raise NukeRestoreError("not a TorchScript archive (expected a zip written by "
                               "`nuke-restore export`)", str(src))
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", src.stem)
    model_id = check_name(model_id or stem, "model id")
    pt_name = f"{model_id}.pt"
    cat_name = f"{model_id}.cat"
    nk_name = f"{model_id}_CatFileCreator.nk"
    script = build_script(pt_name, cat_name, model_id, nuke_version)
    errs = validate(script)
    if errs:
        raise NukeRestoreError("the CatFileCreator script failed validation: "
                               + "; ".join(str(getattr(e, "message", e)) for e in errs[:3]))
    out = Path(out_dir)
    meta: Dict[str, Any] = {}
    side = src.with_suffix(".json")
    if side.is_file():
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except ValueError:
            meta = {}
    node = script.nodes[-1]
    doc = {
        "model_id": model_id,
        "torchscript": pt_name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "cat": cat_name,
        "nuke_script": nk_name,
        "node": node.name,
        "channels_in": RGB.split(","),
        "channels_out": RGB.split(","),
        "output_scale": 1,
        "mode": meta.get("mode"),
        "model_size": meta.get("model_size"),
        "torch_exported_with": meta.get("torch"),
        "create": f"open {nk_name} in NukeX and press 'Create .cat file', or run "
                  "`nuke -t make_cat.py`",
        "inference": f"Inference node: modelFile {cat_name}",
    }
    files = {
        out / pt_name: data,
        out / nk_name: write_script(script),
        out / "make_cat.py": MAKE_CAT.format(cat=cat_name, pt=pt_name, nk=nk_name,
                                             node=node.name),
        out / "cat.json": json.dumps(doc, indent=1, sort_keys=True) + "\n",
    }
    for p in files:
        check_output(p, force=force or p.name == pt_name and p.resolve() == src.resolve())
    for p, content in files.items():
        if p.resolve() == src.resolve():
            continue
        write_atomic(p, content, force=True)
    doc["written"] = sorted(str(p) for p in files)
    return doc
