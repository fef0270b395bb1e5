"""Dataset curation: which frames become CopyCat training pairs, and which one is the Preview.

Rules (workflow-spec §3, science.md §6):

* shots come from :mod:`.cuts` (hard cuts and dissolves); a training frame never straddles a cut and
  dissolve frames (mixes of two shots) are never picked;
* per unit (shot, scene or whole sequence) ``train`` frames are picked: the first and the last frame,
  then farthest-point sampling (k-center greedy) on small feature vectors (a coarse Y'CbCr
  thumbnail, chroma and luma histograms, a texture grid) plus the frame's position in time, so the
  picks cover the shot's colour and texture variety and still spread evenly through a static shot;
* defaults 4 per shot, 16 per scene, 33 per sequence; ``escalate`` steps 4 -> 7 -> 11 (n -> 2n-1 ->
  3n-1) by adding midpoints of the largest gaps to the previous picks, so earlier picks stay;
* frames that are flashes (luma far from the shot's running median), blurred (texture energy well
  below the shot's median) or, with a reference, where the reference disagrees in structure
  (gradient correlation low, or a neighbouring reference frame fits better: off by one) are not
  picked; when the first or last frame is bad its nearest good neighbour stands in;
* the Preview of each shot is an untrained good frame: the one closest to the midpoint of the
  largest gap between two training frames;
* the coverage radius (largest feature distance from any usable frame to its nearest pick) is
  reported per unit, beside the radius that evenly spaced picks would give.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from ..fileio import write_atomic
from . import cuts as cuts_mod
from .sequence import FrameSequence

logger = logging.getLogger(__name__)

#: Training frames per unit by granularity (workflow-spec §3: shot 3-4, scene ~16, sequence 33+).
DEFAULT_TRAIN = {"shot": 4, "scene": 16, "sequence": 33}
GRANULARITIES = tuple(DEFAULT_TRAIN)


@dataclass
class CurateOptions:
    """Settings of :func:`curate`.

    Attributes:
        granularity: ``shot``, ``scene`` or ``sequence``: the unit that gets ``train`` frames.
        train: training frames per unit (default from :data:`DEFAULT_TRAIN`).
        escalate: 0, 1, 2 ...: n -> 2n-1 -> 3n-1 frames (4 -> 7 -> 11), keeping earlier picks.
        proxy: read downscale factor (default: largest keeping >= 256 px width).
        threads: reader threads.
        time_weight: weight of the time coordinate against the features in the picking distance.
        flash_threshold: luma jump (perceptual 0..1 units) from the running median marking a flash.
        blur_ratio: texture energy below this share of the shot median marks a blurred frame.
        agreement_ratio: reference agreement below this share of the shot median is rejected.
        agreement_floor: reference agreement below this absolute value is always rejected.
        offset_margin: a neighbouring reference frame must agree this much better to flag an
            off-by-one frame.
        validation: hold-out share (0 to 0.5; the spec suggests 0.15-0.25): per shot,
            ceil(share x training frames) usable frames that are neither trained nor the Preview,
            spread through the shot like the training frames (workflow-spec §3, R3).
        scene_threshold: shot-signature distance under which consecutive shots share a scene.
        cut_params: detector tuning.
        progress: progress bars.
    """

    granularity: str = "shot"
    train: Optional[int] = None
    escalate: int = 0
    proxy: Optional[int] = None
    threads: Optional[int] = None
    time_weight: float = 0.6
    flash_threshold: float = 0.08
    blur_ratio: float = 0.55
    agreement_ratio: float = 0.75
    agreement_floor: float = 0.3
    validation: float = 0.0
    offset_margin: float = 0.05
    scene_threshold: float = 0.35
    cut_params: cuts_mod.CutParams = field(default_factory=cuts_mod.CutParams)
    progress: bool = False

    def count(self) -> int:
        if self.granularity not in DEFAULT_TRAIN:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        n = int(self.train or DEFAULT_TRAIN[self.granularity])
        if n < 2:
            raise ValueError("train must be at least 2 (first and last frame)")
        level = max(0, int(self.escalate))
        return n if level == 0 else (level + 1) * n - 1  # 4 -> 7 -> 11 -> 15


# -- per-frame measurements ---------------------------------------------------------------------
def _luma(img: np.ndarray) -> np.ndarray:
    return img[..., 0] * 0.2126 + img[..., 1] * 0.7152 + img[..., 2] * 0.0722


def _blur3(y: np.ndarray) -> np.ndarray:
    # [1 2 1]/4 twice (edges repeated): takes grain down before gradients. Accumulated in place,
    # (2b + a) + c, which IEEE addition makes bit-identical to the padded (a + 2b + c) / 4.
    out = y * 2
    out[1:] += y[:-1]
    out[0] += y[0]
    out[:-1] += y[1:]
    out[-1] += y[-1]
    out *= 0.25
    v = out
    out = v * 2
    out[:, 1:] += v[:, :-1]
    out[:, 0] += v[:, 0]
    out[:, :-1] += v[:, 1:]
    out[:, -1] += v[:, -1]
    out *= 0.25
    return out


def _gradients(y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    gx = np.zeros_like(y)
    gy = np.zeros_like(y)
    gx[:, 1:-1] = y[:, 2:] - y[:, :-2]
    gy[1:-1] = y[2:] - y[:-2]
    return gx, gy


@dataclass
class FrameStats:
    """What curation measures on one (proxy) frame."""

    thumb: np.ndarray
    feature: np.ndarray
    brightness: float
    sharpness: float
    grad: Optional[Tuple[np.ndarray, np.ndarray]]  # coarse structure; dropped once scored


MIN_SIZE = (32, 24)  # smallest analysed frame (w, h): 8 x 6 texture cells of 4 x 4 pixels


def measure(img: np.ndarray, linear: bool, grid_width: int = 32) -> FrameStats:
    """Thumbnail, feature vector, brightness, texture energy and gradients of one frame."""
    enc = np.maximum(img, 0.0)  # clip at 0 (frames hold no NaN: read_image refuses them)
    if linear:
        np.sqrt(enc, out=enc)
    thumb = cuts_mod.thumbnail(enc, grid_width, linear=False)
    y = _luma(enc).astype(np.float32, copy=False)
    yb = _blur3(y)
    gx, gy = _gradients(yb)
    # texture: high-pass energy (grain mostly removed by the blur) on a 8 x 6 grid
    hp = y - yb
    lap = _gradients(hp)
    gx2, gy2 = gx * gx, gy * gy
    energy = lap[0] * lap[0]
    energy += lap[1] * lap[1]
    energy += gx2
    energy += gy2
    h, w = energy.shape
    gh, gw = 6, 8
    tex = energy[: h // gh * gh, : w // gw * gw].reshape(gh, h // gh, gw, w // gw).mean(axis=(1, 3))
    gx2 += gy2
    sharp = float(np.mean(gx2))
    feat = _feature(thumb, np.sqrt(tex))
    return FrameStats(thumb, feat, float(thumb[..., 0].mean()), sharp, structure(y))


def _feature(thumb: np.ndarray, tex: np.ndarray) -> np.ndarray:
    """Small feature vector: coarse Y'CbCr layout, chroma + luma histograms, texture grid."""
    h, w = thumb.shape[:2]
    h2, w2 = h // 2, w // 2
    coarse = thumb[: 2 * h2, : 2 * w2].reshape(h2, 2, w2, 2, 3).mean(axis=(1, 3))
    y, cb, cr = thumb[..., 0].ravel(), thumb[..., 1].ravel(), thumb[..., 2].ravel()
    hc, _, _ = np.histogram2d(cb, cr, bins=6, range=[[-0.25, 0.25], [-0.25, 0.25]])
    hy, _ = np.histogram(y, bins=8, range=(0.0, 1.0))
    n = float(len(y))
    t = tex.ravel()
    t = t / (np.linalg.norm(t) + 1e-6) * min(1.0, float(np.mean(tex)) * 20)
    parts = [
        coarse[..., 0].ravel() * 1.0 / math.sqrt(h2 * w2) * 2,
        coarse[..., 1:].ravel() * 4.0 / math.sqrt(h2 * w2),
        np.sqrt(hc.ravel() / n),
        np.sqrt(hy / n),
        t * 0.5,
    ]
    return np.concatenate(parts).astype(np.float32)


def structure(y: np.ndarray, width: int = 64) -> Tuple[np.ndarray, np.ndarray]:
    """Gradients of luma at about ``width`` pixels across, for source/reference agreement.

    Coarse on purpose: curation runs before alignment, so a reference a few pixels off must
    still agree with its source, while an occlusion, a splice or another frame must not.
    """
    from .sequence import box_downscale

    k = max(1, y.shape[1] // width)
    small = box_downscale(y[..., None], k)[..., 0] if k > 1 else y
    return _gradients(_blur3(small))


def gradient_agreement(a: Tuple[np.ndarray, np.ndarray], b: Tuple[np.ndarray, np.ndarray]) -> float:
    """Correlation of two gradient fields (structure, not colour): 1 same picture, ~0 unrelated."""
    ax, ay = a
    bx, by = b
    num = float((ax * bx).sum() + (ay * by).sum())
    den = math.sqrt(float((ax * ax).sum() + (ay * ay).sum()) * float((bx * bx).sum() + (by * by).sum()))
    return num / den if den > 1e-12 else 0.0


# -- picking --------------------------------------------------------------------------------------
def farthest_point(points: np.ndarray, seeds: Sequence[int], k: int) -> List[int]:
    """Greedy k-center: start from ``seeds`` and add the point farthest from the chosen set."""
    chosen = list(dict.fromkeys(int(s) for s in seeds))[:k]
    if not len(points):
        return []
    if not chosen:
        chosen = [0]
    d = np.min(np.linalg.norm(points[:, None, :] - points[chosen][None], axis=2), axis=1)
    while len(chosen) < min(k, len(points)):
        i = int(np.argmax(d))
        if d[i] <= 0:
            break
        chosen.append(i)
        d = np.minimum(d, np.linalg.norm(points - points[i], axis=1))
    return chosen


def coverage_radius(points: np.ndarray, chosen: Sequence[int]) -> Tuple[float, float]:
    """(max, mean) distance from every point to its nearest chosen point."""
    if not len(points) or not len(chosen):
        return 0.0, 0.0
    d = np.min(np.linalg.norm(points[:, None, :] - points[list(chosen)][None], axis=2), axis=1)
    return float(d.max()), float(d.mean())


def escalate_picks(picks: Sequence[int], candidates: Sequence[int], target: int) -> List[int]:
    """Add the usable frame nearest the midpoint of the largest gap until ``target`` frames."""
    out = sorted(set(picks))
    cand = sorted(set(candidates) - set(out))
    while len(out) < target and cand:
        gaps = sorted(((out[i + 1] - out[i], i) for i in range(len(out) - 1)), reverse=True)
        placed = False
        for _gap, i in gaps:
            mid = (out[i] + out[i + 1]) / 2.0
            inside = [c for c in cand if out[i] < c < out[i + 1]]
            if inside:
                best = min(inside, key=lambda c: (abs(c - mid), c))
                out.append(best)
                cand.remove(best)
                out.sort()
                placed = True
                break
        if not placed:
            break
    return out


# -- main entry -----------------------------------------------------------------------------------
def curate(source, reference=None, options: Optional[CurateOptions] = None, first=None, last=None,
           *, frame_map=None, allow_missing: bool = False, colour=None) -> Dict[str, Any]:
    """Detect shots and scenes in ``source`` and pick training and preview frames.

    Args:
        source: a :class:`FrameSequence` or anything :meth:`FrameSequence.from_path` accepts.
        reference: optional reference sequence to score pair agreement (any size of the
            source's aspect ratio: it is brought to the source's format first).
        options: :class:`CurateOptions`.
        first, last: frame range to use.
        frame_map: a :class:`~nuke_restore.framemap.FrameMap`: the reference frame of each source
            frame (default the same number). Frames without a clean match are never picked.
        allow_missing: source frames whose reference frame is missing are excluded (with a
            warning) instead of refused.
        colour: an :class:`~.ocio.Colour` (config and declared colour spaces); default by file type.

    Returns:
        The curation dict (see ``docs/imaging.md``): ``shots`` (first, last, scene, train, preview,
        excluded, coverage), ``scenes``, ``units``, ``transitions`` and the settings.

    Raises:
        ImagingError: missing/corrupt frames, size mismatch, or too few frames.
    """
    opts = options or CurateOptions()
    k = opts.count()
    src = source if isinstance(source, FrameSequence) else FrameSequence.from_path(source, first, last)
    src.check(require_all=True)
    if len(src.frames) < 3:
        raise ImagingError(f"too few frames to curate: {len(src.frames)} (need at least 3: start, "
                           "middle, end)", path=src.pattern)
    from .ocio import Colour
    from .pairs import pair_frames, read_reference, reformat_scale

    colour = colour if colour is not None else Colour()
    colour.space("source", src.path(src.frames[0]))
    ref = None
    pairing = None
    if reference is not None:
        ref = reference if isinstance(reference, FrameSequence) else FrameSequence.from_path(
            reference)
        pairing = pair_frames(src, ref, frame_map, src.frames, allow_missing, minimum=1)
        f0, r0 = pairing.pairs[0]
        rw, rh, _ = ref.spec(r0)
        ref_scale = reformat_scale((rw, rh), src.size, path=ref.path(r0))
        colour.space("reference", ref.path(r0))
    w, h = src.size
    proxy = opts.proxy or max(1, w // 256)
    if w // proxy < MIN_SIZE[0] or h // proxy < MIN_SIZE[1]:
        # The texture grid and thumbnails need some picture; below this the picks are noise.
        at = f" at 1/{proxy} resolution" if proxy > 1 else ""
        raise ImagingError(f"frames of {w}x{h} are too small to curate{at}: need at least "
                           f"{MIN_SIZE[0]}x{MIN_SIZE[1]} pixels", path=src.path(src.frames[0]))
    frames = list(src.frames)
    # Linear (and log) sources are analysed as linear Rec.709 (square-rooted, as before);
    # display-encoded ones as they are.
    src_linear = src.path(frames[0]).lower().endswith(cuts_mod.LINEAR_EXTENSIONS) or not (
        colour.used["source"][0] == _srgb_name(colour))
    stats: List[FrameStats] = []
    pairs = _PairScores(len(frames))
    shape0 = None
    src_iter = src.read_many(frames, proxy=proxy, threads=opts.threads, progress=opts.progress)
    ref_of = dict(pairing.pairs) if pairing is not None else {}
    # One pass over both sequences; only a 3-frame window of gradient fields is kept, so memory
    # stays at a few kB per frame however long the sequence.
    for i, (f, img) in enumerate(src_iter):
        shape0 = _same_shape(img, shape0, f, frames[0], src)
        if src_linear:
            img = colour.to_linear709(img, "source")
        st = measure(img, src_linear, opts.cut_params.grid_width)
        if ref is not None and f in ref_of:
            rimg = read_reference(ref, ref_of[f], src.size, proxy)
            _same_shape(rimg, shape0, ref_of[f], frames[0], ref, what="source")
            renc = np.clip(colour.to_analysis(rimg, "reference"), 0.0, None)
            pairs.add(i, st.grad, structure(_luma(renc).astype(np.float32)))
        st.grad = None
        stats.append(st)
    thumbs = [s.thumb for s in stats]
    transitions = cuts_mod.detect_transitions(thumbs, frames, opts.cut_params)
    shots = cuts_mod.shots_from_transitions(frames[0], frames[-1], transitions)
    index = {f: i for i, f in enumerate(frames)}

    excluded: Dict[int, str] = {}
    for t in transitions:
        if t.kind == "dissolve":
            # one frame of margin: the first and last mixes are faint and easy to mis-time
            for f in range(t.first - 1, t.last + 2):
                if f in index:
                    excluded[f] = "dissolve (mix of two shots)"
    _mark_flashes_and_blur(stats, frames, shots, opts, excluded)
    agreement: Dict[int, float] = {}
    if ref is not None:
        for f in pairing.unmatched:
            excluded[f] = "no clean reference match (frame map)"
        for f, r in pairing.missing.items():
            excluded[f] = f"reference frame {r} missing (skipped, --allow-missing)"
        agreement = _judge_reference(pairs, frames, shots, opts, excluded)

    feats = np.stack([s.feature for s in stats])
    scenes = _group_scenes(shots, feats, index, opts.scene_threshold)

    # units: the scope that gets k frames
    if opts.granularity == "shot":
        units = [[i] for i in range(len(shots))]
    elif opts.granularity == "scene":
        units = [list(sc) for sc in scenes]
    else:
        units = [list(range(len(shots)))]

    shot_train: Dict[int, List[int]] = {i: [] for i in range(len(shots))}
    unit_out = []
    for ui, shot_ids in enumerate(units):
        picks, radius, uniform = _pick_unit(shot_ids, shots, feats, index, excluded, k, opts)
        for f in picks:
            si = next(i for i in shot_ids if shots[i][0] <= f <= shots[i][1])
            shot_train[si].append(f)
        unit_out.append({"kind": opts.granularity, "id": ui, "shots": shot_ids,
                         "first": shots[shot_ids[0]][0], "last": shots[shot_ids[-1]][1],
                         "train": sorted(picks), "coverage_radius": round(radius[0], 4),
                         "coverage_mean": round(radius[1], 4),
                         "coverage_radius_uniform": round(uniform[0], 4),
                         "coverage_mean_uniform": round(uniform[1], 4)})

    scene_of = {si: sc_i for sc_i, sc in enumerate(scenes) for si in sc}
    trans_by_frame = {t.frame: t for t in transitions}
    shot_out = []
    for si, (a, b) in enumerate(shots):
        train = sorted(shot_train[si])
        preview = _pick_preview(a, b, train, excluded)
        tr = trans_by_frame.get(a)
        item = {
            "first": a, "last": b, "scene": scene_of[si], "train": train, "preview": preview,
            "transition_in": tr.kind if tr else None,
            "excluded": {str(f): r for f, r in sorted(excluded.items()) if a <= f <= b},
            "frames": b - a + 1,
        }
        if opts.validation > 0:
            item["validation"] = _pick_validation(a, b, train, preview, excluded, opts.validation)
        shot_out.append(item)
        if preview is None:
            logger.warning("shot %d-%d: no untrained usable frame left for the Preview", a, b)
    result = {
        "version": 1,
        "tool": "nuke-restore curate",
        "source": src.nuke_pattern(),
        "reference": ref.nuke_pattern() if ref is not None else None,
        "colour": colour.describe(),
        "first": frames[0],
        "last": frames[-1],
        "granularity": opts.granularity,
        "train_per_unit": k,
        "escalate": opts.escalate,
        "proxy": proxy,
        "shots": shot_out,
        "scenes": [{"id": i, "shots": sc, "first": shots[sc[0]][0], "last": shots[sc[-1]][1]}
                   for i, sc in enumerate(scenes)],
        "units": unit_out,
        "transitions": [t.as_dict() for t in transitions],
    }
    if agreement:
        result["reference_agreement"] = {str(f): round(v, 4) for f, v in agreement.items()
                                         if np.isfinite(v)}
    if pairing is not None:
        result["reference_scale"] = round(ref_scale, 6)
        result.update(pairing.describe())
        result["reference_frames"] = {str(s_): r for s_, r in pairing.pairs}
        result["notes"] = ([f"reference: brought to the source's {src.size[0]}x{src.size[1]} "
                            f"(scale {ref_scale:g})"] if ref_scale != 1.0 else []) + pairing.lines()
    return result


def _srgb_name(colour) -> str:
    from .ocio import _SRGB_NAMES, _find, load_config

    return _find(load_config(colour.config), _SRGB_NAMES) or ""


def curate_to_file(source, out_path, reference=None, options: Optional[CurateOptions] = None,
                   force: bool = True, **kwargs) -> Dict[str, Any]:
    """:func:`curate` and write the result as JSON atomically (``force=False`` keeps an existing file).

    Extra keyword arguments set :class:`CurateOptions` fields.
    """
    from pathlib import Path

    from ..errors import OutputExistsError

    if not force and Path(out_path).exists():
        raise OutputExistsError("exists; use --force to overwrite", path=str(out_path))
    opts = options or CurateOptions(**kwargs)
    result = curate(source, reference, opts)
    write_atomic(out_path, json.dumps(result, indent=1) + "\n", force=force)
    return result


# -- helpers --------------------------------------------------------------------------------------
def _fmt(frames: Sequence[int]) -> str:
    from .sequence import _format_frames

    return _format_frames(frames)


def _same_shape(img, shape0, frame, first, seq, what="frame"):
    """Raise ImagingError when a frame's (proxy) size differs from the first one's."""
    if shape0 is None:
        return img.shape
    if img.shape != shape0:
        h, w = img.shape[:2]
        h0, w0 = shape0[:2]
        other = f"frame {first}" if what == "frame" else "the source"
        raise ImagingError(f"frame {frame} is {w}x{h} at this proxy, {other} is {w0}x{h0}",
                           path=seq.path(frame))
    return shape0


def _mark_flashes_and_blur(stats, frames, shots, opts, excluded) -> None:
    bright = np.array([s.brightness for s in stats])
    sharp = np.array([s.sharpness for s in stats])
    index = {f: i for i, f in enumerate(frames)}
    for a, b in shots:
        ia, ib = index[a], index[b]
        seg_b = bright[ia: ib + 1]
        seg_s = sharp[ia: ib + 1]
        n = len(seg_b)
        med_s = float(np.median(seg_s)) if n else 0.0
        for j in range(n):
            lo, hi = max(0, j - 3), min(n, j + 4)
            neigh = np.concatenate([seg_b[lo:j], seg_b[j + 1: hi]])
            f = frames[ia + j]
            if len(neigh) and abs(seg_b[j] - float(np.median(neigh))) > opts.flash_threshold:
                excluded.setdefault(f, "flash (luma jump against its neighbours)")
            elif n >= 3 and med_s > 0 and seg_s[j] < opts.blur_ratio * med_s:
                excluded.setdefault(f, "blurred (texture energy far below the shot's)")


class _PairScores:
    """Source/reference structure agreement per frame, and with the neighbouring reference frames."""

    def __init__(self, n: int):
        self.same = np.full(n, np.nan)
        self.prev = np.full(n, np.nan)   # source i against reference i-1
        self.next = np.full(n, np.nan)   # source i against reference i+1
        self._src: Dict[int, Any] = {}
        self._ref: Dict[int, Any] = {}

    def add(self, i: int, src_grad, ref_grad) -> None:
        self._src[i], self._ref[i] = src_grad, ref_grad
        self.same[i] = gradient_agreement(src_grad, ref_grad)
        if i - 1 in self._ref:
            self.prev[i] = gradient_agreement(src_grad, self._ref[i - 1])
        if i - 1 in self._src:
            self.next[i - 1] = gradient_agreement(self._src[i - 1], ref_grad)
        for old in [k for k in self._src if k < i - 1]:
            del self._src[old], self._ref[old]


def _judge_reference(pairs: _PairScores, frames, shots, opts, excluded) -> Dict[int, float]:
    index = {f: i for i, f in enumerate(frames)}
    agree = {f: float(pairs.same[index[f]]) for f in frames}
    for a, b in shots:
        seg = list(range(a, b + 1))
        vals = [agree[f] for f in seg if np.isfinite(agree[f])]
        if not vals:
            continue
        med = float(np.median(vals))
        for f in seg:
            g = agree[f]
            if not np.isfinite(g):
                continue
            if g < opts.agreement_floor or g < opts.agreement_ratio * med:
                excluded.setdefault(f, f"reference disagrees (structure {g:.2f}, shot median {med:.2f})")
                continue
            # off by one: a neighbouring reference frame matches this source frame clearly better
            # (with motion, a true pair beats its neighbours; without, an offset does no harm)
            i = index[f]
            for nb, gn in ((f - 1, pairs.prev[i]), (f + 1, pairs.next[i])):
                if a <= nb <= b and np.isfinite(gn) and gn > g + opts.offset_margin:
                    excluded.setdefault(f, f"reference frame {nb} matches better "
                                           f"({gn:.2f} > {g:.2f}): off by one?")
                    break
    return agree


def _group_scenes(shots, feats, index, threshold) -> List[List[int]]:
    """Consecutive shots whose mean features are close share a scene."""
    sigs = []
    for a, b in shots:
        sig = feats[index[a]: index[b] + 1].mean(axis=0)
        sigs.append(sig)
    scenes: List[List[int]] = [[0]]
    for i in range(1, len(shots)):
        # compare with every shot of the current scene (A-B-A cutting stays in one scene)
        d = min(float(np.linalg.norm(sigs[i] - sigs[j])) / (
            0.5 * (np.linalg.norm(sigs[i]) + np.linalg.norm(sigs[j])) + 1e-6) for j in scenes[-1])
        if d < threshold:
            scenes[-1].append(i)
        else:
            scenes.append([i])
    return scenes


def _usable(a: int, b: int, excluded) -> List[int]:
    return [f for f in range(a, b + 1) if f not in excluded]


def _nearest_usable(target: int, usable: Sequence[int]) -> Optional[int]:
    if not usable:
        return None
    return min(usable, key=lambda f: (abs(f - target), f))


def _pick_unit(shot_ids, shots, feats, index, excluded, k, opts):
    cand: List[int] = []
    for si in shot_ids:
        cand += _usable(shots[si][0], shots[si][1], excluded)
    if not cand:
        return [], (0.0, 0.0), (0.0, 0.0)
    a, b = shots[shot_ids[0]][0], shots[shot_ids[-1]][1]
    span = max(1, b - a)
    f_all = np.stack([feats[index[f]] for f in cand])
    scale = float(np.median(np.linalg.norm(f_all - f_all.mean(axis=0), axis=1))) + 1e-3
    tcoord = np.array([(f - a) / span for f in cand], np.float32)[:, None]
    pts = np.concatenate([f_all / scale, tcoord * opts.time_weight * 2.0], axis=1)
    pos = {f: i for i, f in enumerate(cand)}
    seeds = [pos[_nearest_usable(a, cand)], pos[_nearest_usable(b, cand)]]
    base_k = int(opts.train or DEFAULT_TRAIN[opts.granularity])
    if len(shot_ids) > 1:
        # stratify: one frame per shot (its medoid) before the k-center extras, when k allows
        for si in shot_ids:
            members = [pos[f] for f in _usable(shots[si][0], shots[si][1], excluded)]
            if members and len(seeds) < base_k:
                sub = pts[members]
                med = members[int(np.argmin(np.linalg.norm(sub - sub.mean(axis=0), axis=1)))]
                seeds.append(med)
    # keep one usable frame free for the Preview when the unit is tiny
    room = len(cand) - 1 if len(cand) > 2 else len(cand)
    base = farthest_point(pts, seeds, min(base_k, room))
    picks = sorted(cand[i] for i in base)
    if k > base_k:
        picks = escalate_picks(picks, cand, min(k, room))
    chosen = [pos[f] for f in picks]
    radius = coverage_radius(f_all / scale, chosen)
    uniform_idx = sorted({int(round(x)) for x in np.linspace(0, len(cand) - 1, len(picks))})
    uniform = coverage_radius(f_all / scale, uniform_idx)
    return picks, radius, uniform


def _pick_validation(a: int, b: int, train: Sequence[int], preview: Optional[int], excluded,
                     share: float) -> List[int]:
    """Hold-out frames: usable, untrained, not the Preview, each filling the largest gap left."""
    if not train:
        return []
    n = int(math.ceil(share * len(train)))
    taken = set(train) | ({preview} if preview is not None else set())
    usable = [f for f in _usable(a, b, excluded) if f not in taken]
    out: List[int] = []
    while len(out) < n and usable:
        pts = sorted(taken | set(out))
        best = max(usable, key=lambda f: (min(abs(f - p) for p in pts), -f))
        out.append(best)
        usable.remove(best)
    return sorted(out)


def _pick_preview(a: int, b: int, train: Sequence[int], excluded) -> Optional[int]:
    usable = [f for f in _usable(a, b, excluded) if f not in set(train)]
    if not usable:
        return None
    pts = sorted(set(train) | {a, b}) if train else [a, b]
    gaps = sorted(((pts[i + 1] - pts[i], pts[i]) for i in range(len(pts) - 1)), reverse=True)
    for _g, lo in gaps:
        hi = pts[pts.index(lo) + 1]
        inside = [f for f in usable if lo < f < hi]
        if inside:
            return _nearest_usable((lo + hi) // 2, inside)
    return _nearest_usable((a + b) // 2, usable)


# -- contact sheet --------------------------------------------------------------------------------
_TRAIN_COLOUR = (0.15, 0.8, 0.25)
_PREVIEW_COLOUR = (0.2, 0.45, 1.0)
_VALID_COLOUR = (0.95, 0.75, 0.1)


def contact_sheet(result: Dict[str, Any], out_path, tile_width: int = 160, force: bool = False):
    """Write a PNG/JPEG/EXR sheet of the picks: one row per shot (and its reference row below).

    Training frames have a green border, the Preview a blue one, validation frames amber; each
    tile is labelled with its frame number (OpenImageIO's built-in font).

    Args:
        result: a :func:`curate` result (its ``source``/``reference`` patterns are read).
        out_path: image to write (atomically; refuses to overwrite without ``force``).
        tile_width: width of one tile in pixels.
        force: overwrite an existing file.
    """
    from .ocio import to_analysis
    from .pairs import read_reference
    from .sequence import write_image

    src = FrameSequence.from_path(result["source"], result["first"], result["last"])
    ref = FrameSequence.from_path(result["reference"]) if result.get("reference") else None
    # The colour spaces and reference frames curate used (older curations: by file type, same
    # frame numbers).
    col = result.get("colour") or {}
    config = col.get("config")
    spaces = {role: v["colourspace"] for role, v in (col.get("spaces") or {}).items()}
    ref_of = {int(k): int(v) for k, v in (result.get("reference_frames") or {}).items()}
    w, h = src.size
    proxy = max(1, w // tile_width)
    rows = []

    def show(img, role, path):
        from .ocio import default_colourspace

        cs = spaces.get(role) or default_colourspace(path, config)[0]
        return np.clip(to_analysis(img, cs, config), 0, 1)

    for shot in result["shots"]:
        picks = [(f, _TRAIN_COLOUR) for f in shot["train"]]
        picks += [(f, _VALID_COLOUR) for f in shot.get("validation", [])]
        if shot["preview"] is not None:
            picks.append((shot["preview"], _PREVIEW_COLOUR))
        picks.sort()
        tiles = []
        for f, c in picks:
            img = show(src.read(f, proxy=proxy), "source", src.path(f))
            tiles.append(_framed(img, c, str(f) if c != _PREVIEW_COLOUR else f"P {f}"))
        rows.append(tiles)
        if ref is not None:
            tiles = []
            for f, c in picks:
                rf = ref_of.get(f, f)
                img = show(read_reference(ref, rf, (w, h), proxy), "reference", ref.path(rf))
                tiles.append(_framed(img, c, str(rf) if rf == f else f"ref {rf}"))
            rows.append(tiles)
    if not rows:
        raise ImagingError("nothing to show: no shots")
    th, tw = rows[0][0].shape[:2]
    ncol = max(len(r) for r in rows)
    gap = 4
    sheet = np.full((len(rows) * (th + gap) + gap, ncol * (tw + gap) + gap, 3), 0.08, np.float32)
    for ri, tiles in enumerate(rows):
        for ci, t in enumerate(tiles):
            y, x = gap + ri * (th + gap), gap + ci * (tw + gap)
            sheet[y: y + t.shape[0], x: x + t.shape[1]] = t
    dtype = "half" if str(out_path).lower().endswith(".exr") else "uint8"
    return write_image(out_path, sheet, dtype, force=force)


def _framed(img: np.ndarray, colour, label: str) -> np.ndarray:
    b = 3
    out = np.empty((img.shape[0] + 2 * b, img.shape[1] + 2 * b, 3), np.float32)
    out[:] = colour
    out[b:-b, b:-b] = img
    try:  # label with OpenImageIO's built-in font; a sheet without labels is still useful
        import OpenImageIO as oiio

        buf = oiio.ImageBuf(np.ascontiguousarray(out))
        size = max(10, img.shape[0] // 8)
        oiio.ImageBufAlgo.render_text(buf, b + 3, b + size + 1, label, size, "",
                                      (1.0, 1.0, 1.0, 1.0), shadow=2)
        out = np.asarray(buf.get_pixels(oiio.FLOAT), np.float32)[..., :3]
    except Exception:  # pragma: no cover - font or binding differences
        logger.debug("no label on the contact sheet", exc_info=True)
    return out
