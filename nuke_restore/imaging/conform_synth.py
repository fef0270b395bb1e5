"""Conform test footage with known truth, made from real photographs (scikit-image's bundled ones).

A "film" is a list of clean frames: camera moves over the bundled photographs, one photograph per
shot, fast enough (1-3 % of the width per frame) that neighbouring film frames differ. From the film
two sequences are written, as a real job would have them:

* the **source**: a faded print scan (density-domain dye fade, grain, flicker, dust, softening)
  written as 16-bit DPX with a log encoding, numbered from 1001;
* the **reference**: a video transfer of the same film at another cadence - PAL 1:1 with an offset,
  NTSC 2:3 hard telecine woven from fields, or a blended standards conversion - graded differently,
  at a lower resolution, optionally letterboxed, with grain, written as JPEG numbered from 1.

Either side can be spliced (film frames missing or repeated) or cut differently (shots left out,
another shot in). :func:`make_conform_case` returns the truth: for every source frame the set of
reference frames that show its film frame cleanly (both fields, no blend), why there is none
otherwise, the cadence and the source frames where the mapping breaks. Used by the tests and by
``bench/bench_conform.py``.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import samples
from .colour import linear_to_srgb, srgb_to_linear
from .sequence import box_downscale, write_image

__all__ = ["RefFrame", "ConformCase", "render_film", "telecine", "make_conform_case", "score"]


@dataclass(frozen=True)
class RefFrame:
    """What one reference frame shows: film frame ``top`` in its upper field, ``bottom`` in its
    lower field; with ``other``/``weight`` set, a blend ``(1 - weight) * top + weight * other``."""

    top: int
    bottom: int
    other: Optional[int] = None
    weight: float = 0.0

    @property
    def clean(self) -> Optional[int]:
        if self.top == self.bottom and (self.other is None or self.weight == 0.0):
            return self.top
        return None

    def films(self) -> List[int]:
        out = {self.top, self.bottom}
        if self.other is not None and self.weight > 0:
            out.add(self.other)
        return sorted(out)


def render_film(n_frames: Sequence[int], size: Tuple[int, int], seed: int = 0,
                photos: Optional[Sequence[str]] = None) -> List[np.ndarray]:
    """Clean sRGB-encoded film frames: one shot per entry of ``n_frames`` (its length)."""
    w, h = size
    rng = np.random.default_rng(seed)
    names = list(photos or samples.PHOTOS)
    order = [names[i] for i in rng.permutation(len(names))]
    plans = []
    for si, n in enumerate(n_frames):
        photo = order[si % len(order)]
        ph, pw = samples.load_photo(photo).shape[:2]
        full_h = min(ph, pw * h / w)
        z = rng.uniform(0.5, 0.62) * full_h
        speed = rng.uniform(0.012, 0.03) * z * w / h          # photo pixels per frame
        heading = rng.uniform(0, 2 * math.pi)
        half_w, half_h = z * w / h / 2 * 1.03, z / 2 * 1.03
        lo = np.array([half_w, half_h])
        hi = np.array([max(half_w, pw - half_w), max(half_h, ph - half_h)])
        vel = np.array([math.cos(heading), math.sin(heading)]) * speed
        # the whole move stays inside the photograph (a move that turned back would show the
        # same picture twice: a real shot can, but it is not what this footage tests)
        span = vel * max(1, n - 1)
        room = hi - lo
        shrink = min(1.0, float(np.min(room / np.maximum(np.abs(span), 1e-9))))
        vel *= shrink
        span *= shrink
        c0 = rng.uniform(lo + np.maximum(0, -span), np.maximum(lo + np.maximum(0, -span),
                                                               hi - np.maximum(0, span)))
        zoom = rng.uniform(-0.004, 0.004)
        plans.append((photo, c0, vel, z, zoom, n))
    jobs = []
    for photo, c0, vel, z, zoom, n in plans:
        for k in range(n):
            jobs.append((photo, c0 + vel * k, z * (1 + zoom * k)))
    for photo, *_ in plans:
        samples._linear_photo(photo)  # fill the cache before the threads start

    def one(job):
        photo, (cx, cy), zh = job
        m = samples.similarity(zh / h, 0.0, cx - w / 2, cy - h / 2, center=(w / 2, h / 2))
        lin = samples.warp(samples._linear_photo(photo), m, (w, h))
        return linear_to_srgb(np.clip(lin, 0.0, 1.0)).astype(np.float32)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, jobs))


# -- cadences -------------------------------------------------------------------------------------
def one_to_one(films: Sequence[int]) -> List[RefFrame]:
    return [RefFrame(f, f) for f in films]


def telecine(films: Sequence[int], phase: int = 0, field_order: str = "tff") -> List[RefFrame]:
    """2:3 hard telecine: film frames A B C D -> video AA BB BC CD DD (fields in temporal order).

    ``phase`` is the cycle position (0 = A) of the first film frame; with ``bff`` the lower field
    comes first in time.
    """
    counts = [2, 3, 2, 3]
    fields: List[int] = []
    for k, f in enumerate(films):
        fields += [f] * counts[(k + phase) % 4]
    out = []
    for i in range(0, len(fields) - 1, 2):
        first, second = fields[i], fields[i + 1]
        out.append(RefFrame(first, second) if field_order == "tff" else RefFrame(second, first))
    return out


def blended(films: Sequence[int], p: int = 4, q: int = 5, phase: int = 0) -> List[RefFrame]:
    """Frame-blending standards conversion: ``q`` video frames per ``p`` film frames.

    Video frame ``j`` shows film time ``(j + phase) * p / q`` (less the whole frames before the
    first): a blend of the two film frames around it, clean only where that time is whole.
    """
    out = []
    n = len(films)
    j = 0
    skip = (phase * p) // q
    while True:
        t = (j + phase) * p / q - skip
        lo = int(math.floor(t + 1e-9))
        w = t - lo
        if lo + 1 >= n and w > 1e-6 or lo >= n:
            break
        if w < 1e-6:
            out.append(RefFrame(films[lo], films[lo]))
        else:
            out.append(RefFrame(films[lo], films[lo], films[lo + 1], round(w, 6)))
        j += 1
    return out


# -- pictures -------------------------------------------------------------------------------------
def _resize(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    w, h = size
    ih, iw = img.shape[:2]
    if (iw, ih) == (w, h):
        return img
    f = max(1, min(iw // w, ih // h))
    small = box_downscale(img, f) if f > 1 else img
    sh, sw = small.shape[:2]
    u = (np.arange(w) + 0.5) / w * sw
    v = (np.arange(h) + 0.5) / h * sh
    uu, vv = np.meshgrid(u, v)
    return samples.sample_bilinear(small, uu, vv)


def _source_pixels(clean: np.ndarray, rng: np.random.Generator, fade: samples.FadeParams,
                   log: bool = True) -> np.ndarray:
    """Faded print scan: log-encoded 0..1 (for 16-bit DPX), or scene-linear (for EXR)."""
    lin = srgb_to_linear(clean)
    gain = 1.0 + fade.flicker * float(rng.uniform(-1.0, 1.0))
    src = samples.fade_linear(lin, fade, rng, gain=gain)
    src = samples.gaussian_blur(src, fade.blur_sigma)
    h, w = src.shape[:2]
    for _ in range(int(rng.integers(2, 6))):  # dust and scratches: small dark or bright specks
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        r = max(1, int(rng.integers(1, max(2, w // 160) + 1)))
        src[max(0, y - r): y + r, max(0, x - r): x + r] = 0.02 if rng.random() < 0.7 else 0.9
    if not log:
        return np.clip(src, 0.0, None).astype(np.float32)
    return np.clip((np.log10(src + 0.005) + 2.3) / 2.6, 0.0, 1.0).astype(np.float32)


@dataclass
class RefLook:
    """How the reference differs from the film: size, letterbox, framing, grade, grain, JPEG."""

    size: Tuple[int, int] = (480, 270)
    letterbox: int = 0            # black rows above and below the picture (reference pixels)
    crop: float = 0.0             # share of the picture cut from each side (overscan / reframing)
    shift: Tuple[float, float] = (0.0, 0.0)   # picture offset, share of the width/height
    gains: Tuple[float, float, float] = (1.08, 0.97, 0.82)   # faded dyes / a warm transfer
    gamma: float = 1.15
    lift: float = 0.04
    grain: float = 0.02
    quality: int = 70


def _ref_picture(film_img: np.ndarray, look: RefLook) -> np.ndarray:
    h, w = film_img.shape[:2]
    rw, rh = look.size
    ph = rh - 2 * look.letterbox
    c = look.crop
    sx, sy = look.shift
    x0, x1 = (c + sx) * w, (1 - c + sx) * w
    y0, y1 = (c + sy) * h, (1 - c + sy) * h
    u = x0 + (np.arange(rw) + 0.5) / rw * (x1 - x0)
    v = y0 + (np.arange(ph) + 0.5) / ph * (y1 - y0)
    f = max(1, int(min((x1 - x0) / rw, (y1 - y0) / ph)))
    src = box_downscale(film_img, f) if f > 1 else film_img
    uu, vv = np.meshgrid(u / f, v / f)
    pic = samples.sample_bilinear(src, uu, vv)
    pic = np.clip(pic * np.asarray(look.gains, np.float32), 0, 1) ** np.float32(look.gamma)
    pic = look.lift + (1 - look.lift) * pic
    out = np.zeros((rh, rw, 3), np.float32)
    out[look.letterbox: look.letterbox + ph] = pic
    return out


def _ref_pixels(rf: RefFrame, film: List[np.ndarray], look: RefLook, rng: np.random.Generator
                ) -> np.ndarray:
    top = _ref_picture(film[rf.top], look)
    if rf.other is not None and rf.weight > 0:
        top = (1 - rf.weight) * top + rf.weight * _ref_picture(film[rf.other], look)
    img = top
    if rf.bottom != rf.top:
        img = top.copy()
        img[1::2] = _ref_picture(film[rf.bottom], look)[1::2]
    if look.grain:
        img = img + rng.standard_normal(img.shape[:2], dtype=np.float32)[..., None] * look.grain
    return np.clip(img, 0, 1)


# -- cases ----------------------------------------------------------------------------------------
@dataclass
class ConformCase:
    """A source/reference pair on disk with the truth."""

    name: str
    source: str
    reference: str
    source_films: List[int]
    reference_frames: List[RefFrame]
    source_first: int = 1001
    reference_first: int = 1
    cadence: Dict[str, Any] = field(default_factory=dict)

    def source_frame(self, i: int) -> int:
        return self.source_first + i

    def truth(self) -> Dict[int, Dict[str, Any]]:
        """Per source frame: ``refs`` (reference frames showing it cleanly) and ``reason``."""
        clean: Dict[int, List[int]] = {}
        seen: Dict[int, str] = {}
        for j, rf in enumerate(self.reference_frames):
            r = self.reference_first + j
            if rf.clean is not None:
                clean.setdefault(rf.clean, []).append(r)
            for f in rf.films():
                kind = "field-mixed" if rf.top != rf.bottom else (
                    "blended" if rf.other is not None and rf.weight > 0 else "clean")
                if seen.get(f) != "clean":
                    seen[f] = kind if kind == "clean" or f not in seen else seen[f]
        out = {}
        for i, f in enumerate(self.source_films):
            refs = sorted(clean.get(f, []))
            reason = "" if refs else seen.get(f, "not-in-reference")
            out[self.source_frame(i)] = {"refs": refs, "reason": reason, "film": f}
        return out

    def field_mixed_refs(self) -> List[int]:
        return [self.reference_first + j for j, rf in enumerate(self.reference_frames)
                if rf.top != rf.bottom]

    def blended_refs(self) -> List[int]:
        return [self.reference_first + j for j, rf in enumerate(self.reference_frames)
                if rf.other is not None and rf.weight > 0]

    def breaks(self) -> List[int]:
        """Source frames where the mapping does not continue from the previous source frame:
        the film jumps (source splice), or the film frame's presence in the reference changes,
        or the reference does not show the two film frames one after the other. Running into or
        out of the reference's first or last film frame is not a break."""
        pos: Dict[int, int] = {}   # film frame -> order of first appearance in the reference
        order = 0
        for rf in self.reference_frames:
            for f in rf.films():
                if f not in pos:
                    pos[f] = order
                    order += 1
        lo, hi = min(pos), max(pos)
        out = []
        for i in range(1, len(self.source_films)):
            a, b = self.source_films[i - 1], self.source_films[i]
            ina, inb = a in pos, b in pos
            if b == a + 1 and (not lo <= a <= hi or not lo <= b <= hi):
                continue  # running into or out of the reference's ends is no break
            if b != a + 1 or ina != inb or (ina and inb and pos[b] != pos[a] + 1):
                out.append(self.source_frame(i))
        return out


def make_conform_case(outdir, name: str, film: List[np.ndarray], source_films: Sequence[int],
                      reference_frames: Sequence[RefFrame], look: Optional[RefLook] = None,
                      seed: int = 0, cadence: Optional[Dict[str, Any]] = None,
                      source_first: int = 1001, reference_first: int = 1,
                      fade: Optional[samples.FadeParams] = None,
                      source_ext: str = "dpx") -> ConformCase:
    """Write ``outdir/name/source/src.####.dpx`` (log, 16-bit; or ``.exr``: linear, half) and
    ``.../reference/ref.####.jpg``."""
    look = look or RefLook()
    fade = fade or samples.FadeParams(grain=0.02, flicker=0.04)
    root = Path(outdir) / name
    (root / "source").mkdir(parents=True, exist_ok=True)
    (root / "reference").mkdir(parents=True, exist_ok=True)

    def src_one(i):
        rng = np.random.default_rng([seed, 11, i])
        img = _source_pixels(film[source_films[i]], rng, fade, log=source_ext == "dpx")
        write_image(root / "source" / f"src.{source_first + i:04d}.{source_ext}", img,
                    "uint16" if source_ext == "dpx" else "half", force=True)

    def ref_one(j):
        rng = np.random.default_rng([seed, 13, j])
        img = _ref_pixels(reference_frames[j], film, look, rng)
        write_image(root / "reference" / f"ref.{reference_first + j:04d}.jpg", img, "uint8",
                    force=True, quality=look.quality)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(src_one, range(len(source_films))))
        list(pool.map(ref_one, range(len(reference_frames))))
    return ConformCase(name, str(root / "source" / f"src.####.{source_ext}"),
                       str(root / "reference" / "ref.####.jpg"), list(source_films),
                       list(reference_frames), source_first, reference_first, dict(cadence or {}))


def score(case: ConformCase, frame_map) -> Dict[str, Any]:
    """Compare a FrameMap with the truth: right/none/false-field counts and the breaks found."""
    truth = case.truth()
    mixed = set(case.field_mixed_refs()) | set(case.blended_refs())
    right = matchable = none_ok = unmatchable = false_mixed = 0
    wrong = []
    for s, t in truth.items():
        r = frame_map.reference(s)
        if r is not None and r in mixed:
            false_mixed += 1
        if t["refs"]:
            matchable += 1
            if r in t["refs"]:
                right += 1
            else:
                wrong.append(s)
        else:
            unmatchable += 1
            if r is None:
                none_ok += 1
            else:
                wrong.append(s)
    found = sorted(b["source"] for b in frame_map.breaks)
    return {"matchable": matchable, "right": right, "unmatchable": unmatchable, "none": none_ok,
            "false_mixed": false_mixed, "wrong": wrong, "breaks_true": case.breaks(),
            "breaks_found": found, "breaks_exact": found == case.breaks()}
