"""Options shared by the imaging commands (curate, align, baseline, qc): colour spaces, frame
numbering of the reference, and the missing-reference-frame policy. One definition, so the four
commands take and explain them the same way."""
from __future__ import annotations

import argparse
import sys
from typing import Iterable


def add_colour_args(p: argparse.ArgumentParser, roles: Iterable[str] = ("source", "reference"),
                    legacy: bool = False) -> None:
    """``--ocio-config`` and one ``--ROLE-colourspace NAME`` per role."""
    g = p.add_argument_group(
        "colour (OpenColorIO)",
        "Colour spaces are names in the OpenColorIO config (default: the ACES studio config the "
        "built scripts name, built into OpenColorIO 2.2+). Undeclared files get their file "
        "type's default as Nuke's Read does: log DPX -> Cineon, EXR -> scene_linear, "
        "8/16-bit JPEG/PNG/TIFF -> color_picking (sRGB). A file these tools wrote says its own.")
    g.add_argument("--ocio-config", metavar="CONFIG",
                   help="config: Nuke's name (fn-nuke_studio-config-...), an ocio:// URI or a "
                        ".ocio file (default: the studio config the built scripts name)")
    for role in roles:
        g.add_argument(f"--{role}-colourspace", metavar="NAME", dest=f"{role}_colourspace",
                       help=f"colour space of the {role} (e.g. Cineon, ADX10, ACEScg, "
                            "'sRGB - Texture', a role such as compositing_log)")
    if legacy:
        # The earlier linear|srgb switches, kept working: linear = linear Rec.709, srgb = sRGB.
        for role in ("source", "reference"):
            g.add_argument(f"--{role}-encoding", choices=("linear", "srgb"),
                           dest=f"{role}_encoding", help=argparse.SUPPRESS)


def add_frame_args(p: argparse.ArgumentParser) -> None:
    """``--reference-offset``, ``--frame-map`` and ``--allow-missing``."""
    g = p.add_argument_group("reference frame numbering")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--reference-offset", type=int, metavar="N",
                   help="reference frame = source frame + N (e.g. -1000 for a reference "
                        "numbered from 1 against a scan from 1001)")
    x.add_argument("--frame-map", metavar="JSON",
                   help="reference frame per source frame, from `nuke-restore conform`; source "
                        "frames without a clean match are left out")
    g.add_argument("--allow-missing", action="store_true",
                   help="skip source frames whose reference frame is missing, with a warning "
                        "(default: refuse, naming them)")


def colour_from_args(args, roles: Iterable[str] = ("source", "reference")):
    from ..imaging.ocio import Colour

    declared = {}
    for role in roles:
        name = getattr(args, f"{role}_colourspace", None) or getattr(args, f"{role}_encoding",
                                                                       None)
        if name:
            declared[role] = name
    return Colour(getattr(args, "ocio_config", None), declared)


def frame_map_from_args(args):
    from ..imaging.pairs import frame_map_from_args as fm

    return fm(args.reference_offset, args.frame_map)


def say(lines, json_on_stdout: bool = False) -> None:
    """Print the colour / frame-numbering / policy statement (to stderr when stdout is JSON)."""
    out = sys.stderr if json_on_stdout else sys.stdout
    for line in lines:
        print(line, file=out)
