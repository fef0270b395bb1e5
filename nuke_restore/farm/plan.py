"""Turn built scripts into a :class:`~nuke_restore.farm.model.FarmPlan`.

The input is :class:`ScriptSpec`, a neutral description of one generated .nk script, so the planner does
not depend on how the recipes build scripts (``nuke_restore.farm.recipes_adapter`` converts them).
"""
from __future__ import annotations

import logging
import posixpath
import re
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..errors import FarmError
from .model import (
    RENDEZVOUS,
    FarmPlan,
    FarmSettings,
    QcTask,
    RankSpec,
    RenderTask,
    ShotPlan,
    TrainingTask,
    check_plan,
    default_port,
    remap,
    remap_text,
    safe_name,
)

logger = logging.getLogger(__name__)

TRAINING = "training"
RENDER_KINDS = ("inference", "baseline")


@dataclass(frozen=True)
class ScriptSpec:
    """One generated .nk script, as the farm needs to know it."""

    shot: str
    procedure: str
    kind: str
    relpath: str
    text: str
    copycat_nodes: Tuple[str, ...] = ()
    batch_size: Optional[int] = None
    batch_field: str = "batch_size"
    write_nodes: Tuple[Tuple[str, str], ...] = ()
    frames: Optional[Tuple[int, int]] = None
    data_directory: Optional[str] = None
    # Procedures whose inference must be finished before this script can run (multi-stage recipes).
    after: Tuple[str, ...] = ()


# (shot, its renders) -> the QC commands to run after the renders exist (may be empty).
QcBuilder = Callable[[str, Sequence[RenderTask]], Sequence[Sequence[str]]]


def training_argv(settings: FarmSettings, node: str, script: str, gpu: Optional[int]) -> Tuple[str, ...]:
    """``nuke -V 2 -F 1 -X <CopyCat> --gpu [N] script.nk``.

    ``-F 1`` is a dummy frame (CopyCat trains, it does not render frames); ``-X`` executes the named
    node; ``--gpu`` enables the GPU in terminal mode (see docs/farm.md for the evidence).
    """
    argv = [settings.nuke, *settings.nuke_args, "-V", str(settings.verbosity), "-F", "1", "-X", node]
    argv += _gpu_args(settings, gpu)
    argv.append(script)
    return tuple(argv)


def render_argv_parts(settings: FarmSettings, write_node: str, script: str
                      ) -> Tuple[List[str], List[str]]:
    """The render command split where the task's ``-F FIRST-LAST`` goes.

    ``nuke -V 2 [-F FIRST-LAST] -X <Write> --gpu script.nk``; without ``-F`` Nuke renders the script's
    own frame range.
    """
    head = [settings.nuke, *settings.nuke_args, "-V", str(settings.verbosity)]
    tail = ["-X", write_node, *_gpu_args(settings, settings.gpu_for_rank(0)), script]
    return head, tail


def render_argv(settings: FarmSettings, write_node: str, script: str,
                frames: Optional[Tuple[int, int]] = None) -> Tuple[str, ...]:
    head, tail = render_argv_parts(settings, write_node, script)
    middle = ["-F", f"{frames[0]}-{frames[1]}"] if frames else []
    return tuple(head + middle + tail)


def _gpu_args(settings: FarmSettings, gpu: Optional[int]) -> List[str]:
    if not settings.use_gpu:
        return []
    return ["--gpu"] if gpu is None else ["--gpu", str(gpu)]


def rank_env(settings: FarmSettings, rank: int, main_addr: Optional[str], port: int
             ) -> Tuple[Tuple[str, str], ...]:
    if not settings.distributed:
        return ()
    env = [
        ("COPYCAT_MAIN_ADDR", main_addr or RENDEZVOUS),
        ("COPYCAT_MAIN_PORT", str(port)),
        ("COPYCAT_RANK", str(rank)),
        ("COPYCAT_WORLD_SIZE", str(settings.world_size)),
    ]
    env.append(("COPYCAT_SYNC_INTERVAL", str(settings.sync_interval)))
    return tuple(env)


def find_data_directory(text: str, node: str) -> Optional[str]:
    """The ``dataDirectory`` knob of CopyCat ``node`` in .nk text (None when absent)."""
    for block in re.finditer(r"^\s*CopyCat \{(.*?)^\s*\}", text, re.MULTILINE | re.DOTALL):
        body = block.group(1)
        name = re.search(r"^\s*name\s+(\S+)", body, re.MULTILINE)
        if name and name.group(1).strip('"') != node:
            continue
        found = re.search(r"^\s*dataDirectory\s+(\"(?:[^\"\\]|\\.)*\"|\S+)", body, re.MULTILINE)
        if found:
            return found.group(1).strip('"')
    return None


_MODEL_FILE = re.compile(r"^\s*modelFile\s+(\"(?:[^\"\\\\]|\\\\.)*\"|\S+)\s*$", re.MULTILINE)


def find_model_files(text: str) -> Tuple[str, ...]:
    """Plain ``modelFile`` paths of a script's Inference nodes (TCL expressions are skipped)."""
    found = []
    for match in _MODEL_FILE.finditer(text):
        value = match.group(1).strip('"')
        if value and "[" not in value and "$" not in value and value not in found:
            found.append(value)
    return tuple(found)


def build_plan(
    specs: Sequence[ScriptSpec],
    settings: FarmSettings,
    out_root: str,
    qc_builder: Optional[QcBuilder] = None,
) -> FarmPlan:
    """Plan every shot: training (all ranks) -> inference/baseline renders -> QC.

    ``out_root`` is the absolute output folder on this machine; it and every script path are remapped
    with ``settings.path_maps`` so the jobs name the farm's mount points.
    """
    settings.validate()
    maps = settings.path_maps
    farm_root = remap(out_root, maps)
    by_shot: Dict[str, List[ScriptSpec]] = {}
    scripts: Dict[str, str] = {}
    for spec in specs:
        rel = posixpath.normpath(spec.relpath.replace("\\", "/"))
        if rel.startswith("../") or rel.startswith("/"):
            raise FarmError(f"script path {spec.relpath!r} escapes the output folder")
        if rel in scripts:
            raise FarmError(f"two scripts would be written to {rel}")
        scripts[rel] = remap_text(spec.text, maps)
        by_shot.setdefault(spec.shot, []).append(spec)

    ports = _ports(specs, settings)
    shots: List[ShotPlan] = []
    for shot in sorted(by_shot):
        shot_plan = ShotPlan(shot)
        trained: Dict[str, List[str]] = {}
        rendered: Dict[str, List[str]] = {}
        ordered = sorted(by_shot[shot], key=lambda s: (s.kind != TRAINING, s.procedure, s.relpath))
        for spec in ordered:
            script = posixpath.join(farm_root.replace("\\", "/"), _rel(spec))
            if spec.kind == TRAINING:
                previous: Tuple[str, ...] = ()
                models = tuple(remap(_beside(script, m), maps) for m in find_model_files(spec.text))
                for k, node in enumerate(spec.copycat_nodes):
                    name = _task_name(shot, spec.procedure, "train", node, len(spec.copycat_nodes))
                    task = _training(spec, settings, node, script, name, ports[(spec.relpath, node)])
                    # Stage k of a multi-stage script feeds on stage k-1's trained model, so the
                    # CopyCat nodes of one script train one after the other, and stage k resolves
                    # the models of the stages before it first.
                    shot_plan.trainings.append(replace(task, depends_on=previous,
                                                       models=models[:k]))
                    previous = (name,)
                    trained.setdefault(spec.procedure, []).append(name)
                if not spec.copycat_nodes:
                    raise FarmError(f"{spec.relpath}: a training script without a CopyCat node")
            elif spec.kind in RENDER_KINDS:
                if not spec.write_nodes:
                    logger.info("%s has no Write node; nothing to render on the farm", spec.relpath)
                    continue
                name = _task_name(shot, spec.procedure, "infer" if spec.kind == "inference"
                                  else "render", "", 1)
                deps = tuple(trained.get(spec.procedure, ()))
                shot_plan.renders.append(RenderTask(
                    shot=shot, name=name, kind=spec.kind, script_path=script,
                    write_nodes=tuple(w for w, _ in spec.write_nodes), frames=spec.frames,
                    depends_on=deps,
                    outputs=tuple(remap(f, maps) for _, f in spec.write_nodes if f),
                    models=tuple(remap(_beside(script, m), maps)
                                 for m in find_model_files(spec.text)),
                    procedure=spec.procedure))
                rendered.setdefault(spec.procedure, []).append(name)
            else:
                logger.info("%s: kind %r is not run on the farm", spec.relpath, spec.kind)
        _link_stages(shot_plan, by_shot[shot], rendered)
        if qc_builder is not None and shot_plan.renders:
            # Always a QC task: it checks every render exists, then runs the QC command (if any).
            commands = tuple(tuple(c) for c in (qc_builder(shot, shot_plan.renders) or ()) if c)
            shot_plan.qc.append(QcTask(shot=shot, name=safe_name(f"{shot}_qc"), commands=commands,
                                       depends_on=tuple(r.name for r in shot_plan.renders)))
        shots.append(shot_plan)
    plan = FarmPlan(settings=settings, shots=shots, farm_root=farm_root, scripts=scripts)
    check_plan(plan)
    return plan


def _beside(script: str, path: str) -> str:
    """``path`` as written in a script whose project directory is the script's folder."""
    if path.startswith("/") or re.match(r"^[A-Za-z]:[/\\]", path):
        return path
    return posixpath.normpath(posixpath.join(posixpath.dirname(script), path))


def _rel(spec: ScriptSpec) -> str:
    return posixpath.normpath(spec.relpath.replace("\\", "/"))


def _task_name(shot: str, procedure: str, step: str, node: str, nodes: int) -> str:
    parts = [shot, procedure, step] + ([node] if nodes > 1 else [])
    return safe_name("_".join(p for p in parts if p))


def torch_training_argv(settings: FarmSettings, spec: ScriptSpec, data_dir: str
                        ) -> Tuple[str, ...]:
    """``nuke-restore train CONFIG --shot S --procedure P --device cuda|cpu -o DATA_DIR``."""
    device = "cuda" if settings.use_gpu else "cpu"
    return (settings.tool, "train", remap(settings.config_path or "", settings.path_maps),
            "--shot", spec.shot, "--procedure", spec.procedure, "--device", device,
            "-o", data_dir)


#: The headless model's name stem in the stage folder (``<unit>_<procedure>_torch``): the built
#: inference script loads ``<stem>.cat`` from there (recipes.chains model_file; docs/ml.md).
TORCH_SUFFIX = "_torch"


def torch_package_argvs(settings: FarmSettings, spec: ScriptSpec, data_dir: str
                        ) -> Tuple[Tuple[str, ...], ...]:
    """After ``nuke-restore train``: export TorchScript, write the CatFileCreator script, and run
    it in Nuke (``nuke -t make_cat.py``) so ``<data_dir>/<unit>_<proc>_torch.cat`` exists for the
    inference render. The .cat can only be made inside Nuke; that ``createCatFile`` runs from
    ``nuke -t`` is UNVERIFIED without a NukeX (docs/ml.md)."""
    stem = f"{spec.shot}_{spec.procedure}"
    model_id = stem + TORCH_SUFFIX
    pt = posixpath.join(data_dir, model_id + ".pt")
    return (
        (settings.tool, "export", posixpath.join(data_dir, stem + ".pt"), "-o", pt, "--force"),
        (settings.tool, "catfile", pt, "-o", data_dir, "--model-id", model_id, "--force"),
        (settings.nuke, *settings.nuke_args, "-t", posixpath.join(data_dir, "make_cat.py")),
    )


def _training(spec: ScriptSpec, settings: FarmSettings, node: str, script: str, name: str,
              port: int) -> TrainingTask:
    if settings.trainer == "torch" and len(spec.copycat_nodes) > 1:
        # A later stage learns from the earlier stage's Inference render in Nuke: CopyCat it is.
        logger.warning("%s: multi-stage; --trainer torch trains single-stage procedures only, "
                       "%s trains with CopyCat", spec.relpath, node)
    elif settings.trainer == "torch":
        data_dir = spec.data_directory or find_data_directory(spec.text, node) or name
        data_dir = remap(posixpath.normpath(posixpath.join(posixpath.dirname(script), data_dir)),
                         settings.path_maps)
        gpu = settings.gpu_for_rank(0)
        env = (("CUDA_VISIBLE_DEVICES", str(gpu)),) if gpu is not None else ()
        return TrainingTask(
            shot=spec.shot, name=name, script_path=script, copycat_node=node,
            batch_size=spec.batch_size, batch_field=spec.batch_field, data_directory=data_dir,
            ranks=(RankSpec(rank=0, env=env, argv=torch_training_argv(settings, spec, data_dir),
                            gpu=gpu, then=torch_package_argvs(settings, spec, data_dir)),))
    ranks = tuple(
        RankSpec(rank=rank, env=rank_env(settings, rank, settings.main_addr, port),
                 argv=training_argv(settings, node, script, settings.gpu_for_rank(rank)),
                 gpu=settings.gpu_for_rank(rank))
        for rank in range(settings.world_size))
    data_dir = spec.data_directory or find_data_directory(spec.text, node)
    if data_dir:
        # Relative data directories resolve against the script's folder (project_directory).
        data_dir = posixpath.normpath(posixpath.join(posixpath.dirname(script), data_dir))
    return TrainingTask(
        shot=spec.shot, name=name, script_path=script, copycat_node=node,
        batch_size=spec.batch_size, batch_field=spec.batch_field,
        data_directory=remap(data_dir, settings.path_maps) if data_dir else None,
        ranks=ranks, main_addr=settings.main_addr,
        port=port if settings.distributed else None)


def _ports(specs: Sequence[ScriptSpec], settings: FarmSettings) -> Dict[Tuple[str, str], int]:
    """One port per training task: --port, --port+1, ... or a job-seeded default, never shared."""
    keys = sorted((s.shot, s.procedure, s.relpath, node) for s in specs if s.kind == TRAINING
                  for node in s.copycat_nodes)
    ports: Dict[Tuple[str, str], int] = {}
    used = set()
    for index, (shot, procedure, relpath, node) in enumerate(keys):
        if settings.port is not None:
            port = settings.port + index
            if port > 65535:
                raise FarmError(f"--port {settings.port}: {len(keys)} training jobs need ports up to "
                                f"{settings.port + len(keys) - 1}, beyond 65535")
        else:
            port = default_port(f"{settings.batch_name}/{shot}/{procedure}/{node}")
            while port in used:
                port += 1
        used.add(port)
        ports[(relpath, node)] = port
    return ports


def _link_stages(shot_plan: ShotPlan, specs: Sequence[ScriptSpec], rendered: Dict[str, List[str]]
                 ) -> None:
    """A training that consumes an earlier stage's inference waits for that render."""
    after = {s.procedure: s.after for s in specs if s.kind == TRAINING and s.after}
    if not after:
        return
    updated = []
    for task in shot_plan.trainings:
        procedure = next((s.procedure for s in specs if s.kind == TRAINING
                          and task.copycat_node in s.copycat_nodes
                          and posixpath.basename(_rel(s)) == posixpath.basename(task.script_path)),
                         None)
        deps = list(task.depends_on)
        for earlier in after.get(procedure or "", ()):
            if earlier not in rendered:
                raise FarmError(f"shot {shot_plan.shot}: {procedure} needs the inference of "
                                f"{earlier}, which this job does not render")
            deps += rendered[earlier]
        updated.append(_replace(task, depends_on=tuple(deps)))
    shot_plan.trainings[:] = updated


def _replace(task: TrainingTask, **changes) -> TrainingTask:
    return replace(task, **changes)


__all__ = ["ScriptSpec", "build_plan", "find_data_directory", "find_model_files", "rank_env",
           "render_argv",
           "render_argv_parts", "training_argv"]
