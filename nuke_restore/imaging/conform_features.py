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

from .._optional import optional
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


def read_pixels(path: str, frame: Optional[int] = None) -> np.ndarray:
    """Pixels of an image (H x W x C) in the file's own type: uint8, uint16, half or float."""
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
        data = inp.read_image(0, 0, 0, min(spec.nchannels, 3), native)
        if data is None or inp.has_error:
            msg = _one_line(inp.geterror()) if inp.has_error else _oiio_error(oiio)
            raise ImagingError(f"{where}corrupt or truncated image: {msg}", path=path)
    finally:
        inp.close()
    arr = np.asarray(data)
    return arr[..., None] if arr.ndim == 2 else arr


_JPEG_EXTENSIONS = (".jpg", ".jpeg")


def _jpeg_luma(path: str) -> Optional[np.ndarray]:
    """The luma plane of a JPEG (H x W x 1 uint8), decoded alone; None to fall back to OpenImageIO.

    A JPEG stores Y'CbCr: asking libjpeg (through OpenCV) for grayscale decodes the Y' plane only,
    with no chroma upsampling and no colour conversion: 0.7 ms against 1.2 ms for the RGB decode
    of a 720x480 frame (bench/bench_conform.py's references). Y' is Rec.601 luma, not Rec.709:
    for a descriptor that drops every affine grade the difference does not matter. A file that
    does not start and end like a whole JPEG goes to OpenImageIO, which reports what is wrong.
    """
    cv2 = optional("cv2")
    if cv2 is None:
        return None
    data = np.fromfile(path, np.uint8)
    # SOI at the start, EOI in the last bytes (some writers pad after it): else truncated
    if data.size < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return None
    tail = data[-64:]
    if not np.any((tail[:-1] == 0xFF) & (tail[1:] == 0xD9)):
        return None
    y = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    return None if y is None else y[..., None]


def read_for_luma(path: str, frame: Optional[int] = None) -> np.ndarray:
    """What :func:`to_luma` needs of an image, as cheaply as it can be read: the luma plane
    alone (H x W x 1) where the file stores one (JPEG), else :func:`read_pixels`."""
    if path.lower().endswith(_JPEG_EXTENSIONS):
        y = _jpeg_luma(path)
        if y is not None:
            return y
    return read_pixels(path, frame)


def to_luma(arr: np.ndarray, linear: bool) -> np.ndarray:
    """float32 luma of native pixels (integers scaled to 0..1; linear data square-rooted)."""
    scale = {np.dtype(np.uint8): 1 / 255.0, np.dtype(np.uint16): 1 / 65535.0}.get(arr.dtype, 1.0)
    if arr.shape[2] >= 3:
        # one matrix-vector product over the pixels (the weights carry the integer scale)
        y = arr[..., :3].astype(np.float32) @ (_LUMA * np.float32(scale))
    else:
        y = arr[..., 0].astype(np.float32)
        if scale != 1.0:
            y *= np.float32(scale)
    if linear:
        np.sqrt(np.clip(y, 0.0, None, out=y), out=y)
    return y


def read_luma(path: str, frame: Optional[int] = None) -> np.ndarray:
    """Luma (float32, H x W) of an image file."""
    return to_luma(read_for_luma(path, frame), path.lower().endswith(LINEAR_EXTENSIONS))


def find_active(lumas: Sequence[np.ndarray], black: float = 0.035) -> Active:
    """Letterbox/pillarbox bars: edge rows and columns that stay dark and flat in every sample."""
    h, w = lumas[0].shape
    # per frame, the means of each row and column and of their squares as four matrix-vector
    # products (5x numpy's mean and std along each axis); std from E[y^2] - E[y]^2, precise
    # where it matters here (dark rows: small values, no cancellation)
    by_row, by_col = np.full(w, 1.0 / w, np.float32), np.full(h, 1.0 / h, np.float32)
    rm = np.empty((len(lumas), h), np.float32)
    r2 = np.empty_like(rm)
    cm = np.empty((len(lumas), w), np.float32)
    c2 = np.empty_like(cm)
    for k, y in enumerate(lumas):
        y = np.asarray(y, np.float32)
        sq = y * y
        rm[k], r2[k] = y @ by_row, sq @ by_row
        cm[k], c2[k] = by_col @ y, by_col @ sq
    rows, cols = rm.max(axis=0), cm.max(axis=0)
    rstd = np.sqrt(np.maximum(r2 - rm * rm, 0.0)).max(axis=0)
    cstd = np.sqrt(np.maximum(c2 - cm * cm, 0.0)).max(axis=0)

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


def _blur_matrix(n: int, sigma: float) -> np.ndarray:
    x = np.arange(n)
    k = np.exp(-0.5 * ((x[:, None] - x[None, :]) / sigma) ** 2)
    return (k / k.sum(axis=1, keepdims=True)).astype(np.float32)


class Sampler:
    """Luma of a frame's active picture on a small raster (``size`` = (w, h)), per field or whole.

    ``k`` columns by ``k_rows`` rows (default ``k``) are sampled per small cell on a regular
    lattice over the active picture (no full-size float copy is made: a 960x540 frame costs about
    a millisecond). A source read from a DPX pays for every row it samples and hardly for columns,
    so it is sampled 4 x 1: as many samples a cell, half the rows of 2 x 2.
    """

    def __init__(self, active: Active, size: Tuple[int, int], fields: bool, k: int = 2,
                 k_rows: Optional[int] = None):
        self.active = active
        self.size = size
        self.fields = fields
        self.k = k
        self.k_rows = kr = k_rows or k
        sw, sh = size
        a = active
        self.cols = np.clip(np.floor(a.left + (np.arange(sw * k) + 0.5) * (a.right - a.left)
                                     / (sw * k)).astype(np.intp), 0, a.width - 1)
        pos = a.top + (np.arange(sh * kr) + 0.5) * (a.bottom - a.top) / (sh * kr)
        if fields:
            # per field, the row of that parity whose centre (r + 0.5) is nearest the lattice
            # position: rounding down to the parity would sample each field half a row high,
            # which the framing would then report as a vertical offset of the transfer
            self.rows = []
            for par in (0, 1):
                fr = np.floor((pos - 0.5 - par) / 2.0 + 0.5).astype(np.intp)
                rows = np.clip(2 * fr + par, par, a.height - 1 - ((a.height - 1 - par) % 2))
                self.rows.append(rows)
        else:
            self.rows = [np.clip(np.floor(pos).astype(np.intp), 0, a.height - 1)]
        # OpenCV's exact nearest-neighbour resize picks these very columns 4x faster than a
        # numpy gather; checked on an index ramp, else the gather
        self._cv2 = optional("cv2")
        if self._cv2 is not None:
            ramp = np.arange(a.left, a.right, dtype=np.float32)[None, :]
            got = self._cv2.resize(ramp, (len(self.cols), 1),
                                   interpolation=self._cv2.INTER_NEAREST_EXACT)
            if not np.array_equal(got[0].astype(np.intp), self.cols):
                self._cv2 = None

    def __call__(self, arr: np.ndarray, linear: bool) -> np.ndarray:
        a = self.active
        if arr.shape[:2] != (a.height, a.width):
            self._wrong_size(arr.shape[1], arr.shape[0])
        # whole rows first (contiguous copies), then the columns: two 1-D gathers cost a fraction
        # of one 2-D fancy index; every field in one go
        return self._cells(self._pick_cols(np.take(arr, self._all_rows(), axis=0)), linear)

    def _pick_cols(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` (n x width x c) at the sampled columns (n x len(cols) x c)."""
        if self._cv2 is None or rows.shape[2] > 4 or rows.dtype.kind == "f" and \
                rows.dtype.itemsize == 2:   # OpenCV has no half-float resize
            return np.take(rows, self.cols, axis=1)
        a = self.active
        out = self._cv2.resize(rows[:, a.left: a.right], (len(self.cols), rows.shape[0]),
                               interpolation=self._cv2.INTER_NEAREST_EXACT)
        return out.reshape(rows.shape[0], len(self.cols), rows.shape[2])

    def from_file(self, path: str) -> Optional[np.ndarray]:
        """The same from an RGB DPX file, reading only the sampled rows (:mod:`.dpx_rows`);
        None when the file's layout is not one that module reads."""
        from . import dpx_rows

        try:
            with dpx_rows.opened(path) as fd:      # one open for the header and the rows
                lay = dpx_rows.layout(fd)
                if lay is None:
                    return None
                if (lay.height, lay.width) != (self.active.height, self.active.width):
                    self._wrong_size(lay.width, lay.height)
                px = dpx_rows.read_rows(fd, lay, self._all_rows(), self._pick_cols)
        except OSError:
            return None      # OpenImageIO says what is wrong
        return None if px is None else self._cells(px, False)

    def _wrong_size(self, w: int, h: int):
        a = self.active
        raise ImagingError(f"frame is {w}x{h}, the sequence's first frame is {a.width}x{a.height}")

    def _all_rows(self) -> np.ndarray:
        return self.rows[0] if len(self.rows) == 1 else np.concatenate(self.rows)

    def _cells(self, samples: np.ndarray, linear: bool) -> np.ndarray:
        """Means of ``k`` x ``k_rows`` samples: the small raster (fields x h x w), float32 luma
        (each field's rows are a whole number of cells, so no mean straddles two fields)."""
        sw, sh = self.size
        y = to_luma(samples, linear).reshape(len(self.rows), sh * self.k_rows, sw * self.k)
        return _cell_means(y, self.k, self.k_rows)


def grid_for(active: Active, grid_width: int, fields: bool = True) -> Tuple[int, int]:
    """(gw, gh) of the descriptor grid: ``grid_width`` across (fewer on small pictures: a cell
    spans at least 2 columns and 2 rows of a field), the picture's aspect down."""
    aw, ah = active.right - active.left, active.bottom - active.top
    aspect = aw / max(1, ah)
    rows = ah // 2 if fields else ah
    gw = max(8, min(int(grid_width), aw // 2, int(rows // 2 * aspect)))
    return gw, max(4, int(round(gw / aspect)))


def small_factor(grid: Tuple[int, int]) -> int:
    """Small raster = this many times the grid: at least 2, and at least 56 rows (enough for
    registering the framing with :func:`.align.estimate`)."""
    return max(2, -(-56 // grid[1]))


def _every_other(arr: np.ndarray) -> np.ndarray:
    """``arr[::2, ::2]`` as a new contiguous array: through OpenCV's nearest-neighbour resize
    where it gives exactly those pixels (even sizes, a type it resizes), 2.7x numpy's strided
    copy of a 960x540 RGB frame."""
    cv2 = optional("cv2")
    h, w, c = arr.shape
    if cv2 is None or h % 2 or w % 2 or c > 4 or arr.dtype not in (np.uint8, np.uint16,
                                                                      np.float32):
        return arr[::2, ::2]
    out = cv2.resize(arr, (w // 2, h // 2), interpolation=cv2.INTER_NEAREST)
    return out.reshape(h // 2, w // 2, c)


def read_small(seq, frames: Sequence[int], grid: Optional[Tuple[int, int]], grid_width: int,
               fields: bool, threads: Optional[int] = None, progress: bool = False,
               desc: str = "read") -> Tuple[np.ndarray, Active, Tuple[int, int]]:
    """Every frame once: small luma rasters (n x fields x f*gh x f*gw, f from :func:`small_factor`),
    the active area and the grid.

    ``grid`` defaults to :func:`grid_for` of the sequence's own active picture.
    """
    frames = list(frames)
    linear = seq.path(frames[0]).lower().endswith(LINEAR_EXTENSIONS)
    # letterbox/pillarbox bars: from up to 12 frames spread over the range
    pick = sorted({frames[int(k)] for k in np.linspace(0, len(frames) - 1, min(12, len(frames)))})
    decoded = {f: read_for_luma(seq.path(f), f) for f in pick}   # reused below: read once
    first = [to_luma(_every_other(decoded[f]), linear) for f in pick]
    if len({s.shape for s in first}) > 1:
        bad = next(f for f, s in zip(pick, first) if s.shape != first[0].shape)
        raise ImagingError(f"frame {bad} is {first[pick.index(bad)].shape[1]}x"
                           f"{first[pick.index(bad)].shape[0]}, frame {pick[0]} is "
                           f"{first[0].shape[1]}x{first[0].shape[0]}", path=seq.path(bad))
    h, w = decoded[pick[0]].shape[:2]
    half = find_active(first)
    active = Active(2 * half.top, min(h, 2 * half.bottom), 2 * half.left, min(w, 2 * half.right),
                    w, h)
    grid = grid or grid_for(active, grid_width, fields)
    gw, gh = grid
    f = small_factor(grid)
    sampler = Sampler(active, (f * gw, f * gh), fields, *((2,) if fields else (4, 1)))
    out = np.empty((len(frames), 2 if fields else 1, f * gh, f * gw), np.float32)

    def one(i):
        f = frames[i]
        try:
            arr = decoded.pop(f, None)
            path = seq.path(f)
            cells = None
            if arr is None and path.lower().endswith(".dpx"):
                cells = sampler.from_file(path)     # the sampled rows only
            if cells is None:
                cells = sampler(read_for_luma(path, f) if arr is None else arr, linear)
            out[i] = cells
        except ImagingError as exc:
            if exc.path:
                raise
            raise ImagingError(f"frame {f}: {exc.message}", path=seq.path(f)) from None

    threads = threads or min(2, os.cpu_count() or 2)
    bar = progress_bar(total=len(frames), desc=desc, enabled=progress)
    try:
        if threads <= 1:
            for i in range(len(frames)):
                one(i)
                bar.update(1)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                for _ in pool.map(one, range(len(frames))):
                    bar.update(1)
    finally:
        bar.close()
    return out, active, grid


def warp_small(small: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Resample every raster of ``small`` (... x h x w) so that output p takes the value at G p
    (image coordinates, bilinear, edges clamped)."""
    h, w = small.shape[-2:]
    uu, vv = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    den = g[2, 0] * uu + g[2, 1] * vv + g[2, 2]
    x = (g[0, 0] * uu + g[0, 1] * vv + g[0, 2]) / den - 0.5
    y = (g[1, 0] * uu + g[1, 1] * vv + g[1, 2]) / den - 0.5
    cv2 = optional("cv2")
    if cv2 is not None:
        # OpenCV's remap, raster by raster: 5x faster than the gathers below; it interpolates at
        # 1/32 pixel (differences below 1e-4 of the raster's range), edges replicated as below
        mx, my = x.astype(np.float32), y.astype(np.float32)
        flat = np.ascontiguousarray(small, np.float32).reshape(-1, h, w)
        out = np.empty_like(flat)
        for i in range(flat.shape[0]):
            cv2.remap(flat[i], mx, my, cv2.INTER_LINEAR, dst=out[i],
                      borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(small.shape)
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0, y0 = x.astype(np.intp), y.astype(np.intp)
    fx, fy = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
    # pixels first: each gather then takes whole contiguous rows (all rasters at once)
    flat = np.ascontiguousarray(small.reshape(-1, h * w).T)
    i00 = (y0 * w + x0).ravel()
    fx, fy = fx.ravel()[:, None], fy.ravel()[:, None]
    a = np.take(flat, i00, axis=0)
    b = np.take(flat, i00 + 1, axis=0)
    top = a + (b - a) * fx
    a = np.take(flat, i00 + w, axis=0)
    b = np.take(flat, i00 + w + 1, axis=0)
    bot = a + (b - a) * fx
    out = top + (bot - top) * fy
    return np.ascontiguousarray(out.T).reshape(small.shape)


def _cell_means(small: np.ndarray, k: int, k_rows: Optional[int] = None) -> np.ndarray:
    """Means of cells ``k`` columns by ``k_rows`` rows (default ``k``) of the last two axes, each
    a whole number of cells.

    OpenCV's area resize by whole factors, over a few thousand rasters stacked as one image
    (blocks never straddle two rasters): 3x the strided adds of the fallback, which are 4x
    ``reshape(..., k, ..., k).mean(axis=(-3, -1))`` (a reduction over two short, strided axes).
    """
    kr = k_rows or k
    cv2 = optional("cv2")
    h, w = small.shape[-2:]
    if cv2 is not None and small.dtype == np.float32 and h % kr == 0 and w % k == 0:
        flat = np.ascontiguousarray(small).reshape(-1, h, w)
        out = np.empty((len(flat), h // kr, w // k), np.float32)
        step = max(1, (1 << 20) // (h * w))     # rasters per call: a million values at most
        for i in range(0, len(flat), step):
            part = flat[i: i + step]
            out[i: i + step] = cv2.resize(part.reshape(-1, w), (w // k, len(part) * h // kr),
                                          interpolation=cv2.INTER_AREA).reshape(len(part),
                                                                                h // kr, w // k)
        return out.reshape(small.shape[:-2] + (h // kr, w // k))
    rows = small[..., 0::kr, :]
    for r in range(1, kr):
        rows = rows + small[..., r::kr, :]
    cells = rows[..., 0::k]
    for c in range(1, k):
        cells = cells + rows[..., c::k]
    return cells * np.float32(1.0 / (k * kr))


def descriptors(small: np.ndarray, grid: Tuple[int, int], highpass: float = 4.0,
                smooth: float = 0.7) -> np.ndarray:
    """Unit-norm, zero-mean descriptors (n x fields x gh*gw) of small rasters: cell means on the
    ``grid`` (gw, gh), high-pass (minus a wide blur), light smoothing."""
    n, f, hs, ws = small.shape
    gh, gw = grid[1], grid[0]
    k = min(hs // gh, ws // gw)
    small = small[:, :, : k * gh, : k * gw]   # a coarser grid may leave a sliver at the edges
    g = _cell_means(small, k)
    bw, bh = _blur_matrix(gw, highpass), _blur_matrix(gh, highpass)
    sw, sh = _blur_matrix(gw, smooth), _blur_matrix(gh, smooth)
    lw = (sw @ (np.eye(gw, dtype=np.float32) - bw)).T
    lh = sh @ (np.eye(gh, dtype=np.float32) - bh)
    v = (g.reshape(n * f * gh, gw) @ lw).reshape(n * f, gh, gw)
    v = np.matmul(lh[None], v).reshape(n, f, gh * gw)
    v -= v.mean(axis=2, keepdims=True)
    norm = np.sqrt((v * v).sum(axis=2, keepdims=True))
    return (v / np.maximum(norm, 1e-6)).astype(np.float32)
