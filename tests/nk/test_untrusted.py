"""`validate --untrusted` against a real TCL interpreter: whatever tclsh sees run, validate reports.

Hostile scripts are generated from payloads (what runs) x obfuscations of the command name x
positions (top level, knobs, groups, gizmos, clones, callbacks, buttons). Every one goes through
the TCL oracle (tests/tcl_oracle.py: Debian's tclsh with recording stubs) in one batch, and through
`nuke-restore validate --untrusted --json` in one run. Each variant must be hostile for the oracle
(else the test would prove nothing) and must give exit status 1 or 2 with an untrusted-code error
naming it (files our parser refuses are still analysed).
"""
from __future__ import annotations

import json

import pytest
from tcl_oracle import require_tclsh, run_oracle_many

from nuke_restore.cli import main
from nuke_restore.nk.validate import UNTRUSTED_CODES

HEAD = "version 15.1 v1\nRoot {\n inputs 0\n name /tmp/x.nk\n}\n"
NODE = "Blur {\n inputs 0\n size 3\n name Blur1\n}\n"

# Commands that act outside the interpreter, as TCL source text (no obfuscation).
PAYLOADS = [
    "python {import os; os.system('touch /tmp/pwned')}",
    "exec touch /tmp/pwned",
    'open "|touch /tmp/pwned"',
    "source /tmp/evil.tcl",
    "load /tmp/evil.so",
    "socket evil.example 80",
    "file delete -force /tmp/important",
    "glob /home/*",
]

# Spellings of `python x` that a word-level check misses but TCL resolves to python.
OBFUSCATED_PYTHON = [
    "::python {print(1)}",
    ":::python {print(1)}",
    "{python} {print(1)}",
    '"python" {print(1)}',
    "\\x70ython {print(1)}",
    "\\u0070ython {print(1)}",
    "\\160ython {print(1)}",
    "p\\ython {print(1)}",
    "[string cat py thon] {print(1)}",
    "[set c python] {print(1)}",
    "[subst python] {print(1)}",
    "[join {py thon} {}] {print(1)}",
    "{*}{python {print(1)}}",
    "[format %s%s py thon] {print(1)}",
    "eval python {{print(1)}}",
    "eval {python {print(1)}}",
    "catch {python {print(1)}}",
    "uplevel #0 {python {print(1)}}",
    "apply {{} {python {print(1)}}}",
    "if 1 {python {print(1)}}",
    "foreach x {1} {python {print(1)}}",
    "time {python {print(1)}}",
    "try {python {print(1)}}",
    "proc p {} {python {print(1)}}; p",
    "interp alias {} q {} python; q {print(1)}",
    "rename python q; q {print(1)}",
    "after 0 {python {print(1)}}",
    "namespace eval ns {python {print(1)}}",
    "set v python; $v {print(1)}",
    "string map {a a} [python {print(1)}]",
]


def _top(cmd: str) -> str:
    return HEAD + NODE + cmd + "\n"


def _q(cmd: str) -> str:
    """``cmd`` written inside a quoted word so that TCL reads it back unchanged."""
    return cmd.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")


def _knob(cmd: str, form: str) -> str:
    if form != "braced":
        cmd = _q(cmd)
    value = {
        "quoted": '"[' + cmd + ']"',
        "escaped": '"\\[' + cmd + ']"',  # Nuke's saved form of a live expression
        "braced": "{[" + cmd + "]}",
        "expression": '{{"\\[' + cmd + ']"}}',
        "nested": '"\\[value \\[string trim \\[' + cmd + ']]]"',
        "index": '"\\[value a(\\[' + cmd + '])]"',
        "if-body": '"\\[if \\{1\\} \\{' + cmd + '\\}]"',
        "expr": '{{"\\[expr \\{\\[' + cmd + ']\\}]"}}',
    }[form]
    return HEAD + f"Blur {{\n inputs 0\n label {value}\n name Blur1\n}}\n"


def _variants():
    out = {}
    for i, p in enumerate(PAYLOADS):
        out[f"top-{i}"] = _top(p)
        out[f"after-version-{i}"] = f"version 15.1 v1; {p}\n" + NODE
        out[f"set-{i}"] = HEAD + f"set x [{p}]\n" + NODE
        out[f"add_layer-{i}"] = HEAD + f"add_layer {{rgba rgba.red}} [{p}]\n" + NODE
        for form in ("quoted", "escaped", "braced", "expression", "nested", "index", "if-body",
                     "expr"):
            out[f"knob-{form}-{i}"] = _knob(p, form)
        out[f"group-{i}"] = (HEAD + "Group {\n inputs 0\n name G\n}\n Input {\n  inputs 0\n"
                             f'  name Input1\n }}\n Blur {{\n  file "\\[{_q(p)}]"\n  name B\n }}\n'
                             " Output {\n  name Output1\n }\nend_group\n")
        out[f"gizmo-{i}"] = ("version 15.1 v1\nGizmo {\n inputs 0\n name X\n"
                             f' label "\\[{_q(p)}]"\n}}\n Output {{\n  inputs 0\n  name Output1\n }}\n'
                             "end_group\n")
        out[f"clone-{i}"] = (HEAD + NODE + "set C1 [stack 0]\nclone $C1 {\n"
                             f' label "\\[{_q(p)}]"\n xpos 10\n}}\n')
        out[f"root-{i}"] = ("version 15.1 v1\nRoot {\n inputs 0\n name /tmp/x.nk\n"
                            f' project_directory "\\[{_q(p)}]"\n}}\n' + NODE)
        out[f"user-knob-label-{i}"] = (HEAD + "NoOp {\n inputs 0\n addUserKnob {20 User}\n"
                                       f' addUserKnob {{1 t l "[{p}]"}}\n name N\n}}\n')
    for i, p in enumerate(OBFUSCATED_PYTHON):
        out[f"obf-top-{i}"] = _top(p)
        out[f"obf-knob-{i}"] = _knob(p, "escaped")
    # Nuke's own ways to install code.
    calls = {
        "callback-knobChanged": HEAD + 'Blur {\n inputs 0\n knobChanged "import os"\n}\n',
        "callback-onCreate-group": (HEAD + "Group {\n inputs 0\n name G\n}\n Blur {\n"
                                    '  onCreate {import os}\n }\nend_group\n'),
        "callback-root-onScriptLoad": ("version 15.1 v1\nRoot {\n inputs 0\n"
                                       " onScriptLoad {import os}\n}\n"),
        "callback-beforeRender": HEAD + "Write {\n inputs 0\n beforeRender {import os}\n}\n",
        "callback-clone": (HEAD + NODE + "set C1 [stack 0]\nclone $C1 {\n"
                           " knobChanged {import os}\n}\n"),
        "knob-this-knobChanged": _top("knob this.knobChanged {import os}"),
        "knob-root-onScriptSave": _top("knob root.onScriptSave {import os}"),
        "knob-in-value": _knob("knob root.onScriptLoad {import os}", "escaped"),
        "button-python": (HEAD + "NoOp {\n inputs 0\n addUserKnob {20 User}\n"
                          ' addUserKnob {22 go l Go T "import os"}\n}\n'),
        "button-tcl": (HEAD + "NoOp {\n inputs 0\n addUserKnob {20 User}\n"
                       ' addUserKnob {32 go l Go T "python x"}\n}\n'),
        "python-knob": (HEAD + "NoOp {\n inputs 0\n addUserKnob {20 User}\n"
                        ' addUserKnob {52 py T "import os"}\n}\n'),
        "continued-line": HEAD + NODE + "set x 1 \\\n; python {1}\n",
        "semicolon-in-knob": HEAD + 'Blur {\n inputs 0\n label "a"; python {1}\n}\n',
        "dollar-index": _top("set a(1) 1; set b $a([python {1}])"),
        "class-named-python": HEAD + "python {import os}\n",
        "class-named-eval": HEAD + "eval {python {1}}\n",
        "nested-deep": _knob("value " + "[value " * 30 + "[python {1}]" + "]" * 30, "quoted"),
        "top-level-catch": _top("catch {python {1}}"),
        "top-level-knob-default": _top("knob_default Blur.size {[python {1}]}"),
    }
    out.update(calls)
    return out


VARIANTS = _variants()


def test_there_are_enough_variants():
    assert len(VARIANTS) >= 60


@pytest.fixture(scope="module")
def oracle_results():
    require_tclsh()
    names = sorted(VARIANTS)
    return dict(zip(names, run_oracle_many([VARIANTS[n] for n in names])))


@pytest.fixture(scope="module")
def validate_results(tmp_path_factory, oracle_results):
    folder = tmp_path_factory.mktemp("hostile")
    for name, text in VARIANTS.items():
        (folder / f"{name}.nk").write_text(text, encoding="utf-8")
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["validate", "--untrusted", "--json", str(folder)])
    doc = json.loads(buf.getvalue())
    assert code != 0
    return {f["path"].rsplit("/", 1)[-1][:-3]: f for f in doc["files"]}


def test_every_variant_runs_code_under_tclsh(oracle_results):
    quiet = [n for n, r in oracle_results.items() if not r.executed]
    assert not quiet, f"variants the oracle saw run nothing (not hostile): {quiet}"
    assert all(r.ok for r in oracle_results.values())


def test_validate_reports_everything_the_oracle_saw_run(oracle_results, validate_results):
    missed = []
    for name, res in oracle_results.items():
        f = validate_results[name]
        # Files our parser cannot read still get the analysis (Nuke's TCL may run them).
        errors = [d for d in f["findings"]
                  if d["severity"] == "error" and d["code"] in UNTRUSTED_CODES]
        if not errors:
            missed.append((name, res.executed[:2]))
    assert not missed, missed


def test_untrusted_findings_are_errors_and_exit_1(tmp_path, capsys):
    path = tmp_path / "a.nk"
    path.write_text(HEAD + 'Blur {\n inputs 0\n label "\\[exec ls]"\n}\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 0  # without --untrusted: not looked at
    assert main(["validate", "--untrusted", str(path)]) == 1
    out = capsys.readouterr().out
    assert "error[tcl-command] Blur1.label=" not in out  # the node has no name: class shown
    assert ":8: error[tcl-command] Blur.label=" in out and "'exec'" in out


def test_clean_variants_of_the_same_shapes_pass(tmp_path, capsys):
    """The same positions with pure expressions give no finding (the check is not 'any bracket')."""
    pure = "value Blur1.size"
    texts = [_knob(pure, form) for form in ("quoted", "escaped", "braced", "expression", "nested",
                                            "index", "if-body", "expr")]
    texts.append(HEAD + NODE + "set N1 [stack 0]\npush $N1\nclone $N1 {\n xpos 3\n}\n")
    texts.append(HEAD + "Group {\n inputs 0\n name G\n}\n Output {\n  inputs 0\n }\nend_group\n")
    for i, text in enumerate(texts):
        (tmp_path / f"c{i}.nk").write_text(text, encoding="utf-8")
    require_tclsh()
    for res in run_oracle_many(texts):
        assert res.executed == []
    assert main(["validate", "--untrusted", str(tmp_path)]) == 0, capsys.readouterr().out


def test_top_level_state_changes_are_reported(tmp_path, capsys):
    """Not code by themselves, but they change what later code does (the process environment)."""
    for i, cmd in enumerate(["set env(PYTHONSTARTUP) /tmp/evil.py", "set ::env(X) 1",
                             "set a(1) [python {1}]"]):
        (tmp_path / f"s{i}.nk").write_text(_top(cmd), encoding="utf-8")
        assert main(["validate", "--untrusted", str(tmp_path / f"s{i}.nk")]) == 1, cmd
    out = capsys.readouterr().out
    assert out.count("error[top-level-command]") >= 2


def test_exit_status_of_the_variants(validate_results):
    """Most hostile files are readable scripts with an error finding; the rest are refused."""
    readable = sum(1 for f in validate_results.values() if f["readable"])
    assert readable >= len(VARIANTS) * 3 // 4, readable


# -- the 99 real files ---------------------------------------------------------------------------

# The only findings outside Python callbacks, buttons and [python ...] in the corpus, each checked
# by hand: text evaluated again at run time (subst, Nuke's `expression` on a string built from
# knobs) and a label that calls knob_default (it also runs python).
EXPECTED_CORPUS_COMMANDS = {
    ("borsarinicola__NFTS_nuk_env__NFTS_tools__v_tools__V_Slate.gizmo", "subst"): 3,
    ("WuLiFang__Nuke__ToolSets__third_party__Emission2307.nk", "expression"): 11,
    ("WuLiFang__Nuke__ToolSets__WLF__FX__smoke.nk", "knob_default"): 1,
}


def _strip_idiom(text: str) -> str:
    from nuke_restore.nk.untrusted import PROJECT_DIRECTORY_IDIOM

    return text.replace(f" project_directory {PROJECT_DIRECTORY_IDIOM}\n", "")


def test_corpus_oracle_and_validate_agree(corpus_files):
    """File by file: tclsh sees code run exactly where validate --untrusted reports some, and
    builds as many nodes as the parser reads.

    The project_directory idiom (allowed by exact text) is taken out before tclsh runs the file.
    """
    require_tclsh()
    from nuke_restore.nk.lexer import decode
    from nuke_restore.nk.parser import parse_bytes
    from nuke_restore.nk.validate import validate_script

    datas = [p.read_bytes() for p in corpus_files]
    texts = [decode(d)[0] for d in datas]
    oracle = run_oracle_many([_strip_idiom(t) for t in texts])
    disagree = []
    commands = {}
    for path, data, text, res in zip(corpus_files, datas, texts, oracle):
        script = parse_bytes(data, path, strict=False)
        assert res.ok and len(res.nodes) == sum(1 for _ in script.walk()), path.name
        found = [d for d in validate_script(script, untrusted=True, source=text)
                 if d.code in UNTRUSTED_CODES]
        assert all(d.severity == "error" for d in found)
        assert not [d for d in found if d.code in ("tcl-unreadable", "tcl-dynamic-command",
                                                   "top-level-command")], path.name
        for d in found:
            if d.code == "tcl-command":
                name = d.message.split("'")[1]
                commands[(path.name, name)] = commands.get((path.name, name), 0) + 1
        if bool(res.executed) != bool(found):
            disagree.append((path.name, res.executed[:2], [str(d) for d in found[:2]]))
    assert not disagree, disagree
    assert commands == EXPECTED_CORPUS_COMMANDS


def test_scripts_we_build_carry_no_code(tmp_path, capsys):
    """Every script `build` writes passes --untrusted, and tclsh sees nothing run in any of them."""
    from nuke_restore.recipes.sample import sample_config_text

    cfg = tmp_path / "job.yaml"
    cfg.write_text(sample_config_text())
    out = tmp_path / "scripts"
    assert main(["build", str(cfg), "-o", str(out)]) == 0
    capsys.readouterr()
    files = sorted(out.rglob("*.nk"))
    assert len(files) > 10
    assert main(["validate", "--untrusted", str(out)]) == 0, capsys.readouterr().out
    require_tclsh()
    texts = [p.read_text("utf-8") for p in files]
    for path, res in zip(files, run_oracle_many(texts)):
        assert res.ok and res.executed == [], (path.name, res.executed[:3])
        assert res.nodes
