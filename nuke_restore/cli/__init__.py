"""The ``nuke-restore`` command.

One module per subcommand in this package, each with ``add_parser(subparsers)`` and ``run(args) -> int``.
Subcommand modules import heavy dependencies (numpy, OpenImageIO) inside ``run`` only, so
``nuke-restore --help`` and the .nk commands work on a bare install.

Exit codes: 0 success, 1 findings or a user error (a NukeRestoreError, printed as one line), 2 usage
errors and unreadable input, 130 after Ctrl-C and 143 after SIGTERM (one line, no traceback; a
build or farm run leaves nothing of itself). An OSError that escapes a command (a path it cannot
read or write) is printed as one line naming the path, exit 1. ``NUKE_RESTORE_DEBUG=1`` re-raises errors with their traceback.
"""
from __future__ import annotations

import os
import signal
import sys
import threading


def _early_interrupt(signum, _frame):  # pragma: no cover - exercised through a subprocess
    # Ctrl-C (or SIGTERM) while the command is still importing its modules: nothing has been
    # written yet, so leave at once, with one line instead of an import-time traceback.
    os.write(2, b"nuke-restore: interrupted\n")
    os._exit(130 if signum == signal.SIGINT else 143)


def _as_command() -> bool:
    """True when this process is the ``nuke-restore`` command (not a test or Nuke importing us)."""
    arg0 = sys.argv[0] if sys.argv else ""
    return os.path.basename(arg0).split(".")[0] in ("nuke-restore", "nuke-restore-script") or \
        arg0.replace("\\", "/").endswith("nuke_restore/__main__.py")


if _as_command() and threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, _early_interrupt)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _early_interrupt)

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
from typing import Optional, Sequence  # noqa: E402

from .. import __version__  # noqa: E402
from .._allocator import keep_frame_buffers  # noqa: E402
from ..errors import NukeRestoreError  # noqa: E402

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
    "conform",
    "align",
    "baseline",
    "qc",
    "farm",
    "train",
    "export",
    "catfile",
    "evaluate",
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
    parser.add_argument("--memory-budget", metavar="SIZE",
                        help="most memory decoded images may take in the imaging commands "
                             "(e.g. 8G; default: half the machine's memory, or "
                             "$NUKE_RESTORE_MEMORY_BUDGET)")
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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is (so its clean-up runs as for Ctrl-C); exit 143."""


def _raise_terminated(_signum, _frame):
    raise Terminated()


def _install_handlers() -> dict:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM raises Terminated while a command runs (so
    ``finally`` blocks clean up); returns the previous handlers (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    old = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    if hasattr(signal, "SIGTERM"):
        old[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_terminated)
    return old


def main(argv: Optional[Sequence[str]] = None) -> int:
    old = _install_handlers()
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        # Interrupted while parsing or reporting, outside the command: still one line.
        return _interrupted(exc, "")
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _interrupted(exc: BaseException, command: str) -> int:
    for signum in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if signum is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut this line
    what = "terminated" if isinstance(exc, Terminated) else "interrupted"
    print(f"nuke-restore{' ' + command if command else ''}: {what}", file=sys.stderr)
    return 143 if isinstance(exc, Terminated) else 130


def _main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    _setup_logging(args.verbose, args.quiet)
    if _as_command():
        keep_frame_buffers()
    budget_env = "NUKE_RESTORE_MEMORY_BUDGET"
    old_budget = os.environ.get(budget_env)
    if args.memory_budget:
        try:
            from ..imaging.sequence import parse_size
        except ImportError:
            parser.error("--memory-budget applies to the imaging commands; the imaging extra is "
                         "not installed")
        try:
            parse_size(args.memory_budget)
        except ValueError as exc:
            parser.error(f"--memory-budget: {exc}")
        # Through the environment (read at each decode), restored when the command ends.
        os.environ[budget_env] = args.memory_budget
    try:
        return _run_command(parser, args)
    finally:
        if old_budget is None:
            os.environ.pop(budget_env, None)
        else:
            os.environ[budget_env] = old_budget


def _run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        return int(args._run(args) or 0)
    except NukeRestoreError as exc:
        if os.environ.get("NUKE_RESTORE_DEBUG") == "1":
            raise
        print(f"nuke-restore {args.command}: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt as exc:
        return _interrupted(exc, args.command)
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
