"""`nuke-restore curate`: JSON output, files, and clear errors on bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("OpenImageIO")

from nuke_restore.cli import main  # noqa: E402
from nuke_restore.imaging import samples  # noqa: E402
from nuke_restore.imaging.sequence import write_image  # noqa: E402


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    out = tmp_path_factory.mktemp("clifoot")
    return samples.make_shot_sequence(out, n_shots=2, frames_per_shot=10, size=(128, 96), seed=1,
                                      dissolves=(), truth=False)


def test_json_on_stdout(footage, capsys):
    rc = main(["curate", footage["source"], "--reference", footage["reference"], "--json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    shots = data["shots"]
    assert [(s["first"], s["last"]) for s in shots] == [(1001, 1010), (1011, 1020)]
    for s in shots:
        assert set(s) >= {"first", "last", "scene", "train", "preview"}
        assert s["train"] and s["preview"] not in s["train"]
        assert all(s["first"] <= f <= s["last"] for f in s["train"])


def test_output_file_and_no_overwrite(footage, tmp_path, capsys):
    out = tmp_path / "curation.json"
    assert main(["curate", footage["source"], "-o", str(out), "--train", "3"]) == 0
    data = json.loads(out.read_text())
    assert data["train_per_unit"] == 3 and all(len(s["train"]) == 3 for s in data["shots"])
    assert "wrote" in capsys.readouterr().out
    before = out.read_bytes()
    assert main(["curate", footage["source"], "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["curate", footage["source"], "-o", str(out), "--force", "--granularity",
                 "sequence", "--train", "5"]) == 0
    assert json.loads(out.read_text())["granularity"] == "sequence"


def test_summary_names_avoided_frames(footage, capsys):
    assert main(["curate", footage["source"], "--reference", footage["reference"]]) == 0
    out = capsys.readouterr().out
    assert "2 shots" in out and f"avoid {footage['events']['flash'][0]}" in out


def _pngs(folder, name, n, size=(32, 24)):
    rng = np.random.default_rng(0)
    for i in range(n):
        write_image(folder / f"{name}.{i + 1:04d}.png",
                    rng.random((size[1], size[0], 3)).astype(np.float32), "uint8")
    return str(folder / f"{name}.####.png")


@pytest.mark.parametrize("case", ["missing", "corrupt", "size", "few", "nothing"])
def test_bad_input_exits_nonzero_and_writes_nothing(tmp_path, capsys, case):
    src = _pngs(tmp_path, "src", 6)
    args = ["curate", src]
    expect = ""
    if case == "missing":
        (tmp_path / "src.0003.png").unlink()
        expect = "missing frames 3"
    elif case == "corrupt":
        (tmp_path / "src.0004.png").write_bytes(b"garbage")
        expect = "src.0004.png"
    elif case == "size":
        args += ["--reference", _pngs(tmp_path, "ref", 6, (30, 24))]
        expect = "aspect"  # a reference of another aspect ratio has no resize rule
    elif case == "few":
        args = ["curate", _pngs(tmp_path, "two", 2)]
        expect = "too few frames"
    else:
        args = ["curate", str(tmp_path / "none.####.exr")]
        expect = "no frames match"
    out = tmp_path / "out.json"
    rc = main(args + ["-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert expect in err and err.count("\n") == 1
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.json")]


def test_curation_file_is_what_build_reads(footage, tmp_path):
    """Contract with the job config's `curation:` key (the demo's path: curate -> job.yaml)."""
    recipes = pytest.importorskip("nuke_restore.recipes")
    config = pytest.importorskip("nuke_restore.config")
    out = tmp_path / "curation.json"
    assert main(["curate", footage["source"], "--reference", footage["reference"],
                 "--validation", "0.25", "-o", str(out)]) == 0
    text = recipes.sample_config_text(footage=footage, curation="curation.json", base=tmp_path)
    (tmp_path / "job.yaml").write_text(text)
    cfg = config.load_config(tmp_path / "job.yaml")
    data = json.loads(out.read_text())
    assert [(s.first, s.last, s.train, s.preview, s.validation) for s in cfg.shots] == [
        (s["first"], s["last"], s["train"], s["preview"], s["validation"]) for s in data["shots"]]


def test_contact_sheet(footage, tmp_path, capsys):
    from nuke_restore.imaging.sequence import read_image

    sheet = tmp_path / "picks.png"
    assert main(["curate", footage["source"], "--reference", footage["reference"],
                 "--contact-sheet", str(sheet)]) == 0
    img = read_image(sheet)
    # two shots x (source row + reference row); 4 training + 1 preview tiles per row
    assert img.shape[0] > 4 * 40 and img.shape[1] > 5 * 40
    green = (img[..., 1] > 0.7) & (img[..., 0] < 0.3) & (img[..., 2] < 0.4)
    blue = (img[..., 2] > 0.9) & (img[..., 0] < 0.3)
    assert green.sum() > 100 and blue.sum() > 20
    assert main(["curate", footage["source"], "--contact-sheet", str(sheet)]) == 1
    assert "--force" in capsys.readouterr().err
