"""``nuke-restore evaluate``: a trained model beside the colour baselines on held-out frames."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate",
        help="PSNR, luma PSNR and Delta E 2000 of a model vs the poly/LUT/CDL baselines",
        description=(
            "Run a checkpoint or exported .pt on held-out source frames and score it against "
            "the reference (ground truth) beside the shot-level baselines (poly, 3D LUT, CDL) "
            "fitted on other frames: PSNR, luma PSNR, CIEDE2000 mean and 95th percentile, on "
            "sRGB-encoded values. Writes JSON and, with --html, a report section page."),
    )
    p.add_argument("model", help="checkpoint or TorchScript .pt")
    p.add_argument("--source", required=True, help="source sequence")
    p.add_argument("--reference", required=True, help="reference / ground truth sequence")
    p.add_argument("--frames", required=True,
                   help="held-out source frames, e.g. 1003,1008 or 1001-1010 (the reference frame "
                        "of each follows --reference-offset / --frame-map)")
    p.add_argument("--fit-frames", help="frames the baselines are fitted on (default: 4 spread "
                   "over the other common frames)")
    p.add_argument("--align", action="store_true", help="register the reference first")
    p.add_argument("--ceiling", action="store_true",
                   help="add the chroma-only ceiling (reference CbCr with source luma)")
    from ._pairing_args import add_frame_args

    add_frame_args(p)
    p.add_argument("-o", "--json", default="evaluate.json", help="JSON output")
    p.add_argument("--html", help="also write an HTML report section page")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    return p


def run(args) -> int:
    from .._optional import require

    require("torch", "ml")
    from ..fileio import check_outputs
    from ..imaging.pairs import parse_frames
    from ..ml import evaluate as ev
    from ._pairing_args import frame_map_from_args

    check_outputs([args.json, args.html], force=args.force)
    doc = ev.evaluate_sequences(args.model, args.source, args.reference,
                                parse_frames(args.frames), parse_frames(args.fit_frames),
                                align=args.align, ceiling=args.ceiling, progress=True,
                                frame_map=frame_map_from_args(args),
                                allow_missing=args.allow_missing)
    ev.write_outputs(doc, args.json, args.html, force=args.force)
    print(f"{'method':16s} {'PSNR':>8s} {'PSNR-Y':>8s} {'dE00':>8s} {'dE00p95':>8s}")
    for name, m in doc["metrics"].items():
        print(f"{name:16s} {m['psnr']:8.2f} {m['psnr_y']:8.2f} {m['de00_mean']:8.2f} "
              f"{m['de00_p95']:8.2f}")
    print(f"model vs best baseline ({doc['best_baseline']}): "
          f"{doc['model_minus_best_baseline_db']:+.2f} dB -> {args.json}")
    return 0
