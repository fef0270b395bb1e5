"""Temporal conform: which reference frame shows each scanned film frame, cleanly or not at all.

A source scan (film frames, one per frame) and its reference (a DVD or telecine) differ in
numbering, in rate and cadence, and in splices. This module answers, for every source frame, the
reference frame that shows the same film frame cleanly - or none, with the reason - and reports
the cadence and where it breaks. The answer is a :class:`~nuke_restore.framemap.FrameMap`.

Method (the numbers behind the choices are in docs/conform.md):

1. **Descriptors** (:mod:`.conform_features`): every frame read once, luma on a small grid of its
   active picture, high-passed and normalised (colour, grade, fade, grain, dust, resolution and
   letterbox drop out); one descriptor per *field* for the reference.
2. **Similarities**: normalised correlations of every source frame with every reference field
   (two matrix products).
3. **Cadence models**: a cadence maps film frames to reference frames periodically - ``p`` film
   frames to ``q`` video frames, each film frame shown cleanly by one frame, only in two fields of
   two woven frames (2:3 pulldown), or only in a blend of two film frames. 1:1 (PAL, a plain
   offset), 2:3 with either field first, and blended 4:5 (24 -> 30) and 5:6 (25 -> 30) are
   modelled. A state is (cadence, phase, offset); its mapping for source frame ``i`` is exact.
4. **Global alignment**: a Viterbi pass over the source frames chooses one state per frame;
   staying costs nothing, a change within a cadence (a splice, a dropped or repeated frame, an
   edit) costs ``break_cost``, a change of cadence ``cadence_change_cost``, a run of "not in
   the reference" ``gap_cost`` plus ``none_cost`` per frame (see :func:`_viterbi`). The
   evidence for a state at frame ``i`` is the correlation of what the state says the reference
   shows (a clean frame, less its fields' disagreement; two fields of woven frames; a blend with
   the neighbouring film frame) with source frame ``i``. Dozens of frames vote for the phase and
   offset together, so frames that barely move still land right, and a woven or blended frame is
   not taken for clean.
5. **Read-out**: per source frame, the clean reference frame (checked again on its own: its
   correlation and its two fields' agreement) with a confidence, or none with ``field-mixed``,
   ``blended``, ``not-in-reference``,
   ``outside-reference`` or ``poor-match``; the cadence segments (with the field matches of
   field-mixed frames) and the breaks between them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from ..framemap import FrameMap, FrameMatch
from .conform_features import descriptors, read_small, warp_small
from .conform_framing import estimate_framing

logger = logging.getLogger(__name__)

FIELD_NAMES = ("upper", "lower")


# -- cadence models -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """Where one film frame of a cadence cycle appears, relative to the cycle's first video frame.

    kind ``clean``: video frame ``offset`` shows it. ``fields``: field ``fields[0]`` of video frame
    ``offset`` and field ``fields[1]`` of frame ``offset + 1``. ``blend``: video frame ``offset``
    shows ``(1 - weight) *`` it ``+ weight *`` the source frame ``delta`` away.
    """

    kind: str
    offset: int
    fields: Tuple[int, int] = (0, 0)
    delta: int = 0
    weight: float = 0.0


@dataclass(frozen=True)
class Cadence:
    name: str
    p: int                      # film frames per cycle
    q: int                      # video frames per cycle
    positions: Tuple[Position, ...]
    field_order: str = ""

    def describe(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"kind": self.name}
        if self.field_order:
            out["field_order"] = self.field_order
        return out


def _blend_cadence(p: int, q: int) -> Cadence:
    """Frame blending, video frame j at film time j*p/q: each film frame where it weighs most."""
    best: Dict[int, Tuple[float, int, int]] = {}
    for j in range(q):
        t = j * p / q
        lo = int(np.floor(t + 1e-9))
        w = t - lo
        for film, weight, other in ((lo, 1 - w, lo + 1), (lo + 1, w, lo)):
            if film >= p or weight <= 1e-9:
                continue
            if film not in best or weight > best[film][0] + 1e-9:
                best[film] = (weight, j, other - film)
    pos = []
    for c in range(p):
        weight, j, delta = best[c]
        if weight > 1 - 1e-9:
            pos.append(Position("clean", j))
        else:
            pos.append(Position("blend", j, delta=delta, weight=round(1 - weight, 6)))
    return Cadence(f"blend {p}:{q}", p, q, tuple(pos))


#: The cadences conform knows. 2:3: A B C D -> AA BB BC CD DD; C only ever shows in fields.
CADENCES: Tuple[Cadence, ...] = (
    Cadence("1:1", 1, 1, (Position("clean", 0),)),
    Cadence("2:3", 4, 5, (Position("clean", 0), Position("clean", 1),
                          Position("fields", 2, fields=(1, 0)), Position("clean", 4)), "tff"),
    Cadence("2:3", 4, 5, (Position("clean", 0), Position("clean", 1),
                          Position("fields", 2, fields=(0, 1)), Position("clean", 4)), "bff"),
    _blend_cadence(4, 5),
    _blend_cadence(5, 6),
)


@dataclass
class ConformOptions:
    """Tuning of :func:`conform` (defaults chosen on ConformBench, see docs/conform.md)."""

    grid_width: int = 64
    none_cost: float = 0.3       # per frame "not in the reference" (1 - correlation units)
    poor_match: float = 0.5      # a clean match the path chose is refused below this correlation
    field_mismatch: float = 0.1  # ... and as field-mixed when its fields' correlations differ more
    field_weight: float = 1.0    # a clean frame's evidence: the fields' mean correlation minus this
    #                              times their difference
    break_cost: float = 1.0      # per change of cadence state (offset or phase; into or out of none)
    cadence_change_cost: float = 3.0   # per change from one cadence to another
    gap_cost: float = 1.0        # per run of "not in the reference": half into it, half out of it
    cap: float = 0.9             # evidence of one frame is capped (a damaged frame cannot rule)
    cadences: Tuple[str, ...] = ("1:1", "2:3", "blend 4:5", "blend 5:6")
    reframe: bool = True         # measure and undo the reference's scale/offset against the source
    threads: Optional[int] = None
    progress: bool = False


@dataclass
class ConformResult:
    frame_map: FrameMap
    source_frames: List[int]
    reference_frames: List[int]
    stats: Dict[str, Any] = field(default_factory=dict)


# -- the alignment --------------------------------------------------------------------------------
class _States:
    """All (cadence, phase a, offset b) states laid out in one vector; index 0 is "none"."""

    def __init__(self, cadences: Sequence[Cadence], n: int, m: int):
        self.cadences = list(cadences)
        self.blocks = []      # (cadence index, a, start index, bmin, count)
        idx = 1
        self.pad_left = 0
        self.pad_right = 0
        for ci, cad in enumerate(self.cadences):
            kmax = (n - 1 + cad.p - 1) // cad.p
            bmin = -(cad.q * (kmax + 1))
            bmax = m
            count = bmax - bmin + 1
            for a in range(cad.p):
                self.blocks.append((ci, a, idx, bmin, count))
                idx += count
            self.pad_left = max(self.pad_left, -bmin + cad.q + 2)
            self.pad_right = max(self.pad_right, cad.q * (kmax + 2) + 2)
        self.size = idx

    def decode(self, s: int) -> Optional[Tuple[int, int, int]]:
        """(cadence index, a, b) of state ``s``; None for the "none" state."""
        if s == 0:
            return None
        for ci, a, start, bmin, count in self.blocks:
            if start <= s < start + count:
                return ci, a, bmin + (s - start)
        raise IndexError(s)


def _where(cad: Cadence, a: int, b: int, i: int) -> Tuple[Position, int]:
    """The cadence position of source index i and the video frame its position is counted from."""
    u = i + a
    k, c = divmod(u, cad.p)
    pos = cad.positions[c]
    return pos, cad.q * k + pos.offset + b


def _film_time(cad: Cadence, a: int, b: int, i: int) -> float:
    """Reference time (in reference frames) at which the state shows source index i."""
    return cad.q * (i + a) / cad.p + b


class _Evidence:
    """Costs (1 - correlation, capped) of "source frame i shows as ..." for every reference index."""

    def __init__(self, src: np.ndarray, ref: np.ndarray, opts: ConformOptions, pad: Tuple[int, int]):
        self.n, self.m = len(src), len(ref)
        # correlations of source frames with reference fields: n x m each
        src = np.ascontiguousarray(src)
        self.cf = [src @ np.ascontiguousarray(ref[:, f]).T for f in (0, 1)]
        self.cframe = 0.5 * (self.cf[0] + self.cf[1])
        self.adj = np.einsum("ij,ij->i", src[:-1], src[1:]) if len(src) > 1 else np.zeros(0)
        self.cap = opts.cap
        self.none = opts.none_cost
        self.field_weight = opts.field_weight
        self.pad = pad

    def fill(self, i0: int, i1: int, kinds: Sequence[Any], out: np.ndarray) -> None:
        """Cost rows for source indices ``i0 .. i1 - 1`` into ``out[k, : i1 - i0]`` (kinds x
        frames x padded width; the padding holds the none cost and is not touched), one kind of
        position per ``kinds`` entry: "clean", ("fields", f0, f1), ("blend", delta, weight). A
        block of frames at a time: one numpy pass per kind instead of one per frame and kind."""
        count, m = i1 - i0, self.m
        left = self.pad[0]

        def put(k: int, corr: np.ndarray) -> None:
            dst = out[k, :count, left: left + m]
            np.subtract(1.0, corr, out=dst)
            np.minimum(dst, self.cap, out=dst)

        idx = np.arange(i0, i1)
        for k, kind in enumerate(kinds):
            if kind == "clean":
                # both fields of a clean frame show the source's film frame: their disagreement
                # is evidence against it (a woven frame cannot pose as clean in a slow shot)
                put(k, self.cframe[i0:i1] - self.field_weight *
                    np.abs(self.cf[0][i0:i1] - self.cf[1][i0:i1]))
            elif kind[0] == "fields":
                # field f0 of frame j and field f1 of frame j + 1, indexed by j
                f0, f1 = kind[1:]
                row = np.full((count, m), -1.0)
                row[:, : m - 1] = 0.5 * (self.cf[f0][i0:i1, :-1] + self.cf[f1][i0:i1, 1:])
                put(k, row)
            else:
                delta, weight = kind[1:]
                j = idx + delta
                inside = (j >= 0) & (j < self.n)
                jj = np.clip(j, 0, self.n - 1)
                rho = self.adj[np.clip(np.minimum(idx, jj), 0, max(0, self.n - 2))] \
                    if self.n > 1 else np.zeros(len(idx))
                norm = np.sqrt((1 - weight) ** 2 + weight ** 2 + 2 * weight * (1 - weight) * rho)
                corr = ((1 - weight) * self.cframe[i0:i1] + weight * self.cframe[jj]) / \
                    np.maximum(norm, 1e-6)[:, None]
                # past either end there is no neighbour to blend with: the clean correlation
                corr[~inside] = self.cframe[i0:i1][~inside]
                put(k, corr)


class _Gather:
    """Where each state's emission cost sits in a block of cost rows: a state ``(cadence, a, b)``
    reads row kind ``kind(i)`` at column ``left + base(i) + (b - bmin)``, and both repeat with
    the cadence cycle. The block of frames is a whole number of cycles of every cadence, so one
    index table (frames of a block x states) serves every block, moved on by a fixed step per
    state: the emissions of a whole block of frames are one gather."""

    def __init__(self, states: _States, kinds: Sequence[Any], left: int, width: int,
                 target: int = 32):
        cads = states.cadences
        blocks = states.blocks
        cycle = 1
        for c in cads:
            cycle = cycle * c.p // np.gcd(cycle, c.p)
        self.cycle = cycle
        self.frames = cycle * max(1, target // cycle)
        kind_index = {k: n for n, k in enumerate(kinds)}
        counts = np.array([c for *_x, c in blocks])
        first = np.empty((self.frames, len(blocks)), np.intp)
        step = np.empty(len(blocks), np.intp)
        for n, (ci, a, _start, bmin, _count) in enumerate(blocks):
            cad = cads[ci]
            step[n] = cad.q * (cycle // cad.p)
            for r in range(self.frames):
                k, c = divmod(r + a, cad.p)
                pos = cad.positions[c]
                row = kind_index[_row_key(pos)] * self.frames + r
                first[r, n] = row * width + left + cad.q * k + pos.offset + bmin
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        # state 0 ("none") reads the element after the stack, which holds the none cost
        self.size = len(kinds) * self.frames * width + 1
        self.first = np.empty((self.frames, states.size), np.intp)
        self.first[:, 0] = self.size - 1
        self.first[:, 1:] = first[:, np.repeat(np.arange(len(blocks)), counts)] + within
        self.step = np.concatenate([[0], np.repeat(step, counts)])

    def emissions(self, flat: np.ndarray, i0: int, count: int) -> np.ndarray:
        """(count x states) emission costs of ``count`` frames from source index ``i0`` (a
        multiple of ``frames``) from their stack of cost rows, flattened, and the none cost
        after it (``size`` elements in all)."""
        return np.take(flat, self.first[:count] + (i0 // self.cycle) * self.step)


def _row_key(pos: Position) -> Any:
    if pos.kind == "clean":
        return "clean"
    if pos.kind == "fields":
        return ("fields",) + pos.fields
    return ("blend", pos.delta, pos.weight)


def _viterbi(states: _States, ev: _Evidence, opts: ConformOptions, progress: bool
             ) -> Tuple[List[int], float]:
    """The cheapest path of states over the source frames, and its cost.

    Staying in a state is free. Moving to another state of the same cadence (a splice, a dropped
    or repeated frame, an edit) costs ``break_cost``; a run of "none" (frames the reference
    lacks) costs ``gap_cost`` in all, half into it and half out of it: it is one event, and
    charged as two breaks the path would rather run on through the missing frames with poor
    matches and break once after them. Moving from one cadence to another costs
    ``cadence_change_cost``: a transfer does not turn from 2:3 into a blended conversion within
    a shot, and in a shot that barely moves a blended cadence can imitate 2:3 across a splice
    (woven and blended frames then look alike) more cheaply than the splice's breaks. Per frame
    the best way into every state is its own previous cost, the best of its cadence plus a break
    (or none plus half a gap), or the best of all plus a cadence change.
    """
    from .progress import progress_bar

    n = ev.n
    left = states.pad_left
    switched_bits = []
    global_bits = []
    argmins = []
    local_args = []
    cost = None
    bar = progress_bar(total=n, desc="align", enabled=progress)
    blends = sorted({(p.delta, p.weight) for c in states.cadences for p in c.positions
                     if p.kind == "blend"})
    kinds = ["clean", ("fields", 1, 0), ("fields", 0, 1)] + [("blend",) + b for b in blends]
    width = left + ev.m + states.pad_right + 1
    # frames whose cost rows and emissions are computed together (bounded memory on long reels)
    gather = _Gather(states, kinds, left, width)
    block = gather.frames
    flat = np.full(gather.size, opts.none_cost, np.float64)    # the padding keeps it
    stack = flat[:-1].reshape(len(kinds), block, width)
    # the states of each cadence: one contiguous range each (state 0, none, is on its own)
    groups: List[Tuple[int, int]] = []
    for ci, _a, start, _b, count in states.blocks:
        if groups and len(groups) > ci:
            groups[ci] = (groups[ci][0], start + count)
        else:
            groups.append((start, start + count))
    brk, change = opts.break_cost, max(opts.cadence_change_cost, opts.break_cost)
    half_gap = 0.5 * opts.gap_cost
    ng = len(groups)
    # "none" is kept once per cadence, the one the path was in before it: leaving a run of none
    # into another cadence is a cadence change too (else a gap would be a free way round it).
    # In the main cost vector state 0 is unused; a path frame in none is decoded as state 0.
    none = np.full(ng, opts.none_cost)
    none_from: List[np.ndarray] = []      # per frame and cadence: previous state (-1 - g: none g)
    jump = np.empty(states.size)
    local = np.empty(ng, np.intp)
    big = np.inf
    for i in range(n):
        r = i % block
        if r == 0:
            count = min(n, i + block) - i
            ev.fill(i, i + count, kinds, stack)
            block_emis = gather.emissions(flat, i, count)
        emis = block_emis[r]
        if cost is None:
            cost = emis.copy()
            cost[0] = big
            none_bits = np.packbits(np.zeros(states.size, bool))
            switched_bits.append(none_bits)
            global_bits.append(none_bits)
            argmins.append(0)
            local_args.append(local.copy())
            none_from.append(-1 - np.arange(ng))
        else:
            best = 1 + int(np.argmin(cost[1:]))
            across = cost[best] + change
            use_global = np.zeros(states.size, bool)
            jump[0] = big
            g_none = int(np.argmin(none))
            new_none = none.copy()
            came = -1 - np.arange(ng)
            for g, (lo, hi) in enumerate(groups):
                k = lo + int(np.argmin(cost[lo:hi]))
                # into none after this cadence: half a gap
                if cost[k] + half_gap < new_none[g]:
                    new_none[g] = cost[k] + half_gap
                    came[g] = k
                within = cost[k] + brk
                # out of none: half a gap back into the same cadence, a cadence change more into
                # another (none rather than a state that maps outside the reference at the same
                # cost)
                out_same = none[g] + half_gap
                out_other = none[g_none] + half_gap + (change - brk)
                if out_same <= within and out_same <= out_other:
                    k, within = -1 - g, out_same
                elif out_other <= within:
                    k, within = -1 - g_none, out_other
                local[g] = k
                if across < within:
                    jump[lo:hi] = across
                    use_global[lo:hi] = True
                else:
                    jump[lo:hi] = within
            sw = jump < cost
            argmins.append(best)
            local_args.append(local.copy())
            none_from.append(came)
            switched_bits.append(np.packbits(sw))
            global_bits.append(np.packbits(use_global))
            np.minimum(cost, jump, out=cost)
            cost += emis
            cost[0] = big
            none = new_none + opts.none_cost
        bar.update(1)
    bar.close()
    group_of = np.zeros(states.size, np.intp)
    for g, (lo, hi) in enumerate(groups):
        group_of[lo:hi] = g
    # the end: none (of some cadence) wins ties, as the state 0 of a single none did
    s = 1 + int(np.argmin(cost[1:]))
    g = int(np.argmin(none))
    if none[g] <= cost[s]:
        node, total = -1 - g, float(none[g])
    else:
        node, total = s, float(cost[s])
    path = [0] * n
    for i in range(n - 1, -1, -1):
        if node < 0:                      # none after cadence -1 - node
            path[i] = 0
            if i:
                node = int(none_from[i][-1 - node])
            continue
        path[i] = node
        if i and np.unpackbits(switched_bits[i], count=states.size)[node]:
            if np.unpackbits(global_bits[i], count=states.size)[node]:
                node = argmins[i]
            else:
                node = int(local_args[i][group_of[node]])
    return path, total


# -- entry point ----------------------------------------------------------------------------------
def conform(source, reference, source_frames: Optional[Sequence[int]] = None,
            reference_frames: Optional[Sequence[int]] = None,
            options: Optional[ConformOptions] = None) -> ConformResult:
    """Find the reference frame that shows each source frame (see the module docstring).

    Args:
        source, reference: :class:`~.sequence.FrameSequence` objects (every frame in range must
            exist: check them first).
        source_frames, reference_frames: the frames to use (default every frame).
        options: tuning.
    """
    import time

    opts = options or ConformOptions()
    sf = list(source.frames if source_frames is None else source_frames)
    rf = list(reference.frames if reference_frames is None else reference_frames)
    if len(sf) < 2 or len(rf) < 2:
        raise ImagingError(f"need at least 2 frames on each side, got {len(sf)} source and "
                           f"{len(rf)} reference frames")
    t0 = time.perf_counter()
    ref_small, ref_active, grid = read_small(reference, rf, None, opts.grid_width, fields=True,
                                             threads=opts.threads, progress=opts.progress,
                                             desc="reference")
    # the source's grid is the reference's: the same cells over each one's active picture
    src_small, src_active, _ = read_small(source, sf, grid, opts.grid_width, fields=False,
                                          threads=opts.threads, progress=opts.progress,
                                          desc="source")
    t1 = time.perf_counter()
    cads = [c for c in CADENCES if c.name in opts.cadences]
    if not cads:
        raise ImagingError(f"no known cadence among {list(opts.cadences)}")
    states = _States(cads, len(sf), len(rf))
    framing = None
    if opts.reframe:
        # pass 1, blurred descriptors: only to find a few sure pairs for the framing
        coarse = ConformOptions(**{**opts.__dict__, "none_cost": 0.5})
        # on a grid half as fine: blurred and 4x cheaper
        half = (max(8, grid[0] // 2), max(4, grid[1] // 2))
        ev1 = _Evidence(descriptors(src_small, half, highpass=2.0, smooth=0.75)[:, 0],
                        descriptors(ref_small, half, highpass=2.0, smooth=0.75), coarse,
                        (states.pad_left, states.pad_right))
        path1, _ = _viterbi(states, ev1, coarse, False)
        framing = estimate_framing(_sure_pairs(path1, states, ev1), src_small, ref_small)
        del ev1, path1     # its n x m matrices: not alive while the second pass builds its own
    if framing is not None:
        # the source brought onto the reference's framing: src(x) ~ ref(G x), so the warped
        # source src(G^-1 y) ~ ref(y). One raster a source frame instead of two (the fields) a
        # reference frame.
        src_small = warp_small(src_small, np.linalg.inv(framing["sampling"]))
    src_desc = descriptors(src_small, grid)[:, 0]
    ev = _Evidence(src_desc, descriptors(ref_small, grid), opts, (states.pad_left, states.pad_right))
    path, total = _viterbi(states, ev, opts, opts.progress)
    t2 = time.perf_counter()
    fmap = _read_out(path, states, ev, sf, rf, opts)
    stats = {"seconds_read": round(t1 - t0, 3), "seconds_align": round(t2 - t1, 3),
             "path_cost": round(total, 4), "grid": list(grid),
             "source_active": src_active.as_dict(), "reference_active": ref_active.as_dict(),
             "framing": None if framing is None else {
                 k: v for k, v in framing.items() if k != "sampling"}}
    return ConformResult(fmap, sf, rf, stats)


def _sure_pairs(path, states: _States, ev: _Evidence, stretches: int = 6
                ) -> List[Tuple[int, int]]:
    """(source index, reference index): the best-correlated clean pair of ``path`` in each of
    ``stretches`` stretches of the source (correlation 0.5 or more)."""
    n = len(path)
    best: Dict[int, Tuple[float, int, int]] = {}
    for i, s in enumerate(path):
        st = states.decode(s)
        if st is None:
            continue
        cad = states.cadences[st[0]]
        pos, j = _where(cad, st[1], st[2], i)
        if pos.kind == "clean" and 0 <= j < ev.m:
            corr = float(ev.cframe[i, j])
            chunk = i * stretches // n
            if corr >= 0.5 and (chunk not in best or corr > best[chunk][0]):
                best[chunk] = (corr, i, j)
    return [best[k][1:] for k in sorted(best)]


def _read_out(path: List[int], states: _States, ev: _Evidence, sf: List[int], rf: List[int],
              opts: ConformOptions) -> FrameMap:
    m = len(rf)
    matches: Dict[int, FrameMatch] = {}
    decoded = [states.decode(s) for s in path]
    field_matches: Dict[int, List[List[Any]]] = {}
    for i, st in enumerate(decoded):
        src = sf[i]
        if st is None:
            matches[src] = FrameMatch(None, 0.0, "not-in-reference")
            continue
        ci, a, b = st
        cad = states.cadences[ci]
        pos, j = _where(cad, a, b, i)
        if pos.kind == "clean":
            if not 0 <= j < m:
                matches[src] = FrameMatch(None, 0.0, "outside-reference")
                continue
            corr = float(ev.cframe[i, j])
            if corr < opts.poor_match:
                matches[src] = FrameMatch(None, 0.0, "poor-match")
                continue
            # the field-level check of the chosen frame: both fields of a clean frame show the
            # source's film frame (their correlations differ by 0.02 at most on ConformBench); a
            # woven frame's other field shows another film frame (0.25 where the path took one
            # across a splice in a slow shot)
            if abs(float(ev.cf[0][i, j] - ev.cf[1][i, j])) > opts.field_mismatch:
                matches[src] = FrameMatch(None, 0.0, "field-mixed")
                continue
            matches[src] = FrameMatch(rf[j], round(min(1.0, max(0.0, corr)), 4))
        elif pos.kind == "fields":
            inside = [(jj, fld) for jj, fld in ((j, pos.fields[0]), (j + 1, pos.fields[1]))
                      if 0 <= jj < m]
            if not inside:
                matches[src] = FrameMatch(None, 0.0, "outside-reference")
                continue
            matches[src] = FrameMatch(None, 0.0, "field-mixed")
            field_matches[i] = [[src, rf[jj], FIELD_NAMES[fld]] for jj, fld in inside]
        else:
            matches[src] = FrameMatch(None, 0.0, "blended" if 0 <= j < m else "outside-reference")
    cadence, breaks = _segments(decoded, states, sf, rf, matches, field_matches)
    return FrameMap(matches, cadence=cadence, breaks=breaks)


def _segments(decoded, states: _States, sf, rf, matches, field_matches
              ) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    n = len(decoded)
    runs: List[Tuple[int, int]] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or decoded[i] != decoded[start]:
            runs.append((start, i - 1))
            start = i
    cadence = []
    for lo, hi in runs:
        st = decoded[lo]
        if st is None:
            continue
        ci, a, b = st
        cad = states.cadences[ci]
        refs = [matches[sf[i]].reference for i in range(lo, hi + 1)
                if matches[sf[i]].reference is not None]
        seg: Dict[str, Any] = {"source": [sf[lo], sf[hi]]}
        seg.update(cad.describe())
        seg["reference"] = [min(refs), max(refs)] if refs else None
        if cad.p == 1:
            seg["offset"] = _offset(rf, sf, b)
        else:
            seg["phase"] = (lo + a) % cad.p
            seg["clean"] = len(refs)
        fm = [x for i in range(lo, hi + 1) for x in field_matches.get(i, [])]
        if fm:
            seg["field_matches"] = fm
        cadence.append(seg)
    breaks = []
    for r, (lo, hi) in enumerate(runs):
        if r == 0:
            continue
        prev = decoded[runs[r - 1][1]]
        cur = decoded[lo]
        entry: Dict[str, Any] = {"source": sf[lo]}
        if cur is None:
            d = hi - lo + 1
            nxt = decoded[runs[r + 1][0]] if r + 1 < len(runs) else None
            kind = "not-in-reference"
            if nxt is not None and prev is not None:
                jump = _jump(states, prev, nxt, hi + 1)
                if jump == -d:
                    kind = "reference-missing"
            entry.update(kind=kind, frames=d)
        elif prev is None:
            entry.update(kind="resume")
        else:
            jump = _jump(states, prev, cur, lo)
            if prev[0] != cur[0] and states.cadences[prev[0]].name != states.cadences[cur[0]].name:
                entry.update(kind="cadence-change", film_frames=jump)
            elif jump > 0:
                entry.update(kind="source-missing", frames=jump)
            elif jump < 0:
                entry.update(kind="source-repeat", frames=-jump)
            else:
                entry.update(kind="cadence-change", film_frames=0)
        breaks.append(entry)
    return cadence, breaks


def _offset(rf, sf, b) -> int:
    """reference frame number - source frame number for a 1:1 state (reference index = i + b)."""
    return int(rf[0] + b - sf[0]) if len(rf) and len(sf) else 0


def _jump(states: _States, x, y, i: int) -> int:
    """Film frames the mapping jumps at source index i going from state x to state y."""
    cx, cy = states.cadences[x[0]], states.cadences[y[0]]
    tx = _film_time(cx, x[1], x[2], i)
    ty = _film_time(cy, y[1], y[2], i)
    return int(round((ty - tx) * cy.p / cy.q))
