#!/usr/bin/env python3
"""Write a JSON twin beside every package template (``templates_data/*/*.yaml`` -> ``.json``).

Nuke's own Python has no PyYAML; the template loader reads these twins there, so the Nuke side builds
graphs with the standard library only. ``--check`` exits 1 when a twin is missing or stale (run by tests).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "nuke_restore" / "templates_data"


def twin_text(yaml_path: Path) -> str:
    import yaml

    data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    return json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="only report missing or stale twins")
    args = ap.parse_args(argv)
    stale = []
    for y in sorted(TEMPLATES.glob("*/*.yaml")):
        j = y.with_suffix(".json")
        text = twin_text(y)
        if not j.is_file() or j.read_text(encoding="utf-8") != text:
            stale.append(j)
            if not args.check:
                j.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("stale template twins (run scripts/compile_templates.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
