"""FrameSequence: Nuke-style patterns, missing frames, formats, proxies, threaded reads, atomic writes."""
from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("OpenImageIO")

from nuke_restore.errors import ImagingError, OutputExistsError  # noqa: E402
from nuke_restore.imaging.sequence import (  # noqa: E402
    FrameSequence,
    box_downscale,
    check_same_size,
    read_image,
    write_image,
)


def _ramp(h=12, w=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((h, w, 3)).astype(np.float32)


@pytest.fixture()
def exr_seq(tmp_path):
    for f in (1, 2, 3, 5, 6):
        write_image(tmp_path / f"plate.{f:04d}.exr", _ramp(seed=f), "float")
    return tmp_path


@pytest.mark.parametrize("pattern", ["plate.####.exr", "plate.%04d.exr", "plate.@@@@.exr",
                                     "plate.$F4.exr", "plate.0003.exr"])
def test_patterns_find_frames_and_gaps(exr_seq, pattern):
    seq = FrameSequence.from_path(str(exr_seq / pattern))
    assert seq.frames == [1, 2, 3, 5, 6]
    assert seq.missing == [4]
    assert (seq.first, seq.last) == (1, 6)
    assert seq.path(4).endswith("plate.0004.exr")
    assert seq.nuke_pattern().endswith("plate.####.exr")


def test_folder_with_one_sequence(exr_seq):
    seq = FrameSequence.from_path(str(exr_seq))
    assert seq.frames == [1, 2, 3, 5, 6]


def test_folder_with_two_sequences_is_ambiguous(exr_seq):
    write_image(exr_seq / "other.0001.exr", _ramp(), "half")
    write_image(exr_seq / "other.0002.exr", _ramp(), "half")
    with pytest.raises(ImagingError, match="several image sequences"):
        FrameSequence.from_path(str(exr_seq))


def test_check_names_missing_frames(exr_seq):
    seq = FrameSequence.from_path(str(exr_seq / "plate.####.exr"), first=1, last=8)
    assert seq.missing == [4, 7, 8]
    with pytest.raises(ImagingError) as err:
        seq.check()
    assert "4" in str(err.value) and "7-8" in str(err.value)
    seq.check(require_all=False)  # only logs


def test_unpadded_sequence_and_range(tmp_path):
    for f in (8, 9, 10, 11):
        write_image(tmp_path / f"s.{f}.png", _ramp(), "uint8")
    seq = FrameSequence.from_path(str(tmp_path / "s.#.png"))
    assert seq.frames == [8, 9, 10, 11] and seq.padding == 0
    seq2 = FrameSequence.from_path(str(tmp_path / "s.10.png"), first=9, last=10)
    assert seq2.frames == [9, 10]


def test_padded_pattern_ignores_other_padding(tmp_path):
    write_image(tmp_path / "a.0001.png", _ramp(), "uint8")
    write_image(tmp_path / "a.2.png", _ramp(), "uint8")
    write_image(tmp_path / "a.12345.png", _ramp(), "uint8")  # frame 12345 of a #### pattern
    seq = FrameSequence.from_path(str(tmp_path / "a.####.png"))
    assert seq.frames[0] == 1 and 12345 in seq.frames and 2 not in seq.frames


def test_single_still(tmp_path):
    write_image(tmp_path / "still.png", _ramp(), "uint8")
    seq = FrameSequence.from_path(str(tmp_path / "still.png"))
    assert seq.is_still and len(seq) == 1
    assert seq.read(seq.frames[0]).shape == (12, 16, 3)


def test_no_match_is_an_error(tmp_path):
    with pytest.raises(ImagingError, match="no frames match"):
        FrameSequence.from_path(str(tmp_path / "none.####.exr"))
    with pytest.raises(ImagingError, match="no such file"):
        FrameSequence.from_path(str(tmp_path / "none.exr"))


@pytest.mark.parametrize("ext,dtype,tol", [("exr", "half", 1e-3), ("exr", "float", 1e-6),
                                            ("tif", "uint16", 1e-4), ("png", "uint8", 1 / 255),
                                            ("dpx", "uint16", 1e-3), ("jpg", "uint8", 0.12)])
def test_formats_round_trip_as_float_rgb(tmp_path, ext, dtype, tol):
    img = _ramp(16, 24)
    img[..., 0] = np.linspace(0, 1, 24)[None, :]  # smooth content so JPEG stays close
    img[..., 1] = 0.5
    img[..., 2] = np.linspace(1, 0, 16)[:, None]
    p = write_image(tmp_path / f"x.{ext}", img, dtype)
    out = read_image(p)
    assert out.dtype == np.float32 and out.shape == (16, 24, 3)
    assert float(np.abs(out - img).mean()) < tol


def test_alpha_dropped_and_grey_expanded(tmp_path):
    rgba = np.concatenate([_ramp(), np.full((12, 16, 1), 0.25, np.float32)], axis=2)
    write_image(tmp_path / "a.exr", rgba, "float")
    assert np.allclose(read_image(tmp_path / "a.exr"), rgba[..., :3])
    grey = np.linspace(0, 1, 16 * 12, dtype=np.float32).reshape(12, 16)
    write_image(tmp_path / "g.exr", grey, "float")
    g = read_image(tmp_path / "g.exr")
    assert g.shape == (12, 16, 3) and np.allclose(g[..., 0], grey) and np.allclose(g[..., 2], grey)


def test_proxy_is_a_box_filter(tmp_path):
    img = _ramp(12, 16)
    write_image(tmp_path / "p.exr", img, "float")
    out = read_image(tmp_path / "p.exr", proxy=4)
    assert out.shape == (3, 4, 3)
    assert np.allclose(out[1, 2], img[4:8, 8:12].mean(axis=(0, 1)), atol=1e-6)
    assert box_downscale(img, 1) is img


def test_read_many_threaded_in_order(exr_seq):
    seq = FrameSequence.from_path(str(exr_seq / "plate.####.exr"))
    got = list(seq.read_many(threads=3, proxy=2))
    assert [f for f, _ in got] == seq.frames
    for f, img in got:
        assert np.allclose(img, seq.read(f, proxy=2))


def test_missing_frame_read_names_frame(exr_seq):
    seq = FrameSequence.from_path(str(exr_seq / "plate.####.exr"))
    with pytest.raises(ImagingError, match="frame 4 is missing"):
        seq.read(4)
    with pytest.raises(ImagingError, match="frame 4"):
        list(seq.read_many([3, 4]))


def test_corrupt_frame_names_file_and_frame(exr_seq):
    (exr_seq / "plate.0005.exr").write_bytes(b"not an exr at all")
    seq = FrameSequence.from_path(str(exr_seq / "plate.####.exr"))
    with pytest.raises(ImagingError) as err:
        seq.read(5)
    assert "plate.0005.exr" in str(err.value) and "frame 5" in str(err.value)


def test_truncated_frame_is_an_error(tmp_path):
    p = write_image(tmp_path / "t.0001.exr", _ramp(64, 64), "float")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImagingError, match="t.0001.exr"):
        read_image(p, frame=1)


def test_write_refuses_overwrite_and_is_atomic(tmp_path):
    p = write_image(tmp_path / "w.exr", _ramp(), "half")
    before = p.read_bytes()
    with pytest.raises(OutputExistsError):
        write_image(p, _ramp(seed=3), "half")
    assert p.read_bytes() == before
    write_image(p, _ramp(seed=3), "half", force=True)
    assert p.read_bytes() != before
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_check_same_size_names_both(tmp_path):
    write_image(tmp_path / "a.0001.exr", _ramp(12, 16), "half")
    write_image(tmp_path / "a.0002.exr", _ramp(12, 16), "half")
    write_image(tmp_path / "b.0001.exr", _ramp(10, 16), "half")
    write_image(tmp_path / "b.0002.exr", _ramp(10, 16), "half")
    a = FrameSequence.from_path(str(tmp_path / "a.####.exr"))
    b = FrameSequence.from_path(str(tmp_path / "b.####.exr"))
    with pytest.raises(ImagingError) as err:
        check_same_size(a, b)
    msg = str(err.value)
    assert "a.0001.exr" in msg and "b.0001.exr" in msg and "16x12" in msg and "16x10" in msg


def test_headers_check_finds_odd_sized_frame(exr_seq):
    write_image(exr_seq / "plate.0004.exr", _ramp(10, 10), "half")
    seq = FrameSequence.from_path(str(exr_seq / "plate.####.exr"))
    with pytest.raises(ImagingError, match="frame 4 is 10x10"):
        seq.check(headers=True)
