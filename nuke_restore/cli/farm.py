"""``nuke-restore farm CONFIG -o DIR``: everything a render farm needs to train, render and check.

For each shot: the .nk scripts, one POSIX shell script per training rank (exporting COPYCAT_MAIN_ADDR,
COPYCAT_MAIN_PORT, COPYCAT_RANK, COPYCAT_WORLD_SIZE and optionally COPYCAT_SYNC_INTERVAL, then running
``nuke -V 2 -F 1 -X <CopyCat> --gpu script.nk``), a local launcher, render and QC scripts, plus
Thinkbox Deadline job files and an OpenCue job spec that schedule them (training -> inference -> QC).

Distributed training needs a batch size of at least the world size; a smaller batch is refused unless
--batch-size overrides it (steps are kept: epochs are recomputed from the config's steps rule).
Without --main-addr, rank 0 publishes its address on shared storage when it starts.

``nuke-restore farm --log FILE...`` reads CopyCat/Nuke terminal logs and reports progress and failures.
See docs/farm.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..errors import FarmError, NukeRestoreError

logger = logging.getLogger(__name__)


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "farm",
        help="write farm jobs (Deadline, OpenCue, shell) to train CopyCat, render and QC",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", help="job config (YAML)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder for scripts and jobs")
    p.add_argument("--shot", action="append", metavar="NAME", help="only this shot (repeatable)")
    p.add_argument("--world-size", type=int, default=1, metavar="N",
                   help="training processes per CopyCat node (default 1: not distributed)")
    p.add_argument("--batch-size", type=int, metavar="N",
                   help="override the config's CopyCat batch size (Manual), e.g. to reach the "
                        "world size")
    p.add_argument("--manager", action="append", choices=None, metavar="NAME",
                   help="deadline, opencue or shell (repeatable; default: all three)")
    p.add_argument("--port", type=int, metavar="P",
                   help="COPYCAT_MAIN_PORT of the first training job (+1 for each further job); "
                        "default: a port seeded from the job name")
    p.add_argument("--main-addr", metavar="HOST",
                   help="fixed COPYCAT_MAIN_ADDR (rank 0 must run there); default: rank 0 "
                        "publishes its address on shared storage at start")
    p.add_argument("--sync-interval", type=int, default=1, metavar="N",
                   help="COPYCAT_SYNC_INTERVAL: share gradients every N steps (default 1, as CopyCat)")
    p.add_argument("--gpus", metavar="IDS",
                   help="GPU indices for --gpu, e.g. 0,1 (rank k uses the k-th, round robin)")
    p.add_argument("--cpu", action="store_true", help="do not pass --gpu to Nuke")
    p.add_argument("--nuke", default="nuke", metavar="PATH",
                   help="Nuke executable on the farm (default: nuke)")
    p.add_argument("--nuke-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for every Nuke command, e.g. --nukex (repeatable)")
    p.add_argument("--path-map", action="append", default=[], metavar="FROM=TO",
                   help="rewrite paths for the farm's mount points (repeatable)")
    p.add_argument("--chunk-size", type=int, default=10, metavar="N",
                   help="frames per render task (default 10)")
    p.add_argument("--batch-name", metavar="NAME",
                   help="Deadline batch / OpenCue job prefix (default: the project name)")
    p.add_argument("--pool", help="Deadline pool for every job")
    p.add_argument("--group", help="Deadline group for every job (e.g. your GPU workers)")
    p.add_argument("--cue-tags", metavar="TAGS",
                   help="OpenCue host tags for every layer, e.g. gpu|nuke")
    p.add_argument("--cue-show", default="testing", help="OpenCue show (default: testing)")
    p.add_argument("--cue-user", help="OpenCue user (default: $USER)")
    p.add_argument("--trainer", choices=("copycat", "torch"), default="copycat",
                   help="copycat (default): CopyCat in Nuke; torch: `nuke-restore train` (headless "
                        "PyTorch, first stage, one GPU per job; the --qc-tool executable)")
    p.add_argument("--qc-tool", default="nuke-restore", metavar="PATH",
                   help="nuke-restore on the farm, for the QC metrics (default: nuke-restore)")
    p.add_argument("--no-qc-metrics", dest="qc_metrics", action="store_false",
                   help="QC only checks that every render exists (no nuke-restore qc)")
    p.add_argument("--qc-command", metavar="CMD",
                   help="another command the QC task runs after the renders; {shot} and {config} "
                        "are replaced")
    p.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    p.add_argument("--log", action="append", metavar="FILE",
                   help="parse CopyCat/Nuke terminal log(s) or a folder of *.log instead; exit 1 "
                        "on failures")
    p.add_argument("--json", action="store_true", help="with --log: print JSON")
    return p


def run(args: argparse.Namespace) -> int:
    if args.log:
        return _report_logs(args.log, args.json)
    if not args.config:
        raise FarmError("a job config is required (or --log FILE to read logs)")
    if not args.output:
        raise FarmError("-o DIR is required: the folder for the farm scripts and jobs")
    from ..farm import FarmSettings, PathMap, build_plan, parse_gpus, write_plan
    from ..farm.model import MANAGERS

    managers = tuple(dict.fromkeys(args.manager or MANAGERS))
    if "shell" not in managers:
        # The shell scripts are the payload every manager runs; they are always written.
        managers = managers + ("shell",)
    config = _load(args.config)
    settings = FarmSettings(
        world_size=args.world_size,
        managers=managers,
        port=args.port,
        main_addr=args.main_addr,
        sync_interval=args.sync_interval,
        gpus=parse_gpus(args.gpus),
        use_gpu=not args.cpu,
        nuke=args.nuke,
        nuke_args=tuple(args.nuke_arg),
        path_maps=tuple(PathMap.parse(m) for m in args.path_map),
        batch_name=_safe(args.batch_name or _project_name(config)),
        chunk_size=args.chunk_size,
        cue_show=args.cue_show,
        cue_tags=tuple(t.strip() for t in (args.cue_tags or "").split("|") if t.strip()),
        deadline_pool=args.pool,
        deadline_group=args.group,
        cue_user=_safe(args.cue_user or os.environ.get("USER") or os.environ.get("LOGNAME")
                       or "nuke-restore"),
        trainer=args.trainer, tool=args.qc_tool,
        config_path=str(Path(args.config).resolve()),
    ).validate()
    if args.batch_size is not None:
        _override_batch(config, args.batch_size)
    _check_batches(config, settings.world_size, args.batch_size)
    from ..config.footage import check_footage, clips_for_shots

    # As build: footage on disk that lacks frames or is not the project format stops here, naming
    # the clip's line and field. Footage not seen here usually lives on the farm's storage: a note.
    for note in check_footage(config, clips_for_shots(config, args.shot)):
        logger.info(note)
    out = Path(args.output).resolve()
    if settings.trainer == "torch":
        _point_inference_at_torch_models(config, args.shot, out)
    specs, extra = _specs(config, args.shot, out)
    qc = _qc_builder(args, config, settings, out)
    plan = build_plan(specs, settings, str(out), qc_builder=qc)
    for rel, text in sorted(extra.items()):
        # Provenance sidecars beside the renders, as build_to_dir writes them.
        if rel in plan.scripts:
            raise FarmError(f"two generated files share the path {rel}")
        plan.scripts[rel] = text
    if args.dry_run:
        from ..farm import plan_files

        for rel in sorted(plan_files(plan)):
            print(out / rel)
        return 0
    written = write_plan(plan, out, force=args.force)
    _print_summary(plan, out, written)
    return 0


# --- config -> ScriptSpec ----------------------------------------------------------------------------
def _load(path: str):
    from ..config import load_config

    return load_config(path)


def _project_name(config) -> str:
    project = getattr(config, "project", None)
    return getattr(project, "name", None) or "nuke_restore"


def _safe(text: str) -> str:
    from ..farm.model import safe_name

    return safe_name(text)


def _override_batch(config, batch: int) -> None:
    if not 1 <= batch <= 64:
        raise FarmError(f"--batch-size {batch}: must be between 1 and 64 (CopyCat batchSize)")
    for proc in getattr(config, "procedures", []):
        if "training" in proc.scripts:
            # Manual batch; the config's steps/epochs rule recomputes epochs from it.
            proc.copycat.batch_size = batch


def _check_batches(config, world_size: int, override: Optional[int]) -> None:
    """Refuse early, naming the config field, before any script is built."""
    from ..farm import check_batch

    for index, proc in enumerate(getattr(config, "procedures", [])):
        if "training" not in proc.scripts:
            continue
        try:
            check_batch(proc.copycat.batch_size, world_size, "copycat.batch_size",
                        f"procedure {proc.name!r} (procedures[{index}])")
        except FarmError as exc:
            raise FarmError(exc.message, path=getattr(config, "path", None),
                            line=getattr(proc, "line", None)) from None


def _point_inference_at_torch_models(config, shots: Optional[Sequence[str]], out: Path) -> None:
    """--trainer torch: the inference scripts load the .cat the training chain makes
    (``<stage folder>/<unit>_<proc>_torch.cat``, as ``build`` does once it exists), unless the
    config names a model itself (``inference.model_files``). Multi-stage procedures keep CopyCat."""
    from ..recipes.chains import PIPELINE
    from ..recipes.units import make_units

    files = config.inference.model_files
    for proc in getattr(config, "procedures", []):
        if "training" not in proc.scripts or len(proc.stages) != 1:
            continue
        for unit in make_units(config, proc.granularity, list(shots) if shots else None):
            if any(k in files for k in (f"{unit.name}.{proc.name}", proc.name)):
                continue
            files[f"{unit.name}.{proc.name}"] = (
                out / PIPELINE["training"] / unit.name / proc.name
                / f"{unit.name}_{proc.name}_torch.cat").as_posix()


def _specs(config, shots: Optional[Sequence[str]], out: Path):
    """Build the job's scripts (as ``build_to_dir`` would into ``out``) and describe them."""
    from ..farm import ScriptSpec
    from ..recipes import build_scripts

    # Paths inside the scripts are made relative to the folder they are saved in: ``out``.
    built = build_scripts(config, shots=list(shots) if shots else None, outdir=out)
    _refuse_invalid(config, built)
    specs = []
    for item in built:
        meta = dict(getattr(item, "metadata", None) or {})
        unit = (getattr(item, "unit", "") or getattr(item, "shot", "") or meta.get("shot")
                or _shot_of(config, item))
        specs.append(ScriptSpec(
            shot=str(unit),
            procedure=str(getattr(item, "procedure", "") or meta.get("procedure", "")),
            kind=str(item.kind),
            relpath=str(item.relpath),
            text=str(item.text),
            copycat_nodes=tuple(getattr(item, "copycat_nodes", ()) or ()),
            batch_size=getattr(item, "batch_size", None),
            batch_field=_batch_field(config, getattr(item, "procedure", "")),
            write_nodes=tuple((name, _absolute(path, out))
                              for name, path in _write_nodes(getattr(item, "write_nodes", ()) or ())),
            frames=_frames(str(item.text)),
            after=tuple(meta.get("after", ()) or ()),
        ))
    extra = {rel: text for item in built for rel, text in (getattr(item, "sidecars", {}) or {}).items()}
    return specs, extra


def _refuse_invalid(config, built) -> None:
    """The same gate as ``build_to_dir``: never hand a farm a script that fails validation."""
    try:
        from ..recipes import validate_built
    except ImportError:  # pragma: no cover - older recipes
        return
    problems = []
    for item in built:
        for diag in validate_built(item)[:5]:
            problems.append(f"{item.relpath}: {getattr(diag, 'code', '')} "
                            f"{getattr(diag, 'message', diag)}")
    if problems:
        raise NukeRestoreError("refusing to write: generated scripts failed validation: "
                               + "; ".join(problems), getattr(config, "path", None))


def _absolute(path: str, out: Path) -> str:
    if not path or path.startswith("/") or (len(path) > 2 and path[1] == ":"):
        return path
    return (out / path).as_posix()


def _shot_of(config, item) -> str:
    names = [s.name for s in getattr(config, "shots", [])]
    for name in sorted(names, key=len, reverse=True):
        if name in str(getattr(item, "name", "")) or name in str(getattr(item, "relpath", "")):
            return name
    return "all"


_ROOT_RANGE = re.compile(r"^Root \{.*?^ first_frame (-?\d+)$.*?^ last_frame (-?\d+)$", re.M | re.S)


def _frames(text: str) -> Optional[Tuple[int, int]]:
    """The script's Root frame range (what ``nuke -X`` renders without ``-F``)."""
    found = _ROOT_RANGE.search(text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _batch_field(config, procedure: str) -> str:
    for index, proc in enumerate(getattr(config, "procedures", [])):
        if proc.name == procedure:
            return f"procedures[{index}].copycat.batch_size"
    return "copycat.batch_size"


def _write_nodes(items) -> Tuple[Tuple[str, str], ...]:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append((item, ""))
        elif isinstance(item, dict):
            out.append((str(item.get("name")), str(item.get("file") or item.get("path") or "")))
        else:
            name, path = (list(item) + [""])[:2]
            out.append((str(name), str(path or "")))
    return tuple(out)


def _qc_builder(args, config, settings, out: Path):
    """QC commands per shot: ``nuke-restore qc`` on every inference render, plus --qc-command.

    Runs on the farm after the renders, so every path is the farm's (path maps applied). A unit that
    is not a single shot (scene/sequence granularity) gets no metrics command: its renders span
    several shots and clips.
    """
    from ..farm.model import remap

    maps = settings.path_maps
    config_path = Path(args.config).resolve()
    farm_out = remap(out.as_posix(), maps)
    shots = {s.name: s for s in getattr(config, "shots", [])}
    procedures = {p.name: p for p in getattr(config, "procedures", [])}

    def clip_path(path: Optional[str]) -> Optional[str]:
        if not path:
            return None
        full = Path(path) if os.path.isabs(path) else Path(config.base_dir) / path
        return remap(full.resolve().as_posix(), maps)

    def build(shot: str, renders) -> List[Tuple[str, ...]]:
        commands: List[Tuple[str, ...]] = []
        unit = shots.get(shot)
        clip = getattr(config, "clips", {}).get(unit.clip) if unit else None
        if args.qc_metrics and clip is not None and clip.reference:
            baselines = [o for r in renders if r.kind == "baseline" for o in r.outputs]
            jobs = []
            for render in renders:
                proc = procedures.get(render.procedure)
                if render.kind != "inference" or not render.outputs or not proc or not proc.stages:
                    continue
                jobs.append((render, proc.stages[-1].pair))
            if not jobs and baselines:
                # A job with only the MatchGrade baseline still gets its numbers.
                jobs.append((next(r for r in renders if r.kind == "baseline"), "chroma"))
            for render, mode in jobs:
                report = f"{farm_out}/{shot}/qc/{render.name}"
                argv = [args.qc_tool, "qc", "--source", clip_path(clip.source),
                        "--reference", clip_path(clip.reference), "--mode", mode]
                if render.kind == "inference":
                    argv += ["--output", render.outputs[0]]
                if mode == "chroma" and baselines:
                    argv += ["--baseline", baselines[0]]
                argv += _qc_colour_and_frames(config, clip, clip_path)
                if getattr(config.alignment, "mode", "none") != "none":
                    argv.append("--align")
                argv += ["-o", f"{report}.html", "--json", f"{report}.json", "--force"]
                commands.append(tuple(argv))
        if args.qc_command:
            text = args.qc_command.replace("{shot}", shot).replace("{config}", str(config_path))
            commands.append(tuple(shlex.split(text)))
        return commands

    return build


def _qc_colour_and_frames(config, clip, clip_path) -> List[str]:
    """The QC options that make it read the footage as the built scripts do: the OCIO config and
    the Reads' colour spaces, the renders' (the Writes' output transform), and the Reference's
    frame numbering (offset or frame map)."""
    project = config.project
    argv = ["--ocio-config", clip_path(project.ocio_config_path) if project.ocio_config_path
            else project.ocio_config,
            "--source-colourspace", clip.colorspace or project.read_colorspace,
            "--reference-colourspace", clip.reference_colorspace or project.read_colorspace,
            "--output-colourspace", project.write_colorspace,
            "--baseline-colourspace", project.write_colorspace]
    fmap = getattr(clip, "frame_map", None)
    if fmap is not None:
        if clip.frame_map_file:
            argv += ["--frame-map", clip_path(clip.frame_map_file)]
        else:
            argv += ["--reference-offset", str(fmap.offset)]
    return argv


# --- output -----------------------------------------------------------------------------------------
def _print_summary(plan, out: Path, written: List[Path]) -> None:
    settings = plan.settings
    for shot in plan.shots:
        for task in shot.trainings:
            mode = (f"{task.world_size} ranks, main "
                    f"{settings.main_addr or 'published by rank 0'}:{task.port}"
                    if settings.distributed else "1 process")
            print(f"{shot.shot}: train {task.copycat_node} ({mode}) -> "
                  f"{shlex.quote(str(out / shot.shot / task.name))}")
        for task in [*shot.renders, *shot.qc]:
            print(f"{shot.shot}: {task.name} after {', '.join(task.depends_on) or 'nothing'}")
    if "deadline" in settings.managers:
        print(f"Deadline: sh {shlex.quote(str(out / 'deadline' / 'submit_deadline.sh'))}")
    if "opencue" in settings.managers:
        print(f"OpenCue:  python3 {shlex.quote(str(out / 'opencue' / 'submit_opencue.py'))}")
    print(f"{len(written)} files written to {shlex.quote(str(out))}")


def _report_logs(paths: Sequence[str], as_json: bool) -> int:
    from ..farm import parse_log

    failed = False
    results = {}
    files: List[str] = []
    for name in paths:
        # A folder (e.g. a launcher's logs/) stands for every *.log in it.
        if Path(name).is_dir():
            logs = sorted(str(p) for p in Path(name).glob("*.log"))
            if not logs:
                raise NukeRestoreError("no *.log files in this folder", path=name)
            files += logs
        else:
            files.append(name)
    for name in files:
        try:
            with open(name, encoding="utf-8", errors="replace") as handle:
                summary = parse_log(handle)
        except OSError as exc:
            raise NukeRestoreError(f"cannot read log: {exc.strerror}", path=name) from None
        failed = failed or summary.failed
        results[name] = summary
    if as_json:
        json.dump({k: v.to_dict() for k, v in results.items()}, sys.stdout, indent=2,
                  sort_keys=True)
        print()
    else:
        for name, summary in results.items():
            print(f"{name}: {summary.headline()}")
    logging.getLogger("nuke_restore").debug("parsed %d log(s)", len(files))
    return 1 if failed else 0
