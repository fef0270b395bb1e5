"""Per-frame descriptors for the temporal conform: small, colour-blind pictures of structure.

Each frame is read once with OpenImageIO in its own pixel type (8-bit JPEG, 16-bit DPX, half EXR),
reduced to luma, cropped to its active picture (letterbox and pillarbox bars found per sequence),
and area-resampled onto a small grid (``grid`` cells across, the active picture's aspect down).
A reference frame gives one descriptor per field (even rows, odd rows): a woven 2:3 frame shows
two film frames, one per field; a progressive frame gives two equal ones. The source gives one
descriptor of the whole frame on the same grid.

On the grid the luma is high-passed (minus a wide blur: fades, vignetting, a flicker gradient and a
different grade's low frequencies go), then made zero-mean and unit-norm, so the dot product of two
descriptors is a normalised correlation: colour, exposure, contrast and any affine grade drop out,
grain and dust average away inside the cells, JPEG blocks are smaller than a cell, and a few
percent of reframing moves the picture by less than a cell.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from .cuts import LINEAR_EXTENSIONS
from .progress import progress_bar

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass
class Active:
    """The active picture of a sequence in pixels: rows ``top..bottom``, columns ``left..right``
    (end exclusive), and the full frame size."""

    top: int
    bottom: int
    left: int
    right: int
    width: int
    height: int

    @property
    def letterboxed(self) -> bool:
        return (self.top, self.bottom, self.left, self.right) != (0, self.height, 0, self.width)

    def as_dict(self):
        return {"top": self.top, "bottom": self.bottom, "left": self.left, "right": self.right,
                "width": self.width, "height": self.height}


def read_luma(path: str, frame: Optional[int] = None) -> np.ndarray:
    """Luma (float32, H x W, 0..1 for integer files) of an image, decoded in its own pixel type."""
    from .sequence import _oiio, _oiio_error, _one_line

    oiio = _oiio()
    where = f"frame {frame}: " if frame is not None else ""
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ImagingError(f"{where}cannot read image: {_oiio_error(oiio)}", path=path)
    try:
        spec = inp.spec()
        fmt = str(spec.format)
        native = fmt if fmt in ("uint8", "uint16", "half", "float") else "float"
        nch = min(spec.nchannels, 3)
        data = inp.read_image(0, 0, 0, nch, native)
        if data is None or inp.has_error:
            msg = _one_line(inp.geterror()) if inp.has_error else _oiio_error(oiio)
            raise ImagingError(f"{where}corrupt or truncated image: {msg}", path=path)
    finally:
        inp.close()
    arr = np.asarray(data)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] >= 3:
        y = arr[..., :3] @ _LUMA if arr.dtype != np.float16 else (
            arr[..., :3].astype(np.float32) @ _LUMA)
    else:
        y = arr[..., 0].astype(np.float32)
    if native == "uint8":
        y *= np.float32(1 / 255.0)
    elif native == "uint16":
        y *= np.float32(1 / 65535.0)
    y = y.astype(np.float32, copy=False)
    if path.lower().endswith(LINEAR_EXTENSIONS):
        np.sqrt(np.clip(y, 0.0, None, out=y), out=y)
    return y


def find_active(lumas: Sequence[np.ndarray], black: float = 0.035) -> Active:
    """Letterbox/pillarbox bars: edge rows and columns that stay dark and flat in every sample."""
    h, w = lumas[0].shape
    rows = np.max([y.mean(axis=1) for y in lumas], axis=0)
    rstd = np.max([y.std(axis=1) for y in lumas], axis=0)
    cols = np.max([y.mean(axis=0) for y in lumas], axis=0)
    cstd = np.max([y.std(axis=0) for y in lumas], axis=0)

    def edges(mean, std, n):
        dark = (mean < black) & (std < black)
        a = 0
        while a < n and dark[a]:
            a += 1
        b = n
        while b > a and dark[b - 1]:
            b -= 1
        if b - a < n // 3:  # a dark sequence, not bars
            return 0, n
        # one more row/column each side: the edge of a bar is soft after scaling and JPEG
        if a:
            a = min(a + 1, b - 1)
        if b < n:
            b = max(b - 1, a + 1)
        return a, b

    top, bottom = edges(rows, rstd, h)
    left, right = edges(cols, cstd, w)
    return Active(top, bottom, left, right, w, h)


def _area_matrix(n_in: int, lo: float, hi: float, n_out: int) -> np.ndarray:
    """n_out x n_in weights averaging the input span [lo, hi) into n_out equal bins."""
    edges = lo + (hi - lo) * np.arange(n_out + 1) / n_out
    px = np.arange(n_in, dtype=np.float64)
    a = np.clip(np.minimum(edges[1:, None], px[None, :] + 1) - np.maximum(edges[:-1, None],
                                                                         px[None, :]), 0, None)
    a /= np.maximum(a.sum(axis=1, keepdims=True), 1e-9)
    return a.astype(np.float32)


def _blur_matrix(n: int, sigma: float) -> np.ndarray:
    x = np.arange(n)
    k = np.exp(-0.5 * ((x[:, None] - x[None, :]) / sigma) ** 2)
    return (k / k.sum(axis=1, keepdims=True)).astype(np.float32)


class Describer:
    """Turns luma frames of one sequence into descriptors on a common grid."""

    def __init__(self, active: Active, grid: Tuple[int, int], fields: bool,
                 highpass: float = 4.0, smooth: float = 0.7):
        self.active = active
        self.grid = grid
        self.fields = fields
        gw, gh = grid
        a = active
        self.mw = _area_matrix(a.width, a.left, a.right, gw).T.copy()         # W x gw
        if fields:
            # field rows k sit at frame rows 2k (+1): the active span in field rows
            self.mh = [_area_matrix((a.height + 1 - par) // 2, (a.top - par) / 2,
                                    (a.bottom - par) / 2, gh) for par in (0, 1)]
        else:
            self.mh = [_area_matrix(a.height, a.top, a.bottom, gh)]
        # high-pass: the grid minus a wide blur; then a light smoothing against misregistration
        bw, bh = _blur_matrix(gw, highpass), _blur_matrix(gh, highpass)
        sw, sh = _blur_matrix(gw, smooth), _blur_matrix(gh, smooth)
        self.lw = (sw @ (np.eye(gw, dtype=np.float32) - bw)).T.copy()
        self.lh = sh @ (np.eye(gh, dtype=np.float32) - bh)

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """Descriptors (1 or 2 x gh*gw), zero-mean and unit-norm."""
        a = self.active
        if y.shape != (a.height, a.width):
            raise ImagingError(f"frame is {y.shape[1]}x{y.shape[0]}, the sequence's first frame "
                               f"is {a.width}x{a.height}")
        cols = y @ self.mw                                   # H x gw
        out = []
        parts = (cols[0::2], cols[1::2]) if self.fields else (cols,)
        for mh, part in zip(self.mh, parts):
            g = self.lh @ (mh @ part) @ self.lw
            v = g.ravel()
            v = v - v.mean()
            n = float(np.sqrt(v @ v))
            out.append(v / n if n > 1e-6 else v)
        return np.stack(out).astype(np.float32)


def describe_sequence(seq, frames: Sequence[int], grid_width: int, fields: bool,
                      aspect: Optional[float] = None, threads: Optional[int] = None,
                      progress: bool = False, desc: str = "read", active: Optional[Active] = None
                      ) -> Tuple[np.ndarray, Active, Tuple[int, int]]:
    """Descriptors of ``frames`` of ``seq``: (n x fields x dim), the active area and the grid.

    ``aspect`` (width / height of the grid) defaults to the active picture's own.
    """
    frames = list(frames)
    # bars: from up to 12 frames spread over the range
    if active is None:
        pick = sorted({frames[int(k)] for k in np.linspace(0, len(frames) - 1, min(12, len(frames)))})
        samples_ = [read_luma(seq.path(f), f) for f in pick]
        if len({s.shape for s in samples_}) > 1:
            raise ImagingError("frames differ in size", path=seq.pattern)
        active = find_active(samples_)
    if aspect is None:
        aspect = (active.right - active.left) / max(1, active.bottom - active.top)
    gw = int(grid_width)
    gh = max(4, int(round(gw / aspect)))
    describer = Describer(active, (gw, gh), fields)
    out = np.empty((len(frames), 2 if fields else 1, gw * gh), np.float32)

    def one(k):
        f = frames[k]
        y = read_luma(seq.path(f), f)
        try:
            out[k] = describer(y)
        except ImagingError as exc:
            raise ImagingError(str(exc.args[0]) if exc.args else str(exc),
                               path=seq.path(f)) from None

    threads = threads or min(4, os.cpu_count() or 2)
    bar = progress_bar(total=len(frames), desc=desc, enabled=progress)
    try:
        if threads <= 1:
            for k in range(len(frames)):
                one(k)
                bar.update(1)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                for _ in pool.map(one, range(len(frames))):
                    bar.update(1)
    finally:
        bar.close()
    return out, active, (gw, gh)


def stack_fields(desc: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(upper, lower) field descriptors of a reference descriptor stack (n x 2 x dim)."""
    return desc[:, 0], desc[:, 1]


def frame_descriptor(desc: np.ndarray) -> np.ndarray:
    """One unit-norm descriptor per frame (the mean of its fields)."""
    v = desc.mean(axis=1)
    v -= v.mean(axis=1, keepdims=True)
    n = np.sqrt((v * v).sum(axis=1, keepdims=True))
    return v / np.maximum(n, 1e-6)

