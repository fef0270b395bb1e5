"""``nuke-restore demo DIR``: the whole workflow on bundled sample data, no Nuke needed.

Steps (each prints one summary line; later steps need the ``imaging`` extra and are skipped with a note
when it is missing):

1. footage   sample source/reference sequences made from real photographs (known cuts, warps, fading)
2. curate    cut detection and training/preview frame picks -> curation.json
3. align     reference-to-source registration -> align.json
4. config    a job config covering every procedure -> job.yaml
5. build     one validated .nk per shot and procedure -> scripts/
6. baseline  colour baseline fitted on the training pairs -> baseline/*.cube
7. qc        HTML report comparing source, reference and baseline -> qc/report.html
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Callable, List

from ..errors import MissingDependencyError, NukeRestoreError

# 2026-01-01 00:00:00 UTC: the DateTime written into the demo's images, so two runs give the same bytes.
DEMO_EPOCH = 1767225600


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "demo",
        help="run the whole workflow on bundled sample data (no Nuke needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", nargs="?", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--force", action="store_true", help="overwrite a previous demo in DIR")
    p.add_argument("--no-imaging", action="store_true",
                   help="skip the imaging steps (footage, curate, align, baseline, qc)")
    return p


class _Steps:
    def __init__(self) -> None:
        self.rows: List[tuple] = []

    def run(self, name: str, fn: Callable[[], str]) -> bool:
        t0 = time.perf_counter()
        try:
            summary = fn()
        except MissingDependencyError as exc:
            self._print(name, "skipped", str(exc), t0)
            return False
        self._print(name, "ok", summary, t0)
        return True

    def _print(self, name: str, status: str, summary: str, t0: float) -> None:
        dt = time.perf_counter() - t0
        self.rows.append((name, status, summary, dt))
        print(f"[{name:>8}] {status:7} {dt:6.2f}s  {summary}", flush=True)


def run(args: argparse.Namespace) -> int:
    from . import _demo_steps as steps

    out = Path(args.dir)
    if out.exists() and not out.is_dir():
        raise NukeRestoreError("is a file; give a folder for the demo", path=str(out))
    if out.exists() and any(out.iterdir()) and not args.force:
        # Never overwrite without --force, not even a previous demo: its job.yaml may have been
        # edited since.
        if (out / steps.MARKER).exists():
            what = "an interrupted demo" if _interrupted(out / steps.MARKER) else \
                "a previous demo"
            raise NukeRestoreError(f"holds {what}; pass --force to overwrite it or choose "
                                   "another folder", path=str(out))
        raise NukeRestoreError(
            "folder exists and is not a previous demo; choose another or pass --force",
            path=str(out))
    out.mkdir(parents=True, exist_ok=True)
    # Marked before the first step, so an interrupted demo is still known as one (and rerun).
    (out / steps.MARKER).write_text(json.dumps({"complete": False, "steps": []}) + "\n")
    # Work inside DIR with relative paths, so every file the demo writes is the same wherever DIR is.
    # Images carry a fixed DateTime (SOURCE_DATE_EPOCH) unless the user set one.
    previous, epoch = os.getcwd(), os.environ.get("SOURCE_DATE_EPOCH")
    os.chdir(out)
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(DEMO_EPOCH))
    try:
        _run_steps(steps, args)
    finally:
        os.chdir(previous)
        if epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
    print(f"demo written to {out}")
    return 0


def _run_steps(steps, args: argparse.Namespace) -> None:
    state = steps.DemoState(out=Path("."), force=True)
    runner = _Steps()
    use_imaging = not args.no_imaging
    if use_imaging:
        use_imaging = runner.run("footage", lambda: steps.footage(state))
    if use_imaging:
        runner.run("curate", lambda: steps.curate(state))
        runner.run("align", lambda: steps.align(state))
    runner.run("config", lambda: steps.config(state))
    runner.run("build", lambda: steps.build(state))
    if use_imaging:
        runner.run("baseline", lambda: steps.baseline(state))
        runner.run("qc", lambda: steps.qc(state))
    Path(steps.MARKER).write_text(json.dumps({"complete": True,
                                              "steps": [r[0] for r in runner.rows]}) + "\n")


def _interrupted(marker: Path) -> bool:
    try:
        return json.loads(marker.read_text()).get("complete") is False
    except (OSError, ValueError, AttributeError):
        return False
