"""Done-when of the .nk templates: init -> fill for another shot == the recipe's graph; TD nodes kept
byte for byte; bad templates refused with file:line and nothing written."""
from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tpl_helpers import KINDS, built, frames_of, graph_view, job, make_template  # noqa: E402

from nuke_restore.cli import main  # noqa: E402
from nuke_restore.errors import ConfigError, TemplateError  # noqa: E402
from nuke_restore.nk.parser import parse_text  # noqa: E402
from nuke_restore.recipes import build_scripts, build_to_dir  # noqa: E402
from nuke_restore.recipes import template_fill as tf  # noqa: E402
from nuke_restore.recipes import template_roles as tr  # noqa: E402


def _filled(tmp_path, kind, shot, name=None):
    name = name or f"studio_{KINDS[kind]}_{kind}.nk"
    cfg = job(tmp_path, {KINDS[kind]: [name]})
    return built(cfg, shot, kind, tmp_path)


# -- init -> fill == recipe ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["training", "inference", "baseline"])
def test_template_from_one_shot_filled_for_another_is_the_recipe_graph(tmp_path, kind):
    make_template(tmp_path, kind, "SH010")
    for shot in ("SH020", "SH030"):  # 6 training frames (template has 4), and 4 other frames
        recipe = built(job(tmp_path), shot, kind, tmp_path)
        filled = _filled(tmp_path, kind, shot)
        got = parse_text(filled.text)
        assert graph_view(got) == graph_view(parse_text(recipe.text)), (kind, shot)
        assert filled.relpath == recipe.relpath
        if kind != "inference":
            want = [str(f) for f in JOB_TRAIN[shot]]
            assert frames_of(got, "AppendClip_SRC") == want
            assert frames_of(got, "AppendClip_REF") == want
        if kind == "training":
            cc = got.find("CopyCat_CHROMA")
            assert cc.knob("dataDirectory") == f"pipeline/03_copycat_training/{shot}/chroma/"
            assert filled.copycat_nodes == ["CopyCat_CHROMA"]
            keys = got.find("Transform_ALIGN").knob("translate")
            assert keys == recipe.script.find("Transform_ALIGN").knob("translate")
            assert "curve" in keys and ("x1049" in keys) == (shot == "SH030")
        if kind != "training":
            assert shot in filled.write_nodes[0][1]
        read = got.find("Read_SRC")
        assert ("pk_src.%04d.dpx" in read.knob("file")) == (shot == "SH030")
        assert (read.knob("colorspace") == "scene_linear") == (shot == "SH030")
        root = got.root
        assert root.knob("first_frame") == recipe.script.root.knob("first_frame")
        assert f"template=studio_{KINDS[kind]}_{kind}.nk" in root.knob("nuke_restore_recipe")
        assert filled.metadata["extended"]["nk_template"] == f"studio_{KINDS[kind]}_{kind}.nk"


def test_a_template_with_more_frames_than_the_shot_drops_the_extra_holds(tmp_path):
    make_template(tmp_path, "training", "SH020")  # 6 training frames
    recipe = built(job(tmp_path), "SH010", "training", tmp_path)
    got = parse_text(_filled(tmp_path, "training", "SH010").text)
    assert graph_view(got) == graph_view(parse_text(recipe.text))
    assert frames_of(got, "AppendClip_REF") == ["471", "478", "492", "499"]
    assert not [n for n in got.nodes if n.cls == "FrameHold" and n.name.endswith("_558")]


def test_a_one_stage_template_for_a_two_stage_procedure_is_refused(tmp_path):
    make_template(tmp_path, "training")  # chroma: one stage
    data = job(tmp_path, {"chroma": ["studio_chroma_training.nk"]})
    combined = config_from_dict_with(tmp_path, [{"type": "combined",
                                                 "template": "studio_chroma_training.nk"}])
    assert data.procedures[0].stages and len(combined.procedures[0].stages) == 2
    with pytest.raises(TemplateError) as err:
        build_scripts(combined, shots=["SH010"])
    assert "has 2 stages but the template has no role" in str(err.value)
    assert str(err.value).startswith(str((tmp_path / "studio" / "procedures").resolve()))


def config_from_dict_with(tmp_path, procedures):
    import copy

    import tpl_helpers

    from nuke_restore.config import config_from_dict

    data = copy.deepcopy(tpl_helpers.JOB)
    data["templates"] = ["studio"]
    data["procedures"] = procedures
    return config_from_dict(data, path=str(tmp_path / "job.yaml"))


@pytest.mark.parametrize("kind", ["training", "baseline"])
def test_a_reference_numbered_otherwise_is_retimed_per_clip(tmp_path, monkeypatch, kind):
    """Each clip's reference offset (reference = source + N) reaches the filled template."""
    import tpl_helpers

    data = __import__("copy").deepcopy(tpl_helpers.JOB)
    data["clips"]["main"]["reference_offset"] = -399     # reference numbered from 1
    data["clips"]["pickup"]["reference_offset"] = -1000
    monkeypatch.setattr(tpl_helpers, "JOB", data)
    try:
        job(tmp_path)
    except ConfigError as exc:
        if "reference_offset" in str(exc):
            pytest.skip(f"this config has no per-clip reference_offset yet: {exc}")
        raise
    make_template(tmp_path, kind)
    for shot, offset in (("SH020", "399"), ("SH030", "1000")):
        recipe = built(job(tmp_path), shot, kind, tmp_path)
        got = parse_text(_filled(tmp_path, kind, shot).text)
        assert graph_view(got) == graph_view(parse_text(recipe.text))
        retime = [n for n in got.nodes if (tr.role_of(n) or ("",))[0] == "reference_retime"]
        assert len(retime) == 1 and offset in (retime[0].knob("time_offset") or ""), retime
    # A template without that role would keep the first shot's offset: refused.
    path = tmp_path / "studio" / "procedures" / f"studio_{KINDS[kind]}_{kind}.nk"
    path.write_text(path.read_text().replace(" nuke_restore_role reference_retime\n", ""))
    with pytest.raises(TemplateError) as err:
        _filled(tmp_path, kind, "SH030")
    assert "no reference_retime role" in str(err.value)


def test_validation_stacks_follow_the_shot_too(tmp_path, monkeypatch):
    import tpl_helpers

    job_data = __import__("copy").deepcopy(tpl_helpers.JOB)
    job_data["shots"][0]["validation"] = [474, 481]
    job_data["shots"][1]["validation"] = [505, 530, 551]
    monkeypatch.setattr(tpl_helpers, "JOB", job_data)
    path = make_template(tmp_path, "training")
    assert "nuke_restore_role validation_source" in path.read_text()
    recipe = built(job(tmp_path), "SH020", "training", tmp_path)
    filled = _filled(tmp_path, "training", "SH020")
    got = parse_text(filled.text)
    assert graph_view(got) == graph_view(parse_text(recipe.text))
    assert frames_of(got, "AppendClip_SRC_VAL") == ["505", "530", "551"]


JOB_TRAIN = {"SH020": [502, 511, 520, 533, 547, 558], "SH030": [1012, 1019, 1030, 1046]}


def test_build_to_dir_writes_filled_scripts_that_validate(tmp_path):
    make_template(tmp_path, "training")
    cfg = job(tmp_path, {"chroma": ["studio_chroma_training.nk"]})
    out = tmp_path / "scripts"
    paths = build_to_dir(cfg, out, shots=["SH020"])
    text = (out / "SH020_chroma_training.nk").read_text()
    assert "FrameHold_SRC_558" in text and "FrameHold_SRC_1001" not in text
    assert out / "SH020_chroma_inference.nk" in paths  # no inference template: the recipe's


# -- TD nodes kept byte for byte ---------------------------------------------------------------------
TD_NODES = """\
Grade {
 white 1.05
 name TD_Grade_before_CopyCat
 label "studio pre-grade"
}
RS_CleanupCrop {
 inputs 0
 name TD_studio_gizmo
 xpos 600
 ypos 40
}
Group {
 inputs 0
 name TD_Group
 xpos 600
 ypos 100
}
 Input {
  inputs 0
  name Input1
 }
 Blur {
  size 2.5
  name TD_inner_blur
 }
 Output {
  name Output1
 }
end_group
"""


def _with_td_nodes(path: Path, before: str = "CopyBBox") -> str:
    """The template as a TD edits it: a Grade on CopyCat's Input branch (before the CopyBBox, or
    straight into CopyCat), a gizmo instance and a Group, written the way Nuke writes them."""
    text = path.read_text()
    # Input 0 of a node is the block written just before it, so the Grade takes that input.
    i = text.index(before + " {")
    grade, rest = TD_NODES.split("RS_CleanupCrop", 1)
    text = text[:i] + grade + text[i:] + "RS_CleanupCrop" + rest
    path.write_text(text)
    fed = parse_text(text).find("CopyCat_CHROMA" if before == "CopyCat" else "CopyBBox_TGT_TO_SRC")
    assert fed.input(0).name == "TD_Grade_before_CopyCat"
    return text


def _blocks(text: str, names):
    """Each named node's block, from its header line to its closing brace, as written."""
    lines = text.splitlines()
    out = {}
    for name in names:
        at = next(i for i, line in enumerate(lines) if line.strip() == f"name {name}")
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())][:-1]
        start = max(i for i in range(at) if lines[i].startswith(indent) and
                    lines[i].rstrip().endswith("{") and not lines[i][len(indent):][:1].isspace())
        end = next(i for i in range(at, len(lines)) if lines[i] == indent + "}")
        out[name] = "\n".join(lines[start:end + 1])
    return out


def test_td_nodes_survive_filling_byte_for_byte(tmp_path):
    path = make_template(tmp_path, "training")
    template = _with_td_nodes(path)
    # Same number of training frames (SH030): only filled knob lines may differ, and the frame
    # numbers in the dataset FrameHold names.
    filled = _filled(tmp_path, "training", "SH030").text
    assert "TD_inner_blur" in filled
    allowed = set(tf.ROOT_KNOBS) | {"name", "nuke_restore_recipe"}
    for role in tr.ROLES:
        allowed.update(role.knobs)
    allowed.add("firstFrame")
    changed = [line for line in difflib.ndiff(template.splitlines(), filled.splitlines())
               if line[:1] in "+-"]
    assert changed, "nothing was filled"
    for line in changed:
        if line[2:].strip() == "addUserKnob {1 nuke_restore_recipe +INVISIBLE}":
            continue  # the build mark on the Root (validate's workflow rules look for it)
        word = line[2:].split(None, 1)[0] if line[2:].strip() else ""
        assert word in allowed, line
    names = [line for line in changed if line[2:].split(None, 1)[:1] == ["name"]]
    assert all("FrameHold_" in n for n in names), names
    # A different number of frames (SH020) regenerates the stack commands; every TD node's own
    # text stays exactly as saved.
    filled20 = _filled(tmp_path, "training", "SH020").text
    td = ["TD_Grade_before_CopyCat", "TD_studio_gizmo", "TD_inner_blur"]
    assert _blocks(filled20, td) == _blocks(template, td)
    group = template[template.index("Group {"):template.index("end_group") + 9]
    assert group in filled20
    got = parse_text(filled20)
    assert got.find("CopyBBox_TGT_TO_SRC").input(0).name == "TD_Grade_before_CopyCat"
    assert got.find("TD_studio_gizmo").cls == "RS_CleanupCrop"
    assert frames_of(got, "AppendClip_SRC") == [str(f) for f in JOB_TRAIN["SH020"]]


def test_td_graph_breaking_a_workflow_rule_is_refused_at_its_template_line(tmp_path, capsys):
    """A Grade straight into CopyCat's Input leaves out the CopyBBox (rule NR006): the filled
    script is validated like any build and the error points at the template's CopyCat."""
    path = make_template(tmp_path, "training")
    _with_td_nodes(path, before="CopyCat")
    _assert_refused(tmp_path, path, capsys, "NR006", line_of(path, "CopyCat {"), check=False)


# -- bad templates -----------------------------------------------------------------------------------
def test_missing_role_is_refused_with_line(tmp_path, capsys):
    path = make_template(tmp_path, "training")
    text = path.read_text()
    path.write_text(text.replace(" addUserKnob {20 nuke_restore +INVISIBLE}\n"
                                 " addUserKnob {1 nuke_restore_role +INVISIBLE}\n"
                                 " nuke_restore_role copycat\n", ""))
    assert "role copycat" not in path.read_text()
    _assert_refused(tmp_path, path, capsys, "role copycat is missing", line_of(path, "Root {"))


def test_two_nodes_claiming_one_role_are_refused(tmp_path, capsys):
    path = make_template(tmp_path, "training")
    text = path.read_text()
    path.write_text(text.replace("nuke_restore_role reference_read\n",
                                 "nuke_restore_role source_read\n"))
    _assert_refused(tmp_path, path, capsys, "claimed twice",
                    line_of(path, "nuke_restore_role source_read", last=True))


def test_role_on_the_wrong_class_is_refused(tmp_path, capsys):
    path = make_template(tmp_path, "training")
    text = path.read_text()
    path.write_text(text.replace("nuke_restore_role reference_median\n",
                                 "nuke_restore_role align_transform\n"))
    _assert_refused(tmp_path, path, capsys, "belongs on a Transform node, not a Median",
                    line_of(path, "nuke_restore_role align_transform", last=True))


def test_hostile_expression_in_a_non_role_node_is_refused(tmp_path, capsys):
    path = make_template(tmp_path, "training")
    text = path.read_text()
    path.write_text(text.replace(
        " name Grade_CLAMP_SRC\n",
        " white {{\"[python __import__('os').system('touch /tmp/pwned')]\"}}\n"
        " name Grade_CLAMP_SRC\n"))
    _assert_refused(tmp_path, path, capsys, "python", line_of(path, "[python __import__"))


def line_of(path: Path, needle: str, last: bool = False) -> int:
    lines = path.read_text().splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert hits, needle
    return hits[-1] if last else hits[0]


def _assert_refused(tmp_path, path, capsys, words, line, check=True):
    (tmp_path / "job.yaml").write_text(_job_yaml(path.name))
    out = tmp_path / "scripts"
    code = main(["build", str(tmp_path / "job.yaml"), "-o", str(out), "--shot", "SH020"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{path.resolve()}:{line}:" in err, err
    assert words in err, err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*")), "something was written"
    if not check:
        return
    code = main(["template", "check", str(path)])
    report = capsys.readouterr().out
    assert code == 1
    assert f"{path}:{line}:" in report and words in report, report


def _job_yaml(name: str) -> str:
    import json

    data = dict(__import__("copy").deepcopy(__import__("tpl_helpers").JOB))
    data["templates"] = ["studio"]
    data["procedures"] = [{"type": "chroma", "template": name}]
    data["alignment"]["transforms"] = {str(k): v for k, v in data["alignment"]["transforms"].items()}
    return json.dumps(data)


# -- config and search path --------------------------------------------------------------------------
def test_config_rejects_names_that_leave_the_search_path(tmp_path):
    for bad in ("../evil.nk", "/etc/x.nk", "studio.yaml"):
        with pytest.raises(ConfigError) as err:
            job(tmp_path, {"chroma": [bad]})
        assert "template" in str(err.value)


def test_unknown_template_names_the_config_line_and_lists_what_exists(tmp_path):
    make_template(tmp_path, "training")
    cfg = job(tmp_path, {"chroma": ["nope.nk"]})
    with pytest.raises(TemplateError) as err:
        build_scripts(cfg, shots=["SH010"])
    assert "nope.nk" in str(err.value) and "studio_chroma_training.nk" in str(err.value)


def test_template_symlinked_outside_its_folder_is_refused(tmp_path):
    outside = make_template(tmp_path, "training", name="real.nk")
    moved = tmp_path / "elsewhere.nk"
    outside.rename(moved)
    (tmp_path / "studio" / "procedures" / "link.nk").symlink_to(moved)
    cfg = job(tmp_path, {"chroma": ["link.nk"]})
    with pytest.raises(TemplateError) as err:
        build_scripts(cfg, shots=["SH010"])
    assert "outside its folder" in str(err.value)


def test_env_search_path_finds_studio_templates(tmp_path, monkeypatch):
    path = make_template(tmp_path, "training")
    monkeypatch.setenv("NUKE_RESTORE_TEMPLATE_PATH", str(tmp_path / "studio"))
    from nuke_restore.config.templates import search_path

    assert dict(tf.find_templates(search_path()))[path.name] == path


# -- CLI ---------------------------------------------------------------------------------------------
def test_cli_init_and_check(tmp_path, capsys):
    b = built(job(tmp_path), "SH010", "training", tmp_path)
    script = tmp_path / "SH010_chroma_training.nk"
    script.write_text(b.text)
    out = tmp_path / "t.nk"
    assert main(["template", "init", str(script), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "role copycat on CopyCat_CHROMA (CopyCat)" in text
    assert main(["template", "init", str(script), "-o", str(out)]) == 1  # no --force
    assert "exists" in capsys.readouterr().err
    assert main(["template", "check", str(out)]) == 0
    report = capsys.readouterr().out
    assert re.search(rf"{re.escape(str(out))}:\d+: role dataset_source on AppendClip_SRC", report)
    assert main(["template", "init", str(out), "-o", str(tmp_path / "u.nk")]) == 1  # not built
    assert "not a script nuke_restore built" in capsys.readouterr().err
    assert not (tmp_path / "u.nk").exists()
    assert main(["template", "graph", str(out)]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph nuke {") and dot.rstrip().endswith("}")
    assert re.search(r'\[style=filled, fillcolor="#[0-9a-f]{6}", label="CopyCat_CHROMA\nCopyCat'
                     r'\nrole: copycat"\]', dot), dot
    assert dot.count("style=filled") == len(tr.check(parse_text(out.read_text())).tags)
    studio = tmp_path / "st" / "procedures"
    studio.mkdir(parents=True)
    (studio / "house.nk").write_text(out.read_text())
    assert main(["template", "list", "--path", str(tmp_path / "st")]) == 0
    assert "house.nk" in capsys.readouterr().out
    (tmp_path / "broken.nk").write_text("Root {\n")
    assert main(["template", "check", str(tmp_path / "broken.nk")]) == 2


HAND_DRAWN = """\
#! /usr/local/Nuke15.1v3/libnuke-15.1.3.so -nx
version 15.1 v3
Root {
 inputs 0
 name /studio/hand.nk
 format "2048 1556 0 0 2048 1556 1 2K_Super_35(full-ap)"
 proxy_type scale
}
Read {
 inputs 0
 file /old/show/plate.####.exr
 name Read1
 xpos 0
 ypos -300
}
Crop {
 box {0 0 2048 1556}
 reformat true
 crop true
 name Crop1
 label "our live area"
 xpos 0
 ypos -200
}
Inference {
 modelFile old.cat
 serialiseKnob {}
 name Inference1
 xpos 0
 ypos -100
}
ModifyMetaData {
 name ModifyMetaData1
 xpos 0
 ypos 0
}
Write {
 file /old/out.####.exr
 file_type exr
 name Write1
 xpos 0
 ypos 100
}
StickyNote {
 inputs 0
 name house_note
 label "studio inference graph v3"
}
"""


def test_a_graph_drawn_by_hand_becomes_a_template_with_roles_given_on_the_command_line(
        tmp_path, capsys):
    hand = tmp_path / "hand.nk"
    hand.write_text(HAND_DRAWN)
    out = tmp_path / "studio" / "procedures" / "house_inference.nk"
    out.parent.mkdir(parents=True)
    args = ["template", "init", str(hand), "-o", str(out), "--kind", "inference", "--type",
            "chroma", "--role", "Read1=source_read", "--role", "Inference1=inference",
            "--role", "Write1=write", "--role", "Crop1=live_crop",
            "--role", "ModifyMetaData1=metadata"]
    assert main(args[:5]) == 1  # without --kind: not a script we built
    assert "--kind" in capsys.readouterr().err and not out.exists()
    assert main(args[:-2] + ["--role", "Crop1=copycat"]) == 1  # wrong class: not written
    assert "belongs on a CopyCat node" in capsys.readouterr().out and not out.exists()
    assert main(args) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(["template", "check", str(out)]) == 0
    cfg = job(tmp_path, {"chroma": ["house_inference.nk"]})
    filled = built(cfg, "SH030", "inference", tmp_path)
    got = parse_text(filled.text)
    recipe = built(job(tmp_path), "SH030", "inference", tmp_path).script
    for name, cls, knobs in (("Read1", "Read_SRC", ("file", "first", "last", "colorspace")),
                             ("Inference1", "Inference", ("modelFile",)),
                             ("Write1", "Write", ("file", "colorspace")),
                             ("Crop1", "Crop_LIVE_AREA", ("box",)),
                             ("ModifyMetaData1", "ModifyMetaData", ("metadata",))):
        # the recipe's node: by name where the recipe has several of the class, else by class
        source = recipe.find(cls) or next(n for n in recipe.nodes if n.cls == cls)
        for k in knobs:
            assert got.find(name).knob(k) == source.knob(k), (name, k)
    assert got.find("Crop1").knob("label") == '"our live area"'  # not a filled knob
    assert ' name house_note\n label "studio inference graph v3"\n' in filled.text
    assert got.root.knob("proxy_type") == "scale"  # the TD's Root knobs stay


def test_the_example_studio_template_fills_every_shot_of_the_sample_job(tmp_path):
    from nuke_restore.config import load_config
    from nuke_restore.recipes import sample_config_text

    example = Path(__file__).resolve().parents[2] / "templates"
    text = sample_config_text().replace(
        "  - type: chroma\n    reference_median: 10\n",
        "  - type: chroma\n    reference_median: 10\n    template: studio_chroma_training.nk\n", 1)
    assert "template: studio_chroma_training.nk" in text
    (tmp_path / "job.yaml").write_text(f"templates: [{example}]\n" + text)
    cfg = load_config(tmp_path / "job.yaml")
    from nuke_restore.recipes.build import validate_built

    filled = [b for b in build_scripts(cfg, outdir=tmp_path / "out")
              if b.procedure == "chroma" and b.kind == "training"]
    assert [b.unit for b in filled] == ["SH010", "SH020", "SH030"]
    for b in filled:
        assert "template=studio_chroma_training.nk" in b.text and "name studio_note" in b.text
        assert not validate_built(b)


def test_templates_list_still_works(capsys):
    assert main(["templates", "list"]) == 0
    assert "procedure" in capsys.readouterr().out


# -- a selection saved from Nuke ---------------------------------------------------------------------
SNIPPET = """\
set cut_paste_input [stack 0]
version 15.1 v1
push $cut_paste_input
Read {
 inputs 0
 file plates/a.####.exr
 name MyPlate
}
Grade {
 name TD_Grade
}
Write {
 file renders/a.####.exr
 name MyWrite
}
"""


def test_selection_becomes_a_template_with_a_root_and_roles():
    text = tr.from_snippet(SNIPPET, {"MyPlate": "source_read", "MyWrite": "write"},
                               "inference")
    assert text.startswith("#! nuke -nx\nversion 15.1 v1\nRoot {")
    script = parse_text(text)
    report = tr.check(script)
    assert report.kind == "inference"
    assert {t.role for t in report.tags} == {"source_read", "write"}
    assert report.missing == ["inference"]
    assert " name TD_Grade\n" in text
    with pytest.raises(TemplateError):
        tr.from_snippet(SNIPPET, {"Nope": "write"}, "inference")
    assert tr.guess_role("CopyCat", "CopyCat1") == "copycat"
    assert tr.guess_role("Read", "Read_SRC") == "source_read"
    assert "source_read" in tr.roles_for_class("Read")
