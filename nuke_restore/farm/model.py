"""The farm job model: what has to run, in which order, with which environment.

Everything here is plain data plus validation; nothing touches the disk. Manager back ends
(``shell``, ``deadline``, ``opencue``) only translate a validated :class:`FarmPlan` into files.

Distributed CopyCat training (Foundry, "Manual Distributed Training Example", Nuke 14.1+): every
process runs the *same* script and CopyCat node, with ``COPYCAT_MAIN_ADDR``/``COPYCAT_MAIN_PORT`` of
process 0, its own ``COPYCAT_RANK`` (< ``COPYCAT_WORLD_SIZE``) and optionally
``COPYCAT_SYNC_INTERVAL``. Only process 0 saves contact sheets, graphs and checkpoints. If one of the
four required variables is missing CopyCat trains in non-distributed mode, so a world size of 1
exports none of them.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import FarmError

MANAGERS = ("deadline", "opencue", "shell")
TRAINERS = ("copycat", "torch")

# Sanity bound: a world size in the thousands is a typo, not a farm.
MAX_WORLD_SIZE = 256
# Default port window when --port is not given: seeded from the job, never random.
PORT_BASE = 30000
PORT_SPAN = 20000

# Host names, IPv4 and IPv6 literals. Anything else (spaces, quotes, $) would break the scripts.
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_%-]*$")
_ABSOLUTE_RE = re.compile(r"^(/|[A-Za-z]:[/\\]|\\\\)")
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]+")

COPYCAT_VARS = (
    "COPYCAT_MAIN_ADDR",
    "COPYCAT_MAIN_PORT",
    "COPYCAT_RANK",
    "COPYCAT_WORLD_SIZE",
)
# Placeholder written where the main address is only known once rank 0 has started.
RENDEZVOUS = "@rendezvous"


def safe_name(text: str) -> str:
    """``text`` reduced to characters every manager accepts in a job or layer name."""
    name = _SAFE_NAME_RE.sub("_", text).strip("_.-")
    return name or "job"


@dataclass(frozen=True)
class PathMap:
    """Rewrite paths under ``source`` (the workstation's mount) to ``target`` (the farm's)."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: str) -> PathMap:
        if "=" not in text:
            raise FarmError(f"--path-map {text!r}: expected FROM=TO, e.g. /Volumes/show=/mnt/show")
        source, target = (part.strip() for part in text.split("=", 1))
        if not source or not target:
            raise FarmError(f"--path-map {text!r}: FROM and TO must both be given")
        for side, value in (("FROM", source), ("TO", target)):
            if not _ABSOLUTE_RE.match(value):
                raise FarmError(f"--path-map {text!r}: {side} must be an absolute path, got {value!r}")
        if any(ch in source + target for ch in "\"'\n\r\t$`"):
            raise FarmError(f"--path-map {text!r}: quotes, $, ` and control characters are not allowed")
        if any(ch in target for ch in "[]{};\\") or any(ord(ch) < 32 for ch in target):
            # TO is written into .nk text as it is: nothing there may become TCL.
            raise FarmError(f"--path-map {text!r}: TO may not contain [ ] {{ }} ; or a backslash "
                            "(it is written into the scripts; use / on the farm)")
        source = source.rstrip("/\\") or source
        target = target.rstrip("/\\") or target
        return cls(source, target)

    def matches(self, path: str) -> bool:
        return path == self.source or path.startswith(self.source + "/") or path.startswith(
            self.source + "\\")


def check_path_maps(maps: Sequence[PathMap]) -> Tuple[PathMap, ...]:
    seen: Dict[str, PathMap] = {}
    for item in maps:
        if item.source in seen:
            raise FarmError(f"--path-map: {item.source!r} is mapped twice")
        seen[item.source] = item
    # Longest source first, so /mnt/show/plates wins over /mnt/show.
    return tuple(sorted(seen.values(), key=lambda m: (-len(m.source), m.source)))


def remap(path: str, maps: Sequence[PathMap]) -> str:
    """``path`` as the farm sees it (first, i.e. longest, matching prefix wins)."""
    for item in maps:
        if item.matches(path):
            return item.target + path[len(item.source):]
    return path


def remap_text(text: str, maps: Sequence[PathMap]) -> str:
    """Rewrite path prefixes inside a .nk script's text.

    A prefix only matches where a path can start (line start, blank, quote or brace) and only when it
    is followed by a separator, a quote, a blank or a brace, so ``/mnt/show`` never rewrites
    ``/mnt/showreel``.
    """
    for item in maps:
        pattern = re.compile(r"(?<![^\s\"'{])" + re.escape(item.source) + r"(?=[/\\\s\"'}]|$)",
                             re.MULTILINE)
        text = pattern.sub(lambda _m, t=item.target: t, text)
    return text


def parse_gpus(text: Optional[str]) -> Tuple[int, ...]:
    if text is None or text.strip() == "":
        return ()
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise FarmError(f"--gpus {text!r}: expected comma-separated GPU indices such as 0,1")
        ids.append(int(part))
    if len(set(ids)) != len(ids):
        raise FarmError(f"--gpus {text!r}: a GPU index is listed twice")
    return tuple(ids)


@dataclass(frozen=True)
class FarmSettings:
    """What the user chose on the command line (validated by :meth:`validate`)."""

    world_size: int = 1
    managers: Tuple[str, ...] = MANAGERS
    port: Optional[int] = None
    main_addr: Optional[str] = None
    # CopyCat's default is 1; it is exported anyway (as the public Deadline CopyCat plugin does) so
    # every rank's environment is complete and explicit.
    sync_interval: int = 1
    gpus: Tuple[int, ...] = ()
    use_gpu: bool = True
    nuke: str = "nuke"
    nuke_args: Tuple[str, ...] = ()
    verbosity: int = 2
    path_maps: Tuple[PathMap, ...] = ()
    batch_name: str = "nuke_restore"
    chunk_size: int = 10
    rendezvous_timeout: int = 3600
    heartbeat: int = 15
    cue_show: str = "testing"
    cue_user: str = "nuke-restore"
    cue_tags: Tuple[str, ...] = ()
    deadline_pool: Optional[str] = None
    deadline_group: Optional[str] = None
    # "torch": `nuke-restore train` (headless PyTorch, one GPU per job) instead of CopyCat in Nuke.
    trainer: str = "copycat"
    tool: str = "nuke-restore"
    config_path: Optional[str] = None

    def validate(self) -> FarmSettings:
        if not isinstance(self.world_size, int) or self.world_size < 1:
            raise FarmError(f"--world-size must be at least 1, got {self.world_size}")
        if self.world_size > MAX_WORLD_SIZE:
            raise FarmError(f"--world-size {self.world_size} is larger than {MAX_WORLD_SIZE}")
        unknown = [m for m in self.managers if m not in MANAGERS]
        if unknown:
            raise FarmError(f"--manager {unknown[0]!r}: unknown; choose from {', '.join(MANAGERS)}")
        if not self.managers:
            raise FarmError("--manager: choose at least one of " + ", ".join(MANAGERS))
        if self.port is not None and not 1024 <= self.port <= 65535:
            raise FarmError(f"--port {self.port}: must be between 1024 and 65535")
        if self.main_addr is not None and not _HOST_RE.match(self.main_addr):
            raise FarmError(f"--main-addr {self.main_addr!r}: not a host name or IP address")
        if not isinstance(self.sync_interval, int) or self.sync_interval < 1:
            raise FarmError(f"--sync-interval must be at least 1, got {self.sync_interval}")
        if not self.nuke.strip() or any(ch in self.nuke for ch in "\n\r"):
            raise FarmError("--nuke: an executable path is required")
        if self.verbosity not in (0, 1, 2):
            raise FarmError(f"-V/--verbosity must be 0, 1 or 2, got {self.verbosity}")
        if self.chunk_size < 1:
            raise FarmError(f"--chunk-size must be at least 1, got {self.chunk_size}")
        if self.rendezvous_timeout < 1 or self.heartbeat < 1:
            raise FarmError("rendezvous timeout and heartbeat must be positive")
        for label, value in (("--cue-show", self.cue_show), ("--cue-user", self.cue_user),
                             ("--batch-name", self.batch_name)):
            if not value or safe_name(value) != value:
                raise FarmError(f"{label} {value!r}: use letters, digits, '_', '.' and '-' only")
        for label, value in (("--pool", self.deadline_pool), ("--group", self.deadline_group)):
            if value is not None and (not value or safe_name(value) != value):
                raise FarmError(f"{label} {value!r}: use letters, digits, '_', '.' and '-' only")
        for tag in self.cue_tags:
            if not tag.isalnum():
                raise FarmError(f"--cue-tags: {tag!r} is not a valid OpenCue tag (letters and "
                                "digits only)")
        check_path_maps(self.path_maps)
        if self.trainer not in TRAINERS:
            raise FarmError(f"--trainer {self.trainer!r}: choose from {', '.join(TRAINERS)}")
        if self.trainer == "torch" and self.world_size != 1:
            raise FarmError("--trainer torch trains on one GPU per job: use --world-size 1")
        if self.trainer == "torch" and not self.config_path:
            raise FarmError("--trainer torch needs the job config's path")
        return self

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def gpu_for_rank(self, rank: int) -> Optional[int]:
        """The GPU index a rank passes to ``--gpu`` (round robin over --gpus), None for the default."""
        if not self.gpus:
            return None
        return self.gpus[rank % len(self.gpus)]


def default_port(job_key: str) -> int:
    """A port seeded from the job, so reruns are byte-identical and jobs rarely share one."""
    return PORT_BASE + zlib.crc32(job_key.encode("utf-8")) % PORT_SPAN


@dataclass(frozen=True)
class RankSpec:
    """One training process: its rank, environment and command."""

    rank: int
    env: Tuple[Tuple[str, str], ...]
    argv: Tuple[str, ...]
    gpu: Optional[int]
    # Commands run after ``argv`` succeeds, in order (--trainer torch: export, CatFileCreator
    # script, ``nuke -t make_cat.py``).
    then: Tuple[Tuple[str, ...], ...] = ()

    @property
    def keeps_checkpoints(self) -> bool:
        # Foundry: only process 0 saves contact sheets, graphs and checkpoints.
        return self.rank == 0

    def env_dict(self) -> Dict[str, str]:
        return dict(self.env)


@dataclass(frozen=True)
class TrainingTask:
    """Train one CopyCat node of one script, on ``world_size`` processes."""

    shot: str
    name: str
    script_path: str
    copycat_node: str
    batch_size: Optional[int]
    batch_field: str
    data_directory: Optional[str] = None
    depends_on: Tuple[str, ...] = ()
    ranks: Tuple[RankSpec, ...] = ()
    main_addr: Optional[str] = None
    port: Optional[int] = None
    # Earlier stages' models this stage's dataset reads (multi-stage scripts): resolved first.
    models: Tuple[str, ...] = ()

    @property
    def world_size(self) -> int:
        return len(self.ranks)


@dataclass(frozen=True)
class RenderTask:
    """Render Write nodes of a script (inference or baseline) after its dependencies finish."""

    shot: str
    name: str
    kind: str
    script_path: str
    write_nodes: Tuple[str, ...]
    frames: Optional[Tuple[int, int]] = None
    depends_on: Tuple[str, ...] = ()
    # The Write nodes' file paths as the farm sees them (QC checks they were rendered).
    outputs: Tuple[str, ...] = ()
    # Trained models (.cat) the script's Inference nodes load: resolved to the checkpoint CopyCat
    # wrote (farm/checkpoints.py) before Nuke starts.
    models: Tuple[str, ...] = ()
    procedure: str = ""


@dataclass(frozen=True)
class QcTask:
    """Quality control once every render of the shot is done: check the renders, run commands."""

    shot: str
    name: str
    commands: Tuple[Tuple[str, ...], ...] = ()
    depends_on: Tuple[str, ...] = ()


@dataclass
class ShotPlan:
    shot: str
    trainings: List[TrainingTask] = field(default_factory=list)
    renders: List[RenderTask] = field(default_factory=list)
    qc: List[QcTask] = field(default_factory=list)

    def tasks(self) -> list:
        """Every task in an order that respects dependencies (checked by :func:`check_plan`)."""
        items = [*self.trainings, *self.renders, *self.qc]
        by_name = {t.name: t for t in items}
        done: Dict[str, bool] = {}
        ordered: list = []

        def visit(task, trail: Tuple[str, ...]) -> None:
            if done.get(task.name):
                return
            if task.name in trail:
                raise FarmError(f"shot {self.shot}: dependency cycle through {task.name}")
            for dep in task.depends_on:
                if dep not in by_name:
                    raise FarmError(f"shot {self.shot}: {task.name} depends on unknown task {dep}")
                visit(by_name[dep], trail + (task.name,))
            done[task.name] = True
            ordered.append(task)

        for task in items:
            visit(task, ())
        return ordered


@dataclass
class FarmPlan:
    settings: FarmSettings
    shots: List[ShotPlan]
    # Where the output folder is as the farm sees it (after --path-map).
    farm_root: str
    # Files to copy into the output folder: relative path -> text (the remapped .nk scripts).
    scripts: Dict[str, str] = field(default_factory=dict)

    def trainings(self) -> List[TrainingTask]:
        return [t for shot in self.shots for t in shot.trainings]


def check_batch(batch_size: Optional[int], world_size: int, field_name: str, where: str) -> None:
    """Refuse distributed training whose batch cannot be split over the processes.

    Foundry: multi-GPU training needs Batch Size >= number of GPUs; across processes each rank
    needs at least one sample of every batch.
    """
    if world_size <= 1:
        return
    if batch_size is None:
        raise FarmError(
            f"{where}: {field_name} is Auto; distributed training over {world_size} processes needs "
            f"a Manual batch size of at least {world_size}: set {field_name} or pass --batch-size "
            f"{world_size}")
    if batch_size < world_size:
        raise FarmError(
            f"{where}: {field_name} is {batch_size}, smaller than --world-size {world_size}; every "
            f"process needs at least one sample per batch. Raise {field_name} to {world_size} or "
            f"more, pass --batch-size {world_size}, or use --world-size {batch_size}")


def check_plan(plan: FarmPlan) -> None:
    """Consistency rules every generated job must satisfy (run before anything is written)."""
    names: Dict[str, str] = {}
    data_dirs: Dict[str, str] = {}
    for shot in plan.shots:
        for task in [*shot.trainings, *shot.renders, *shot.qc]:
            if task.name in names:
                raise FarmError(f"two tasks are both named {task.name!r} ({names[task.name]} and "
                                f"{shot.shot}); shot and procedure names must be unique")
            names[task.name] = shot.shot
        shot.tasks()  # raises on cycles and unknown dependencies
        for task in shot.trainings:
            _check_training(task, plan.settings)
            if task.data_directory:
                other = data_dirs.get(task.data_directory)
                if other:
                    raise FarmError(
                        f"{task.name} and {other} both write checkpoints to "
                        f"{task.data_directory!r}; each CopyCat node needs its own dataDirectory")
                data_dirs[task.data_directory] = task.name


def _check_training(task: TrainingTask, settings: FarmSettings) -> None:
    ranks = [r.rank for r in task.ranks]
    if ranks != list(range(settings.world_size)):
        raise FarmError(f"{task.name}: ranks {ranks} are not 0..{settings.world_size - 1}")
    check_batch(task.batch_size, settings.world_size, task.batch_field, task.name)
    first = task.ranks[0]
    for spec in task.ranks:
        argv = list(spec.argv)
        if settings.trainer == "copycat" and (task.script_path not in argv
                                              or task.copycat_node not in argv):
            raise FarmError(f"{task.name}: rank {spec.rank} does not run the same script and node")
        if strip_gpu(argv) != strip_gpu(list(first.argv)):
            raise FarmError(f"{task.name}: rank {spec.rank} runs a different command than rank 0")
        env = spec.env_dict()
        if settings.distributed:
            missing = [k for k in COPYCAT_VARS if k not in env]
            if missing:
                raise FarmError(f"{task.name}: rank {spec.rank} lacks {', '.join(missing)}")
            if env["COPYCAT_RANK"] != str(spec.rank):
                raise FarmError(f"{task.name}: rank {spec.rank} exports COPYCAT_RANK="
                                f"{env['COPYCAT_RANK']}")
            if env["COPYCAT_WORLD_SIZE"] != str(settings.world_size):
                raise FarmError(f"{task.name}: rank {spec.rank} has the wrong COPYCAT_WORLD_SIZE")
            for key in ("COPYCAT_MAIN_ADDR", "COPYCAT_MAIN_PORT"):
                if env[key] != first.env_dict()[key]:
                    raise FarmError(f"{task.name}: rank {spec.rank} disagrees with rank 0 on {key}")
        elif any(k.startswith("COPYCAT_") for k in env):
            raise FarmError(f"{task.name}: a single process must not export COPYCAT_* variables")


def strip_gpu(argv: List[str]) -> List[str]:
    """``argv`` without the GPU index, which legitimately differs between ranks."""
    out: List[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        out.append(arg)
        if arg == "--gpu" and i + 1 < len(argv) and argv[i + 1].isdigit():
            skip = True
    return out
