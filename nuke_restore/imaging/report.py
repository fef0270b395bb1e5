"""Self-contained HTML reports: inline PNG (base64) images, inline SVG charts, no scripts.

Nothing here touches the network: a report opens the same on an air-gapped review machine.
"""
from __future__ import annotations

import base64
import html
import math
import struct
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an HxW or HxWx3 float (0..1) or uint8 array as PNG (deterministic, zlib only)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr.astype(np.float64)), 0.0, 1.0) * 255.0 + 0.5
               ).astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] == 1:
        colour = 0
    elif arr.shape[2] >= 3:
        arr = arr[..., :3]
        colour = 2
    else:
        raise ValueError(f"cannot encode shape {arr.shape} as PNG")
    h, w, c = arr.shape
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b""))


def data_uri(image: np.ndarray) -> str:
    """``data:image/png;base64,...`` for an image array."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def img_tag(image: np.ndarray, title: str = "", width: Optional[int] = None) -> str:
    w = f' width="{int(width)}"' if width else ""
    return (f'<img src="{data_uri(image)}" alt="{html.escape(title)}" '
            f'title="{html.escape(title)}"{w}>')


def _ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> List[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return []
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    if integer:
        raw = max(raw, 1.0)
    mag = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = min((m * mag for m in steps if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e7:
        return str(int(v))
    if abs(v) >= 100:
        return f"{v:.1f}" if abs(v) < 1e6 else f"{v:.3g}"
    if abs(v) < 0.01:
        return f"{v:.3g}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def line_chart(x: Sequence[float], series: Dict[str, Sequence[float]], title: str,
               ylabel: str = "", xlabel: str = "frame", logy: bool = False,
               width: int = 660, height: int = 240, integer_x: Optional[bool] = None,
               colours: Optional[Dict[str, str]] = None) -> str:
    """An inline SVG line chart (one polyline per series, markers, legend beside the plot).

    ``integer_x`` (default: when ``xlabel`` is "frame") puts ticks on whole numbers only.
    ``colours`` fixes a series' colour by name (the same render keeps its colour in every chart).
    """
    if integer_x is None:
        integer_x = xlabel == "frame"
    # The legend sits in its own column right of the plot, never over the lines.
    ml, mr, mt, mb = 56, 150, 28, 40
    pw, ph = width - ml - mr, height - mt - mb
    xs = np.asarray(list(x), float)
    vals = [np.asarray(list(v), float) for v in series.values()]
    if logy:
        vals = [np.log10(np.maximum(v, 1e-30)) for v in vals]
    finite = np.concatenate([v[np.isfinite(v)] for v in vals]) if vals else np.array([])
    if finite.size == 0 or xs.size == 0:
        return f'<p class="muted">{html.escape(title)}: no data</p>'
    ylo, yhi = float(finite.min()), float(finite.max())
    pad = 0.08 * (yhi - ylo) if yhi > ylo else max(abs(yhi) * 0.1, 0.5)
    ylo, yhi = ylo - pad, yhi + pad
    xlo, xhi = float(xs.min()), float(xs.max())
    if xhi == xlo:
        xlo, xhi = xlo - 1, xhi + 1

    def sx(v):
        return ml + (v - xlo) / (xhi - xlo) * pw

    def sy(v):
        return mt + (1 - (v - ylo) / (yhi - ylo)) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart">',
           f'<text x="{ml}" y="16" class="ct">{html.escape(title)}</text>',
           f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for t in _ticks(ylo, yhi):
        y = sy(t)
        lab = _fmt(10 ** t) if logy else _fmt(t)
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                   f'<text x="{ml - 4}" y="{y + 4:.1f}" text-anchor="end" class="tk">{lab}</text>')
    for t in _ticks(xlo, xhi, 6, integer=integer_x):
        xx = sx(t)
        out.append(f'<text x="{xx:.1f}" y="{mt + ph + 14}" text-anchor="middle" class="tk">'
                   f'{_fmt(t)}</text>')
    out.append(f'<text x="{ml + pw / 2}" y="{height - 6}" text-anchor="middle" class="tk">'
               f'{html.escape(xlabel)}</text>')
    if ylabel:
        out.append(f'<text x="12" y="{mt + ph / 2}" transform="rotate(-90 12 {mt + ph / 2})" '
                   f'text-anchor="middle" class="tk">{html.escape(ylabel)}</text>')
    for i, (name, v) in enumerate(zip(series, vals)):
        col = (colours or {}).get(name) or PALETTE[i % len(PALETTE)]
        pts = [(sx(a), sy(b)) for a, b in zip(xs, v) if math.isfinite(b)]
        if len(pts) > 1:
            out.append('<polyline fill="none" stroke="{}" stroke-width="1.6" points="{}"/>'.format(
                col, " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)))
        if len(pts) <= 60:
            out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.4" fill="{col}"/>' for a, b in pts]
        ly = mt + 8 + 14 * i
        label = name if len(name) <= 22 else name[:21] + "\u2026"
        out.append(f'<rect x="{ml + pw + 10}" y="{ly - 8}" width="10" height="10" '
                   f'fill="{col}"/><text x="{ml + pw + 24}" y="{ly + 1}" class="tk">'
                   f'<title>{html.escape(name)}</title>{html.escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def table(header: Sequence[str], rows: Sequence[Sequence[object]],
          highlight: Optional[Sequence[Tuple[int, int]]] = None) -> str:
    """A simple HTML table; floats get 3 significant decimals."""
    hl = set(highlight or ())

    def cell(v):
        if isinstance(v, float):
            return "&ndash;" if not math.isfinite(v) else f"{v:.3f}"
        return html.escape(str(v))

    parts = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for i, r in enumerate(rows):
        tds = "".join(f'<td class="{"best" if (i, j) in hl else ""}">{cell(v)}</td>'
                      for j, v in enumerate(r))
        parts.append(f"<tr>{tds}</tr>")
    parts.append("</table>")
    return "".join(parts)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;
color:#222;background:#fafafa;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}
td:first-child,th:first-child{text-align:left}td.best{background:#e3f4e3;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:8px}.grid figure{margin:0}
figcaption{font-size:12px;color:#555;text-align:center;max-width:380px}
img.px{image-rendering:pixelated}
.muted{color:#777;font-size:12px}.ct{font-size:13px;font-weight:600}.tk{font-size:11px;fill:#444}
.chart{background:#fff;border:1px solid #ddd;margin:4px}
.flag{color:#b00;font-weight:600}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document with the report CSS inlined."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n")


def figure(image: np.ndarray, caption: str, width: Optional[int] = None,
           pixelated: bool = False) -> str:
    """An image with its caption, the caption wrapped to the image's width."""
    tag = img_tag(image, caption, width)
    if pixelated:
        tag = tag.replace("<img ", '<img class="px" ', 1)
    w = int(width or np.asarray(image).shape[1])
    return (f'<figure style="max-width:{w}px">{tag}<figcaption>{html.escape(caption)}'
            f"</figcaption></figure>")
