"""The TCL oracle: run .nk/.gizmo text under a real ``tclsh`` and record what would run.

A Nuke script is TCL. To check that ``validate --untrusted`` misses nothing, the tests evaluate
hostile scripts with Debian's own interpreter (``apt-get install tcl``), inside a *safe* child
interpreter whose dangerous commands are replaced by stubs that only record their call:

- Nuke's commands: any unknown command called at the top level with one argument is a node
  constructor (``Blur {...}``); ``push``, ``stack``, ``version``, ``define_window_layout_xml``,
  ``add_layer``, ``end_group``, ``clone`` do nothing; ``python`` is recorded; ``knob`` with one
  argument reads (returns ``0``), with two it sets (a callback knob set this way is recorded, any
  other value is evaluated as below). Pure expression commands (``value``, ``frame``, ``exists``,
  ``topnode``, ``metadata``, ...) return a dummy value.
- TCL's own commands that reach outside the interpreter (``exec``, ``open``, ``source``, ``load``,
  ``socket``, ``file`` except its pure path-string forms, ``cd``, ``glob``, ``exit``, ``puts``,
  ``after``, ``vwait``, ``update``, ``interp``, ``package``, ...) are recorded and do nothing.
- Any other unknown command called where Nuke would evaluate it (inside a substitution, or at the
  top level with other than one argument) is recorded as ``unknown-command``: it may be one of
  Nuke's many TCL commands that act (``script_save``, ``execute``...).

Every top-level command runs on its own (an error does not hide what follows). A node
constructor splits its body into knob commands with ``info complete`` and evaluates each as
``__knob name value ...``: the TCL parser substitutes quoted and bare words the way it would at
load time. Then every knob value is also passed through ``subst`` (with and without variables),
and its result through ``subst`` once more, which models Nuke evaluating the stored text later
(file paths, labels, expressions; ``{{"\\[python x]"}}`` is an expression whose quoted word holds
``[python x]``) - an over-approximation, since ``subst`` ignores braces. Non-empty callback knobs (``knobChanged``,
``onCreate``, ``onScriptLoad``...) and Python/TCL button user knobs (types 22, 52, 32, 35) are
recorded without being run: their text is Python or a button script. User knob definitions
(labels, tooltips) are evaluated once only; Root ``project_directory`` holding exactly our
builders' ``[python {nuke.script_directory()}]`` is not evaluated. ``kernelSource`` (BlinkScript
C++-like source, which Nuke does not evaluate as TCL) is skipped.

The result lists what ran, in order. Each entry starts with the kind: ``python ...``, ``exec
...``, ``callback knobChanged ...``, ``button 22 ...``, ``unknown-command foo ...``. Limits per
script: 2,000,000 TCL commands and 3 s, then the script is reported with ``ok=False``.

Public API: ``tclsh_path()``, ``run_oracle(text)``, ``run_oracle_many(texts)``, ``OracleResult``,
``require_tclsh()`` (pytest skip helper).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

SKIP_MESSAGE = "Debian's tclsh not found; apt-get install tcl"

CALLBACK_KNOBS = (
    "autolabel", "knobChanged", "onCreate", "onDestroy", "updateUI", "beforeRender",
    "beforeFrameRender", "afterFrameRender", "afterRender", "renderProgress", "afterRecording",
    "afterReplay", "beforeRecording", "beforeReplay", "onScriptLoad", "onScriptSave",
    "onScriptClose",
)

# Runs in the master interpreter of tclsh. argv: the files to check. Output per file:
#   @@FILE <index>, then @@RUN <escaped entry> / @@NODE <class> / @@LIMIT <message>, then @@END.
_DRIVER = r"""
namespace eval ::oracle {
    variable callbacks {%CALLBACKS%}
    variable slave {}
    variable inknob 0
    variable cls {}
}
proc ::oracle::esc {s} { return [string map [list \\ \\\\ \n \\n \r \\r] $s] }
proc ::oracle::record {kind args} {
    puts "@@RUN [esc [concat $kind $args]]"
    return ""
}
proc ::oracle::commands {text} {
    # Split a script into complete commands (what the TCL parser would run one by one).
    set out {}
    set cur ""
    foreach line [split $text \n] {
        append cur $line \n
        if {[info complete $cur]} {
            if {[string trim $cur] ne ""} { lappend out $cur }
            set cur ""
        }
    }
    if {[string trim $cur] ne ""} { lappend out $cur }
    return $out
}
proc ::oracle::evaluate {value {levels 2}} {
    # Nuke evaluating a stored value later: TCL substitutions in paths, labels, expressions.
    variable slave
    variable inknob
    incr inknob
    foreach mode {{} -novariables} {
        # A second pass over the result: an expression {{"\[python x]"}} is a quoted word
        # inside braces, so Nuke reads [python x] from it and runs it.
        if {![catch {$slave eval [list subst {*}$mode $value]} once] && $levels > 1} {
            catch {$slave eval [list subst -novariables $once]}
        }
    }
    incr inknob -1
}
proc ::oracle::knobs {args} {
    variable callbacks
    variable cls
    foreach {name value} $args {
        set base [lindex [split $name .] end]
        if {$base in $callbacks} {
            if {[string trim $value] ne ""} { record callback $name $value }
            continue
        }
        if {$base in {kernelSource}} { continue }
        if {$name eq "addUserKnob"} {
            set type [lindex [split [string trimleft $value "\{ \t\n"] " \t\n"] 0]
            if {$type in {22 52 32 35}} { record button $type $value; continue }
            # Labels and tooltips: evaluated once at most (they show "\[OFF]" as text).
            evaluate $value 1
            continue
        }
        # Our builders' Root.project_directory (allowed by exact text, docs/security.md).
        if {$cls eq "Root" && $name eq "project_directory"
                && $value eq {[python {nuke.script_directory()}]}} { continue }
        evaluate $value
    }
    return ""
}
proc ::oracle::node {class body} {
    variable slave
    variable inknob
    variable cls $class
    puts "@@NODE [esc $class]"
    incr inknob
    foreach cmd [commands $body] {
        catch {$slave eval "__knob [string trimleft $cmd]"}
    }
    incr inknob -1
    return ""
}
proc ::oracle::unknown {name args} {
    variable inknob
    if {$inknob == 0 && [llength $args] == 1} { return [node $name [lindex $args 0]] }
    record unknown-command $name {*}$args
}
proc ::oracle::clone {args} {
    # clone $var {knobs} | clone <id> Class {knobs}
    if {[llength $args] >= 2} { return [node clone [lindex $args end]] }
    return ""
}
proc ::oracle::knob {args} {
    if {[llength $args] <= 1} { return 0 }
    set name [lindex $args end-1]
    set value [lindex $args end]
    return [knobs $name $value]
}
proc ::oracle::file {sub args} {
    if {$sub in {rootname tail dirname extension join split nativename pathtype separator}} {
        return [::file $sub {*}$args]
    }
    record file $sub {*}$args
}
proc ::oracle::pure {args} { return 0 }
proc ::oracle::nothing {args} { return "" }
proc ::oracle::stack {args} { return stack0 }

proc ::oracle::run {path} {
    variable slave
    variable inknob 0
    set fh [::open $path rb]
    fconfigure $fh -encoding utf-8
    set text [read $fh]
    close $fh
    set slave [interp create -safe]
    foreach cmd {python exec open source load unload socket cd pwd glob exit fconfigure encoding
                 puts gets read after vwait update interp package chan} {
        if {$cmd in [$slave hidden]} { catch {$slave hide $cmd} }
        catch {$slave eval [list rename $cmd {}]}
        $slave alias $cmd ::oracle::record $cmd
    }
    catch {$slave eval {rename file {}}}
    $slave alias file ::oracle::file
    $slave alias unknown ::oracle::unknown
    $slave alias __knob ::oracle::knobs
    $slave alias knob ::oracle::knob
    $slave alias clone ::oracle::clone
    $slave alias stack ::oracle::stack
    foreach cmd {push version define_window_layout_xml add_layer end_group} {
        $slave alias $cmd ::oracle::nothing
    }
    foreach cmd {value frame exists topnode metadata numvalue expression node nodes root
                 in whole view views plugins channels sample basename filename class date} {
        $slave alias $cmd ::oracle::pure
    }
    interp limit $slave commands -value 2000000
    interp limit $slave time -seconds [expr {[clock seconds] + 3}]
    foreach cmd [commands $text] {
        if {[catch {$slave eval $cmd} msg] && [string match "*limit exceeded*" $msg]} {
            puts "@@LIMIT [esc $msg]"
            break
        }
    }
    interp delete $slave
}

set i 0
foreach path $argv {
    puts "@@FILE $i"
    if {[catch {::oracle::run $path} msg]} { puts "@@LIMIT [::oracle::esc $msg]" }
    puts "@@END"
    incr i
}
"""


@dataclass
class OracleResult:
    """What ``tclsh`` saw run for one script."""

    executed: List[str] = field(default_factory=list)  # "python {...}", "exec ls", ...
    nodes: List[str] = field(default_factory=list)     # classes of the node constructors called
    ok: bool = True                                    # False: a limit was hit (or tclsh failed)
    error: Optional[str] = None

    def ran(self, word: str) -> bool:
        """True when an entry of kind ``word`` (``python``, ``exec``, ``callback``...) ran."""
        return any(e.split(" ", 1)[0] == word for e in self.executed)


def tclsh_path() -> Optional[str]:
    """The ``tclsh`` on this machine (Debian: /usr/bin/tclsh from the ``tcl`` package), or None."""
    found = shutil.which("tclsh")
    if found:
        return found
    for candidate in ("/usr/bin/tclsh", "/usr/bin/tclsh8.6"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require_tclsh() -> str:
    """For tests: the tclsh path, or skip with a message saying how to install it."""
    import pytest

    path = tclsh_path()
    if path is None:
        pytest.skip(SKIP_MESSAGE)
    return path


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "r": "\r", "\\": "\\"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def run_oracle_many(texts: Sequence[str], timeout: float = 120) -> List[OracleResult]:
    """Run every text in one ``tclsh`` process (start-up costs once). Raises if tclsh is absent."""
    tclsh = tclsh_path()
    if tclsh is None:
        raise RuntimeError(SKIP_MESSAGE)
    driver = _DRIVER.replace("%CALLBACKS%", " ".join(CALLBACK_KNOBS))
    with tempfile.TemporaryDirectory(prefix="tcl-oracle-") as tmp:
        paths = []
        for i, text in enumerate(texts):
            p = os.path.join(tmp, f"s{i}.nk")
            with open(p, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(text)
            paths.append(p)
        drv = os.path.join(tmp, "driver.tcl")
        with open(drv, "w", encoding="utf-8") as fh:
            fh.write(driver)
        proc = subprocess.run([tclsh, drv, *paths], capture_output=True, timeout=timeout,
                              cwd=tmp, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    results: List[OracleResult] = []
    cur: Optional[OracleResult] = None
    for line in proc.stdout.decode("utf-8", "replace").split("\n"):
        if line.startswith("@@FILE "):
            cur = OracleResult()
            results.append(cur)
        elif cur is None:
            continue
        elif line.startswith("@@RUN "):
            cur.executed.append(_unescape(line[6:]))
        elif line.startswith("@@NODE "):
            cur.nodes.append(_unescape(line[7:]))
        elif line.startswith("@@LIMIT "):
            cur.ok = False
            cur.error = _unescape(line[8:])
    if len(results) != len(texts) or proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise RuntimeError(f"tclsh failed (exit {proc.returncode}, {len(results)} of "
                           f"{len(texts)} scripts done): {err}")
    return results


def run_oracle(nk_text: str, timeout: float = 10) -> OracleResult:
    """Run one script's text under tclsh with the stubs; see the module docstring."""
    return run_oracle_many([nk_text], timeout=timeout)[0]
