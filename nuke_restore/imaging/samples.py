"""Sample footage with known ground truth, made at run time from real photographs.

The photographs ship inside the scikit-image wheel (``skimage/data``: astronaut, coffee, chelsea,
rocket, motorcycle_left). They are read straight from the installed package with
OpenImageIO, so nothing is downloaded and ``skimage`` itself is never imported.

A "shot" is a slow camera move (Ken Burns: pan, zoom, a little roll) over one photograph. From the
clean render three sequences are written:

* ``truth/truth.####.exr`` - the clean picture, scene-linear (sRGB primaries), half float;
* ``source/source.####.exr`` - a faded film scan of it: density-domain dye fade (
  crosstalk matrix, per-dye retention, blue stain), density grain, per-frame exposure flicker,
  a slight softening; linear, half float;
* ``reference/reference.####.jpg`` - a video-like reference with correct colour: rendered with a
  small per-frame misregistration (known similarity warp), halved in resolution and scaled back,
  a gentle luma curve, JPEG-compressed; sRGB-encoded 8-bit.

Known events: hard cuts (optionally between two moves over the same photograph, the hard case
inside a scene: ``same_photo_cuts``), dissolves, a flash frame (source only), a motion-blurred
frame (source only) and a reference defect (a black block on the reference only). Everything is
in the returned dict and ``ground_truth.json``. Frames are rendered on a thread pool with one
random stream per frame, so the same seed gives the same pixels.

Coordinates: image coordinates as in :mod:`.geometry` - ``u = col + 0.5``, ``v = row + 0.5``,
origin at the top-left corner, v down. ``ref_to_src`` per frame is the 3x3 matrix ``A`` such that
the reference pixel at ``p`` shows what the source shows at ``A @ p``; aligning the reference onto the
source therefore samples the reference at ``inv(A) @ q`` (``src_to_ref``) for each source pixel ``q``.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError, MissingDependencyError, OutputExistsError
from ..fileio import write_atomic
from .colour import linear_to_srgb, srgb_to_linear
from .progress import progress_bar
from .sequence import box_downscale, read_image, write_image

logger = logging.getLogger(__name__)

#: Colour photographs in the scikit-image wheel (file names under skimage/data).
PHOTOS: Dict[str, str] = {
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "rocket": "rocket.jpg",
    "motorcycle_left": "motorcycle_left.png",
}

#: Dye-density crosstalk (rows R, G, B density; columns cyan, magenta, yellow dye).
CROSSTALK = np.array([[1.00, 0.10, 0.02], [0.25, 1.00, 0.08], [0.10, 0.35, 1.00]])


@dataclass
class FadeParams:
    """Density-domain dye fade Retention is per dye: cyan, magenta, yellow."""

    retention: Tuple[float, float, float] = (0.45, 0.90, 0.65)
    stain: float = 0.03
    grain: float = 0.02
    flicker: float = 0.03
    blur_sigma: float = 0.6

    def as_dict(self) -> Dict[str, Any]:
        return {"retention_cmy": list(self.retention), "blue_stain_density": self.stain,
                "grain_density_sigma": self.grain, "exposure_flicker": self.flicker,
                "blur_sigma_px": self.blur_sigma, "crosstalk": CROSSTALK.tolist()}


# -- photographs ----------------------------------------------------------------------------------
def photo_path(name: str) -> Path:
    """Path of a bundled photograph inside the installed scikit-image package."""
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; use one of {sorted(PHOTOS)}")
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "scikit-image is needed for the sample photographs; install it with: "
            "pip install 'nuke-restore[imaging]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / PHOTOS[name]
    if not path.is_file():
        raise ImagingError("bundled photograph missing from the scikit-image install", path=str(path))
    return path


_PHOTO_CACHE: Dict[str, np.ndarray] = {}


def load_photo(name: str) -> np.ndarray:
    """A bundled photograph as float32 sRGB-encoded RGB in 0..1 (cached)."""
    if name not in _PHOTO_CACHE:
        _PHOTO_CACHE[name] = read_image(photo_path(name))
    return _PHOTO_CACHE[name]


_LINEAR_CACHE: Dict[str, np.ndarray] = {}


def _linear_photo(name: str) -> np.ndarray:
    # Linear light, lightly pre-blurred: the shots shrink the photo up to ~2x with one bilinear
    # sample per pixel, and the blur stands in for the missing area filter.
    if name not in _LINEAR_CACHE:
        _LINEAR_CACHE[name] = gaussian_blur(srgb_to_linear(load_photo(name)), 0.5)
    return _LINEAR_CACHE[name]


# -- geometry -------------------------------------------------------------------------------------
def similarity(scale: float = 1.0, angle_deg: float = 0.0, tx: float = 0.0, ty: float = 0.0,
               center: Tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """3x3 similarity about ``center``: p -> R s (p - c) + c + t (image coordinates)."""
    a = math.radians(angle_deg)
    cs, sn = math.cos(a) * scale, math.sin(a) * scale
    m = np.eye(3)
    m[:2, :2] = [[cs, -sn], [sn, cs]]
    c = np.asarray(center, float)
    m[:2, 2] = c + np.array([tx, ty]) - m[:2, :2] @ c
    return m


def sample_bilinear(img: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sample ``img`` (H x W x C) at image coordinates (u, v) with bilinear weights, edges clamped."""
    h, w = img.shape[:2]
    c = img.shape[2]
    x = np.clip(u - 0.5, 0.0, w - 1.0)
    y = np.clip(v - 0.5, 0.0, h - 1.0)
    x0 = np.minimum(x.astype(np.intp), w - 2)
    y0 = np.minimum(y.astype(np.intp), h - 2)
    fx = (x - x0).astype(np.float32)[..., None]
    fy = (y - y0).astype(np.float32)[..., None]
    flat = img.reshape(-1, c)
    i00 = y0 * w + x0
    # np.take on a flat index is several times faster than 2-D fancy indexing
    a = np.take(flat, i00, axis=0)
    b = np.take(flat, i00 + 1, axis=0)
    top = a + (b - a) * fx
    a = np.take(flat, i00 + w, axis=0)
    b = np.take(flat, i00 + w + 1, axis=0)
    bot = a + (b - a) * fx
    return top + (bot - top) * fy


def warp(img: np.ndarray, out_to_in: np.ndarray, size: Tuple[int, int], supersample: int = 1
         ) -> np.ndarray:
    """Render ``size`` = (w, h) pixels; output position p samples ``img`` at ``out_to_in @ p``.

    ``supersample`` renders at that factor and box-filters down (against aliasing when the
    photograph is shrunk a lot; the sample shots shrink it at most ~2x and use a pre-blurred photo).
    """
    w, h = size
    s = supersample
    cols = (np.arange(w * s, dtype=np.float64) + 0.5) / s
    rows = (np.arange(h * s, dtype=np.float64) + 0.5) / s
    uu, vv = np.meshgrid(cols, rows)
    m = out_to_in
    u = m[0, 0] * uu + m[0, 1] * vv + m[0, 2]
    v = m[1, 0] * uu + m[1, 1] * vv + m[1, 2]
    out = sample_bilinear(img, u, v)
    return box_downscale(out, s) if s > 1 else out


# -- degradations ---------------------------------------------------------------------------------
def fade_linear(lin: np.ndarray, params: FadeParams, rng: np.random.Generator,
                retention_scale: float = 1.0, gain: float = 1.0) -> np.ndarray:
    """Density-domain dye fade of linear transmittance ``lin``."""
    t = np.clip(lin * gain, 1e-3, 1.0)
    dens = -np.log10(t)
    dyes = np.einsum("...c,dc->...d", dens, np.linalg.inv(CROSSTALK).astype(np.float32))
    r = np.clip(np.asarray(params.retention) * retention_scale, 0.0, 1.0).astype(np.float32)
    faded = np.maximum(dyes, 0.0) * r
    d2 = np.einsum("...c,dc->...d", faded, CROSSTALK.astype(np.float32))
    d2 += np.array([0.0, 0.0, params.stain], np.float32)
    if params.grain:
        noise = rng.standard_normal(d2.shape, dtype=np.float32)
        d2 += noise * np.float32(params.grain) * np.sqrt(np.maximum(d2, 1e-4))
    return (10.0 ** -d2).astype(np.float32)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur (reflect edges), numpy only."""
    if sigma <= 0:
        return img
    r = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-r, r + 1)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    pad = np.pad(img, ((r, r), (0, 0), (0, 0)), mode="reflect")
    out = sum(k[i] * pad[i: i + img.shape[0]] for i in range(2 * r + 1))
    pad = np.pad(out, ((0, 0), (r, r), (0, 0)), mode="reflect")
    out = sum(k[i] * pad[:, i: i + img.shape[1]] for i in range(2 * r + 1))
    return out.astype(np.float32)


def motion_blur(img: np.ndarray, length: int = 9) -> np.ndarray:
    """Horizontal box motion blur of ``length`` pixels."""
    pad = np.pad(img, ((0, 0), (length // 2, length // 2), (0, 0)), mode="edge")
    return (sum(pad[:, i: i + img.shape[1]] for i in range(length)) / length).astype(np.float32)


#: Header tag of the sample EXRs: their pixels are linear Rec.709 (see ``imaging/ocio.py``).
LINEAR_TAG = {"nukeRestore/colourspace": "Linear Rec.709 (sRGB)"}
#: A DPX film scan: 10-bit, printing-density transfer (Cineon log).
DPX_CINEON_ATTRIBUTES = {"oiio:BitsPerSample": 10, "dpx:Transfer": "Printing density"}
_CINEON_BLACK = 10.0 ** ((95.0 - 685.0) * 0.002 / 0.6)


def cineon_encode(lin: np.ndarray) -> np.ndarray:
    """Linear light to Cineon code values / 1023 (Kodak: black 95, white 685, 0.002 D/code,
    negative gamma 0.6). Values below the curve's floor clip to code 0."""
    x = np.asarray(lin, np.float64) * (1.0 - _CINEON_BLACK) + _CINEON_BLACK
    code = 685.0 + 300.0 * np.log10(np.maximum(x, 1e-6))
    return (np.clip(code, 0.0, 1023.0) / 1023.0).astype(np.float32)


def degrade_reference(srgb: np.ndarray, scale: int = 2, native: bool = False) -> np.ndarray:
    """Video-like reference: lower resolution (box down, bilinear up) and a gentle luma curve.

    ``native``: keep the lower resolution (a DVD at half size) instead of scaling back up.
    """
    h, w = srgb.shape[:2]
    small = box_downscale(srgb, scale)
    sh, sw = small.shape[:2]
    if native:
        y = np.clip(small, 0.0, 1.0)
        return (0.02 + 0.96 * (y + 0.08 * np.sin(2 * math.pi * y) * y * (1 - y))).astype(np.float32)
    # back to the source raster (as conformed in an editor)
    u = (np.arange(w) + 0.5) / w * sw
    v = (np.arange(h) + 0.5) / h * sh
    uu, vv = np.meshgrid(u, v)
    up = sample_bilinear(small, uu, vv)
    # a video grade: slightly lifted blacks and more contrast in the mids, colour left alone
    y = np.clip(up, 0.0, 1.0)
    return (0.02 + 0.96 * (y + 0.08 * np.sin(2 * math.pi * y) * y * (1 - y))).astype(np.float32)


# -- timeline -------------------------------------------------------------------------------------
@dataclass
class _Shot:
    photo: str
    start: np.ndarray   # (cx, cy, zoom_height_px, angle_deg) at the first frame
    end: np.ndarray
    first: int          # nominal first frame (timeline)
    last: int           # nominal last frame
    lo: int             # first frame rendered (earlier when a dissolve leads in)
    hi: int             # last frame rendered

    def camera(self, frame: int, size: Tuple[int, int]) -> np.ndarray:
        """out_to_photo matrix at ``frame`` (interpolates over the rendered span)."""
        span = max(1, self.hi - self.lo)
        a = (frame - self.lo) / span
        a = a * a * (3 - 2 * a)  # ease in/out like a real move
        cx, cy, zh, ang = self.start + (self.end - self.start) * a
        w, h = size
        s = zh / h
        return similarity(s, ang, cx - w / 2, cy - h / 2, center=(w / 2, h / 2)) @ np.eye(3)


def _plan_shot(rng: np.random.Generator, photo: str, size: Tuple[int, int], frames: int = 24
               ) -> Tuple[np.ndarray, np.ndarray]:
    """Start and end camera states (cx, cy, crop height, roll) of a slow, steady move."""
    ph, pw = load_photo(photo).shape[:2]
    w, h = size
    aspect = w / h
    full_h = min(ph, pw / aspect)
    z0 = rng.uniform(0.55, 0.72) * full_h
    # Speeds per frame: pan 0.3-1% of the crop width, zoom up to 0.4%, roll up to 0.05 degrees.
    speed = rng.uniform(0.003, 0.010) * z0 * aspect
    heading = rng.uniform(0, 2 * math.pi)
    z1 = z0 * (1.0 + rng.uniform(-0.004, 0.004) * frames)
    a0 = rng.uniform(-1.5, 1.5)
    a1 = a0 + rng.uniform(-0.05, 0.05) * frames

    def bounds(z, ang):
        half_w = (z * aspect / 2) * 1.02 + abs(math.sin(math.radians(ang))) * z / 2
        half_h = (z / 2) * 1.02 + abs(math.sin(math.radians(ang))) * z * aspect / 2
        return half_w, max(half_w, pw - half_w), half_h, max(half_h, ph - half_h)

    x0lo, x0hi, y0lo, y0hi = bounds(z0, a0)
    x1lo, x1hi, y1lo, y1hi = bounds(z1, a1)
    lo_x, hi_x = max(x0lo, x1lo), min(x0hi, x1hi)
    lo_y, hi_y = max(y0lo, y1lo), min(y0hi, y1hi)
    cx0, cy0 = rng.uniform(lo_x, max(lo_x, hi_x)), rng.uniform(lo_y, max(lo_y, hi_y))
    dx, dy = math.cos(heading) * speed * frames, math.sin(heading) * speed * frames
    cx1 = float(np.clip(cx0 + dx, lo_x, max(lo_x, hi_x)))
    cy1 = float(np.clip(cy0 + dy, lo_y, max(lo_y, hi_y)))
    if abs(cx1 - cx0) + abs(cy1 - cy0) < 0.5 * speed * frames:  # hit the edge: go the other way
        cx1 = float(np.clip(cx0 - dx, lo_x, max(lo_x, hi_x)))
        cy1 = float(np.clip(cy0 - dy, lo_y, max(lo_y, hi_y)))
    return np.array([cx0, cy0, z0, a0]), np.array([cx1, cy1, z1, a1])


def plan_timeline(n_shots: int = 3, frames_per_shot=16, size: Tuple[int, int] = (256, 192),
                  seed: int = 0, photos: Optional[Sequence[str]] = None,
                  dissolves: Sequence[int] = (2,), dissolve_length: int = 6,
                  same_photo_cuts: Sequence[int] = (), first_frame: int = 1001) -> Dict[str, Any]:
    """Plan shots, transitions and camera moves (no pixels yet).

    Args:
        n_shots: number of shots.
        frames_per_shot: an int, or one int per shot (nominal lengths).
        size: output (width, height).
        seed: random seed; the same seed gives the same footage.
        photos: photographs to cycle through (default all of :data:`PHOTOS`).
        dissolves: indices of shots (1..n-1) that begin with a dissolve instead of a hard cut.
        dissolve_length: frames of each dissolve (centred on the shot's nominal first frame).
        same_photo_cuts: indices of shots that reuse the previous shot's photograph (a hard case).
        first_frame: number of the first frame.
    """
    rng = np.random.default_rng(seed)
    names = list(photos or PHOTOS)
    lengths = ([int(frames_per_shot)] * n_shots if np.isscalar(frames_per_shot)
               else [int(x) for x in frames_per_shot])
    if len(lengths) != n_shots:
        raise ValueError("frames_per_shot must be an int or have one entry per shot")
    shots: List[_Shot] = []
    transitions: List[Dict[str, Any]] = []
    f = first_frame
    order = list(rng.permutation(len(names)))
    photo_idx = 0
    for i, n in enumerate(lengths):
        if i and i in same_photo_cuts:
            photo = shots[-1].photo
        else:
            photo = names[order[photo_idx % len(names)]]
            photo_idx += 1
        start, end = _plan_shot(rng, photo, size, n + (dissolve_length if dissolves else 0))
        lo = f
        if i and i in dissolves:
            half = dissolve_length // 2
            lo = f - half
            shots[-1].hi = f + (dissolve_length - half) - 1
            transitions.append({"type": "dissolve", "frame": f, "first": f - half,
                                "last": f + (dissolve_length - half) - 1})
        elif i:
            transitions.append({"type": "cut", "frame": f, "same_photo": i in same_photo_cuts})
        shots.append(_Shot(photo, start, end, f, f + n - 1, lo, f + n - 1))
        f += n
    return {"shots": shots, "transitions": transitions, "first": first_frame, "last": f - 1,
            "size": tuple(size), "seed": seed}


def _load_all(plan: Dict[str, Any]) -> None:
    # fill the photo caches before threads start (no duplicate loads)
    for shot in plan["shots"]:
        _linear_photo(shot.photo)


def _shot_at(shots: List[_Shot], frame: int) -> List[Tuple[_Shot, float]]:
    """The shots visible at ``frame`` with their mix weights."""
    live = [s for s in shots if s.lo <= frame <= s.hi]
    if len(live) == 1:
        return [(live[0], 1.0)]
    a, b = live[0], live[1]
    span = a.hi - b.lo + 2
    alpha = (frame - b.lo + 1) / span
    return [(a, 1.0 - alpha), (b, alpha)]


def render_clean(plan: Dict[str, Any], frame: int, extra: Optional[np.ndarray] = None,
                 supersample: int = 1) -> np.ndarray:
    """Clean sRGB-encoded render of ``frame`` (dissolves mixed in linear light).

    ``extra`` (3x3) is applied before the camera: output p samples the scene at camera @ extra @ p.
    """
    size = plan["size"]
    acc = None
    for shot, wgt in _shot_at(plan["shots"], frame):
        m = shot.camera(frame, size)
        if extra is not None:
            m = m @ extra
        img = warp(_linear_photo(shot.photo), m, size, supersample)
        acc = img * wgt if acc is None else acc + img * wgt
    return linear_to_srgb(np.clip(acc, 0.0, 1.0))


def iter_frames(plan: Dict[str, Any], kind: str = "source", fade: Optional[FadeParams] = None,
                seed: int = 0, events: Optional[Dict[str, List[int]]] = None
                ) -> Iterator[Tuple[int, np.ndarray]]:
    """Yield (frame, sRGB-encoded pixels) for ``kind`` ``clean`` or ``source`` (no files).

    Used by the cut benchmark to build long sequences in memory.
    """
    fade = fade or FadeParams()
    events = events or {}
    for f in range(plan["first"], plan["last"] + 1):
        clean = render_clean(plan, f)
        if kind == "clean":
            yield f, clean
            continue
        rng = np.random.default_rng([seed, 7, f])
        lin = _source_linear(clean, f, plan, fade, rng, events)
        yield f, linear_to_srgb(np.clip(lin, 0.0, 1.0))


def _source_linear(clean_srgb, frame, plan, fade, rng, events) -> np.ndarray:
    shot_i = max(i for i, s in enumerate(plan["shots"]) if s.lo <= frame)
    jitter = 1.0 + 0.05 * math.sin(1.7 * shot_i + 0.3)  # prints of different reels fade differently
    gain = 1.0 + fade.flicker * float(rng.uniform(-1.0, 1.0))
    lin = srgb_to_linear(clean_srgb)
    if frame in events.get("blur", ()):
        lin = motion_blur(lin, 11)
    src = fade_linear(lin, fade, rng, retention_scale=jitter, gain=gain)
    src = gaussian_blur(src, fade.blur_sigma)
    if frame in events.get("flash", ()):
        src = np.clip(src * 2.2 + 0.15, 0.0, 1.0)  # a light flash / burnt frame on the print
    return src


# -- on disk --------------------------------------------------------------------------------------
def _ref_misregistration(rng: np.random.Generator, size: Tuple[int, int], n: int) -> List[np.ndarray]:
    """Smooth gate weave + a fixed conform offset: per-frame ref_to_src similarities."""
    w, h = size
    base = np.array([rng.uniform(-3, 3), rng.uniform(-2, 2), rng.uniform(-0.01, 0.02),
                     rng.uniform(-0.4, 0.4)])
    phase = rng.uniform(0, 2 * math.pi, 4)
    out = []
    for i in range(n):
        t = i / 7.0
        tx = base[0] + 0.6 * math.sin(t + phase[0])
        ty = base[1] + 0.5 * math.sin(1.3 * t + phase[1])
        sc = 1.0 + base[2] + 0.002 * math.sin(0.7 * t + phase[2])
        an = base[3] + 0.1 * math.sin(0.9 * t + phase[3])
        out.append(similarity(sc, an, tx, ty, center=(w / 2, h / 2)))
    return out


def make_shot_sequence(outdir, n_shots: int = 3, frames_per_shot=16,
                       size: Tuple[int, int] = (256, 192), seed: int = 0,
                       photos: Optional[Sequence[str]] = None, dissolves: Sequence[int] = (2,),
                       dissolve_length: int = 6, same_photo_cuts: Sequence[int] = (),
                       events: bool = True, reference: bool = True, truth: bool = True,
                       first_frame: int = 1001, fade: Optional[FadeParams] = None,
                       force: bool = False, progress: bool = False, source_format: str = "exr",
                       reference_scale: int = 1, reference_offset=0) -> Dict[str, Any]:
    """Write sample footage with known cuts, dissolve, fade and reference warps; return the truth.

    Args:
        outdir: folder to create (``source/``, ``reference/``, ``truth/``, ``ground_truth.json``).
        n_shots, frames_per_shot, size, seed, photos, dissolves, dissolve_length,
            same_photo_cuts, first_frame: see :func:`plan_timeline`.
        events: add a flash frame, a motion-blurred frame (source only) and a reference defect.
        reference: write the reference sequence.
        truth: write the clean sequence.
        fade: fade parameters (default :class:`FadeParams`).
        force: overwrite an existing sample folder.
        progress: show a progress bar.
        source_format: ``exr`` (scene-linear Rec.709, half) or ``dpx`` (a film scan: Cineon
            10-bit printing-density log, computed here from Kodak's published curve).
        reference_scale: 1 keeps the reference at the source's size (conformed back); 2 writes
            it at half resolution, as a DVD would be.
        reference_offset: reference frame = source frame + this (one number, or one per shot).

    Returns:
        The ground truth dict (also written to ``ground_truth.json``), see :func:`sample_ground_truth`.
    """
    out = Path(outdir)
    gt_path = out / "ground_truth.json"
    if gt_path.exists() and not force:
        raise OutputExistsError("sample footage exists; use --force to overwrite", path=str(gt_path))
    fade = fade or FadeParams()
    plan = plan_timeline(n_shots, frames_per_shot, size, seed, photos, dissolves, dissolve_length,
                         same_photo_cuts, first_frame)
    first, last = plan["first"], plan["last"]
    frames = list(range(first, last + 1))
    rng = np.random.default_rng(seed + 1)
    ev: Dict[str, List[int]] = {"flash": [], "blur": [], "reference_defect": []}
    shots = plan["shots"]
    if events:
        # inside shots and away from transitions, so they test curation, not the cut detector
        s0 = shots[0]
        ev["flash"] = [s0.first + (s0.last - s0.first) // 2 + 1]
        s1 = shots[min(1, len(shots) - 1)]
        ev["blur"] = [s1.first + (s1.last - s1.first) // 3 + 1]
        s2 = shots[-1]
        ev["reference_defect"] = [s2.last - (s2.last - s2.first) // 3]
    warps = _ref_misregistration(rng, size, len(frames))
    if source_format not in ("exr", "dpx"):
        raise ValueError("source_format must be 'exr' or 'dpx'")
    offsets = ([int(reference_offset)] * len(shots) if isinstance(reference_offset, int)
               else [int(o) for o in reference_offset])
    if len(offsets) != len(shots):
        raise ValueError(f"reference_offset: {len(offsets)} offsets for {len(shots)} shots")
    ref_of = {f: f + offsets[next(i for i, sh in enumerate(shots) if sh.first <= f <= sh.last)]
              for f in frames}
    if len(set(ref_of.values())) != len(ref_of):
        raise ValueError("reference_offset: two source frames would share a reference frame")
    paths = {"source": out / "source" / f"source.####.{source_format}",
             "reference": out / "reference" / "reference.####.jpg",
             "truth": out / "truth" / "truth.####.exr"}
    _load_all(plan)

    def one(i: int) -> None:
        f = frames[i]
        noise = np.random.default_rng([seed, 2, f])  # per frame: same pixels in any thread order
        clean = render_clean(plan, f)
        tag = f"{f:04d}"
        if truth:
            write_image(out / "truth" / f"truth.{tag}.exr", srgb_to_linear(clean), "half",
                        force=True, compression="zip", attributes=LINEAR_TAG)
        src = _source_linear(clean, f, plan, fade, noise, ev)
        if source_format == "dpx":
            write_image(out / "source" / f"source.{tag}.dpx", cineon_encode(src), "uint16",
                        force=True, attributes=DPX_CINEON_ATTRIBUTES)
        else:
            write_image(out / "source" / f"source.{tag}.exr", src, "half", force=True,
                        compression="zip", attributes=LINEAR_TAG)
        if reference:
            ref = degrade_reference(render_clean(plan, f, extra=warps[i]), native=reference_scale > 1,
                                    scale=max(2, reference_scale))
            if f in ev["reference_defect"]:
                h, w = ref.shape[:2]
                ref[h // 4: h // 4 + h // 3, w // 3: w // 3 + w // 3] = 0.02  # an occluding logo
            write_image(out / "reference" / f"reference.{ref_of[f]:04d}.jpg", ref, "uint8",
                        force=True, quality=80)

    # numpy and OpenImageIO release the GIL for most of the work: two threads ~1.6x on 2 cores
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        bar = progress_bar(total=len(frames), desc="sample footage", enabled=progress)
        for _ in pool.map(one, range(len(frames))):
            bar.update(1)
        bar.close()
    gt = {
        "source": str(paths["source"]),
        "reference": str(paths["reference"]) if reference else None,
        "truth": str(paths["truth"]) if truth else None,
        "source_encoding": ("linear (scene-linear, sRGB primaries), EXR half"
                            if source_format == "exr" else
                            "Cineon 10-bit printing-density log DPX of linear Rec.709"),
        "reference_encoding": ("sRGB-encoded 8-bit JPEG (quality 80), half resolution "
                               + ("conformed back" if reference_scale == 1 else "kept")),
        "source_colourspace": "Linear Rec.709 (sRGB)" if source_format == "exr" else "Cineon",
        "reference_colourspace": "sRGB - Texture",
        "reference_offsets": offsets,
        "reference_frames": {str(f): ref_of[f] for f in frames},
        "truth_encoding": "linear (scene-linear, sRGB primaries), EXR half",
        "first": first,
        "last": last,
        "frame_count": len(frames),
        "frames": frames,
        "size": list(size),
        "seed": seed,
        "shots": [{"first": s.first, "last": s.last, "photo": s.photo,
                   "rendered": [s.lo, s.hi]} for s in shots],
        "transitions": plan["transitions"],
        "cuts": [t["frame"] for t in plan["transitions"]],
        "dissolves": [[t["first"], t["last"]] for t in plan["transitions"]
                      if t["type"] == "dissolve"],
        "events": ev,
        "fade": fade.as_dict(),
        "coordinates": "image coordinates: u = col + 0.5, v = row + 0.5, origin top-left, v down",
        "warps": {str(f): {"ref_to_src": warps[i].tolist(),
                           "src_to_ref": np.linalg.inv(warps[i]).tolist()}
                  for i, f in enumerate(frames)} if reference else {},
        "photos_from": "scikit-image wheel (skimage/data), read in place",
    }
    write_atomic(gt_path, json.dumps(gt, indent=1) + "\n", force=True)
    gt["ground_truth"] = str(gt_path)
    return gt


def sample_ground_truth(path) -> Dict[str, Any]:
    """Load the ground truth of a sample folder (or its ``ground_truth.json``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "ground_truth.json"
    try:
        gt = json.loads(p.read_text())
    except FileNotFoundError:
        raise ImagingError("no ground_truth.json: not a sample folder", path=str(p)) from None
    except ValueError as exc:
        raise ImagingError(f"corrupt ground truth: {exc}", path=str(p)) from exc
    gt["ground_truth"] = str(p)
    return gt


def make_demo_footage(outdir, force: bool = True, progress: bool = False) -> Dict[str, Any]:
    """The demo's footage: 3 shots of 16 frames at 256x192, a hard cut and a dissolve.

    Returns the ground-truth dict: ``source``, ``reference``, ``truth`` (Nuke ``####`` patterns),
    ``first``/``last``/``frames``/``frame_count``, ``shots``, ``cuts``, ``transitions``, ``events``,
    ``warps`` (per frame ``ref_to_src`` / ``src_to_ref``), ``fade`` and ``ground_truth`` (JSON path).
    """
    return make_shot_sequence(outdir, n_shots=3, frames_per_shot=16, size=(256, 192), seed=0,
                              dissolves=(2,), dissolve_length=6, force=force, progress=progress)


def degrade_dvd(srgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A DVD/telecine-like reference of an sRGB-encoded frame: 0.5x area resize, Rec.709 4:2:0
    chroma, JPEG q80, bicubic back to full size (OpenCV, from the imaging extra)."""
    import cv2

    h, w = srgb.shape[:2]
    small = cv2.resize(srgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    k = np.array([0.2126, 0.7152, 0.0722], np.float32)
    y = small @ k
    cb = (small[..., 2] - y) / 1.8556
    cr = (small[..., 0] - y) / 1.5748
    sh, sw = y.shape
    cb = cv2.resize(cv2.resize(cb, (sw // 2, sh // 2), interpolation=cv2.INTER_AREA), (sw, sh),
                    interpolation=cv2.INTER_LINEAR)
    cr = cv2.resize(cv2.resize(cr, (sw // 2, sh // 2), interpolation=cv2.INTER_AREA), (sw, sh),
                    interpolation=cv2.INTER_LINEAR)
    rgb = np.stack([y + 1.5748 * cr, y - 0.187324 * cb - 0.468124 * cr, y + 1.8556 * cb], -1)
    u8 = np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])
    dec = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255
    return cv2.resize(dec, (w, h), interpolation=cv2.INTER_CUBIC)
