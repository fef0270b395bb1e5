"""Registration of whole sequences: frame pairing, colour, one transform per shot or per frame.

:func:`align_sequences` reads each source frame and its reference frame (through a frame map,
at the source's format, decoded through OpenColorIO; see ``pairs.setup_pairs``), registers them
with :func:`~.align.estimate`, and combines the fits of a shot into one Transform (the
element-wise median), written on every frame of the shot when the shots come from a curation.
Without shots, one transform spans the frames and a warning names any cut found inside them.
"""
from __future__ import annotations

import logging
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from .align import (
    AlignOptions,
    AlignResult,
    _downsample,
    _ncc,
    _roi_pixels,
    combine,
    estimate,
    structure,
    to_luma,
)
from .geometry import NukeTransform, nuke_from_sampling, warp_image
from .residual import residual_tiles, summarise_tiles

logger = logging.getLogger("nuke_restore.imaging.align")


def align_sequences(source, reference, frames: Optional[Sequence[int]] = None,
                    per_frame: bool = False, options: Optional[AlignOptions] = None,
                    proxy: int = 1, shot_samples: int = 8,
                    source_encoding: Optional[str] = None,
                    reference_encoding: Optional[str] = None,
                    progress: bool = False, *, frame_map=None, allow_missing: bool = False,
                    colour=None, shots: Optional[Sequence[Tuple[int, int]]] = None,
                    check_cuts: bool = True
                    ) -> Tuple[Dict[str, object], Dict[int, AlignResult]]:
    """Register a reference sequence onto a source sequence.

    Args:
        source: pattern/file/folder or FrameSequence of the element that stays put.
        reference: the element to move (any size of the source's aspect: it is brought to the
            source's format first, as a Reformat would).
        frames: source frames to analyse; default all source frames with a reference frame.
        per_frame: one Transform per frame (keyframes) instead of one per shot.
        options: :class:`AlignOptions`.
        proxy: integer downscale for speed; values are reported at full resolution.
        shot_samples: per-shot mode registers at most this many evenly spread frames per shot
            and uses the median transform.
        source_encoding, reference_encoding: colour space names (or the older "linear" /
            "srgb"); ignored when ``colour`` is given. Default from the file type.
        progress: show a progress bar.
        frame_map: a :class:`~nuke_restore.framemap.FrameMap` (reference frame per source frame).
        allow_missing: skip source frames whose reference frame is missing instead of refusing.
        colour: an :class:`~.ocio.Colour` (config and declared colour spaces).
        shots: ``[(first, last), ...]`` source frame ranges (from a curation): one transform per
            shot, written on every frame of the shot. Without it, one transform spans all
            frames, and a warning names any cut found inside them.
        check_cuts: look for cuts when ``shots`` is not given (shot mode only).

    Returns:
        (document, results): the ``{"frames": {...}}`` JSON document (plus ``mode``, ``model``,
        ``shots``, colour, frame numbering and reference scale) and the per-frame results of the
        analysed frames.

    Raises:
        ImagingError: missing frames, other aspect ratio, unreadable files, nothing to register.
    """
    from .ocio import Colour
    from .pairs import pick_even, setup_pairs
    from .progress import progress_bar

    if colour is None:
        colour = Colour(declared={"source": source_encoding, "reference": reference_encoding})
    setup = setup_pairs(source, reference, frame_map, frames, allow_missing, colour)
    todo = setup.frames
    opts = options or AlignOptions()
    groups = _shot_groups(todo, shots)
    results: Dict[int, AlignResult] = {}
    shot_docs: List[Dict[str, object]] = []
    entries: Dict[int, Dict[str, object]] = {}
    plan = [(grp, grp if per_frame else pick_even(grp, shot_samples)) for grp in groups]
    bar = progress_bar([f for _, an in plan for f in an], desc="align", enabled=progress)
    it = iter(bar)
    for grp, analyse in plan:
        got: Dict[int, AlignResult] = {}
        images: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
        for f in analyse:
            next(it, None)
            src = setup.read_source(f, proxy)
            ref = setup.read_reference(f, proxy)
            try:
                got[f] = estimate(src, ref, opts)
            except ImagingError as exc:
                raise ImagingError(f"frame {f}: {exc.message}",
                                   path=setup.reference.path(setup.pairing.reference(f))) from exc
            if not per_frame:
                images[f] = (to_luma(src), to_luma(ref))
        if not per_frame:
            g = combine(list(got.values()))
            for f, (sl, rl) in images.items():
                got[f] = _rescore(sl, rl, g, opts)
        if proxy > 1:
            got = {f: _scale_result(r, proxy) for f, r in got.items()}
        results.update(got)
        for f in sorted(got):
            entries[f] = _entry(got[f])
        if shots is not None:
            res = [r.residual for r in got.values() if math.isfinite(r.residual)]
            sd: Dict[str, object] = {"first": grp[0], "last": grp[-1],
                                     "measured": sorted(got),
                                     "residual": round(float(np.median(res)), 4) if res else None}
            if not per_frame:
                one = next(iter(got.values()))
                sd["transform"] = one.transform.to_json()
                for f in grp:  # one transform per shot, keyed on every frame of the shot
                    entries.setdefault(f, one.transform.to_json())
            shot_docs.append(sd)
    doc: Dict[str, object] = {"frames": {str(f): entries[f] for f in sorted(entries)}}
    doc["mode"] = "per-frame" if per_frame else "shot"
    doc["model"] = opts.model
    if shots is not None:
        doc["shots"] = shot_docs
    elif not per_frame:
        doc["shot"] = next(iter(results.values())).transform.to_json()
    doc.update(setup.describe())
    warnings: List[str] = []
    if shots is None and not per_frame and check_cuts:
        cut = _cuts_inside(setup, todo)
        if cut:
            warnings.append(f"one transform spans the cut at frame(s) {', '.join(map(str, cut))} "
                            f"(frames {todo[0]}-{todo[-1]}): give --curation curation.json to "
                            "solve one transform per shot")
    unmeasured = [f for f, r in results.items() if math.isnan(r.residual)]
    bad = [f for f, r in results.items() if r.residual > 0.25]
    if bad:
        warnings.append(f"residual above 0.25 px on frame(s) {bad[:10]}"
                        + ("" if per_frame else "; try --per-frame"))
    if unmeasured:
        # Too few textured tiles for the independent check: the estimate cannot be verified and,
        # on such pictures, may well be wrong. Say so rather than report a residual.
        warnings.append(f"residual not measurable on frame(s) {unmeasured[:10]} (too little "
                        "texture for the independent check): alignment unverified, check it by eye")
    for w in warnings:
        logger.warning("%s", w)
    doc["warnings"] = warnings
    doc["notes"] = setup.lines()
    return doc, results


def _entry(r: AlignResult) -> Dict[str, object]:
    """One frame of the JSON document; unmeasured values are left out (not null), so the job
    config's ``alignment.transforms`` reads the file as it is."""
    return {k: v for k, v in r.to_json().items() if v is not None}


def _shot_groups(frames: Sequence[int], shots) -> List[List[int]]:
    """The analysed frames grouped by shot (all in one group without shots)."""
    if shots is None:
        return [list(frames)]
    groups = []
    for first, last in shots:
        grp = [f for f in frames if first <= f <= last]
        if grp:
            groups.append(grp)
    if not groups:
        raise ImagingError(f"no frame to align inside the curation's shots (frames {frames[0]}-"
                           f"{frames[-1]})")
    return groups


def _cuts_inside(setup, frames: Sequence[int]) -> List[int]:
    """Cuts found in the source between the first and last of ``frames`` (best effort)."""
    from .cuts import detect_cuts
    from .sequence import FrameSequence

    if len(frames) < 3:
        return []
    try:
        seq = FrameSequence.from_path(setup.source.pattern, frames[0], frames[-1])
        if seq.missing:
            return []
        found = detect_cuts(seq)
    except ImagingError:
        return []
    return sorted(t.frame for t in found.transitions if frames[0] < t.frame <= frames[-1])


def shots_from_curation(path) -> List[Tuple[int, int]]:
    """The ``(first, last)`` shot ranges of a ``nuke-restore curate`` JSON file."""
    import json

    from ..errors import ConfigError

    p = str(path)
    try:
        data = json.loads(open(p, encoding="utf-8").read())
    except OSError as exc:
        raise ImagingError(f"cannot read curation: {exc.strerror or exc}", path=p) from None
    except ValueError as exc:
        raise ConfigError(f"not valid JSON: {getattr(exc, 'msg', exc)}", path=p,
                          line=getattr(exc, "lineno", None)) from None
    shots = data.get("shots") if isinstance(data, dict) else None
    if not isinstance(shots, list) or not shots:
        raise ConfigError("expected a curation with a 'shots' list", path=p, field="shots")
    out = []
    for i, s in enumerate(shots):
        ok = isinstance(s, dict) and all(isinstance(s.get(k), int) and not isinstance(s.get(k), bool)
                                         for k in ("first", "last"))
        if not ok or s["last"] < s["first"]:
            raise ConfigError("needs whole-number 'first' <= 'last'", path=p, field=f"shots[{i}]")
        out.append((s["first"], s["last"]))
    return out


def _rescore(src_l: np.ndarray, ref_l: np.ndarray, g: np.ndarray,
             opts: AlignOptions) -> AlignResult:
    """Residual of a given (shot) sampling map on one frame."""
    h, w = src_l.shape
    roi = _roi_pixels(opts.roi, w, h)
    aligned = warp_image(ref_l, g, order=1)
    tiles = residual_tiles(src_l, aligned, opts.residual_tiles, roi)
    res, res_max, nonrigid = summarise_tiles(tiles)
    # Correlation of the structure images at quarter resolution: cheap, and only a summary.
    k = 4 if min(h, w) >= 256 else 1
    sm, am = src_l, aligned
    for _ in range(k // 2):
        sm, am = _downsample(sm), _downsample(am)
    x0, y0, x1, y1 = (v // k for v in roi)
    ncc = _ncc(structure(sm)[y0:y1, x0:x1], structure(am)[y0:y1, x0:x1])
    tr = NukeTransform.from_nuke_matrix(nuke_from_sampling(g, h), w, h,
                                        perspective=opts.model == "perspective")
    return AlignResult(tr, g, res, res_max, [t[:4] for t in tiles], ncc, nonrigid)


def _scale_result(r: AlignResult, proxy: int) -> AlignResult:
    """Proxy-resolution result to full resolution (image coordinates scale exactly)."""
    k = float(proxy)
    s = np.diag([k, k, 1.0])
    g = s @ r.sampling @ np.linalg.inv(s)
    t = r.transform
    w, h = t.width * proxy, t.height * proxy
    tr = NukeTransform.from_nuke_matrix(nuke_from_sampling(g, h), w, h,
                                        perspective=t.corners is not None)
    return AlignResult(tr, g, r.residual * k, r.residual_max * k,
                       [(a * k, b * k, c * k, d * k) for a, b, c, d in r.tiles], r.ncc,
                       r.nonrigid)


def align_to_file(source, reference, out_path, frames: Optional[Sequence[int]] = None,
                  per_frame: bool = False, options: Optional[AlignOptions] = None,
                  force: bool = True, **kwargs) -> Dict[str, object]:
    """:func:`align_sequences` and write its JSON document atomically to ``out_path``."""
    import json

    from ..fileio import write_atomic

    doc, _ = align_sequences(source, reference, frames, per_frame, options, **kwargs)
    write_atomic(out_path, json.dumps(doc, indent=1) + "\n", force=force)
    return doc
