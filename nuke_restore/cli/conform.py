"""``nuke-restore conform SOURCE REFERENCE``: which reference frame shows each source frame.

For every source frame (a film scan), the reference frame (DVD, telecine) that shows the same
film frame cleanly - or none, with the reason: the film frame only shows in the two fields of
woven 2:3 frames (field-mixed), only in blends (blended), not at all (not-in-reference), or
outside the reference's range. Also the cadence (1:1 with its offset, 2:3 pulldown with its phase
and field order, blended 4:5 or 5:6) and where it breaks (splices, dropped or repeated frames,
edits). Robust to fading, a different grade, grain, dust, lower resolution, letterbox and
reframing, JPEG/MPEG artefacts and interlacing.

The JSON (-o / --json) is the frame map that `curate`, `align`, `baseline`, `qc` (--frame-map)
and job configs (frame_map:) read.

SOURCE and REFERENCE are patterns (shot.####.dpx, shot.%04d.exr), one member file, or a folder
holding one sequence. Every frame in the range must exist.

Examples:
  nuke-restore conform scans/reel1.####.dpx dvd/reel1.####.jpg -o reel1_conform.json
  nuke-restore conform scans/reel1.####.dpx dvd/reel1.####.jpg --frames 1001-1240 --json
  nuke-restore conform scans/ dvd/ -o map.json --contact-sheet map.png
"""
from __future__ import annotations

import argparse
import re
import sys

_RANGE_RE = re.compile(r"^\s*(-?\d+)\s*-\s*(-?\d+)\s*$")


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "conform",
        help="find the reference frame that shows each source frame (offset, 2:3, blends, splices)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", help="source frames (film scan): pattern, member file or folder")
    p.add_argument("reference", help="reference frames (video transfer): pattern, member or folder")
    p.add_argument("-o", "--output", metavar="FILE", help="write the frame map JSON here")
    p.add_argument("--json", action="store_true", help="print the frame map JSON on stdout")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--frames", metavar="A-B", help="source frames to conform (default all)")
    p.add_argument("--reference-frames", metavar="A-B",
                   help="reference frames to search (default all)")
    p.add_argument("--contact-sheet", metavar="IMAGE",
                   help="also write a picture of source frames beside their matches "
                        "(green clean, amber unsure, red none)")
    p.add_argument("--cadence", action="append", metavar="KIND",
                   choices=("1:1", "2:3", "blend 4:5", "blend 5:6"),
                   help="only consider this cadence (repeatable; default all of 1:1, 2:3, "
                        "'blend 4:5', 'blend 5:6')")
    p.add_argument("--threads", type=int, metavar="N", help="reader threads")
    return p


def _range(text, opt: str):
    if text is None:
        return None, None
    m = _RANGE_RE.match(text)
    if not m:
        raise ValueError(f"{opt} must be a frame range A-B, e.g. 1001-1100, got {text!r}")
    a, b = int(m.group(1)), int(m.group(2))
    if b < a:
        raise ValueError(f"{opt} {text}: the last frame is before the first")
    return a, b


def run(args: argparse.Namespace) -> int:
    from ..fileio import check_outputs
    from ..imaging import conform as conform_mod
    from ..imaging.progress import set_quiet
    from ..imaging.sequence import FrameSequence, check_image_output

    try:
        sa, sb = _range(args.frames, "--frames")
        ra, rb = _range(args.reference_frames, "--reference-frames")
    except ValueError as exc:
        print(f"nuke-restore conform: error: {exc}", file=sys.stderr)
        return 2
    if args.threads is not None and args.threads < 1:
        print(f"nuke-restore conform: error: --threads must be at least 1, got {args.threads}",
              file=sys.stderr)
        return 2
    # Every output is checked before any work, so one bad output never leaves another written.
    check_outputs([args.output], force=args.force)
    if args.contact_sheet:
        check_image_output(args.contact_sheet, force=args.force)
    set_quiet(bool(getattr(args, "quiet", False)))
    src = FrameSequence.from_path(args.source, sa, sb)
    ref = FrameSequence.from_path(args.reference, ra, rb)
    for seq, opt in ((src, "--frames"), (ref, "--reference-frames")):
        if seq.missing:
            from ..errors import ImagingError

            shown = ", ".join(str(f) for f in seq.missing[:8]) + (" ..." if len(seq.missing) > 8
                                                                 else "")
            raise ImagingError(f"missing frames {shown} in {seq.first}-{seq.last} (conform needs "
                               f"every frame; narrow the range with {opt})", path=seq.pattern)
    opts = conform_mod.ConformOptions(threads=args.threads, progress=True)
    if args.cadence:
        opts.cadences = tuple(args.cadence)
    result = conform_mod.conform(src, ref, options=opts)
    fmap = result.frame_map
    text = fmap.dumps()
    if args.output:
        from ..fileio import write_atomic

        write_atomic(args.output, text, force=args.force)
    if args.contact_sheet:
        from ..imaging.conform_sheet import contact_sheet

        contact_sheet(fmap, src, ref, args.contact_sheet, force=args.force)
    if args.json:
        sys.stdout.write(text)
    else:
        _print_summary(result, src, ref, args.output)
        if args.contact_sheet:
            print(f"wrote {args.contact_sheet}")
    return 0


def _print_summary(result, src, ref, output) -> None:
    from ..imaging.conform_sheet import summary_counts

    fmap = result.frame_map
    frames = result.source_frames
    clean, reasons = summary_counts(fmap, frames)
    print(f"{src.nuke_pattern()} {frames[0]}-{frames[-1]} against {ref.nuke_pattern()} "
          f"{result.reference_frames[0]}-{result.reference_frames[-1]}: {clean} of "
          f"{len(frames)} source frames matched cleanly"
          + ("" if not reasons else "; none: " + ", ".join(
              f"{n} {r}" for r, n in sorted(reasons.items()))))
    framing = result.stats.get("framing")
    if framing:
        print(f"reference framing against the source: scale {framing['scale']}, offset "
              f"{framing['shift'][0]:+.2%} x {framing['shift'][1]:+.2%} (undone before matching)")
    for seg in fmap.cadence:
        what = seg["kind"]
        if "offset" in seg:
            what += f" offset {seg['offset']:+d}"
        if "phase" in seg:
            what += f" phase {'ABCDE'[seg['phase']] if seg['kind'] == '2:3' else seg['phase']}"
        if seg.get("field_order"):
            what += f" {seg['field_order']}"
        refs = seg["reference"]
        rtxt = f"reference {refs[0]}-{refs[1]}" if refs else "no clean reference frame"
        print(f"  source {seg['source'][0]}-{seg['source'][1]}: {what}, {rtxt}")
    for b in fmap.breaks:
        extra = f" ({b['frames']} frames)" if "frames" in b else ""
        print(f"  break at {b['source']}: {b['kind']}{extra}")
    if output:
        print(f"wrote {output}")
    else:
        print("use -o FILE to save the frame map (job config frame_map:, --frame-map)")
