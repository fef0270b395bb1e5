"""``nuke-restore baseline``: fit a MatchGrade-like colour map on aligned pairs, export, apply."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "baseline",
        help="fit a MatchGrade-like colour baseline (poly, 3D LUT, CDL) and export .cube",
        description=(
            "Fit one global colour map from source to reference on aligned frame pairs (the "
            "baseline a CopyCat model must beat), write baseline.json and a .cube that "
            "OpenColorIO/Nuke read (plus an ASC .cc for --method cdl), and optionally apply it "
            "to a sequence. Inputs are decoded from their colour spaces through OpenColorIO "
            "and the map is fitted on sRGB-encoded Rec.709 values (the .cube's domain); "
            "--apply writes the output colour space (EXR: scene-linear)."),
    )
    p.add_argument("--source", required=True, help="source sequence (faded element)")
    p.add_argument("--reference", required=True, help="reference sequence (colour to match)")
    p.add_argument("--frames", help="pair frames, e.g. 1001,1010,1020,1030 (default: 4 spread "
                   "over the common range, first and last included)")
    p.add_argument("--method", choices=("poly", "lut3d", "cdl"), default="poly",
                   help="poly (default; strongest shot-level map in our tests), lut3d, cdl")
    p.add_argument("-o", "--outdir", default="baseline", help="folder for the fitted files")
    p.add_argument("--lut-size", type=int, default=33, help="3D LUT points per axis")
    p.add_argument("--degree", type=int, choices=(1, 2, 3), default=2, help="poly degree")
    p.add_argument("--align", action="store_true",
                   help="register each reference frame onto the source before fitting")
    p.add_argument("--apply", metavar="SEQ", help="sequence to apply the fitted map to")
    p.add_argument("--out", metavar="PATTERN", help="output pattern for --apply (e.g. "
                   "out/baseline.####.exr)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    from ._pairing_args import add_colour_args, add_frame_args

    add_colour_args(p, ("source", "reference", "output"), legacy=True)
    add_frame_args(p)
    return p


def run(args) -> int:
    from pathlib import Path

    from ..errors import ImagingError
    from ..fileio import check_outputs
    from ..imaging import baseline
    from ..imaging.pairs import parse_frames

    if args.apply and not args.out:
        raise ImagingError("--apply needs --out PATTERN")
    if args.out and not args.apply:
        raise ImagingError("--out needs --apply SEQ")
    if args.lut_size < 2 or args.lut_size > 129:
        raise ImagingError("--lut-size must be between 2 and 129")
    outdir = Path(args.outdir)
    # Every output is checked before any work, so one bad output never leaves another written.
    names = ["baseline.json", f"baseline_{args.method}.cube"]
    if args.method == "cdl":
        names.append("baseline.cc")
    check_outputs([outdir / name for name in names], force=args.force)
    from ._pairing_args import colour_from_args, frame_map_from_args, say

    colour = colour_from_args(args, ("source", "reference", "output"))
    fmap = frame_map_from_args(args)
    try:
        b = baseline.fit_sequences(
            args.source, args.reference, args.method, frames=parse_frames(args.frames),
            align_first=args.align, lut_size=args.lut_size, degree=args.degree,
            progress=True, frame_map=fmap, allow_missing=args.allow_missing, colour=colour)
    except ImagingError as exc:
        if exc.path is None:  # a fitting error about the pairs as a whole: name the source
            exc.path = args.source
        raise
    written = []
    if args.apply:
        # Check and render before exporting so a refused overwrite leaves nothing half done.
        written = baseline.apply_sequence(b, args.apply, args.out, force=args.force,
                                          progress=True, colour=colour)
    paths = baseline.export(b, outdir, force=args.force, lut_size=args.lut_size)
    e = b.fit_error
    say(b.setup.lines())
    print(f"{args.method} baseline fitted on frames {b.frames}: RMSE {e['rmse']:.4f} "
          f"(identity {e['identity_rmse']:.4f}), {e['psnr_db']:.1f} dB on the fit pairs")
    for kind, path in sorted(paths.items()):
        print(f"  {kind:5s} {path}")
    if written:
        print(f"  applied to {len(written)} frames -> {args.out}")
    return 0
