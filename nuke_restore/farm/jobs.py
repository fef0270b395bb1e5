"""Assemble every file of a farm plan, then write them all or none.

Order of work: plan (validated) -> every file's text in memory -> under the output folder's lock,
check no file would be overwritten without ``force`` -> stage every file -> move them into place.
A bad setting, a full disk or an interrupt therefore leaves the output folder untouched.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Dict, List, Sequence

from ..errors import FarmError, OutputError, OutputExistsError
from ..fileio import OutputTransaction, inside_problem
from .deadline import deadline_files
from .model import FarmPlan, QcTask, RenderTask, TrainingTask
from .opencue import opencue_files
from .plan import render_argv
from .shell import command_line, rendezvous_path, shell_files

logger = logging.getLogger(__name__)

MANIFEST = "farm.json"


def _task_record(task) -> dict:
    record = {"name": task.name, "depends_on": list(task.depends_on)}
    if isinstance(task, TrainingTask):
        record.update({
            "kind": "training",
            "script": task.script_path,
            "copycat_node": task.copycat_node,
            "batch_size": task.batch_size,
            "data_directory": task.data_directory,
            "world_size": task.world_size,
            "main_addr": task.main_addr,
            "port": task.port,
            "ranks": [
                {"rank": r.rank, "gpu": r.gpu, "keeps_checkpoints": r.keeps_checkpoints,
                 "env": dict(r.env), "argv": list(r.argv), "command": command_line(r.argv),
                 **({"then": [list(c) for c in r.then]} if r.then else {})}
                for r in task.ranks
            ],
        })
    elif isinstance(task, RenderTask):
        record.update({"kind": task.kind, "script": task.script_path,
                       "write_nodes": list(task.write_nodes),
                       "frames": list(task.frames) if task.frames else None,
                       "outputs": list(task.outputs), "models": list(task.models)})
    elif isinstance(task, QcTask):
        record.update({"kind": "qc", "commands": [list(c) for c in task.commands]})
    return record


def _with_rendezvous(plan: FarmPlan, task) -> dict:
    record = _task_record(task)
    if isinstance(task, TrainingTask) and plan.settings.distributed and not task.main_addr:
        record["rendezvous_file"] = rendezvous_path(plan, task)
    if isinstance(task, RenderTask):
        # The whole-range command per Write node (farm tasks pass their own chunk as -F).
        record["commands"] = [command_line(render_argv(plan.settings, node, task.script_path,
                                                       task.frames))
                              for node in task.write_nodes]
    return record


def manifest(plan: FarmPlan, files: Sequence[str] = ()) -> str:
    settings = plan.settings
    data = {
        # Every file this run generated: a later --force run removes the ones it no longer writes.
        "files": sorted(files),
        "generator": "nuke-restore farm",
        "farm_root": plan.farm_root,
        "world_size": settings.world_size,
        "main_addr": settings.main_addr or "rendezvous (rank 0 publishes its address)",
        "managers": list(settings.managers),
        "path_maps": [{"from": m.source, "to": m.target} for m in settings.path_maps],
        "scripts": sorted(plan.scripts),
        "shots": [{"shot": s.shot, "tasks": [_with_rendezvous(plan, t) for t in s.tasks()]}
                  for s in plan.shots],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def plan_files(plan: FarmPlan) -> Dict[str, str]:
    """Every file of the plan: path relative to the output folder -> text."""
    files: Dict[str, str] = dict(plan.scripts)
    expected = {}
    for shot in plan.shots:
        outputs = [(path, r.frames) for r in shot.renders for path in r.outputs]
        for task in shot.qc:
            expected[task.name] = outputs
    _merge(files, shell_files(plan, expected))
    if "deadline" in plan.settings.managers:
        _merge(files, deadline_files(plan))
    if "opencue" in plan.settings.managers:
        _merge(files, opencue_files(plan))
    files[MANIFEST] = manifest(plan, list(files) + [MANIFEST])
    return files


def _merge(files: Dict[str, str], more: Dict[str, str]) -> None:
    for path, text in more.items():
        if path in files:
            raise OutputExistsError(f"two generated files share the path {path}; rename a shot or "
                                    "procedure")
        files[path] = text


def _previous_files(tx: OutputTransaction) -> List[str]:
    """Files a previous run listed in its manifest (empty when there is none or it is unreadable)."""
    try:
        raw = tx.read(MANIFEST)
        data = json.loads(raw.decode("utf-8")) if raw is not None else None
    except (OSError, ValueError, OutputError):
        return []
    if not isinstance(data, dict) or data.get("generator") != "nuke-restore farm":
        return []
    return [f for f in data.get("files", []) if isinstance(f, str) and inside_problem(f) is None]


def write_plan(plan: FarmPlan, out_dir, force: bool = False) -> List[Path]:
    """Write every file, or nothing (``fileio.OutputTransaction``: staged, locked, moved into
    place at the end; an error or interrupt leaves nothing of this run).

    With ``force``, files a previous run generated (per its ``farm.json``) that this run does not
    write are removed, so e.g. rank_3.sh of an earlier world size 4 cannot linger; no other file is
    ever deleted. No symbolic link inside the output folder is followed.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FarmError("the output folder is a file", path=str(out))
    files = plan_files(plan)
    written = []
    try:
        with OutputTransaction(out) as tx:
            if not force:
                for rel in sorted(files):
                    if tx.exists(rel):
                        raise OutputExistsError("exists; use --force to overwrite",
                                                path=str(out / rel))
            stale = [rel for rel in _previous_files(tx) if rel not in files] if force else []
            for rel, text in sorted(files.items()):
                mode = 0o755 if rel.endswith((".sh", ".py")) else None
                written.append(tx.write(rel, text, mode=mode))
            for rel in stale:
                tx.remove(rel)
                logger.info("removing %s (generated by an earlier run, not by this one)", rel)
            tx.commit()
    except OutputError:
        raise
    except OSError as exc:
        raise FarmError(f"cannot write: {exc.strerror or exc}", path=exc.filename or str(out)) \
            from None
    logger.info("wrote %d farm files to %s", len(written), out)
    return written
