"""Image sequences on disk: Nuke-style frame patterns, missing-frame checks, threaded proxy reads.

Patterns understood by :meth:`FrameSequence.from_path`:

* ``shot.####.exr`` - Nuke: a run of ``#`` is the zero padding (``#`` alone = no padding);
* ``shot.@@@@.exr`` - a run of ``@`` counts digits the same way;
* ``shot.%04d.exr`` / ``shot.%d.exr`` - printf padding (what Nuke writes in Read ``file`` knobs);
* ``shot.$F4.exr`` / ``shot.$F.exr`` - Houdini style;
* ``shot.1001.exr`` - one member of a sequence: the siblings that differ only in that number are found;
* a folder holding exactly one image sequence;
* a single still image (one frame, numbered by the digits in its name, else 1).

Every pixel read goes through OpenImageIO, so EXR, DPX, TIFF, PNG, JPEG and the rest of its formats work.
Reads return float32 ``H x W x 3`` RGB: alpha and extra channels are dropped, a single channel is
repeated into three, 8/16-bit files are normalised to 0..1 by OpenImageIO.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ImagingError
from ..fileio import atomic_output, check_output
from .progress import progress_bar

logger = logging.getLogger(__name__)

#: File extensions treated as images when a folder or a member file is given.
IMAGE_EXTENSIONS = frozenset(
    ".exr .sxr .dpx .cin .tif .tiff .png .jpg .jpeg .jpe .bmp .tga .sgi .rgb .hdr .pfm .ppm .webp .jxl"
    .split()
)

# One frame token in a pattern; group names say which style matched.
_TOKEN_RE = re.compile(
    r"(?P<hash>#+)|(?P<at>@+)|%(?P<pct>0?\d*)d|\$F(?P<houdini>\d*)"
)
# The last run of digits in a file name (optionally negative), then the rest without digits.
_MEMBER_RE = re.compile(r"^(?P<head>.*?)(?P<num>-?\d+)(?P<tail>[^\d]*)$")


def _format_frames(frames: Iterable[int]) -> str:
    """Compact frame list ('1-3,5,7-9'), via fileseq when it is installed."""
    frames = sorted(set(frames))
    try:
        import fileseq

        return str(fileseq.FrameSet(frames))
    except Exception:  # fileseq missing or refusing an odd set: a plain list still reads fine
        return ",".join(str(f) for f in frames)


def _oiio():
    from .._optional import require

    return require("OpenImageIO", "imaging")


# ---------------------------------------------------------------------------------------------------
# Decoded-image memory budget. Every decode is checked against it from the header, before any pixel
# is read: a 27 MB file can decode to gigabytes (five 16k x 16k EXRs would need 22 GB). The budget
# counts the float32 images read_image has returned that are still alive (released when numpy frees
# them) plus the one being decoded. Set it with ``nuke-restore --memory-budget 8G`` or the
# environment variable NUKE_RESTORE_MEMORY_BUDGET (bytes, or a number with K/M/G/T); the default is
# half of the machine's physical memory (4 GiB when that cannot be found).

BUDGET_ENV = "NUKE_RESTORE_MEMORY_BUDGET"
_budget_lock = threading.Lock()
_budget_live = [0]
_budget_override: List[Optional[int]] = [None]


def parse_size(text: str) -> int:
    """Bytes from ``8G``, ``512M``, ``1.5T``, ``1000000`` (binary units); ValueError otherwise."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)i?B?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ValueError(f"{text!r} is not a size like 8G, 512M or 1000000")
    scale = 1024 ** " KMGT".index((m.group(2) or " ").upper())
    value = float(m.group(1)) * scale
    if not (1 <= value < 2**62):
        raise ValueError(f"{text!r} is out of range")
    return int(value)


def set_memory_budget(size: Optional[int]) -> None:
    """Use ``size`` bytes as the decoded-image budget (None: back to the environment/default)."""
    _budget_override[0] = size


def memory_budget() -> int:
    """The decoded-image budget in bytes (see above)."""
    if _budget_override[0] is not None:
        return _budget_override[0]
    env = os.environ.get(BUDGET_ENV)
    if env:
        try:
            return parse_size(env)
        except ValueError as exc:
            raise ImagingError(f"{BUDGET_ENV}: {exc}") from None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 0
    return total // 2 if total > 0 else 4 * 1024**3


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _reserve(nbytes: int, transient: int, path: str, where: str, size: str) -> None:
    budget = memory_budget()
    with _budget_lock:
        live = _budget_live[0]
        if live + nbytes + transient > budget:
            raise ImagingError(
                f"{where}decoding this {size} image needs {_fmt_bytes(nbytes + transient)}; with "
                f"{_fmt_bytes(live)} of images already in memory that exceeds the memory budget "
                f"of {_fmt_bytes(budget)} (raise it with --memory-budget or {BUDGET_ENV}, or use "
                "smaller images)", path=path)
        _budget_live[0] = live + nbytes


def _release(nbytes: int) -> None:
    with _budget_lock:
        _budget_live[0] = max(0, _budget_live[0] - nbytes)


def _check_finite(arr: np.ndarray, path: str, where: str) -> None:
    """Refuse NaN or infinite pixels: they poison every mean, fit and JSON figure downstream."""
    if arr.dtype.kind != "f" or np.isfinite(arr).all():
        return
    bad = ~np.isfinite(arr).all(axis=2)
    ys, xs = np.nonzero(bad)
    raise ImagingError(f"{where}{int(bad.sum())} pixel(s) are NaN or infinite (first at x={xs[0]}, "
                       f"y={ys[0]} from the top); fix or replace the frame", path=path)


def image_spec(path: str, what: str = "cannot read image") -> Tuple[int, int, int]:
    """(width, height, channels) of one image, from its header only (no pixels are read)."""
    oiio = _oiio()
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ImagingError(f"{what}: {_oiio_error(oiio)}", path=path)
    try:
        s = inp.spec()
        return s.width, s.height, s.nchannels
    finally:
        inp.close()


@dataclass
class FrameSequence:
    """A numbered image sequence (or a single still) on disk.

    Attributes:
        pattern: the path template with a ``{frame}`` style token replaced by ``%0Nd`` printf padding
            (``padding`` 0 means a still image: ``pattern`` is the file itself).
        first: first frame of the range in use.
        last: last frame of the range in use.
        frames: existing frames inside first..last, sorted.
        missing: frames inside first..last with no file.
        padding: zero padding of the frame number (0 for a still).
    """

    pattern: str
    first: int
    last: int
    frames: List[int] = field(default_factory=list)
    missing: List[int] = field(default_factory=list)
    padding: int = 4
    _files: Dict[int, str] = field(default_factory=dict, repr=False)
    _still: Optional[str] = field(default=None, repr=False)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_path(cls, pattern, first: Optional[int] = None, last: Optional[int] = None
                  ) -> FrameSequence:
        """Find the sequence named by ``pattern`` (see the module docstring for the forms).

        Args:
            pattern: a pattern, one member file, a folder, or a still image.
            first: first frame to use; default the first existing frame.
            last: last frame to use; default the last existing frame.

        Raises:
            ImagingError: nothing matches, the folder holds no or several sequences, or the range is empty.
        """
        text = os.fspath(pattern)
        path = Path(text)
        if _TOKEN_RE.search(path.name):
            return cls._from_pattern(text, first, last)
        if path.is_dir():
            return cls._from_folder(path, first, last)
        if path.is_file():
            return cls._from_member(path, first, last)
        raise ImagingError("no such file, folder or frame pattern", path=text)

    @classmethod
    def _from_pattern(cls, text: str, first, last) -> FrameSequence:
        path = Path(text)
        m = _TOKEN_RE.search(path.name)
        if m.group("hash") is not None:
            pad = len(m.group("hash"))
            pad = 0 if pad == 1 else pad
        elif m.group("at") is not None:
            pad = len(m.group("at"))
            pad = 0 if pad == 1 else pad
        elif m.group("pct") is not None:
            pad = int(m.group("pct") or 0)
        else:
            pad = int(m.group("houdini") or 0)
        head, tail = path.name[: m.start()], path.name[m.end():]
        if _TOKEN_RE.search(tail):
            raise ImagingError("more than one frame token in the pattern", path=text)
        folder = path.parent
        files = _scan(folder, head, tail, pad)
        return cls._make(str(folder / f"{head}%0{pad}d{tail}") if pad else
                         str(folder / f"{head}%d{tail}"), pad, files, first, last, text)

    @classmethod
    def _from_member(cls, path: Path, first, last) -> FrameSequence:
        m = _MEMBER_RE.match(path.name)
        if m is None or path.suffix.lower() not in IMAGE_EXTENSIONS:
            return cls._still_image(path, None)
        head, num, tail = m.group("head"), m.group("num"), m.group("tail")
        files, pad = _scan_any(path.parent, head, tail)
        if len(files) <= 1:
            return cls._still_image(path, int(num))
        pattern = str(path.parent / (f"{head}%0{pad}d{tail}" if pad else f"{head}%d{tail}"))
        return cls._make(pattern, pad, files, first, last, str(path))

    @classmethod
    def _from_folder(cls, folder: Path, first, last) -> FrameSequence:
        groups: Dict[Tuple[str, str], List[Path]] = {}
        stills = []
        for entry in sorted(folder.iterdir()):
            if not entry.is_file() or entry.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            if entry.name.startswith("."):
                continue
            m = _MEMBER_RE.match(entry.name)
            if m is None:
                stills.append(entry)
                continue
            groups.setdefault((m.group("head"), m.group("tail")), []).append(entry)
        seqs = {k: v for k, v in groups.items() if len(v) > 1}
        if len(seqs) == 1:
            members = next(iter(seqs.values()))
            return cls._from_member(members[0], first, last)
        if not seqs:
            raise ImagingError("no image sequence in this folder", path=str(folder))
        names = ", ".join(f"{h}#{t}" for h, t in sorted(seqs))
        raise ImagingError(f"several image sequences in this folder ({names}); name one with a "
                           "pattern such as shot.####.exr", path=str(folder))

    @classmethod
    def _still_image(cls, path: Path, number: Optional[int]) -> FrameSequence:
        frame = 1 if number is None else number
        seq = cls(pattern=str(path), first=frame, last=frame, frames=[frame], missing=[],
                  padding=0)
        seq._files = {frame: str(path)}
        seq._still = str(path)
        return seq

    @classmethod
    def _make(cls, pattern: str, pad: int, files: Dict[int, str], first, last, given: str
              ) -> FrameSequence:
        if not files:
            raise ImagingError("no frames match this pattern", path=given)
        lo = min(files) if first is None else int(first)
        hi = max(files) if last is None else int(last)
        if hi < lo:
            raise ImagingError(f"empty frame range {lo}-{hi}", path=given)
        frames = sorted(f for f in files if lo <= f <= hi)
        if not frames:
            raise ImagingError(f"no frames in the range {lo}-{hi}", path=given)
        have = set(frames)
        missing = [f for f in range(lo, hi + 1) if f not in have]
        seq = cls(pattern=pattern, first=lo, last=hi, frames=frames, missing=missing, padding=pad)
        seq._files = {f: files[f] for f in frames}
        return seq

    # -- queries --------------------------------------------------------------------------------
    @property
    def is_still(self) -> bool:
        return self._still is not None

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[int]:
        return iter(self.frames)

    def nuke_pattern(self) -> str:
        """The pattern as a Nuke Read ``file`` knob wants it (``####`` padding; ``#`` unpadded)."""
        if self._still:
            return self._still
        token = "#" * self.padding if self.padding else "#"
        return re.sub(r"%0?\d*d", token, self.pattern)

    def path(self, frame: int) -> str:
        """File path of ``frame`` (whether or not it exists)."""
        if self._still is not None:
            return self._still
        if frame in self._files:
            return self._files[frame]
        return _render(self.pattern, self.padding, frame)

    def exists(self, frame: int) -> bool:
        return frame in self._files

    def check(self, require_all: bool = True, headers: bool = False) -> None:
        """Raise ImagingError when frames are missing (or, with ``headers``, unreadable).

        Args:
            require_all: fail on any gap inside first..last (else only log it).
            headers: also open every existing file and check it is an image of the first frame's size.
        """
        if self.missing:
            msg = f"missing frames {_format_frames(self.missing)} in {self.first}-{self.last}"
            if require_all:
                raise ImagingError(msg, path=self.pattern)
            logger.warning("%s: %s", self.pattern, msg)
        if headers:
            size = None
            for f in self.frames:
                w, h, _ = self.spec(f)
                if size is None:
                    size = (w, h)
                elif (w, h) != size:
                    raise ImagingError(f"frame {f} is {w}x{h}, frame {self.frames[0]} is "
                                       f"{size[0]}x{size[1]}", path=self.path(f))

    def spec(self, frame: Optional[int] = None) -> Tuple[int, int, int]:
        """(width, height, channels) of ``frame`` (default the first) read from the header only."""
        frame = self.frames[0] if frame is None else frame
        return image_spec(self._existing(frame), what=f"frame {frame}: cannot open")

    @property
    def size(self) -> Tuple[int, int]:
        """(width, height) of the first frame."""
        w, h, _ = self.spec()
        return w, h

    # -- pixels ---------------------------------------------------------------------------------
    def _existing(self, frame: int) -> str:
        if self._still is not None:
            return self._still
        try:
            return self._files[frame]
        except KeyError:
            raise ImagingError(f"frame {frame} is missing", path=self.path(frame)) from None

    def read(self, frame: int, proxy: int = 1) -> np.ndarray:
        """Pixels of ``frame`` as float32 H x W x 3 RGB, box-downscaled by the integer ``proxy``."""
        return read_image(self._existing(frame), proxy=proxy, frame=frame)

    def read_many(
        self,
        frames: Optional[Sequence[int]] = None,
        proxy: int = 1,
        threads: Optional[int] = None,
        progress: bool = False,
    ) -> Iterator[Tuple[int, np.ndarray]]:
        """Read ``frames`` (default all existing) on a thread pool, yielding ``(frame, pixels)`` in order.

        OpenImageIO decodes without holding the GIL, so threads overlap decoding. At most
        ``2 * threads`` frames are in flight, so memory stays bounded on long sequences.
        """
        frames = list(self.frames if frames is None else frames)
        for f in frames:
            self._existing(f)  # fail before any work on a missing frame
        threads = threads or min(8, os.cpu_count() or 2)
        bar = progress_bar(total=len(frames), desc="read", enabled=progress)
        try:
            if threads <= 1 or len(frames) <= 1:
                for f in frames:
                    yield f, self.read(f, proxy)
                    bar.update(1)
                return
            with ThreadPoolExecutor(max_workers=threads) as pool:
                window = 2 * threads
                pending = []
                it = iter(frames)
                for f in it:
                    pending.append((f, pool.submit(self.read, f, proxy)))
                    if len(pending) >= window:
                        break
                while pending:
                    f, fut = pending.pop(0)
                    img = fut.result()
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.append((nxt, pool.submit(self.read, nxt, proxy)))
                    yield f, img
                    bar.update(1)
        finally:
            bar.close()


def _render(pattern: str, pad: int, frame: int) -> str:
    if pad:
        return re.sub(r"%0?\d*d", lambda _m: f"{frame:0{pad}d}" if frame >= 0 else
                      f"-{-frame:0{pad}d}", pattern, count=1)
    return re.sub(r"%d", str(frame), pattern, count=1)


def _scan(folder: Path, head: str, tail: str, pad: int, strict: bool = True) -> Dict[int, str]:
    """Files in ``folder`` named head + number + tail whose number fits the padding."""
    if not folder.is_dir():
        return {}
    rx = re.compile(re.escape(head) + r"(-?\d+)" + re.escape(tail) + r"$")
    found: Dict[int, str] = {}
    for name in os.listdir(folder):
        m = rx.match(name)
        if not m:
            continue
        num = m.group(1)
        digits = num.lstrip("-")
        if not strict:
            found[int(num)] = str(folder / name)
            continue
        # Padded patterns: exactly `pad` digits, or more without a leading zero (frame 12345 of ####).
        if pad and not (len(digits) == pad or (len(digits) > pad and not digits.startswith("0"))):
            continue
        if not pad and len(digits) > 1 and digits.startswith("0"):
            continue
        found[int(num)] = str(folder / name)
    return found


def _scan_any(folder: Path, head: str, tail: str) -> Tuple[Dict[int, str], int]:
    """Siblings named head + number + tail, and the padding they imply.

    A number with a leading zero fixes the padding; otherwise equal-length numbers (1001..1100)
    count as padded to that length, mixed lengths (9, 10, 11) as unpadded.
    """
    allf = _scan(folder, head, tail, 0, strict=False)
    numbers = [Path(p).name[len(head): len(Path(p).name) - len(tail)].lstrip("-")
               for p in allf.values()]
    zero_padded = [len(n) for n in numbers if len(n) > 1 and n.startswith("0")]
    lengths = {len(n) for n in numbers}
    if zero_padded:
        pad = max(zero_padded)
    elif len(lengths) == 1:
        pad = lengths.pop()
        pad = 0 if pad == 1 else pad
    else:
        pad = 0
    return _scan(folder, head, tail, pad), pad


def _oiio_error(oiio) -> str:
    try:
        return _one_line(oiio.geterror())
    except Exception:  # older bindings
        return "unknown error"


def _one_line(message: str) -> str:
    """OpenImageIO's error text on one line (libpng adds 'PNG read error...' lines): CLI errors are
    one line each."""
    lines = []
    for line in (message or "").splitlines():
        line = line.strip()
        if line and line not in lines:
            lines.append(line)
    return "; ".join(lines) or "unknown error"


def box_downscale(img: np.ndarray, factor: int) -> np.ndarray:
    """Average ``factor x factor`` blocks (edges that do not fill a block are cropped)."""
    if factor <= 1:
        return img
    h, w = img.shape[:2]
    h2, w2 = h // factor, w // factor
    if h2 == 0 or w2 == 0:
        raise ImagingError(f"proxy {factor} is larger than the {w}x{h} image")
    c = img.shape[2] if img.ndim == 3 else 1
    # Sum the rows of each block, then the columns, with whole-slice adds: 10x faster than
    # mean(axis=(1, 3)) on a 5-D view, which numpy reduces element by element.
    rows = img[: h2 * factor, : w2 * factor].reshape(h2, factor, w2 * factor * c)
    acc = rows[:, 0].astype(np.float32)
    for k in range(1, factor):
        acc += rows[:, k]
    acc = acc.reshape(h2, w2, factor, c)
    out = acc[:, :, 0].copy()
    for k in range(1, factor):
        out += acc[:, :, k]
    out *= np.float32(1.0 / (factor * factor))
    return out if img.ndim == 3 else out[..., 0]


def read_image(path, proxy: int = 1, frame: Optional[int] = None) -> np.ndarray:
    """Read an image file as float32 H x W x 3 RGB (see the module docstring).

    Args:
        path: any format OpenImageIO reads.
        proxy: integer box-downscale factor for analysis passes.
        frame: frame number, only used to name the frame in error messages.

    Raises:
        ImagingError: the file is missing, unreadable or truncated.
    """
    oiio = _oiio()
    p = os.fspath(path)
    where = f"frame {frame}: " if frame is not None else ""
    if not os.path.exists(p):
        raise ImagingError(f"{where}file does not exist", path=p)
    inp = oiio.ImageInput.open(p)
    if inp is None:
        raise ImagingError(f"{where}cannot read image: {_oiio_error(oiio)}", path=p)
    try:
        spec = inp.spec()
        nch = spec.nchannels
        # For proxies, decode in the file's own half/uint8/uint16 type and let the downscale do
        # the conversion (proxy_downscale): OpenImageIO's full-size float conversion costs more
        # than the decode's inflate, and more than the downscale itself.
        native = str(spec.format) if proxy and proxy > 1 else "float"
        if native not in ("half", "uint8", "uint16"):  # 10/12/16-bit DPX and TIFF: uint16
            native = "float"
        # The budget, from the header: the decode (in ``native``) is transient; the float32 RGB
        # result stays counted while it is alive.
        px = max(0, int(spec.width)) * max(0, int(spec.height)) * max(1, int(spec.depth or 1))
        step = max(1, int(proxy or 1))
        result = (max(0, int(spec.width)) // step or 1) * (max(0, int(spec.height)) // step or 1) \
            * 3 * 4
        decode = px * min(max(nch, 1), 3) * {"half": 2, "uint16": 2, "uint8": 1}.get(native, 4)
        # A full-size float RGB decode is the result itself; anything else is converted after.
        transient = 0 if (step == 1 and native == "float" and nch >= 3) else decode
        _reserve(result, transient, p, where, f"{spec.width}x{spec.height}")
        try:
            data = inp.read_image(0, 0, 0, min(nch, 3), native)
            if data is None or inp.has_error:
                msg = _one_line(inp.geterror()) if inp.has_error else _oiio_error(oiio)
                raise ImagingError(f"{where}corrupt or truncated image: {msg}", path=p)
        except BaseException:
            _release(result)
            raise
    finally:
        inp.close()
    try:
        arr = _to_rgb(data, proxy, native)
        if str(spec.format) in ("half", "float", "double"):  # integer files hold no NaN
            _check_finite(arr, p, where)
    except BaseException:
        _release(result)
        raise
    weakref.finalize(arr, _release, result)
    return arr


def _to_rgb(data, proxy: int, native: str) -> np.ndarray:
    arr = np.asarray(data)
    if arr.ndim == 2:
        arr = arr[..., None]
    if proxy and proxy > 1:
        # downscale first (channels are independent), then widen to RGB on the small image
        arr = proxy_downscale(arr, int(proxy), 1.0 / _NATIVE_SCALE.get(native, 1.0))
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 2:  # luminance + alpha
        arr = np.repeat(arr[..., :1], 3, axis=2)
    if not (proxy and proxy > 1) and native in _NATIVE_SCALE:
        arr = arr * np.float32(1.0 / _NATIVE_SCALE[native])
    return np.ascontiguousarray(arr, dtype=np.float32)


# Integer types decoded natively for proxies, and the value OpenImageIO maps to 1.0 for them.
_NATIVE_SCALE = {"uint8": 255.0, "uint16": 65535.0}
_CV2: List[object] = []  # [cv2 module] when its conversions match numpy's, [None] when not usable


def _cv2_for_proxies():
    """OpenCV when it converts half/uint8/uint16 to float32 exactly (probed once), else None."""
    if not _CV2:
        mod = None
        try:
            import cv2

            for dt in (np.float16, np.uint8, np.uint16):
                probe = (np.arange(96, dtype=np.float64).reshape(4, 24) * 2.7 + 0.5).astype(dt)
                got = cv2.multiply(probe, 1.0, dtype=cv2.CV_32F)
                if not np.array_equal(got, probe.astype(np.float32)):
                    raise ValueError(f"cv2 converts {np.dtype(dt).name} differently")
            area = cv2.resize(np.arange(36, dtype=np.float32).reshape(6, 6, 1)[..., [0, 0, 0]],
                              (2, 2), interpolation=cv2.INTER_AREA)
            if not np.allclose(area, box_downscale(np.arange(36, dtype=np.float32).reshape(6, 6, 1)
                                                   [..., [0, 0, 0]], 3), atol=1e-5):
                raise ValueError("cv2 INTER_AREA is not a box average")
            mod = cv2
        except Exception:  # no OpenCV, or one that lacks these conversions: numpy does it all
            logger.debug("proxy reads without OpenCV", exc_info=True)
        _CV2.append(mod)
    return _CV2[0]


def proxy_downscale(img: np.ndarray, factor: int, scale: float = 1.0) -> np.ndarray:
    """:func:`box_downscale` of an image in any pixel type (half, uint8, uint16, float), as float32,
    times ``scale`` (e.g. 1/255 for uint8 codes).

    With OpenCV, the frame goes through in strips of rows: each strip is widened to float32
    (exactly) and area-averaged with ``cv2.resize(INTER_AREA)``, which for an integer factor is
    the same box average as :func:`box_downscale` up to float rounding (<= 1 ulp), at about a fifth
    of the cost on a half-float frame, and with no full-size float copy.
    """
    if factor <= 1:
        out = np.asarray(img, np.float32)
        return out * np.float32(scale) if scale != 1.0 else out
    cv2 = _cv2_for_proxies()
    h, w = img.shape[:2]
    h2, w2 = h // factor, w // factor
    c = img.shape[2] if img.ndim == 3 else 1
    if cv2 is None or h2 == 0 or w2 == 0 or c > 4:
        out = box_downscale(img, factor)
        if scale != 1.0:
            out *= np.float32(scale)
        return out
    flat = img.reshape(h, w * c)[:, : w2 * factor * c]  # cropped to whole blocks (a view)
    out = np.empty((h2, w2, c), np.float32)
    strip = max(1, 64 // factor) * factor
    for y in range(0, h2 * factor, strip):
        rows = min(strip, h2 * factor - y)
        f = cv2.multiply(flat[y: y + rows], 1.0, dtype=cv2.CV_32F).reshape(rows, w2 * factor, c)
        small = cv2.resize(f, (w2, rows // factor), interpolation=cv2.INTER_AREA)
        out[y // factor: (y + rows) // factor] = small.reshape(rows // factor, w2, c)
    if scale != 1.0:
        out *= np.float32(scale)
    return out if img.ndim == 3 else out[..., 0]


_DTYPES = {"half": "half", "float": "float", "uint8": "uint8", "uint16": "uint16", "uint32": "uint32"}


def _reproducible_datetime() -> Optional[str]:
    """``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) as an image DateTime, if set."""
    import time

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        return None
    return time.strftime("%Y:%m:%d %H:%M:%S", time.gmtime(int(epoch)))


def check_image_output(path, force: bool = False) -> Path:
    """Raise before any work if ``path`` could not be written as an image (see ``check_output``).

    Besides the file checks, the extension must name a format OpenImageIO can write.
    """
    path = check_output(path, force=force)
    oiio = _oiio()
    out = oiio.ImageOutput.create(str(path))
    if out is None:
        oiio.geterror()  # clear OIIO's pending error message
        raise ImagingError(f"cannot write images with the extension {path.suffix or '(none)'!r}; "
                           "use e.g. .exr, .png, .tif or .jpg", path=str(path))
    return path


def write_image(path, array: np.ndarray, dtype: str = "half", force: bool = False,
                compression: Optional[str] = None, quality: Optional[int] = None,
                attributes: Optional[dict] = None) -> Path:
    """Write ``array`` (H x W x C, float in 0..1 for integer formats) atomically.

    The image goes to a temporary file beside ``path`` (same extension, so OpenImageIO picks the
    format), which is renamed over ``path`` only when complete.

    Args:
        path: target; the extension selects the format.
        array: H x W, H x W x 3 or H x W x 4 pixels.
        dtype: pixel type in the file: ``half``, ``float``, ``uint8``, ``uint16``.
        force: overwrite an existing file.
        compression: e.g. ``zip`` or ``dwaa:45`` for EXR.
        quality: JPEG quality 1-100.
        attributes: extra header attributes (e.g. the colour space tag, ``oiio:BitsPerSample``).

    Raises:
        OutputExistsError: ``path`` exists and ``force`` is false.
        ImagingError: the format cannot be written.
    """
    oiio = _oiio()
    path = Path(path)
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}")
    check_image_output(path, force=force)
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = arr[..., None]
    if dtype.startswith("uint") and arr.dtype.kind == "f":
        arr = np.clip(arr, 0.0, 1.0)
    arr = np.ascontiguousarray(arr, dtype=np.float32 if arr.dtype.kind == "f" else arr.dtype)
    h, w, c = arr.shape
    with atomic_output(path, force=force) as tmp:
        out = oiio.ImageOutput.create(tmp)
        if out is None:
            raise ImagingError(f"cannot write this format: {_oiio_error(oiio)}", path=str(path))
        spec = oiio.ImageSpec(w, h, c, _DTYPES[dtype])
        if compression:
            spec.attribute("compression", compression)
        if quality is not None:
            spec.attribute("compression", f"jpeg:{int(quality)}")
        for key, value in sorted((attributes or {}).items()):
            spec.attribute(key, value)
        stamp = _reproducible_datetime()
        if stamp:
            # OIIO stamps the wall clock otherwise; reproducible builds pin it (same inputs, same bytes).
            spec.attribute("DateTime", stamp)
        if not out.open(tmp, spec):
            raise ImagingError(f"cannot open for writing: {_one_line(out.geterror())}", path=str(path))
        ok = out.write_image(arr)
        out.close()
        if not ok:
            raise ImagingError(f"write failed: {_one_line(out.geterror())}", path=str(path))
    return path


def check_same_size(seq_a: FrameSequence, seq_b: FrameSequence) -> None:
    """Raise ImagingError when the first frames of the two sequences differ in size."""
    wa, ha, _ = seq_a.spec()
    wb, hb, _ = seq_b.spec()
    if (wa, ha) != (wb, hb):
        pa, pb = seq_a.path(seq_a.frames[0]), seq_b.path(seq_b.frames[0])
        raise ImagingError(f"size mismatch: {pa} is {wa}x{ha} but {pb} is {wb}x{hb}", path=pa)


def common_frames(seq_a: FrameSequence, seq_b: FrameSequence) -> List[int]:
    """Frames present in both sequences, sorted."""
    return sorted(set(seq_a.frames) & set(seq_b.frames))
