"""What a .nk/.gizmo would run: the ``--untrusted`` analysis of a script's text. Standard library only.

A Nuke script is a TCL script. This module reads the file's *text* with TCL's own rules
(``tcl.py``), not the parser's model, so that text the parser would reject or read differently is
still seen the way TCL sees it. It reports:

- top-level commands other than what Nuke writes: node constructors (``Class {knobs}``), ``push``,
  ``set NAME ...``, ``version``, ``define_window_layout_xml``, ``add_layer``, ``end_group``,
  ``clone``; and any command substitution in the words of those (``set x [python ...]``);
- in every node (groups, gizmos and clones included): callback knobs holding code (``knobChanged``,
  ``onCreate``, Root's ``onScriptLoad``...), Python/TCL buttons and Python knobs, and every command
  substitution that is not a pure expression command, both in the words as TCL reads them at load
  time and in the knob text Nuke evaluates later (paths, labels, expressions);
- command names that cannot be resolved without running the script, and text TCL cannot read.

Exception, by exact text: our own builders write Root ``project_directory
"\\[python \\{nuke.script_directory()\\}]"`` (the folder of the script); that value, and only that
exact value on Root, is not reported. See docs/security.md.
"""
from __future__ import annotations

import re
from typing import Dict, List, NamedTuple, Optional

from . import tcl
from .model import GROUP_CLASSES
from .schema import Schema

__all__ = ["CALLBACK_KNOBS", "PROJECT_DIRECTORY_IDIOM", "UntrustedFinding", "scan_text"]

#: Python callback knobs Nuke runs by itself (the PythonKnob names of the 17.0v3 scan, plus Root's
#: script callbacks named after nuke.addOnScriptLoad & co).
CALLBACK_KNOBS = frozenset({
    "autolabel", "knobChanged", "onCreate", "onDestroy", "updateUI", "beforeRender",
    "beforeFrameRender", "afterFrameRender", "afterRender", "renderProgress", "afterRecording",
    "afterReplay", "beforeRecording", "beforeReplay", "onScriptLoad", "onScriptSave",
    "onScriptClose",
})
#: The one Python expression our builders write (Root.project_directory = the script's folder).
PROJECT_DIRECTORY_IDIOM = '"\\[python \\{nuke.script_directory()\\}]"'
# Knobs whose text Nuke never evaluates as TCL: BlinkScript kernel source (C++-like code where
# `[i]` indexes arrays).
_NOT_TCL_KNOBS = frozenset({"kernelSource"})
# addUserKnob type ids: 22 PyScript_Knob (Python button), 52 PythonKnob, 32 Script_Knob (TCL
# button), 35 Pulldown_Knob (menu of TCL commands).
_PY_USER_TYPES = {22: "Python button", 52: "Python knob"}
_TCL_USER_TYPES = {32: "TCL script button", 35: "TCL command menu"}
_TOP_LEVEL = frozenset({"version", "define_window_layout_xml", "add_layer", "push", "set",
                        "end_group", "clone"})
_CLASS_NAME = re.compile(r"[A-Za-z_][\w.]*\Z")
_PLAIN_VAR = re.compile(r"[A-Za-z_][\w]*\Z")
# TCL 8.6's own commands (tclsh `info commands`, plus its library procedures): never node classes.
_TCL_COMMANDS = frozenset("""
after append apply array auto_execok auto_import auto_load auto_load_index auto_mkindex
auto_qualify auto_reset binary break case catch cd chan clock close concat continue coroutine dict
encoding eof error eval exec exit expr fblocked fconfigure fcopy file fileevent flush for foreach
format gets glob global history if incr info interp join lappend lassign lindex linsert list
llength lmap load lrange lrepeat lreplace lreverse lsearch lset lsort namespace open package
parray pid pkg_mkIndex proc puts pwd read regexp regsub rename return scan seek set socket source
split string subst switch tailcall tclLog tcl_endOfWord tcl_findLibrary tcl_startOfNextWord
tcl_startOfPreviousWord tcl_wordBreakAfter tcl_wordBreakBefore tell throw time trace try unknown
unload unset update uplevel upvar variable vwait while yield yieldto zlib python
""".split())

_KIND_CODES = {"python": "python-in-tcl", "command": "tcl-command", "dynamic": "tcl-dynamic-command",
               "syntax": "tcl-unreadable"}


class UntrustedFinding(NamedTuple):
    code: str
    message: str
    offset: int
    node: Optional[str] = None
    knob: Optional[str] = None
    value: Optional[str] = None


class _Scan:
    def __init__(self, text: str, schema: Optional[Schema]) -> None:
        self.text = text
        self.schema = schema
        self.out: List[UntrustedFinding] = []
        self.groups: List[str] = []
        self._seen = set()

    def add(self, code: str, message: str, offset: int, node: Optional[str] = None,
            knob: Optional[str] = None, value: Optional[str] = None) -> None:
        key = (code, node, knob, message)
        if node is not None and key in self._seen:
            return  # the same finding from the load-time and the evaluation-time reading
        self._seen.add(key)
        self.out.append(UntrustedFinding(code, message, offset, node, knob, value))

    def findings(self, found: List[tcl.Finding], where: str, node: Optional[str] = None,
                 knob: Optional[str] = None, value: Optional[str] = None) -> None:
        for f in found:
            code = _KIND_CODES[f.kind]
            if f.kind == "python":
                message = f"[python ...] {where}: Python runs"
            else:
                message = f"{f.message} ({where})"
            self.add(code, message, f.offset, node, knob, value)

    def raw(self, word: tcl.Word) -> str:
        return self.text[word.start:word.end]

    # -- top level ---------------------------------------------------------------------------------
    def run(self) -> List[UntrustedFinding]:
        # One top-level command at a time: a million `push 0` lines must not become a million
        # objects held at once; substitutions in their words are checked as they are read.
        pending: List[tcl.Finding] = []

        def sink(commands: List[tcl.Command]) -> None:
            tcl.check_commands(commands, 0, self.text, pending)

        try:
            for cmd in tcl.iter_commands(self.text, sink=sink):
                if pending:
                    self.findings(pending, "in a top-level command, run when the script loads",
                                  value=self.text[cmd.start:cmd.words[-1].end])
                    pending.clear()
                self.top_command(cmd)
        except tcl.TclSyntaxError as error:
            self.findings(pending, "in a top-level command, run when the script loads")
            self.add("tcl-unreadable", f"not readable as TCL from here on ({error.message}): what "
                     "follows cannot be checked", error.offset)
        return self.out

    def top_command(self, cmd: tcl.Command) -> None:
        words = cmd.words
        name = tcl.command_name(words[0])
        for w in words:
            if w.subs:
                self.findings(tcl.check_commands(w.subs, 0, self.text),
                              "in a top-level command, run when the script loads",
                              value=self.raw(w))
        if name is None:
            self.add("tcl-dynamic-command", "top-level command whose name is built at run time "
                     "(substitution, variable or {*}): cannot be checked", cmd.start,
                     value=self.raw(words[0]))
            return
        if name in _TOP_LEVEL:
            self.allowed_top(name, cmd)
            return
        if len(words) == 2 and not words[1].expand and self.is_class(name, words[0]):
            self.node(name, words[1])
            return
        shown = name if len(name) <= 40 else name[:37] + "..."
        self.add("top-level-command", f"top-level command {shown!r} runs when the script loads "
                 "(Nuke writes only node blocks, push, set, version, add_layer, "
                 "define_window_layout_xml, end_group and clone)", cmd.start,
                 value=self.text[cmd.start:words[-1].end])

    def is_class(self, name: str, word: tcl.Word) -> bool:
        if name in _TCL_COMMANDS or not _CLASS_NAME.match(name) or word.kind != "bare":
            return False
        # Nuke's own TCL commands are lowercase (knob, script_save, knob_default...); node
        # classes and gizmos start with a capital, or are OFX ids or *.gizmo names.
        return name[0].isupper() or name.startswith(("OFX", "ofx")) or name.endswith(".gizmo") \
            or (self.schema is not None and self.schema.has_class(name))

    def allowed_top(self, name: str, cmd: tcl.Command) -> None:
        words = cmd.words
        if name == "end_group":
            if self.groups:
                self.groups.pop()
            return
        if name == "clone":
            if len(words) >= 3 and words[-1].kind == "brace":
                self.node(None, words[-1], clone=True)
            return
        if name == "set":
            var = words[1] if len(words) > 1 else None
            if var is None or not var.static or not _PLAIN_VAR.match(var.literal) \
                    or var.literal == "env":
                self.add("top-level-command", "set of a variable other than a plain name (an "
                         "array such as env(...), a namespace variable): changes the interpreter "
                         "state", cmd.start, value=self.text[cmd.start:words[-1].end])

    # -- nodes -------------------------------------------------------------------------------------
    def node(self, cls: Optional[str], body: tcl.Word, clone: bool = False) -> None:
        text = self.text
        if body.kind == "brace":
            base = body.start + 1
            inner = body.literal
            if len(inner) != body.end - 1 - base:  # backslash-newlines were joined: the text
                inner = text[base:body.end - 1]
            # (else the literal is that text already: no second copy of a huge node's body)
        else:
            base = body.start
            inner = body.literal
        # One command at a time (a node with 50,000 knobs must not hold 100,000 words); the
        # findings get the node's name, known only at the end, once the block is read.
        placeholder = f"\0node{len(self.out)}"
        first = len(self.out)
        name = None
        user_types: Dict[str, int] = {}
        previous = None
        pending: List[tcl.Finding] = []

        def sink(commands: List[tcl.Command]) -> None:
            tcl.check_commands(commands, base, inner, pending)

        try:
            for c in tcl.iter_commands(inner, lenient=True, sink=sink):
                words = c.words
                if pending:  # load time: the TCL reader substitutes quoted and bare words
                    self.findings(pending, "in a knob as the script is read", placeholder,
                                  words[0].literal, inner[c.start:words[-1].end])
                    pending.clear()
                for k, v in zip(words[0::2], words[1::2]):
                    if k.static and k.literal == "name" and v.static:
                        name = v.literal
                    self.knob(cls, placeholder, k, v, base, user_types, inner)
                if previous is not None and previous.semicolon:
                    # A ';' ends a command for TCL: what follows would be read as one.
                    self.findings(tcl.check_commands([c], base, inner),
                                  "after a ';' in a knob block, where TCL reads a new command",
                                  placeholder, words[0].literal, inner[c.start:words[-1].end])
                previous = c
        except tcl.TclSyntaxError as exc:
            self.findings(pending, "in a knob as the script is read", placeholder)
            self.add("tcl-unreadable", f"the knobs of this {cls or 'clone'} are not readable as "
                     f"TCL ({exc.message}): the rest of the node cannot be checked",
                     base + exc.offset, placeholder)
        shown = ".".join(self.groups + [name or cls or "clone"])
        if cls == "Root":
            shown = name or "Root"
        for i in range(first, len(self.out)):
            if self.out[i].node == placeholder:
                self.out[i] = self.out[i]._replace(node=shown)
        if cls in GROUP_CLASSES and not clone:
            self.groups.append(name or cls)

    def knob(self, cls: Optional[str], node: str, k: tcl.Word, v: tcl.Word, base: int,
             user_types: Dict[str, int], inner: str) -> None:
        kname = k.literal
        raw = inner[v.start:v.end]
        value_off = base + v.start
        for w in (k, v):  # load time: the TCL reader substitutes quoted and bare words
            if w.subs:
                self.findings(tcl.check_commands(w.subs, base, inner),
                              "in a knob as the script is read", node, kname, raw)
        short = kname.rsplit(".", 1)[-1]
        value = v.literal
        if short in CALLBACK_KNOBS:
            if value.strip():
                when = "when the script loads" if short.startswith("onScript") else "by itself"
                self.add("python-callback", f"{short} runs Python {when}", value_off, node,
                         kname, raw)
            return
        if short in _NOT_TCL_KNOBS:
            return
        if kname == "addUserKnob":
            self.user_knob(node, value, value_off, user_types, raw)
            return
        utype = user_types.get(kname)
        if utype in _PY_USER_TYPES or self.python_knob(cls, kname):
            if value.strip():
                self.add("python-button", f"{kname} holds Python", value_off, node, kname, raw)
            return
        if utype in _TCL_USER_TYPES:
            if value.strip():
                self.add("tcl-script-button", f"{kname} holds a TCL script", value_off, node,
                         kname, raw)
            return
        if cls == "Root" and kname == "project_directory" and raw == PROJECT_DIRECTORY_IDIOM:
            return
        # Evaluation: Nuke substitutes the knob's text when it evaluates it.
        self.evaluated(value, value_off + (1 if v.kind == "brace" else 0), v.kind == "brace",
                       "in a knob value Nuke evaluates", node, kname, raw)

    def evaluated(self, value: str, offset: int, exact: bool, where: str, node: Optional[str],
                  kname: Optional[str], raw: str, definition: bool = False) -> None:
        """Text Nuke evaluates, read twice: as it is, and with one level of backslashes
        resolved, because an expression ``{{"\\[python x]"}}`` is a quoted word inside the
        braces: Nuke reads ``[python x]`` from it and runs it."""
        found = tcl.check_subst(value, offset if exact else 0)
        if not exact:
            for f in found:
                f.offset = offset
        if "\\" in value and "[" in value:
            try:
                once = tcl.parse_subst(value).literal
            except tcl.TclSyntaxError:
                once = ""  # the first evaluation stops at the error: no second one
            for f in tcl.check_subst(once, 0):
                # User knob definitions (labels, tooltips) show bracketed words as text, e.g.
                # ``T "\\[OFF]"``: there, after one level, only python and TCL's own commands.
                if definition and not (f.kind == "python" or f.command in _TCL_COMMANDS):
                    continue
                f.offset = offset
                found.append(f)
        self.findings(found, where, node, kname, raw)

    def python_knob(self, cls: Optional[str], kname: str) -> bool:
        if cls is None or self.schema is None:
            return False
        info = self.schema.knob(cls, kname)
        return info is not None and info.is_python

    def user_knob(self, node: str, definition: str, offset: int, user_types: Dict[str, int],
                  raw: str) -> None:
        try:
            words = [w for c in tcl.parse_script(definition, lenient=True) for w in c.words]
        except tcl.TclSyntaxError:
            words = []
        if len(words) >= 2 and words[0].static and words[0].literal.isdigit():
            ktype = int(words[0].literal)
            kname = words[1].literal
            user_types[kname] = ktype
            if ktype in _PY_USER_TYPES:
                self.add("python-button", f"user knob type {ktype} ({_PY_USER_TYPES[ktype]}) "
                         "holds Python", offset, node, kname, raw)
                return
            if ktype in _TCL_USER_TYPES:
                self.add("tcl-script-button", f"user knob type {ktype} "
                         f"({_TCL_USER_TYPES[ktype]}) holds TCL", offset, node, kname, raw)
                return
        self.evaluated(definition, offset, False, "in a user knob definition", node,
                       "addUserKnob", raw, definition=True)


def scan_text(text: str, schema: Optional[Schema] = None) -> List[UntrustedFinding]:
    """Everything ``text`` (a .nk/.gizmo) would run, in file order of discovery; offsets index
    ``text``. ``schema`` tells which class knobs hold Python (``PyScript_Knob``...) and which
    lowercase names are node classes."""
    return _Scan(text, schema).run()
