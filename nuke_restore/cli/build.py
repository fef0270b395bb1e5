"""``nuke-restore build CONFIG``: one validated .nk per shot/scene/sequence and procedure.

Scripts are written atomically. An existing script is never overwritten without ``--force``: its
shot and procedure get the next version (``_v002``) instead. If any generated script fails
validation, nothing is written. A bad config stops with one line naming file, line and field, and
so does footage that is on disk but lacks frames of a clip's range or is not the project format.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("build", help="build the .nk scripts of a job config",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="job config (YAML)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output folder (default: outputs.dir of the config, else its folder)")
    p.add_argument("--shot", action="append", metavar="NAME", default=[],
                   help="only units containing this shot (or scene/unit name); repeatable")
    p.add_argument("--dry-run", action="store_true", help="build and validate, write nothing")
    p.add_argument("--force", action="store_true", help="overwrite existing scripts")
    return p


def run(args: argparse.Namespace) -> int:
    from ..nk.gcpause import collector_paused

    # The cyclic collector is paused for the whole command (build_to_dir pauses it too): the
    # scripts stay alive until their lines are printed, and the one collection when it resumes
    # runs after _build has returned and dropped them, so it never re-scans them.
    with collector_paused():
        text = _build(args)
    print(text)
    return 0


def _build(args: argparse.Namespace) -> str:
    """The command's work; returns its printed lines."""
    from ..config import load_config
    from ..config.footage import check_footage, clips_for_shots
    from ..recipes import build_to_dir

    cfg = load_config(args.config)
    # Missing frames or a wrong size stop here, naming the clip's line and field, before any
    # script is built (footage not found at all is only reported: it may live on the farm).
    for note in check_footage(cfg, clips_for_shots(cfg, args.shot)):
        logger.warning(note)
    if args.output:
        out = Path(args.output)
    elif cfg.output_dir:
        out = cfg.base_dir / cfg.output_dir
    else:
        out = cfg.base_dir
    shots = args.shot or None
    built: list = []
    paths = build_to_dir(cfg, out, shots=shots, force=args.force, dry_run=args.dry_run,
                         built_out=built)
    stages_seen = set()
    lines = []  # printed at once: one write for thousands of lines, even unbuffered
    for b in built:
        for t in b.metadata.get("extended", {}).get("training", []):
            key = (b.unit, b.procedure, t["stage"])
            if key in stages_seen:
                continue
            stages_seen.add(key)
            line = (f"{b.unit} {b.procedure} stage {t['stage']} ({t['pair']}): {t['pairs']} pairs, "
                    f"batch {t['batch_size']}, crop {t['crop_size']} -> {t['epochs']} epochs = "
                    f"{t['steps']} steps")
            logger.info(line)
            lines.append(line)
    nk = [p for p in paths if p.suffix == ".nk"]
    verb = "would write" if args.dry_run else "wrote"
    lines.extend(f"{verb} {p}" for p in nk)
    lines.append(f"{verb} {len(nk)} validated script(s) and {len(paths) - len(nk)} other "
                 f"file(s) in {out}")
    return "\n".join(lines)
