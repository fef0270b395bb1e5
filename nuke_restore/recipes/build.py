"""Build every script of a job: training, inference and baseline .nk per unit and procedure."""
from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .. import __version__
from ..config import JobConfig, Procedure
from ..errors import NukeRestoreError, OutputError, OutputExistsError
from ..fileio import OutputTransaction
from ..nk.gcpause import collector_paused
from ..nk.model import Node, Script
from ..nk.values import Raw, UnsafeTextError, check_text, format_curve
from ..nk.writer import write_script
from . import provenance as pv
from .chains import PIPELINE, Ctx, Paths, StageInfo
from .graph import Builder
from .knobdefs import ROOT_OCIO_LUTS, monitor_lut_for
from .units import Unit, make_units

logger = logging.getLogger(__name__)

MARKER_KNOB = "nuke_restore_recipe"
PROJECT_DIRECTORY = '"\\[python \\{nuke.script_directory()\\}]"'


@dataclass
class BuiltScript:
    """One generated .nk and what other parts (farm, validation, provenance) need to know."""

    name: str
    procedure: str
    kind: str
    script: Script
    text: str
    relpath: str
    unit: str = ""
    copycat_nodes: List[str] = field(default_factory=list)
    batch_size: Optional[int] = None
    write_nodes: List[Tuple[str, str]] = field(default_factory=list)
    metadata: Dict[str, Any] = field(default_factory=dict)
    sidecars: Dict[str, str] = field(default_factory=dict)  # relpath -> text
    version: int = 1


# ---------------------------------------------------------------------------------------------------
def build_scripts(config: JobConfig, shots: Optional[Sequence[str]] = None,
                  outdir: Optional[os.PathLike] = None, version: int = 1,
                  versions: Optional[Dict[Tuple[str, str], int]] = None) -> List[BuiltScript]:
    """Every script of the job, in config order: per procedure, per unit, per script kind.

    ``shots`` limits the build to units containing those shots (or named so). Paths inside the scripts
    are made relative to ``outdir`` (default: the config's ``outputs.dir`` or the config folder),
    where the scripts are meant to be saved. ``versions`` maps (unit, procedure) to a version number.
    """
    with collector_paused():  # building allocates many small objects and frees none
        try:
            return _build_scripts(config, shots, outdir, version, versions)
        except UnsafeTextError as exc:
            # Text the config checks could not see (a path made relative to the output folder,
            # a preset value) would reach the script as live TCL: refuse the whole build.
            raise NukeRestoreError(f"refusing to build: {exc}", config.path) from None


def _build_scripts(config: JobConfig, shots: Optional[Sequence[str]],
                   outdir: Optional[os.PathLike], version: int,
                   versions: Optional[Dict[Tuple[str, str], int]]) -> List[BuiltScript]:
    out_dir = Path(outdir) if outdir is not None else (
        config.base_dir / config.output_dir if config.output_dir else config.base_dir)
    paths = Paths(config.base_dir, out_dir.resolve() if out_dir.is_absolute() or outdir is not None
                  else out_dir)
    built: List[BuiltScript] = []
    matched = False
    loaded: Dict[Any, Any] = {}  # .nk templates read once per build
    for proc in config.procedures:
        units = make_units(config, proc.granularity, shots)
        matched = matched or bool(units)
        for unit in units:
            v = (versions or {}).get((unit.name, proc.name), version)
            unit_built = _build_unit(config, proc, unit, paths, v)
            if getattr(proc, "nk_templates", None):
                from .template_fill import fill_unit  # .nk templates: docs/templates.md

                unit_built = fill_unit(config, proc, unit_built, loaded)
            built += unit_built
    if shots and not matched:
        raise NukeRestoreError(f"no shot or unit named {', '.join(shots)}; shots: "
                               f"{', '.join(s.name for s in config.shots)}", config.path)
    return built


def _build_unit(cfg: JobConfig, proc: Procedure, unit: Unit, paths: Paths,
                version: int) -> List[BuiltScript]:
    out: List[BuiltScript] = []
    stages: List[StageInfo] = []
    vtag = "" if version == 1 else f"_v{version:03d}"
    base = f"{unit.name}_{proc.name}"
    if "training" in proc.scripts:
        ctx = _new_ctx(cfg, proc, unit, paths, version, "training", range_=(1, len(unit.pairs)))
        _training(ctx)
        stages = ctx.stages
        out.append(_finish(ctx, "training", f"{base}_training{vtag}.nk"))
    if "inference" in proc.scripts:
        ctx = _new_ctx(cfg, proc, unit, paths, version, "inference")
        ctx.stages = stages
        _inference(ctx)
        out.append(_finish(ctx, "inference", f"{base}_inference{vtag}.nk"))
    if "baseline" in proc.scripts:
        ctx = _new_ctx(cfg, proc, unit, paths, version, "baseline")
        _baseline(ctx)
        out.append(_finish(ctx, "baseline", f"{base}{vtag}.nk"))
    for b in out:
        b.version = version
    return out


def _new_ctx(cfg: JobConfig, proc: Procedure, unit: Unit, paths: Paths, version: int, kind: str,
             range_: Optional[Tuple[int, int]] = None) -> Ctx:
    p = cfg.project
    first, last = range_ or (unit.first, unit.last)
    root_knobs: List[Tuple[str, Any]] = [
        ("inputs", 0),
        ("project_directory", Raw(PROJECT_DIRECTORY)),
        ("frame", first),
        ("first_frame", first),
        ("last_frame", last),
        ("lock_range", True),
    ]
    if p.fps != 24:
        root_knobs.append(("fps", p.fps))
    root_knobs += [
        ("format", p.format.nk),
        ("colorManagement", "OCIO"),
    ]
    if p.ocio_config_path:
        root_knobs += [("OCIO_config", "custom"),
                       ("customOCIOConfigPath", paths.rel(p.ocio_config_path))]
    else:
        root_knobs.append(("OCIO_config", p.ocio_config))
    root_knobs.append(("workingSpaceLUT", p.working_space))
    # Viewer and file LUTs Nuke writes on save in OCIO mode: the same values in every real
    # Nuke-saved OCIO script of the test corpus (6 of 6; OCIO roles, so valid in any ACES config).
    # monitorLut only where evidenced (knobdefs.monitor_lut_for: Nuke's ACES 1.x configs)
    monitor = None if p.ocio_config_path else monitor_lut_for(p.ocio_config)
    if monitor:
        root_knobs.append(monitor)
    root_knobs += [(k, v) for k, v in ROOT_OCIO_LUTS if k != "workingSpaceLUT"]
    script = Script.new(check_text(p.nuke_version, "version", "project.nuke_version"))
    root = script.root
    root.knobs = []
    for k, v in root_knobs:
        if type(v) is str:
            check_text(v, "path" if k == "customOCIOConfigPath" else "text", f"Root.{k}")
        root.set(k, v)
    # The mark rules_for() looks for: an invisible Root user tab + string knob (evidenced shape:
    # `addUserKnob {20 Stem +INVISIBLE}` on Root in real files).
    root.add_user_knob("20 nuke_restore +INVISIBLE")
    prefilter = ",".join(str(st.source_median) for st in proc.stages) or "0"
    clamp = "1" if cfg.inference.clamp else "0"
    root.add_user_knob(f"1 {MARKER_KNOB} +INVISIBLE",
                       f"{proc.name} {kind} {unit.name} nuke_restore {__version__} "
                       f"prefilter={prefilter} clamp={clamp}")
    return Ctx(cfg=cfg, proc=proc, unit=unit, b=Builder(script), paths=paths, version=version)


# ---------------------------------------------------------------------------------------------------
def _sources(ctx: Ctx, lane_src: float, lane_ref: float):
    """Reads, then the alignment block and the Reference crop with its Source clone."""
    cfg, unit, b = ctx.cfg, ctx.unit, ctx.b
    b.stage("read", "READ  Source / Reference (same input transform)", "read")
    reads_src: Dict[str, Node] = {}
    reads_ref: Dict[str, Node] = {}
    for clip in unit.clips:
        c = cfg.clips[clip]
        reads_src[clip] = ctx.source_image(clip, lane_src,
                                           "SOURCE (balanced)" if c.training_source != c.source
                                           else "SOURCE")
        ref_path = ctx.proc.reference or c.reference
        if ref_path is None:
            raise NukeRestoreError(f"clip {clip} has no reference and procedure {ctx.proc.name} "
                                   "gives none", cfg.path)
        reads_ref[clip] = ctx.reference_image(ref_path, clip, lane_ref,
                                              f"REFERENCE ({ctx.proc.pair_type})",
                                              mapped=ctx.proc.reference is None)
    b.stage("align", "ALIGN  Reference to Source (geometry never touches the Source)", "align")
    aligned: Dict[str, Node] = {}
    for clip in unit.clips:
        if cfg.alignment.mode != "none" and ctx.proc.registered:
            aligned[clip] = ctx.align_block(reads_ref[clip], reads_src[clip], clip, lane_ref)
        else:
            aligned[clip] = reads_ref[clip]
    return reads_src, reads_ref, aligned


def _crops(ctx: Ctx, aligned: Dict[str, Node], lane_ref: float) -> Tuple[Dict[str, Node], Node]:
    crop_ref: Dict[str, Node] = {}
    original: Optional[Node] = None
    for clip in ctx.unit.clips:
        if original is None:
            keys = ctx.cfg.alignment.crop_keys or None
            original = ctx.crop(aligned[clip], "Crop_PICTURE", lane_ref, keys=keys,
                                label="crop last: overscan, mattes, overlays\ncloned to Source")
            crop_ref[clip] = original
        else:
            crop_ref[clip] = ctx.b.clone(original, [aligned[clip]], lane=lane_ref)
    return crop_ref, original


def _training(ctx: Ctx) -> None:
    proc, unit, b = ctx.proc, ctx.unit, ctx.b
    L_SRC, L_PREV, L_REF = 0, 1.5, 3
    reads_src, _reads_ref, aligned = _sources(ctx, L_SRC, L_REF)
    crop_ref, crop_orig = _crops(ctx, aligned, L_REF)
    pref_prev: Dict[str, Node] = {}  # the previous stage's pre-filtered, uncropped Source
    for k, stage in enumerate(proc.stages):
        p = ctx.prefix(k)
        uncropped: Dict[str, Node] = dict(reads_src)
        chained: Dict[str, Node] = {}
        if k > 0:
            b.stage(f"chain{k}", f"STAGE {k} -> {k + 1}  Inference of stage {k} "
                                 f"feeds stage {k + 1}'s {stage.chain}", "inference")
            prev = ctx.stages[k - 1]
            inf_orig: Optional[Node] = None
            for clip in unit.clips:
                inf = ctx.inference_node(pref_prev[clip], k - 1, L_SRC, prev.model_file, inf_orig)
                inf_orig = inf_orig or inf
                chained[clip] = inf
            if stage.chain == "source":
                uncropped = dict(chained)
        b.stage(f"dataset{k}", f"{'STAGE ' + str(k + 1) + '  ' if p else ''}DATASET  "
                               f"{len(unit.pairs)} pairs, identical FrameHold indices both sides",
                "dataset")
        src_img: Dict[str, Node] = {}
        ref_img: Dict[str, Node] = {}
        pref_orig: Optional[Node] = None
        for clip in unit.clips:
            node = uncropped[clip]
            if stage.source_median:
                if pref_orig is None:
                    node = b.add("Median", [("channels", "rgb"), ("size", stage.source_median)],
                                 [node], name=f"{p}Median_SRC_PREFILTER", lane=L_SRC,
                                 label="Source pre-filter: replayed at inference")
                    pref_orig = node
                else:
                    node = b.clone(pref_orig, [node], lane=L_SRC)
            pref_prev[clip] = node
            src_img[clip] = b.clone(crop_orig, [node], lane=L_SRC)
            if k > 0 and stage.chain == "reference":
                ref_img[clip] = b.clone(crop_orig, [chained[clip]], lane=L_REF)
            else:
                ref_img[clip] = crop_ref[clip]
        src_stamp = ctx.stack(src_img, "SRC", "SOURCE DATASET", L_SRC, k, unit.pairs)
        title = "TARGET DATASET MATCHED LUMA" if stage.target_luma == "matched" else \
            "TARGET DATASET"
        ref_stamp = ctx.stack(ref_img, "REF", title, L_REF, k, unit.pairs)
        pclip, pframe = unit.preview
        preview = b.add("FrameHold", [("firstFrame", pframe)], [src_img[pclip]],
                        name=f"{p}FrameHold_PREVIEW_{pframe}", lane=L_PREV,
                        label="hold-out Preview (not trained)")
        if unit.validation:
            ctx.stack(src_img, "SRC", "VALIDATION SOURCE (hold-out)", L_REF + 2, k,
                      unit.validation, tag="_VAL")
            ctx.stack(ref_img, "REF", "VALIDATION TARGET (hold-out)", L_REF + 3, k,
                      unit.validation, tag="_VAL")
        b.stage(f"train{k}", f"{'STAGE ' + str(k + 1) + '  ' if p else ''}TRAINING PAIR  "
                             f"{stage.pair} ({_pair_summary(stage)})", "training")
        ctx.training_pair(k, stage, src_stamp, ref_stamp, preview, L_SRC, L_REF)
    b.finish(_note(ctx, "training"))


def _pair_summary(stage) -> str:
    if stage.pair == "chroma":
        luma = "matched luma" if stage.target_luma == "matched" else "Source Y"
        return f"{luma} + Reference CbCr"
    return "Reference Y + Source CbCr"


def _inference(ctx: Ctx) -> None:
    """Generated from the training stages so pre-filters and crops replay exactly."""
    proc, unit, b = ctx.proc, ctx.unit, ctx.b
    b.stage("read", "READ  full Source (same input transform as training)", "read")
    reads = {}
    for clip in unit.clips:
        reads[clip] = ctx.source_image(clip, 0, "SOURCE (full)")
    b.stage("inference", "INFERENCE  replayed pre-filters -> live-area crop -> model", "inference")
    originals: Dict[str, Node] = {}
    outs: Dict[str, Node] = {}
    for clip in unit.clips:
        prev: Optional[Node] = None
        for k, stage in enumerate(proc.stages):
            restart = k == 0 or stage.chain == "reference" or prev is None
            node = _pre_model(ctx, reads[clip] if restart else prev, k, stage, originals,
                              live=restart)
            key = f"inf{k}"
            prev = ctx.inference_node(node, k, 0, ctx.stages[k].model_file, originals.get(key))
            originals.setdefault(key, prev)
        outs[clip] = prev
    b.stage("output", "OUTPUT  ModifyMetaData -> Write EXR -> Read back", "output")
    last = ctx.stages[-1]
    checkpoint = str(last.steps)
    for clip in unit.clips:
        ctx.write_out(outs[clip], proc.name, checkpoint, 0, clip, _exr(ctx),
                      PIPELINE["inference"])
    b.finish(_note(ctx, "inference"))


def _pre_model(ctx: Ctx, node: Node, k: int, stage, originals: Dict[str, Node],
               live: bool) -> Node:
    b = ctx.b
    p = ctx.prefix(k)
    if stage.source_median:
        key = f"med{k}"
        if key in originals:
            node = b.clone(originals[key], [node], lane=0)
        else:
            node = b.add("Median", [("channels", "rgb"), ("size", stage.source_median)], [node],
                         name=f"{p}Median_SRC_PREFILTER", lane=0,
                         label="replayed training pre-filter")
            originals[key] = node
    if live:
        if "live" in originals:
            node = b.clone(originals["live"], [node], lane=0)
        else:
            box = ctx.live_box
            node = ctx.crop(node, "Crop_LIVE_AREA", 0, box=box, reformat=ctx.crop_reformat,
                            label=_live_label(ctx, "live area: sprockets, soundtrack, edges"))
            originals["live"] = node
    if ctx.cfg.inference.clamp:
        # Opt-in only: the published graphs show no clamp at inference (one guide disagrees).
        node = b.add("Grade", [("black_clamp", True), ("white_clamp", True)], [node],
                     name=f"{p}Grade_CLAMP_INF",
                     lane=0, label="opt-in clamp (parity with training)")
        node = b.add("Remove", [("operation", "remove"), ("channels", "alpha")], [node],
                     name=f"{p}Remove_ALPHA_INF", lane=0)
    return node


def _live_label(ctx: Ctx, text: str) -> str:
    if ctx.crop_reformat:
        return text + "\nreformat on: renders at the live-area size"
    return text + "\nblack outside, renders at the project format"


def _baseline(ctx: Ctx) -> None:
    """MatchGrade fit on the dataset stacks, then a cloned MatchGrade on the full Source."""
    cfg, proc, unit, b = ctx.cfg, ctx.proc, ctx.unit, ctx.b
    L_SRC, L_REF = 0, 3
    reads_src, _reads_ref, aligned = _sources(ctx, L_SRC, L_REF)
    crop_ref, crop_orig = _crops(ctx, aligned, L_REF)
    b.stage("dataset0", f"DATASET  {len(unit.pairs)} pairs (the training indices)", "dataset")
    src_img = {c: b.clone(crop_orig, [reads_src[c]], lane=L_SRC) for c in unit.clips}
    src_stamp = ctx.stack(src_img, "SRC", "SOURCE DATASET", L_SRC, 0, unit.pairs)
    ref_stamp = ctx.stack(crop_ref, "REF", "TARGET DATASET", L_REF, 0, unit.pairs)
    b.stage("fit", "MATCHGRADE FIT  lin2log -> MatchGrade (3D LUT) -> log2lin", "baseline")
    src_log = b.add("Log2Lin", [("operation", "lin2log")], [src_stamp], name="Log2Lin_SRC",
                    lane=L_SRC)
    tgt_log = b.add("Log2Lin", [("operation", "lin2log")], [ref_stamp], name="Log2Lin_TGT",
                    lane=L_REF)
    mg = cfg.presets.get("matchgrade", {})
    frames = Raw("{" + format_curve((i, i) for i in range(1, len(unit.pairs) + 1)) + "}")
    fit = b.add("MatchGrade", [
        ("matchGradeTask", proc.matchgrade_task),
        ("analysisType", mg.get("analysisType", "Analyze Reference Frames")),
        ("output", mg.get("output", "Matched")),
        ("transform", mg.get("transform", "3D LUT")),
        ("prelut", mg.get("prelut", "Logarithmic")),
        ("lutres", int(mg.get("lutres", 64))),
        ("sourceRefFrames", frames),
        ("targetRefFrames", frames),
    ], [src_log, tgt_log], name="MatchGrade_FIT", lane=(L_SRC + L_REF) / 2,
        label="press Analyze Reference Frames\ninputs: 0 Source, 1 Target")
    b.add("Log2Lin", [("operation", "log2lin")], [fit], name="Log2Lin_FIT_CHECK",
          lane=(L_SRC + L_REF) / 2, label="fitted result on the pairs")
    b.stage("render", "MATCHGRADE RENDER  cloned MatchGrade on the full Source", "baseline")
    live_orig: Optional[Node] = None
    for clip in unit.clips:
        full = reads_src[clip]
        log = b.add("Log2Lin", [("operation", "lin2log")], [full],
                    name="Log2Lin_SRC_FULL" + (f"_{clip}" if len(unit.clips) > 1 else ""),
                    lane=5)
        mg_clone = b.clone(fit, [log, tgt_log], lane=5)
        lin = b.add("Log2Lin", [("operation", "log2lin")], [mg_clone],
                    name="Log2Lin_RENDER" + (f"_{clip}" if len(unit.clips) > 1 else ""), lane=5)
        if live_orig is None:
            live_orig = ctx.crop(lin, "Crop_LIVE_AREA", 5, box=ctx.live_box,
                                 reformat=ctx.crop_reformat,
                                 label=_live_label(ctx, "live area (same box as inference)"))
            out = live_orig
        else:
            out = b.clone(live_orig, [lin], lane=5)
        b.stage("output", "OUTPUT  ModifyMetaData -> Write EXR -> Read back", "output")
        ctx.write_out(out, "matchgrade", f"lut{int(mg.get('lutres', 64))}", 5, clip,
                      _exr(ctx), PIPELINE["matchgrade"])
        b.stage("render", "MATCHGRADE RENDER  cloned MatchGrade on the full Source", "baseline")
    b.finish(_note(ctx, "baseline"))


# ---------------------------------------------------------------------------------------------------
def _checkpoint(ctx: Ctx) -> str:
    if ctx.stages:
        return ", ".join(s.model_file for s in ctx.stages)
    return f"MatchGrade 3D LUT {int(ctx.cfg.presets.get('matchgrade', {}).get('lutres', 64))}"


def _sidecar(ctx: Ctx, nuke_script: str, checkpoint: Optional[str] = None) -> Dict[str, Any]:
    return pv.sidecar(ctx.cfg, ctx.proc, ctx.unit, ctx.stages, nuke_script,
                      checkpoint or _checkpoint(ctx))


def _exr(ctx: Ctx) -> Dict[str, str]:
    side = _sidecar(ctx, "", _checkpoint(ctx))
    return pv.exr_fields(side)


def _note(ctx: Ctx, kind: str) -> str:
    cfg, proc, unit = ctx.cfg, ctx.proc, ctx.unit
    title = {"training": "training script", "inference": "inference script",
             "baseline": "MatchGrade render script"}.get(kind, f"{kind} script")
    lines = [
        f"nuke_restore {__version__}: {title} for procedure {proc.name}"
        + (f" ({proc.template})" if proc.template != proc.name else ""),
        f"unit {unit.name} ({unit.granularity}): shots {' '.join(s.name for s in unit.shots)}; "
        f"frames {unit.first}-{unit.last}",
        "training frames: " + " ".join(_pair_text(cfg, c, f) for c, f in unit.pairs)
        + f" | preview {unit.preview[1]}",
        f"reference: {proc.pair_type}" + ("" if proc.registered else " (unregistered artwork)"),
    ]
    if proc.pair_type != "direct":
        lines.append(f"citation: {proc.citation}")
        lines.append(f"assumptions: {proc.assumptions}")
    for s in ctx.stages:
        lines.append(f"stage {s.index + 1} {s.pair}: {s.pairs} pairs x {s.epochs} epochs / batch "
                     f"{s.batch_size or 'auto'} = {s.steps} steps, crop {s.crop_size}")
    box = ctx.crop_box
    lines.append(f"alignment: {pv.alignment_path(cfg)}")
    lines.append("picture crop: " + " ".join(f"{v:g}" for v in box)
                 + " | live area: " + " ".join(f"{v:g}" for v in ctx.live_box))
    lines.append("generated: rebuild with `nuke-restore build` instead of editing by hand")
    return "\n".join(lines)


def _pair_text(cfg: JobConfig, clip: str, frame: int) -> str:
    c = cfg.clips[clip]
    if c.frame_map is None:
        return str(frame)
    return f"{frame}>{c.refmap.reference(frame)}"


def _finish(ctx: Ctx, kind: str, relpath: str) -> BuiltScript:
    text = write_script(ctx.b.script)
    copycats = [s.copycat.name for s in ctx.stages if s.copycat is not None] \
        if kind == "training" else []
    side = _sidecar(ctx, relpath)
    sidecars: Dict[str, str] = {}
    if ctx.writes:
        folder = os.path.dirname(ctx.writes[0][1])
        sidecars[f"{folder}/{ctx.unit.name}_metadata.json"] = pv.sidecar_json(side)
        sidecars[f"{folder}/{ctx.unit.name}_metadata.txt"] = pv.sidecar_text(side)
    batch = ctx.stages[0].batch_size if ctx.stages else None
    return BuiltScript(
        name=f"{ctx.unit.name}_{ctx.proc.name}_{kind}", procedure=ctx.proc.name, kind=kind,
        script=ctx.b.script, text=text, relpath=relpath, unit=ctx.unit.name,
        copycat_nodes=copycats, batch_size=batch, write_nodes=list(ctx.writes), metadata=side,
        sidecars=sidecars,
    )


# ---------------------------------------------------------------------------------------------------
def validate_built(built: BuiltScript) -> List[Any]:
    """Errors (rule diagnostics of severity 'error') for one built script.

    The written text is parsed (strictly: it must load as Nuke reads it), and the checks run on the
    built graph it was written from, whose knobs are already decoded. Both give the same findings
    (tests/golden checks the parsed text too); checking the built graph saves decoding every knob
    of every script again (about a quarter of `nuke-restore build`'s time).
    """
    from .rules import rules_for, run_rules

    try:
        from ..nk.validate import validate_script
    except ImportError:
        validate_script = None
    try:
        from ..nk.parser import parse_text
    except ImportError:
        parse_text = None
    if parse_text is not None:
        parse_text(built.text)  # NkSyntaxError if the text does not load
    script = built.script
    if validate_script is not None:
        diags = list(validate_script(script, rules=rules_for(script)))
    else:
        diags = list(run_rules(script))
    return [d for d in diags if getattr(d, "severity", "error") == "error"]


def build_to_dir(config: JobConfig, outdir: os.PathLike, shots: Optional[Sequence[str]] = None,
                 force: bool = False, dry_run: bool = False, validate: bool = True,
                 built_out: Optional[List[BuiltScript]] = None) -> List[Path]:
    """Build, validate and write every script (plus sidecars and an experiments-log entry).

    A transaction (``fileio.OutputTransaction``): everything is built and validated first, then
    written into a staging folder inside ``outdir`` and moved into place at the end, under a lock
    that refuses a second writer; any failure or interrupt leaves nothing of this build. An
    existing script is never overwritten without ``force``: its unit/procedure gets the next
    version (``_v002``) instead, and the version is carried into the render names. Every path
    stays inside ``outdir`` and no symbolic link inside it is followed. Returns the written (or,
    with ``dry_run``, planned) paths; ``built_out``, when given, receives the BuiltScripts.
    """
    # The collector stays paused for the whole build, not only while building: validating and
    # staging keep every script alive, so its collections would only re-scan that growing heap
    # (1,000 shots: 157 collections, 0.6 s); refcounting frees the rest as before.
    with collector_paused():
        return _build_to_dir(config, Path(outdir), shots, force, dry_run, validate, built_out)


def _build_to_dir(config: JobConfig, out: Path, shots: Optional[Sequence[str]], force: bool,
                  dry_run: bool, validate: bool,
                  built_out: Optional[List[BuiltScript]]) -> List[Path]:
    if dry_run:
        built = _build_checked(config, shots, out, force, validate, _exists_in(out))
        if built_out is not None:
            built_out.extend(built)
        return [out / rel for rel, _t in _planned(built)]
    with OutputTransaction(out) as tx:
        # Versions are chosen under the lock, so two builds cannot pick the same names.
        built = _build_checked(config, shots, out, force, validate, tx.exists)
        if built_out is not None:
            built_out.extend(built)
        # A script is never put over a file without --force, checked again as it lands.
        scripts = {b.relpath for b in built}
        written = [tx.write(rel, text, replace=force or rel not in scripts)
                   for rel, text in _planned(built)]
        # The pipeline folder layout, and model weights kept out of git.
        for folder in PIPELINE.values():
            tx.mkdir(folder)
        ignore = f"{PIPELINE['training']}/.gitignore"
        if not tx.exists(ignore):
            written.append(tx.write(ignore, "# CopyCat checkpoints and training data stay out of "
                                            "git\n*.cat\n*.catnc\n*.png\n"))
        log_rel = config.experiments_log
        old = tx.read(log_rel)
        try:
            old_text = None if old is None else old.decode("utf-8")
        except UnicodeDecodeError:
            raise OutputError("the experiments log is not UTF-8 text; refusing to rewrite it",
                              path=str(out / log_rel)) from None
        written.append(tx.write(log_rel, _log_text(old_text, built)))
        tx.commit()
    logger.info("wrote %d scripts to %s", len(built), out)
    return written


def _exists_in(out: Path):
    return lambda rel: os.path.lexists(out / rel)


def _build_checked(config: JobConfig, shots: Optional[Sequence[str]], out: Path, force: bool,
                   validate: bool, exists) -> List[BuiltScript]:
    built = build_scripts(config, shots, outdir=out)
    if not force:
        absent: Set[str] = set()  # paths seen free under the lock: not asked about twice

        def exists_once(rel: str, _exists=exists) -> bool:
            if rel in absent:
                return False
            if _exists(rel):
                return True
            absent.add(rel)
            return False

        exists = exists_once
        versions = _free_versions(built, exists)
        if any(v != 1 for v in versions.values()):
            built = build_scripts(config, shots, outdir=out, versions=versions)
    if validate:
        problems = []
        for b in built:
            errs = validate_built(b)
            for e in errs[:5]:
                problems.append(f"{b.relpath}: {getattr(e, 'code', '')} {getattr(e, 'message', e)}")
        if problems:
            raise NukeRestoreError("refusing to write: generated scripts failed validation:\n  "
                                   + "\n  ".join(problems), config.path)
    if not force:
        for b in built:
            if exists(b.relpath):
                raise OutputExistsError("exists; use --force to overwrite", path=str(out / b.relpath))
    return built


def _planned(built: List[BuiltScript]) -> List[Tuple[str, str]]:
    planned: Dict[str, str] = {}  # a sidecar shared by two scripts of a unit is written once
    for b in built:
        planned[b.relpath] = b.text
        planned.update(b.sidecars)
    return list(planned.items())


def _free_versions(built: List[BuiltScript], exists) -> Dict[Tuple[str, str], int]:
    groups: Dict[Tuple[str, str], List[str]] = {}
    for b in built:
        groups.setdefault((b.unit, b.procedure), []).append(b.relpath)
    versions = {}
    for key, rels in groups.items():
        v = 1
        while any(exists(_versioned(r, v)) for r in rels):
            v += 1
        versions[key] = v
    return versions


def _versioned(relpath: str, v: int) -> str:
    if v == 1:
        return relpath
    stem, ext = os.path.splitext(relpath)
    return f"{stem}_v{v:03d}{ext}"


def _log_text(old: Optional[str], built: List[BuiltScript]) -> str:
    """The experiments log with this build's entries appended (``old``: its current text)."""
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    entries = []
    groups: Dict[Tuple[str, str], List[BuiltScript]] = {}
    for b in built:
        groups.setdefault((b.unit, b.procedure), []).append(b)
    for (_unit, _proc), bs in groups.items():
        main = next((b for b in bs if b.kind != "training"), bs[0])
        outputs = [w[1] for b in bs for w in b.write_nodes]
        entries.append(pv.log_entry(main.metadata, [b.relpath for b in bs], date, None, outputs))
    if old is None:
        old = "# Experiments log\n\nOne entry per build (nuke-restore build).\n\n"
    # A rebuild of the same scripts with the same settings (e.g. --force) is not a new experiment:
    # its entry is not repeated. A changed build gets its own entry.
    seen = {_entry_key(e) for e in _entries(old)}
    fresh = []
    for e in entries:
        if _entry_key(e) not in seen:
            seen.add(_entry_key(e))
            fresh.append(e)
    return old + "".join(fresh)


def _entries(text: str) -> List[str]:
    return ["## " + chunk for chunk in ("\n" + text).split("\n## ")[1:]]


_VOLATILE = ("## ", "- Date:", "- QC folder:", "- Observations:", "- Next actions:")


def _entry_key(entry: str) -> str:
    """An entry without what changes from run to run (dates) or what the artist writes in it."""
    return "\n".join(line.rstrip() for line in entry.splitlines()
                     if line.strip() and not line.startswith(_VOLATILE))
