"""Frame pairs from two or more sequences: frame ranges, presence and size checks, encodings.

Shared by the align, baseline and QC commands so that they all fail the same clear way on
missing frames, size mismatches or too few frames.
"""
from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from ..errors import ImagingError
from .sequence import FrameSequence, read_image

SeqLike = Union[str, "os.PathLike[str]", FrameSequence]


def parse_frames(text: Optional[str]) -> Optional[List[int]]:
    """``"1001-1010"``, ``"1001,1005,1010"``, ``"1001-1040x10"`` (fileseq syntax) or None."""
    if text is None or str(text).strip() == "":
        return None
    from .._optional import require

    fileseq = require("fileseq", "imaging")
    try:
        return [int(f) for f in fileseq.FrameSet(str(text))]
    except Exception as exc:  # fileseq raises its own ParseException
        raise ImagingError(f"bad frame range {text!r}; use e.g. 1001-1040 or 1001,1010") from exc


def open_sequence(seq: SeqLike) -> FrameSequence:
    """A FrameSequence for a pattern/file/folder (or the sequence itself)."""
    return seq if isinstance(seq, FrameSequence) else FrameSequence.from_path(seq)


def resolve_frames(seqs: Dict[str, FrameSequence], frames: Optional[Iterable[int]] = None,
                   minimum: int = 1) -> List[int]:
    """The frames to work on: ``frames`` (all must exist everywhere) or the common frames.

    Raises:
        ImagingError: a requested frame is missing from a sequence, or fewer than ``minimum``.
    """
    if frames is None:
        common = None
        for seq in seqs.values():
            common = set(seq.frames) if common is None else common & set(seq.frames)
        out = sorted(common or ())
        if len(out) < minimum:
            names = ", ".join(f"{k} {s.first}-{s.last}" for k, s in seqs.items())
            raise ImagingError(f"too few frames in common ({len(out)}, need {minimum}): {names}")
        return out
    out = sorted(set(int(f) for f in frames))
    for name, seq in seqs.items():
        missing = [f for f in out if not seq.exists(f)]
        if missing:
            shown = ", ".join(map(str, missing[:8])) + (" ..." if len(missing) > 8 else "")
            raise ImagingError(f"{name} is missing frame(s) {shown}", path=seq.pattern)
    if len(out) < minimum:
        raise ImagingError(f"too few frames ({len(out)}); need at least {minimum}")
    return out


def check_sizes(seqs: Dict[str, FrameSequence], frame: int) -> None:
    """Raise ImagingError naming both files when sequences differ in size at ``frame``."""
    sizes = {}
    for name, seq in seqs.items():
        w, h, _ = seq.spec(frame if seq.exists(frame) else None)
        sizes[name] = (w, h, seq.path(frame))
    first = next(iter(sizes.items()))
    for name, (w, h, p) in sizes.items():
        if (w, h) != first[1][:2]:
            raise ImagingError(f"size mismatch at frame {frame}: {first[0]} is "
                               f"{first[1][0]}x{first[1][1]} but {name} is {w}x{h}", path=p)


def read(seq: FrameSequence, frame: int, proxy: int = 1) -> np.ndarray:
    """One frame as float32 RGB (errors name the frame and file)."""
    return read_image(seq.path(frame), proxy=proxy, frame=frame)


def pick_even(frames: Sequence[int], n: int) -> List[int]:
    """Up to ``n`` frames spread evenly, always including the first and the last."""
    frames = list(frames)
    if len(frames) <= n:
        return frames
    idx = np.unique(np.round(np.linspace(0, len(frames) - 1, n)).astype(int))
    return [frames[i] for i in idx]
