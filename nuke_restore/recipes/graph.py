"""A small builder over ``nk.model.Script`` that the recipes use: defaults-aware knobs, clones, lanes
and stages for the layout, labelled backdrops and a summary StickyNote.

Layout: each stage is a horizontal band (top to bottom in build order) drawn with a labelled
BackdropNode; inside a band every node sits in a lane (a column). A node is placed below the previous
node of its lane and below each of its inputs in the same band, so the flow reads top to bottom and no
two node rectangles overlap (``node_rect`` gives the rectangle the layout and the tests assume).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..nk.model import Knob, Node, Script
from ..nk.values import Expr, Raw, UnsafeTextError, format_value, text_problem
from .knobdefs import is_default, on_save, sort_index

LANE_W = 160  # horizontal distance between lanes (a node is ~80 px wide plus its label)
ROW_H = 40  # vertical step for an ordinary node (18 px tall)
NODE_W = 80
NODE_H = 18
LABEL_LINE_H = 12
STAMP_H = 76  # PostageStamp thumbnail height
BAND_HEADER = 70  # room for the backdrop label
BAND_GAP = 60
BAND_PAD = 30
NOTE_FONT = 14
BACKDROP_FONT = 30

# Backdrop colours per stage kind (0xRRGGBBAA, as BackdropNode tile_color is written).
COLORS = {
    "read": 0x4C4C4CFF,
    "align": 0x5A4A7AFF,
    "dataset": 0x3F5F4FFF,
    "training": 0x2F4F6FFF,
    "copycat": 0x6F4F2FFF,
    "inference": 0x2F5F5FFF,
    "baseline": 0x5F3F3FFF,
    "output": 0x4F4F2FFF,
    "qc": 0x444444FF,
}


@dataclass
class Placement:
    stage: str
    lane: float
    height: int


def node_rect(node: Node) -> Optional[Tuple[int, int, int, int]]:
    """(x, y, w, h) of a node as drawn in the DAG, from its xpos/ypos (None if unplaced)."""
    x, y = node.knob("xpos"), node.knob("ypos")
    if x is None or y is None:
        return None
    if node.cls == "BackdropNode":
        return (int(x), int(y), int(node.knob("bdwidth") or 0), int(node.knob("bdheight") or 0))
    if node.cls == "StickyNote":
        w, h = sticky_size(_label_text(node))
        return (int(x), int(y), w, h)
    h = NODE_H + LABEL_LINE_H * _label_lines(node)
    if node.cls == "PostageStamp":
        h += STAMP_H
    return (int(x), int(y), NODE_W, h)


def _label_text(node: Node) -> str:
    from ..nk.values import parse_word

    raw = node.knob("label")
    if raw is None and node.clone_of is not None:
        raw = node.clone_of.knob("label")
    return parse_word(raw) if raw else ""


def _label_lines(node: Node) -> int:
    text = _label_text(node)
    return len(text.split("\n")) if text else 0


def sticky_size(text: str) -> Tuple[int, int]:
    lines = text.split("\n") if text else [""]
    width = max(len(s) for s in lines) * NOTE_FONT * 0.6 + 20
    return (int(math.ceil(width)), int(len(lines) * NOTE_FONT * 1.3 + 20))


_problem = lru_cache(maxsize=1 << 16)(text_problem)  # the same texts recur per shot


def _checked(value: str, kind: str, node: str, knob: str = "") -> str:
    """``value`` when it passes the gate (``nk.values.text_problem``), else UnsafeTextError."""
    problem = _problem(value, kind)
    if problem is not None:
        raise UnsafeTextError(f"{node}{'.' + knob if knob else ''}: {problem}")
    return value


@lru_cache(maxsize=1 << 16)
def _fmt_cached(kind: type, value: Any) -> str:
    return format_value(kind(value) if kind in (Raw, Expr) else value)


def fmt(value: Any) -> str:
    """``format_value`` with a cache for plain values (the same knob values recur per shot)."""
    kind = type(value)
    if kind in (str, int, float, bool, Raw, Expr):
        return _fmt_cached(kind, value)
    return format_value(value)


class Builder:
    """Adds nodes to a Script with layout hints; ``finish()`` places them and adds backdrops."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.place: Dict[int, Placement] = {}
        self.stages: List[Tuple[str, str, int]] = []  # (key, label, colour)
        self.current = ""
        self.names: Dict[str, int] = {}

    # -- stages --------------------------------------------------------------------------------
    def stage(self, key: str, label: str, kind: str) -> None:
        """Start (or return to) the band ``key``; later nodes go into it."""
        if key not in [s[0] for s in self.stages]:
            self.stages.append((key, label, COLORS.get(kind, 0x444444FF)))
        self.current = key

    # -- nodes ---------------------------------------------------------------------------------
    def unique(self, name: str) -> str:
        n = self.names.get(name, 0)
        self.names[name] = n + 1
        return name if n == 0 else f"{name}_{n + 1}"

    def add(self, cls: str, knobs: Iterable[Tuple[str, Any]] = (),
            inputs: Sequence[Optional[Node]] = (), *, name: str, lane: float = 0,
            label: Optional[str] = None) -> Node:
        """A node with only its non-default knobs (values are Python values or ``Raw``/``Expr``)."""
        node = self.script.add(cls, None, list(inputs))
        node.knobs.append(Knob("name", fmt(_checked(self.unique(name), "ident", "node name"))))
        for k, v in knobs:
            if v is None:
                continue
            if type(v) is str:
                # The one gate (nk.values.text_problem): no text reaches a knob as live TCL.
                _checked(v, "text", name, k)
            text = fmt(v)
            if is_default(cls, k, text):
                continue
            node.knobs.append(Knob(k, text))
        for k, text in on_save(cls, {kn.name: kn.value for kn in node.knobs}):
            node.knobs.append(Knob(k, text))
        if label:
            node.knobs.append(Knob("label", fmt(_checked(label, "text", name, "label"))))
        self._place(node, lane, label)
        return node

    def clone(self, original: Node, inputs: Sequence[Optional[Node]] = (), *,
              lane: float = 0) -> Node:
        node = self.script.add_clone(original, None, list(inputs))
        self._place(node, lane)
        return node

    def _place(self, node: Node, lane: float, label: Optional[str] = None) -> None:
        if label is None and node.clone_of is not None:
            label = _label_text(node)
        h = NODE_H + LABEL_LINE_H * (len(label.split("\n")) if label else 0)
        if node.cls == "PostageStamp":
            h += STAMP_H
        self.place[id(node)] = Placement(self.current, lane, h)

    # -- finishing -----------------------------------------------------------------------------
    def finish(self, note: str) -> None:
        """Place every node, add one labelled BackdropNode per stage and the summary StickyNote."""
        nodes = [n for n in self.script.nodes if id(n) in self.place]
        order = [s[0] for s in self.stages]
        y0 = 0
        pos: Dict[int, Tuple[int, int]] = {}
        backdrops = []
        max_x = 0
        for key in order:
            members = [n for n in nodes if self.place[id(n)].stage == key]
            if not members:
                continue
            top = y0 + BAND_HEADER
            cursor: Dict[float, int] = {}
            bottom = top
            for n in members:
                p = self.place[id(n)]
                y = cursor.get(p.lane, top)
                for src in n.inputs:
                    # Below every input placed in this band, so the flow reads top to bottom.
                    if src is not None and id(src) in pos and self.place[id(src)].stage == key:
                        sy = pos[id(src)][1] + self.place[id(src)].height
                        y = max(y, sy + ROW_H - NODE_H)
                x = int(round(p.lane * LANE_W))
                pos[id(n)] = (x, y)
                cursor[p.lane] = y + p.height + (ROW_H - NODE_H)
                bottom = max(bottom, y + p.height)
                max_x = max(max_x, x + NODE_W)
            xs = [pos[id(n)][0] for n in members]
            backdrops.append((key, min(xs) - BAND_PAD, y0,
                              max(xs) + NODE_W + BAND_PAD - (min(xs) - BAND_PAD),
                              bottom + BAND_PAD - y0))
            y0 = bottom + BAND_PAD + BAND_GAP
        for n in nodes:
            x, y = pos[id(n)]
            n.knobs.append(Knob("xpos", str(x)))
            n.knobs.append(Knob("ypos", str(y)))
        labels = {s[0]: (s[1], s[2]) for s in self.stages}
        at = self._first_node_index()
        for i, (key, x, y, w, h) in enumerate(backdrops):
            label, color = labels[key]
            # Wide enough for its label, which Nuke draws at the top left.
            w = max(w, int(len(label) * BACKDROP_FONT * 0.6) + 2 * BAND_PAD)
            max_x = max(max_x, x + w)
            bd = self.script.add("BackdropNode", None, [], name=f"BackdropNode{i + 1}")
            bd.set("inputs", 0)
            bd.set_raw("tile_color", f"0x{color:08x}")
            bd.set("label", _checked(label, "text", "BackdropNode", "label"))
            bd.set("note_font_size", BACKDROP_FONT)
            bd.set("xpos", x)
            bd.set("ypos", y)
            bd.set("bdwidth", w)
            bd.set("bdheight", h)
            # Backdrops are written first so they sit under the nodes.
            self.script.items.remove(bd)
            self.script.items.insert(at + i, bd)
        sticky = self.script.add("StickyNote", None, [], name="StickyNote_nuke_restore")
        sticky.set("inputs", 0)
        sticky.set("label", _checked(note, "text", "StickyNote", "label"))
        sticky.set("note_font_size", NOTE_FONT)
        sticky.set("xpos", max_x + BAND_PAD * 2)
        sticky.set("ypos", 0)
        self.script.items.remove(sticky)
        self.script.items.insert(self._first_node_index(), sticky)
        self._sort_all()

    def _first_node_index(self) -> int:
        for i, item in enumerate(self.script.items):
            if isinstance(item, Node) and item.cls != "Root":
                return i
        return len(self.script.items)

    def _sort_all(self) -> None:
        for n in self.script.nodes:
            if n.clone_of is not None:
                continue
            knobs = n.knobs
            cut = next((i for i, k in enumerate(knobs) if k.name == "addUserKnob"), len(knobs))
            # User knobs (addUserKnob and their values) stay last, in their own order.
            plain = knobs[:cut]
            order = sort_index(n.cls, tuple(k.name for k in plain))
            n.knobs = [plain[i] for i in order] + knobs[cut:]
