"""Parse .nk/.gizmo text into the graph model (``model.Script``). Standard library only.

The parser runs Nuke's stack machine without evaluating anything: every node block pops its inputs
(``inputs N`` or ``N+M``; no line means one input; the top of the stack is input 0) and pushes itself;
``set V [stack 0]`` names the top, ``push $V`` / ``push 0`` push a named node / an empty slot;
``Group``/``Gizmo`` bodies run on their own stack until ``end_group``; ``clone $C {...}`` makes a clone.
Connections end up as object references in ``Node.inputs``; the stack commands themselves are kept
only as a layout hint (``Graph.layout``) so the writer can give real files back byte for byte.

Every problem is one ``NkSyntaxError`` with path, line and column.

>>> s = parse_text("Blur {\\n inputs 0\\n name B1\\n}\\nGrade {\\n name G1\\n}\\n")
>>> [n.name for n in s.nodes], s.find("G1").input(0).name
(['B1', 'G1'], 'B1')
"""
from __future__ import annotations

import logging
import os
import re
import sys
import weakref
from typing import Dict, List, Optional, Tuple, Union

from ..errors import NkSyntaxError
from .gcpause import collector_paused
from .lexer import (
    BODY_FAST,
    COMMAND_FAST,
    HEAD_FAST,
    HSPACE,
    KNOB_FAST,
    SPACE,
    Source,
    check_not_encrypted,
    decode,
    read_script_bytes,
)
from .model import GROUP_CLASSES, PASTE_INPUT, Directive, Graph, Knob, Node, Script
from .values import parse_word

logger = logging.getLogger(__name__)

__all__ = ["Layout", "parse_bytes", "parse_file", "parse_text", "parse_inputs"]

_INPUTS = re.compile(r"^\s*(\d+)(?:\s*\+\s*(\d+))?\s*$")
_STACK_REF = re.compile(r"^\[\s*stack\s+(\d+)\s*\]$")
_PASTE_VAR = "cut_paste_input"
_new_node = object.__new__
# Real scripts nest a few groups; the writer and Graph.walk recurse once per level.
_MAX_DEPTH = 200
_PLAIN_NAME = re.compile(r"[A-Za-z_][\w.]*\Z")
_FIRST_INPUTS = re.compile(r'[ \t\r\n]*inputs[ \t]+([^ \t\n\r\f\v{}"\[\\]+)(?=[ \t\r\n}])')
# Commands kept verbatim as top-level directives.
_DIRECTIVES = ("version", "define_window_layout_xml", "add_layer")
_COMMANDS = frozenset(_DIRECTIVES + ("push", "set", "end_group", "clone"))
_SLOW_CLASSES = _COMMANDS | frozenset(GROUP_CLASSES) | {"Root"}
#: The most inputs (mask included) a node may declare: Nuke 17.0v3's largest class, ZMerge,
#: takes 20,000. Anything larger is refused before a single slot is allocated.
MAX_INPUTS = 20000
_HUGE = 10 ** 9
#: Empty input slots a parse may allocate for nodes declaring more than 64 inputs, beyond this
#: base plus 2 per byte of text (8 bytes each: memory stays within 20x the file).
_SLOT_BASE = 1 << 16
_INPUTS_CACHE = {str(i): (i, 0) for i in range(64)}
_INPUTS_CACHE.update({f"{i}+{j}": (i, j) for i in range(16) for j in range(1, 4)})
_ONE_INPUT = (1, 0)


class Layout:
    """How a graph's commands were written: the writer replays this when it still fits the graph.

    ``ops`` holds one tuple per command, in file order: ``(kind, obj, lead, raw)`` where kind is
    ``node``/``dir`` (obj = the Node/Directive), ``push``/``set`` (obj = variable name), ``push0`` or
    ``end`` (``end_group``); ``lead`` is the exact text before the command (newlines, indentation,
    blank lines) and ``raw`` the command text for stack commands. ``tail`` is the text after the last
    command (top level only).
    """

    __slots__ = ("ops", "tail")

    def __init__(self) -> None:
        self.ops: List[tuple] = []
        self.tail = ""


def parse_inputs(value: str) -> Optional[Tuple[int, int]]:
    """``"2+1"`` -> (2, 1); ``"3"`` -> (3, 0); anything else -> None.

    Numbers longer than 9 digits read as 10**9 (never converted: a 5,000-digit ``inputs`` must
    not cost a big-integer parse); the parser refuses any count past ``MAX_INPUTS``.
    """
    m = _INPUTS.match(value)
    if m is None:
        return None
    a, b = m.group(1), m.group(2) or "0"
    return (int(a) if len(a) <= 9 else _HUGE), (int(b) if len(b) <= 9 else _HUGE)


class _Frame:
    __slots__ = ("graph", "stack", "layout", "owner", "pos", "pad_pre", "items_append",
                 "ops_append", "graph_ref")

    def __init__(self, graph: Graph, owner: Optional[Node], pos: int, depth: int = 0) -> None:
        self.pad_pre = "\n" + " " * (depth + 1)
        self.graph = graph
        self.stack: List[Optional[Node]] = []
        self.layout = Layout()
        self.owner = owner
        self.pos = pos
        graph.layout = self.layout
        self.items_append = graph.items.append
        self.ops_append = self.layout.ops.append
        self.graph_ref = weakref.ref(graph)  # what Node.parent holds (one shared ref per graph)


class _Parser:
    def __init__(self, src: Source, strict: bool = True, warnings: Optional[list] = None) -> None:
        self.src = src
        self.strict = strict
        self.warnings = warnings if warnings is not None else []
        self.text = src.text
        self.vars: Dict[str, Optional[Node]] = {}
        self.line = 1  # line number at self.pos (kept incrementally; LineIndex is for errors)
        self.slots = 0  # input slots of nodes declaring more than 64 inputs (a memory bound)
        self._pres: List[str] = []

    # -- top level ----------------------------------------------------------------------------------
    def parse(self, script: Script) -> Script:
        text = self.text
        n = len(text)
        frames = [_Frame(script, None, 0)]
        pos = 0
        src = self.src
        head_fast = HEAD_FAST.match
        cmd_fast = COMMAND_FAST.match
        variables = self.vars
        count = str.count
        find = str.find
        intern = sys.intern
        new_node = _new_node
        inputs_cache_get = _INPUTS_CACHE.get
        cur = None
        while True:
            # Fast path: one regex match per command in Nuke's own layout; anything unusual (or
            # wrong) falls through to the general code below, which also makes the error messages.
            m = cmd_fast(text, pos)
            fast_failed = -1 if m is not None else pos
            if m is not None:
                lead, cls, inval, close, pvar, p0, svar = m.group(1, 2, 4, 5, 6, 7, 8)
                frame = frames[-1]
                if frame is not cur:
                    cur = frame
                    stack = frame.stack
                    stack_pop = stack.pop
                    stack_append = stack.append
                    pad_pre = frame.pad_pre
                    pad_close = pad_pre[:-1]
                    graph_ref = frame.graph_ref
                    items_append = frame.items_append
                    ops_append = frame.ops_append
                if cls is not None:
                    if cls not in _SLOW_CLASSES:
                        # A node block in Nuke's own layout (the per-node hot path of a big
                        # script): same result as _node, with the knobs left undecoded.
                        b0, b1 = m.span(3)
                        if inval is None:
                            if find(text, "inputs", b0, b1) >= 0:
                                declared = False  # `inputs` not first: the general code finds it
                            else:
                                declared = None
                                total = 1
                        elif find(text, "inputs", m.end(4), b1) >= 0:
                            declared = False
                        else:
                            declared = inputs_cache_get(inval)
                            if declared is None:
                                declared = parse_inputs(inval) or False
                            if declared:
                                total = declared[0] + declared[1]
                                if stack and len(stack) < total:
                                    declared = False  # underflow: reported by the general code
                                elif total > 64:
                                    declared = False  # bounds: checked by the general code
                        if declared is not False:
                            line = self.line
                            if lead != "\n":
                                line += count(lead, "\n") - 1
                            line += 1
                            end = m.end()
                            node = new_node(Node)
                            node.cls = intern(cls)
                            node._knobs = None
                            node._src = (text, m.start(2), b0, b1, end, line, pad_pre)
                            node.line = line
                            node.clone_of = node.body = node.stack_var = node.head = None
                            node.clone_var = None
                            node.close = None if close == pad_close else intern(close + "}")
                            node._extra = None
                            if declared is None:
                                node.declared = _ONE_INPUT
                                node.mask_inputs = 0
                                if stack:
                                    node.inputs = [stack_pop()]
                                else:
                                    node.inputs = [None]
                                    node._extra = {"implicit_empty": True}
                            else:
                                node.declared = declared
                                node.mask_inputs = declared[1]
                                if total == 1:
                                    node.inputs = [stack_pop() if stack else None]
                                elif total:
                                    if len(stack) >= total:
                                        taken = stack[-total:]
                                        del stack[-total:]
                                        taken.reverse()
                                    else:
                                        taken = stack[::-1]
                                        stack.clear()
                                        taken.extend([None] * (total - len(taken)))
                                    node.inputs = taken
                                else:
                                    node.inputs = []
                            node._parent = graph_ref
                            items_append(node)
                            ops_append(("node", node, lead, None))
                            stack_append(node)
                            self.line = line + count(text, "\n", b0, end)
                            pos = end
                            continue
                elif pvar is not None:
                    if pvar in variables:
                        self.line += count(lead, "\n")
                        stack_append(variables[pvar])
                        ops_append(("push", pvar, lead, "push $" + pvar))
                        pos = m.end()
                        continue
                elif p0 is not None:
                    self.line += count(lead, "\n")
                    stack_append(None)
                    ops_append(("push0", None, lead, "push 0"))
                    pos = m.end()
                    continue
                elif svar is not None and (stack or svar != _PASTE_VAR):
                    self.line += count(lead, "\n")
                    top = stack[-1] if stack else None
                    variables[svar] = top
                    if top is not None and top is not PASTE_INPUT and top.stack_var is None:
                        top.stack_var = svar
                    ops_append(("set", svar, lead, f"set {svar} [stack 0]"))
                    pos = m.end()
                    continue
            start = pos
            pos = SPACE.match(text, pos).end()
            lead = text[start:pos]
            self.line += lead.count("\n")
            if pos >= n:
                frames[-1].layout.tail = lead
                break
            frame = frames[-1]
            c = text[pos]
            if c == "#":
                end = text.find("\n", pos)
                end = n if end < 0 else end
                d = Directive(text[pos:end], line=self.line)
                frame.graph.append(d)
                frame.layout.ops.append(("dir", d, lead, None))
                pos = end
                continue
            if c == "}":
                err = src.error("unexpected '}' with no open node or brace group (unbalanced "
                                "leftover from hand-editing?)", pos)
                if self.strict:
                    raise err
                # Nuke reports a stray top-level '}' and loads the rest; so does lenient mode,
                # keeping it as a directive so the file is written back byte for byte.
                self.warnings.append(err)
                d = Directive("}", line=self.line)
                frame.graph.append(d)
                frame.layout.ops.append(("dir", d, lead, None))
                pos += 1
                continue
            m = head_fast(text, pos)
            if m is not None and m.group(1) not in _COMMANDS:
                # ``Class {`` - the common case, without the general word scanner.
                # COMMAND_FAST already failed on this body when the header is Nuke's own.
                pos = self._node(frames, m.group(1), pos, m.end() - 1, lead, None,
                                 skip_fast=fast_failed == start and m.group(2) == " ")
                continue
            word_end = src.scan_word(pos)
            word = text[pos:word_end]
            if word == "push":
                pos = self._push(frame, pos, word_end, lead)
            elif word == "set":
                pos = self._set(frame, pos, word_end, lead)
            elif word == "end_group":
                pos = self._line_end(word_end, "end_group")
                if len(frames) == 1:
                    raise src.error("end_group without a Group or Gizmo to close", word_end - 9)
                frame.layout.ops.append(("end", None, lead, word))
                frames.pop()
                owner = frame.owner
                outer = frames[-1]
                outer.stack.append(owner)
            elif word == "clone":
                pos = self._clone(frames, pos, word_end, lead)
            else:
                if word[0] in '{"[' or word[0] == "\\":
                    raise src.error(f"expected a node class or a command, got {word[:40]!r}", pos)
                after = HSPACE.match(text, word_end).end()
                if after < n and text[after] == "{" and word not in _DIRECTIVES:
                    pos = self._node(frames, word, pos, after, lead, None)
                else:
                    if word not in _DIRECTIVES and self.strict:
                        # A bare word that is neither a node nor a command Nuke writes: typically a
                        # file cut in the middle of the next class name. Nuke refuses it too.
                        # (Lenient mode keeps it; validation reports it as unknown-command.)
                        raise src.error(f"unknown command {word[:40]!r} (not a node: no '{{' "
                                        "follows; file truncated?)", pos)
                    pos = self._directive(frame, pos, word_end, lead)
        if len(frames) > 1:
            owner = frames[-1].owner
            raise src.error(f"{owner.cls} {owner.name!r} opened at line {owner.line} has no "
                            "end_group (file truncated?)", n)
        return script

    def _line_end(self, pos: int, what: str) -> int:
        """Check that only whitespace follows on this line; return the offset of that whitespace."""
        text = self.text
        end = HSPACE.match(text, pos).end()
        if end < len(text) and text[end] != "\n":
            raise self.src.error(f"unexpected text after {what}: {text[end:end + 20]!r}", end)
        return pos

    def _words_to_eol(self, pos: int) -> int:
        """Scan words from ``pos`` to the end of the command (the end of the line outside words)."""
        text = self.text
        n = len(text)
        src = self.src
        end = pos
        while True:
            p = HSPACE.match(text, end).end()
            if p >= n or text[p] == "\n":
                return end
            if text[p] == "}":
                raise src.error("unexpected '}' (unbalanced brace)", p)
            end = src.scan_word(p)

    def _directive(self, frame: _Frame, pos: int, word_end: int, lead: str) -> int:
        end = self._words_to_eol(word_end)
        raw = self.text[pos:end]
        d = Directive(raw, line=self.line)
        self.line += raw.count("\n")
        frame.graph.append(d)
        frame.layout.ops.append(("dir", d, lead, None))
        return end

    def _args(self, pos: int, count: int, what: str) -> Tuple[List[str], int]:
        text = self.text
        n = len(text)
        out = []
        end = pos
        for _ in range(count):
            p = HSPACE.match(text, end).end()
            if p >= n or text[p] in "\n}":
                raise self.src.error(f"{what}: missing argument", p)
            end = self.src.scan_word(p)
            out.append(text[p:end])
        self._line_end(end, what)
        return out, end

    def _push(self, frame: _Frame, pos: int, word_end: int, lead: str) -> int:
        (arg,), end = self._args(word_end, 1, "push")
        raw = self.text[pos:end]
        if arg == "0":
            frame.stack.append(None)
            frame.layout.ops.append(("push0", None, lead, raw))
            return end
        if not arg.startswith("$") or len(arg) < 2:
            raise self.src.error(f"push expects $variable or 0, got {arg!r}", pos)
        var = arg[1:]
        if var.startswith("{") and var.endswith("}"):
            var = var[1:-1]
        if var not in self.vars:
            if var == _PASTE_VAR:
                node: Optional[Node] = PASTE_INPUT
            else:
                err = self.src.error(f"push ${var}: unknown variable (no 'set {var} [stack 0]' "
                                     "before it)", pos)
                if self.strict:
                    raise err
                # Nuke reports this and goes on with an empty input; so does lenient mode.
                self.warnings.append(err)
                node = None
        else:
            node = self.vars[var]
        frame.stack.append(node)
        frame.layout.ops.append(("push", var, lead, raw))
        return end

    def _set(self, frame: _Frame, pos: int, word_end: int, lead: str) -> int:
        (var, ref), end = self._args(word_end, 2, "set")
        raw = self.text[pos:end]
        m = _STACK_REF.match(ref)
        if m is None:
            # Not a stack command (a TCL variable): keep it verbatim.
            return self._directive(frame, pos, word_end, lead)
        depth = int(m.group(1))
        stack = frame.stack
        if var == _PASTE_VAR and not stack:
            # Clipboard header: whatever is selected when pasting.
            d = Directive(raw, line=self.line)
            frame.graph.append(d)
            frame.layout.ops.append(("dir", d, lead, None))
            self.vars[var] = PASTE_INPUT
            return end
        node = stack[-1 - depth] if depth < len(stack) else None
        self.vars[var] = node
        if node is not None and node is not PASTE_INPUT and node.stack_var is None:
            node.stack_var = var
        frame.layout.ops.append(("set", var, lead, raw))
        return end

    def _clone(self, frames: List[_Frame], pos: int, word_end: int, lead: str) -> int:
        text = self.text
        p = HSPACE.match(text, word_end).end()
        if p >= len(text) or text[p] in "\n{}":
            raise self.src.error("clone expects $variable {knobs}", p)
        if text[p] != "$":
            # Clone of a node outside this file (pasted from another script):
            # ``clone node18e3d27400|Read|13140 Read {`` - the knobs are all there; keep the reference.
            ref_end = self.src.scan_word(p)
            q = HSPACE.match(text, ref_end).end()
            if q >= len(text) or text[q] in "\n{}":
                raise self.src.error("clone <id> expects a node class and {knobs}", q)
            cls_end = self.src.scan_word(q)
            after = HSPACE.match(text, cls_end).end()
            if after >= len(text) or text[after] != "{":
                raise self.src.error("clone: expected '{' with the clone's knobs", after)
            return self._node(frames, text[q:cls_end], pos, after, lead, None,
                              clone_ref=text[p:ref_end])
        var_end = self.src.scan_word(p)
        var = text[p + 1:var_end]
        after = HSPACE.match(text, var_end).end()
        if after >= len(text) or text[after] != "{":
            raise self.src.error(f"clone ${var}: expected '{{' with the clone's knobs", after)
        original = self.vars.get(var)
        if original is None or original is PASTE_INPUT:
            raise self.src.error(f"clone ${var}: unknown variable (no 'set {var} [stack 0]' after "
                                 "the original node)", p)
        return self._node(frames, original.cls, pos, after, lead, (original, var))

    # -- node blocks ------------------------------------------------------------------------------
    def _pre(self, depth: int) -> str:
        """The whitespace Nuke writes before a knob at this nesting depth."""
        pres = self._pres
        while len(pres) <= depth:
            pres.append("\n" + " " * (len(pres) + 1))
        return pres[depth]

    def _node(self, frames: List[_Frame], cls: str, pos: int, brace: int, lead: str,
              clone: Optional[Tuple[Node, str]], clone_ref: Optional[str] = None,
              skip_fast: bool = False) -> int:
        text = self.text
        src = self.src
        n = len(text)
        frame = frames[-1]
        depth = len(frames) - 1
        node_line = self.line
        node = Node(cls, line=node_line)
        head = text[pos:brace + 1]
        # Layout hints are stored only where the file differs from Nuke's own layout (memory).
        if clone is not None or clone_ref is not None or head != cls + " {":
            node.head = head
        if clone is not None:
            node.clone_of, node.clone_var = clone
        if clone_ref is not None:
            node.extra["clone_ref"] = clone_ref
        line = node_line
        pad_pre = self._pre(depth)
        inputs_value: Optional[str] = None
        inputs_pos = pos
        m = None if skip_fast else BODY_FAST.match(text, brace + 1)
        if m is not None:
            # Common case: every knob is a plain ``name value`` pair. Keep the text range and decode
            # the knobs on first use (most nodes of a big script are never looked at).
            b0, b1, i = brace + 1, m.end(1), m.end()
            close = m.group(2)
            if close != pad_pre[:-1]:
                node.close = sys.intern(close + "}")
            node._src = (text, pos, b0, b1, i, node_line, pad_pre)
            node._knobs = None
            if text.find("inputs", b0, b1) >= 0:
                mi = _FIRST_INPUTS.match(text, b0)
                if mi is not None and text.find("inputs", mi.end(), b1) < 0:
                    inputs_value = mi.group(1)
                else:  # `inputs` elsewhere: decode now to know which word is the knob
                    for k in node.knobs:
                        if k.name == "inputs":
                            inputs_value = k.value
            line += text.count("\n", b0, i)
        else:
            # Any other layout: scanned here (the end, line count and ``inputs`` are needed now),
            # decoded on first use like the common case (``b1`` None marks the general form).
            i, line, inputs_value, inputs_pos, close = knob_block(
                src, cls, node_line, brace, line, pad_pre, None)
            if close is not None:
                node.close = close
            node._src = (text, pos, brace, None, i, node_line, pad_pre)
            node._knobs = None
        self.line = line


        # Inputs: pop from this frame's stack (top = input 0).
        if cls == "Root" and clone is None:
            n_in, n_mask, explicit = 0, 0, True
        elif inputs_value is None:
            n_in, n_mask, explicit = 1, 0, False
        else:
            parsed = parse_inputs(inputs_value)
            if parsed is None:
                if inputs_pos == pos:  # found by the fast path: locate the knob for the message
                    inputs_pos = text.find(inputs_value, text.find("inputs", brace, i), i)
                raise src.error(f"inputs must be N or N+M, got {inputs_value!r} on {cls}", inputs_pos)
            n_in, n_mask = parsed
            explicit = True
        total = n_in + n_mask
        if total > 64:
            if inputs_pos == pos:
                inputs_pos = text.find(inputs_value, text.find("inputs", brace, i), i)
            if total > MAX_INPUTS:
                raise src.error(f"inputs {inputs_value.strip()[:20]} on {cls}: more inputs than "
                                f"any Nuke node takes (at most {MAX_INPUTS})", inputs_pos)
            self.slots += total
            if self.slots > _SLOT_BASE + 2 * n:
                raise src.error(f"inputs {inputs_value.strip()}: the nodes of this file declare "
                                f"{self.slots} inputs in all, far more than its size allows "
                                "(a script this small cannot connect them)", inputs_pos)
        node.declared = (n_in, n_mask) if explicit else (1, 0)
        stack = frame.stack
        if total:
            # An empty stack is normal (a saved gizmo's ``Gizmo { inputs 3`` or a pasted node: their
            # inputs are connected later); a stack that holds some but too few entries is not.
            if stack and len(stack) < total and explicit:
                if inputs_pos == pos:
                    inputs_pos = text.find(inputs_value, text.find("inputs", brace, i), i)
                err = src.error(f"stack underflow: {cls} (line {node_line}) takes {total} inputs "
                                f"but only {len(stack)} are on the stack", inputs_pos)
                if self.strict:
                    raise err
                self.warnings.append(err)
            if not stack and not explicit:
                node.extra["implicit_empty"] = True
            taken = stack[len(stack) - total:] if len(stack) >= total else list(stack)
            del stack[len(stack) - len(taken):]
            taken.reverse()
            taken.extend([None] * (total - len(taken)))
            node.inputs = taken
        node.mask_inputs = n_mask
        frame.graph.append(node)
        frame.layout.ops.append(("node", node, lead, None))

        is_group = cls in GROUP_CLASSES and clone is None
        if is_group:
            node.body = Graph(owner=node)
            if len(frames) > _MAX_DEPTH:
                raise src.error(f"groups nested more than {_MAX_DEPTH} deep", pos)
            frames.append(_Frame(node.body, node, pos, len(frames)))
        elif cls != "Root" or clone is not None:
            stack.append(node)
        # Only whitespace may follow a node's closing brace on its line.
        end = HSPACE.match(text, i).end()
        if end < n and text[end] != "\n":
            raise src.error(f"unexpected text after the closing brace of {cls}: "
                            f"{text[end:end + 20]!r}", end)
        return i


def knob_block(src: Source, cls: str, node_line: int, brace: int, line: int, pad_pre: str,
               knobs: Optional[List[Knob]]) -> Tuple[int, int, Optional[str], int, Optional[str]]:
    """The general knob loop (quoted names, multi-line values, brackets...) of the node block
    whose ``{`` is at ``brace``.

    Appends the knobs to ``knobs``, or with ``knobs=None`` only scans (the parser keeps the text
    and the model decodes it on first use, with this same function, so both agree by construction).
    Returns (end offset, line at the end, last ``inputs`` value, its offset, closing text when it is
    not Nuke's own, else None).
    """
    text = src.text
    n = len(text)
    intern = sys.intern
    fast = KNOB_FAST.match
    space = SPACE.match
    inputs_value: Optional[str] = None
    inputs_pos = brace
    i = brace + 1
    while True:
        m = fast(text, i)
        if m is not None:
            pre, name, sep, value = m.groups()
            line += pre.count("\n")
            if knobs is not None:
                knobs.append(Knob(intern(name), value, line,
                                  None if pre == pad_pre else intern(pre), sep))
            if name == "inputs":
                inputs_value, inputs_pos = value, m.start(4)
            i = m.end()
            continue
        j = space(text, i).end()
        if j >= n:
            raise src.error(f"unclosed node: the '{{' of {cls} opened at line {node_line} is "
                            "never closed (file truncated?)", brace)
        if text[j] == "}":
            line += text.count("\n", i, j)
            close = text[i:j + 1]
            return (j + 1, line, inputs_value, inputs_pos,
                    None if close == pad_pre[:-1] + "}" else intern(close))
        pre = text[i:j]
        line += pre.count("\n")
        name_end = src.scan_word(j)
        if name_end == j:  # cannot happen for a non-space, non-'}' char; guard progress anyway
            raise src.error(f"unexpected character {text[j]!r} in node {cls}", j)
        qname = text[j:name_end]
        k = HSPACE.match(text, name_end).end()
        if k < n and text[k] == "\n":
            # A knob name alone on its line: Nuke pairs words regardless of lines, so allow it.
            k = space(text, k).end()
        if k >= n or text[k] == "}":
            raise src.error(f"knob {qname!r} of {cls} has no value", j)
        value_end = src.scan_word(k)
        name = parse_word(qname) if qname[0] in '"{\\' or "\\" in qname else qname
        if knobs is not None:
            knobs.append(Knob(intern(name), text[k:value_end], line,
                              None if pre == pad_pre else intern(pre),
                              text[name_end:k], None if _PLAIN_NAME.match(qname) else qname))
        if name == "inputs":
            inputs_value, inputs_pos = text[k:value_end], k
        line += text.count("\n", name_end, value_end)
        i = value_end


def decode_block(text: str, brace: int, node_line: int, pad_pre: str) -> List[Knob]:
    """The knobs of a node block the parser only scanned (see ``knob_block``)."""
    knobs: List[Knob] = []
    knob_block(Source(text), "node", node_line, brace, node_line, pad_pre, knobs)
    return knobs


def _kind(script: Script) -> str:
    for item in script.items:
        if isinstance(item, Directive) and item.command == "set" and _PASTE_VAR in item.text:
            return "clipboard"
    nodes = script.nodes
    if any(n.cls == "Root" for n in nodes):
        return "script"
    if any(n.body is not None for n in nodes):
        return "gizmo"
    return "bare"


def parse_text(text: str, path: Optional[Union[str, os.PathLike]] = None, *,
               strict: bool = True) -> Script:
    """Parse decoded .nk text (``\\r\\n`` newlines are accepted). Raises NkSyntaxError.

    ``strict=False`` accepts what Nuke itself only reports and skips (``push`` of an unknown variable,
    a stack underflow): the input is left empty and the problem is kept in ``script.warnings``.
    """
    newline = "\n"
    if "\r\n" in text and text.count("\r\n") == text.count("\n"):
        newline = "\r\n"
        text = text.replace("\r\n", "\n")
    return _parse(text, None if path is None else str(path), newline, False, strict)


def parse_bytes(data: bytes, path: Optional[Union[str, os.PathLike]] = None, *,
                strict: bool = True) -> Script:
    """Parse the bytes of a .nk/.gizmo file. Raises NkSyntaxError (EncryptedScriptError for
    Non-Commercial/Indie scripts). See ``parse_text`` for ``strict``."""
    spath = None if path is None else str(path)
    check_not_encrypted(data, spath)
    text, newline, bom = decode(data)
    return _parse(text, spath, newline, bom, strict)


def parse_file(path: Union[str, os.PathLike], *, strict: bool = True) -> Script:
    """Read and parse a .nk/.gizmo file. An unreadable file, or anything but a regular file (FIFO,
    device, folder), raises NkSyntaxError too."""
    return parse_bytes(read_script_bytes(path), path, strict=strict)


def _parse(text: str, path: Optional[str], newline: str, bom: bool, strict: bool) -> Script:
    script = Script(kind="script", path=path)
    script.newline = newline
    script.extra["bom"] = bom
    parser = _Parser(Source(text, path), strict, script.warnings)
    try:
        with collector_paused():  # see gcpause: big scripts made the collector super-linear
            parser.parse(script)
    except RecursionError as exc:  # pragma: no cover - pathological nesting
        raise NkSyntaxError("nesting too deep", path=path) from exc
    script.kind = _kind(script)
    layout = script.layout
    script.trailing_newline = layout.tail.endswith("\n")
    return script

