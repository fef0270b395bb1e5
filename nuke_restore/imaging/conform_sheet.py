"""Contact sheet of a conform: each source frame beside the reference frame it was matched to.

Pairs are laid out four to a row, source left, reference right, labelled ``source -> reference``.
The border says what conform decided: green a clean match, amber a clean match with a low
confidence, red no clean match (the reference tile then shows what the reference has there: the
first of the two woven frames for a field-mixed frame, dimmed; grey when there is nothing).
Long sequences are thinned to ``max_pairs``, always keeping the frames around every break and
every unmatched frame first.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from .cuts import LINEAR_EXTENSIONS

_GREEN = (0.15, 0.75, 0.25)
_AMBER = (0.95, 0.65, 0.1)
_RED = (0.9, 0.15, 0.15)
_BG = 0.08


def _pick(frames: Sequence[int], fmap, max_pairs: int) -> List[int]:
    if len(frames) <= max_pairs:
        return list(frames)
    keep = set()
    idx = {f: i for i, f in enumerate(frames)}
    for b in fmap.breaks:
        i = idx.get(b.get("source"))
        if i is not None:
            keep.update(frames[k] for k in range(max(0, i - 1), min(len(frames), i + 1)))
    flagged = [f for f in frames if fmap.reference(f) is None]
    for f in flagged:
        if len(keep) >= max_pairs // 2:
            break
        keep.add(f)
    rest = max_pairs - len(keep)
    if rest > 0:
        for k in np.linspace(0, len(frames) - 1, rest):
            keep.add(frames[int(round(k))])
    return sorted(keep)[:max_pairs] if len(keep) > max_pairs else sorted(keep)


def _tile(seq, frame: int, width: int, height: int) -> np.ndarray:
    from .colour import linear_to_srgb
    from .sequence import read_image

    w, _h = seq.size
    img = read_image(seq.path(frame), proxy=max(1, w // (2 * width)), frame=frame)
    if seq.path(frame).lower().endswith(LINEAR_EXTENSIONS):
        img = linear_to_srgb(np.clip(img, 0.0, 1.0))
    ih, iw = img.shape[:2]
    rows = np.minimum((np.arange(height) + 0.5) * ih / height, ih - 1).astype(int)
    cols = np.minimum((np.arange(width) + 0.5) * iw / width, iw - 1).astype(int)
    return np.clip(img[rows][:, cols], 0.0, 1.0)


def _label(tile: np.ndarray, text: str, size: int) -> np.ndarray:
    try:  # OpenImageIO's built-in font; a sheet without labels still shows the pictures
        import OpenImageIO as oiio

        buf = oiio.ImageBuf(np.ascontiguousarray(tile))
        oiio.ImageBufAlgo.render_text(buf, 4, size + 2, text, size, "", (1.0, 1.0, 1.0, 1.0),
                                      shadow=2)
        return np.asarray(buf.get_pixels(oiio.FLOAT)).reshape(tile.shape)
    except Exception:
        return tile


def contact_sheet(fmap, source, reference, out_path, tile_width: int = 200, max_pairs: int = 48,
                  force: bool = False, frames: Optional[Sequence[int]] = None):
    """Write the sheet (PNG/JPEG/EXR by extension) atomically; refuses to overwrite without force.

    Args:
        fmap: the :class:`~nuke_restore.framemap.FrameMap` from :func:`.conform.conform`.
        source, reference: the two :class:`~.sequence.FrameSequence` objects.
        out_path: image to write.
        tile_width: width of one picture; a pair is twice that.
        max_pairs: most pairs shown.
        frames: source frames to consider (default those in the map).
    """
    from .sequence import write_image

    frames = list(frames if frames is not None else fmap.source_frames())
    if not frames:
        raise ImagingError("nothing to show: the frame map is empty")
    w, h = source.size
    th = max(16, int(round(tile_width * h / w)))
    mixed_first: Dict[int, int] = {}
    for seg in fmap.cadence:
        for src, ref, _field in seg.get("field_matches", []):
            mixed_first.setdefault(src, ref)
    shown = _pick(frames, fmap, max_pairs)
    size = max(10, th // 9)
    pairs = []
    for f in shown:
        m = fmap.match(f)
        ref = m.reference if m is not None else None
        src_t = _tile(source, f, tile_width, th)
        if ref is not None:
            colour = _GREEN if m.confidence >= 0.8 else _AMBER
            ref_t = _tile(reference, ref, tile_width, th)
            text = f"{f} > {ref}  {m.confidence:.2f}"
        else:
            colour = _RED
            shown_ref = mixed_first.get(f)
            reason = m.reason if m is not None else "not in map"
            if shown_ref is not None and reference.exists(shown_ref):
                ref_t = 0.6 * _tile(reference, shown_ref, tile_width, th)
                text = f"{f} > none ({reason}, fields in {shown_ref}-{shown_ref + 1})"
            else:
                ref_t = np.full((th, tile_width, 3), 0.25, np.float32)
                text = f"{f} > none ({reason})"
        pair = np.concatenate([src_t, np.full((th, 2, 3), _BG, np.float32), ref_t], axis=1)
        pair = _label(pair.astype(np.float32), text, size)
        b = 3
        framed = np.empty((th + 2 * b, pair.shape[1] + 2 * b, 3), np.float32)
        framed[:] = colour
        framed[b:-b, b:-b] = pair
        pairs.append(framed)
    ncol = 4
    nrow = (len(pairs) + ncol - 1) // ncol
    ph, pw = pairs[0].shape[:2]
    gap = 6
    sheet = np.full((nrow * (ph + gap) + gap, ncol * (pw + gap) + gap, 3), _BG, np.float32)
    for k, p in enumerate(pairs):
        r, c = divmod(k, ncol)
        y, x = gap + r * (ph + gap), gap + c * (pw + gap)
        sheet[y: y + ph, x: x + pw] = p
    dtype = "half" if str(out_path).lower().endswith(".exr") else "uint8"
    return write_image(out_path, sheet, dtype, force=force)


def summary_counts(fmap, frames: Sequence[int]) -> Tuple[int, Dict[str, int]]:
    """(clean matches, {reason: count}) over ``frames``."""
    clean = 0
    reasons: Dict[str, int] = {}
    for f in frames:
        m = fmap.match(f)
        if m is not None and m.reference is not None:
            clean += 1
        else:
            r = m.reason if m is not None else "not-in-map"
            reasons[r] = reasons.get(r, 0) + 1
    return clean, reasons


__all__ = ["contact_sheet", "summary_counts"]
