"""Which reference frame shows the same film frame as each source frame.

A source scan and its reference (DVD, telecine, another print) rarely share frame numbers: the reference
may be numbered from 1, run at another rate (PAL at 25 fps, NTSC with 2:3 pulldown), blend frames, or have
splices. A ``FrameMap`` is the one answer every consumer asks: "for source frame N, which reference frame
(if any) shows it cleanly?". A plain offset is its simplest case; ``nuke-restore conform`` writes the full
map. Standard library only: recipes and the Nuke side read it too.

JSON form (keys are source frame numbers as strings)::

    {"frames": {"1001": {"reference": 17, "confidence": 0.98},
                "1002": {"reference": null, "reason": "field-mixed"}},
     "cadence": [...], "breaks": [...]}

An offset-only map is written as ``{"offset": N}`` (optionally with ``"first"``/``"last"``).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from .errors import ConfigError

__all__ = ["FrameMatch", "FrameMap", "load_frame_map", "MAX_FRAME"]

#: Frame numbers beyond this are refused: no real sequence has them, and they would make ranges huge.
MAX_FRAME = 10_000_000


@dataclass(frozen=True)
class FrameMatch:
    """The reference frame that shows one source frame, or ``None`` with the reason there is none."""

    reference: Optional[int]
    confidence: float = 1.0
    reason: str = ""

    def to_json(self) -> Dict[str, Any]:
        if self.reference is None:
            return {"reference": None, "reason": self.reason or "no-match"}
        out: Dict[str, Any] = {"reference": self.reference, "confidence": round(self.confidence, 4)}
        if self.reason:
            out["reason"] = self.reason
        return out


class FrameMap:
    """Source frame -> reference frame, either a constant offset or an explicit per-frame table.

    Args:
        frames: explicit matches per source frame (empty for an offset map).
        offset: reference = source + offset for every source frame (inside ``first``..``last`` if given).
        cadence, breaks: what conform found, carried through as JSON-ready lists.
    """

    __slots__ = ("_frames", "_offset", "_first", "_last", "cadence", "breaks")

    def __init__(self, frames: Optional[Mapping[int, FrameMatch]] = None, *, offset: Optional[int] = None,
                 first: Optional[int] = None, last: Optional[int] = None,
                 cadence: Iterable[Any] = (), breaks: Iterable[Any] = ()) -> None:
        if frames and offset is not None:
            raise ValueError("a FrameMap is either an offset or a per-frame table, not both")
        self._frames: Dict[int, FrameMatch] = dict(sorted((frames or {}).items()))
        self._offset = None if frames else int(offset or 0)
        self._first = first
        self._last = last
        self.cadence: List[Any] = list(cadence)
        self.breaks: List[Any] = list(breaks)

    # -- construction --------------------------------------------------------------------------------
    @classmethod
    def identity(cls) -> FrameMap:
        return cls(offset=0)

    @classmethod
    def from_offset(cls, offset: int, first: Optional[int] = None, last: Optional[int] = None) -> FrameMap:
        """reference = source + ``offset`` (for source frames ``first``..``last`` when given)."""
        return cls(offset=int(offset), first=first, last=last)

    # -- queries -------------------------------------------------------------------------------------
    @property
    def offset(self) -> Optional[int]:
        """The constant offset when the map is one (an explicit table with one offset throughout counts)."""
        if self._offset is not None:
            return self._offset
        offsets = {m.reference - f for f, m in self._frames.items() if m.reference is not None}
        if len(offsets) == 1 and all(m.reference is not None for m in self._frames.values()):
            return offsets.pop()
        return None

    @property
    def is_table(self) -> bool:
        return self._offset is None

    def match(self, source_frame: int) -> Optional[FrameMatch]:
        """The match for ``source_frame``; ``None`` when the map says nothing about it."""
        source_frame = int(source_frame)
        if self._offset is not None:
            if (self._first is not None and source_frame < self._first) or (
                    self._last is not None and source_frame > self._last):
                return None
            return FrameMatch(source_frame + self._offset)
        return self._frames.get(source_frame)

    def reference(self, source_frame: int) -> Optional[int]:
        """The reference frame showing ``source_frame`` cleanly, or ``None``."""
        m = self.match(source_frame)
        return None if m is None else m.reference

    def pairs(self, source_frames: Iterable[int]) -> List[Tuple[int, int]]:
        """(source, reference) for every given source frame that has a clean match, in the given order."""
        out = []
        for f in source_frames:
            r = self.reference(f)
            if r is not None:
                out.append((int(f), r))
        return out

    def source_frames(self) -> List[int]:
        """The source frames an explicit table covers (empty for an unbounded offset map)."""
        if self._offset is not None:
            if self._first is None or self._last is None:
                return []
            return list(range(self._first, self._last + 1))
        return list(self._frames)

    def __iter__(self) -> Iterator[Tuple[int, FrameMatch]]:
        for f in self.source_frames():
            m = self.match(f)
            if m is not None:
                yield f, m

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrameMap) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        if self._offset is not None:
            return f"FrameMap(offset={self._offset}, first={self._first}, last={self._last})"
        return f"FrameMap({len(self._frames)} frames)"

    # -- JSON ------------------------------------------------------------------------------------------
    def to_json(self) -> Dict[str, Any]:
        if self._offset is not None:
            out: Dict[str, Any] = {"offset": self._offset}
            if self._first is not None:
                out["first"] = self._first
            if self._last is not None:
                out["last"] = self._last
        else:
            out = {"frames": {str(f): m.to_json() for f, m in self._frames.items()}}
        out["cadence"] = self.cadence
        out["breaks"] = self.breaks
        return out

    def dumps(self) -> str:
        """Deterministic JSON text (sorted by source frame, fixed float rounding)."""
        return json.dumps(self.to_json(), indent=1) + "\n"

    @classmethod
    def from_json(cls, data: Any, path: Optional[str] = None) -> FrameMap:
        """Read the JSON form; every error names ``path`` and the field."""
        if not isinstance(data, dict):
            raise ConfigError("a frame map is a JSON object", path=path)
        cadence = data.get("cadence", [])
        breaks = data.get("breaks", [])
        if not isinstance(cadence, list) or not isinstance(breaks, list):
            raise ConfigError("must be a list", path=path,
                              field="cadence" if not isinstance(cadence, list) else "breaks")
        if "frames" in data:
            if "offset" in data:
                raise ConfigError("give either 'frames' or 'offset', not both", path=path, field="offset")
            frames = data["frames"]
            if not isinstance(frames, dict):
                raise ConfigError("must be an object keyed by source frame", path=path, field="frames")
            table: Dict[int, FrameMatch] = {}
            for key, entry in frames.items():
                fld = f"frames.{key}"
                src = _frame_number(key, path, fld, from_text=True)
                if not isinstance(entry, dict) or "reference" not in entry:
                    raise ConfigError("must be an object with 'reference'", path=path, field=fld)
                ref = entry["reference"]
                if ref is None:
                    reason = entry.get("reason", "no-match")
                    if not isinstance(reason, str):
                        raise ConfigError("must be a string", path=path, field=fld + ".reason")
                    table[src] = FrameMatch(None, 0.0, reason)
                    continue
                ref = _frame_number(ref, path, fld + ".reference")
                conf = entry.get("confidence", 1.0)
                if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not (
                        math.isfinite(conf) and 0.0 <= conf <= 1.0):
                    raise ConfigError("must be a number from 0 to 1", path=path, field=fld + ".confidence")
                reason = entry.get("reason", "")
                if not isinstance(reason, str):
                    raise ConfigError("must be a string", path=path, field=fld + ".reason")
                table[src] = FrameMatch(ref, float(conf), reason)
            if not table:
                raise ConfigError("is empty", path=path, field="frames")
            return cls(table, cadence=cadence, breaks=breaks)
        if "offset" in data:
            off = _frame_number(data["offset"], path, "offset", signed=True)
            first = _frame_number(data["first"], path, "first") if "first" in data else None
            last = _frame_number(data["last"], path, "last") if "last" in data else None
            if first is not None and last is not None and last < first:
                raise ConfigError(f"last ({last}) is before first ({first})", path=path, field="last")
            return cls(offset=off, first=first, last=last, cadence=cadence, breaks=breaks)
        raise ConfigError("needs 'frames' (from nuke-restore conform) or 'offset'", path=path)


def load_frame_map(path: Union[str, Path]) -> FrameMap:
    """Read a frame map JSON file (``nuke-restore conform -o``); errors name the file and field."""
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read frame map: {exc.__class__.__name__}: {exc}", path=p) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"not valid JSON: {getattr(exc, 'msg', exc)}", path=p, line=line) from None
    return FrameMap.from_json(data, path=p)


def _frame_number(value: Any, path: Optional[str], field: str, *, from_text: bool = False,
                  signed: bool = False) -> int:
    if from_text and isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 12 or not text.lstrip("-").isdigit():
            raise ConfigError(f"{value!r} is not a frame number", path=path, field=field)
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{value!r} is not a whole number", path=path, field=field)
    if abs(value) > MAX_FRAME:
        raise ConfigError(f"{value} is out of range (|frame| <= {MAX_FRAME})", path=path, field=field)
    return value
