"""The portable U-Net family: what a headless CopyCat-like trainer learns and Nuke's Inference runs.

CopyCat's own network is not published, so this is our own design, kept to operators that load in
the torch Nuke 14 bundles (1.12.1; see :mod:`.portable`): conv2d, leaky_relu, avg_pool2d,
ConvTranspose2d, slicing, flip, cat, add, mul, clamp, sqrt. No ``F.interpolate``, no ``F.pad``
(current torch scripts it as ``aten::pad``, which 1.12.1 lacks): odd sizes are padded by mirrored
slices and the output is sliced back, so any width and height work.

``forward`` takes one 1xCxHxW (or NxCxHxW) float tensor of raw linear pixel values (Nuke's Inference
contract) and returns the restored RGB. Two modes:

* ``chroma`` - the Y'CbCr packing of the chroma templates: the network predicts Cb and Cr only and
  the Source Y' is passed through untouched (:meth:`RestoreNet.ycbcr` returns Y' as the very input
  values), so luma is kept by construction;
* ``full`` - all three channels are predicted (spatial recovery, or a target with matched luma).

Both predict a per-channel log gain ``delta`` and form ``rgb = max(x, 1e-4) * exp(delta)``: a
photographic dye fade is affine in density (log) space - dye loss and crosstalk are a 3x3 matrix on
densities, stain an offset - so the network reads ``log10`` of the picture and a direct 1x1 path
(``self.linear``) learns the shot's global density map at once while the U-Net adds what varies
across the picture (uneven fading, grain). Chroma mode keeps only the CbCr of that ``rgb`` and puts
the Source's own Y' back. A zero network is the identity (both heads start at zero).
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import torch
from torch import nn

#: Channel widths per level for CopyCat's model sizes (our choice; CopyCat's are not published).
SIZES: Dict[str, Tuple[int, ...]] = {
    "Small": (16, 32, 48),
    "Medium": (24, 48, 96),
    "Large": (32, 64, 128),
}
MODES = ("chroma", "full")
# Rec.709 Y'CbCr, full range, no offset, no curve: nuke_restore.imaging.colour's defaults.
KR, KB = 0.2126, 0.0722


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.LeakyReLU(0.1),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.LeakyReLU(0.1))


class RestoreNet(nn.Module):
    """A small U-Net: ``len(widths)`` levels, avg-pool down, transposed-conv up, skip concats."""

    def __init__(self, size: str = "Medium", mode: str = "chroma") -> None:
        super().__init__()
        if size not in SIZES:
            raise ValueError(f"unknown model size {size!r}; use one of {sorted(SIZES)}")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {MODES}")
        widths = SIZES[size]
        self.size_name = size
        self.mode = mode
        self.chroma = mode == "chroma"
        self.levels = len(widths)
        self.multiple = 2 ** (len(widths) - 1)
        kg = 1.0 - KR - KB
        self.kr, self.kg, self.kb = KR, kg, KB
        self.cb_scale = 2.0 * (1.0 - KB)
        self.cr_scale = 2.0 * (1.0 - KR)
        self.enc = nn.ModuleList()
        cin = 3
        for w in widths:
            self.enc.append(_block(cin, w))
            cin = w
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for w_hi, w_lo in zip(reversed(widths[:-1]), reversed(widths[1:])):
            self.up.append(nn.ConvTranspose2d(w_lo, w_hi, 2, stride=2))
            self.dec.append(_block(2 * w_hi, w_hi))
        self.out_channels = 3
        self.head = nn.Conv2d(widths[0], 3, 1)
        self.linear = nn.Conv2d(3, 3, 1)  # the global density map, learnt directly
        for conv in (self.head, self.linear):  # start as the identity
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    # -- pieces -----------------------------------------------------------------------------
    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        """Mirror-pad bottom/right to a multiple of ``self.multiple`` using slices only."""
        m = self.multiple
        h = x.shape[2]
        w = x.shape[3]
        ph = (m - h % m) % m
        pw = (m - w % m) % m
        while ph > 0:  # a picture smaller than the pad mirrors more than once
            take = min(ph, h)
            x = torch.cat([x, torch.flip(x[:, :, h - take:h, :], [2])], 2)
            h = h + take
            ph = ph - take
        while pw > 0:
            take = min(pw, w)
            x = torch.cat([x, torch.flip(x[:, :, :, w - take:w], [3])], 3)
            w = w + take
            pw = pw - take
        return x

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        skips: List[torch.Tensor] = []
        for i, blk in enumerate(self.enc):
            if i > 0:
                x = nn.functional.avg_pool2d(x, 2)
            x = blk(x)
            skips.append(x)
        x = skips[-1]
        for i, (up, dec) in enumerate(zip(self.up, self.dec)):
            x = dec(torch.cat([up(x), skips[self.levels - 2 - i]], 1))
        return self.head(x)

    def _restored(self, x: torch.Tensor) -> torch.Tensor:
        """``max(x, 1e-4) * exp(delta)``: the network's RGB (before chroma mode's luma swap)."""
        h = x.shape[2]
        w = x.shape[3]
        rgb = torch.clamp(x[:, 0:3], 1.0e-4, 1.0e4)
        # Density-like input: log10 of the clamped picture, about -3..0 for 0.001..1.
        enc = torch.log(torch.clamp(rgb, 1.0e-3, 1.0)) * 0.4342944819
        delta = self._features(self._pad(enc))[:, :, 0:h, 0:w] + self.linear(enc)
        return rgb * torch.exp(delta)

    def ycbcr(self, x: torch.Tensor) -> torch.Tensor:
        """The restored picture as Y'CbCr (chroma mode: Y' is the input's Y', the same values)."""
        r = x[:, 0:1]
        g = x[:, 1:2]
        b = x[:, 2:3]
        y = r * self.kr + g * self.kg + b * self.kb
        out = self._restored(x)
        r2 = out[:, 0:1]
        g2 = out[:, 1:2]
        b2 = out[:, 2:3]
        y2 = r2 * self.kr + g2 * self.kg + b2 * self.kb
        if self.chroma:
            return torch.cat([y, (b2 - y2) / self.cb_scale, (r2 - y2) / self.cr_scale], 1)
        return torch.cat([y2, (b2 - y2) / self.cb_scale, (r2 - y2) / self.cr_scale], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.chroma:
            return self._restored(x)
        ycc = self.ycbcr(x)
        y = ycc[:, 0:1]
        cb = ycc[:, 1:2]
        cr = ycc[:, 2:3]
        r = y + cr * self.cr_scale
        b = y + cb * self.cb_scale
        g = (y - r * self.kr - b * self.kb) / self.kg
        return torch.cat([r, g, b], 1)


def build(size: str = "Medium", mode: str = "chroma") -> RestoreNet:
    return RestoreNet(size, mode)


def parameter_count(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))
