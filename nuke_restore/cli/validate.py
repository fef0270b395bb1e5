"""``nuke-restore validate PATH... [--json] [--strict] [--untrusted]``: check .nk/.gizmo files.

Exit status: 0 no error-level finding, 1 at least one error-level finding, 2 an input could not be
read (missing, encrypted, or not a Nuke script). Findings print one per line as
``path:line: severity[code] node.knob=value: message``; ``--json`` prints one stable JSON document.
Nothing in the files is executed.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from ..errors import NkSyntaxError
from ..nk.validate import (
    ERROR,
    INFO,
    WARNING,
    Diagnostic,
    diagnostic_from_error,
    shorten,
    summarize,
)

logger = logging.getLogger(__name__)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
JSON_FORMAT = 1
_SEVERITIES = (ERROR, WARNING, INFO)
_SUFFIXES = (".nk", ".gizmo", ".nknc", ".nkind")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "validate",
        help="check .nk/.gizmo files against Nuke's node classes, knobs and menus",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help=".nk/.gizmo files, or folders (searched for .nk/.gizmo files)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--strict", action="store_true", help="report warnings as errors")
    p.add_argument("--untrusted", action="store_true",
                   help="also report code the script would run (Python callbacks, [python ...], "
                        "script buttons)")
    p.add_argument("--show", choices=_SEVERITIES, default=INFO,
                   help="least severe level to print (default: info, i.e. everything)")
    return p


def _expand(paths: List[str]) -> List[Path]:
    out: List[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix in _SUFFIXES and q.is_file())
            # A folder given by name that holds nothing to check is a mistake, not "clean": it
            # stays in the list and is reported as unreadable (exit 2, in --json too).
            out.extend(found or [p])
        else:
            out.append(p)
    return out


def _printable(text: str) -> str:
    # Undecodable bytes of a script arrive as lone surrogates: show them as escapes, never crash.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _load_rules() -> Optional[Callable]:
    """``rules_for`` from the recipes package when it exists (graph rules of built workflows)."""
    try:
        from ..recipes.rules import rules_for
    except ModuleNotFoundError as exc:
        if exc.name in ("nuke_restore.recipes", "nuke_restore.recipes.rules"):
            return None
        raise
    except ImportError as exc:
        if "rules_for" in str(exc):
            return None
        raise
    return rules_for


def _check(path: Path, args, rules_for) -> Tuple[bool, List[Diagnostic]]:
    from ..nk.parser import parse_file
    from ..nk.validate import validate_script

    try:
        # Lenient: what Nuke only reports (an unknown `push $var`) becomes a finding, not a stop.
        script = parse_file(path, strict=False)
    except NkSyntaxError as exc:  # includes EncryptedScriptError and unreadable files
        return False, [diagnostic_from_error(exc)]
    rules = rules_for(script) if rules_for is not None else ()
    findings = validate_script(script, untrusted=args.untrusted, strict=args.strict, rules=rules)
    if not script.nodes and any(d.code == "unknown-command" for d in findings):
        # Nothing Nuke would build a node from: this is not a Nuke script at all.
        first = next(d for d in findings if d.code == "unknown-command")
        return False, [Diagnostic("syntax-error", ERROR, "not a Nuke script: no node blocks, "
                                  f"first line is {shorten(first.value or '')!r}", str(path),
                                  first.line)]
    return True, findings


def run(args) -> int:
    rules_for = _load_rules()
    files = _expand(args.paths)
    results = []
    for path in files:
        if path.is_dir():
            results.append((str(path), False, [Diagnostic(
                "no-scripts", ERROR, "no .nk or .gizmo files in this folder", str(path), None)]))
            continue
        readable, findings = _check(path, args, rules_for)
        results.append((str(path), readable, findings))
    everything = [d for _, _, ds in results for d in ds]
    counts = summarize(everything)
    unreadable = sum(1 for _, ok, _ in results if not ok)
    if unreadable:
        code = EXIT_UNREADABLE
    elif counts[ERROR]:
        code = EXIT_FINDINGS
    else:
        code = EXIT_CLEAN
    if args.json:
        doc = {
            "format": JSON_FORMAT,
            "files": [{"path": p, "readable": ok, "findings": [d.as_dict() for d in ds]}
                      for p, ok, ds in results],
            "summary": {"files": len(results), "unreadable": unreadable, **counts},
            "exit_code": code,
        }
        # ASCII escapes keep the document valid UTF-8 even when a file holds undecodable bytes
        # (kept by the parser as surrogates, e.g. GBK text in an old script).
        print(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True))
        return code
    shown = _SEVERITIES[:_SEVERITIES.index(args.show) + 1]
    for path, ok, findings in results:
        for d in findings:
            if not ok:
                loc = ":".join(str(x) for x in (d.path or path, d.line, d.column) if x)
                print(_printable(f"{loc}: unreadable: {d.message}"), file=sys.stderr)
            elif d.severity in shown:
                print(_printable(str(d)))
    summary = (f"{len(results)} file(s): {counts[ERROR]} error(s), {counts[WARNING]} warning(s), "
               f"{counts[INFO]} info")
    if unreadable:
        summary += f", {unreadable} unreadable"
    print(summary, file=sys.stderr)
    return code
