"""``nuke-restore export``: a checkpoint to TorchScript for Nuke's Inference (via a .cat)."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export",
        help="export a trained checkpoint to TorchScript (whitelisted operators, parity checked)",
        description=(
            "Script the model of a `nuke-restore train` checkpoint, check every operator against "
            "the whitelist that loads in the torch bundled with Nuke 14 (1.12.1), save it, load "
            "it back and compare with the trained model on an odd-sized picture. Writes "
            "model.pt and model.json beside it."),
    )
    p.add_argument("checkpoint", help="checkpoint (.pt written by nuke-restore train)")
    p.add_argument("-o", "--output", required=True, help="TorchScript file to write (model.pt)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return p


def run(args) -> int:
    from .._optional import require

    require("torch", "ml")
    from ..ml.export import export_checkpoint

    doc = export_checkpoint(args.checkpoint, args.output, force=args.force)
    print(f"{args.output}: {doc['mode']} {doc['model_size']}, step {doc['checkpoint_step']}, "
          f"{len(doc['operators'])} operator kinds (all whitelisted), reload max error "
          f"{doc['parity']['max_abs_error']:.2g}")
    return 0
