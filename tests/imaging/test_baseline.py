"""Colour baselines: fits reduce error on faded pairs, .cube/.cc round trips through OpenColorIO."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("scipy")
from nuke_restore.errors import ImagingError, OutputExistsError  # noqa: E402
from nuke_restore.imaging import baseline, lut, metrics  # noqa: E402
from nuke_restore.imaging.colour import linear_to_srgb, srgb_to_linear  # noqa: E402


@pytest.fixture(scope="module")
def faded_pairs():
    """Four aligned (faded source, true colour) pairs cut from two real photographs."""
    samples = pytest.importorskip("nuke_restore.imaging.samples")
    try:
        photos = [samples.load_photo("coffee"), samples.load_photo("astronaut")]
    except Exception as exc:  # pragma: no cover
        pytest.skip(f"bundled photographs unavailable: {exc}")
    rng = np.random.default_rng(7)
    out = []
    for p in photos:
        for r0, c0 in ((0, 0), (150, 200)):
            gt = np.ascontiguousarray(p[r0:r0 + 200:2, c0:c0 + 300:2])
            src = samples.fade_linear(srgb_to_linear(gt), samples.FadeParams(), rng)
            out.append((linear_to_srgb(np.clip(src, 0, 1)), gt))
    return out


@pytest.mark.parametrize("method", baseline.METHODS)
def test_fit_on_some_frames_beats_identity_on_held_out_frames(faded_pairs, method):
    train = [faded_pairs[0], faded_pairs[2]]
    test = [faded_pairs[1], faded_pairs[3]]
    b = baseline.fit(train, method, frames=[1, 3])
    assert b.fit_error["rmse"] < 0.5 * b.fit_error["identity_rmse"]
    for src, gt in test:
        before = metrics.psnr(src, gt)
        after = metrics.psnr(np.clip(b(src), 0, 1), gt)
        assert after > before + 8, (method, before, after)
        assert metrics.delta_e_stats(np.clip(b(src), 0, 1), gt)["mean"] < \
            0.5 * metrics.delta_e_stats(src, gt)["mean"]


def test_lut3d_empty_cells_fall_back_to_the_polynomial(faded_pairs):
    s, r = baseline.sample_pairs(faded_pairs[:1])
    poly = baseline.fit_poly(s, r)
    m = baseline.fit_lut3d(s, r, 17, prior=poly)
    assert 0 < m.coverage < 1
    # A colour far from any sample (saturated cyan) takes the polynomial's value.
    far = np.array([[0.0, 1.0, 1.0]])
    np.testing.assert_allclose(m(far), poly(far), atol=1e-3)


def test_cube_round_trips_through_opencolorio(tmp_path, faded_pairs):
    ocio = pytest.importorskip("PyOpenColorIO")
    b = baseline.fit(faded_pairs[:2], "lut3d", lut_size=17)
    paths = baseline.export(b, tmp_path, lut_size=17)
    table = lut.read_cube(paths["cube"])
    np.testing.assert_allclose(table, b.mapping.table, atol=1e-6)
    ft = ocio.FileTransform(src=paths["cube"], interpolation=ocio.INTERP_LINEAR)
    cpu = ocio.Config.CreateRaw().getProcessor(ft).getDefaultCPUProcessor()
    src = np.ascontiguousarray(faded_pairs[3][0], dtype=np.float32)
    theirs = src.copy()
    cpu.applyRGB(theirs)
    np.testing.assert_allclose(theirs, b(src), atol=2e-5)
    meta = json.loads((tmp_path / "baseline.json").read_text())
    assert meta["method"] == "lut3d" and meta["files"]["cube"] == "baseline_lut3d.cube"


def test_poly_cube_bake_matches_poly_inside_lattice_error(tmp_path, faded_pairs):
    ocio = pytest.importorskip("PyOpenColorIO")
    b = baseline.fit(faded_pairs[:2], "poly")
    cube = baseline.export(b, tmp_path, lut_size=33)["cube"]
    ft = ocio.FileTransform(src=cube, interpolation=ocio.INTERP_LINEAR)
    cpu = ocio.Config.CreateRaw().getProcessor(ft).getDefaultCPUProcessor()
    src = np.ascontiguousarray(faded_pairs[3][0], dtype=np.float32)
    theirs = src.copy()
    cpu.applyRGB(theirs)
    assert metrics.psnr(theirs, b(src)) > 45  # a smooth map survives a 33^3 bake


def test_cdl_matches_opencolorio_cdl_and_cc_file(tmp_path, faded_pairs):
    ocio = pytest.importorskip("PyOpenColorIO")
    b = baseline.fit(faded_pairs[:2], "cdl")
    m = b.mapping
    paths = baseline.export(b, tmp_path)
    src = np.ascontiguousarray(faded_pairs[3][0], dtype=np.float32)
    cfg = ocio.Config.CreateRaw()
    for transform in (ocio.FileTransform(src=paths["cc"]),):
        cpu = cfg.getProcessor(transform).getDefaultCPUProcessor()
        theirs = src.copy()
        cpu.applyRGB(theirs)
        np.testing.assert_allclose(theirs, m(src), atol=1e-4)
    assert (m.slope != 1).any() and 0 < m.saturation


def test_export_refuses_to_overwrite_without_force(tmp_path, faded_pairs):
    b = baseline.fit(faded_pairs[:1], "poly")
    baseline.export(b, tmp_path)
    with pytest.raises(OutputExistsError):
        baseline.export(b, tmp_path)
    baseline.export(b, tmp_path, force=True)


def test_matched_target_keeps_source_detail_and_reference_tone():
    rng = np.random.default_rng(0)
    from scipy import ndimage

    clean = ndimage.gaussian_filter(rng.random((64, 64, 3)), (3, 3, 0)) * 0.6 + 0.2
    grain = rng.normal(0, 0.02, clean.shape[:2])[..., None]
    src = np.clip(clean * 0.7 + 0.1 + grain, 0, 1).astype(np.float32)  # tone off, grainy
    ref = ndimage.gaussian_filter(clean, (1.5, 1.5, 0)).astype(np.float32)  # right tone, soft
    tmpl = baseline.chroma_target(src, ref)
    freq = baseline.matched_target(src, ref, sigma=2.0)
    assert metrics.psnr(freq, clean) > metrics.psnr(tmpl, clean) + 3
    # High frequencies (the grain) come from the source.
    hp = freq - ndimage.gaussian_filter(freq, (2, 2, 0))
    hp_src = src - ndimage.gaussian_filter(src, (2, 2, 0))
    assert np.corrcoef(hp[..., 1].ravel(), hp_src[..., 1].ravel())[0, 1] > 0.8


def test_bad_input_is_an_imaging_error():
    a = np.zeros((10, 10, 3), np.float32)
    with pytest.raises(ImagingError):
        baseline.fit([], "poly")
    with pytest.raises(ImagingError, match="differ"):
        baseline.fit([(a, a[:5])], "poly")
    with pytest.raises(ImagingError, match="method"):
        baseline.fit([(a, a)], "magic")


def test_idt_moves_the_colour_distribution_toward_the_reference(faded_pairs):
    src, gt = faded_pairs[1]
    out = baseline.idt(src, gt, iterations=10)
    assert out.shape == src.shape
    assert metrics.psnr(np.clip(out, 0, 1), gt) > metrics.psnr(src, gt) + 8
    np.testing.assert_array_equal(out, baseline.idt(src, gt, iterations=10))  # seeded


def test_lut_apply_through_ocio_matches_the_numpy_trilinear_reference():
    from nuke_restore.imaging import lut

    table = lut.identity(17) ** 1.3 * 0.9 + 0.03
    rgb = np.random.default_rng(5).random((37, 23, 3)).astype(np.float32) * 1.2 - 0.1
    got = lut.apply(table, rgb)
    assert got.shape == rgb.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, lut.apply_reference(table, rgb), atol=5e-7)


def test_cdl_through_ocio_matches_the_asc_definition_including_negatives():
    cdl = baseline.CdlMap(np.array([1.1, 0.9, 1.2]), np.array([0.01, -0.05, 0.03]),
                          np.array([1.1, 0.95, 1.0]), 0.8)
    rgb = np.random.default_rng(6).random((41, 3)).astype(np.float32) * 1.2 - 0.1
    np.testing.assert_allclose(cdl(rgb), cdl.reference(rgb), atol=1e-6)


def test_histogram_match_gives_each_channel_the_reference_distribution():
    rng = np.random.default_rng(7)
    src = rng.random((32, 48, 3)).astype(np.float32)
    ref = (rng.random((32, 48, 3)) ** 2 * 0.7 + 0.1).astype(np.float32)
    out = baseline.histogram_match(src, ref)
    for c in range(3):
        np.testing.assert_allclose(np.sort(out[..., c].ravel()), np.sort(ref[..., c].ravel()),
                                   atol=1e-6)
        # monotone: the rank order of the source is kept
        order = np.argsort(src[..., c].ravel())
        assert np.all(np.diff(out[..., c].ravel()[order]) >= -1e-7)
