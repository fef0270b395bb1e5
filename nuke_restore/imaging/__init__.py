"""Headless image analysis beside Nuke: sequences, colour, cuts, curation, alignment, baselines, QC.

Modules here may import numpy (and OpenImageIO lazily); nothing outside this package imports them at
import time, so the .nk commands work without the ``imaging`` extra.

* :mod:`.sequence` - frame patterns, missing frames, threaded proxy reads, atomic writes.
* :mod:`.colour` - RGB <-> Y'CbCr as Nuke's Colorspace node, luma, OpenColorIO transforms.
* :mod:`.samples` - sample footage made from real photographs shipped in scikit-image.
* :mod:`.cuts` - hard cut and dissolve detection.
* :mod:`.curate` - training/preview frame selection per shot, scene, sequence.
"""
from __future__ import annotations
