"""Bad outputs: a folder, a file where a folder should be, an unwritable format, a corrupt input half way.

Every command checks all its outputs before any work and fails with one line naming the path, a
non-zero exit and nothing written (no traceback: ``main`` would raise in-process).
"""
from __future__ import annotations

import numpy as np
import pytest

from nuke_restore.cli import main

pytest.importorskip("OpenImageIO")

from nuke_restore.imaging.sequence import write_image  # noqa: E402


def _seq(folder, name, n=4, w=64, h=48, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.linspace(0.0, 0.5, w, dtype=np.float32)[None, :, None]
    for f in range(1001, 1001 + n):
        img = rng.random((h, w, 3)).astype(np.float32) * 0.5 + ramp
        write_image(folder / f"{name}.{f:04d}.png", img, "uint8")
    return str(folder / f"{name}.####.png")


@pytest.fixture(scope="module")
def seqs(tmp_path_factory):
    root = tmp_path_factory.mktemp("badout")
    src = _seq(root / "src", "src", seed=1)
    ref = _seq(root / "ref", "ref", seed=2)
    bad = _seq(root / "bad", "bad", seed=3)
    victim = root / "bad" / "bad.1003.png"
    victim.write_bytes(victim.read_bytes()[:200])  # truncated PNG in the middle of the sequence
    return {"src": src, "ref": ref, "bad": bad}


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_output_is_a_folder_even_with_force(seqs, tmp_path, capsys):
    folder = tmp_path / "taken"
    folder.mkdir()
    rc = main(["curate", seqs["src"], "-o", str(folder), "--force"])
    assert rc == 1
    assert f"{folder}: is a folder" in _err(capsys)
    assert list(folder.iterdir()) == []


def test_parent_is_a_file(seqs, tmp_path, capsys):
    blocker = tmp_path / "notes.json"
    blocker.write_text("mine\n")
    rc = main(["baseline", "--source", seqs["src"], "--reference", seqs["ref"],
               "-o", str(blocker)])
    assert rc == 1
    assert f"{blocker} is a file, not a folder" in _err(capsys)
    assert blocker.read_text() == "mine\n"


def test_qc_json_under_a_file_fails_before_measuring(seqs, tmp_path, capsys):
    blocker = tmp_path / "x"
    blocker.write_text("")
    report = tmp_path / "qc.html"
    rc = main(["qc", "--source", seqs["src"], "--reference", seqs["ref"], "--output", seqs["ref"],
               "--mode", "chroma", "-o", str(report), "--json", str(blocker / "m.json")])
    assert rc == 1
    assert "is a file, not a folder" in _err(capsys)
    assert not report.exists()


def test_curate_unknown_image_format_writes_no_json(seqs, tmp_path, capsys):
    out = tmp_path / "curation.json"
    rc = main(["curate", seqs["src"], "-o", str(out), "--contact-sheet", str(tmp_path / "s.xyz")])
    assert rc == 1
    err = _err(capsys)
    assert "s.xyz" in err and "'.xyz'" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_align_unknown_residual_format_writes_no_json(seqs, tmp_path, capsys):
    out = tmp_path / "align.json"
    rc = main(["align", seqs["src"], seqs["ref"], "-o", str(out),
               "--residual-image", str(tmp_path / "r.xyz")])
    assert rc == 1
    assert "r.xyz" in _err(capsys)
    assert not out.exists()


def test_baseline_apply_corrupt_frame_leaves_no_partial_sequence(seqs, tmp_path, capsys):
    outdir = tmp_path / "fit"
    applied = tmp_path / "applied"
    rc = main(["baseline", "--source", seqs["src"], "--reference", seqs["ref"], "-o", str(outdir),
               "--apply", seqs["bad"], "--out", str(applied / "o.####.png")])
    assert rc == 1
    err = _err(capsys)
    assert "bad.1003.png" in err and "frame 1003" in err
    assert not outdir.exists()
    assert not applied.exists() or list(applied.iterdir()) == []


def test_fmt_output_under_a_file(tmp_path, capsys):
    nk = tmp_path / "a.nk"
    nk.write_text("Blur {\n name Blur1\n}\n")
    blocker = tmp_path / "f"
    blocker.write_text("")
    rc = main(["fmt", str(nk), "-o", str(blocker / "b.nk")])
    assert rc == 1
    assert "is a file, not a folder" in _err(capsys)


def test_demo_into_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "demo-out"
    blocker.write_text("mine\n")
    rc = main(["demo", str(blocker), "--no-imaging"])
    assert rc != 0
    assert str(blocker) in _err(capsys)
    assert blocker.read_text() == "mine\n"


def test_read_only_folder_is_named_before_any_work(seqs, tmp_path, capsys, monkeypatch):
    # Root ignores permission bits, so the read-only folder is simulated where it is checked.
    import os

    from nuke_restore import fileio

    real = os.access
    folder = tmp_path / "locked"
    folder.mkdir()
    monkeypatch.setattr(fileio.os, "access",
                        lambda p, mode: False if os.fspath(p) == str(folder) else real(p, mode))
    rc = main(["align", seqs["src"], seqs["ref"], "-o", str(folder / "align.json")])
    assert rc == 1
    err = _err(capsys)
    assert f"folder {folder} is not writable" in err
    assert list(folder.iterdir()) == []
