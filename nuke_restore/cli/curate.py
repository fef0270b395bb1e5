"""``nuke-restore curate SEQUENCE``: find shots, scenes and the frames to train on.

Detects hard cuts and dissolves (robust to grain, flicker and flash frames), groups shots into
scenes, and picks per unit (shot, scene or sequence) the training frames - first and last frame,
then farthest-point coverage of the unit's colour and texture - and an untrained Preview frame.
Flash frames, blurred frames, dissolve frames and (with --reference) frames where the reference
disagrees in structure are never picked.

SEQUENCE is a pattern (shot.####.exr, shot.%04d.exr, shot.@@@@.exr), one frame of a sequence,
or a folder holding one sequence.

Examples:
  nuke-restore curate plates/src.####.exr --reference telecine/ref.####.jpg -o curation.json
  nuke-restore curate plates/src.####.exr --granularity scene --json
  nuke-restore curate plates/src.####.exr --reference ref/ref.####.jpg --contact-sheet picks.png
"""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "curate",
        help="detect cuts and dissolves, pick training and preview frames",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sequence", help="source frames: pattern, member file or folder")
    p.add_argument("--reference", metavar="SEQUENCE",
                   help="reference frames (any size of the source's aspect ratio): frames where "
                        "it disagrees, or has no clean match, are avoided")
    p.add_argument("-o", "--output", metavar="FILE", help="write the curation JSON here (for build)")
    p.add_argument("--json", action="store_true", help="print the curation JSON on stdout")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--granularity", choices=("shot", "scene", "sequence"), default="shot",
                   help="unit that gets the training frames (default: shot)")
    p.add_argument("--train", type=int, metavar="N",
                   help="training frames per unit (default: shot 4, scene 16, sequence 33)")
    p.add_argument("--escalate", type=int, default=0, metavar="LEVEL",
                   help="add midpoints: 4 -> 7 -> 11 frames at levels 1, 2 (default 0)")
    p.add_argument("--validation", type=float, default=0.0, metavar="SHARE",
                   help="also hold out this share of validation frames per shot (0.15-0.25 "
                        "suggested; default 0: none)")
    p.add_argument("--contact-sheet", metavar="IMAGE",
                   help="also write a contact sheet of the picks (one row per shot, reference "
                        "below; green train, blue preview, amber validation)")
    p.add_argument("--first", type=int, help="first frame to use")
    p.add_argument("--last", type=int, help="last frame to use")
    p.add_argument("--proxy", type=int, metavar="N", help="analyse at 1/N resolution")
    p.add_argument("--threads", type=int, metavar="N", help="reader threads")
    from ._pairing_args import add_colour_args, add_frame_args

    add_colour_args(p)
    add_frame_args(p)
    return p


def run(args: argparse.Namespace) -> int:
    from ..fileio import check_outputs
    from ..imaging import curate as curate_mod
    from ..imaging.progress import set_quiet
    from ..imaging.sequence import FrameSequence, check_image_output

    if args.train is not None and args.train < 2:
        print("nuke-restore curate: error: --train must be at least 2", file=sys.stderr)
        return 2
    for opt, value in (("--escalate", args.escalate), ("--proxy", args.proxy),
                       ("--threads", args.threads)):
        if value is not None and value < (0 if opt == "--escalate" else 1):
            low = 0 if opt == "--escalate" else 1
            print(f"nuke-restore curate: error: {opt} must be at least {low}, got {value}",
                  file=sys.stderr)
            return 2
    if not 0.0 <= args.validation <= 0.5:
        print("nuke-restore curate: error: --validation must be between 0 and 0.5",
              file=sys.stderr)
        return 2
    # Every output is checked before any work, so one bad output never leaves another written.
    check_outputs([args.output], force=args.force)
    if args.contact_sheet:
        check_image_output(args.contact_sheet, force=args.force)
    from ._pairing_args import colour_from_args, frame_map_from_args

    if not args.reference and (args.reference_offset is not None or args.frame_map
                               or args.reference_colourspace):
        print("nuke-restore curate: error: --reference-offset, --frame-map and "
              "--reference-colourspace need --reference", file=sys.stderr)
        return 2
    set_quiet(bool(getattr(args, "quiet", False)))
    colour = colour_from_args(args)
    fmap = frame_map_from_args(args)
    src = FrameSequence.from_path(args.sequence, args.first, args.last)
    ref = FrameSequence.from_path(args.reference) if args.reference else None
    opts = curate_mod.CurateOptions(granularity=args.granularity, train=args.train,
                                    escalate=args.escalate, proxy=args.proxy, threads=args.threads,
                                    validation=args.validation, progress=True)
    result = curate_mod.curate(src, ref, opts, frame_map=fmap, allow_missing=args.allow_missing,
                               colour=colour)
    text = json.dumps(result, indent=1) + "\n"
    if args.output:
        from ..fileio import write_atomic

        write_atomic(args.output, text, force=args.force)
    if args.contact_sheet:
        curate_mod.contact_sheet(result, args.contact_sheet, force=args.force)
    from ._pairing_args import say

    say(colour.lines() + list(result.get("notes", [])), json_on_stdout=args.json)
    if args.json:
        sys.stdout.write(text)
    else:
        _print_summary(result, args.output)
        if args.contact_sheet:
            print(f"wrote {args.contact_sheet}")
    return 0


def _print_summary(result, output) -> None:
    shots = result["shots"]
    n_cut = sum(1 for t in result["transitions"] if t["kind"] == "cut")
    n_diss = len(result["transitions"]) - n_cut
    print(f"{result['source']}  frames {result['first']}-{result['last']}: "
          f"{_n(len(shots), 'shot')} ({_n(n_cut, 'cut')}, {_n(n_diss, 'dissolve')}), "
          f"{_n(len(result['scenes']), 'scene')}; "
          f"{result['train_per_unit']} training frames per {result['granularity']}")
    print(f"{'shot':>11}  {'scene':>5}  {'in':>8}  {'preview':>7}  train")
    for s in shots:
        rng = f"{s['first']}-{s['last']}"
        prev = "-" if s["preview"] is None else str(s["preview"])
        val = s.get("validation")
        print(f"{rng:>11}  {s['scene']:>5}  {s['transition_in'] or 'start':>8}  {prev:>7}  "
              f"{' '.join(str(f) for f in s['train'])}"
              + (f"  (validation {' '.join(str(f) for f in val)})" if val else ""))
        for f, why in s["excluded"].items():
            if not why.startswith("dissolve"):
                print(f"{'':>36}avoid {f}: {why}")
    for u in result["units"]:
        print(f"{u['kind']} {u['id']}: coverage radius {u['coverage_radius']:.3f} "
              f"(evenly spaced: {u['coverage_radius_uniform']:.3f})")
    if output:
        print(f"wrote {output}")
    else:
        print("use -o FILE to save the curation for `nuke-restore build`")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
