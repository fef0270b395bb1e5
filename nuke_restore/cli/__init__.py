"""The ``nuke-restore`` command.

One module per subcommand in this package, each with ``add_parser(subparsers)`` and ``run(args) -> int``.
Subcommand modules import heavy dependencies (numpy, OpenImageIO) inside ``run`` only, so
``nuke-restore --help`` and the .nk commands work on a bare install.

Exit codes: 0 success, 1 findings or a user error (a NukeRestoreError, printed as one line), 2 usage
errors and unreadable input. An OSError that escapes a command (a path it cannot read or write) is
printed as one line naming the path, exit 1. ``NUKE_RESTORE_DEBUG=1`` re-raises errors with their traceback.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Optional, Sequence

from .. import __version__
from ..errors import NukeRestoreError

# Order is the order of `nuke-restore --help`.
COMMANDS = (
    "demo",
    "build",
    "templates",
    "template",
    "validate",
    "fmt",
    "graph",
    "curate",
    "align",
    "baseline",
    "qc",
    "farm",
)

logger = logging.getLogger("nuke_restore")


def _load(name: str):
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        # A subcommand module that is not part of this install is simply not offered.
        if exc.name == f"{__name__}.{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nuke-restore",
        description="Build, validate and analyse CopyCat film-restoration graphs for Nuke.",
    )
    parser.add_argument("--version", action="version", version=f"nuke-restore {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _load(name)
        if module is not None:
            sp = module.add_parser(sub)
            sp.set_defaults(_run=module.run)
    return parser


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    _setup_logging(args.verbose, args.quiet)
    try:
        return int(args._run(args) or 0)
    except NukeRestoreError as exc:
        if os.environ.get("NUKE_RESTORE_DEBUG") == "1":
            raise
        print(f"nuke-restore {args.command}: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the reader went away: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        # Backstop: a file or folder the command could not read or write (permissions, a file where
        # a folder should be, a full disk) is the user's environment, not a bug: one line, no
        # traceback, naming the path.
        if os.environ.get("NUKE_RESTORE_DEBUG") == "1":
            raise
        where = exc.filename if exc.filename is not None else ""
        what = exc.strerror or str(exc)
        print(f"nuke-restore {args.command}: error: {where}{': ' if where else ''}{what}",
              file=sys.stderr)
        return 1


def entry() -> None:  # pragma: no cover - thin wrapper for `python -m`
    sys.exit(main())
