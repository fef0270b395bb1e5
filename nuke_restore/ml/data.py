"""The training pairs the built CopyCat graph would see, computed headlessly (numpy/OpenImageIO).

For one unit (shot/scene/sequence), procedure and stage this replays the training script that
``nuke-restore build`` writes, node by node:

1. **Read** Source (the balanced Source when the clip has one) and Reference at the training frames,
   in linear light (EXR as stored; other files decoded from sRGB - the Read's OCIO colourspace is
   not replayed headlessly, see docs/ml.md). The Reference frame is the one the clip's frame map
   (``reference_offset:`` / ``frame_map:``) names for the source frame, as the graph's
   ``TimeOffset_REF`` / ``FrameHold_REF_MAP`` retime it, and a Reference of another size is brought
   to the project format as ``Reformat_REF`` does (:func:`nuke_restore.imaging.pairs.reformat`);
2. **Align** the Reference: the keyed ``Transform_ALIGN`` values of the config (linear between keys,
   a key on the frame wins), or - where the graph would use F_Align - our own registration
   (:func:`nuke_restore.imaging.align.estimate`), picked per frame by ``alignment.which`` like the
   Dissolve; rendered with Nuke's Transform conventions (:mod:`nuke_restore.imaging.geometry`);
3. **Median** pre-filter on the Source (``source_median``), before the crop, like the graph;
4. **Crop** both to the picture box (per-frame boxes when keyed), reformatted;
5. the stage's training **region** crop, when it has one;
6. **Median** on the Reference for chroma stages (``reference_median``);
7. **Y'CbCr shuffle**: chroma - Source Y' + Reference CbCr (matched luma: low-pass Reference Y' +
   high-pass Source Y'); spatial - Reference Y' + Source CbCr; back to RGB;
8. **clamp** 0-1 on both sides (``Grade_CLAMP_*``), alpha dropped.

The preview frame is the Source at the unit's preview frame after steps 1, 3 and 4. The step
accounting (epochs, steps, crop size, batch) is the recipe's own
(:func:`nuke_restore.config.training_schedule`), so a headless run and the CopyCat node agree.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..config import JobConfig, Procedure, Stage, resolve_crop_size, training_schedule
from ..errors import NukeRestoreError

logger = logging.getLogger(__name__)

Box = Tuple[float, float, float, float]


@dataclass
class PairSet:
    """What one training stage learns from."""

    unit: str
    procedure: str
    stage: int
    pair: str  # "chroma" or "spatial"
    mode: str  # the network mode: "chroma" (CbCr only) or "full"
    frames: List[Tuple[str, int]]
    sources: List[np.ndarray]  # H x W x 3 float32, linear, clamped 0-1
    targets: List[np.ndarray]
    preview: Optional[np.ndarray] = None
    preview_frame: Optional[Tuple[str, int]] = None
    crop_size: int = 256
    batch_size: int = 1
    epochs: int = 0
    steps: int = 0
    model_size: str = "Medium"
    settings: Dict[str, object] = field(default_factory=dict)
    # The Reference frame read for each training frame (the clip's frame map; = frame without one).
    reference_frames: List[int] = field(default_factory=list)


def network_mode(stage: Stage) -> str:
    """Chroma stages with the Source's own luma keep it by construction; the rest predict RGB."""
    return "chroma" if stage.pair == "chroma" and stage.target_luma == "source" else "full"


# -- pixel steps ------------------------------------------------------------------------------
def read_linear(path, frame: int) -> np.ndarray:
    """One frame (of a pattern or FrameSequence) in linear light: EXR/HDR as stored, other files
    decoded from sRGB."""
    from ..imaging.baseline import decode, guess_encoding
    from ..imaging.pairs import open_sequence, read

    seq = open_sequence(path)
    img = read(seq, frame)
    return decode(img, guess_encoding(seq.path(frame))).astype(np.float32)


def to_format(img: np.ndarray, size: Tuple[int, int], path: str = "") -> np.ndarray:
    """``Reformat_REF``: a Reference of another size brought to the project ``size`` (w, h) the way
    the headless imaging commands do it (resize "width", centred, cubic); another aspect ratio is
    refused with a one-line error."""
    from ..imaging.pairs import reformat, reformat_scale

    if (img.shape[1], img.shape[0]) == tuple(size):
        return img
    reformat_scale((img.shape[1], img.shape[0]), tuple(size), path=path or None)
    return reformat(img, tuple(size)).astype(np.float32)


def reference_frame(cfg: JobConfig, proc: Procedure, clip: str, frame: int) -> int:
    """The Reference frame the graph shows at source ``frame``: the clip's frame map (a
    procedure's own reference, artwork, is numbered like the Source and not retimed)."""
    c = cfg.clips[clip]
    if proc.reference is not None or c.frame_map is None:
        return frame
    r = c.frame_map.reference(frame)
    if r is None:
        raise NukeRestoreError(f"clip {clip}: frame {frame} has no clean reference match in "
                               f"{c.map_name}", cfg.path)
    return r


def median(img: np.ndarray, size: int) -> np.ndarray:
    """Nuke's Median with ``size`` as the window width (odd; UNVERIFIED against Nuke)."""
    from scipy import ndimage

    k = int(size) | 1
    return ndimage.median_filter(img, size=(k, k, 1), mode="nearest")


def crop_box(img: np.ndarray, box: Box) -> np.ndarray:
    """A Crop with ``reformat``: Nuke box (x, y, r, t; y up) -> array rows/cols, black outside."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    r0, r1 = h - y1, h - y0
    out = np.zeros((r1 - r0, x1 - x0) + img.shape[2:], img.dtype)
    sr0, sr1, sc0, sc1 = max(r0, 0), min(r1, h), max(x0, 0), min(x1, w)
    if sr1 > sr0 and sc1 > sc0:
        out[sr0 - r0:sr1 - r0, sc0 - x0:sc1 - x0] = img[sr0:sr1, sc0:sc1]
    return out


def _interp_key(keys: Dict[int, object], frame: int):
    """The keyed Transform at ``frame``: its own key, else linear between neighbours, else the
    nearest key (Nuke's curves hold the end values)."""
    from ..config.model import TransformKey

    if frame in keys:
        return keys[frame]
    frames = sorted(keys)
    lo = [f for f in frames if f < frame]
    hi = [f for f in frames if f > frame]
    if not lo or not hi:
        return keys[(lo or hi)[-1 if lo else 0]]
    a, b = keys[lo[-1]], keys[hi[0]]
    t = (frame - lo[-1]) / float(hi[0] - lo[-1])

    def mix(u, v):
        return tuple(x + (y - x) * t for x, y in zip(u, v))

    return TransformKey(translate=mix(a.translate, b.translate),
                        rotate=a.rotate + (b.rotate - a.rotate) * t,
                        scale=a.scale + (b.scale - a.scale) * t,
                        center=a.center if a.center == b.center else
                        mix(a.center or (0, 0), b.center or (0, 0)))


def align_reference(cfg: JobConfig, proc: Procedure, src: np.ndarray, ref: np.ndarray,
                    frame: int) -> np.ndarray:
    """The Reference as the graph's alignment block outputs it at ``frame``."""
    from ..imaging import align, geometry

    al = cfg.alignment
    if al.mode == "none" or not proc.registered:
        return ref
    h, w = ref.shape[:2]
    if al.which:
        which = al.which.get(frame, al.which[min(al.which, key=lambda f: abs(f - frame))])
    else:
        which = 1 if (al.mode == "manual" or (al.mode == "both" and al.keys)) else 0
    if which == 1:
        if not al.keys:
            return ref  # an un-keyed Transform is the identity
        k = _interp_key(al.keys, frame)
        center = k.center or (w / 2.0, h / 2.0)
        m = geometry.nuke_matrix(k.translate, k.rotate, k.scale, center)
        return geometry.render_transform(ref, m).astype(np.float32)
    # F_Align in the graph: our registration stands in for it (a global similarity+ solve).
    res = align.estimate(src, ref)
    return align.apply(ref, res).astype(np.float32)


def shuffle_target(stage: Stage, src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The Shuffle_TARGET of the graph, back in RGB (Rec.709 Y'CbCr, imaging.colour defaults)."""
    from scipy import ndimage

    from ..imaging.colour import rgb_to_ycbcr, ycbcr_to_rgb

    ys = rgb_to_ycbcr(src)
    yr = rgb_to_ycbcr(ref)
    if stage.pair == "chroma":
        y = ys[..., :1]
        if stage.target_luma == "matched":
            # Blur size taken as a Gaussian sigma of size / 2 (UNVERIFIED against Nuke's Blur).
            sig = max(float(stage.luma_blur) / 2.0, 1e-3)
            lr = ndimage.gaussian_filter(yr[..., 0], sig, mode="nearest")
            ls = ndimage.gaussian_filter(ys[..., 0], sig, mode="nearest")
            y = (ys[..., 0] - ls + lr)[..., None]
        out = np.concatenate([y, yr[..., 1:]], -1)
    else:
        out = np.concatenate([yr[..., :1], ys[..., 1:]], -1)
    return ycbcr_to_rgb(out)


def _frame_box(cfg: JobConfig, frame: int) -> Box:
    al = cfg.alignment
    if al.crop_keys:
        return al.crop_keys.get(frame, al.crop_keys[min(al.crop_keys,
                                                        key=lambda f: abs(f - frame))])
    f = cfg.project.format
    return al.crop or (0.0, 0.0, float(f.width), float(f.height))


# -- the pair set -----------------------------------------------------------------------------
def _unit(cfg: JobConfig, proc: Procedure, shot: str):
    from ..recipes.units import make_units

    units = make_units(cfg, proc.granularity, [shot])
    if not units:
        raise NukeRestoreError(f"no shot or unit named {shot!r}; shots: "
                               f"{', '.join(s.name for s in cfg.shots)}", cfg.path)
    return units[0]


def procedure(cfg: JobConfig, name: str) -> Procedure:
    for p in cfg.procedures:
        if p.name == name:
            return p
    raise NukeRestoreError(f"no procedure {name!r}; procedures: "
                           f"{', '.join(p.name for p in cfg.procedures)}", cfg.path)


def load_pairs(cfg: JobConfig, shot: str, proc_name: str, stage_index: int = 0,
               progress: bool = False) -> PairSet:
    """Every training pair (and the preview) of one unit, procedure and stage."""
    from ..imaging.progress import progress_bar

    proc = procedure(cfg, proc_name)
    if not proc.stages or "training" not in proc.scripts:
        raise NukeRestoreError(f"procedure {proc_name!r} has no training stage", cfg.path)
    if not 0 <= stage_index < len(proc.stages):
        raise NukeRestoreError(f"procedure {proc_name!r} has {len(proc.stages)} stage(s); "
                               f"there is no stage {stage_index + 1}", cfg.path)
    stage = proc.stages[stage_index]
    if stage_index > 0:
        raise NukeRestoreError("only the first stage of a multi-stage procedure trains headlessly "
                               "so far (later stages need the previous model's render)", cfg.path)
    unit = _unit(cfg, proc, shot)
    if not unit.pairs:
        raise NukeRestoreError(f"unit {unit.name} has no training frames", cfg.path)

    def path_of(p: str) -> str:
        return str(Path(p) if Path(p).is_absolute() else cfg.base_dir / p)

    def source(clip: str, frame: int) -> np.ndarray:
        c = cfg.clips[clip]
        if c.composite is not None:
            raise NukeRestoreError(f"clip {clip}: composite-of-prints Sources are not replayed by "
                                   "the headless trainer yet", cfg.path)
        img = read_linear(path_of(c.training_source), frame)
        if stage.source_median:
            img = median(img, stage.source_median)
        return img

    srcs: List[np.ndarray] = []
    tgts: List[np.ndarray] = []
    rframes: List[int] = []
    fmt = (cfg.project.format.width, cfg.project.format.height)
    for clip, frame in progress_bar(unit.pairs, desc="read pairs", enabled=progress):
        c = cfg.clips[clip]
        ref_path = proc.reference or c.reference
        if ref_path is None:
            raise NukeRestoreError(f"clip {clip} has no reference", cfg.path)
        raw_src = read_linear(path_of(c.training_source), frame)
        src = median(raw_src, stage.source_median) if stage.source_median else raw_src
        rframe = reference_frame(cfg, proc, clip, frame)
        ref = to_format(read_linear(path_of(ref_path), rframe), fmt, path_of(ref_path))
        if ref.shape != raw_src.shape:
            raise NukeRestoreError(f"frame {frame}: Source is {raw_src.shape[1]}x"
                                   f"{raw_src.shape[0]}, not the project format {fmt[0]}x{fmt[1]}",
                                   path_of(c.training_source))
        rframes.append(rframe)
        ref = align_reference(cfg, proc, raw_src, ref, frame)
        box = _frame_box(cfg, frame)
        s, r = crop_box(src, box), crop_box(ref, box)
        if stage.region is not None:
            s, r = crop_box(s, stage.region), crop_box(r, stage.region)
        if stage.pair == "chroma" and stage.reference_median:
            r = median(r, stage.reference_median)
        t = shuffle_target(stage, s, r)
        srcs.append(np.clip(s, 0.0, 1.0).astype(np.float32))
        tgts.append(np.clip(t, 0.0, 1.0).astype(np.float32))
    pclip, pframe = unit.preview
    preview = crop_box(source(pclip, pframe), _frame_box(cfg, pframe))
    cc = proc.copycat
    short = min(min(s.shape[:2]) for s in srcs)
    crop = min(resolve_crop_size(cc, short), short)
    epochs, steps = training_schedule(cc, len(srcs), crop)
    return PairSet(
        unit=unit.name, procedure=proc.name, stage=stage_index, pair=stage.pair,
        mode=network_mode(stage), frames=list(unit.pairs), sources=srcs, targets=tgts,
        preview=preview, preview_frame=unit.preview, crop_size=crop,
        batch_size=cc.batch_size or 1, epochs=epochs, steps=steps, model_size=cc.model_size,
        settings={"source_median": stage.source_median,
                  "reference_median": stage.reference_median,
                  "target_luma": stage.target_luma, "region": stage.region,
                  "initial_weights": cc.initial_weights},
        reference_frames=rframes)


def random_crops(pairs: PairSet, rng: np.random.Generator, batch: int, size: int
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """``batch`` random aligned crops (N x 3 x size x size) from random pairs."""
    xs, ys = [], []
    for _ in range(batch):
        i = int(rng.integers(len(pairs.sources)))
        s, t = pairs.sources[i], pairs.targets[i]
        h, w = s.shape[:2]
        r0 = int(rng.integers(0, h - size + 1))
        c0 = int(rng.integers(0, w - size + 1))
        xs.append(s[r0:r0 + size, c0:c0 + size])
        ys.append(t[r0:r0 + size, c0:c0 + size])
    return (np.ascontiguousarray(np.stack(xs).transpose(0, 3, 1, 2)),
            np.ascontiguousarray(np.stack(ys).transpose(0, 3, 1, 2)))


def pairs_from_arrays(sources: Sequence[np.ndarray], targets: Sequence[np.ndarray],
                      mode: str = "chroma", crop_size: int = 64, batch_size: int = 1,
                      model_size: str = "Small") -> PairSet:
    """A PairSet from arrays already paired (benchmarks, tests)."""
    return PairSet(unit="arrays", procedure="arrays", stage=0, pair="chroma", mode=mode,
                   frames=[("arrays", i) for i in range(len(sources))],
                   sources=[np.asarray(s, np.float32) for s in sources],
                   targets=[np.asarray(t, np.float32) for t in targets],
                   crop_size=crop_size, batch_size=batch_size, model_size=model_size)
