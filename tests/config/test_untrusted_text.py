"""Issue 10 section 1: no string from a job config reaches a built .nk as live TCL.

Each finding of the issue is reproduced: the config is refused with file:line:field (ConfigError),
and the rule itself (``nk.values.text_problem``) is exercised per kind. Where tclsh is installed,
a build with every allowed-but-tricky character is run through the TCL oracle: nothing runs but
our own documented ``project_directory`` idiom.
"""
from __future__ import annotations

import copy

import pytest
import yaml

from nuke_restore.config import config_from_dict, load_config
from nuke_restore.errors import ConfigError, NukeRestoreError
from nuke_restore.nk.values import UnsafeTextError, check_text, text_problem
from nuke_restore.recipes import build_scripts, sample_config_text

PAYLOAD = "x[python {__import__('os').system('touch PWNED')}]"


def _sample() -> dict:
    return yaml.safe_load(sample_config_text())


def _write(tmp_path, data) -> str:
    p = tmp_path / "job.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(p)


def _refused(tmp_path, data, field: str, words=()) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    msg = str(info.value)
    assert "\n" not in msg, msg
    assert msg.startswith(f"{path}:"), msg
    line = msg[len(path) + 1:].split(":")[0]
    assert line.isdigit(), msg  # file:line:...
    assert f" {field}:" in msg or f"].{field}:" in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_nuke_version_with_a_newline_and_python(tmp_path):
    data = _sample()
    data["project"]["nuke_version"] = "15.1 v1\npython {__import__('os').system('touch X')}"
    _refused(tmp_path, data, "project.nuke_version", ["not a Nuke version"])


def test_nuke_version_trailing_newline_is_refused(tmp_path):
    data = _sample()
    data["project"]["nuke_version"] = "15.1 v1\n"
    _refused(tmp_path, data, "project.nuke_version")


def test_brackets_in_the_plate_folder(tmp_path):
    data = _sample()
    data["clips"]["main"]["source"] = f"plates/{PAYLOAD}/SRC.####.exr"
    _refused(tmp_path, data, "clips.main.source", ["'['"])


@pytest.mark.parametrize("section,key,value", [
    ("project", "ocio_config_path", "ocio/[python {1}]/config.ocio"),
    ("project", "film_title", PAYLOAD),
    ("provenance", "restorationist", PAYLOAD),
    ("provenance", "notes", "see $env(HOME)"),
    ("project", "working_space", "lin\\x5bpython 1]"),
])
def test_free_text_and_paths_with_live_tcl(tmp_path, section, key, value):
    data = _sample()
    data.setdefault(section, {})[key] = value
    _refused(tmp_path, data, f"{section}.{key}")


def test_model_files_with_brackets_or_newlines(tmp_path):
    for value in (f"models/{PAYLOAD}.cat", "models/a.cat\nimport os; os.system('x')"):
        data = _sample()
        data.setdefault("inference", {})["model_files"] = {"chroma": value}
        _refused(tmp_path, data, "inference.model_files.chroma")


def test_citation_with_brackets(tmp_path):
    data = _sample()
    proc = next(p for p in data["procedures"] if isinstance(p, dict) and "citation" in p)
    proc["citation"] = PAYLOAD
    _refused(tmp_path, data, "citation")


@pytest.mark.parametrize("where", ["shot", "project", "procedure", "clip", "scene"])
def test_identifiers_with_a_trailing_newline(tmp_path, where):
    data = _sample()
    if where == "shot":
        data["shots"][0]["name"] = "SH010\n"
        field = "shots[0].name"
    elif where == "project":
        data["project"]["name"] = "DEMO\n"
        field = "project.name"
    elif where == "procedure":
        data["procedures"][0] = {"type": "chroma", "name": "chroma\n"}
        field = "procedures[0].name"
    elif where == "clip":
        data["clips"] = {"main\n": data["clips"]["main"]}
        field = "clips.main\\n"
    else:
        data["shots"][0]["scene"] = "SC01\n"
        field = "shots[0].scene"
    _refused(tmp_path, data, field)


def test_alignment_file_name_with_brackets(tmp_path):
    data = _sample()
    data["alignment"] = {"mode": "manual", "transforms": "align[python {1}].json"}
    _refused(tmp_path, data, "alignment.transforms", ["'['"])


def test_experiments_log_stays_in_the_output_folder(tmp_path):
    for value in ("/usr/lib/python3/dist-packages/evil.pth", "../../evil.pth", "notes/../../x.md",
                  "~/x.md", "C:/x.md"):
        data = _sample()
        data["outputs"] = {"experiments_log": value}
        _refused(tmp_path, data, "outputs.experiments_log")


def test_the_rule_per_kind():
    assert text_problem("SH010", "ident") is None
    for bad in ("SH010\n", "SH 010", "1SH", "", "SH010\r", "ŞH010"):
        assert text_problem(bad, "ident") is not None, bad
    assert text_problem("15.1 v1", "version") is None
    for bad in ("15.1 v1\n", "15.1v1", "15.1 v1 x", "15.1 v1\npython {x}"):
        assert text_problem(bad, "version") is not None, bad
    # Free text: quotes, braces, ';', '#', unicode and newlines are fine (written escaped).
    assert text_problem('Der "Golem" {1920}; #2 — Ørsted\nline two', "text") is None
    for bad in ("a[b", "a$b", "a\\b", "a\x00b", "a\x1bb", "a\u202eb", "a\ud800b"):
        assert text_problem(bad, "text") is not None, repr(bad)
    assert text_problem("two\nlines", "name") is not None
    assert text_problem("plates/a b/c.####.exr", "path") is None
    assert text_problem("plates/a\tb.exr", "path") is not None
    assert text_problem("x" * 10001, "text") is not None
    with pytest.raises(UnsafeTextError, match="Read.file"):
        check_text("a[b", "path", "Read.file")


def test_the_recipes_refuse_what_the_config_could_not_see(tmp_path):
    """A path made relative to an output folder can gain characters the config never had."""
    cfg = config_from_dict(_sample(), path=str(tmp_path / "job.yaml"))
    out = tmp_path / "out[python {1}]" / "deep"
    # The reads are ../../plates/..., which do not carry the output folder's name: builds fine.
    assert build_scripts(cfg, outdir=out)
    cfg2 = copy.deepcopy(cfg)
    cfg2.base_dir = tmp_path / "job$env(HOME)"
    with pytest.raises(NukeRestoreError, match=r"refusing to build: .*'\$'"):
        build_scripts(cfg2, outdir=tmp_path / "out")


def test_built_scripts_run_nothing_under_tcl(tmp_path):
    """Every allowed-but-tricky character in every free-text field: tclsh sees nothing run."""
    oracle = pytest.importorskip("tcl_oracle")
    oracle.require_tclsh()
    tricky = 'A "quoted" {braced} ; #hash } { \\t tab — Ünïcode ] close'.replace("\\t", "\t")
    data = _sample()
    data["project"]["film_title"] = tricky
    for key in ("restorationist", "institution", "source_element", "reference_source", "notes"):
        data["provenance"][key] = tricky + "\nsecond line"
    data["clips"]["main"]["source"] = 'plates/a "b" {c} ;d/SRC.####.exr'
    cfg = config_from_dict(data, path=str(tmp_path / "job.yaml"))
    built = build_scripts(cfg, outdir=tmp_path / "out")
    results = oracle.run_oracle_many([b.text for b in built])
    for b, res in zip(built, results):
        assert res.ok, (b.relpath, res.error)
        ran = [e for e in res.executed if e != "python nuke.script_directory()"]
        assert ran == [], (b.relpath, ran)
    # The text did reach the scripts (metadata, notes, Read paths), escaped, not dropped.
    assert any("Ünïcode" in b.text and 'a \\"b\\" \\{c\\} ;d' in b.text for b in built)
