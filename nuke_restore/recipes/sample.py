"""The demo's job config: every procedure (chroma, chroma non-reference, spatial, combined, baseline)
over the sample footage, with relative paths."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional

_TEMPLATE = """\
# nuke-restore job config (sample). Paths are relative to this file.
# Reference: docs/job-config.md. Build with:  nuke-restore build job.yaml -o scripts
version: 1

project:
  name: DEMO
  film_title: "Sample film (demo footage)"
  format: {{width: {width}, height: {height}, name: DEMO_{width}x{height}}}
  fps: 24
  # OCIO ACES config; every Read uses the same input transform (docs/workflow.md).
  ocio_config: fn-nuke_studio-config-v1.0.0_aces-v1.3_ocio-v2.1
  working_space: scene_linear
  read_colorspace: color_picking
  write_colorspace: aces_interchange
  non_commercial: false

clips:
  main:
    source: {source}
    reference: {reference}
    first: {first}
    last: {last}
    # The reference is numbered like the source here. Otherwise give one of:
    #   reference_offset: -1000    # reference frame = source frame + N
    #   frame_map: conform.json    # per source frame, from `nuke-restore conform`
    # and the colour spaces (names in ocio_config), e.g.  colorspace: ADX10  for a log scan,
    #   reference_colorspace: sRGB - Texture  for a DVD

{shots}
granularity: shot

dataset:
  pair_counts: {{shot: 4, scene: 16, sequence: 33}}

{alignment}
copycat:
  model_size: Medium
  batch_size: 3
  crop_size: auto          # 512 when the cropped picture allows it, else 256 (or smaller)
  checkpoint_interval: 10000
  contact_sheet_interval: 100
  multi_resolution: true
  steps: 40000             # or epochs: N; both are reported (epochs = steps x batch / pairs)

inference:
  clamp: false             # no clamp before the model at inference unless asked
  reformat: auto           # HD_1080 only for NukeX Non-Commercial
  crop_reformat: false     # renders keep the scan's format (true: live-area size)

provenance:
  restorationist: "Demo Restorationist"
  institution: "Demo Archive"
  source_element: "16mm print scan (sample)"
  reference_source: "telecine transfer (sample)"
  training_date: "2025-01-01"
  processing_date: "2025-01-02"
  iptc_digital_source_type: trainedAlgorithmicMedia

procedures:
  - type: chroma
    reference_median: 10
  - name: chroma_matched
    type: chroma
    target_luma: matched   # reference low-pass luma + source detail (docs/workflow.md)
  - type: chroma_nonref
    pair_type: constructed-painted
    citation: "Hand-painted keyframes after period photographs (sample)"
    assumptions: "Painted colours are informed estimates, not measurements"
  - type: spatial
    source_median: 3
  - type: combined
  - type: baseline
"""


def _rel(path: Any, base: Optional[Path]) -> str:
    text = str(path)
    if base is not None:
        text = os.path.relpath(os.path.abspath(text), os.path.abspath(str(base)))
    return text.replace(os.sep, "/")


def sample_config_text(footage: Optional[Dict[str, Any]] = None, curation: Optional[str] = None,
                       alignment: Optional[str] = None, base: Optional[os.PathLike] = None) -> str:
    """The sample job config (YAML text).

    Args:
        footage: the dict ``imaging.samples.make_demo_footage`` returns (``source``, ``reference``,
            ``first``, ``last``, ``size``); without it, placeholder paths under ``footage/``.
        curation: a curation JSON (from ``nuke-restore curate``) to take the shots from.
        alignment: an alignment JSON (from ``nuke-restore align --json``) for manual alignment.
        base: the folder the config will be saved in; absolute footage paths are made relative to
            it (default: the folder holding ``footage/``).
    """
    fp = footage or {}
    src = fp.get("source") or "footage/source/source.####.exr"
    ref = fp.get("reference") or "footage/reference/reference.####.jpg"
    # Without ``base``, the config is assumed to sit beside the footage folder (the demo's layout:
    # DIR/job.yaml and DIR/footage/source/...), wherever the footage paths are relative to.
    base_dir = Path(base) if base is not None else (
        Path(os.path.abspath(str(src))).parent.parent.parent if footage else None)
    first = int(fp.get("first", 1001))
    last = int(fp.get("last", first + 47))
    size = fp.get("size") or [256, 192]
    width, height = int(size[0]), int(size[1])
    if curation:
        shots = f"curation: {curation}"
    else:
        # Three shots; training frames and previews are picked by the defaults.
        n = last - first + 1
        cut1, cut2 = first + n // 3, first + 2 * n // 3
        shots = (
            "shots:\n"
            f"  - {{name: SH010, first: {first}, last: {cut1 - 1}, scene: SC01}}\n"
            f"  - {{name: SH020, first: {cut1}, last: {cut2 - 1}, scene: SC01}}\n"
            f"  - {{name: SH030, first: {cut2}, last: {last}, scene: SC02}}"
        )
    if alignment:
        align = ("alignment:\n"
                 "  mode: both              # F_Align and the keyed manual Transform; "
                 "Dissolve picks\n"
                 f"  transforms: {alignment}\n")
    else:
        align = ("alignment:\n"
                 "  mode: auto              # F_Align; add transforms: align.json for manual\n")
    margin = max(2, min(width, height) // 32)
    align += f"  crop: [{margin}, {margin}, {width - margin}, {height - margin}]\n"
    return _TEMPLATE.format(width=width, height=height, source=_rel(src, base_dir),
                            reference=_rel(ref, base_dir), first=first, last=last, shots=shots,
                            alignment=align)
