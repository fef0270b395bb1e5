"""Units of work: the shots, scenes or whole sequence one model is trained for (granularity)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..config import JobConfig, Shot

Frame = Tuple[str, int]  # (clip name, frame number in that clip)


@dataclass
class Unit:
    """One model's scope: its shots, clips in order, training pairs and hold-out frames."""

    name: str
    granularity: str
    shots: List[Shot]
    clips: List[str]
    pairs: List[Frame]
    preview: Frame
    validation: List[Frame] = field(default_factory=list)
    ranges: Dict[str, Tuple[int, int]] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return min(r[0] for r in self.ranges.values())

    @property
    def last(self) -> int:
        return max(r[1] for r in self.ranges.values())


def make_units(cfg: JobConfig, granularity: str, shots: Optional[Sequence[str]] = None
               ) -> List[Unit]:
    """Group the config's shots by ``granularity``; ``shots`` limits the result to units that
    contain one of those shot names (or are named so)."""
    groups: Dict[str, List[Shot]] = {}
    for s in cfg.shots:
        if granularity == "shot":
            key = s.name
        elif granularity == "scene":
            key = s.scene or s.name
        else:
            key = f"{cfg.project.name}_SEQ"
        groups.setdefault(key, []).append(s)
    units = []
    for name, members in groups.items():
        if shots and name not in shots and not any(m.name in shots for m in members):
            continue
        clips: List[str] = []
        ranges: Dict[str, Tuple[int, int]] = {}
        pairs: List[Frame] = []
        val: List[Frame] = []
        for m in members:
            if m.clip not in clips:
                clips.append(m.clip)
            lo, hi = ranges.get(m.clip, (m.first, m.last))
            ranges[m.clip] = (min(lo, m.first), max(hi, m.last))
            pairs += [(m.clip, f) for f in m.train]
            val += [(m.clip, f) for f in m.validation]
        # A pair never repeats; order = clip order, then frame.
        pairs = sorted(set(pairs), key=lambda p: (clips.index(p[0]), p[1]))
        first = members[0]
        preview = (first.clip, first.preview if first.preview is not None else first.first)
        units.append(Unit(name=name, granularity=granularity, shots=members, clips=clips,
                          pairs=pairs, preview=preview, validation=sorted(set(val)),
                          ranges=ranges))
    return units
