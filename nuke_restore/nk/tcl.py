"""TCL words as TCL itself reads them, and which commands a piece of TCL would run.

Nothing here evaluates anything. ``parse_script`` splits text into commands and words following the
rules of the TCL manual (https://www.tcl-lang.org/man/tcl8.6/TclCmd/Tcl.htm): commands end at a newline
or ``;`` (or at the ``]`` closing a command substitution); words are ``{braced}`` (literal, only
backslash-newline is replaced), ``"quoted"`` or bare; ``[...]`` command substitutions nest to any
depth; ``$name``, ``${name}`` and ``$name(index)`` read variables (the index is substituted too);
backslash escapes (``\\n``, ``\\x41``, ``\\u0041``, ``\\U0001F600``, octal ``\\101``, backslash-newline)
are resolved; ``{*}`` expands a word into several; ``#`` starts a comment only where a command starts,
and a backslash-newline continues it.

``check_script`` and ``check_subst`` then walk every command (substitutions at any depth) and report
every command that is not in ``PURE_COMMANDS`` - the pure expression commands real Nuke scripts use -
and every command whose name cannot be known without running the script (built from a substitution,
a variable or a ``{*}`` expansion). Namespaces are resolved: ``::python`` is ``python``; any other
qualified name (``::tcl::...``, ``a::b``) is a finding.

A syntax error stops TCL where it is: the commands read before it run, the failing command (and
everything in it) does not, nor anything after (checked against tclsh 8.6). The checks follow that
rule. ``lenient`` reading (used for the knob blocks of nodes, which Nuke reads itself) keeps text
glued after a closing quote or brace in the word instead of failing.

Time is linear in the text: scanners jump between the few characters that matter with compiled
regular expressions, braces are matched without recursion, and command substitutions nest at most
``MAX_DEPTH`` deep (deeper is a finding, not a crash).
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

__all__ = ["Command", "Finding", "MAX_DEPTH", "PURE_COMMANDS", "TclSyntaxError", "TclTooDeep",
           "Word",
           "check_commands", "check_script", "check_subst", "command_name", "iter_commands",
           "parse_script",
           "parse_script_partial", "parse_subst"]

MAX_DEPTH = 100

#: Commands that only compute a value from their arguments and Nuke's state: reading a knob
#: (``value``, ``knob`` with one argument), the frame, the view, metadata, and TCL's string, list,
#: number and clock functions. None of them runs a script given as an argument, except ``expr``,
#: whose arguments are analysed as substituted text (``expr {[python x]}`` is a finding).
#: Decided from the TCL-evaluated values of 99 real Nuke-saved files (docs/security.md lists them).
PURE_COMMANDS = frozenset({
    # Nuke: reading knobs, nodes, pixels, metadata, plugin paths
    "value", "knob", "frame", "exists", "topnode", "metadata", "view", "date", "stack", "node",
    "class", "sample", "plugins", "basename", "channels", "input",
    # TCL: values, strings, lists
    "expr", "string", "format", "concat", "split", "join", "list", "lindex", "llength", "lrange",
    "lsearch", "regexp", "file", "clock",
    # TCL: control flow and local variables (bodies and conditions are checked like the rest)
    "if", "while", "for", "foreach", "catch", "set", "append", "lappend", "incr", "return",
    "break", "continue",
})
_VARIABLE_COMMANDS = frozenset({"set", "append", "lappend", "incr", "foreach"})
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Sub-commands of ``file`` that only take a path string apart.
_FILE_PURE = frozenset({"rootname", "tail", "dirname", "extension", "join", "split", "nativename",
                        "pathtype"})
_CLOCK_PURE = frozenset({"format", "seconds", "clicks", "milliseconds", "microseconds", "add",
                         "scan"})

_SKIP_CMD = re.compile(r"(?:[ \t\v\f\r\n;]|\\\n)*")
_SPACE = re.compile(r"(?:[ \t\v\f\r]|\\\n)*")
_BARE_STOP = re.compile(r"[ \t\v\f\r\n;\\\[$]")
_BARE_STOP_NESTED = re.compile(r"[ \t\v\f\r\n;\\\[\]$]")
_QUOTE_STOP = re.compile(r'[\\\["$]')
_SUBST_STOP = re.compile(r"[\\\[$]")
_INDEX_STOP = re.compile(r"[\\\[$)]")
_BRACE_STOP = re.compile(r"[{}\\]")
_VARNAME = re.compile(r"(?:[A-Za-z0-9_]|::)+")
_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX = {"x": re.compile(r"[0-9A-Fa-f]{1,2}"), "u": re.compile(r"[0-9A-Fa-f]{1,4}"),
        "U": re.compile(r"[0-9A-Fa-f]{1,8}")}
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_TERMINATORS = " \t\v\f\r\n;"
_BLANKS = re.compile(r"[ \t]*")


class TclSyntaxError(ValueError):
    """Text that TCL cannot read as a script (unclosed brace, quote or bracket, text glued after
    a closing quote or brace). ``ran``: the commands TCL reads, and so runs, before the error -
    those of the script level that holds the failing command (a command with an error inside
    it, substitutions included, does not run at all)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.ran: List[Command] = []


class TclTooDeep(TclSyntaxError):
    """Substitutions or scripts nested deeper than ``MAX_DEPTH``: not analysed, always reported."""


class Word:
    """One word of a command.

    ``kind``: ``brace``, ``quote`` or ``bare``. ``literal``: the word's text with escapes resolved
    and substitutions left out (for braces: the text between them). ``static``: True when the word
    has no substitution, i.e. ``literal`` is its value. ``subs``: the commands of its ``[...]``
    substitutions (variable indexes included), in order. ``expand``: written with ``{*}``.
    """

    __slots__ = ("start", "end", "kind", "literal", "static", "subs", "expand")

    def __init__(self, start: int, kind: str) -> None:
        self.start = start
        self.end = start
        self.kind = kind
        self.literal = ""
        self.static = True
        self.subs: List[Command] = _NO_SUBS  # shared until a substitution is added
        self.expand = False

    def __repr__(self) -> str:
        return f"Word({self.kind}, {self.literal!r}, static={self.static})"


_NO_SUBS: List[Command] = []  # never mutated: _add_subs replaces it


def _add_subs(w: Word, cmds: List[Command]) -> None:
    if cmds:
        if w.subs is _NO_SUBS:
            w.subs = list(cmds)
        else:
            w.subs.extend(cmds)


class Command:
    """One command: its words, and the offset where it starts."""

    __slots__ = ("start", "words", "semicolon")

    def __init__(self, start: int, words: List[Word]) -> None:
        self.start = start
        self.words = words
        self.semicolon = False  # ended by ';' (not by a newline)

    def __repr__(self) -> str:
        return f"Command({[w.literal for w in self.words]!r})"


class _Reader:
    def __init__(self, text: str, lenient: bool = False) -> None:
        self.text = text
        self.n = len(text)
        self.lenient = lenient
        self.sink = None  # set: top-level substitutions of parse_subst go there, not into subs

    # -- scripts -----------------------------------------------------------------------------------
    def script(self, pos: int, depth: int, nested: bool) -> Tuple[List[Command], int]:
        """Commands from ``pos`` to the end (or, nested, to the ``]`` that closes them; the returned
        offset is then just past it)."""
        if depth > MAX_DEPTH:
            raise TclTooDeep(f"command substitutions nested more than {MAX_DEPTH} deep", pos)
        text, n = self.text, self.n
        commands: List[Command] = []
        while True:
            pos = _SKIP_CMD.match(text, pos).end()
            if pos >= n:
                if nested:
                    raise TclSyntaxError("unclosed '[': the command substitution never ends", pos)
                return commands, pos
            c = text[pos]
            if nested and c == "]":
                return commands, pos + 1
            if c == "#":
                pos = self.comment(pos)
                continue
            try:
                cmd, pos = self.command(pos, depth, nested)
            except TclSyntaxError as exc:
                exc.ran = commands  # this command does not run; the ones before it did
                raise
            if cmd.words:
                commands.append(cmd)

    def comment(self, pos: int) -> int:
        text = self.text
        while True:
            j = text.find("\n", pos)
            if j < 0:
                return self.n
            k = j
            while k > pos and text[k - 1] == "\\":
                k -= 1
            if (j - k) % 2 == 0:
                return j + 1
            pos = j + 1

    def command(self, pos: int, depth: int, nested: bool) -> Tuple[Command, int]:
        text, n = self.text, self.n
        cmd = Command(pos, [])
        while True:
            pos = _SPACE.match(text, pos).end()
            if pos >= n:
                return cmd, pos
            c = text[pos]
            if c in "\n;":
                cmd.semicolon = c == ";"
                return cmd, pos + 1
            if nested and c == "]":
                return cmd, pos  # the caller sees the ']'
            word, pos = self.word(pos, depth, nested)
            cmd.words.append(word)

    # -- words -------------------------------------------------------------------------------------
    def word(self, pos: int, depth: int, nested: bool) -> Tuple[Word, int]:
        text, n = self.text, self.n
        expand = False
        if text.startswith("{*}", pos) and pos + 3 < n and text[pos + 3] not in _TERMINATORS \
                and not (nested and text[pos + 3] == "]"):
            expand = True
            pos += 3
        c = text[pos]
        if c == "{":
            w = Word(pos, "brace")
            end = self.braces(pos)
            w.literal = _brace_literal(text[pos + 1:end - 1])
            pos = end
        elif c == '"':
            w = Word(pos, "quote")
            pos = self.substituted(w, pos + 1, depth, _QUOTE_STOP, '"')
        else:
            w = Word(pos, "bare")
            pos = self.substituted(w, pos, depth, _BARE_STOP_NESTED if nested else _BARE_STOP, None)
        # Text glued to a closing brace/quote: an error for TCL, part of the word for Nuke's
        # reader of knob blocks (``lenient``).
        if pos < n and text[pos] not in _TERMINATORS and not (nested and text[pos] == "]") \
                and w.kind != "bare":
            if not self.lenient:
                raise TclSyntaxError(f"extra characters after close-{w.kind}", pos)
            rest = Word(pos, "bare")
            pos = self.substituted(rest, pos, depth, _BARE_STOP_NESTED if nested else _BARE_STOP,
                                   None)
            w.literal += rest.literal
            w.static = w.static and rest.static
            _add_subs(w, rest.subs)
        w.expand = expand
        w.end = pos
        return w, pos

    def braces(self, pos: int) -> int:
        """Offset just past the ``}`` matching the ``{`` at ``pos`` (escaped braces do not count)."""
        text = self.text
        depth = 0
        i = pos
        search = _BRACE_STOP.search
        while True:
            m = search(text, i)
            if m is None:
                raise TclSyntaxError("unclosed '{': the braced word never ends", pos)
            j = m.start()
            ch = text[j]
            if ch == "\\":
                i = j + 2
                continue
            depth += 1 if ch == "{" else -1
            i = j + 1
            if depth == 0:
                return i

    def substituted(self, w: Word, pos: int, depth: int, stop, close: Optional[str]) -> int:
        """Read a quoted (``close='"'``), bare or subst text into ``w``; return the end offset."""
        text, n = self.text, self.n
        parts: List[str] = []
        chunks: List[str] = []  # parts joined 4,096 at a time: a value with a million escapes
        while True:             # must not hold two million small strings at once
            if len(parts) > 4096:
                chunks.append("".join(parts))
                parts.clear()
            m = stop.search(text, pos)
            if m is None:
                if close is not None:
                    raise TclSyntaxError(f"unclosed {close!r}: the quoted word never ends", w.start)
                parts.append(text[pos:])
                pos = n
                break
            j = m.start()
            parts.append(text[pos:j])
            ch = text[j]
            if ch == "\\":
                if close is None and stop is not _SUBST_STOP and text.startswith("\\\n", j):
                    pos = j  # backslash-newline ends a bare word (it is a word separator)
                    break
                value, pos = backslash(text, j)
                parts.append(value)
            elif ch == "[":
                cmds, pos = self.script(j + 1, depth + 1, True)
                if self.sink is not None and depth == 0:
                    self.sink(cmds)  # checked now, not kept (200k substitutions in one value)
                else:
                    _add_subs(w, cmds)
                w.static = False
            elif ch == "$":
                end = self.variable(w, j, depth)
                if end is None:
                    parts.append("$")
                    pos = j + 1
                else:
                    pos = end
            elif close is not None and ch == close:
                pos = j + 1
                break
            else:  # a terminator of a bare word
                pos = j
                break
        if chunks:
            chunks.append("".join(parts))
            parts = chunks
        w.literal = "".join(parts)
        return pos

    def variable(self, w: Word, pos: int, depth: int) -> Optional[int]:
        """``$name``, ``${name}``, ``$name(index)`` at ``pos``; None for a lone ``$`` (literal)."""
        text, n = self.text, self.n
        i = pos + 1
        if i < n and text[i] == "{":
            end = text.find("}", i)
            if end < 0:
                raise TclSyntaxError("unclosed '${': the variable name never ends", pos)
            w.static = False
            return end + 1
        m = _VARNAME.match(text, i)
        if m is None:
            return None
        w.static = False
        i = m.end()
        if i < n and text[i] == "(":
            index = Word(i, "bare")
            i = self.substituted(index, i + 1, depth, _INDEX_STOP, ")")
            _add_subs(w, index.subs)
        return i


_BRACE_ESCAPE = re.compile(r"\\(?:\n[ \t]*|.)", re.S)


def _brace_literal(content: str) -> str:
    """A braced word's value: only backslash-newline (with the blanks after it) becomes a space."""
    if "\\\n" not in content:
        return content
    return _BRACE_ESCAPE.sub(lambda m: " " if m.group()[1] == "\n" else m.group(), content)


def backslash(text: str, pos: int) -> Tuple[str, int]:
    """The value of the backslash sequence at ``pos`` and the offset after it (TCL 8.6 rules)."""
    n = len(text)
    if pos + 1 >= n:
        return "\\", n
    c = text[pos + 1]
    if c == "\n":
        return " ", _BLANKS.match(text, pos + 2).end()
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], pos + 2
    if c in _HEX:
        m = _HEX[c].match(text, pos + 2)
        if m is None:
            return c, pos + 2
        code = int(m.group(), 16)
        # TCL 8.6 holds 16-bit characters: anything past U+FFFF reads as U+FFFD.
        return (chr(code) if code <= 0xFFFF else "\ufffd"), m.end()
    if "0" <= c <= "7":
        m = _OCTAL.match(text, pos + 1)
        return chr(int(m.group(), 8) & 0xFF), m.end()
    return c, pos + 2


# --------------------------------------------------------------------------------------------------
# Entry points

def parse_script(text: str, lenient: bool = False) -> List[Command]:
    """The commands of a TCL script. Raises TclSyntaxError (with the offset, and the commands
    that run before it in ``ran``) when TCL cannot read it. ``lenient``: text glued after a
    closing quote or brace stays in the word, as Nuke's reader of knob blocks does."""
    return _Reader(text, lenient).script(0, 0, False)[0]


def iter_commands(text: str, lenient: bool = False, sink=None):
    """The commands of a script one at a time (memory: one command), as ``parse_script`` reads
    them. A syntax error is raised where it occurs, after the commands before it. ``sink``: called
    with the commands of each ``[...]`` in the words of these commands as soon as it is read;
    they are then not kept in the words' ``subs``."""
    reader = _Reader(text, lenient)
    reader.sink = sink
    pos = 0
    n = len(text)
    while True:
        pos = _SKIP_CMD.match(text, pos).end()
        if pos >= n:
            return
        if text[pos] == "#":
            pos = reader.comment(pos)
            continue
        cmd, pos = reader.command(pos, 0, False)
        if cmd.words:
            yield cmd


def parse_script_partial(text: str) -> Tuple[List[Command], Optional[TclSyntaxError]]:
    """The commands TCL reads (and runs) before a syntax error, and that error (None when there
    is none)."""
    try:
        return parse_script(text), None
    except TclSyntaxError as exc:
        return exc.ran, exc


def parse_subst(text: str, sink=None) -> Word:
    """``text`` read the way ``subst`` (and Nuke evaluating a knob's text) reads it: backslash
    escapes, ``$`` variables and ``[...]`` substitutions, braces and quotes being plain text.
    Raises TclSyntaxError; its ``ran`` then holds every command that runs before the error (the
    substitutions before it, and the commands before the failing one in its own ``[...]``).
    ``sink``: called with the commands of each top-level ``[...]`` as soon as it is read, which
    then are not kept in ``subs`` (nor in ``ran``: they were handed over already)."""
    w = Word(0, "bare")
    reader = _Reader(text)
    reader.sink = sink
    try:
        w.end = reader.substituted(w, 0, 0, _SUBST_STOP, None)
    except TclSyntaxError as exc:
        exc.ran = w.subs + exc.ran
        raise
    return w


class Finding:
    """A command that would run. ``kind``: ``python`` (the ``python`` command), ``command`` (any
    other command outside ``PURE_COMMANDS``), ``dynamic`` (a name known only at run time) or
    ``syntax`` (text TCL cannot read: nothing after it can be vouched for). ``offset`` is relative
    to the text given to the check function (plus its ``base``)."""

    __slots__ = ("kind", "command", "offset", "message")

    def __init__(self, kind: str, command: str, offset: int, message: str) -> None:
        self.kind = kind
        self.command = command
        self.offset = offset
        self.message = message

    def __repr__(self) -> str:
        return f"Finding({self.kind}, {self.command!r}, {self.offset})"


def command_name(word: Word) -> Optional[str]:
    """The command a first word names, or None when only running the script would tell.

    ``::python`` (and ``:::python``) is the global ``python``; other qualified names are kept.
    """
    if word.expand or not word.static:
        return None
    name = word.literal
    if name.startswith("::"):
        name = name.lstrip(":")
    return name


def _pure_form(name: str, words: List[Word]) -> bool:
    if name == "file" or name == "clock":
        if len(words) < 2 or not words[1].static:
            return False
        return words[1].literal in (_FILE_PURE if name == "file" else _CLOCK_PURE)
    if name == "knob":
        return len(words) == 2  # reading a knob; ``knob name value`` sets one
    if name == "foreach":
        # foreach varlist list ?varlist list ...? body: every variable a plain local name.
        return all(w.static and all(_PLAIN_NAME.match(v) and v != "env" for v in w.literal.split())
                   for w in words[1:-1:2])
    if name in _VARIABLE_COMMANDS:
        # Only plain local names: not env(...) (the process environment), not ::ns::var.
        return len(words) >= 2 and words[1].static and bool(_PLAIN_NAME.match(words[1].literal)) \
            and words[1].literal != "env"
    return True


def _control_args(name: str, words: List[Word]) -> Optional[Tuple[List[Word], List[Word]]]:
    """(expression words, script words) of a control command; None when malformed."""
    n = len(words)
    if name == "if":
        exprs: List[Word] = []
        scripts: List[Word] = []
        i = 1
        while True:
            if i >= n:
                return None
            exprs.append(words[i])
            i += 1
            if i < n and words[i].static and words[i].literal == "then":
                i += 1
            if i >= n:
                return None
            scripts.append(words[i])
            i += 1
            if i >= n:
                return exprs, scripts
            if words[i].static and words[i].literal == "elseif":
                i += 1
                continue
            if words[i].static and words[i].literal == "else":
                i += 1
            if i != n - 1:
                return None
            scripts.append(words[i])
            return exprs, scripts
    if name == "while":
        return ([words[1]], [words[2]]) if n == 3 else None
    if name == "for":
        return ([words[2]], [words[1], words[3], words[4]]) if n == 5 else None
    if name == "foreach":
        return ([], [words[-1]]) if n >= 4 and n % 2 == 0 else None
    if name == "catch":
        # catch script ?resultVar? ?optionsVar?: the variables must be plain local names.
        if not 2 <= n <= 4 or not all(w.static and _PLAIN_NAME.match(w.literal)
                                      and w.literal != "env" for w in words[2:]):
            return None
        return [], [words[1]]
    return [], []


def _describe(name: str) -> str:
    shown = name if len(name) <= 40 else name[:37] + "..."
    return repr(shown)


def check_commands(commands: List[Command], base: int = 0, text: str = "",
                   out: Optional[List[Finding]] = None, depth: int = 0) -> List[Finding]:
    """Findings for ``commands`` and every substitution inside them, at any depth; the
    expressions and bodies of the allowed control commands (``if``, ``while``, ``for``,
    ``foreach``) and ``expr``'s arguments are checked as the expressions and scripts they are.
    ``text`` is the text the commands were parsed from (offsets index it)."""
    found: List[Finding] = [] if out is None else out
    if depth > MAX_DEPTH:
        found.append(Finding("syntax", "", base, f"scripts nested more than {MAX_DEPTH} deep"))
        return found
    todo = [c for c in reversed(commands)]
    while todo:
        cmd = todo.pop()
        words = cmd.words
        first = words[0]
        name = command_name(first)
        at = base + cmd.start
        if name is None:
            found.append(Finding("dynamic", first.literal, at,
                                 "command name built at run time (substitution, variable or "
                                 "{*}): cannot be checked"))
        elif name not in PURE_COMMANDS:
            kind = "python" if name == "python" else "command"
            found.append(Finding(kind, name, at, f"runs {_describe(name)}: not a pure expression "
                                 "command"))
        elif not _pure_form(name, words):
            found.append(Finding("command", name, at, f"{_describe(name)} in a form that acts "
                                 "(only reading forms, and plain local variables, are allowed)"))
        else:
            parts = ([w for w in words[1:]], []) if name == "expr" else _control_args(name, words)
            if parts is None:
                found.append(Finding("command", name, at, f"{_describe(name)} with arguments "
                                     "that cannot be analysed"))
            else:
                exprs, scripts = parts
                for w in exprs:
                    _check_again(w, base, text, found, depth, check_subst)
                for w in scripts:
                    _check_again(w, base, text, found, depth, check_script)
        for w in reversed(words):
            todo.extend(reversed(w.subs))
    return found


def _check_again(w: Word, base: int, text: str, found: List[Finding], depth: int, check) -> None:
    """A word a command evaluates once more (an expression, a script body)."""
    if w.kind == "brace" and text:
        check(text[w.start + 1:w.end - 1], base + w.start + 1, found, depth + 1)
    else:
        # Substitutions were checked as part of the command; what they return is unknown, the
        # literal rest is evaluated again (offsets: the word's start).
        sub: List[Finding] = []
        check(w.literal, 0, sub, depth + 1)
        for f in sub:
            f.offset = base + w.start
        found.extend(sub)


def check_script(text: str, base: int = 0, out: Optional[List[Finding]] = None,
                 depth: int = 0) -> List[Finding]:
    """Findings for a TCL script (a button's script, a loop body...). A syntax error stops TCL:
    what comes before it is checked, what follows never runs (verified with tclsh 8.6)."""
    found: List[Finding] = [] if out is None else out
    try:
        commands = parse_script(text)
    except TclTooDeep as exc:
        found.append(Finding("syntax", "", base + exc.offset, f"not analysed: {exc.message}"))
        commands = exc.ran
    except TclSyntaxError as exc:
        commands = exc.ran
    return check_commands(commands, base, text, found, depth)


def check_subst(text: str, base: int = 0, out: Optional[List[Finding]] = None,
                depth: int = 0) -> List[Finding]:
    """Findings for text Nuke evaluates (a file path, a label, an expression): its ``[...]``.
    As with ``subst``, a syntax error stops the evaluation where it is."""
    found: List[Finding] = [] if out is None else out
    if "[" not in text:
        return found
    def sink(commands: List[Command]) -> None:
        check_commands(commands, base, text, found, depth)

    try:
        commands = parse_subst(text, sink).subs
    except TclTooDeep as exc:
        found.append(Finding("syntax", "", base + exc.offset, f"not analysed: {exc.message}"))
        commands = exc.ran
    except TclSyntaxError as exc:
        commands = exc.ran
    return check_commands(commands, base, text, found, depth)
