"""Nuke's 2D geometry conventions and the image warps that follow them.

Three coordinate frames are used in the imaging code:

* **array indices** ``(row, col)``: numpy's, row 0 at the top, pixel centres on integers;
* **image coordinates** ``(u, v)``: ``u = col + 0.5``, ``v = row + 0.5`` (pixel centres on half
  integers, the top-left corner of the picture at ``(0, 0)``, v grows downwards). Box-downsampling
  by 2 maps them exactly to ``(u / 2, v / 2)``, which keeps the pyramid maths free of half-pixel
  fudges;
* **Nuke coordinates** ``(X, Y)``: origin at the bottom-left corner of the format, y up, pixel
  centres on half integers: ``X = u``, ``Y = H - v``. The map ``PHI = [[1, 0, 0], [0, -1, H],
  [0, 0, 1]]`` converts both ways (it is its own inverse).

A Nuke ``Transform`` with ``translate t``, ``rotate r`` (degrees, counter-clockwise on screen),
uniform ``scale s`` and ``center c`` moves a point of its input at ``P`` to

    M(P) = R(r) * s * (P - c) + c + t                         (Nuke coordinates)

(skew is unused here; with a uniform scale the order of rotation and scale does not matter).
A node's output is therefore ``out(P) = in(M^-1 P)``. In image coordinates the sampling map is
``G = PHI * M^-1 * PHI``: the output pixel at image position ``p`` takes the input value at
``G p``. A ``CornerPin2D`` with ``from1..4`` at the format corners (bottom-left, bottom-right,
top-right, top-left) and ``to1..4 = M(from1..4)`` moves the picture the same way for any
homography ``M``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import ndimage


def phi(height: float) -> np.ndarray:
    """The 3x3 map between image coordinates and Nuke coordinates for a format ``height`` tall."""
    return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, float(height)], [0.0, 0.0, 1.0]])


def nuke_matrix(
    translate: Sequence[float] = (0.0, 0.0),
    rotate: float = 0.0,
    scale: float = 1.0,
    center: Sequence[float] = (0.0, 0.0),
) -> np.ndarray:
    """The 3x3 matrix of a Nuke Transform (Nuke coordinates), see the module docstring."""
    a = math.radians(rotate)
    cs, sn = math.cos(a) * scale, math.sin(a) * scale
    cx, cy = float(center[0]), float(center[1])
    tx, ty = float(translate[0]), float(translate[1])
    lin = np.array([[cs, -sn], [sn, cs]])
    m = np.eye(3)
    m[:2, :2] = lin
    m[:2, 2] = np.array([cx + tx, cy + ty]) - lin @ np.array([cx, cy])
    return m


@dataclass
class NukeTransform:
    """A registration result in Nuke's terms.

    Attributes:
        translate: Transform.translate (x right, y up), pixels.
        rotate: Transform.rotate, degrees counter-clockwise.
        scale: Transform.scale (uniform).
        center: Transform.center, the format centre by default.
        width: Format width the values refer to.
        height: Format height the values refer to.
        corners: CornerPin2D ``to1..to4`` (BL, BR, TR, TL) when a perspective fit was asked for;
            ``from1..4`` are the format corners.
    """

    translate: Tuple[float, float]
    rotate: float
    scale: float
    center: Tuple[float, float]
    width: int
    height: int
    corners: Optional[List[Tuple[float, float]]] = None

    def matrix(self) -> np.ndarray:
        """The similarity part as a 3x3 Nuke-coordinate matrix."""
        return nuke_matrix(self.translate, self.rotate, self.scale, self.center)

    def corner_matrix(self) -> np.ndarray:
        """The homography that maps the format corners to ``corners`` (or the similarity)."""
        if self.corners is None:
            return self.matrix()
        return homography_from_points(format_corners(self.width, self.height), self.corners)

    def to_json(self) -> Dict[str, object]:
        out: Dict[str, object] = {
            "translate": [round(self.translate[0], 4), round(self.translate[1], 4)],
            "rotate": round(self.rotate, 5),
            "scale": round(self.scale, 6),
            "center": [self.center[0], self.center[1]],
        }
        if self.corners is not None:
            out["cornerpin"] = {
                "from": [list(map(float, c)) for c in format_corners(self.width, self.height)],
                "to": [[round(x, 4), round(y, 4)] for x, y in self.corners],
            }
        return out

    @classmethod
    def from_nuke_matrix(
        cls,
        m: np.ndarray,
        width: int,
        height: int,
        center: Optional[Sequence[float]] = None,
        perspective: bool = False,
    ) -> NukeTransform:
        """Decompose a Nuke-coordinate matrix into translate/rotate/scale about ``center``.

        An affine or perspective ``m`` is projected onto the nearest similarity (the Transform
        values); with ``perspective`` the exact corners are kept for a CornerPin2D.
        """
        m = np.asarray(m, dtype=float) / m[2, 2]
        c = np.array(center if center is not None else (width / 2.0, height / 2.0), dtype=float)
        if abs(m[2, 0]) > 0 or abs(m[2, 1]) > 0:
            aff = _local_affine(m, c)
        else:
            aff = m
        lin = aff[:2, :2]
        # Nearest similarity to the linear part: average of the rotation-like components.
        a = 0.5 * (lin[0, 0] + lin[1, 1])
        b = 0.5 * (lin[1, 0] - lin[0, 1])
        scale = math.hypot(a, b)
        rotate = math.degrees(math.atan2(b, a))
        mc = aff @ np.array([c[0], c[1], 1.0])
        translate = (float(mc[0] - c[0]), float(mc[1] - c[1]))
        corners = None
        if perspective:
            corners = [tuple(map(float, p)) for p in apply_h(m, format_corners(width, height))]
        return cls(translate, rotate, scale, (float(c[0]), float(c[1])), int(width), int(height),
                   corners)


def _local_affine(h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """First-order (affine) approximation of homography ``h`` at point ``c``."""
    x = np.array([c[0], c[1], 1.0])
    w = h[2] @ x
    p = (h[:2] @ x) / w
    jac = (h[:2, :2] - np.outer(p, h[2, :2])) / w
    aff = np.eye(3)
    aff[:2, :2] = jac
    aff[:2, 2] = p - jac @ c
    return aff


def format_corners(width: float, height: float) -> List[Tuple[float, float]]:
    """CornerPin2D corner order: bottom-left, bottom-right, top-right, top-left (Nuke coords)."""
    return [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]


def apply_h(m: np.ndarray, points) -> np.ndarray:
    """Apply a 3x3 homography to an (N, 2) array of points."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    hom = np.c_[pts, np.ones(len(pts))] @ np.asarray(m, dtype=float).T
    return hom[:, :2] / hom[:, 2:3]


def homography_from_points(src, dst) -> np.ndarray:
    """The homography mapping four (or more) points ``src`` onto ``dst`` (least squares DLT)."""
    src = np.asarray(src, dtype=float)
    dst = np.asarray(dst, dtype=float)
    rows = []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.asarray(rows))
    h = vt[-1].reshape(3, 3)
    return h / h[2, 2]


def sampling_map(nuke_m: np.ndarray, height: float) -> np.ndarray:
    """Image-coordinate sampling map ``G = PHI M^-1 PHI`` of a Nuke-coordinate matrix."""
    p = phi(height)
    return p @ np.linalg.inv(nuke_m) @ p


def nuke_from_sampling(g: np.ndarray, height: float) -> np.ndarray:
    """Inverse of :func:`sampling_map`: the Nuke matrix whose render samples the input at ``G p``."""
    p = phi(height)
    m = p @ np.linalg.inv(g) @ p
    return m / m[2, 2]


def warp_image(image: np.ndarray, g: np.ndarray, order: int = 1, cval: float = 0.0,
               shape: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Resample ``image`` so that output pixel ``p`` (image coords) takes the value at ``G p``.

    Args:
        image: HxW or HxWxC array.
        g: 3x3 image-coordinate sampling map (affine or perspective).
        order: spline order (1 = bilinear, 3 = cubic).
        cval: value outside the input.
        shape: output (height, width); default the input's.
    """
    g = np.asarray(g, dtype=float)
    h, w = shape if shape is not None else image.shape[:2]
    if abs(g[2, 0]) < 1e-15 and abs(g[2, 1]) < 1e-15:
        return _warp_affine(image, g / g[2, 2], order, cval, (h, w))
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    u += 0.5
    v += 0.5
    g = np.asarray(g, dtype=float)
    den = g[2, 0] * u + g[2, 1] * v + g[2, 2]
    su = (g[0, 0] * u + g[0, 1] * v + g[0, 2]) / den - 0.5
    sv = (g[1, 0] * u + g[1, 1] * v + g[1, 2]) / den - 0.5
    coords = np.stack([sv, su])
    if image.ndim == 2:
        return ndimage.map_coordinates(image, coords, order=order, mode="constant", cval=cval,
                                       prefilter=order > 1).astype(image.dtype, copy=False)
    out = np.empty((h, w) + image.shape[2:], image.dtype)
    for ch in range(image.shape[2]):
        out[..., ch] = ndimage.map_coordinates(image[..., ch], coords, order=order,
                                               mode="constant", cval=cval, prefilter=order > 1)
    return out


def _warp_affine(image: np.ndarray, g: np.ndarray, order: int, cval: float,
                 shape: Tuple[int, int]) -> np.ndarray:
    """Affine fast path: ndimage.affine_transform needs no coordinate arrays."""
    # Output index (r, c) is image point (c + .5, r + .5); its source index is G p - .5,
    # written in (row, col) order.
    mat = np.array([[g[1, 1], g[1, 0]], [g[0, 1], g[0, 0]]])
    off = mat @ np.array([0.5, 0.5]) + np.array([g[1, 2], g[0, 2]]) - 0.5
    kw = dict(order=order, mode="constant", cval=cval, prefilter=order > 1,
              output_shape=tuple(shape))
    if image.ndim == 2:
        return ndimage.affine_transform(image, mat, off, **kw).astype(image.dtype, copy=False)
    out = np.empty(tuple(shape) + image.shape[2:], image.dtype)
    for ch in range(image.shape[2]):
        out[..., ch] = ndimage.affine_transform(image[..., ch], mat, off, **kw)
    return out


def render_transform(image: np.ndarray, nuke_m: np.ndarray, order: int = 1,
                     cval: float = 0.0) -> np.ndarray:
    """What a Nuke Transform/CornerPin2D with matrix ``nuke_m`` outputs for ``image``."""
    return warp_image(image, sampling_map(nuke_m, image.shape[0]), order=order, cval=cval)


def corner_error(m_est: np.ndarray, m_true: np.ndarray, width: float, height: float) -> float:
    """RMS distance (pixels) between the format corners mapped by two matrices."""
    c = format_corners(width, height)
    d = apply_h(m_est, c) - apply_h(m_true, c)
    return float(np.sqrt(np.mean(np.sum(d * d, axis=1))))


def bilerp(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, x: np.ndarray,
            y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Bilinear blend of the neighbours a (x0, y0), b (x1, y0), c (x0, y1), d (x1, y1) at
    fractions ``x``, ``y``, into ``out`` (may be ``a``); ``b``, ``c`` and ``d`` are overwritten."""
    b -= a
    b *= x
    a += b
    d -= c
    d *= x
    c += d
    c -= a
    c *= y
    return np.add(a, c, out=out)
