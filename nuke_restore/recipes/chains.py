"""The node chains of the restoration workflow (docs/workflow.md) as graph-building functions.

Only classes, knobs and enumeration values evidenced by nuke-facts (Nuke 17.0v3) or real Nuke-saved
files are emitted. Two deliberate gaps:

* F_Align (Furnace) is the OFX class ``OFXuk.co.thefoundry.furnace.f_align_v403`` in nuke-facts (no
  real file has one). Only its scanned knobs are written: ``scale``/``perspective`` on (rotate and
  translate are on by default), ``range`` Current Frame, ``filtering`` High, the analysis region
  ``regionBL``/``regionTR``, and ``accuracy`` only when the config asks (default accuracy; the
  published screenshot shows 1). Its input order (0 = the Reference to move, 1 = the Source) is
  UNVERIFIED, the same assumption as the RS_Align gizmo.
* EXR compression (DWAA) has no evidenced Write knob name; the Write keeps Nuke's EXR defaults
  (16-bit half, ZIP), which the workflow allows.

Input orders used (UNVERIFIED against saved files where marked): CopyCat 0 = Input, 1 = GroundTruth,
2 = Preview (Foundry reference table order); CopyBBox / Merge2 / Shuffle2 0 = B, 1 = A (Nuke's Merge
convention; Shuffle2 ``fromInput`` values ``{0} B`` / ``{1} B A`` are evidenced); Dissolve 0 / 1 are
``which`` 0 / 1; MatchGrade 0 = Source (the image graded), 1 = Target, inferred from the two
MatchGrade nodes of a real file (WuLiFang Spill_Tool.gizmo) and Nuke's main-input convention.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ..config import JobConfig, Procedure, Stage, resolve_crop_size, training_schedule
from ..nk.model import Node
from ..nk.values import Raw, format_curve, format_number
from .gizmos import F_ALIGN_CLASS
from .graph import Builder
from .knobdefs import file_type_for
from .units import Unit

logger = logging.getLogger(__name__)

# Shuffle2: out.red <- A.red, out.green <- B.green, out.blue <- B.blue, out.alpha <- black.
# Format "count  src slot index  dst slot index ..." as real files write it.
SHUFFLE_Y_FROM_A = ("4 rgba.red 1 0 rgba.red 0 0 rgba.green 0 1 rgba.green 0 1 "
                    "rgba.blue 0 2 rgba.blue 0 2 black -1 -1 rgba.alpha 0 3")
SHUFFLE_FROM_B = "{{0} B A}"
SHUFFLE_FROM_A = "{{1} B A}"

PIPELINE = {
    "curation": "pipeline/01_dataset_curation",
    "alignment": "pipeline/02_alignment",
    "training": "pipeline/03_copycat_training",
    "inference": "pipeline/04_inference_render",
    "matchgrade": "pipeline/05_matchgrade_render",
}


def anim(keys: Dict[int, Sequence[float]], size: int) -> Raw:
    """A knob value keyed per frame: ``{{curve x1001 1 x1010 2} ...}``, plain when constant.

    Curves are written as Nuke writes them (``values.format_curve``: ``x`` only where the interval
    between keys changes).
    """
    frames = sorted(keys)
    cols = []
    for i in range(size):
        vals = [keys[f][i] for f in frames]
        if len(set(vals)) == 1:
            cols.append(format_number(vals[0]))
        else:
            cols.append(format_curve(zip(frames, vals)))
    if size == 1:
        return Raw(cols[0] if not cols[0].startswith("{") else "{" + cols[0] + "}")
    return Raw("{" + " ".join(cols) + "}")


@dataclass
class Paths:
    """Rewrites config paths (relative to the config folder) relative to the output folder."""

    base_dir: Path
    out_dir: Path

    def rel(self, p: str) -> str:
        full = p if os.path.isabs(p) else os.path.join(str(self.base_dir), p)
        r = os.path.relpath(os.path.normpath(full), str(self.out_dir))
        return r.replace(os.sep, "/")


@dataclass
class StageInfo:
    """What the recipe recorded about one training stage (for metadata, rules and the farm)."""

    index: int
    pair: str
    copycat: Optional[Node] = None
    data_dir: str = ""
    model_file: str = ""
    epochs: int = 0
    steps: int = 0
    crop_size: int = 0
    batch_size: Optional[int] = None
    pairs: int = 0
    prefilter: int = 0
    chain: str = "source"
    target_luma: str = "source"
    reference_median: int = 0


@dataclass
class Ctx:
    """Everything one script build needs."""

    cfg: JobConfig
    proc: Procedure
    unit: Unit
    b: Builder
    paths: Paths
    version: int = 1
    stages: List[StageInfo] = field(default_factory=list)
    writes: List[Tuple[str, str]] = field(default_factory=list)

    # -- helpers -------------------------------------------------------------------------------
    def prefix(self, k: int) -> str:
        return f"S{k + 1}_" if len(self.proc.stages) > 1 else ""

    @property
    def crop_box(self) -> Tuple[float, float, float, float]:
        f = self.cfg.project.format
        return self.cfg.alignment.crop or (0.0, 0.0, float(f.width), float(f.height))

    @property
    def live_box(self) -> Tuple[float, float, float, float]:
        return self.cfg.alignment.live_area or self.crop_box

    def short_side(self, stage: Optional[Stage] = None) -> float:
        if stage is not None and stage.region is not None:
            r = stage.region
            return min(r[2] - r[0], r[3] - r[1])
        boxes = [self.crop_box] + list(self.cfg.alignment.crop_keys.values())
        return min(min(b[2] - b[0], b[3] - b[1]) for b in boxes)

    def read_cs(self, clip: str) -> str:
        return self.cfg.clips[clip].colorspace or self.cfg.project.read_colorspace

    def ref_cs(self, clip: str) -> str:
        """The Reference Read's colourspace: the clip's ``reference_colorspace``, else the project's
        read colourspace (not the clip's ``colorspace``, which names the scan's encoding)."""
        return self.cfg.clips[clip].reference_colorspace or self.cfg.project.read_colorspace

    def stage_dir(self, k: int) -> str:
        suffix = f"_s{k + 1}" if len(self.proc.stages) > 1 else ""
        return f"{PIPELINE['training']}/{self.unit.name}/{self.proc.name}{suffix}"

    def model_file(self, k: int, steps: int) -> str:
        suffix = f"_s{k + 1}" if len(self.proc.stages) > 1 else ""
        key_full = f"{self.unit.name}.{self.proc.name}{suffix}"
        for key in (key_full, f"{self.proc.name}{suffix}", self.proc.name if not suffix else None):
            if key and key in self.cfg.inference.model_files:
                return self.paths.rel(self.cfg.inference.model_files[key])
        ext = "catnc" if self.cfg.project.non_commercial else "cat"
        # A headless model (`nuke-restore train` -> export -> catfile -> .cat made in Nuke) in the
        # stage folder wins over the CopyCat checkpoint name (docs/ml.md).
        torch_cat = f"{self.stage_dir(k)}/{self.unit.name}_{self.proc.name}{suffix}_torch.cat"
        if (self.paths.out_dir / torch_cat).is_file():
            return torch_cat
        return f"{self.stage_dir(k)}/{self.unit.name}_{self.proc.name}{suffix}.{steps}.{ext}"

    def output_name(self, tag: str, checkpoint: str) -> str:
        return f"{self.unit.name}_{tag}_v{self.version:03d}_{checkpoint}"

    # -- common blocks -------------------------------------------------------------------------
    def read(self, path: str, clip: str, side: str, lane: float, label: str,
             range_: Optional[Tuple[int, int]] = None) -> Node:
        c = self.cfg.clips[clip]
        fmt = self.cfg.project.format
        name = f"Read_{side}" + (f"_{clip}" if len(self.unit.clips) > 1 else "")
        first, last = range_ or (c.first, c.last)
        return self.b.add("Read", [
            ("file_type", file_type_for("Read", path)),
            ("file", self.paths.rel(path)),
            ("format", fmt.nk),
            ("first", first), ("last", last),
            ("origfirst", first), ("origlast", last), ("origset", True),
            ("colorspace", self.ref_cs(clip) if side == "REF" else self.read_cs(clip)),
        ], [], name=name, lane=lane, label=label)

    def reference_image(self, path: str, clip: str, lane: float, label: str,
                        mapped: bool = True) -> Node:
        """The Reference of ``clip`` in source frame numbers, at the project format.

        Read (its own frame range) -> the clip's frame map as a retime into source frame numbers
        (``TimeOffset`` for a constant offset, a ``FrameHold`` keyed per source frame for a table)
        -> ``Reformat`` to the project format (a lower-resolution reference is scaled up here; at
        the format it changes nothing). Everything downstream (alignment keys, F_Align, the QC
        difference, the dataset FrameHolds) then works in source frame numbers, so the Reference
        side of every training pair and of the MatchGrade fit shows the mapped reference frame.
        ``mapped`` is off for a procedure's own reference (artwork): it is numbered like the Source.
        """
        c = self.cfg.clips[clip]
        fmap = c.frame_map if mapped else None
        sfx = f"_{clip}" if len(self.unit.clips) > 1 else ""
        node = self.read(path, clip, "REF", lane, label,
                         range_=c.reference_range() if fmap is not None else None)
        if fmap is not None:
            offset = fmap.offset
            src = c.frame_map_file or c.frame_map_source or "reference_offset"
            if offset is not None:
                # TimeOffset: output frame t shows input frame t - time_offset.
                node = self.b.add("TimeOffset", [("time_offset", -offset)], [node],
                                  name=f"TimeOffset_REF{sfx}", lane=lane,
                                  label=f"reference frame = source frame "
                                        f"{'+' if offset >= 0 else '-'} {abs(offset)}\n({src})")
            else:
                pairs = c.refmap.pairs(range(c.first, c.last + 1))
                # Constant interpolation (K) between keys, written as Nuke writes curves.
                curve = "{" + format_curve(pairs).replace("{curve ", "{curve K ", 1) + "}"
                node = self.b.add("FrameHold", [("firstFrame", Raw(curve))], [node],
                                  name=f"FrameHold_REF_MAP{sfx}", lane=lane,
                                  label=f"frame map {src}:\nreference frame per source frame")
        return self.b.add("Reformat", [("format", self.cfg.project.format.nk)], [node],
                          name=f"Reformat_REF{sfx}", lane=lane,
                          label="Reference to the project format")

    def reference_label(self, clip: str, frame: int) -> Optional[str]:
        """``ref N`` for a FrameHold of ``frame`` when the clip's Reference is numbered otherwise."""
        c = self.cfg.clips[clip]
        if c.frame_map is None or self.proc.reference is not None:  # artwork is not retimed
            return None
        return f"reference frame {c.refmap.reference(frame)}"

    def source_image(self, clip: str, lane: float, label: str) -> Node:
        """The Source image of ``clip``: its Read, or the composite of two prints.

        Composite: print B (Read, keyed Transform registering it to print A) replaces print A
        where the matte's red channel is white (Keymix: 0 = B input = print A, 1 = A input =
        print B, 2 = mask; Merge-family input order).
        """
        c = self.cfg.clips[clip]
        read = self.read(c.training_source, clip, "SRC", lane, label)
        comp = c.composite
        if comp is None:
            return read
        sfx = f"_{clip}" if len(self.unit.clips) > 1 else ""
        print_b = self.read(comp.source, clip, "SRC_PRINT_B", lane - 1, "SOURCE print B")
        fmt = self.cfg.project.format
        center = (fmt.width / 2.0, fmt.height / 2.0)
        lo, hi = c.first, c.last
        keys = {f: k for f, k in comp.keys.items() if lo <= f <= hi}
        tknobs: List[Tuple[str, object]] = []
        if keys:
            tknobs += [("translate", anim({f: k.translate for f, k in keys.items()}, 2)),
                       ("rotate", anim({f: (k.rotate,) for f, k in keys.items()}, 1)),
                       ("scale", anim({f: (k.scale,) for f, k in keys.items()}, 1)),
                       ("center", anim({f: (k.center or center) for f, k in keys.items()}, 2))]
        else:
            tknobs.append(("center", list(center)))
        moved = self.b.add("Transform", tknobs, [print_b], name=f"Transform_PRINT_B{sfx}",
                           lane=lane - 1, label="register print B to print A")
        matte = self.b.add("Read", [
            ("file_type", file_type_for("Read", comp.matte)),
            ("file", self.paths.rel(comp.matte)), ("format", fmt.nk),
            ("first", lo), ("last", hi), ("origfirst", lo), ("origlast", hi), ("origset", True),
            ("raw", True)], [], name=f"Read_MATTE{sfx}", lane=lane - 2,
            label="matte: white = use print B")
        return self.b.add("Keymix", [("maskChannel", "rgba.red")], [read, moved, matte],
                          name=f"Keymix_PRINTS{sfx}", lane=lane,
                          label="composite of prints")

    def crop(self, src: Node, name: str, lane: float, box=None, keys=None,
             label: Optional[str] = None, reformat: bool = True) -> Node:
        box = box or self.crop_box
        value = anim({f: v for f, v in keys.items()}, 4) if keys else list(box)
        return self.b.add("Crop", [("box", value), ("reformat", reformat), ("crop", True)], [src],
                          name=name, lane=lane, label=label)

    def align_block(self, ref: Node, src: Node, clip: str, lane_ref: float) -> Node:
        """F_Align + keyable Transform -> Dissolve (which 0 auto / 1 manual) -> QC Merge."""
        al = self.cfg.alignment
        lo, hi = self.cfg.clips[clip].first, self.cfg.clips[clip].last
        sfx = f"_{clip}" if len(self.unit.clips) > 1 else ""
        fmt = self.cfg.project.format
        # A conservative central analysis region: the config's, else 10 % inside the picture crop
        # (the scan's default region is 10 % inside its 2048 x 1556 format).
        cb = self.crop_box
        mx, my = (cb[2] - cb[0]) * 0.1, (cb[3] - cb[1]) * 0.1
        roi = al.roi or (cb[0] + mx, cb[1] + my, cb[2] - mx, cb[3] - my)
        f_align = self.b.add(F_ALIGN_CLASS, [
            ("scale", True), ("rotate", True), ("translate", True), ("perspective", True),
            ("range", "Current Frame"), ("accuracy", al.accuracy), ("filtering", "High"),
            ("renderOn", True),
            ("regionBL", [round(roi[0], 3), round(roi[1], 3)]),
            ("regionTR", [round(roi[2], 3), round(roi[3], 3)]),
        ], [ref, src], name=f"F_Align{sfx}", lane=lane_ref - 1,
            label="auto: one global solve\n(input 0 Reference, 1 Source)")
        keys = {f: k for f, k in al.keys.items() if lo <= f <= hi}
        center = (fmt.width / 2.0, fmt.height / 2.0)
        tknobs: List[Tuple[str, object]] = []
        if keys:
            tknobs.append(("translate", anim({f: k.translate for f, k in keys.items()}, 2)))
            tknobs.append(("rotate", anim({f: (k.rotate,) for f, k in keys.items()}, 1)))
            tknobs.append(("scale", anim({f: (k.scale,) for f, k in keys.items()}, 1)))
            tknobs.append(("center", anim({f: (k.center or center) for f, k in keys.items()}, 2)))
        else:
            tknobs.append(("center", list(center)))
        transform = self.b.add("Transform", tknobs, [ref], name=f"Transform_ALIGN{sfx}",
                               lane=lane_ref, label="manual alignment (keyable)")
        if al.which:
            which = anim({f: (v,) for f, v in al.which.items() if lo <= f <= hi} or {lo: (0,)}, 1)
        else:
            which = 1 if (al.mode == "manual" or (al.mode == "both" and keys)) else 0
        dissolve = self.b.add("Dissolve", [("which", which)], [f_align, transform],
                              name=f"Dissolve_ALIGN{sfx}", lane=lane_ref,
                              label="0 = F_Align, 1 = Transform")
        self.b.add("Merge2", [("operation", "difference")], [src, dissolve],
                   name=f"Merge_DIFF_QC{sfx}", lane=lane_ref + 1,
                   label="QC: aligned Reference - Source\nshould be near black")
        return dissolve

    # -- dataset stacks ---------------------------------------------------------------
    def stack(self, images: Dict[str, Node], side: str, title: str, lane: float, k: int,
              frames: Sequence[Tuple[str, int]], tag: str = "") -> Node:
        """Read -> FrameRange 1-1 -> FrameHold x N -> AppendClip -> staging AppendClip -> stamp.

        Both sides hold the same source frame numbers; the Reference arrives already retimed to
        source frame numbers (``reference_image``), and its FrameHolds are labelled with the
        reference frame they show.
        """
        p = self.prefix(k)
        multi = len(self.unit.clips) > 1
        ranges: Dict[str, Node] = {}
        holds: List[Node] = []
        for clip, frame in frames:
            if clip not in ranges:
                ranges[clip] = self.b.add(
                    "FrameRange", [("first_frame", 1), ("last_frame", 1)], [images[clip]],
                    name=f"{p}FrameRange_{side}{tag}" + (f"_{clip}" if multi else ""), lane=lane)
            holds.append(self.b.add(
                "FrameHold", [("firstFrame", frame)], [ranges[clip]],
                name=f"{p}FrameHold_{side}{tag}_" + (f"{clip}_" if multi else "") + str(frame),
                lane=lane, label=self.reference_label(clip, frame) if side == "REF" else None))
        append = self.b.add("AppendClip", [], holds, name=f"{p}AppendClip_{side}{tag}", lane=lane,
                            label=f"{len(holds)} pairs, ordered")
        staging = self.b.add("AppendClip", [], [append], name=f"{p}AppendClip_{side}{tag}_STAGING",
                             lane=lane, label="staging")
        return self.b.add("PostageStamp", [], [staging], name=f"{p}PostageStamp_{side}{tag}",
                          lane=lane, label=title)

    # -- training pair and CopyCat -----------------------------------------------
    def training_pair(self, k: int, stage: Stage, src_stamp: Node, ref_stamp: Node,
                      preview: Node, lane_src: float, lane_ref: float) -> Node:
        p = self.prefix(k)
        cc_cfg = self.proc.copycat
        if stage.region is not None:
            # The stage trains on a region only: the same Crop on both sides (clone parity).
            region = self.b.add("Crop", [("box", list(stage.region)), ("reformat", True)],
                                [ref_stamp], name=f"{p}Crop_REGION", lane=lane_ref,
                                label="training region")
            src_stamp = self.b.clone(region, [src_stamp], lane=lane_src)
            ref_stamp = region
        ref = ref_stamp
        if stage.pair == "chroma" and stage.reference_median:
            ref = self.b.add("Median", [("channels", "rgb"), ("size", stage.reference_median)],
                             [ref], name=f"{p}Median_REF", lane=lane_ref,
                             label="chroma-safe; Reference luma is discarded")
        to_ycc = self.b.add("Colorspace", [("colorspace_in", "RGB"), ("colorspace_out", "YCbCr")],
                            [ref], name=f"{p}Colorspace_TO_YCbCr", lane=lane_ref,
                            label="Linear -> YCbCr (D65, sRGB)")
        src_ycc = self.b.clone(to_ycc, [src_stamp], lane=lane_src)
        if stage.pair == "chroma":
            y_source = src_ycc
            if stage.target_luma == "matched":
                # low-pass Reference Y + high-pass Source Y (detail, grain).
                blur_ref = self.b.add("Blur", [("channels", "rgb"), ("size", stage.luma_blur)],
                                      [to_ycc], name=f"{p}Blur_LOWPASS_REF", lane=lane_ref + 1,
                                      label="low-pass Reference")
                blur_src = self.b.add("Blur", [("channels", "rgb"), ("size", stage.luma_blur)],
                                      [src_ycc], name=f"{p}Blur_LOWPASS_SRC", lane=lane_src + 1,
                                      label="low-pass Source")
                detail = self.b.add("Merge2", [("operation", "from")], [src_ycc, blur_src],
                                    name=f"{p}Merge_DETAIL_SRC", lane=lane_src + 1,
                                    label="Source - low-pass = detail")
                y_source = self.b.add("Merge2", [("operation", "plus")], [detail, blur_ref],
                                      name=f"{p}Merge_MATCHED_LUMA", lane=lane_ref + 1,
                                      label="matched luma")
            # Chroma: B = Reference (CbCr kept), A = Source (Y taken).
            shuffle_inputs = [to_ycc, y_source]
            shuffle_label = "Y <- Source (A), CbCr <- Reference (B)"
        else:
            # Spatial: B = Source (CbCr kept), A = Reference (Y taken).
            shuffle_inputs = [src_ycc, to_ycc]
            shuffle_label = "Y <- Reference (A), CbCr <- Source (B)"
        shuffle = self.b.add("Shuffle2", [
            ("fromInput1", Raw(SHUFFLE_FROM_B)), ("in2", "rgba"), ("fromInput2", Raw(SHUFFLE_FROM_A)),
            ("mappings", SHUFFLE_Y_FROM_A)], shuffle_inputs, name=f"{p}Shuffle_TARGET",
            lane=lane_ref, label=shuffle_label)
        to_lin = self.b.add("Colorspace", [("colorspace_in", "YCbCr"), ("colorspace_out", "RGB")],
                            [shuffle], name=f"{p}Colorspace_TO_LINEAR", lane=lane_ref,
                            label="YCbCr -> Linear")
        src_lin = self.b.clone(to_lin, [src_ycc], lane=lane_src)
        tgt = self.b.add("Grade", [("black_clamp", True), ("white_clamp", True)], [to_lin],
                         name=f"{p}Grade_CLAMP_TGT", lane=lane_ref, label="clamp 0-1")
        src = self.b.add("Grade", [("black_clamp", True), ("white_clamp", True)], [src_lin],
                         name=f"{p}Grade_CLAMP_SRC", lane=lane_src, label="clamp 0-1")
        tgt = self.b.add("Remove", [("operation", "remove"), ("channels", "alpha")], [tgt],
                         name=f"{p}Remove_ALPHA_TGT", lane=lane_ref)
        src = self.b.add("Remove", [("operation", "remove"), ("channels", "alpha")], [src],
                         name=f"{p}Remove_ALPHA_SRC", lane=lane_src)
        bbox = self.b.add("CopyBBox", [], [src, tgt], name=f"{p}CopyBBox_TGT_TO_SRC",
                          lane=lane_src, label="bbox from Target")
        npairs = len(self.unit.pairs)
        crop_size = resolve_crop_size(cc_cfg, self.short_side(stage))
        epochs, steps = training_schedule(cc_cfg, npairs, crop_size)
        data_dir = self.stage_dir(k) + "/"
        logger.info("%s %s stage %d (%s): %d pairs, batch %s, crop %d -> %d epochs = %d steps",
                    self.unit.name, self.proc.name, k + 1, stage.pair, npairs,
                    cc_cfg.batch_size or "auto", crop_size, epochs, steps)
        cc = self.b.add("CopyCat", [
            ("dataDirectory", data_dir),
            ("epochs", epochs),
            ("initialWeights", cc_cfg.initial_weights),
            ("modelSize", cc_cfg.model_size),
            ("batchSizeType", "Manual" if cc_cfg.batch_size else "Auto"),
            ("batchSize", cc_cfg.batch_size),
            ("cropSize", str(crop_size)),
            ("checkpointInterval", cc_cfg.checkpoint_interval),
            ("imageInterval", cc_cfg.contact_sheet_interval),
            ("useMultiResolution", cc_cfg.multi_resolution),
            ("useGPUIfAvailable", cc_cfg.gpu),
        ], [bbox, tgt, preview], name=f"{p}CopyCat_{stage.pair.upper()}",
            lane=(lane_src + lane_ref) / 2,
            label=f"{npairs} pairs x {epochs} epochs / batch {cc_cfg.batch_size or 'auto'}"
                  f"\n= {steps} steps")
        self.stages.append(StageInfo(
            index=k, pair=stage.pair, copycat=cc, data_dir=data_dir,
            model_file=self.model_file(k, steps), epochs=epochs, steps=steps, crop_size=crop_size,
            batch_size=cc_cfg.batch_size, pairs=npairs, prefilter=stage.source_median,
            chain=stage.chain, target_luma=stage.target_luma,
            reference_median=stage.reference_median))
        return cc

    def inference_node(self, src: Node, k: int, lane: float, model_file: str,
                       original: Optional[Node] = None) -> Node:
        if original is not None:
            return self.b.clone(original, [src], lane=lane)
        return self.b.add("Inference", [
            ("modelFile", model_file),
            ("serialiseKnob", Raw("{}")),
            ("halfPrecision", self.cfg.inference.half_precision),
        ], [src], name=f"{self.prefix(k)}Inference_{self.proc.stages[k].pair.upper()}", lane=lane,
            label=f"model: stage {k + 1} ({self.proc.stages[k].pair})")

    # -- outputs ---------------------------------------------------------------------
    def write_out(self, src: Node, tag: str, checkpoint: str, lane: float, clip: str,
                  metadata: Dict[str, str], folder: str) -> Node:
        sfx = f"_{clip}" if len(self.unit.clips) > 1 else ""
        node = src
        if self.reformat_hd:
            node = self.b.add("Reformat", [
                ("format", "1920 1080 0 0 1920 1080 1 HD_1080"), ("resize", "height"),
                ("center", True), ("filter", "Lanczos6"), ("black_outside", True)], [node],
                name=f"Reformat_HD{sfx}", lane=lane, label="Non-Commercial 1080 cap")
        meta = self.b.add("ModifyMetaData", [("metadata", metadata_value(metadata))], [node],
                          name=f"ModifyMetaData_{tag.upper()}{sfx}", lane=lane,
                          label="provenance metadata")
        out = self.output_name(tag, checkpoint)
        path = f"{folder}/{self.unit.name}/{out}/{out}{sfx}.####.exr"
        w = self.b.add("Write", [
            ("channels", "rgba"), ("file", path), ("file_type", "exr"),
            ("metadata", "all metadata"), ("create_directories", True),
            ("colorspace", self.cfg.project.write_colorspace),
        ], [meta], name=f"Write_{tag.upper()}{sfx}", lane=lane, label="EXR ACES2065-1")
        self.writes.append((w.name, path))
        if self.cfg.inference.read_back:
            lo, hi = self.unit.ranges.get(clip, (self.unit.first, self.unit.last))
            self.b.add("Read", [
                ("file_type", "exr"), ("file", path),
                ("format", "1920 1080 0 0 1920 1080 1 HD_1080" if self.reformat_hd
                 else self.cfg.project.format.nk),
                ("first", lo), ("last", hi), ("origfirst", lo), ("origlast", hi),
                ("origset", True), ("colorspace", self.cfg.project.write_colorspace)],
                [], name=f"Read_CHECK_{tag.upper()}{sfx}", lane=lane + 1,
                label="read back: completeness check")
        return w

    @property
    def crop_reformat(self) -> bool:
        """The live-area Crop of inference and baseline renders: reformat to the crop, or keep the
        project format (default: deliverables at the scan's format, black outside the live area)."""
        return self.cfg.inference.crop_reformat

    @property
    def reformat_hd(self) -> bool:
        mode = self.cfg.inference.reformat
        return mode == "on" or (mode == "auto" and self.cfg.project.non_commercial)


def metadata_value(fields: Dict[str, str]) -> Raw:
    """ModifyMetaData ``metadata`` knob: one ``{set key value}`` per line, as real files write it."""
    from ..nk.values import check_text, quote

    lines = [f"  {{set {quote(check_text(k, 'name', 'ModifyMetaData key'))} "
             f"{quote(check_text(v, 'text', 'ModifyMetaData.' + k))}}}" for k, v in fields.items()]
    return Raw("{\n" + "\n".join(lines) + "\n }")
