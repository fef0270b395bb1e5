"""``nuke-restore catfile``: package a TorchScript model for the Cattery (CatFileCreator script)."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "catfile",
        help="write a validated CatFileCreator .nk (and cat.json) that makes the .cat in Nuke",
        description=(
            "Copy model.pt into DIR and write DIR/<id>_CatFileCreator.nk (validated against "
            "Nuke's knob scan), DIR/make_cat.py (for `nuke -t`) and DIR/cat.json. Open the .nk "
            "in NukeX and press 'Create .cat file' (or run `nuke -t make_cat.py`) to create "
            "DIR/<id>.cat for the Inference node. Needs no torch."),
    )
    p.add_argument("model", help="TorchScript file (from nuke-restore export)")
    p.add_argument("-o", "--outdir", required=True, help="folder for the package")
    p.add_argument("--model-id", help="Cattery model id and file stem (default: the .pt's stem)")
    p.add_argument("--nuke-version", default="15.1 v1", help="version line of the script")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    return p


def run(args) -> int:
    from ..ml.catfile import package

    doc = package(args.model, args.outdir, model_id=args.model_id, force=args.force,
                  nuke_version=args.nuke_version)
    print(f"{doc['nuke_script']}: CatFileCreator {doc['node']} -> {doc['cat']} "
          f"(create it in NukeX); cat.json written in {args.outdir}")
    return 0
