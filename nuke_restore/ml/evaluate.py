"""Measured restoration quality: a model beside the shot-level colour baselines on held-out frames.

Every method is scored against the Reference (the ground truth, when it is one) on the held-out
frames, in display terms (sRGB-encoded 0-1, like the QC report): RGB PSNR, luma PSNR, CIEDE2000 mean
and 95th percentile. Rows: the unrestored ``source``, the ``model``, and the poly / 3D LUT / CDL
baselines of :mod:`nuke_restore.imaging.baseline`, fitted on ``fit_frames`` (never the held-out
ones). With ``chroma_ceiling`` a row for the best any chroma-only method can do is added: the
Reference's CbCr with the Source's Y'.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ..errors import NukeRestoreError

METRIC_KEYS = ("psnr", "psnr_y", "de00_mean", "de00_p95")
BASELINES = ("poly", "lut3d", "cdl")


def score(out_lin: np.ndarray, truth_lin: np.ndarray) -> Dict[str, float]:
    """PSNR, luma PSNR and Delta E 2000 of linear images, compared sRGB-encoded (0-1)."""
    from ..imaging import metrics

    a = metrics.to_display(np.clip(out_lin, 0.0, 1.0), "linear")
    b = metrics.to_display(np.clip(truth_lin, 0.0, 1.0), "linear")
    de = metrics.delta_e_stats(a, b)
    return {"psnr": metrics.psnr(a, b), "psnr_y": metrics.psnr(metrics.luma(a), metrics.luma(b)),
            "de00_mean": de["mean"], "de00_p95": de["p95"]}


def run_model(model, img_lin: np.ndarray) -> np.ndarray:
    import torch

    x = torch.from_numpy(np.ascontiguousarray(img_lin.transpose(2, 0, 1)))[None].float()
    with torch.no_grad():
        y = model(x)
    return y[0].numpy().transpose(1, 2, 0).astype(np.float32)


def chroma_ceiling(src_lin: np.ndarray, truth_lin: np.ndarray) -> np.ndarray:
    from ..imaging.colour import rgb_to_ycbcr, ycbcr_to_rgb

    ys, yt = rgb_to_ycbcr(src_lin), rgb_to_ycbcr(truth_lin)
    return ycbcr_to_rgb(np.concatenate([ys[..., :1], yt[..., 1:]], -1))


def evaluate_arrays(methods: Dict[str, Callable[[np.ndarray], np.ndarray]],
                    held: Sequence[tuple], ceiling: bool = False) -> Dict[str, Dict[str, float]]:
    """Mean metrics per method over held-out (source, truth) linear pairs."""
    rows: Dict[str, List[Dict[str, float]]] = {"source": []}
    for name in methods:
        rows[name] = []
    if ceiling:
        rows["chroma_ceiling"] = []
    for src, truth in held:
        rows["source"].append(score(src, truth))
        for name, fn in methods.items():
            rows[name].append(score(fn(src), truth))
        if ceiling:
            rows["chroma_ceiling"].append(score(chroma_ceiling(src, truth), truth))
    return {name: {k: float(np.mean([r[k] for r in rs])) for k in METRIC_KEYS}
            for name, rs in rows.items()}


def baseline_methods(fit_pairs_lin: Sequence[tuple]) -> Dict[str, Callable]:
    """Poly / 3D LUT / CDL fitted in the sRGB-encoded working domain, applied to linear images."""
    from ..imaging import baseline as bl

    enc = [(bl.encode(s, "linear"), bl.encode(r, "linear")) for s, r in fit_pairs_lin]
    out: Dict[str, Callable] = {}
    for method in BASELINES:
        fitted = bl.fit(enc, method)
        out[method] = (lambda f: lambda img: bl.decode(np.clip(f(bl.encode(img, "linear")),
                                                               0.0, 1.0), "linear"))(fitted)
    return out


def evaluate_sequences(model_path, source, reference, frames: Sequence[int],
                       fit_frames: Optional[Sequence[int]] = None, align: bool = False,
                       ceiling: bool = False, progress: bool = False, frame_map=None,
                       allow_missing: bool = False) -> Dict[str, Any]:
    """Score ``model_path`` (checkpoint or exported .pt) and the baselines on held-out ``frames``.

    ``frames`` and ``fit_frames`` are source frame numbers; ``frame_map`` (a
    :class:`~nuke_restore.framemap.FrameMap`, ``None`` = same numbers) names the reference frame of
    each, as ``--reference-offset`` / ``--frame-map`` do for the imaging commands, and a reference of
    another size is brought to the source's (:func:`nuke_restore.ml.data.to_format`, the built
    graph's ``Reformat_REF``).
    """
    from ..framemap import FrameMap
    from ..imaging import align as alignmod
    from ..imaging.pairs import open_sequence, pair_frames, pick_even
    from ..imaging.progress import progress_bar
    from .data import read_linear, to_format
    from .export import load_any

    model, settings = load_any(model_path)
    src_seq, ref_seq = open_sequence(source), open_sequence(reference)
    held_p = pair_frames(src_seq, ref_seq, frame_map, frames, allow_missing)
    held = held_p.source_frames
    fmap = frame_map if frame_map is not None else FrameMap.identity()
    if fit_frames is None:
        rest = [f for f in src_seq.frames if f not in set(held)
                and fmap.reference(f) is not None and ref_seq.exists(fmap.reference(f))]
        if not rest:
            raise NukeRestoreError("no frames left to fit the baselines on: give --fit-frames")
        fit_frames = pick_even(rest, 4)
    overlap = sorted(set(fit_frames) & set(held))
    if overlap:
        raise NukeRestoreError(f"frames {overlap} are both held out and used for fitting")
    fit_p = pair_frames(src_seq, ref_seq, frame_map, fit_frames, allow_missing)
    fit_frames = fit_p.source_frames
    ref_of = dict(held_p.pairs + fit_p.pairs)
    size = tuple(src_seq.spec(held[0])[:2])

    def pair(f: int):
        s = read_linear(src_seq, f)
        r = to_format(read_linear(ref_seq, ref_of[f]), size, ref_seq.path(ref_of[f]))
        if align:
            r = alignmod.apply(r, alignmod.estimate(s, r))
        return s, r

    fit_pairs = [pair(f) for f in progress_bar(fit_frames, desc="fit baselines",
                                               enabled=progress)]
    methods = baseline_methods(fit_pairs)
    methods = {"model": lambda img: run_model(model, img), **methods}
    held_pairs = [pair(f) for f in progress_bar(held, desc="held-out frames", enabled=progress)]
    table = evaluate_arrays(methods, held_pairs, ceiling)
    best = max(BASELINES, key=lambda m: table[m]["psnr"])
    rw, rh = ref_seq.spec(ref_of[held[0]])[:2]
    return {
        "model": str(model_path), "settings": settings,
        "source": str(source), "reference": str(reference),
        "frames": list(held), "fit_frames": list(fit_frames), "aligned": align,
        "reference_frames": {str(f): ref_of[f] for f in list(held) + list(fit_frames)},
        "reference_scale": round(size[0] / float(rw), 6) if (rw, rh) != size else 1.0,
        "pairing": held_p.describe(),
        "metrics": table, "best_baseline": best,
        "model_minus_best_baseline_db": table["model"]["psnr"] - table[best]["psnr"],
    }


def report_section(doc: Dict[str, Any]) -> str:
    """An HTML section for the QC report or a page of its own
    (:func:`nuke_restore.imaging.model_eval.model_eval_section`)."""
    from ..imaging.model_eval import model_eval_section

    return model_eval_section(doc)


def write_outputs(doc: Dict[str, Any], json_path, html_path=None, force: bool = False) -> None:
    from ..fileio import check_outputs, write_atomic
    from ..imaging import report

    check_outputs([json_path, html_path], force=force)
    write_atomic(json_path, json.dumps(doc, indent=1, sort_keys=True) + "\n", force=True)
    if html_path:
        write_atomic(html_path, report.page("nuke_restore: model evaluation",
                                            report_section(doc)), force=True)
