"""Job configs and templates that are not UTF-8 text, and template folders that do not exist.

One line naming file, line and column, exit 1, no traceback (``main`` would raise in-process),
nothing written.
"""
from __future__ import annotations

from nuke_restore.cli import main


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    return err


def test_latin1_config_names_line_and_column(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_bytes(b"version: 1\nproject:\n  name: Caf\xe9\n")
    out = tmp_path / "scripts"
    assert main(["build", str(cfg), "-o", str(out)]) == 1
    err = _err(capsys)
    assert "job.yaml:3:12:" in err and "0xe9" in err and "UTF-8" in err
    assert not out.exists()


def test_random_bytes_config(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    assert main(["farm", str(cfg), "-o", str(tmp_path / "farm")]) == 1
    assert "job.yaml:" in _err(capsys)
    assert not (tmp_path / "farm").exists()


def test_control_character_in_config(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_bytes(b"version: 1\nproject:\n  name: A\x01B\n")
    assert main(["build", str(cfg), "--dry-run"]) == 1
    err = _err(capsys)
    assert "job.yaml:3:10:" in err and "'\\x01'" in err


def test_template_not_utf8(tmp_path, capsys):
    folder = tmp_path / "tpl" / "procedures"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_bytes(b"type: chroma\nnote: \xff\n")
    assert main(["templates", "show", "mine", "--path", str(tmp_path / "tpl")]) == 1
    err = _err(capsys)
    assert "mine.yaml:2:7:" in err and "0xff" in err


def test_template_path_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "show_templatse"
    assert main(["templates", "list", "--path", str(missing)]) == 1
    err = _err(capsys)
    assert str(missing) in err and "not found" in err


CURATED = """\
version: 1
project:
  name: QA
  format: {width: 64, height: 48}
clips:
  main:
    source: src/src.####.exr
    reference: ref/ref.####.exr
    first: 1001
    last: 1006
curation: curation.json
procedures:
  - type: chroma
"""


def test_curation_field_names_its_line_and_column(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(CURATED)
    (tmp_path / "curation.json").write_text(
        '{"shots": [\n  {"first": 1001, "last": 1006,\n   "train": [1001, 1003], "preview": 1003}\n]}\n')
    out = tmp_path / "scripts"
    assert main(["build", str(cfg), "-o", str(out)]) == 1
    err = _err(capsys)
    assert "curation.json:3:38: shots[0].preview:" in err and "training frame" in err
    assert not out.exists()


def test_empty_curation_is_an_error(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(CURATED)
    (tmp_path / "curation.json").write_text('{"shots": []}\n')
    assert main(["build", str(cfg), "--dry-run"]) == 1
    assert "curation.json:1:11: shots: no shots in the curation" in _err(capsys)


def test_alignment_file_value_names_its_line_and_column(tmp_path, capsys):
    cfg = tmp_path / "job.yaml"
    cfg.write_text(CURATED.replace("curation: curation.json\n", "")
                   + "alignment:\n  mode: manual\n  transforms: align.json\n")
    (tmp_path / "align.json").write_text('{"frames": {\n "1001": {"translate": "left"}\n}}\n')
    assert main(["build", str(cfg), "--dry-run"]) == 1
    assert "align.json:2:24: frames.1001.translate: expected [x, y]" in _err(capsys)
