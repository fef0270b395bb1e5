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
from dataclasses import replace
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from ..errors import NkSyntaxError
from ..nk.validate import (
    ERROR,
    INFO,
    UNTRUSTED_CODES,
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
# Files Nuke opens as scripts, matched without regard to case (``SHOT.NK``): scripts, gizmos, the
# encrypted Non-Commercial/Indie/PLE editions, Nuke's autosaves (``x.nk.autosave``) and backups
# (``x.nk~``). A folder scan checks them all: a hostile file must not hide behind its suffix.
_SUFFIXES = (".nk", ".gizmo", ".nknc", ".nkind", ".nkple", ".gizmonc", ".gizmoind")
_EXTRA_ENDINGS = (".autosave", "~")


def is_script_name(name: str) -> bool:
    """True for a file name Nuke would open as a script or gizmo (see ``_SUFFIXES``)."""
    lower = name.lower()
    for ending in _EXTRA_ENDINGS:
        if lower.endswith(ending):
            lower = lower[:-len(ending)]
            break
    return lower.endswith(_SUFFIXES)


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
                   help="also report, as errors, code the script would run: top-level TCL, "
                        "callbacks, buttons, TCL commands outside the pure expression commands "
                        "(docs/security.md)")
    p.add_argument("--show", choices=_SEVERITIES, default=INFO,
                   help="least severe level to print (default: info, i.e. everything)")
    return p


def _expand(paths: List[str]) -> List[Path]:
    out: List[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if is_script_name(q.name) and q.is_file())
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
    from ..errors import EncryptedScriptError
    from ..nk.lexer import decode, read_script_bytes
    from ..nk.parser import parse_bytes
    from ..nk.validate import validate_script

    data = None
    try:
        data = read_script_bytes(path)  # regular files only: FIFOs and devices are refused
        # Lenient: what Nuke only reports (an unknown `push $var`) becomes a finding, not a stop.
        script = parse_bytes(data, path, strict=False)
    except NkSyntaxError as exc:  # includes EncryptedScriptError and unreadable files
        d = diagnostic_from_error(exc)
        if args.untrusted and isinstance(exc, EncryptedScriptError):
            d = replace(d, message=d.message + "; its content cannot be checked for code")
        elif args.untrusted and data is not None:
            # Unreadable for our parser is not harmless for Nuke's TCL: list the code anyway.
            from ..nk.model import Script
            from ..nk.schema import load_schema
            from ..nk.validate import untrusted_diagnostics

            stub = Script(kind="script", path=str(path))
            return False, [d] + untrusted_diagnostics(stub, load_schema(), decode(data)[0])
        return False, [d]
    rules = rules_for(script) if rules_for is not None else ()
    findings = validate_script(script, untrusted=args.untrusted, strict=args.strict, rules=rules,
                               source=decode(data)[0] if args.untrusted else None)
    if not script.nodes and any(d.code == "unknown-command" for d in findings):
        # Nothing Nuke would build a node from: this is not a Nuke script at all.
        first = next(d for d in findings if d.code == "unknown-command")
        # Code found by --untrusted is still listed: "unreadable" must not hide it.
        code = [d for d in findings if d.code in UNTRUSTED_CODES]
        return False, [Diagnostic("syntax-error", ERROR, "not a Nuke script: no node blocks, "
                                  f"first line is {shorten(first.value or '')!r}", str(path),
                                  first.line)] + code
    return True, findings


def run(args) -> int:
    rules_for = _load_rules()
    files = _expand(args.paths)
    results = []
    for path in files:
        if path.is_dir():
            results.append((str(path), False, [Diagnostic(
                "no-scripts", ERROR, "no .nk or .gizmo files in this folder (nor autosaves, "
                "backups, encrypted editions)", str(path), None)]))
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
        for i, d in enumerate(findings):
            if not ok and i == 0:
                loc = ":".join(str(x) for x in (d.path or path, d.line, d.column) if x)
                print(_printable(f"{loc}: unreadable: {d.message}"), file=sys.stderr)
            elif not ok and d.code not in UNTRUSTED_CODES:
                print(_printable(f"{d.path or path}: unreadable: {d.message}"), file=sys.stderr)
            elif d.severity in shown:
                print(_printable(str(d)))
    summary = (f"{len(results)} file(s): {counts[ERROR]} error(s), {counts[WARNING]} warning(s), "
               f"{counts[INFO]} info")
    if unreadable:
        summary += f", {unreadable} unreadable"
    print(summary, file=sys.stderr)
    return code
