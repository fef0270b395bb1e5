"""Frame numbering between a clip's Source and its Reference: ``reference_offset`` or ``frame_map``.

A clip's Reference (DVD, telecine, another print) is often numbered differently from the scan:
``reference_offset: N`` says reference frame = source frame + N; ``frame_map: conform.json`` names a
file written by ``nuke-restore conform`` that says, per source frame, which reference frame shows the
same film frame cleanly (or none). Both become a ``nuke_restore.framemap.FrameMap``; the two fields are
mutually exclusive. Errors name the file, line and field (the config's, or the map file's).

The same module picks training, preview and validation frames among the frames with a clean match.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from ..errors import ConfigError
from ..framemap import MAX_FRAME, FrameMap, FrameMatch
from .fields import Section
from .yamlio import decode_text, load_json_text


def read_clip_map(c: Section, base_dir: Path) -> Tuple[Optional[FrameMap], Optional[str]]:
    """The clip's frame map (``None`` = same numbering) and the map file as written in the config."""
    if c.has("reference_offset") and c.has("frame_map"):
        raise c.error("frame_map", "give either reference_offset or frame_map, not both "
                                   "(an offset is the simplest frame map)")
    if c.has("reference_offset"):
        off = c.integer("reference_offset", minimum=-MAX_FRAME, maximum=MAX_FRAME)
        return (FrameMap.from_offset(off) if off else None), None
    if not c.has("frame_map"):
        return None, None
    rel = c.text("frame_map", kind="path")
    if "\\" in rel:
        raise c.error("frame_map", "use forward slashes in paths")
    mpath = base_dir / rel
    try:
        data = load_json_text(decode_text(mpath.read_bytes(), str(mpath)), str(mpath))
    except FileNotFoundError:
        raise c.error("frame_map", f"frame map file {rel!r} not found (write it with "
                                   "`nuke-restore conform SOURCE REFERENCE -o FILE`)") from None
    except IsADirectoryError:
        raise c.error("frame_map", f"{rel!r} is a folder, not a frame map file") from None
    except OSError as exc:
        raise c.error("frame_map", f"cannot read frame map file {rel!r}: "
                                   f"{exc.strerror or exc}") from None
    try:
        fmap = FrameMap.from_json(data, path=str(mpath))
    except ConfigError as exc:
        if exc.line is None:
            # Point at the offending entry of the JSON file.
            line, col = _where(data, getattr(exc, "field", None))
            raise ConfigError(exc.message, str(mpath), line, col) from None
        raise
    return fmap, rel


def _where(data: Any, field: Optional[str]) -> Tuple[Optional[int], Optional[int]]:
    """Line and column of a dotted ``field`` (``frames.1002.reference``) in JSON read with positions."""
    pos: Tuple[Optional[int], Optional[int]] = tuple(getattr(data, "pos", (1, 1)))  # type: ignore
    if not field:
        return pos
    node = data
    parts = field.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            break
        table = getattr(node, "value_pos" if i == len(parts) - 1 else "key_pos", {})
        if part in table:
            pos = table[part]
        node = node[part]
    return pos


def apply_shot_offsets(shots: Sequence[Any], clips: Any) -> None:
    """Fold per-shot ``reference_offset`` values into their clip's frame map.

    A shot's offset applies to its frames; the clip's own ``reference_offset`` (or 0) to the rest of
    the clip. The result is a per-frame table (a constant offset when all agree), so a cut with a
    different offset per shot needs no conform file. (A clip with a ``frame_map`` file refuses
    per-shot offsets when the shot is read.)
    """
    by_clip = {}
    for s in shots:
        if s.reference_offset is not None:
            by_clip.setdefault(s.clip, []).append(s)
    for name, members in by_clip.items():
        clip = clips[name]
        base = clip.frame_map.offset if clip.frame_map is not None else 0
        table = {f: FrameMatch(f + (base or 0)) for f in range(clip.first, clip.last + 1)}
        for s in members:
            for f in range(s.first, s.last + 1):
                table[f] = FrameMatch(f + s.reference_offset)
        clip.frame_map = FrameMap(table)
        clip.frame_map_source = "the shots' reference_offset"


# -- frame choice among matched frames ---------------------------------------------------------------
def spread(candidates: Sequence[int], count: int) -> List[int]:
    """``count`` frames spread evenly over ``candidates`` (sorted), always including both ends.

    With every frame of ``first..last`` as candidates this is exactly the even spread over the range.
    """
    cands = sorted(candidates)
    n = len(cands)
    count = min(count, n)
    if count <= 0:
        return []
    if count == 1:
        return [cands[0]]
    return sorted({cands[round(i * (n - 1) / (count - 1))] for i in range(count)})


def nearest(candidates: Sequence[int], target: float, lo: int, hi: int,
            taken: Sequence[int] = ()) -> Optional[int]:
    """The candidate strictly between ``lo`` and ``hi`` nearest ``target`` (earlier on a tie)."""
    used = set(taken)
    best = None
    for f in candidates:
        if lo < f < hi and f not in used:
            if best is None or abs(f - target) < abs(best - target):
                best = f
    return best
