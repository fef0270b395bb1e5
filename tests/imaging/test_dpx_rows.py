"""Reading sampled rows of a DPX straight from the file gives OpenImageIO's pixels exactly."""
from __future__ import annotations

import os

import pytest

np = pytest.importorskip("numpy")
oiio = pytest.importorskip("OpenImageIO")

from nuke_restore.imaging import dpx_rows  # noqa: E402
from nuke_restore.imaging.conform_features import Active, Sampler, read_pixels  # noqa: E402


def _write(path, img, bits, endian):
    spec = oiio.ImageSpec(img.shape[1], img.shape[0], img.shape[2], "uint16")
    spec.attribute("oiio:BitsPerSample", bits)
    spec.attribute("oiio:Endian", endian)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec)
    out.write_image(img)
    out.close()


@pytest.mark.parametrize("positioned", [True, False])
@pytest.mark.parametrize("bits", [10, 16])
@pytest.mark.parametrize("endian", ["little", "big"])
def test_rows_equal_openimageio(tmp_path, bits, endian, positioned, monkeypatch):
    if not positioned:     # as on a system without os.preadv (Windows): seek and read
        monkeypatch.setattr(dpx_rows, "_PREADV", None)
    rng = np.random.default_rng(bits)
    img = (rng.integers(0, 1 << bits, (23, 41, 3)) << (16 - bits)).astype(np.uint16)
    path = tmp_path / "scan.1001.dpx"
    _write(path, img, bits, endian)
    lay = dpx_rows.layout(str(path))
    assert lay is not None and (lay.width, lay.height, lay.bits) == (41, 23, bits)
    assert lay.big_endian == (endian == "big")
    rows, cols = np.array([0, 3, 4, 22]), np.array([0, 1, 17, 40])
    full = read_pixels(str(path))
    got = dpx_rows.read_rows(str(path), lay, rows, lambda a: np.take(a, cols, axis=1))
    assert got.dtype == np.uint16 and np.array_equal(got, full[rows][:, cols])
    # sparse rows are read one by one, through an open file descriptor as the sampler does
    fd = os.open(str(path), os.O_RDONLY)
    try:
        assert dpx_rows.layout(fd) == lay
        sparse = np.array([1, 21])
        got = dpx_rows.read_rows(fd, lay, sparse, lambda a: a)
    finally:
        os.close(fd)
    assert np.array_equal(got, full[sparse])
    # and the conform sampler gives the same cells either way, letterboxed, per field
    s = Sampler(Active(2, 21, 1, 40, 41, 23), (8, 4), fields=True)
    assert np.array_equal(s.from_file(str(path)), s(full, False))


def test_unsupported_or_damaged_files_fall_back(tmp_path):
    img = np.full((8, 10, 3), 1000, np.uint16)
    eight = tmp_path / "eight.dpx"
    spec = oiio.ImageSpec(10, 8, 3, "uint8")
    out = oiio.ImageOutput.create(str(eight))
    out.open(str(eight), spec)
    out.write_image(np.zeros((8, 10, 3), np.uint8))
    out.close()
    assert dpx_rows.layout(str(eight)) is None                   # 8-bit: OpenImageIO reads it
    good = tmp_path / "good.dpx"
    _write(good, img, 10, "big")
    data = good.read_bytes()
    cut = tmp_path / "cut.dpx"
    cut.write_bytes(data[: len(data) - 100])
    assert dpx_rows.layout(str(cut)) is None                     # truncated: OpenImageIO says so
    (tmp_path / "not.dpx").write_bytes(b"JUNK" + bytes(2000))
    assert dpx_rows.layout(str(tmp_path / "not.dpx")) is None
    s = Sampler(Active(0, 8, 0, 10, 10, 8), (4, 2), fields=False)
    assert s.from_file(str(cut)) is None
