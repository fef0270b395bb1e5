"""`nuke-restore conform`: the frame map contract, files, the contact sheet and clear errors."""
from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("OpenImageIO")
pytest.importorskip("scipy")

from nuke_restore.cli import main  # noqa: E402
from nuke_restore.framemap import load_frame_map  # noqa: E402
from nuke_restore.imaging import conform_synth as cs  # noqa: E402


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("conformcli")
    film = cs.render_film([12, 12], (256, 144), seed=7)
    look = cs.RefLook(size=(192, 144), letterbox=18)
    return cs.make_conform_case(root, "ntsc", film, range(1, 22),
                                cs.telecine(range(24), phase=0), look)


def test_json_contract_on_stdout(case, capsys):
    assert main(["conform", case.source, case.reference, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"frames", "cadence", "breaks"}
    assert sorted(int(k) for k in data["frames"]) == list(range(1001, 1022))
    truth = case.truth()
    for key, entry in data["frames"].items():
        t = truth[int(key)]
        if t["refs"]:
            assert entry["reference"] in t["refs"] and 0 < entry["confidence"] <= 1
        else:
            assert entry == {"reference": None, "reason": "field-mixed"}
    assert data["cadence"][0]["kind"] == "2:3" and data["breaks"] == []


def test_output_file_force_and_same_bytes(case, tmp_path, capsys):
    out = tmp_path / "map.json"
    assert main(["conform", case.source, case.reference, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2:3" in text and "matched cleanly" in text and f"wrote {out}" in text
    fmap = load_frame_map(out)
    assert fmap.reference(1001) is not None
    before = out.read_bytes()
    assert main(["conform", case.source, case.reference, "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["conform", case.source, case.reference, "-o", str(out), "--force"]) == 0
    assert out.read_bytes() == before            # same inputs, same bytes


def test_ranges_and_contact_sheet(case, tmp_path, capsys):
    sheet = tmp_path / "sheet.png"
    assert main(["conform", case.source, case.reference, "--frames", "1005-1015",
                 "--reference-frames", "3-25", "--contact-sheet", str(sheet), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(int(k) for k in data["frames"]) == list(range(1005, 1016))
    refs = [e["reference"] for e in data["frames"].values() if e["reference"] is not None]
    assert refs and all(3 <= r <= 25 for r in refs)
    from nuke_restore.imaging.sequence import read_image

    img = read_image(sheet)
    assert img.shape[0] > 50 and img.shape[1] > 400
    # red borders (no clean match) and green ones (clean) are both on the sheet
    px = img.reshape(-1, 3)
    assert ((px[:, 0] > 0.8) & (px[:, 1] < 0.25)).any() and ((px[:, 1] > 0.6) & (px[:, 0] < 0.3)).any()


def test_missing_frame_is_refused(case, tmp_path, capsys):
    src = tmp_path / "src"
    shutil.copytree(case.source.rsplit("/", 1)[0], src)
    (src / "src.1010.dpx").unlink()
    out = tmp_path / "m.json"
    assert main(["conform", str(src / "src.####.dpx"), case.reference, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "missing frames 1010" in err and "Traceback" not in err and not out.exists()


def test_unreadable_frame_names_it(case, tmp_path, capsys):
    ref = tmp_path / "ref"
    shutil.copytree(case.reference.rsplit("/", 1)[0], ref)
    (ref / "ref.0007.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    rc = main(["conform", case.source, str(ref / "ref.####.jpg"), "--json"])
    err = capsys.readouterr().err
    assert rc == 1 and "ref.0007.jpg" in err and "Traceback" not in err


@pytest.mark.parametrize("args,needle", [
    (["--frames", "1010"], "--frames must be a frame range"),
    (["--frames", "1020-1010"], "before the first"),
    (["--reference-frames", "a-b"], "--reference-frames must be a frame range"),
])
def test_bad_ranges(case, capsys, args, needle):
    assert main(["conform", case.source, case.reference, *args]) == 2
    assert needle in capsys.readouterr().err


def test_range_outside_the_files_and_missing_path(case, tmp_path, capsys):
    assert main(["conform", case.source, case.reference, "--frames", "5000-5010"]) == 1
    assert "no frames in the range 5000-5010" in capsys.readouterr().err
    assert main(["conform", str(tmp_path / "nothing.####.dpx"), case.reference]) == 1
    err = capsys.readouterr().err
    assert "no frames match" in err and "nothing.####.dpx" in err
