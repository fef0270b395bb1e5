"""Train on the farm: CopyCat training (single or distributed), inference renders and QC as farm jobs.

    model      FarmSettings, TrainingTask/RankSpec, RenderTask, QcTask, FarmPlan; validation rules
    plan       ScriptSpec -> FarmPlan (commands, per-rank COPYCAT_* environments, ports, dependencies)
    shell      POSIX sh payload: per-rank scripts, rendezvous helpers, local launcher, render/QC scripts
    deadline   Thinkbox Deadline JobInfo/PluginInfo (CommandLine plugin) + submit_deadline.sh
    opencue    OpenCue job spec XML (cjsl-1.13) + submit_opencue.py
    jobs       assemble every file, manifest (farm.json), write all-or-nothing
    logparse   CopyCat/Nuke terminal output -> progress, checkpoints and classified failures

Standard library only.
"""
from __future__ import annotations

from .jobs import manifest, plan_files, write_plan
from .logparse import LogEvent, LogSummary, parse_line, parse_log
from .model import (
    MANAGERS,
    FarmPlan,
    FarmSettings,
    PathMap,
    QcTask,
    RankSpec,
    RenderTask,
    TrainingTask,
    check_batch,
    check_plan,
    parse_gpus,
)
from .plan import ScriptSpec, build_plan

__all__ = [
    "MANAGERS", "FarmPlan", "FarmSettings", "LogEvent", "LogSummary", "PathMap", "QcTask",
    "RankSpec", "RenderTask", "ScriptSpec", "TrainingTask", "build_plan", "check_batch",
    "check_plan", "manifest", "parse_gpus", "parse_line", "parse_log", "plan_files", "write_plan",
]
