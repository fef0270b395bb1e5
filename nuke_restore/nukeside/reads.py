"""Facts about selected Read nodes that prefill the setup dialog, and which one is which."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

# Words in a Read's name or file path that say which side it is (workflow naming:
# [PROJECT]_SOURCE_####.exr, [PROJECT]_REF_####.exr, [PROJECT]_BAL_####.exr).
_REFERENCE_WORDS = re.compile(r"(?i)(^|[^a-z])(ref|reference|dvd|telecine|dcp|target)([^a-z]|$)")
_SOURCE_WORDS = re.compile(r"(?i)(^|[^a-z])(src|source|scan|bal|plate|print)([^a-z]|$)")


@dataclass(frozen=True)
class ClipInfo:
    """What a Read node says about its clip."""

    node_name: str
    path: str
    first: int
    last: int
    colorspace: str
    format_name: str
    width: int
    height: int


def _knob_value(node: Any, name: str, default: Any = None) -> Any:
    knob = node.knob(name)
    if knob is None:
        return default
    try:
        return knob.value()
    except Exception:
        return default


def clip_from_read(node: Any) -> ClipInfo:
    """Read ``file``, ``first``, ``last``, ``colorspace`` and the format of a Read node."""
    fmt = node.format() if hasattr(node, "format") else None
    return ClipInfo(
        node_name=str(node.name()),
        path=str(_knob_value(node, "file", "") or ""),
        first=int(_knob_value(node, "first", 1) or 1),
        last=int(_knob_value(node, "last", 1) or 1),
        colorspace=str(_knob_value(node, "colorspace", "") or ""),
        format_name=str(fmt.name() or "") if fmt is not None else "",
        width=int(fmt.width()) if fmt is not None else 0,
        height=int(fmt.height()) if fmt is not None else 0,
    )


def _side(clip: ClipInfo) -> Optional[str]:
    text = f"{clip.node_name} {clip.path.replace('/', ' ').replace('.', ' ')}"
    ref, src = bool(_REFERENCE_WORDS.search(text)), bool(_SOURCE_WORDS.search(text))
    if ref and not src:
        return "reference"
    if src and not ref:
        return "source"
    return None


def guess_source_and_reference(clips: List[ClipInfo]
                               ) -> Tuple[Optional[ClipInfo], Optional[ClipInfo], bool]:
    """``(source, reference, ambiguous)`` from the selected clips.

    One clip is the Source. Two clips are told apart by their names/paths (``SOURCE``/``REF``...);
    when that does not decide it, or with more than two clips, ``ambiguous`` is True and the
    caller asks the artist (the guess is then only a default for the chooser).
    """
    if not clips:
        return None, None, False
    if len(clips) == 1:
        return clips[0], None, False
    sides = [_side(c) for c in clips]
    if len(clips) == 2:
        if sides == ["source", "reference"] or sides == ["source", None] or \
                sides == [None, "reference"]:
            return clips[0], clips[1], False
        if sides == ["reference", "source"] or sides == ["reference", None] or \
                sides == [None, "source"]:
            return clips[1], clips[0], False
        return clips[0], clips[1], True
    source = next((c for c, s in zip(clips, sides) if s == "source"), clips[0])
    reference = next((c for c, s in zip(clips, sides) if s == "reference" and c is not source),
                     next(c for c in clips if c is not source))
    return source, reference, True
