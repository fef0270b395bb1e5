"""The demo's steps, each calling only the public API of its room (see demo.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from ..fileio import write_atomic

MARKER = ".nuke-restore-demo"


@dataclass
class DemoState:
    out: Path
    force: bool = True
    footage: Dict[str, Any] = field(default_factory=dict)
    curation_path: Path = None  # type: ignore[assignment]
    align_path: Path = None  # type: ignore[assignment]
    config_path: Path = None  # type: ignore[assignment]
    built: List[Path] = field(default_factory=list)


def footage(state: DemoState) -> str:
    from .._optional import require

    require("numpy", "imaging")
    require("OpenImageIO", "imaging")
    from ..imaging import samples

    state.footage = samples.make_demo_footage(state.out / "footage")
    n = state.footage.get("frame_count") or len(state.footage.get("frames", []))
    return f"sample footage from real photographs in {state.out / 'footage'} ({n} frames)"


def curate(state: DemoState) -> str:
    from ..imaging import curate as curate_mod

    result = curate_mod.curate_to_file(
        state.footage["source"], state.out / "curation.json",
        reference=state.footage.get("reference"))
    state.curation_path = state.out / "curation.json"
    shots = result["shots"]
    return f"{len(shots)} shots, cuts at {[s['first'] for s in shots[1:]]} -> curation.json"


def align(state: DemoState) -> str:
    from ..imaging import align as align_mod

    result = align_mod.align_to_file(
        state.footage["source"], state.footage["reference"], state.out / "align.json",
        per_frame=True)
    state.align_path = state.out / "align.json"
    frames = result["frames"]
    # A frame with too little texture to measure has residual null.
    res = sorted(f["residual"] for f in frames.values() if f.get("residual") is not None)
    median = f"{res[len(res) // 2]:.3f} px" if res else "not measurable"
    text = f"{len(frames)} frames registered, median residual {median}"
    error = _error_against_truth(frames, state.footage)
    if error is not None:
        text += f", median error against the true warps {error:.3f} px"
    flagged = sorted(int(f) for f, r in frames.items()
                     if r.get("residual") is None or r["residual"] > 0.25)
    if flagged:
        # The sample blurs one source frame on purpose: say so, the warning above is expected.
        events = state.footage.get("events", {})
        names = {"blur": "motion-blurred", "flash": "flash frame",
                 "reference_defect": "reference defect"}
        known = {int(f): names[kind] for kind in names for f in events.get(kind, ())}
        why = ", ".join(f"{f} ({known[f]} in the sample: expected)" if f in known else str(f)
                        for f in flagged)
        text += f"; flagged: {why}"
    return text + " -> align.json"


def _error_against_truth(frames: Dict[str, Any], truth: Dict[str, Any]):
    """Median RMS corner error (px) of the estimated Transforms against the sample's warps."""
    import numpy as np

    from ..imaging import geometry

    warps = truth.get("warps") or {}
    width, height = truth.get("size") or (0, 0)
    errors = []
    for f, est in frames.items():
        if f not in warps:
            continue
        m_est = geometry.nuke_matrix(tuple(est["translate"]), est["rotate"], est["scale"],
                                     tuple(est["center"]))
        # ``src_to_ref`` samples the reference at each source pixel: the registering Transform.
        m_true = geometry.nuke_from_sampling(np.array(warps[f]["src_to_ref"]), height)
        errors.append(geometry.corner_error(m_est, m_true, width, height))
    return float(np.median(errors)) if errors else None


def config(state: DemoState) -> str:
    from ..recipes import sample_config_text

    text = sample_config_text(
        footage=state.footage or None,
        curation=state.curation_path.name if state.curation_path else None,
        alignment=state.align_path.name if state.align_path else None,
        base=state.out,
    )
    state.config_path = state.out / "job.yaml"
    write_atomic(state.config_path, text)
    return f"job config covering every procedure -> {state.config_path.name}"


def build(state: DemoState) -> str:
    from ..config import load_config
    from ..recipes import build_to_dir

    cfg = load_config(state.config_path)
    state.built = build_to_dir(cfg, state.out / "scripts", force=True)
    nk = [p for p in state.built if str(p).endswith(".nk")]
    return f"{len(nk)} validated .nk scripts -> scripts/"


def baseline(state: DemoState) -> str:
    from ..imaging import baseline as baseline_mod

    report = baseline_mod.demo_baseline(state.footage, state.out / "baseline")
    return str(report)


def qc(state: DemoState) -> str:
    from ..imaging import qc as qc_mod

    path = qc_mod.demo_report(state.footage, state.out / "qc")
    return f"QC report -> {Path(path).relative_to(state.out)}"


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"
