"""nk/tcl.py: TCL words as tclsh reads them, and which commands a piece of TCL runs."""
from __future__ import annotations

import subprocess

import pytest
from tcl_oracle import require_tclsh

from nuke_restore.nk import tcl

# Scripts of static words (no substitution) covering TCL's quoting rules.
SCRIPTS = [
    'a b c',
    'a {b c} "d e"',
    'a {b {c d} e} f',
    'a "x\\ty\\n" \\x41\\x4a \\u00e9 \\U0001F600 \\101\\1012',
    'a b\\\n   c',
    'a "b\\\n  c"',
    'a {b\\\n  c}',
    'a {b \\} c}',
    'a b; c d',
    '# comment \\\n still comment\nx y',
    '  # indented comment\nx y',
    'x #notcomment',
    'a \\{b \\"c\\"',
    'a {*}{b c} d',
    'a "{" "}"',
    'a {"quoted" inside}',
    'a \\x4g \\xZ \\u12345',
    'a b\\ c',
]


def _tcl_words(script: str):
    """The words of each command, as tclsh passes them to an unknown command (hex UTF-8)."""
    tclsh = require_tclsh()
    driver = (
        "interp create -safe s\n"
        "proc rec args { set out {}; foreach w $args {"
        " lappend out [binary encode hex [encoding convertto utf-8 $w]] }; puts [join $out ,] }\n"
        "s alias unknown rec\n"
        "set f [open [lindex $argv 0] rb]; fconfigure $f -encoding utf-8; set t [read $f]\n"
        "s eval $t\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/d.tcl", "w") as fh:
            fh.write(driver)
        with open(f"{tmp}/s.tcl", "w", encoding="utf-8") as fh:
            fh.write(script)
        out = subprocess.run([tclsh, f"{tmp}/d.tcl", f"{tmp}/s.tcl"], capture_output=True,
                             check=True).stdout.decode()
    return [[bytes.fromhex(h).decode("utf-8") for h in line.split(",")] if line else []
            for line in out.splitlines()]


def _our_words(script: str):
    out = []
    for cmd in tcl.parse_script(script):
        words = []
        for w in cmd.words:
            if w.expand:
                words.extend(c for c in w.literal.split())
            else:
                words.append(w.literal)
        out.append(words)
    return out


@pytest.mark.parametrize("script", SCRIPTS)
def test_words_match_tclsh(script):
    assert _our_words(script) == _tcl_words(script)


@pytest.mark.parametrize("text, kind, name", [
    ("python {x}", "python", "python"),
    ("::python x", "python", "python"),
    ("{python} x", "python", "python"),
    ("\\x70ython x", "python", "python"),
    ("\\u0070ython x", "python", "python"),
    ("\\160ython x", "python", "python"),
    ('"python" x', "python", "python"),
    ("[string cat py thon] x", "dynamic", ""),
    ("$cmd x", "dynamic", ""),
    ("{*}{python x}", "dynamic", "python x"),
    ("set a [exec ls]", "command", "exec"),
    ("set a $b([python q])", "python", "python"),
    ("expr {[python x]}", "python", "python"),
    ("if {[python x]} {}", "python", "python"),
    ("if 1 {} else {python x}", "python", "python"),
    ("foreach a {1 2} {python x}", "python", "python"),
    ("while 0 {exec ls}", "command", "exec"),
    ("catch {python x}", "python", "python"),
    ("set env(PATH) /tmp", "command", "set"),
    ("file delete x", "command", "file"),
    ("knob a b", "command", "knob"),
    ("clock format [python x]", "python", "python"),
    ("::tcl::mathfunc::abs 1", "command", "tcl::mathfunc::abs"),
])
def test_findings(text, kind, name):
    found = tcl.check_script(text)
    assert any(f.kind == kind and f.command == name for f in found), found


@pytest.mark.parametrize("text", [
    "value size", "knob Blur1.size", "file tail [value file]", "expr {[value a] * 2}",
    "if {[exists x]} {value x} else {return 1}", "set a 1; incr a", "clock seconds",
    "format %04d [frame]", "# python x", "foreach {a b} {1 2} {append c $a}",
    "string map {a b} [value label]", "lindex [split [value file] /] end",
])
def test_pure_expressions_pass(text):
    assert tcl.check_script(text) == []


def test_syntax_error_stops_like_tclsh():
    # Commands before the bad one run; the bad one (and what it holds) and what follows do not.
    found = tcl.check_script('python a; list [python b] "x"y; python c')
    assert [f.command for f in found] == ["python"] and found[0].offset == 0
    found = tcl.check_subst('[python a] ["x", y] [python c]')
    assert len(found) == 1 and found[0].offset == 1
    found = tcl.check_subst('[python a; list "x"y]')
    assert len(found) == 1


def test_syntax_error_rule_matches_tclsh():
    tclsh = require_tclsh()
    script = ('interp create -safe s\ns alias python puts\n'
              'catch {s eval {python A; list [python B] "x"y; python C}}\n'
              'catch {s eval {subst {[python D] ["x", y] [python E]}}}\n'
              'catch {s eval {subst {[python F; list "x"y]}}}\n')
    out = subprocess.run([tclsh], input=script.encode(), capture_output=True).stdout.decode()
    assert out.split() == ["A", "D", "F"]


def test_deep_nesting_is_a_finding_not_a_crash():
    text = "[value " * 5000 + "x" + "]" * 5000
    found = tcl.check_subst(text)
    assert found and found[0].kind == "syntax" and "nested" in found[0].message
    body = "if 1 {" * 500 + "python x" + "}" * 500
    found = tcl.check_script(body)
    assert found and found[0].kind == "syntax"


def test_linear_time_on_long_values():
    import time

    def cost(n):
        text = "[value a] \\[x\\] " * n
        t = time.process_time()
        tcl.check_subst(text)
        return time.process_time() - t

    small, big = min(cost(5000) for _ in range(3)), min(cost(20000) for _ in range(3))
    assert big / small < 10, (small, big)  # quadratic would be ~16
