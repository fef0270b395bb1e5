#!/usr/bin/env python3
"""Compile the colourspace names of OpenColorIO's built-in configs into ``nuke_restore/nk/data/ocio_builtin.json``.

``nuke-restore validate`` checks colourspace knobs (Read/Write ``colorspace``, OCIOColorSpace
``in_colorspace``...) against the OCIO config the script's Root names. Nuke 14+ ships the ACES
"CG" and "studio" configs that OpenColorIO 2.2+ builds in, under the names
``fn-nuke_<OCIO built-in name>`` (e.g. ``fn-nuke_studio-config-v1.0.0_aces-v1.3_ocio-v2.1``).
The validator runs inside Nuke too, so it must not need OpenColorIO: this script writes the names
(colourspaces, their aliases, roles, named transforms, displays and views) of every built-in config
of the installed OpenColorIO into a small JSON file. Deterministic: sorted keys, no timestamps.

Usage::

    python scripts/compile_ocio.py            # needs PyOpenColorIO >= 2.2 (the imaging extra)
    python scripts/compile_ocio.py --check    # exit 1 when the committed file is stale
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT / "nuke_restore" / "nk" / "data" / "ocio_builtin.json"


def config_names(config) -> dict:
    spaces = sorted(config.getColorSpaceNames())
    aliases = sorted({a for n in spaces for a in config.getColorSpace(n).getAliases()})
    roles = sorted(name for name, _space in config.getRoles())
    named = sorted(config.getNamedTransformNames())
    displays = {d: sorted(config.getViews(d)) for d in config.getDisplays()}
    return {"colorspaces": spaces, "aliases": aliases, "roles": roles,
            "named_transforms": named, "displays": displays}


def compile_table() -> dict:
    import PyOpenColorIO as ocio

    configs = {}
    for name, _ui, _recommended, _default in ocio.BuiltinConfigRegistry().getBuiltinConfigs():
        configs[name] = config_names(ocio.Config.CreateFromBuiltinConfig(name))
    return {"format": 1, "generator": "compile_ocio 1", "opencolorio": ocio.__version__,
            "configs": configs}


def dump(doc: dict) -> bytes:
    return (json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            .replace('},"', '},\n"') + "\n").encode("utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    args = ap.parse_args(argv)
    try:
        data = dump(compile_table())
    except ImportError:
        print("compile_ocio: PyOpenColorIO is not installed (pip install opencolorio)",
              file=sys.stderr)
        return 2
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == data
        print(f"{args.out}: {'up to date' if same else 'STALE'}")
        return 0 if same else 1
    tmp = args.out.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
