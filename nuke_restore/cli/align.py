"""``nuke-restore align``: register a reference onto a source, as Nuke Transform values."""
from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "align",
        help="estimate the Transform that registers the reference onto the source",
        description=(
            "Estimate the Transform (translate, rotate, scale about the format centre; or a "
            "CornerPin2D with --perspective) that, applied to REFERENCE, registers it onto "
            "SOURCE. Values follow Nuke: origin bottom-left, y up, rotation in degrees "
            "counter-clockwise. The residual is measured independently after alignment "
            "(tile phase correlation), in source pixels; keep it at or below 0.25 px."),
    )
    p.add_argument("source", help="source sequence (pattern with #### or %%04d, a file, a folder)")
    p.add_argument("reference", help="reference sequence (any size of the source's aspect "
                   "ratio: brought to the source's format as a Reformat would)")
    p.add_argument("--curation", metavar="JSON",
                   help="curation from `nuke-restore curate`: one transform per shot (per frame "
                        "with --per-frame), written on every frame of each shot")
    p.add_argument("--frames", help="frames to analyse, e.g. 1001-1040 or 1001,1010,1020")
    p.add_argument("--per-frame", action="store_true",
                   help="one Transform per frame (keyframes); default one per shot")
    p.add_argument("--perspective", action="store_true",
                   help="fit a perspective warp and report CornerPin2D corners as well")
    p.add_argument("--json", action="store_true", help="print the JSON document on stdout")
    p.add_argument("-o", "--output", help="write the JSON document to this file")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--residual-image", metavar="PNG",
                   help="heat map of edge misalignment before | after, for the worst frame")
    p.add_argument("--proxy", type=int, default=1, help="analyse at 1/N resolution (faster)")
    p.add_argument("--roi", help="analysis region x0,y0,x1,y1 in Nuke pixels (bottom-left "
                   "origin); default the central 90%%")
    p.add_argument("--max-rotate", type=float, default=10.0, help="search range, degrees")
    p.add_argument("--max-scale", type=float, default=1.3, help="search range, scale factor")
    from ._pairing_args import add_colour_args, add_frame_args

    add_colour_args(p, legacy=True)
    add_frame_args(p)
    return p


def run(args) -> int:
    from ..errors import ImagingError
    from ..fileio import check_outputs, write_atomic
    from ..imaging import align
    from ..imaging.pairs import open_sequence, parse_frames
    from ..imaging.sequence import check_image_output, write_image

    if args.proxy < 1:
        raise ImagingError(f"--proxy must be 1 or more, got {args.proxy}")
    # Every output is checked before any work, so one bad output never leaves another written.
    check_outputs([args.output], force=args.force)
    if args.residual_image:
        check_image_output(args.residual_image, force=args.force)
    roi = None
    if args.roi:
        try:
            roi = tuple(float(v) for v in args.roi.split(","))
        except ValueError:
            roi = ()
        if len(roi) != 4:
            raise ImagingError(f"--roi wants x0,y0,x1,y1, got {args.roi!r}")
        if not (roi[2] > roi[0] and roi[3] > roi[1]):
            raise ImagingError(f"--roi {args.roi}: x1 must be greater than x0 and y1 than y0")
    from ._pairing_args import colour_from_args, frame_map_from_args, say

    opts = align.AlignOptions(model="perspective" if args.perspective else "similarity",
                              max_rotate=args.max_rotate, max_scale=args.max_scale, roi=roi)
    colour = colour_from_args(args)
    fmap = frame_map_from_args(args)
    shots = align.shots_from_curation(args.curation) if args.curation else None
    src_seq, ref_seq = open_sequence(args.source), open_sequence(args.reference)
    doc, results = align.align_sequences(
        src_seq, ref_seq, parse_frames(args.frames), per_frame=args.per_frame, options=opts,
        proxy=max(1, args.proxy), progress=not args.json, frame_map=fmap,
        allow_missing=args.allow_missing, colour=colour, shots=shots)
    text = json.dumps(doc, indent=1) + "\n"
    if args.output:
        write_atomic(args.output, text, force=args.force)
    if args.residual_image:
        from ..imaging.pairs import setup_pairs

        worst = max(results, key=lambda f: results[f].residual
                    if results[f].residual == results[f].residual else float("inf"))
        setup = setup_pairs(src_seq, ref_seq, fmap, [worst], args.allow_missing, colour)
        panel = align.residual_panel(setup.read_source(worst), setup.read_reference(worst),
                                     results[worst])
        write_image(args.residual_image, panel, "uint8", force=True)
    say(doc.get("notes", []), json_on_stdout=args.json)
    if args.json:
        print(text, end="")
        return 0
    print(f"{'frame':>6}  {'translate x':>11} {'y':>9} {'rotate':>9} {'scale':>9} "
          f"{'residual':>8}")
    for f, r in sorted(results.items()):
        t = r.transform
        flag = "  NON-RIGID" if r.nonrigid else ("  > 0.25 px" if r.residual > 0.25 else "")
        print(f"{f:>6}  {t.translate[0]:11.3f} {t.translate[1]:9.3f} {t.rotate:9.4f} "
              f"{t.scale:9.5f} {r.residual:8.3f}{flag}")
    for sd in doc.get("shots", []):
        res = "-" if sd["residual"] is None else f"{sd['residual']:.3f} px"
        print(f"shot {sd['first']}-{sd['last']}: median residual {res} on frames "
              f"{sd['measured']}")
    print(f"mode: {doc['mode']}; values for a Transform on the reference, center "
          f"{list(next(iter(results.values())).transform.center)}")
    return 0
