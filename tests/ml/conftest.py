"""Shared footage for the ml tests: one small job made from real photographs (scikit-image)."""
from __future__ import annotations

import pytest

pytest.importorskip("numpy", reason="numpy (the imaging extra) is not installed")


JOB = """\
version: 1
project:
  name: MLT
  format: {{width: {w}, height: {h}, name: MLT_{w}x{h}}}
clips:
  main: {{source: footage/source/source.####.exr, reference: footage/reference/reference.####.jpg,
         first: {first}, last: {last}}}
shots:
  - {{name: SH010, first: {first}, last: {last}}}
dataset: {{pair_counts: {{shot: 4, scene: 16, sequence: 33}}}}
alignment:
  mode: manual
  crop: [4, 4, {r}, {t}]
  transforms:
{keys}
copycat: {{model_size: Small, batch_size: 2, crop_size: 32, steps: 200}}
procedures:
  - type: chroma
    reference_median: 2
  - type: spatial
    source_median: 3
"""


def make_ml_job(out, reference_offset: int = 0, reference_scale: int = 1, clip_extra: str = ""):
    """Write the job (footage and job.yaml) in ``out``; return (config path, ground truth).

    ``reference_offset`` / ``reference_scale`` renumber and shrink the Reference (same pictures,
    same warps: the seed is fixed); ``clip_extra`` is added to the clip's YAML flow mapping.
    """
    import numpy as np

    from nuke_restore.imaging import geometry, samples

    w, h = 96, 72
    gt = samples.make_shot_sequence(out / "footage", n_shots=1, frames_per_shot=10, size=(w, h),
                                    seed=5, dissolves=(), events=False,
                                    reference_offset=reference_offset,
                                    reference_scale=reference_scale)
    lines = []
    for f in range(gt["first"], gt["last"] + 1):
        m = geometry.nuke_from_sampling(np.array(gt["warps"][str(f)]["src_to_ref"]), h)
        t = geometry.NukeTransform.from_nuke_matrix(m, w, h)
        lines.append(f"    {f}: {{translate: [{t.translate[0]:.4f}, {t.translate[1]:.4f}], "
                     f"rotate: {t.rotate:.5f}, scale: {t.scale:.6f}, "
                     f"center: [{t.center[0]:.3f}, {t.center[1]:.3f}]}}")
    text = JOB.format(w=w, h=h, first=gt["first"], last=gt["last"], r=w - 4, t=h - 4,
                      keys="\n".join(lines))
    if clip_extra:
        text = text.replace(f"last: {gt['last']}}}", f"last: {gt['last']}, {clip_extra}}}", 1)
    cfg = out / "job.yaml"
    cfg.write_text(text, encoding="utf-8")
    return cfg, gt


@pytest.fixture(scope="session")
def ml_job(tmp_path_factory):
    """(config path, ground-truth dict): 10 frames of 96x72 with the true registering Transforms."""
    pytest.importorskip("OpenImageIO", reason="OpenImageIO (the imaging extra) is not installed")
    return make_ml_job(tmp_path_factory.mktemp("mljob"))


@pytest.fixture(scope="session")
def ml_job_maker(tmp_path_factory):
    """``make(name, **make_ml_job options)`` -> (config path, ground truth) in a fresh folder."""
    pytest.importorskip("OpenImageIO", reason="OpenImageIO (the imaging extra) is not installed")
    return lambda name, **kw: make_ml_job(tmp_path_factory.mktemp(name), **kw)


@pytest.fixture
def posix_sh():
    import shutil

    sh = shutil.which("sh")
    if not sh:
        pytest.skip("no POSIX sh on this machine: the farm's shell scripts cannot run")
    return sh
