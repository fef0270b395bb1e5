"""Frame pairs from two or more sequences: frame ranges, presence and size checks, encodings.

Shared by the align, baseline and QC commands so that they all fail the same clear way on
missing frames, size mismatches or too few frames.
"""
from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

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


# --------------------------------------------------------------------------- reference pairing

#: How missing reference frames are handled, as the commands state it in their output.
POLICY_REFUSE = ("refuse: a source frame whose reference frame is missing stops the command "
                 "(--allow-missing skips it with a warning)")
POLICY_SKIP = "skip: source frames whose reference frame is missing are left out (--allow-missing)"


class Pairing:
    """Which reference frame goes with each source frame, and what is left out and why.

    Built by :func:`pair_frames`. ``pairs`` is ``[(source_frame, reference_frame), ...]`` in
    source order; ``unmatched`` are source frames the frame map gives no clean match (always left
    out); ``missing`` are source frames whose mapped reference frame does not exist on disk (left
    out only with ``allow_missing``).
    """

    def __init__(self, pairs, unmatched, missing, frame_map, allow_missing: bool) -> None:
        self.pairs = list(pairs)
        self._ref = dict(self.pairs)
        self.unmatched = list(unmatched)
        self.missing = dict(missing)
        self.frame_map = frame_map
        self.allow_missing = allow_missing

    @property
    def source_frames(self) -> List[int]:
        return [s for s, _ in self.pairs]

    def reference(self, source_frame: int) -> int:
        """The reference frame paired with ``source_frame``."""
        return self._ref[source_frame]

    @property
    def policy(self) -> str:
        return POLICY_SKIP if self.allow_missing else POLICY_REFUSE

    def describe(self) -> Dict[str, object]:
        """For JSON outputs."""
        fm = self.frame_map
        return {
            "frame_map": ({"offset": fm.offset} if fm is not None and not fm.is_table
                          else ("table" if fm is not None else {"offset": 0})),
            "missing_reference_policy": "skip" if self.allow_missing else "refuse",
            "missing_reference_frames": {str(s): r for s, r in sorted(self.missing.items())},
            "no_clean_match": self.unmatched,
        }

    def lines(self) -> List[str]:
        """Human-readable statement of the frame numbering and the missing-frame policy."""
        from .sequence import _format_frames

        fm = self.frame_map
        if fm is None or (not fm.is_table and not fm.offset):
            how = "reference frame = source frame"
        elif not fm.is_table:
            how = f"reference frame = source frame {fm.offset:+d}"
        else:
            how = "reference frames from the frame map"
        out = [f"frames: {how}; {len(self.pairs)} pair(s)"]
        if self.unmatched:
            out.append(f"frames: no clean reference match for {_format_frames(self.unmatched)} "
                       "(left out)")
        out.append(f"missing reference frames: {self.policy}")
        if self.missing:
            out.append(f"missing reference frames: skipped {_format_frames(self.missing)}")
        return out


def pair_frames(source: FrameSequence, reference: FrameSequence, frame_map=None,
                frames: Optional[Iterable[int]] = None, allow_missing: bool = False,
                minimum: int = 1) -> Pairing:
    """Pair source frames with reference frames through a :class:`~nuke_restore.framemap.FrameMap`.

    Args:
        source, reference: the two sequences.
        frame_map: a FrameMap (``FrameMap.from_offset(N)`` for an offset); ``None`` = identity.
        frames: source frames to use (each must exist in the source); default all source frames.
        allow_missing: skip (with a warning) source frames whose reference frame is missing,
            instead of refusing.
        minimum: fewest pairs the caller can work with.

    Raises:
        ImagingError: a requested source frame is missing; reference frames are missing and
            ``allow_missing`` is false (all of them are named); fewer than ``minimum`` pairs.
    """
    import logging

    from ..framemap import FrameMap
    from .sequence import _format_frames

    fmap = frame_map if frame_map is not None else FrameMap.identity()
    if frames is None:
        todo = list(source.frames)
    else:
        todo = sorted(set(int(f) for f in frames))
        absent = [f for f in todo if not source.exists(f)]
        if absent:
            raise ImagingError(f"source is missing frame(s) {_format_frames(absent)}",
                               path=source.pattern)
    pairs, unmatched, missing = [], [], {}
    for f in todo:
        r = fmap.reference(f)
        if r is None:
            unmatched.append(f)
        elif not reference.exists(r):
            missing[f] = r
        else:
            pairs.append((f, r))
    if not pairs and missing and len(pairs) < minimum:
        raise ImagingError(
            f"too few frames in common (0, need {minimum}): source {source.first}-{source.last}, "
            f"reference {reference.first}-{reference.last}"
            + ("" if fmap.is_table or fmap.offset else
               "; if the reference is numbered differently, give --reference-offset N "
               "(reference frame = source frame + N) or --frame-map"), path=reference.pattern)
    if missing and not allow_missing:
        shown = ", ".join(f"{s}->{r}" for s, r in list(missing.items())[:8])
        more = " ..." if len(missing) > 8 else ""
        raise ImagingError(
            f"reference is missing frame(s) {_format_frames(missing.values())} for source frame(s) "
            f"{_format_frames(missing)} ({shown}{more}); fix the numbering (--reference-offset, "
            "--frame-map) or give --allow-missing to skip them", path=reference.pattern)
    if missing:
        logging.getLogger(__name__).warning(
            "skipping source frame(s) %s: reference frame(s) %s missing (--allow-missing)",
            _format_frames(missing), _format_frames(missing.values()))
    if len(pairs) < minimum:
        raise ImagingError(
            f"too few source/reference pairs ({len(pairs)}, need {minimum}): source "
            f"{source.first}-{source.last}, reference {reference.first}-{reference.last}"
            + ("" if fmap.is_table or fmap.offset else
               "; if the reference is numbered differently, give --reference-offset N"),
            path=reference.pattern)
    return Pairing(pairs, unmatched, missing, frame_map, allow_missing)


def frame_map_from_args(offset: Optional[int] = None, map_path: Optional[str] = None):
    """The FrameMap the ``--reference-offset`` / ``--frame-map`` options ask for (or ``None``)."""
    from ..framemap import FrameMap, load_frame_map

    if offset is not None and map_path:
        raise ImagingError("give --reference-offset or --frame-map, not both")
    if map_path:
        return load_frame_map(map_path)
    if offset is not None:
        return FrameMap.from_offset(int(offset))
    return None


# --------------------------------------------------------------------------- reference format

#: Aspect ratios further apart than this are refused rather than reformatted.
ASPECT_TOLERANCE = 0.01


def reformat_scale(ref_size: Tuple[int, int], src_size: Tuple[int, int], what: str = "reference",
                   path: Optional[str] = None) -> float:
    """The scale that brings a ``ref_size`` frame to ``src_size`` (1.0 when equal).

    Nuke's Reformat defaults (type "to format", resize "width", centred) scale by the width
    ratio; a different aspect ratio would crop or letterbox the picture, which no analysis here
    should do silently, so it is refused.
    """
    (rw, rh), (sw, sh) = ref_size, src_size
    if (rw, rh) == (sw, sh):
        return 1.0
    ra, sa = rw / rh, sw / sh
    if abs(ra / sa - 1.0) > ASPECT_TOLERANCE:
        raise ImagingError(
            f"{what} is {rw}x{rh} (aspect {ra:.3f}) but the source is {sw}x{sh} (aspect {sa:.3f}): "
            "a different aspect ratio has no resize rule here (a Reformat would crop or "
            "letterbox); crop or pad the reference to the source's aspect first", path=path)
    return sw / rw


def reformat(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``img`` brought to ``size`` (w, h) as Nuke's Reformat does it by default.

    Resize "width" (one scale, the width ratio), centred, filter "cubic" (OpenImageIO's filter of
    that name; Nuke's Reformat defaults to its Cubic filter). Callers check the aspect first with
    :func:`reformat_scale`.
    """
    from .._optional import require

    oiio = require("OpenImageIO", "imaging")
    w, h = size
    if img.shape[1] == w and img.shape[0] == h:
        return img
    buf = oiio.ImageBuf(np.ascontiguousarray(img, np.float32))
    out = oiio.ImageBufAlgo.resize(buf, filtername="cubic",
                                   roi=oiio.ROI(0, w, 0, h, 0, 1, 0, img.shape[2]))
    if out.has_error:
        raise ImagingError(f"cannot resize the reference: {out.geterror()}")
    return np.ascontiguousarray(out.get_pixels(oiio.FLOAT), np.float32)


def read_reference(seq: FrameSequence, frame: int, size: Tuple[int, int], proxy: int = 1
                   ) -> np.ndarray:
    """A reference frame brought to the source's full-resolution ``size``, then proxied."""
    from .sequence import box_downscale

    img = read_image(seq.path(frame), frame=frame)
    if (img.shape[1], img.shape[0]) != tuple(size):
        reformat_scale((img.shape[1], img.shape[0]), size, path=seq.path(frame))
        img = reformat(img, size)
    return box_downscale(img, proxy) if proxy > 1 else img


# --------------------------------------------------------------------------- one pair setup


class PairSetup:
    """Source and reference of one command: frame pairing, colour spaces and reference format.

    Every imaging command that reads a reference goes through this, so they number frames,
    handle missing reference frames, decode colour and bring the reference to the source's
    format the same way, and report it the same way (:meth:`describe`, :meth:`lines`).
    """

    def __init__(self, source: FrameSequence, reference: FrameSequence, pairing: Pairing,
                 colour, size: Tuple[int, int], scale: float) -> None:
        self.source = source
        self.reference = reference
        self.pairing = pairing
        self.colour = colour
        self.size = size
        self.scale = scale

    @property
    def frames(self) -> List[int]:
        return self.pairing.source_frames

    def read_source(self, frame: int, proxy: int = 1) -> np.ndarray:
        """Source frame in the analysis domain (sRGB-encoded, Rec.709 primaries)."""
        return self.colour.to_analysis(read(self.source, frame, proxy), "source")

    def read_reference(self, frame: int, proxy: int = 1) -> np.ndarray:
        """The reference frame paired with source ``frame``, at the source's format, analysed."""
        img = read_reference(self.reference, self.pairing.reference(frame), self.size, proxy)
        return self.colour.to_analysis(img, "reference")

    def describe(self) -> Dict[str, object]:
        out: Dict[str, object] = {"colour": self.colour.describe(),
                                  "reference_scale": round(self.scale, 6)}
        out.update(self.pairing.describe())
        return out

    def lines(self) -> List[str]:
        out = list(self.colour.lines())
        if self.scale != 1.0:
            rw, rh, _ = self.reference.spec(self.pairing.pairs[0][1])
            out.append(f"reference: {rw}x{rh} brought to the source's {self.size[0]}x"
                       f"{self.size[1]} (scale {self.scale:g}, Reformat resize width, cubic)")
        return out + self.pairing.lines()


def setup_pairs(source: SeqLike, reference: SeqLike, frame_map=None,
                frames: Optional[Iterable[int]] = None, allow_missing: bool = False, colour=None,
                minimum: int = 1) -> PairSetup:
    """Open, pair (:func:`pair_frames`), check formats and resolve colour spaces.

    Raises:
        ImagingError: as :func:`pair_frames`; a reference of another aspect ratio; an unknown
            colour space.
    """
    from .ocio import Colour

    src, ref = open_sequence(source), open_sequence(reference)
    pairing = pair_frames(src, ref, frame_map, frames, allow_missing, minimum)
    f0, r0 = pairing.pairs[0]
    sw, sh, _ = src.spec(f0)
    rw, rh, _ = ref.spec(r0)
    scale = reformat_scale((rw, rh), (sw, sh), path=ref.path(r0))
    colour = colour if colour is not None else Colour()
    colour.space("source", src.path(f0))
    colour.space("reference", ref.path(r0))
    return PairSetup(src, ref, pairing, colour, (sw, sh), scale)
