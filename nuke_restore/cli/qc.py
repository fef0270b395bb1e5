"""``nuke-restore qc``: compare renders with the source and reference; self-contained HTML report."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "qc",
        help="measure renders against source/reference and write an HTML report",
        description=(
            "Compare a restoration render (and the MatchGrade-like baseline) with the source "
            "and the aligned reference on chosen frames. chroma mode: luma preservation against "
            "the source and CIEDE2000 against the reference; spatial mode: chroma preservation "
            "against the source, PSNR-Y/SSIM-Y and grain/sharpness spectra against the "
            "reference. Writes one self-contained HTML file (images inlined, no network)."),
    )
    p.add_argument("--source", required=True, help="source sequence")
    p.add_argument("--reference", required=True, help="reference sequence (aligned, or --align)")
    p.add_argument("--baseline", help="baseline render sequence")
    p.add_argument("--output", help="restoration (CopyCat Inference) render sequence")
    p.add_argument("--truth", help="ground truth sequence, when known (sample footage)")
    p.add_argument("--frames", help="frames to compare (default: up to 24 spread evenly)")
    p.add_argument("--mode", choices=("chroma", "spatial"), required=True)
    p.add_argument("-o", "--report", default="qc_report.html", help="HTML report path")
    p.add_argument("--json", metavar="PATH", help="also write the metrics as JSON")
    p.add_argument("--align", action="store_true",
                   help="register the reference onto the source per frame before comparing")
    p.add_argument("--model-eval", metavar="JSON",
                   help="add the figures of `nuke-restore evaluate` (its -o JSON) as a section")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    from ._pairing_args import add_colour_args, add_frame_args

    add_colour_args(p, ("source", "reference", "baseline", "output", "truth"))
    add_frame_args(p)
    return p


def run(args) -> int:
    import math

    from ..errors import ImagingError
    from ..fileio import check_outputs
    from ..imaging import qc
    from ..imaging.pairs import parse_frames

    cands = {}
    if args.baseline:
        cands["baseline"] = args.baseline
    if args.output:
        cands["output"] = args.output
    if not cands:
        raise ImagingError("nothing to judge: give --output and/or --baseline")
    # Both outputs are checked before the (slow) measuring, so neither is left half done.
    check_outputs([args.report, args.json], force=args.force)
    from ._pairing_args import colour_from_args, frame_map_from_args, say

    colour = colour_from_args(args, ("source", "reference", "baseline", "output", "truth"))
    model_eval = None
    if args.model_eval:  # checked before the measuring, like the outputs
        from ..imaging.model_eval import load_model_eval

        model_eval = load_model_eval(args.model_eval)
    result = qc.run_qc(args.source, args.reference, cands, parse_frames(args.frames),
                       args.mode, truth=args.truth, align_reference=args.align, progress=True,
                       frame_map=frame_map_from_args(args), allow_missing=args.allow_missing,
                       colour=colour)
    result.model_eval = model_eval
    path = qc.write_report(result, args.report, force=args.force, json_path=args.json)
    say(result.notes)
    summ = result.summary()
    specs = qc.METRICS[args.mode] + (qc.TRUTH_METRICS if args.truth else [])
    print(f"{'render':12s} " + " ".join(f"{k[:14]:>14s}" for k, _, _ in specs))
    for name in result.names:
        vals = [summ[name].get(k, float("nan")) for k, _, _ in specs]
        print(f"{name:12s} " + " ".join(
            f"{v:14.3f}" if math.isfinite(v) else f"{'-':>14s}" for v in vals))
    print(f"report: {path}")
    return 0
