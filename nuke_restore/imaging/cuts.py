"""Shot boundary detection: hard cuts and dissolves, robust to grain, flicker and flashes.

Each frame is reduced to a tiny Y'CbCr thumbnail (default 32 cells wide) on a perceptual
encoding (linear EXR data is square-rooted first). Grain averages away inside the cells; exposure
flicker is mostly a gain/offset on luma, which the structural term ignores because it compares
mean-removed luma relative to its contrast (a Pearson correlation for textured frames).

Distance between two frames (0 = identical, about 0.5-1 = unrelated), with z the mean-removed
luma thumbnail and C the 2x2-pooled chroma:

    D = w_struct * 0.5 |z_a - z_b|^2 / (|z_a|^2 + |z_b|^2 + floor)
        + w_colour * 0.5 * min(1, mean|C_a - C_b| / chroma_scale)

(the noise floor keeps two flat, grainy frames from looking unrelated).

Hard cut between t-1 and t when ``D(t-1, t)`` is high in absolute terms, against the median of the
steps around it and against the larger neighbouring step (a moving camera raises every step, a cut
only one), and when ``D(t-1, t+1)`` is high too: a flash or a single damaged frame differs from
both neighbours but its neighbours agree with each other, so it is not a cut.

Dissolve over a window (a, b): the end frames are far apart, no single step carries the change
(else it is a cut or a flash), the same span just outside the window is calmer (a camera move is
as busy outside as inside), every frame inside is close to a mix ``w*F(a) + (1-w)*F(b)`` with ``w``
falling, and the luma contrast dips mid-way: the variance of a mix of two unrelated pictures is
about ``w^2 var A + (1-w)^2 var B``, while a camera move keeps the contrast of its picture. The
contrast dip is what separated dissolves from camera moves in tuning; the mix residual alone did
not (slow moves are near-linear on a thumbnail). Cuts found inside a dissolve are dropped.

Background: (PySceneDetect's content/adaptive detectors use an HSV frame difference
and a rolling-average ratio; the idea of a rolling ratio is used here on our own distance).
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError

logger = logging.getLogger(__name__)

#: Extensions whose pixels are (usually) scene-linear: encode before measuring.
LINEAR_EXTENSIONS = (".exr", ".sxr", ".hdr", ".pfm")

# Rec.709 Y'CbCr rows (see colour.py), transposed for `thumb @ _YCC_T`.
_YCC_T = np.array([[0.2126, 0.7152, 0.0722],
                   [-0.2126 / 1.8556, -0.7152 / 1.8556, (1 - 0.0722) / 1.8556],
                   [(1 - 0.2126) / 1.5748, -0.7152 / 1.5748, -0.0722 / 1.5748]], np.float32).T


@dataclass
class CutParams:
    """Tuning of :func:`detect_transitions` (defaults fit the sample footage and ShotBench)."""

    grid_width: int = 32
    w_struct: float = 1.0
    w_colour: float = 1.0
    chroma_scale: float = 0.08
    cut_threshold: float = 0.22       # absolute floor on D(t-1, t)
    cut_ratio: float = 3.0            # D(t-1, t) against the local median of steps
    flash_ratio: float = 0.5          # D(t-1, t+1) must keep this share of D(t-1, t)
    peak_ratio: float = 1.6           # D(t-1, t) against the larger neighbouring step
    span_ratio: float = 1.5           # dissolve: D(a, b) against the same span just outside
    step_ratio: float = 1.0           # dissolve: median step inside against outside
    mix_floor: float = 0.05           # dissolve extent: mix weights inside (floor, 1 - floor)
    dissolve_dip: float = 0.75        # dissolve: mid-way luma variance against the ends
    window: int = 6                   # neighbours each side for the local median
    dissolve_lengths: Tuple[int, ...] = (3, 4, 5, 6, 8, 10, 12)
    dissolve_threshold: float = 0.22  # D(c-L, c+L) floor
    dissolve_residual: float = 0.80   # max mix residual relative to |F(c-L) - F(c+L)|
    min_shot: int = 3                 # frames between two transitions
    noise_floor: float = 0.02         # luma noise per thumbnail cell (grain, compression)


@dataclass
class Transition:
    """A shot boundary. ``frame`` is the first frame of the new shot; for a dissolve, ``first`` and
    ``last`` are the frames that are a mix of both shots (for a cut both equal ``frame``)."""

    kind: str
    frame: int
    first: int
    last: int
    score: float

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class CutResult:
    """Output of :func:`detect_cuts`: transitions, shot ranges, per-frame step distances."""

    frames: List[int]
    transitions: List[Transition]
    shots: List[Tuple[int, int]]
    steps: List[float] = field(default_factory=list)   # D(t-1, t), 0 for the first frame

    def as_dict(self) -> Dict[str, Any]:
        return {"transitions": [t.as_dict() for t in self.transitions],
                "shots": [list(s) for s in self.shots]}


# -- features -------------------------------------------------------------------------------------
def thumbnail(img: np.ndarray, grid_width: int = 32, linear: bool = False) -> np.ndarray:
    """A tiny Y'CbCr thumbnail (gh x gw x 3, float32) of an H x W x 3 float or uint8 image."""
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise ImagingError(f"expected an H x W x 3 image, got shape {arr.shape}")
    h, w = arr.shape[:2]
    gw = min(grid_width, w)
    gh = max(1, min(h, int(round(gw * h / w))))
    ch, cw = h // gh, w // gw                      # cell size
    # About 4 x 4 samples per cell: the cell mean then differs from the full mean only by a
    # little grain, at a fraction of the cost on large frames. Rows are taken through a strided
    # view and summed first (one pass over the sampled rows), columns after, on the small result.
    step = max(1, min(ch, cw) // 4)
    bh, bw = ch - ch % step, cw - cw % step
    acc = np.uint32 if arr.dtype == np.uint8 else np.float32
    rows = arr[: gh * ch, : gw * cw, :3].reshape(gh, ch, gw * cw, 3)[:, :bh:step]
    rs = rows.sum(axis=1, dtype=acc).reshape(gh, gw, cw, 3)
    t = rs[:, :, 0].astype(np.float32)
    for k in range(step, bw, step):
        t += rs[:, :, k]
    n = (bh // step) * (bw // step)
    t *= np.float32(1.0 / (n * (255.0 if arr.dtype == np.uint8 else 1.0)))
    if linear:
        t = np.sqrt(np.clip(t, 0.0, None))
    return t @ _YCC_T


def _pool2(th: np.ndarray) -> np.ndarray:
    """2x2 mean pooling of a stack of thumbnails (n x h x w x c)."""
    n, h, w, c = th.shape
    if h < 4 or w < 4:
        return th
    h2, w2 = h // 2, w // 2
    x = th[:, : 2 * h2, : 2 * w2]
    x = x[:, 0::2] + x[:, 1::2]
    x = x[:, :, 0::2] + x[:, :, 1::2]
    return x * np.float32(0.25)


class FeatureStack:
    """Thumbnails of many frames with the distances the detector needs."""

    def __init__(self, thumbs: Sequence[np.ndarray], params: CutParams):
        self.p = params
        self.th = np.stack([np.asarray(t, np.float32) for t in thumbs])
        y = self.th[..., 0].reshape(len(self.th), -1)
        self.yc = y - y.mean(axis=1, keepdims=True)
        self.energy = np.einsum("nk,nk->n", self.yc, self.yc)
        # noise floor per cell: grain and flicker residue left after cell averaging
        self.floor = params.noise_floor ** 2 * self.yc.shape[1]
        # chroma is low-frequency: compare it on the 2x2-pooled grid (4x less work)
        pooled = _pool2(self.th)
        self.c = np.ascontiguousarray(pooled[..., 1:]).reshape(len(self.th), -1)
        self.coarse = pooled.reshape(len(self.th), -1)

    def __len__(self) -> int:
        return len(self.th)

    def dist(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """D between frames i and j (index arrays of equal length)."""
        # 0.5 |za - zb|^2 / (|za|^2 + |zb|^2 + floor): 0.5 (1 - corr) for textured frames with
        # equal contrast, and near 0 for two flat frames whose "structure" is only grain.
        ei, ej = self.energy[i], self.energy[j]
        cross = np.einsum("nk,nk->n", self.yc[i], self.yc[j])
        struct = 0.5 * np.maximum(ei + ej - 2.0 * cross, 0.0) / (ei + ej + self.floor)
        colour = np.abs(self.c[i] - self.c[j]).mean(axis=1) / self.p.chroma_scale
        return self.p.w_struct * struct + self.p.w_colour * np.minimum(colour, 1.0) * 0.5

    def step(self, k: int = 1) -> np.ndarray:
        """D(t-k, t) for t = k..n-1 (length n-k)."""
        n = len(self)
        if n <= k:
            return np.zeros(0)
        i = np.arange(0, n - k)
        return self.dist(i, i + k)

    def mix_residual(self, a: int, b: int) -> Tuple[float, np.ndarray]:
        """Worst relative residual of frames a+1..b-1 as mixes of a and b, and their weights."""
        fa, fb = self.coarse[a], self.coarse[b]
        d = fa - fb
        dd = float(d @ d)
        if dd < 1e-9 or b - a < 2:
            return 1.0, np.zeros(0)
        mids = self.coarse[a + 1: b]
        alpha = np.clip((mids - fb) @ d / dd, 0.0, 1.0)
        resid = mids - fb - alpha[:, None] * d
        rel = np.sqrt((resid * resid).sum(axis=1) / dd)
        return float(rel.max()), alpha


# -- detection ------------------------------------------------------------------------------------
def detect_transitions(thumbs: Sequence[np.ndarray], frames: Optional[Sequence[int]] = None,
                       params: Optional[CutParams] = None) -> List[Transition]:
    """Find hard cuts and dissolves in a list of thumbnails (see the module docstring).

    Args:
        thumbs: one :func:`thumbnail` per frame, in frame order.
        frames: frame numbers (default 0..n-1).
        params: detector tuning.
    """
    p = params or CutParams()
    n = len(thumbs)
    frames = list(range(n)) if frames is None else list(frames)
    if n < 2:
        return []
    fs = FeatureStack(thumbs, p)
    d1 = np.concatenate([[0.0], fs.step(1)])                 # d1[t] = D(t-1, t)
    d2 = np.concatenate([[0.0, 0.0], fs.step(2)])            # d2[t] = D(t-2, t)
    skip = np.zeros(n)
    skip[1: n - 1] = d2[2:]                                   # skip[t] = D(t-1, t+1)
    skip[n - 1] = d1[n - 1]

    cuts: List[Transition] = []
    flashes: List[int] = []
    for t in np.nonzero(d1 >= p.cut_threshold)[0]:
        t = int(t)
        lo, hi = max(1, t - p.window), min(n, t + p.window + 1)
        neigh = np.concatenate([d1[lo: max(lo, t - 1)], d1[min(hi, t + 2): hi]])
        base = float(np.median(neigh)) if len(neigh) else 0.0
        score = d1[t]
        if score < p.cut_threshold or score < p.cut_ratio * base:
            continue
        if score < d1[max(1, t - 1)] or (t + 1 < n and score < d1[t + 1]):
            continue  # not the local peak (the neighbour step is the cut)
        if t + 1 < n and skip[t] < p.flash_ratio * score:
            flashes.append(t)
            continue  # frame t is a flash: t-1 and t+1 agree
        if t >= 2 and d2[t] < p.flash_ratio * score and d1[t - 1] >= 0.5 * score:
            continue  # frame t-1 was the flash
        nb = max(d1[t - 1] if t >= 2 else 0.0, d1[t + 1] if t + 1 < n else 0.0)
        if score < p.peak_ratio * nb:
            continue  # a fast move: the steps around are as large (a cut stands out)
        cuts.append(Transition("cut", frames[t], frames[t], frames[t], float(score)))

    pos = {f: i for i, f in enumerate(frames)}
    cut_idx = {pos[c.frame] for c in cuts}
    dissolves = _find_dissolves(fs, d1, cut_idx, p, flashes)
    spans = [(a - 1, b + 1) for _c, a, b, _s in dissolves]
    cuts = [c for c in cuts if not any(lo <= pos[c.frame] <= hi for lo, hi in spans)]
    out = cuts + [Transition("dissolve", frames[c], frames[a], frames[b], s)
                  for c, a, b, s in dissolves]
    out.sort(key=lambda tr: tr.frame)
    # keep at least min_shot frames between transitions (the stronger one wins)
    kept: List[Transition] = []
    for tr in out:
        if kept and tr.first - kept[-1].last < p.min_shot:
            if tr.score > kept[-1].score:
                kept[-1] = tr
            continue
        kept.append(tr)
    return kept


def _find_dissolves(fs: FeatureStack, d1: np.ndarray, cut_idx, p: CutParams, flashes=(),
                    debug=None):
    n = len(fs)
    found = []  # (centre, first, last, score)
    taken = np.zeros(n, bool)
    cut_sorted = sorted(cut_idx)
    # Cuts are not blocked out here: the first mix of a faint picture into a flat one can look
    # like a cut; "one step carries it" rejects windows holding a real cut, and cuts inside a
    # found dissolve are dropped by the caller.
    taken[list(flashes or ())] = True
    cands = []
    energy = fs.energy + fs.floor
    for L in p.dissolve_lengths:
        if 2 * L >= n:
            continue
        a = np.arange(0, n - 2 * L)
        b = a + 2 * L
        dab = fs.dist(a, b)
        # Cheap necessary conditions, vectorised, before the per-candidate checks:
        # no single step carries the change, and some inside frame has lost contrast.
        win = np.lib.stride_tricks.sliding_window_view(d1[1:], 2 * L)[: len(a)]
        max_step = win.max(axis=1)
        ewin = np.lib.stride_tricks.sliding_window_view(energy[1:], 2 * L - 1)[: len(a)]
        dip = ewin.min(axis=1) / (0.5 * (energy[a] + energy[b]))
        ok = ((dab >= p.dissolve_threshold) & (max_step < np.maximum(p.cut_threshold, 0.5 * dab))
              & (dip <= p.dissolve_dip))
        for ai in np.nonzero(ok)[0]:
            cands.append((float(dab[ai]), int(ai), int(ai + 2 * L)))
    cands.sort(reverse=True)
    for dab, a, b in cands:
        why = _reject_dissolve(fs, d1, taken, cut_sorted, dab, a, b, p)
        if debug is not None:
            debug.append((a, b, dab, why))
        if why:
            continue
        _rel, alpha = fs.mix_residual(a, b)
        # Extent: the frames that hold a visible share of both ends (mix weights in value space,
        # so a faint picture dissolving into a flat one is timed right).
        mixed = np.nonzero((alpha > p.mix_floor) & (alpha < 1.0 - p.mix_floor))[0]
        first, last = a + 1 + int(mixed[0]), a + 1 + int(mixed[-1])
        k = int(np.argmin(np.abs(alpha - 0.5)))
        centre = a + 1 + k
        if alpha[k] > 0.5 and centre < b:
            centre += 1  # the first frame that is more b than a
        found.append((centre, first, last, dab))
        taken[a: b + 1] = True
    return found


def _reject_dissolve(fs, d1, taken, cut_sorted, dab, a, b, p) -> str:
    """Why (a, b) is not a dissolve, or '' when it is."""
    n = len(fs)
    if taken[a: b + 1].any():
        return "overlaps"
    if d1[a + 1: b + 1].max() >= max(p.cut_threshold, 0.5 * dab):
        return "one step carries it"
    # The same span just outside must be much calmer: a dissolve joins two calm stretches, a
    # camera move keeps changing the picture at the same rate before and after.
    m = b - a
    prev_cut = max([c for c in cut_sorted if c <= a] or [0])
    next_cut = min([c - 1 for c in cut_sorted if c > b] or [n - 1])
    la, rb = max(prev_cut, a - m), min(next_cut, b + m)
    outside = []
    if a - la >= max(2, m // 2):
        outside.append(float(fs.dist(np.array([la]), np.array([a]))[0]))
    if rb - b >= max(2, m // 2):
        outside.append(float(fs.dist(np.array([b]), np.array([rb]))[0]))
    # min: one side may hold the next transition; a camera move keeps both sides busy
    if not outside:
        return "no calm frames around to compare"
    if dab < p.span_ratio * min(outside):
        return "as busy outside"
    steps_out = np.concatenate([d1[la + 1: a + 1], d1[b + 1: rb + 1]])
    if len(steps_out) >= 2 and (np.median(d1[a + 1: b + 1])
                                < p.step_ratio * float(np.median(steps_out)) + 0.005):
        return "steps no faster than outside"
    return _reject_mix(fs, a, b, p)


def _reject_mix(fs, a, b, p) -> str:
    rel, alpha = fs.mix_residual(a, b)
    if rel > p.dissolve_residual:
        return f"residual {rel:.2f}"
    if len(alpha):
        # Mixing two unrelated pictures halves the contrast mid-way (variance of a*A + (1-a)*B
        # is ~a^2 var A + (1-a)^2 var B); a camera move keeps the contrast of its picture.
        c = a + 1 + int(np.argmin(np.abs(alpha - 0.5)))
        ends = 0.5 * (fs.energy[a] + fs.energy[b]) + fs.floor
        dip = (fs.energy[c] + fs.floor) / ends
        if dip > p.dissolve_dip:
            return f"no contrast dip ({dip:.2f})"
    if np.any(np.diff(alpha) > 0.15):
        return "weights not monotone"
    if not np.any((alpha > 0.1) & (alpha < 0.9)):
        return "no mixed frames"
    return ""


def shots_from_transitions(first: int, last: int, transitions: Sequence[Transition]
                           ) -> List[Tuple[int, int]]:
    """Contiguous (first, last) shot ranges split at each transition's ``frame``."""
    bounds = [t.frame for t in sorted(transitions, key=lambda t: t.frame) if first < t.frame <= last]
    starts = [first] + bounds
    ends = [b - 1 for b in bounds] + [last]
    return list(zip(starts, ends))


def detect_cuts(seq, proxy: Optional[int] = None, params: Optional[CutParams] = None,
                threads: Optional[int] = None, progress: bool = False,
                thumbs_out: Optional[Dict[int, np.ndarray]] = None) -> CutResult:
    """Detect transitions in a :class:`~.sequence.FrameSequence` (missing frames must be checked first).

    Args:
        seq: the sequence.
        proxy: read downscale factor (default: the largest that keeps >= 128 px width).
        params: detector tuning.
        threads: reader threads.
        progress: show a progress bar.
        thumbs_out: filled with the thumbnail of each frame (reused by curation).
    """
    p = params or CutParams()
    frames = list(seq.frames)
    if len(frames) < 2:
        raise ImagingError(f"need at least 2 frames to find cuts, got {len(frames)}",
                           path=seq.pattern)
    w, _ = seq.size
    proxy = proxy or max(1, w // 128)
    linear = seq.path(frames[0]).lower().endswith(LINEAR_EXTENSIONS)
    thumbs = []
    for f, img in seq.read_many(frames, proxy=proxy, threads=threads, progress=progress):
        th = thumbnail(img, p.grid_width, linear=linear)
        thumbs.append(th)
        if thumbs_out is not None:
            thumbs_out[f] = th
    if len({t.shape for t in thumbs}) > 1:
        raise ImagingError("frames differ in size", path=seq.pattern)
    trans = detect_transitions(thumbs, frames, p)
    fs = FeatureStack(thumbs, p)
    steps = [0.0] + [float(x) for x in fs.step(1)]
    return CutResult(frames, trans, shots_from_transitions(frames[0], frames[-1], trans), steps)


# -- scoring --------------------------------------------------------------------------------------
def score_transitions(predicted: Iterable, truth: Iterable, tolerance: int = 1) -> Dict[str, float]:
    """Precision/recall/F1 of predicted transition frames against the truth.

    Items are frame numbers, :class:`Transition` objects or ground-truth dicts (``{"frame": F,
    "first": a, "last": b}``). A prediction matches a true transition when it is within
    ``tolerance`` frames of its ``frame``, or inside its ``first..last`` span widened by
    ``tolerance`` (dissolves). Each true transition matches at most one prediction.
    """
    def span(x):
        if isinstance(x, Transition):
            return x.frame, x.first, x.last
        if isinstance(x, dict):
            return x["frame"], x.get("first", x["frame"]), x.get("last", x["frame"])
        return int(x), int(x), int(x)

    preds = sorted(span(x)[0] for x in predicted)
    gts = [span(x) for x in truth]
    used = set()
    tp = 0
    for pf in preds:
        best = None
        for gi, (gf, ga, gb) in enumerate(gts):
            if gi in used:
                continue
            if abs(pf - gf) <= tolerance or ga - tolerance <= pf <= gb + tolerance:
                if best is None or abs(pf - gf) < abs(pf - gts[best][0]):
                    best = gi
        if best is not None:
            used.add(best)
            tp += 1
    fp = len(preds) - tp
    fn = len(gts) - tp
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def frames_in_transitions(transitions: Sequence[Transition]) -> List[int]:
    """Every frame that belongs to a dissolve (mixed pictures: never train on them)."""
    out: List[int] = []
    for t in transitions:
        if t.kind == "dissolve":
            out.extend(range(t.first, t.last + 1))
    return out
