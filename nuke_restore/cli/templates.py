"""``nuke-restore templates list|show NAME``: the procedure templates and knob presets on the search
path (job config folders < ``NUKE_RESTORE_TEMPLATE_PATH`` < package defaults, highest first)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("templates", help="list or show YAML procedure templates and knob presets",
                       description=__doc__)
    p.add_argument("action", choices=("list", "show"))
    p.add_argument("name", nargs="?", help="template name (for show)")
    p.add_argument("--kind", choices=("procedures", "presets"),
                   help="which kind to show when a name exists as both")
    p.add_argument("--path", action="append", default=[], metavar="DIR",
                   help="extra template folder, highest priority; repeatable")
    return p


def run(args: argparse.Namespace) -> int:
    from ..config import templates as tpl
    from ..errors import TemplateError

    for folder in args.path:
        # A mistyped --path would otherwise fall back silently to the lower layers.
        if not Path(folder).is_dir():
            raise TemplateError("template folder not found", path=folder)
    path = tpl.search_path(args.path)
    if args.action == "list":
        print("search path (highest priority first):")
        for folder in path:
            print(f"  {folder}")
        for kind, name, files in tpl.list_templates(path):
            extra = f" (+{len(files) - 1} lower layer(s))" if len(files) > 1 else ""
            print(f"{kind[:-1]:9} {name:16} {files[0]}{extra}")
        return 0
    if not args.name:
        raise TemplateError("templates show needs a NAME")
    kinds = [args.kind] if args.kind else ["procedures", "presets"]
    for kind in kinds:
        if args.name in tpl.list_names(kind, path):
            if kind == "procedures":
                data, source = tpl.load_procedure(args.name, path)
                print(f"# procedure {args.name} from {source}")
                print(json.dumps(tpl._plain(data), indent=2))
            else:
                data, files = tpl.load_preset(args.name, path)
                print(f"# preset {args.name}, merged from (lowest first): "
                      + ", ".join(str(f) for f in files))
                print(json.dumps(data, indent=2))
            return 0
    tpl.check_name(args.name)
    raise TemplateError(f"no template named {args.name!r}; try `nuke-restore templates list`")
