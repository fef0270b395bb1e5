"""QC of renders against the source and the reference, and the self-contained HTML report.

The published workflow has no numeric acceptance rules, only visual 3- and 4-way comparisons; this
module measures what those comparisons look for:

* **chroma** jobs must keep the source's luma and take the reference's colour: luma PSNR, SSIM
  and the 99th-percentile |dY'| of each render against the *source*, and CIEDE2000 against the aligned
  *reference* computed on low-passed images (sigma 2 px, so that the reference's softness and the
  source's grain do not count as colour error);
* **spatial** jobs must keep the source's chroma and take the reference's detail: Cb/Cr PSNR
  against the source, PSNR-Y/SSIM-Y against the reference, and the high-frequency energy of luma
  relative to the reference (grain and sharpness; 1.0 = as much as the reference).

With a ground truth (sample footage) PSNR and CIEDE2000 against it are added. All values are
computed on sRGB-encoded pixels (linear EXR is encoded first), so the numbers are comparable
across sources.
"""
from __future__ import annotations

import html
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from scipy import ndimage

from ..errors import ImagingError, OutputExistsError
from ..fileio import write_atomic
from . import metrics, report
from .colour import rgb_to_ycbcr

logger = logging.getLogger(__name__)

MODES = ("chroma", "spatial")

#: (key, label, better) per mode; ``better`` is "high" or "low" for the summary highlight.
METRICS = {
    "chroma": [
        ("de00_ref", "dE00 vs reference (colour, low-pass)", "low"),
        ("de00_ref_p95", "dE00 vs reference p95", "low"),
        ("luma_psnr_src", "luma PSNR vs source (dB)", "high"),
        ("luma_drift_p99", "luma drift p99 |dY'|", "low"),
        ("ssim_y_src", "SSIM-Y vs source", "high"),
        ("colourfulness", "colourfulness", None),
    ],
    "spatial": [
        ("chroma_psnr_src", "Cb/Cr PSNR vs source (dB)", "high"),
        ("psnr_y_ref", "PSNR-Y vs reference (dB)", "high"),
        ("ssim_y_ref", "SSIM-Y vs reference", "high"),
        ("hf_ratio_ref", "HF energy / reference", None),
        ("sharpness", "sharpness (mean |grad Y'|)", None),
    ],
}
TRUTH_METRICS = [("psnr_truth", "PSNR vs truth (dB)", "high"),
                 ("de00_truth", "dE00 vs truth", "low")]


def frame_metrics(source: np.ndarray, reference: np.ndarray, candidates: Dict[str, np.ndarray],
                  mode: str, truth: Optional[np.ndarray] = None) -> Dict[str, Dict[str, float]]:
    """Metrics of each candidate (and of the source and reference themselves) for one frame.

    All arrays are sRGB-encoded float RGB of one size; ``reference`` is already aligned.
    """
    if mode not in MODES:
        raise ImagingError(f"unknown QC mode {mode!r}; use one of {MODES}")
    rows = {"source": source, "reference": reference}
    rows.update(candidates)
    for name, img in rows.items():
        if img.shape != source.shape:
            raise ImagingError(f"{name} is {img.shape[1]}x{img.shape[0]} but the source is "
                               f"{source.shape[1]}x{source.shape[0]}")
    ys = rgb_to_ycbcr(source)
    yr = rgb_to_ycbcr(reference)
    out: Dict[str, Dict[str, float]] = {}
    if mode == "chroma":
        ref_lab = metrics.srgb_to_lab(_lowpass(reference))
    else:
        hf_ref = metrics.hf_energy(reference)
    truth_lab = metrics.srgb_to_lab(truth) if truth is not None else None
    for name, img in rows.items():
        img = np.clip(img, 0.0, 1.0)
        m: Dict[str, float] = {}
        yc = rgb_to_ycbcr(img)
        if mode == "chroma":
            de = metrics.delta_e2000(metrics.srgb_to_lab(_lowpass(img)), ref_lab)
            m["de00_ref"] = float(de.mean())
            m["de00_ref_p95"] = float(np.percentile(de, 95))
            m["luma_psnr_src"] = metrics.psnr(yc[..., 0], ys[..., 0])
            m["luma_drift_p99"] = float(np.percentile(np.abs(yc[..., 0] - ys[..., 0]), 99))
            m["ssim_y_src"] = metrics.ssim(yc[..., 0], ys[..., 0])
            m["colourfulness"] = metrics.colourfulness(img)
        else:
            m["chroma_psnr_src"] = metrics.psnr(yc[..., 1:], ys[..., 1:])
            m["psnr_y_ref"] = metrics.psnr(yc[..., 0], yr[..., 0])
            m["ssim_y_ref"] = metrics.ssim(yc[..., 0], yr[..., 0])
            m["hf_ratio_ref"] = metrics.hf_energy(img) / max(hf_ref, 1e-12)
            m["sharpness"] = metrics.sharpness(img)
        if truth is not None:
            m["psnr_truth"] = metrics.psnr(img, truth)
            m["de00_truth"] = float(metrics.delta_e2000(metrics.srgb_to_lab(img),
                                                        truth_lab).mean())
        out[name] = m
    return out


def _lowpass(img: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    return ndimage.gaussian_filter(np.asarray(img, np.float32), (sigma, sigma, 0), mode="nearest")


@dataclass
class QCResult:
    """Per-frame metrics and the pictures for the report."""

    mode: str
    frames: List[int]
    values: Dict[int, Dict[str, Dict[str, float]]]
    names: List[str]
    panels: Dict[int, Dict[str, np.ndarray]] = field(default_factory=dict)
    spectra: Dict[str, tuple] = field(default_factory=dict)
    inputs: Dict[str, str] = field(default_factory=dict)
    align: Dict[int, float] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    setup: Dict[str, object] = field(default_factory=dict)
    # `nuke-restore evaluate` JSON (qc --model-eval): shown as its own section, kept in the JSON.
    model_eval: Optional[Dict[str, object]] = None

    def summary(self) -> Dict[str, Dict[str, float]]:
        """Mean of each metric over the frames, per candidate (inf/nan ignored)."""
        out: Dict[str, Dict[str, float]] = {}
        for name in self.names:
            keys = next(iter(self.values.values()))[name].keys()
            out[name] = {}
            for k in keys:
                v = np.array([self.values[f][name][k] for f in self.frames], float)
                v = v[np.isfinite(v)]
                out[name][k] = float(v.mean()) if v.size else float("nan")
        return out

    def to_json(self) -> Dict[str, object]:
        def clean(x):
            return None if isinstance(x, float) and not math.isfinite(x) else x

        return {
            "mode": self.mode, "frames": self.frames, "inputs": self.inputs,
            "summary": {n: {k: clean(v) for k, v in d.items()} for n, d in self.summary().items()},
            "per_frame": {str(f): {n: {k: clean(v) for k, v in d.items()}
                                   for n, d in self.values[f].items()} for f in self.frames},
            "alignment_residual_px": {str(f): clean(v) for f, v in self.align.items()},
            **self.setup,
            **({"model_evaluation": self.model_eval} if self.model_eval is not None else {}),
        }


MIN_SIZE = (32, 24)  # smallest frame (w, h) the metrics are meaningful on


def run_qc(source, reference, candidates: Optional[Dict[str, object]] = None,
           frames: Optional[Sequence[int]] = None, mode: str = "chroma", truth=None,
           align_reference: bool = False, derived: Optional[Dict[str, Callable]] = None,
           encodings: Optional[Dict[str, str]] = None, panel_frames: int = 4,
           max_frames: int = 24, progress: bool = False, *, frame_map=None,
           allow_missing: bool = False, colour=None) -> QCResult:
    """Measure renders on chosen frames.

    Args:
        source, reference: sequences (pattern/file/folder or FrameSequence). The reference may be
            numbered differently (``frame_map``) and sized differently (same aspect ratio).
        candidates: name -> sequence of renders to judge (e.g. ``baseline``, ``output``),
            numbered like the source.
        frames: source frames to compare (all must exist in the source and every render);
            default up to ``max_frames`` spread over the paired range.
        mode: "chroma" or "spatial".
        truth: optional ground-truth sequence (numbered like the source).
        align_reference: register the reference onto the source per frame first.
        derived: name -> f(source, aligned_reference) computed per frame (e.g. a target build).
        encodings: role -> colour space name (or "linear"/"srgb") overrides; ignored when
            ``colour`` is given.
        panel_frames: frames that get picture panels in the report.
        frame_map: a :class:`~nuke_restore.framemap.FrameMap` for the reference.
        allow_missing: skip frames whose reference frame is missing instead of refusing.
        colour: an :class:`~.ocio.Colour`; roles ``source``, ``reference``, ``truth`` and each
            candidate name.

    Raises:
        ImagingError: unknown mode, missing frames, other aspect ratio, unreadable files, a
            render whose pixels look encoded otherwise than its colour space says (undeclared).
    """
    from . import align as align_mod
    from .ocio import Colour
    from .pairs import open_sequence, pick_even, read, setup_pairs
    from .progress import progress_bar

    if mode not in MODES:
        raise ImagingError(f"unknown QC mode {mode!r}; use one of {MODES}")
    if colour is None:
        colour = Colour(declared=dict(encodings or {}))
    seqs = {}
    for name, seq in (candidates or {}).items():
        if name in ("source", "reference", "truth"):
            raise ImagingError(f"candidate name {name!r} is reserved")
        seqs[name] = open_sequence(seq)
        gaps = seqs[name].missing
        if gaps:
            # A render with a hole is a failed task, not a frame to skip quietly.
            from .sequence import _format_frames

            raise ImagingError(f"{name} render is missing frame(s) {_format_frames(gaps)} inside "
                               f"{seqs[name].first}-{seqs[name].last}: an incomplete render",
                               path=seqs[name].pattern)
    if truth is not None:
        seqs["truth"] = open_sequence(truth)
    src_seq = open_sequence(source)
    if frames is None:
        # The source frames every render (and the truth) has.
        common = set(src_seq.frames)
        for s in seqs.values():
            common &= set(s.frames)
        if not common:
            names = ", ".join(f"{k} {s.first}-{s.last}" for k, s in seqs.items())
            raise ImagingError(f"no frame in common between the source {src_seq.first}-"
                               f"{src_seq.last} and {names}", path=src_seq.pattern)
        want = sorted(common)
    else:
        want = sorted(set(int(f) for f in frames))
        for name, s in seqs.items():
            absent = [f for f in want if not s.exists(f)]
            if absent:
                from .sequence import _format_frames

                raise ImagingError(f"{name} is missing frame(s) {_format_frames(absent)}",
                                   path=s.pattern)
    setup = setup_pairs(src_seq, reference, frame_map, want, allow_missing, colour)
    todo = setup.frames
    if frames is None:
        todo = pick_even(todo, max_frames)
    w, h = setup.size
    for name, s in seqs.items():
        cw, ch, _c = s.spec(todo[0])
        if (cw, ch) != (w, h):
            raise ImagingError(f"size mismatch at frame {todo[0]}: the source is {w}x{h} but "
                               f"{name} is {cw}x{ch} (renders are compared at the source's "
                               "format)", path=s.path(todo[0]))
    if w < MIN_SIZE[0] or h < MIN_SIZE[1]:
        # SSIM windows and grain spectra need some picture; below this the figures are noise.
        raise ImagingError(f"frames of {w}x{h} are too small to measure: need at least "
                           f"{MIN_SIZE[0]}x{MIN_SIZE[1]} pixels", path=src_seq.path(todo[0]))
    for name, s in seqs.items():
        colour.space(name, s.path(todo[0]))
    src0 = setup.read_source(todo[0])
    ref0 = setup.read_reference(todo[0])
    for name in candidates or {}:
        if name not in colour.declared:
            check_encoding(name, read(seqs[name], todo[0]), (src0, ref0), colour,
                           seqs[name].path(todo[0]))
    names = ["source", "reference"] + list(candidates or {}) + list(derived or {})
    shown = set(pick_even(todo, panel_frames))
    inputs = {"source": src_seq.nuke_pattern(), "reference": setup.reference.nuke_pattern()}
    inputs.update({k: s.nuke_pattern() for k, s in seqs.items()})
    result = QCResult(mode, todo, {}, names, inputs=inputs)
    result.notes = setup.lines()
    result.setup = setup.describe()
    for f in progress_bar(todo, desc="qc", enabled=progress):
        imgs = {k: colour.to_analysis(read(s, f), k) for k, s in seqs.items()}
        src = src0 if f == todo[0] else setup.read_source(f)
        ref = setup.read_reference(f)
        gt = imgs.pop("truth", None)
        if align_reference:
            res = align_mod.estimate(src, ref)
            result.align[f] = res.residual
            ref = align_mod.apply(ref, res)
            # Outside the moved reference there is no picture: use the source there.
            valid = align_mod.warp_image(np.ones(src.shape[:2], np.float32), res.sampling) > 0.999
            ref = np.where(valid[..., None], ref, src)
        for name, fn in (derived or {}).items():
            imgs[name] = np.asarray(fn(src, ref), np.float32)
        result.values[f] = frame_metrics(src, ref, imgs, mode, gt)
        if f in shown:
            result.panels[f] = _panels(src, ref, imgs, mode, gt)
        if f == todo[len(todo) // 2]:
            allimg = {"source": src, "reference": ref, **imgs}
            result.spectra = {k: metrics.radial_spectrum(np.clip(v, 0, 1), 48)
                              for k, v in allimg.items()}
    return result


def check_encoding(name: str, raw: np.ndarray, inputs, colour, path) -> None:
    """Refuse a render whose pixels look encoded otherwise than its (undeclared) colour space.

    A render keeps the source's luma (a chroma restoration) or takes the reference's tones (a
    baseline grade), so its luma, decoded correctly, lies near one of them (``inputs``: the
    source and the reference, analysis domain). If reading it the other way (display-encoded values taken as linear or the reverse)
    brings it much closer, the file was written in another encoding than its type says: comparing
    it as it stands would encode it twice (or not at all). Declaring its colour space overrides.
    """
    from .colour import linear_to_srgb

    cs = colour.used[name][0]
    as_read = colour.to_analysis(raw, name)
    if colour.is_linear(name):
        other, alt = np.asarray(raw, np.float32), "sRGB-encoded (display) values"
    else:
        other, alt = linear_to_srgb(np.clip(raw, 0, None)), "linear values"
    w = np.array([0.2126, 0.7152, 0.0722], np.float32)
    ys = [np.clip(x, 0, 1) @ w for x in inputs]

    def dist(img):
        y = np.clip(img, 0, 1) @ w
        return min(float(np.median(np.abs(y - yi))) for yi in ys)

    d_read, d_other = dist(as_read), dist(other)
    if d_read > 0.04 and d_other < 0.5 * d_read:
        raise ImagingError(
            f"{name} reads as {cs!r} ({colour.used[name][1]}) but its pixels look like {alt}: "
            f"median luma difference to the source or reference {d_read:.3f} as read, {d_other:.3f} the other "
            f"way. Comparing it as it is would be wrong; declare its colour space "
            f"(--{name}-colourspace NAME) if it really is {cs!r}", path=str(path))


def _judged(imgs: Dict[str, np.ndarray]) -> Optional[str]:
    """The render the heat maps are about: ``output`` if given, else the first candidate."""
    if "output" in imgs:
        return "output"
    return next(iter(imgs), None)


def _heat(x: np.ndarray, what: str):
    """Heat map scaled to this image's own 99.5th percentile (white), and that value.

    Each map has its own scale (printed beside it), so a small error still shows its pattern;
    compare magnitudes with the printed scales and the tables, not the brightness.
    """
    from .align import heat_colours

    floor = {"luma": 1e-4, "chroma": 1e-4, "de": 0.01}[what]  # only guards a zero image
    top = max(float(np.percentile(x, 99.5)), floor)
    return heat_colours(x / top), top


CROP = 256  # side of the 1:1 crops, pixels (smaller frames: their short side)


def detail_box(img: np.ndarray, side: int = CROP) -> tuple:
    """``(x0, y0, side)`` of the most detailed square of ``img`` (most luma gradient energy).

    Searched on a coarse grid of positions (quarter-side steps) so it is cheap; a flat frame
    gives the centre.
    """
    h, w = img.shape[:2]
    side = int(min(side, h, w))
    y = np.clip(img, 0, 1) @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    gy, gx = np.gradient(y)
    energy = gx * gx + gy * gy
    integ = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    step = max(1, side // 4)
    best, box = -1.0, ((w - side) // 2, (h - side) // 2)
    cx, cy = box
    for y0 in sorted(set(list(range(0, h - side + 1, step)) + [h - side, cy])):
        for x0 in sorted(set(list(range(0, w - side + 1, step)) + [w - side, cx])):
            e = (integ[y0 + side, x0 + side] - integ[y0, x0 + side] - integ[y0 + side, x0]
                 + integ[y0, x0])
            # ties (a flat frame) keep the centre: strictly more detail moves the box
            if e > best * (1 + 1e-6) + 1e-12 or ((x0, y0) == (cx, cy) and e >= best):
                best, box = float(e), (x0, y0)
    return box[0], box[1], side


def _panels(src, ref, imgs, mode, truth) -> Dict[str, np.ndarray]:
    p = {"source": src, "reference": ref}
    p.update(imgs)
    if truth is not None:
        p["truth"] = truth
    h, w = src.shape[:2]
    # Frames the thumbnails already show 1:1 get a half-size crop shown at 2:1 instead.
    zoom = 1 if w > THUMB_WIDTH else 2
    x0, y0, side = detail_box(src, CROP if zoom == 1 else min(h, w) // 2)
    for name in list(p):
        p[f"crop: {name} ({zoom}:1, {side}x{side} px at x {x0}, y {y0} from the top left)"] = \
            np.clip(p[name][y0:y0 + side, x0:x0 + side], 0, 1)
    name = _judged(imgs)
    target = imgs[name] if name else src
    label = name or "source"
    ys, yt = rgb_to_ycbcr(src), rgb_to_ycbcr(np.clip(target, 0, 1))
    if mode == "chroma":
        img, top = _heat(np.abs(yt[..., 0] - ys[..., 0]), "luma")
        p[f"heat: |dY'| {label} vs source (white = {top:.3f})"] = img
        de = metrics.delta_e2000(metrics.srgb_to_lab(_lowpass(np.clip(target, 0, 1))),
                                 metrics.srgb_to_lab(_lowpass(ref)))
        img, top = _heat(de, "de")
        p[f"heat: dE00 {label} vs reference (white = {top:.1f})"] = img
    else:
        d = np.sqrt(np.sum((yt[..., 1:] - ys[..., 1:]) ** 2, axis=-1))
        img, top = _heat(d, "chroma")
        p[f"heat: |dCbCr| {label} vs source (white = {top:.3f})"] = img
        yr = rgb_to_ycbcr(ref)
        img, top = _heat(np.abs(yt[..., 0] - yr[..., 0]), "luma")
        p[f"heat: |dY'| {label} vs reference (white = {top:.3f})"] = img
    return p


THUMB_WIDTH = 360  # thumbnails are box-filtered down to at most this width


def _thumb(img: np.ndarray, max_w: int = THUMB_WIDTH) -> np.ndarray:
    from .sequence import box_downscale

    k = int(math.ceil(img.shape[1] / max_w))
    return box_downscale(np.asarray(img, np.float32), k) if k > 1 else img


def render_html(result: QCResult, title: str = "nuke_restore QC") -> str:
    """The report as one self-contained HTML string."""
    mode = result.mode
    specs = METRICS[mode] + (TRUTH_METRICS if any(
        "psnr_truth" in d for d in next(iter(result.values.values())).values()) else [])
    summ = result.summary()
    body = [f"<p>Mode <b>{mode}</b>; {len(result.frames)} frame(s): "
            f"{html.escape(_frames_text(result.frames))}. Values on sRGB-encoded Rec.709 pixels (each "
            f"input decoded from its colour space through OpenColorIO). "
            f"Rows <i>source</i> and <i>reference</i> are the untouched inputs, for scale.</p>"]
    body.append("<h2>Inputs</h2>" + report.table(
        ["role", "sequence"], [(k, v) for k, v in result.inputs.items()]))
    if result.notes:
        body.append("<ul class='muted'>" + "".join(f"<li>{html.escape(n)}</li>"
                                                   for n in result.notes) + "</ul>")
    if result.align:
        r = np.array(list(result.align.values()), float)
        bad = [f for f, v in result.align.items() if not v <= 0.25]
        body.append(f"<p>Reference registered per frame before comparison: median residual "
                    f"{np.nanmedian(r):.3f} px, worst {np.nanmax(r):.3f} px"
                    + (f' <span class="flag">above 0.25 px on {bad}</span>' if bad else "")
                    + "</p>")
    header = ["render"] + [label for _, label, _ in specs]
    rows, hl = [], []
    cand_rows = list(result.names)
    for n in cand_rows:
        rows.append([n] + [summ[n].get(k, float("nan")) for k, _, _ in specs])
    judged = [i for i, n in enumerate(cand_rows) if n not in ("source", "reference")]
    for j, (_k, _, better) in enumerate(specs, start=1):
        vals = [(rows[i][j], i) for i in judged if math.isfinite(rows[i][j])]
        # "best" only means something between two or more renders
        if better and len(vals) > 1:
            best = (max if better == "high" else min)(vals)[1]
            hl.append((best, j))
    body.append("<h2>Summary (mean over frames)</h2>" + report.table(header, rows, hl))
    body.append('<p class="muted">'
                + ("Highlighted: best render per column (inputs excluded). " if hl else "")
                + _mode_note(mode) + "</p>")
    if result.model_eval is not None:
        from .model_eval import model_eval_section

        body.append(model_eval_section(result.model_eval))
    colours = {n: report.PALETTE[i % len(report.PALETTE)] for i, n in enumerate(result.names)}
    body.append("<h2>Per frame</h2><div class='grid'>")
    for k, label, _ in specs[:4]:
        series = {n: [result.values[f][n][k] for f in result.frames] for n in result.names
                  if not (k.endswith("_src") and n == "source")}
        body.append(report.line_chart(result.frames, series, label, label, colours=colours))
    if result.align:
        fs = sorted(result.align)
        body.append(report.line_chart(fs, {"residual": [result.align[f] for f in fs],
                                           "0.25 px goal": [0.25] * len(fs)},
                                      "registration residual (px)", "px"))
    body.append("</div>")
    if result.spectra:
        f0 = next(iter(result.spectra.values()))[0]
        series = {n: sp[1][1:] for n, sp in result.spectra.items()}
        body.append("<h2>Grain and sharpness: radially averaged power spectrum of luma</h2>")
        body.append(report.line_chart(f0[1:], series, "power spectrum (middle frame)", "power",
                                      xlabel="cycles / pixel", logy=True, width=700,
                                      height=300, colours=colours))
    body.append("<h2>Comparisons</h2>")
    body.append('<p class="muted">Thumbnails show whole frames; the crops below them are 1:1 '
                '(one image pixel per screen pixel; 2:1 for frames the thumbnails already show '
                'whole) from the most detailed region of the source, to judge grain and '
                'sharpness. Heat maps are scaled to their own 99.5th '
                'percentile (the value printed as white).</p>')
    for f in sorted(result.panels):
        body.append(f"<h3>Frame {f}</h3><div class='grid'>")
        crops = []
        for name, img in result.panels[f].items():
            if name.startswith("crop: "):
                crops.append((name[len("crop: "):], img))
            else:
                body.append(report.figure(_thumb(img), name))
        body.append("</div>")
        if crops:
            body.append("<div class='grid'>")
            for name, img in crops:
                zoom = 2 if " (2:1," in name else 1
                body.append(report.figure(img, name, width=img.shape[1] * zoom, pixelated=True))
            body.append("</div>")
    return report.page(title, "".join(body))


def _mode_note(mode: str) -> str:
    if mode == "chroma":
        return ("A chroma render should keep the source's luma (high luma PSNR, small drift) "
                "and come close to the reference's colour (low dE00).")
    return ("A spatial render should keep the source's chroma (high Cb/Cr PSNR) and approach "
            "the reference's detail (PSNR-Y/SSIM-Y up, HF energy ratio near 1 without halos).")


def _frames_text(frames: Sequence[int]) -> str:
    try:
        import fileseq

        return str(fileseq.FrameSet(list(frames)))
    except ImportError:  # pragma: no cover
        return ",".join(map(str, frames))


def write_report(result: QCResult, path, force: bool = False, json_path=None,
                 title: str = "nuke_restore QC") -> Path:
    """Write the HTML report (and optionally the metrics JSON) atomically."""
    path = Path(path)
    for p in (path, json_path):
        if p is not None and Path(p).exists() and not force:
            raise OutputExistsError("exists; use --force to overwrite", path=str(p))
    text = render_html(result, title)
    if json_path is not None:
        write_atomic(json_path, json.dumps(result.to_json(), indent=1) + "\n", force=True)
    write_atomic(path, text, force=True)
    return path


def demo_report(footage: Dict[str, object], outdir) -> Path:
    """The demo's QC: source vs reference vs the poly baseline and the freq-split target.

    There is no CopyCat render in a headless demo, so the judged rows are the MatchGrade-like
    baseline and the frequency-split training target; the sample's ground truth scores them.
    """
    from .baseline import demo_baseline, matched_target
    from .pairs import open_sequence

    out = Path(outdir)
    render = out.parent / "baseline" / "render" / "baseline.####.exr"
    if not any(render.parent.glob("baseline.*.exr")):
        demo_baseline(footage, out.parent / "baseline")
    shot = footage["shots"][0]  # type: ignore[index]
    frames = [f for f in open_sequence(str(render)).frames
              if int(shot["first"]) <= f <= int(shot["last"])]
    result = run_qc(footage["source"], footage["reference"], {"baseline (poly)": str(render)},
                    frames=frames, mode="chroma", truth=footage.get("truth"),
                    align_reference=True, derived={"freq-split target": matched_target})
    return write_report(result, out / "qc_report.html", force=True,
                        json_path=out / "qc_metrics.json", title="nuke_restore demo QC")
