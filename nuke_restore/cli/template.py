"""``nuke-restore template init|check|graph|list``: .nk templates a TD draws in Nuke (docs/templates.md).

  template init SCRIPT.nk -o TEMPLATE.nk   a script nuke_restore built -> a template, roles tagged
     [--kind K --type P --role NODE=ROLE]  (a graph drawn by hand: say its kind and each role)
  template check TEMPLATE.nk ...           roles found, missing, ambiguous, on the wrong class, and
                                           any code the template would run, with line numbers
  template graph TEMPLATE.nk               Graphviz of the template, role nodes coloured and named
  template list [--path DIR]               .nk templates on the search path (procedures/*.nk)

(``nuke-restore templates list|show`` lists the YAML procedure templates and presets; .nk templates
sit beside them in ``procedures/`` and are listed by ``template list``.)

Exit codes: 0 clean, 1 problems found (nothing written), 2 unreadable input.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("template", help="make and check .nk templates (roles tagged on nodes)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    init = actions.add_parser("init", help="turn a script nuke_restore built into a template")
    init.add_argument("script", help="a training, inference or baseline script `build` wrote")
    init.add_argument("-o", "--output", required=True, metavar="TEMPLATE.nk")
    init.add_argument("--force", action="store_true", help="overwrite an existing template")
    init.add_argument("--kind", choices=("training", "inference", "baseline"),
                      help="the script the template fills (needed for a graph drawn by hand)")
    init.add_argument("--type", metavar="PROCEDURE",
                      help="the YAML procedure type whose stages it uses (e.g. chroma)")
    init.add_argument("--role", action="append", default=[], metavar="NODE=ROLE",
                      help="give node NODE the role ROLE (or 'ROLE STAGE'); repeatable")
    chk = actions.add_parser("check", help="list a template's roles and problems")
    chk.add_argument("templates", nargs="+", metavar="TEMPLATE.nk")
    gr = actions.add_parser("graph", help="Graphviz of a template, role nodes coloured and named")
    gr.add_argument("template", metavar="TEMPLATE.nk")
    lst = actions.add_parser("list", help=".nk templates on the template search path")
    lst.add_argument("--path", action="append", default=[], metavar="DIR",
                     help="extra template folder, highest priority; repeatable")
    return p


def _read(path: str) -> str:
    with open(path, "rb") as fh:
        return fh.read().decode("utf-8", errors="surrogateescape")


def run(args: argparse.Namespace) -> int:
    from ..errors import NkSyntaxError, TemplateError

    if not getattr(args, "action", None):
        print("nuke-restore template: error: ACTION is one of init, check, graph, list", file=sys.stderr)
        return 2
    if args.action == "list":
        return _list(args)
    paths = [args.script] if args.action == "init" else [args.template] \
        if args.action == "graph" else args.templates
    status = 0
    for path in paths:
        try:
            text = _read(path)
        except OSError as exc:
            print(f"nuke-restore template: error: {path}: cannot read: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        try:
            if args.action == "init":
                return _init(args, text)
            if args.action == "graph":
                return _graph(path, text)
            status = max(status, _check(path, text))
        except NkSyntaxError as exc:
            print(f"nuke-restore template: error: {exc}", file=sys.stderr)
            return 2
        except TemplateError as exc:
            print(f"nuke-restore template: error: {exc}", file=sys.stderr)
            status = max(status, 1)
    return status


def _init(args: argparse.Namespace, text: str) -> int:
    from ..errors import OutputExistsError
    from ..fileio import write_atomic
    from ..recipes import template_roles as tr

    roles = {}
    for item in args.role:
        name, sep, role = item.partition("=")
        if not sep or not name or not role:
            print(f"nuke-restore template: error: --role {item!r}: expected NODE=ROLE",
                  file=sys.stderr)
            return 2
        roles[name] = role
    out, report = tr.init_from_built(text, args.script, kind=args.kind, roles=roles,
                                     procedure=args.type)
    for line in tr.format_report(report, args.output):
        print(line)
    if report.errors:
        print(f"nuke-restore template: error: {args.output}: not written", file=sys.stderr)
        return 1
    try:
        write_atomic(args.output, out, force=args.force)
    except OutputExistsError as exc:
        print(f"nuke-restore template: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


def _check(path: str, text: str) -> int:
    from ..nk.parser import parse_text
    from ..recipes import template_fill as tf
    from ..recipes import template_roles as tr

    script = parse_text(text, path)
    report = tr.check(script)
    for line in tr.format_report(report, path):
        print(line)
    code = tf.untrusted_findings(script)
    for d in code:
        print(f"{path}:{d.line or ''}: error: {d.node or ''}{'.' + d.knob if d.knob else ''}: "
              f"{d.message} [{d.code}] (a template is untrusted input: build refuses it)")
    bad = len(report.errors) + len(code)
    print(f"{path}: {'ok' if not bad else f'{bad} problem(s)'}")
    return 1 if bad else 0


ROLE_COLOURS = {"read": "#9fc5e8", "dataset": "#b6d7a8", "align": "#d5a6bd", "model": "#f9cb9c",
                "output": "#ffe599"}


def _colour(role: str) -> str:
    if role.endswith("_read") and role != "check_read":
        return ROLE_COLOURS["read"]
    if role.startswith(("dataset", "preview", "validation")):
        return ROLE_COLOURS["dataset"]
    if role.startswith(("align", "auto_align", "picture", "live")):
        return ROLE_COLOURS["align"]
    if role in ("copycat", "inference", "matchgrade", "source_prefilter", "reference_median"):
        return ROLE_COLOURS["model"]
    return ROLE_COLOURS["output"]


def _graph(path: str, text: str) -> int:
    """``graph --dot`` of the template with each role node filled and its role in the label;
    nodes without a role stay white (kept as drawn)."""
    from ..nk.parser import parse_text
    from ..recipes import template_roles as tr
    from .graph import _quote, format_dot

    script = parse_text(text, path)
    lines = format_dot(script)
    extra = []
    for i, node in enumerate(script.walk()):
        found = tr.role_of(node)
        if found is None or node.cls == "Root":
            continue
        role = found[0] + (f" {found[1]}" if found[1] > 1 else "")
        label = f"{node.name}\n{node.cls}\nrole: {role}"
        extra.append(f"  n{i} [style=filled, fillcolor={_quote(_colour(found[0]))}, "
                     f"label={_quote(label)}];")
    lines[-1:-1] = extra
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _list(args: argparse.Namespace) -> int:
    from ..config import templates as tpl
    from ..errors import TemplateError
    from ..recipes import template_fill as tf

    for folder in args.path:
        if not Path(folder).is_dir():
            raise TemplateError("template folder not found", path=folder)
    search = tpl.search_path(args.path)
    found = tf.find_templates(search)
    for name, path in found:
        print(f"{name:28} {path}")
    if not found:
        print("no .nk templates in procedures/ of: " + ", ".join(str(f) for f in search))
    return 0
