"""``nuke-restore fmt``: parse a .nk/.gizmo and write it back in Nuke's canonical layout.

Connections are kept; only the layout changes: one space of indentation per nesting level, stack
commands regenerated from connections in Nuke's order, ``inputs`` recomputed. A file Nuke saved comes
back byte for byte (see docs/nk-engine.md for the figures and the quirks copied); hand edits such as
knobs at column 0 or blank lines between knobs are normalised. Prints to stdout unless
``-o OUT`` (refuses to overwrite without ``--force``) or ``--in-place``. ``--check`` writes nothing
and exits 1 when the file is not canonical, with a diff summary.
"""
from __future__ import annotations

import argparse
import difflib
import sys

from ..errors import NkSyntaxError, OutputExistsError

_DIFF_LINES = 40


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("fmt", help="rewrite a .nk/.gizmo in canonical layout",
                              description=__doc__.split("\n\n", 1)[1],
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", metavar="PATH", help=".nk or .gizmo file")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT", help="write the result to OUT")
    out.add_argument("--in-place", action="store_true", help="rewrite PATH itself")
    out.add_argument("--check", action="store_true",
                     help="exit 1 (with a diff summary) when PATH is not canonical; write nothing")
    p.add_argument("--force", action="store_true", help="let -o overwrite an existing file")
    p.add_argument("--lenient", action="store_true",
                   help="accept what Nuke only warns about (push of an unknown variable, ...)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..fileio import write_atomic
    from ..nk import parse_bytes, write_bytes
    from ..nk.lexer import read_script_bytes

    try:
        data = read_script_bytes(args.path)  # regular files only: FIFOs and devices are refused
        script = parse_bytes(data, args.path, strict=not args.lenient)
    except NkSyntaxError as exc:
        print(f"nuke-restore fmt: error: {exc}", file=sys.stderr)
        return 2
    for warning in script.warnings:
        print(f"nuke-restore fmt: warning: {warning}", file=sys.stderr)
    out = write_bytes(script, canonical=True)

    if args.check:
        if out == data:
            return 0
        old = data.decode("utf-8", "surrogateescape").splitlines()
        new = out.decode("utf-8", "surrogateescape").splitlines()
        diff = list(difflib.unified_diff(old, new, f"{args.path}", f"{args.path} (canonical)",
                                         lineterm="", n=1))
        added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
        removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
        for line in diff[:_DIFF_LINES]:
            print(line)
        if len(diff) > _DIFF_LINES:
            print(f"... ({len(diff) - _DIFF_LINES} more diff lines)")
        print(f"{args.path}: would reformat (+{added} -{removed} lines)", file=sys.stderr)
        return 1
    if args.in_place:
        if out != data:
            write_atomic(args.path, out, force=True)
        return 0
    if args.output:
        try:
            write_atomic(args.output, out, force=args.force)
        except OutputExistsError as exc:
            print(f"nuke-restore fmt: error: {exc}", file=sys.stderr)
            return 1
        return 0
    sys.stdout.buffer.write(out) if hasattr(sys.stdout, "buffer") else sys.stdout.write(
        out.decode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return 0
