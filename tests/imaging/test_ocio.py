"""Colour management through OpenColorIO (imaging/ocio.py): config, defaults, Cineon decoding."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PyOpenColorIO")
pytest.importorskip("OpenImageIO")
from nuke_restore.errors import ImagingError  # noqa: E402
from nuke_restore.imaging import ocio  # noqa: E402
from nuke_restore.imaging.sequence import read_image, write_image  # noqa: E402


def test_default_config_is_the_one_the_built_scripts_name():
    from nuke_restore.config.model import Project

    default = Project.__dataclass_fields__["ocio_config"].default
    assert default == ocio.NUKE_CONFIG
    assert ocio.config_uri(default) == ocio.DEFAULT_CONFIG
    assert ocio.config_uri(None) == ocio.DEFAULT_CONFIG
    with pytest.raises(ImagingError, match="no OpenColorIO built-in"):
        ocio.config_uri("fn-nuke_no-such-config")


def _cineon_code(lin):
    # Kodak's curve written out independently of imaging/ocio.py and samples.py.
    black = 10 ** ((95 - 685) * 0.002 / 0.6)
    return (685 + 300 * np.log10(lin * (1 - black) + black)) / 1023


@pytest.mark.parametrize("bits", [10, 16])
def test_cineon_dpx_decodes_to_linear(tmp_path, bits):
    lin = np.linspace(0.005, 4.0, 64 * 4 * 3, dtype=np.float32).reshape(4, 64, 3)
    code = _cineon_code(lin.astype(np.float64)).astype(np.float32)
    path = tmp_path / "scan.0001.dpx"
    write_image(path, code, "uint16", attributes={"oiio:BitsPerSample": bits,
                                                  "dpx:Transfer": "Printing density"})
    raw = read_image(path)
    # OpenImageIO hands back normalised code values (10 or 16 bit alike), not linear light.
    assert np.max(np.abs(raw - code)) < (1.5e-3 if bits == 10 else 1e-4)
    cs, why = ocio.default_colourspace(path)
    assert cs == "Cineon" and "Cineon" in why
    got = ocio.convert(raw, cs, "Linear Rec.709 (sRGB)")
    rel = np.abs(got - lin) / lin
    # one 10-bit code step is 0.002 / 0.6 density = 0.77 % in linear light
    assert np.max(rel) < (0.01 if bits == 10 else 1e-3)
    # the known anchors: code 95 is black, 685 is 1.0 (white of the print)
    anchors = np.array([[[95, 95, 95], [685, 685, 685]]], np.float32) / 1023
    np.testing.assert_allclose(ocio.convert(anchors, "Cineon", "Linear Rec.709 (sRGB)"),
                               [[[0, 0, 0], [1, 1, 1]]], atol=1e-5)


def test_defaults_per_file_type(tmp_path):
    img = np.full((8, 8, 3), 0.5, np.float32)
    write_image(tmp_path / "a.exr", img)
    write_image(tmp_path / "a.jpg", img, "uint8")
    write_image(tmp_path / "a.png", img, "uint16")
    write_image(tmp_path / "f.tif", img, "float")
    write_image(tmp_path / "i.tif", img, "uint16")
    assert ocio.default_colourspace(tmp_path / "a.exr")[0] == "ACEScg"  # scene_linear role
    assert ocio.default_colourspace(tmp_path / "a.jpg")[0] == "sRGB - Texture"  # color_picking
    assert ocio.default_colourspace(tmp_path / "a.png")[0] == "sRGB - Texture"
    assert ocio.default_colourspace(tmp_path / "f.tif")[0] == "ACEScg"
    assert ocio.default_colourspace(tmp_path / "i.tif")[0] == "sRGB - Texture"


def test_a_tag_we_wrote_wins_over_the_file_type_and_a_declaration_over_both(tmp_path):
    write_image(tmp_path / "t.exr", np.zeros((4, 4, 3), np.float32),
                attributes=ocio.tag_attributes("Linear Rec.709 (sRGB)", "t.exr"))
    c = ocio.Colour()
    assert c.space("output", tmp_path / "t.exr") == "Linear Rec.709 (sRGB)"
    assert c.used["output"][1] == "file tag"
    c = ocio.Colour(declared={"output": "ACEScg"})
    assert c.space("output", tmp_path / "t.exr") == "ACEScg"


def test_unknown_names_are_refused_with_suggestions():
    with pytest.raises(ImagingError, match="did you mean 'ACEScg'"):
        ocio.Colour(declared={"source": "ACEScgg"})
    # roles and the older linear/srgb words are accepted
    c = ocio.Colour(declared={"source": "compositing_log", "reference": "srgb"})
    assert c.declared == {"source": "ACEScct", "reference": "sRGB - Texture"}


def test_analysis_round_trip_and_exact_srgb_curve():
    from nuke_restore.imaging.colour import linear_to_srgb

    lin = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32) * 0.9 + 0.02
    for cs in ("ACEScg", "Linear Rec.709 (sRGB)", "Cineon", "ACEScct"):
        x = ocio.convert(lin, "Linear Rec.709 (sRGB)", cs)  # colours inside Rec.709
        a = ocio.to_analysis(x, cs)
        np.testing.assert_allclose(a, ocio.to_analysis(lin, "Linear Rec.709 (sRGB)"), atol=2e-4)
        np.testing.assert_allclose(ocio.from_analysis(a, cs), x, atol=2e-4)
    x = lin
    # linear Rec.709 reaches the analysis domain by the exact sRGB curve (no approximation)
    np.testing.assert_array_equal(ocio.to_analysis(x, "Linear Rec.709 (sRGB)"), linear_to_srgb(x))
    # ACEScg holds the same light in wider primaries: grey stays grey, colours differ
    grey = np.full((1, 1, 3), 0.18, np.float32)
    np.testing.assert_allclose(ocio.to_analysis(grey, "ACEScg"),
                               ocio.to_analysis(grey, "Linear Rec.709 (sRGB)"), atol=1e-4)


def test_colour_for_clip_takes_the_job_config_fields():
    c = ocio.colour_for_clip("ADX10", None, ocio.NUKE_CONFIG)
    assert c.declared == {"source": "ADX10"} and c.uri == ocio.DEFAULT_CONFIG


def test_a_job_config_clip_drives_the_colour_spaces(tmp_path):
    from nuke_restore.config import load_config
    from nuke_restore.recipes import sample_config_text

    text = sample_config_text()
    text = text.replace("    last: 1048\n", "    last: 1048\n    colorspace: ADX10\n", 1)
    assert "colorspace: ADX10" in text
    (tmp_path / "job.yaml").write_text(text)
    cfg = load_config(tmp_path / "job.yaml")
    clip = next(iter(cfg.clips))
    c = ocio.colour_for_job(cfg, clip)
    assert c.declared == {"source": "ADX10"}
    assert c.uri == ocio.config_uri(cfg.project.ocio_config) == ocio.DEFAULT_CONFIG
    # The clip's reference_colorspace (the Reference Read's) drives the reference's.
    text = text.replace("    colorspace: ADX10\n",
                        "    colorspace: ADX10\n    reference_colorspace: sRGB - Texture\n", 1)
    (tmp_path / "job.yaml").write_text(text)
    cfg = load_config(tmp_path / "job.yaml")
    assert ocio.colour_for_job(cfg, clip).declared == {"source": "ADX10",
                                                       "reference": "sRGB - Texture"}
