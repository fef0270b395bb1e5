"""`nuke-restore build` / `farm` against footage that does not fit the job config.

Footage on disk that lacks frames of a clip's range, or is not the project format, stops the build
with file:line:col and the clip field, exit 1, nothing written. Footage not found at all (plates that
live on the farm) is only reported.
"""
from __future__ import annotations

import numpy as np
import pytest

from nuke_restore.cli import main

pytest.importorskip("OpenImageIO")

from nuke_restore.imaging.sequence import write_image  # noqa: E402

CONFIG = """\
version: 1
project:
  name: QA
  format: {width: 64, height: 48}
clips:
  main:
    source: src/src.####.png
    reference: REF
    first: 1001
    last: 1006
shots:
  - {name: SH010, first: 1001, last: 1006}
procedures:
  - type: chroma
"""


def _seq(folder, name, frames, w=64, h=48):
    folder.mkdir(parents=True, exist_ok=True)
    img = np.full((h, w, 3), 0.25, np.float32)
    for f in frames:
        write_image(folder / f"{name}.{f:04d}.png", img, "uint8")


@pytest.fixture()
def job(tmp_path):
    _seq(tmp_path / "src", "src", range(1001, 1007))
    _seq(tmp_path / "ref", "ref", range(1001, 1007))
    _seq(tmp_path / "gap", "gap", [1001, 1002, 1004, 1005, 1006])
    _seq(tmp_path / "big", "big", range(1001, 1007), w=80, h=48)
    _seq(tmp_path / "half", "half", range(1001, 1007), w=32, h=24)
    _seq(tmp_path / "from1", "from1", range(1, 7), w=32, h=24)
    _seq(tmp_path / "late", "late", range(1003, 1007))

    def make(reference: str):
        cfg = tmp_path / "job.yaml"
        cfg.write_text(CONFIG.replace("REF", reference))
        return cfg
    return make


def _line_of(cfg, text) -> int:
    return next(i for i, s in enumerate(cfg.read_text().splitlines(), 1) if text in s)


def _run(argv, capsys):
    rc = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return rc, captured.err


def test_missing_frame_in_reference(job, tmp_path, capsys):
    cfg = job("gap/gap.####.png")
    out = tmp_path / "scripts"
    rc, err = _run(["build", str(cfg), "-o", str(out)], capsys)
    assert rc == 1
    assert f"job.yaml:{_line_of(cfg, 'reference:')}:" in err
    assert "clips.main.reference" in err and "1003" in err and "missing" in err
    assert not out.exists()


def test_reference_starts_late(job, tmp_path, capsys):
    cfg = job("late/late.####.png")
    rc, err = _run(["build", str(cfg), "-o", str(tmp_path / "s"), "--dry-run"], capsys)
    assert rc == 1
    assert "clips.main.reference" in err and "1001-1002" in err.replace(",", "-")


def test_reference_other_shape(job, tmp_path, capsys):
    cfg = job("big/big.####.png")
    out = tmp_path / "scripts"
    rc, err = _run(["build", str(cfg), "-o", str(out)], capsys)
    assert rc == 1
    assert f"job.yaml:{_line_of(cfg, 'reference:')}:" in err
    assert "clips.main.reference" in err and "80x48" in err and "64x48" in err
    assert not out.exists()


def test_half_resolution_reference_builds_and_is_reformatted(job, tmp_path, capsys):
    cfg = job("half/half.####.png")
    out = tmp_path / "scripts"
    rc, err = _run(["build", str(cfg), "-o", str(out)], capsys)
    assert rc == 0, err
    text = (out / "SH010_chroma_training.nk").read_text()
    assert "Reformat {" in text and "name Reformat_REF" in text


def test_reference_numbered_from_1_needs_its_offset(job, tmp_path, capsys):
    cfg = job("from1/from1.####.png")
    rc, err = _run(["build", str(cfg), "-o", str(tmp_path / "s"), "--dry-run"], capsys)
    assert rc == 1 and "clips.main.reference" in err and "missing" in err
    cfg.write_text(cfg.read_text().replace("    first: 1001\n",
                                           "    first: 1001\n    reference_offset: -1000\n"))
    rc, err = _run(["build", str(cfg), "-o", str(tmp_path / "s")], capsys)
    assert rc == 0, err
    text = (tmp_path / "s" / "SH010_chroma_training.nk").read_text()
    assert "time_offset 1000" in text


def test_farm_refuses_the_same(job, tmp_path, capsys):
    cfg = job("gap/gap.####.png")
    out = tmp_path / "farm"
    rc, err = _run(["farm", str(cfg), "-o", str(out)], capsys)
    assert rc == 1 and "clips.main.reference" in err
    assert not out.exists()


def test_footage_elsewhere_still_builds_with_a_note(job, tmp_path, capsys):
    cfg = job("elsewhere/ref.####.png")
    out = tmp_path / "scripts"
    rc, err = _run(["build", str(cfg), "-o", str(out)], capsys)
    assert rc == 0
    assert "clips.main.reference" in err and "not checked" in err
    assert (out / "SH010_chroma_training.nk").is_file()


def test_good_footage_builds_quietly(job, tmp_path, capsys):
    cfg = job("ref/ref.####.png")
    rc, err = _run(["build", str(cfg), "-o", str(tmp_path / "s")], capsys)
    assert rc == 0 and err == ""


def test_file_where_the_pipeline_folder_goes_writes_nothing(job, tmp_path, capsys):
    cfg = job("ref/ref.####.png")
    out = tmp_path / "scripts"
    out.mkdir()
    (out / "pipeline").write_text("mine\n")
    rc, err = _run(["build", str(cfg), "-o", str(out)], capsys)
    assert rc == 1
    assert "pipeline is a file, not a folder" in err
    assert sorted(p.name for p in out.iterdir()) == ["pipeline"]
    assert (out / "pipeline").read_text() == "mine\n"
