"""The figures of ``nuke-restore evaluate`` (a headless model beside the colour baselines) as a
section of the QC report: read and check the evaluate JSON, render it as HTML.

No torch here: the JSON is all the QC report needs, so ``nuke-restore qc --model-eval eval.json``
works on a machine without the ml extra.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Dict

from ..errors import ImagingError
from . import report

METRIC_KEYS = ("psnr", "psnr_y", "de00_mean", "de00_p95")
HEADER = ["method", "PSNR dB", "luma PSNR dB", "ΔE00 mean", "ΔE00 p95"]
#: Higher is better for the PSNRs, lower for ΔE00.
HIGHER = (True, True, False, False)
#: Rows that are inputs or bounds, not candidates: never highlighted as best.
NOT_JUDGED = ("source", "chroma_ceiling")


def load_model_eval(path) -> Dict[str, Any]:
    """The evaluate JSON at ``path``, checked; errors name the file and the field."""
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImagingError(f"cannot read the model evaluation: {exc.__class__.__name__}",
                           path=p) from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ImagingError(f"line {getattr(exc, 'lineno', '?')}: not valid JSON "
                           f"({getattr(exc, 'msg', exc)})", path=p) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict) or not doc["metrics"]:
        raise ImagingError("field 'metrics': missing; expected the JSON `nuke-restore evaluate` "
                           "writes", path=p)
    for name, row in doc["metrics"].items():
        for k in METRIC_KEYS:
            v = row.get(k) if isinstance(row, dict) else None
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ImagingError(f"field 'metrics.{name}.{k}': expected a number", path=p)
    if "model" not in doc["metrics"]:
        raise ImagingError("field 'metrics.model': missing (no model row)", path=p)
    for key in ("frames", "fit_frames"):
        v = doc.get(key, [])
        if not isinstance(v, list) or not all(isinstance(f, int) for f in v):
            raise ImagingError(f"field '{key}': expected a list of frame numbers", path=p)
    return doc


def model_eval_section(doc: Dict[str, Any], heading: str = "h2") -> str:
    """The evaluate table as an HTML section (best candidate per column highlighted)."""
    metrics = doc["metrics"]
    # Inputs first, then the model, the baselines, and the chroma-only bound last (the JSON
    # is written with sorted keys, so its own order says nothing).
    first = [n for n in ("source", "model") if n in metrics]
    names = first + [n for n in metrics if n not in first and n != "chroma_ceiling"] + \
        [n for n in ("chroma_ceiling",) if n in metrics]
    rows = [[n] + [float(metrics[n][k]) for k in METRIC_KEYS] for n in names]
    judged = [i for i, n in enumerate(names) if n not in NOT_JUDGED]
    hl = []
    for j, higher in enumerate(HIGHER, start=1):
        vals = [(rows[i][j], i) for i in judged if math.isfinite(rows[i][j])]
        if len(vals) > 1:
            hl.append(((max if higher else min)(vals)[1], j))
    frames = ", ".join(str(f) for f in doc.get("frames", []))
    fit = ", ".join(str(f) for f in doc.get("fit_frames", []))
    model = Path(str(doc.get("model", "model"))).name
    parts = [f"<section><{heading}>Headless model vs colour baselines</{heading}>",
             f"<p>model {html.escape(model)}; held-out frames {html.escape(frames)}; baselines "
             f"fitted on {html.escape(fit)}. Metrics on sRGB-encoded 0-1 values, against the "
             "reference of <code>nuke-restore evaluate</code> (the ground truth when it is one).</p>",
             report.table(HEADER, rows, hl)]
    best, gain = doc.get("best_baseline"), doc.get("model_minus_best_baseline_db")
    notes = []
    if isinstance(best, str) and isinstance(gain, (int, float)):
        notes.append(f"model vs best baseline ({best}): {gain:+.2f} dB PSNR")
    refs = doc.get("reference_frames") or {}
    pairs = sorted((int(f), r) for f, r in refs.items() if str(f).lstrip("-").isdigit()
                   and isinstance(r, int)) if isinstance(refs, dict) else []
    if any(f != r for f, r in pairs):
        notes.append("reference frames: " + ", ".join(f"{f}&rarr;{r}" for f, r in pairs))
    scale = doc.get("reference_scale")
    if isinstance(scale, (int, float)) and scale != 1.0:
        notes.append(f"reference brought to the source's size (scale {scale:g})")
    if notes:
        parts.append('<p class="muted">' + "; ".join(notes) + ". Highlighted: best candidate per "
                     "column (source and chroma-only ceiling excluded).</p>")
    parts.append("</section>")
    return "".join(parts)
