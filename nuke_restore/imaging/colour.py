"""Colour maths for the Y'CbCr split that the CopyCat graphs make with Nuke's Colorspace node.

Y'CbCr convention (full range, floats):

    Y' = Kr R + Kg G + Kb B            (Kg = 1 - Kr - Kb)
    Cb = (B - Y') / (2 (1 - Kb)) + offset
    Cr = (R - Y') / (2 (1 - Kr)) + offset

with Rec.709 Kr 0.2126 / Kb 0.0722, Rec.601 Kr 0.299 / Kb 0.114, Rec.2020 Kr 0.2627 / Kb 0.0593.
Cb and Cr span -0.5..0.5 with ``offset=0`` (0..1 with ``offset=0.5``). The inverse is the exact
matrix inverse, so a round trip returns the input up to float rounding.

What Nuke's Colorspace node does with ``colorspace_out YCbCr`` is NOT documented: the Foundry
reference page gives neither the coefficients, nor the Cb/Cr offset, nor whether a transfer curve is
applied before the matrix (not documented by Foundry). Natron's look-alike
RGBToYCbCr709/601 plugins apply the sRGB/Rec.709 OETF first, which is suggestive only. So every
choice is a parameter here:

* ``matrix`` - ``rec709`` (default), ``rec601`` or ``rec2020``;
* ``offset`` - 0.0 (default) or 0.5 for the chroma channels;
* ``curve`` - ``None`` (default: the matrix is applied to the values as they are), ``"srgb"`` or
  ``"rec709"`` to encode linear RGB with that OETF before the matrix (and decode after the inverse).

:data:`NUKE_PROBE_PIXELS` lists the three constants that pin Nuke's behaviour in one render
(red gives Kr, grey's Cb gives the offset, 0.18 grey's Y gives the curve). The restoration graphs
do not depend on the answer: they split with one Colorspace and merge with the same node inverted
(a shared clone), and the QC "luma identity" check compares Y with Y from the same matrix.
"""
from __future__ import annotations

import functools
import logging
from typing import Dict, Optional, Tuple, Union

import numpy as np

from .._optional import optional
from ..errors import ImagingError
from . import buffers

logger = logging.getLogger(__name__)

#: (Kr, Kb) luma coefficients per matrix name.
KR_KB: Dict[str, Tuple[float, float]] = {
    "rec709": (0.2126, 0.0722),
    "rec601": (0.299, 0.114),
    "rec2020": (0.2627, 0.0593),
}

#: Constants to render through Nuke's Colorspace (Linear -> YCbCr) to pin its convention.
NUKE_PROBE_PIXELS = {
    "red (1,0,0)": "Y = 0.2126 -> Rec.709, 0.299 -> Rec.601 (without a curve)",
    "blue (0,0,1)": "Cb = 0.5 (offset 0) or 1.0 (offset 0.5)",
    "grey (0.18,0.18,0.18)": "Y = 0.18 -> no curve; ~0.46 -> sRGB curve; Cb = 0 or 0.5 -> offset",
}


def ycbcr_matrix(matrix: str = "rec709") -> np.ndarray:
    """The 3x3 forward matrix (rows Y', Cb, Cr) for ``matrix``, float64."""
    try:
        kr, kb = KR_KB[matrix.lower()]
    except KeyError:
        raise ValueError(f"unknown Y'CbCr matrix {matrix!r}; use one of {sorted(KR_KB)}") from None
    kg = 1.0 - kr - kb
    y = np.array([kr, kg, kb])
    cb = (np.array([0.0, 0.0, 1.0]) - y) / (2.0 * (1.0 - kb))
    cr = (np.array([1.0, 0.0, 0.0]) - y) / (2.0 * (1.0 - kr))
    return np.stack([y, cb, cr])


@functools.lru_cache(maxsize=16)
def _matrices(matrix: str) -> Tuple[np.ndarray, np.ndarray]:
    fwd = ycbcr_matrix(matrix)
    inv = np.linalg.inv(fwd)
    return fwd.astype(np.float32), inv.astype(np.float32)


def _as_float(rgb) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.shape[-1] != 3:
        raise ImagingError(f"expected 3 channels in the last axis, got shape {arr.shape}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    return arr


def _apply3x3(arr: np.ndarray, m: np.ndarray, shift: Optional[np.ndarray] = None) -> np.ndarray:
    """``m @ pixel + shift`` for every pixel of an (..., 3) float32 array."""
    mat = np.asarray(m, np.float32)
    if shift is not None:  # a 3x4 matrix: the shift rides along in the same pass
        mat = np.concatenate([mat, np.asarray(shift, np.float32).reshape(3, 1)], axis=1)
    out = _cv2_transform(arr, mat)
    if out is not None:
        return out.reshape(arr.shape)
    out = np.einsum("...c,dc->...d", arr, m, optimize=True)
    if shift is not None:
        out += np.asarray(shift, np.float32)
    return out


def _cv2_transform(arr: np.ndarray, mat: np.ndarray) -> Optional[np.ndarray]:
    """OpenCV's ``cv2.transform`` of every pixel of ``arr`` (..., 3) by ``mat`` (k x 3 or k x 4),
    as an (N, 1, k) array; None when OpenCV is missing or the frame is too large for it.

    One SIMD pass. An output of 32 MB or more (a 2K float RGB frame is 38 MB) comes from
    :func:`buffers.empty_top_down`: into an output it allocates itself OpenCV took 1.4-1.6x a plain
    copy of such a frame on one thread, the excess being the kernel zeroing the fresh pages in an
    order that front-to-back writers pay for and ``numpy.copy`` does not (buffers.py says why;
    bench/bench_ycbcr.py prints the decomposition); 0.8-1.0x now, bit for bit the same values.
    numpy's einsum takes 3-4x, chunked matmul 2.3-3x. The callers fall back to einsum.
    """
    cv2 = _cv2()
    flat = np.ascontiguousarray(arr).reshape(-1, 1, 3)
    if cv2 is None or not 0 < flat.shape[0] < 2 ** 31:
        return None
    mat = np.ascontiguousarray(mat, np.float32)
    if flat.shape[0] * mat.shape[0] * 4 < buffers.MIN_BYTES:  # OpenCV's own (heap) output
        return cv2.transform(flat, mat)
    return cv2.transform(flat, mat, dst=buffers.empty_top_down((flat.shape[0], 1, mat.shape[0])))


def _cv2():
    # opencv is in the imaging extra; a bare numpy install still works
    return optional("cv2")


def rgb_to_ycbcr(rgb, matrix: str = "rec709", offset: float = 0.0,
                 curve: Optional[str] = None) -> np.ndarray:
    """Convert R'G'B' (..., 3) to Y'CbCr (..., 3), packed as red = Y', green = Cb, blue = Cr.

    Args:
        rgb: float array, last axis RGB.
        matrix: ``rec709``, ``rec601`` or ``rec2020``.
        offset: added to Cb and Cr (0.0 or 0.5).
        curve: ``None``, ``"srgb"`` or ``"rec709"``: encode linear input with that OETF first.
    """
    arr = _as_float(rgb)
    if curve:
        arr = encode_curve(arr, curve)
    shift = np.array([0.0, offset, offset], np.float32) if offset else None
    return _apply3x3(arr, _matrices(matrix)[0], shift)


def ycbcr_to_rgb(ycbcr, matrix: str = "rec709", offset: float = 0.0,
                 curve: Optional[str] = None) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr` with the same parameters."""
    arr = _as_float(ycbcr)
    inv = _matrices(matrix)[1]
    # M^-1 (x - o) = M^-1 x - M^-1 o: one pass instead of a subtraction and a matrix pass
    shift = -(inv.astype(np.float64) @ np.array([0.0, offset, offset])) if offset else None
    out = _apply3x3(arr, inv, shift)
    if curve:
        out = decode_curve(out, curve)
    return out


def luma(rgb, matrix: str = "rec709") -> np.ndarray:
    """Y' = Kr R + Kg G + Kb B of an (..., 3) array, shape (...)."""
    arr = _as_float(rgb)
    w = _matrices(matrix)[0][0]
    out = _cv2_transform(arr, np.reshape(w, (1, 3)))  # one output channel
    if out is not None:
        return out.reshape(arr.shape[:-1])
    return np.einsum("...c,c->...", arr, w, optimize=True)


# -- transfer curves ----------------------------------------------------------------------------
def srgb_to_linear(v) -> np.ndarray:
    """IEC 61966-2-1 sRGB decode (threshold 0.04045, exponent 2.4); negatives mirror."""
    v = np.asarray(v, dtype=np.float32)
    a = np.abs(v)
    out = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return (np.sign(v) * out).astype(np.float32)


def linear_to_srgb(v) -> np.ndarray:
    """IEC 61966-2-1 sRGB encode (threshold 0.0031308); negatives mirror."""
    v = np.asarray(v, dtype=np.float32)
    a = np.abs(v)
    out = np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)
    return (np.sign(v) * out).astype(np.float32)


def rec709_oetf(v) -> np.ndarray:
    """ITU-R BT.709 OETF (linear scene light to R'G'B')."""
    v = np.asarray(v, dtype=np.float32)
    a = np.abs(v)
    out = np.where(a < 0.018, 4.5 * a, 1.099 * a ** 0.45 - 0.099)
    return (np.sign(v) * out).astype(np.float32)


def rec709_inverse_oetf(v) -> np.ndarray:
    """Inverse of :func:`rec709_oetf`."""
    v = np.asarray(v, dtype=np.float32)
    a = np.abs(v)
    out = np.where(a < 0.081, a / 4.5, ((a + 0.099) / 1.099) ** (1 / 0.45))
    return (np.sign(v) * out).astype(np.float32)


def encode_curve(v, curve: str) -> np.ndarray:
    """Apply the named OETF (``srgb`` or ``rec709``) to linear values."""
    if curve == "srgb":
        return linear_to_srgb(v)
    if curve == "rec709":
        return rec709_oetf(v)
    raise ValueError(f"unknown curve {curve!r}; use 'srgb' or 'rec709'")


def decode_curve(v, curve: str) -> np.ndarray:
    """Undo :func:`encode_curve`."""
    if curve == "srgb":
        return srgb_to_linear(v)
    if curve == "rec709":
        return rec709_inverse_oetf(v)
    raise ValueError(f"unknown curve {curve!r}; use 'srgb' or 'rec709'")


# -- OpenColorIO ---------------------------------------------------------------------------------
ConfigLike = Union[str, "object"]


def _ocio():
    from .._optional import require

    return require("PyOpenColorIO", "imaging")


@functools.lru_cache(maxsize=8)
def _load_config(config: str):
    ocio = _ocio()
    try:
        if config.startswith("ocio://"):
            return ocio.Config.CreateFromBuiltinConfig(config)
        return ocio.Config.CreateFromFile(config)
    except Exception as exc:  # OCIO raises its own Exception type for every failure
        raise ImagingError(f"cannot load OpenColorIO config: {exc}", path=config) from exc


def load_ocio_config(config: ConfigLike):
    """An OCIO Config from a file path, a built-in URI (``ocio://default``,
    ``ocio://studio-config-latest``, ...) or an existing Config object."""
    if isinstance(config, str):
        return _load_config(config)
    return config


@functools.lru_cache(maxsize=32)
def _processor(config_key, src: str, dst: str, display: Optional[str], view: Optional[str]):
    ocio = _ocio()
    cfg = load_ocio_config(config_key)
    try:
        if display is not None:
            tr = ocio.DisplayViewTransform(src=src, display=display, view=view)
            proc = cfg.getProcessor(tr)
        else:
            proc = cfg.getProcessor(src, dst)
        return proc.getDefaultCPUProcessor()
    except Exception as exc:
        what = f"{src} -> {display}/{view}" if display is not None else f"{src} -> {dst}"
        raise ImagingError(f"OpenColorIO cannot build {what}: {exc}") from exc


def _apply_cpu(cpu, rgb) -> np.ndarray:
    arr = np.array(rgb, dtype=np.float32, copy=True, order="C")
    if arr.shape[-1] != 3:
        raise ImagingError(f"expected 3 channels in the last axis, got shape {arr.shape}")
    cpu.applyRGB(arr)
    return arr


def ocio_transform(rgb, config: ConfigLike, src: str, dst: str) -> np.ndarray:
    """Convert ``rgb`` (..., 3) between two colour spaces of an OpenColorIO config.

    Args:
        rgb: float pixels; not modified.
        config: a config file path, a built-in URI such as ``ocio://default``, or a Config object.
        src: source colour space (or role) name, e.g. ``ACEScg`` or ``scene_linear``.
        dst: destination colour space (or role) name.
    """
    key = config if isinstance(config, str) else config
    return _apply_cpu(_processor(key, src, dst, None, None), rgb)


def ocio_display(rgb, config: ConfigLike, src: str, display: str, view: str) -> np.ndarray:
    """Apply an OCIO display/view transform (e.g. ``sRGB - Display`` / ``ACES 1.0 - SDR Video``)."""
    key = config if isinstance(config, str) else config
    return _apply_cpu(_processor(key, src, None, display, view), rgb)


def ocio_colourspaces(config: ConfigLike):
    """Names of the colour spaces in ``config``."""
    cfg = load_ocio_config(config)
    return [cs.getName() for cs in cfg.getColorSpaces()]
