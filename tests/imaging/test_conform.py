"""Temporal conform on footage made like a real job, with known truth.

A film of camera moves over scikit-image's photographs (4 shots, 256x144); the source is a faded,
grainy, dusty log DPX scan of it; references are JPEG video transfers at 3/4 resolution, graded
differently, reframed (2 % crop, 1 % shift) or letterboxed: PAL 1:1 with an offset, 2:3 telecine
woven from fields (either field first), a blended 4:5 conversion, splices on both sides and a
different cut. Every case must come out exactly: every clean match right, every frame without one
reported as none, no match onto a woven or blended frame, cadence phase and breaks exact.
"""
from __future__ import annotations

import pytest

pytest.importorskip("OpenImageIO")
pytest.importorskip("scipy")

from nuke_restore.framemap import FrameMap  # noqa: E402
from nuke_restore.imaging import conform as cf  # noqa: E402
from nuke_restore.imaging import conform_synth as cs  # noqa: E402
from nuke_restore.imaging.sequence import FrameSequence  # noqa: E402

SHOT = 14


@pytest.fixture(scope="module")
def film():
    return cs.render_film([SHOT] * 4, (256, 144), seed=5)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("conform")


REFRAMED = cs.RefLook(size=(192, 108), crop=0.02, shift=(0.01, 0.0))
LETTERBOX = cs.RefLook(size=(192, 144), letterbox=18, quality=60, gains=(0.95, 1.0, 1.1),
                       gamma=0.9)


def _run(case):
    src = FrameSequence.from_path(case.source)
    ref = FrameSequence.from_path(case.reference)
    return cf.conform(src, ref)


def _exact(case, result):
    sc = cs.score(case, result.frame_map)
    truth = case.truth()
    wrong = {f: (result.frame_map.match(f), truth[f]) for f in sc["wrong"]}
    assert not wrong
    assert sc["right"] == sc["matchable"] and sc["none"] == sc["unmatchable"]
    assert sc["false_mixed"] == 0
    assert sc["breaks_found"] == sc["breaks_true"], sc
    return sc


def test_pal_offset_reframed(film, root):
    case = cs.make_conform_case(root, "pal", film, range(3, 40), cs.one_to_one(range(42)),
                                REFRAMED)
    res = _run(case)
    _exact(case, res)
    fm = res.frame_map
    assert fm.offset == 1 - 1001 + 3          # reference 4 shows source 1001
    assert [s["kind"] for s in fm.cadence] == ["1:1"] and fm.breaks == []
    framing = res.stats["framing"]
    assert framing is not None and abs(framing["scale"] - 1 / 0.96) < 0.01
    # the picture's centre: 2 % crop each side and 1 % shift right, as shares of the source
    want_x, want_y = (0.5 - 0.03) / 0.96 - 0.5, 0.0
    assert abs(framing["shift"][0] - want_x) < 0.004 and abs(framing["shift"][1] - want_y) < 0.004
    assert all(0.5 <= m.confidence <= 1.0 for _f, m in fm)


@pytest.mark.parametrize("phase,order", [(1, "tff"), (2, "bff")])
def test_ntsc_2_3_telecine(film, root, phase, order):
    case = cs.make_conform_case(root, f"ntsc{phase}{order}", film, range(2, 40),
                                cs.telecine(range(42), phase=phase, field_order=order),
                                LETTERBOX)
    res = _run(case)
    _exact(case, res)
    fm = res.frame_map
    (seg,) = fm.cadence
    assert seg["kind"] == "2:3" and seg["field_order"] == order
    truth = case.truth()
    first_mixed = next(i for i, t in enumerate(truth.values()) if t["reason"] == "field-mixed")
    assert seg["phase"] == (2 - first_mixed) % 4
    mixed = [f for f, t in truth.items() if t["reason"] == "field-mixed"]
    assert len(mixed) >= 8
    assert all(fm.match(f).reason == "field-mixed" for f in mixed)
    # each field-mixed frame's two fields are reported in the cadence info
    fields = {}
    for src, ref, fld in seg["field_matches"]:
        fields.setdefault(src, []).append((ref, fld))
    assert sorted(fields) == sorted(mixed)
    woven = set(case.field_mixed_refs())
    for pair in fields.values():
        assert [r for r, _ in pair] == [pair[0][0], pair[0][0] + 1]
        assert all(r in woven for r, _ in pair)
        assert {f for _, f in pair} == {"upper", "lower"}
    assert res.stats["reference_active"]["top"] >= 18   # the letterbox bars were found


def test_blended_conversion(film, root):
    case = cs.make_conform_case(root, "blend", film, range(2, 40),
                                cs.blended(range(42), 4, 5, phase=1), REFRAMED)
    res = _run(case)
    sc = _exact(case, res)
    (seg,) = res.frame_map.cadence
    assert seg["kind"] == "blend 4:5"
    assert sc["matchable"] >= 8 and sc["unmatchable"] >= 25
    assert {m.reason for _f, m in res.frame_map if m.reference is None} == {"blended"}


def test_splices_on_both_sides(film, root):
    src = [f for f in range(42) if not 10 <= f < 12]       # source lacks film frames 10, 11
    src = src[:25] + src[23:]                              # and repeats two
    refs = [f for f in range(42) if not 32 <= f < 35]      # the reference lacks 32-34
    case = cs.make_conform_case(root, "splice", film, src, cs.one_to_one(refs), REFRAMED)
    res = _run(case)
    _exact(case, res)
    kinds = [(b["source"], b["kind"], b.get("frames")) for b in res.frame_map.breaks]
    assert kinds == [(1011, "source-missing", 2), (1026, "source-repeat", 2),
                     (1033, "reference-missing", 3), (1036, "resume", None)]
    # the repeated source frames map to the same reference frames as their first showing
    assert res.frame_map.reference(1026) == res.frame_map.reference(1024)


def test_different_cut(film, root):
    refs = list(range(0, SHOT)) + list(range(3 * SHOT, 4 * SHOT)) + list(range(2 * SHOT, 3 * SHOT))
    case = cs.make_conform_case(root, "recut", film, range(0, 3 * SHOT), cs.one_to_one(refs),
                                REFRAMED)
    res = _run(case)
    _exact(case, res)
    fm = res.frame_map
    missing = range(1001 + SHOT, 1001 + 2 * SHOT)
    assert all(fm.match(f).reason == "not-in-reference" for f in missing)
    assert [b["kind"] for b in fm.breaks] == ["not-in-reference", "resume"]


def test_linear_exr_source_and_2_3_reference_at_half_size(film, root):
    # scene-linear half-float EXR scans; a 2:3 reference at half size woven from fields
    look = cs.RefLook(size=(128, 72), quality=75)
    case = cs.make_conform_case(root, "exr", film, range(4, 38),
                                cs.telecine(range(42), phase=3), look, source_ext="exr")
    assert case.source.endswith(".exr")
    res = _run(case)
    _exact(case, res)
    assert [s["kind"] for s in res.frame_map.cadence] == ["2:3"]


def test_source_beyond_reference_and_determinism(film, root):
    # the source runs on past the reference's end: those frames are outside it, not a break
    case = cs.make_conform_case(root, "short", film, range(0, 30), cs.one_to_one(range(5, 24)),
                                REFRAMED)
    res = _run(case)
    _exact(case, res)
    a = res.frame_map
    assert {a.match(f).reason for f in (1001, 1002, 1025, 1030)} == {"outside-reference"}
    b = _run(case).frame_map
    assert a.dumps() == b.dumps()
    # the contract round-trips
    assert FrameMap.from_json(__import__("json").loads(a.dumps())) == a


def test_cadence_models_are_consistent():
    for cad in cf.CADENCES:
        assert len(cad.positions) == cad.p
        offsets = [p.offset for p in cad.positions]
        assert offsets == sorted(offsets) and all(0 <= o < cad.q for o in offsets)
    blend = next(c for c in cf.CADENCES if c.name == "blend 4:5")
    assert [p.kind for p in blend.positions] == ["clean", "blend", "blend", "blend"]
    # 24 -> 30: video frame 1 is 0.2 A + 0.8 B, so B weighs 0.8 and its neighbour 0.2
    assert blend.positions[1].weight == pytest.approx(0.2) and blend.positions[1].delta == -1


@pytest.mark.parametrize("opencv", [True, False])
@pytest.mark.parametrize("fields", [False, True])
@pytest.mark.parametrize("dtype,channels", [("uint8", 3), ("uint16", 3), ("float16", 3),
                                            ("uint8", 1), ("uint16", 1)])
def test_sampler_fast_gather_equals_per_cell_sampling(fields, dtype, channels, opencv,
                                                      monkeypatch):
    """The sampler's row-then-column gather gives bit for bit what a plain 2-D fancy index and
    per-field averaging give (the way it was first written), letterboxed, per field or whole."""
    import numpy as np

    from nuke_restore.imaging.conform_features import Active, Sampler, to_luma

    if not opencv:
        _without_opencv(monkeypatch)
    rng = np.random.default_rng(2)
    h, w = 91, 130
    hi = {"uint8": 255, "uint16": 65535, "float16": 1}[dtype]
    arr = (rng.random((h, w, channels)) * hi).astype(dtype)
    active = Active(7, 84, 3, 127, w, h)
    s = Sampler(active, (24, 14), fields)
    got = s(arr, linear=dtype == "float16")
    k = s.k
    want = []
    for rows in s.rows:
        y = to_luma(arr[rows[:, None], s.cols[None, :]], dtype == "float16")
        acc = y[0::k] + y[1::k]
        acc = acc.reshape(14, 24, k)
        want.append((acc[:, :, 0] + acc[:, :, 1]) * np.float32(1.0 / (k * k)))
    assert got.shape == (2 if fields else 1, 14, 24)
    # OpenCV's area means and the sums here differ only in float32 rounding
    np.testing.assert_allclose(got, np.stack(want), rtol=0, atol=2e-6)
    if fields:   # the two fields really sample different rows
        assert not np.allclose(got[0], got[1], rtol=0, atol=1e-3)


def _without_opencv(monkeypatch):
    from nuke_restore.imaging import conform_features as fe

    real = fe.optional
    monkeypatch.setattr(fe, "optional", lambda m: None if m == "cv2" else real(m))


def test_warp_opencv_and_numpy_paths_agree(monkeypatch):
    """The reframing warp through OpenCV's remap and through the numpy fallback (no OpenCV) give
    the same rasters to well below a descriptor's resolution."""
    import numpy as np
    from scipy import ndimage

    from nuke_restore.imaging.conform_features import warp_small

    pytest.importorskip("cv2")
    rng = np.random.default_rng(4)
    small = ndimage.gaussian_filter(rng.random((5, 2, 40, 64)), (0, 0, 1.5, 1.5)).astype(np.float32)
    g = np.array([[1.05, 0.01, -1.7], [-0.01, 1.05, 0.9], [0.0, 0.0, 1.0]])
    fast = warp_small(small, g)
    _without_opencv(monkeypatch)
    slow = warp_small(small, g)
    assert fast.shape == slow.shape == small.shape
    spread = float(small.max() - small.min())
    assert np.abs(fast - slow).max() < 1e-3 * spread
    assert np.abs(fast - small).max() > 0.05 * spread      # it did move the picture


def test_phase_shift_finds_subpixel_translation():
    """The framing's shift measure: src(x) ~ ref(x + d), to a tenth of a pixel, either sign."""
    import numpy as np
    from scipy import ndimage

    from nuke_restore.imaging.conform_features import warp_small
    from nuke_restore.imaging.conform_framing import _phase_shifts

    rng = np.random.default_rng(7)
    ref = ndimage.gaussian_filter(rng.random((72, 128)), 2.0).astype(np.float32)
    for d in ((2.3, -1.6), (-4.7, 0.4), (0.0, 3.2)):
        g = np.array([[1.0, 0.0, -d[0]], [0.0, 1.0, -d[1]], [0.0, 0.0, 1.0]])
        src = warp_small(ref[None], g)[0]          # src(x) = ref(x - d)
        ((du, dv, peak),) = _phase_shifts(src[None], ref[None])
        assert abs(du + d[0]) < 0.15 and abs(dv + d[1]) < 0.15, (d, du, dv)
        assert peak > 0.3


@pytest.mark.parametrize("opencv", [True, False])
def test_cell_means_equal_reshape_mean(opencv, monkeypatch):
    import numpy as np

    from nuke_restore.imaging.conform_features import _cell_means

    if not opencv:
        _without_opencv(monkeypatch)
    rng = np.random.default_rng(1)
    for k, n in ((2, 3), (3, 3), (4, 3), (2, 700)):      # 700 x 2 rasters: several OpenCV calls
        a = rng.random((n, 2, 6 * k, 5 * k)).astype(np.float32)
        want = a.reshape(n, 2, 6, k, 5, k).mean(axis=(3, 5))
        np.testing.assert_allclose(_cell_means(a, k), want, rtol=0, atol=1e-6)
    a = rng.random((3, 1, 6, 5 * 4)).astype(np.float32)            # 4 columns x 1 row
    want = a.reshape(3, 1, 6, 5, 4).mean(axis=4)
    np.testing.assert_allclose(_cell_means(a, 4, 1), want, rtol=0, atol=1e-6)


def test_jpeg_luma_plane_and_damaged_jpeg(tmp_path):
    """A JPEG's luma is read as its Y' plane alone; a truncated file goes through OpenImageIO,
    which names it."""
    import numpy as np
    import OpenImageIO as oiio

    from nuke_restore.errors import ImagingError
    from nuke_restore.imaging.conform_features import read_for_luma, read_pixels

    pytest.importorskip("cv2")
    film = cs.render_film([3], (96, 64), seed=1)
    path = str(tmp_path / "ref.0001.jpg")
    out = oiio.ImageOutput.create(path)
    out.open(path, oiio.ImageSpec(96, 64, 3, "uint8"))
    out.write_image((np.clip(film[0], 0, 1) * 255).astype(np.uint8))
    out.close()
    y = read_for_luma(path, 1)
    assert y.shape == (64, 96, 1) and y.dtype == np.uint8
    rgb = read_pixels(path, 1).astype(np.float32)
    y601 = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    diff = np.abs(y[..., 0] - y601)
    # Y' of the decoded RGB, rounding apart (and where decoding to RGB clips a saturated colour)
    assert np.percentile(diff, 99) <= 2.0 and diff.mean() < 0.8
    data = open(path, "rb").read()
    cut = tmp_path / "cut.0001.jpg"
    cut.write_bytes(data[: len(data) // 2])
    try:
        arr = read_for_luma(str(cut), 1)
    except ImagingError as exc:
        assert "cut.0001.jpg" in str(exc.path or exc)
    else:   # OpenImageIO decoded what was there: then it came from OpenImageIO, all channels
        assert arr.shape[2] == 3


def test_conform_without_opencv(film, root, monkeypatch):
    """Every OpenCV fast path has a numpy/OpenImageIO fallback that conforms the same way."""
    _without_opencv(monkeypatch)
    case = cs.make_conform_case(root, "pal-nocv", film, range(3, 40), cs.one_to_one(range(42)),
                                REFRAMED)
    res = _run(case)
    _exact(case, res)
    assert res.stats["framing"] is not None


def test_viterbi_emission_table_equals_per_state_lookup():
    """The one-gather emission table reads, for every frame and state, the cost the state's
    cadence position names (checked against a lookup state by state, frame by frame)."""
    import numpy as np

    rng = np.random.default_rng(3)
    n, m = 47, 61
    src = rng.standard_normal((n, 20))
    ref = rng.standard_normal((m, 2, 20))
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    ref /= np.linalg.norm(ref, axis=2, keepdims=True)
    opts = cf.ConformOptions()
    states = cf._States(list(cf.CADENCES), n, m)
    ev = cf._Evidence(src, ref, opts, (states.pad_left, states.pad_right))
    blends = sorted({(p.delta, p.weight) for c in cf.CADENCES for p in c.positions
                     if p.kind == "blend"})
    kinds = ["clean", ("fields", 1, 0), ("fields", 0, 1)] + [("blend",) + b for b in blends]
    width = states.pad_left + m + states.pad_right + 1
    gather = cf._Gather(states, kinds, states.pad_left, width)
    flat = np.full(gather.size, opts.none_cost)
    stack = flat[:-1].reshape(len(kinds), gather.frames, width)
    checked = 0
    for i0 in range(0, n, gather.frames):
        count = min(n, i0 + gather.frames) - i0
        ev.fill(i0, i0 + count, kinds, stack)
        got = gather.emissions(flat, i0, count)
        for r in range(count):
            i = i0 + r
            assert got[r, 0] == opts.none_cost
            for s in range(1, states.size, 7):
                ci, a, b = states.decode(s)
                pos, j = cf._where(states.cadences[ci], a, b, i)
                if not 0 <= j < m:
                    want = opts.none_cost
                else:
                    want = stack[kinds.index(cf._row_key(pos)), r, states.pad_left + j]
                assert got[r, s] == want, (i, s)
                checked += 1
    assert checked > 10000


@pytest.mark.parametrize("shape,dtype", [((8, 10, 3), "uint16"), ((8, 10, 1), "uint8"),
                                         ((8, 10, 3), "float32"), ((8, 10, 3), "float16"),
                                         ((7, 10, 3), "uint16"), ((8, 9, 1), "uint8")])
def test_every_other_pixel_equals_strided_slice(shape, dtype):
    import numpy as np

    from nuke_restore.imaging.conform_features import _every_other

    arr = (np.random.default_rng(5).random(shape) * 1000).astype(dtype)
    got = _every_other(arr)
    assert got.shape == arr[::2, ::2].shape and np.array_equal(got, arr[::2, ::2])


def test_framing_lines_meet_at_the_framing():
    """Pairs whose reference frame is off along their shot's motion still pin the framing: their
    offsets lie on the motion line through it; a still pair is a point; a crooked pair is not
    used; parallel lines alone do not decide it."""
    import numpy as np

    from nuke_restore.imaging.conform_framing import _where_lines_meet

    framing = np.array([-1.33, 0.38])
    motions = [np.array([0.74, -0.64]), np.array([-1.1, -0.2]), np.array([0.17, -0.7]),
               np.array([-0.86, -0.59])]
    rng = np.random.default_rng(0)
    pairs = []
    for v, off in zip(motions, (2.0, -1.4, 1.8, -1.6)):   # each pair 1.4-2 frames off
        pairs.append([framing + v * (off + d) + rng.normal(0, 0.03, 2) for d in (-1, 0, 1)])
    pairs.append([framing + rng.normal(0, 0.03, 2) for _d in range(3)])        # a still shot
    pairs.append([np.array([3.0, 2.0]), np.array([-2.0, 0.5]), np.array([1.0, -3.0])])  # crooked
    found, used = _where_lines_meet(pairs, 0.35)
    assert np.abs(found - framing).max() < 0.1 and used == 5
    # the old rule's answer (the offset most pairs share within 0.6 px) is not the framing here
    parallel = [[framing + motions[0] * (off + d) for d in (-1, 0, 1)] for off in (2.0, -1.0)]
    assert _where_lines_meet(parallel, 0.35) is None


def test_framing_from_pairs_a_frame_or_two_off():
    """estimate_framing on rasters of panning shots, reframed by a known scale and offset, with
    every sure pair's reference frame one or two frames off (as a first pass on a blended
    conversion gives them): the framing comes out within a fifth of a pixel."""
    import numpy as np
    from scipy import ndimage

    from nuke_restore.imaging.conform_features import warp_small
    from nuke_restore.imaging.conform_framing import estimate_framing

    rng = np.random.default_rng(11)
    h, w = 72, 128
    texture = ndimage.gaussian_filter(rng.random((3 * h, 3 * w)), 2.5).astype(np.float32)
    scale, shift = 1.04, np.array([-1.3, 0.6])
    centre = np.array([w / 2, h / 2])
    g = np.eye(3)
    g[:2, :2] *= scale
    g[:2, 2] = centre - scale * centre + shift

    def view(x, y):   # the film: a window on the texture at (x, y)
        return ndimage.shift(texture, (-y, -x), order=1)[h: 2 * h, w: 2 * w]

    src, ref, sure = [], [], []
    for shot, (vx, vy) in enumerate([(1.5, -0.4), (-0.3, 1.2), (-1.2, -0.9)]):
        for k in range(6):
            src.append(view(20 * shot + vx * k, 10 * shot + vy * k))
            # the reference frame shows the film through the transfer's framing
            film = view(20 * shot + vx * k, 10 * shot + vy * k)
            ref.append(warp_small(film[None], np.linalg.inv(g))[0])
        base = 6 * shot
        sure.append((base + 2, base + 2 + (1 if shot % 2 else 2)))   # reference off by 1-2 frames
    src_small = np.stack(src)[:, None]
    ref_small = np.repeat(np.stack(ref)[:, None], 2, axis=1)
    out = estimate_framing(sure, src_small, ref_small)
    assert out is not None and out["method"] == "lines"
    assert abs(out["scale"] - scale) < 0.01
    got = np.array(out["shift"]) * [w, h]
    assert np.abs(got - shift).max() < 0.2, got


def test_field_rows_are_centred_on_the_lattice():
    """Each field samples the row of its parity nearest each lattice position: no half-row bias
    (which the framing would report as a vertical offset of the transfer)."""
    import numpy as np

    from nuke_restore.imaging.conform_features import Active, Sampler

    for height in (405, 270, 1080, 480):
        s = Sampler(Active(0, height, 0, 720, 720, height), (128, 72), fields=True)
        pos = (np.arange(72 * 2) + 0.5) * height / (72 * 2)
        # rounding down to the parity (as first written) samples each field half a row high
        assert float((2 * np.floor(pos / 2) + 0.5 - pos).mean()) < -0.45
        means = []
        for par, rows in enumerate(s.rows):
            assert np.all(rows % 2 == par)
            err = rows + 0.5 - pos
            assert np.abs(err).max() <= 1.0
            means.append(float(err.mean()))
        # no bias: none at all where the lattice is not in step with the rows, else a
        # pattern that the two fields cancel
        assert abs(sum(means)) < 1e-9 and max(abs(m) for m in means) < 0.2


def test_find_active_bars_and_a_dark_frame():
    """Letterbox and pillarbox bars are found from the frames together (a dark frame among them
    does not widen them), as the per-axis mean and standard deviation define them."""
    import numpy as np

    from nuke_restore.imaging.conform_features import find_active

    rng = np.random.default_rng(9)
    frames = []
    for k in range(6):
        y = np.full((90, 160), 0.01, np.float32) + rng.normal(0, 0.002, (90, 160)).astype(
            np.float32)
        level = 0.02 if k == 2 else 0.5          # frame 2 is a dark shot
        y[12:78, 20:140] = level + 0.3 * rng.random((66, 120)).astype(np.float32) * (k != 2)
        frames.append(y)
    a = find_active(frames)
    # one row/column more each side than the bars (their edges are soft after scaling)
    assert (a.top, a.bottom, a.left, a.right) == (13, 77, 21, 139)
    assert (a.width, a.height) == (160, 90)
    flat = find_active([np.full((90, 160), 0.01, np.float32)] * 3)   # all dark: not bars
    assert (flat.top, flat.bottom, flat.left, flat.right) == (0, 90, 0, 160)


def _designed_evidence(src_film, ref_film):
    """An _Evidence whose correlations are set by hand, as in a shot that barely moves: source
    frame i shows film frame ``src_film[i]``, reference frame j ``ref_film[j]``; their correlation
    is 0.97 for the same film frame, 0.88, 0.76, 0.62 for one, two, three frames apart, 0.3
    beyond."""
    import numpy as np

    n, m = len(src_film), len(ref_film)
    rng = np.random.default_rng(0)
    ev = cf._Evidence(rng.standard_normal((n, 8)), rng.standard_normal((m, 2, 8)),
                      cf.ConformOptions(), (0, 0))
    apart = np.abs(np.subtract.outer(np.asarray(src_film), np.asarray(ref_film)))
    c = np.where(apart < 4, np.array([0.97, 0.88, 0.76, 0.62])[np.minimum(apart, 3)], 0.3)
    ev.cf = [c.copy(), c.copy()]
    ev.cframe = c.copy()
    ev.adj = np.full(n - 1, 0.88)
    return ev


def _path_of(ev, opts, cadences=("1:1",)):
    cads = [c for c in cf.CADENCES if c.name in cadences]
    states = cf._States(cads, ev.n, ev.m)
    ev.pad = (states.pad_left, states.pad_right)
    path, _cost = cf._viterbi(states, ev, opts, False)
    return [None if s == 0 else states.decode(s) for s in path]


def test_viterbi_a_gap_in_the_reference_is_one_event():
    """Film frames the reference lacks, in a shot that barely moves: the path marks them none and
    resumes with the offset moved on, rather than running on through them with near matches
    (as it did when a gap cost two breaks)."""
    src_film = list(range(40))
    ref_film = [f for f in range(40) if not 20 <= f < 23]
    path = _path_of(_designed_evidence(src_film, ref_film), cf.ConformOptions())
    assert [i for i, st in enumerate(path) if st is None] == [20, 21, 22]
    assert path[0][2] == 0 and path[-1][2] == -3       # offsets before and after the gap
    old = _path_of(_designed_evidence(src_film, ref_film), cf.ConformOptions(gap_cost=2.0))
    assert [i for i, st in enumerate(old) if st is None] != [20, 21, 22]


def test_read_out_refuses_a_clean_match_whose_fields_disagree():
    """The field-level check: a frame the path calls clean whose two fields correlate 0.25 apart
    with the source is reported field-mixed, not matched."""
    import numpy as np

    n, m = 12, 12
    ev = _designed_evidence(list(range(n)), list(range(m)))
    ev.cf[0][5, 5], ev.cf[1][5, 5] = 0.95, 0.70        # source frame 5: its frame is woven
    ev.cframe[5, 5] = 0.825
    states = cf._States([cf.CADENCES[0]], n, m)
    path = [states.blocks[0][2] - states.blocks[0][3]] * n       # offset 0 throughout
    fmap = cf._read_out(path, states, ev, list(range(1001, 1001 + n)), list(range(1, m + 1)),
                        cf.ConformOptions())
    assert fmap.match(1006).reference is None and fmap.match(1006).reason == "field-mixed"
    assert fmap.match(1005).reference == 5 and np.isclose(fmap.match(1005).confidence, 0.97)


def test_a_real_cadence_change_is_still_found(film, root):
    """A reference that changes cadence (1:1 for the first two shots, 2:3 after: a compilation)
    pays the cadence-change cost once and is mapped exactly on both sides of the change."""
    case = cs.make_conform_case(root, "change", film, range(2, 54),
                                cs.one_to_one(range(0, 28)) + cs.telecine(range(28, 56), phase=0),
                                LETTERBOX)
    res = _run(case)
    sc = cs.score(case, res.frame_map)
    assert sc["right"] == sc["matchable"] and sc["none"] == sc["unmatchable"]
    assert sc["false_mixed"] == 0
    assert [s["kind"] for s in res.frame_map.cadence] == ["1:1", "2:3"]
