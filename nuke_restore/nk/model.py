"""The graph model of a Nuke script: scripts, groups, nodes, knobs and connections.

A ``Script`` is an ordered list of top-level items: ``Node`` objects and ``Directive`` objects (verbatim
top-level commands that are not nodes: ``#!`` and ``#write_info`` comments, ``version``,
``define_window_layout_xml``, ``add_layer``...). Groups and gizmos are nodes whose ``body`` is a ``Graph``
of their inner nodes. Connections are object references by input index, never stack commands: the
writer derives ``set``/``push`` from them.

Knob values are kept as the raw TCL text Nuke wrote (``"a b"``, ``{1 2 3}``, ``true``), so parse -> write
reproduces them exactly; ``Node.set`` formats Python values the way Nuke does (see ``values``).

Example (building, as recipes do):

    >>> s = Script.new()
    >>> read = s.add("Read", [("file", "plates/src.####.exr"), ("first", 1001)], inputs=())
    >>> grade = s.add("Grade", [("white_clamp", True)], inputs=[read])
    >>> grade.input(0) is read, grade.knob("white_clamp")
    (True, 'true')
"""
from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from .gcpause import collector_paused
from .lexer import KNOB_FAST
from .values import format_value, parse_word

KnobSpec = Union[Sequence[Tuple[str, Any]], "dict[str, Any]", None]

GROUP_CLASSES = ("Group", "Gizmo", "LiveGroup")


class Knob:
    """One knob line: ``name`` and its value as raw TCL text (exactly as written in the file).

    ``pre`` (the whitespace before the name), ``sep`` (between name and value) and ``qname`` (the name as
    written when it was quoted) are parser hints for byte-exact output; built knobs leave them None.
    They take no part in equality.

    Memory: a big script holds millions of these, so the storage is compact (the attributes above
    are properties over it). ``_hint`` is None (no hints), the ``sep`` string alone (the common
    parsed knob: no ``pre`` of its own, bare name) or a ``(pre, sep, qname)`` tuple; the line is
    ``_line + _off``, where a decoded knob shares its node's line object and keeps a small offset
    (small ints are shared by Python; a distinct line number per knob cost 32 bytes each).
    """

    __slots__ = ("name", "value", "_line", "_off", "_hint")

    def __init__(self, name: str, value: str, line: int = 0, pre: Optional[str] = None,
                 sep: Optional[str] = None, qname: Optional[str] = None) -> None:
        self.name = name
        self.value = value
        self._line = line  # 1-based source line when parsed; 0 when built
        self._off = 0
        self._hint = sep if pre is None and qname is None else (pre, sep, qname)

    @property
    def line(self) -> int:
        """1-based source line when parsed; 0 when built."""
        return self._line + self._off

    @line.setter
    def line(self, value: int) -> None:
        self._line = value
        self._off = 0

    @property
    def pre(self) -> Optional[str]:
        hint = self._hint
        return hint[0] if type(hint) is tuple else None

    @pre.setter
    def pre(self, value: Optional[str]) -> None:
        self._set_hints(value, self.sep, self.qname)

    @property
    def sep(self) -> Optional[str]:
        hint = self._hint
        return hint[1] if type(hint) is tuple else hint

    @sep.setter
    def sep(self, value: Optional[str]) -> None:
        self._set_hints(self.pre, value, self.qname)

    @property
    def qname(self) -> Optional[str]:
        hint = self._hint
        return hint[2] if type(hint) is tuple else None

    @qname.setter
    def qname(self, value: Optional[str]) -> None:
        self._set_hints(self.pre, self.sep, value)

    def _set_hints(self, pre: Optional[str], sep: Optional[str], qname: Optional[str]) -> None:
        self._hint = sep if pre is None and qname is None else (pre, sep, qname)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Knob):
            return NotImplemented
        return self.name == other.name and self.value == other.value

    def __hash__(self) -> int:
        return hash((self.name, self.value))

    def __repr__(self) -> str:
        return f"Knob({self.name!r}, {self.value!r}, line={self.line})"


@dataclass
class Directive:
    """A top-level command kept verbatim (``version 15.1 v1``, ``#! ... -nx``, ``add_layer {...}``)."""

    text: str
    line: int = 0

    @property
    def command(self) -> str:
        word = self.text.split(None, 1)[0] if self.text.strip() else ""
        return "#" if word.startswith("#") else word


class Node:
    """A node block. Knobs are ordered; ``inputs`` holds the connected node (or None) per input index.

    ``mask_inputs`` is M in ``inputs N+M``: the last M entries of ``inputs`` are mask inputs.
    ``clone_of`` is set on a ``clone $C...`` node (its knobs are only the non-shared ones).
    ``body`` is the inner graph of a Group/Gizmo, else None.
    """

    __slots__ = ("cls", "_knobs", "_src", "inputs", "mask_inputs", "clone_of", "body", "_parent",
                 "line", "stack_var", "_extra", "head", "close", "clone_var", "declared",
                 "__weakref__")

    def __init__(
        self,
        cls: str,
        knobs: Optional[List[Knob]] = None,
        inputs: Optional[List[Optional[Node]]] = None,
        *,
        mask_inputs: int = 0,
        clone_of: Optional[Node] = None,
        body: Optional[Graph] = None,
        line: int = 0,
    ) -> None:
        self.cls = cls
        self._knobs: Optional[List[Knob]] = list(knobs) if knobs else []
        # Parser hint: where the node's text is, for knobs decoded on first use and verbatim
        # output of untouched nodes (see ``knobs``).
        self._src: Optional[tuple] = None
        self.inputs: List[Optional[Node]] = list(inputs or [])
        self.mask_inputs = mask_inputs
        self.clone_of = clone_of
        self.body = body
        # A weak reference (see ``parent``): the graph owns its nodes, not the other way round.
        self._parent: Optional[weakref.ref] = None
        self.line = line
        # Parser hints for byte-exact round trips (the writer may reuse them; builders leave None).
        self.stack_var: Optional[str] = None
        self.head: Optional[str] = None  # the header as written ("Grade {", "clone $C1a2b3c00 {")
        self.close: Optional[str] = None  # the text from the last knob to the closing brace
        self.clone_var: Optional[str] = None  # the variable a parsed clone named its original by
        self.declared: Optional[Tuple[int, int]] = None  # (N, M) of `inputs` as parsed
        self._extra: Optional[dict] = None

    @property
    def parent(self) -> Optional[Graph]:
        """The graph holding this node (None when it is in none, or that graph no longer exists).

        Held weakly, as ``Graph.owner`` is: a script has no reference cycles, so a dropped script
        is freed at once by reference counting instead of waiting for the cyclic collector (which
        made parsing many scripts in one process up to ~25 % slower).
        """
        ref = self._parent
        return None if ref is None else ref()

    @parent.setter
    def parent(self, graph: Optional[Graph]) -> None:
        self._parent = None if graph is None else weakref.ref(graph)

    # pickle and copy.deepcopy: the parent travels as a plain reference (so a copied node points
    # to the copied graph) and is made weak again on load.
    def __getstate__(self) -> dict:
        state = {name: getattr(self, name) for name in _NODE_STATE if hasattr(self, name)}
        state["_parent"] = self.parent
        return state

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            if name == "_parent":
                self.parent = value
            else:
                setattr(self, name, value)

    @property
    def extra(self) -> dict:
        """Free-form annotations (parser hints such as ``clone_ref``); created on first use."""
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        return extra

    @extra.setter
    def extra(self, value: dict) -> None:
        self._extra = value

    # -- knobs -------------------------------------------------------------------------------------
    @property
    def knobs(self) -> List[Knob]:
        """The knob lines in order. A parsed node decodes them from its text on first use."""
        knobs = self._knobs
        if knobs is None:
            knobs = self._knobs = _decode_knobs(self._src)
            # The text range is only for untouched nodes (verbatim output, decoding): let it go.
            self._src = None
        return knobs

    @knobs.setter
    def knobs(self, value: List[Knob]) -> None:
        self._knobs = list(value)

    @property
    def untouched(self) -> bool:
        """True for a parsed node whose knobs were never decoded (so cannot have changed)."""
        return self._knobs is None

    @property
    def name(self) -> str:
        raw = self.knob("name")
        if raw is None and self.clone_of is not None:
            return self.clone_of.name
        return unquote(raw) if raw is not None else ""

    def knob(self, name: str) -> Optional[str]:
        """The raw value of the last knob line called ``name``, or None."""
        for k in reversed(self.knobs):
            if k.name == name:
                return k.value
        return None

    def knob_line(self, name: str) -> int:
        for k in reversed(self.knobs):
            if k.name == name:
                return k.line or self.line
        return self.line

    def has_knob(self, name: str) -> bool:
        return any(k.name == name for k in self.knobs)

    def set(self, name: str, value: Any) -> Node:
        """Set knob ``name`` to a Python value (formatted as Nuke writes it), keeping its position."""
        text = format_value(value)
        for k in self.knobs:
            if k.name == name:
                k.value = text
                return self
        self.knobs.append(Knob(name, text))
        return self

    def set_raw(self, name: str, tcl: str) -> Node:
        """Set knob ``name`` to raw TCL text (an expression ``{{...}}``, a curve...)."""
        for k in self.knobs:
            if k.name == name:
                k.value = tcl
                return self
        self.knobs.append(Knob(name, tcl))
        return self

    def remove_knob(self, name: str) -> None:
        self.knobs = [k for k in self.knobs if k.name != name]

    def add_user_knob(self, definition: str, value: Any = None, value_name: Optional[str] = None) -> Node:
        """Append ``addUserKnob {definition}`` and, when given, the value line that follows it."""
        self.knobs.append(Knob("addUserKnob", "{" + definition + "}"))
        if value is not None:
            if value_name is None:
                parts = definition.split()
                value_name = parts[1] if len(parts) > 1 else ""
            self.knobs.append(Knob(value_name, format_value(value)))
        return self

    # -- connections -------------------------------------------------------------------------------
    def input(self, index: int) -> Optional[Node]:
        return self.inputs[index] if 0 <= index < len(self.inputs) else None

    def connect(self, index: int, node: Optional[Node]) -> Node:
        while len(self.inputs) <= index:
            self.inputs.append(None)
        self.inputs[index] = node
        return self

    @property
    def is_group(self) -> bool:
        return self.body is not None

    def __repr__(self) -> str:
        return f"<Node {self.cls} {self.name!r}>"


_NODE_STATE = tuple(name for name in Node.__slots__ if name != "__weakref__")


class _PasteInput(Node):
    """The input a clipboard snippet is pasted onto (``push $cut_paste_input``); never written as a node."""

    def __init__(self) -> None:
        super().__init__("cut_paste_input")

    @property
    def name(self) -> str:
        return "cut_paste_input"

    def __repr__(self) -> str:
        return "<paste input>"

    def __reduce__(self) -> str:
        return "PASTE_INPUT"  # one sentinel: pickle and deepcopy give back this same object


#: Stands for "connected to whatever is selected when the snippet is pasted" in ``Node.inputs``.
PASTE_INPUT: Node = _PasteInput()


class Graph:
    """An ordered container of nodes (and directives): a script's top level or a group's inside."""

    def __init__(self, owner: Optional[Node] = None) -> None:
        self.items: List[Union[Node, Directive]] = []
        self.owner = owner  # the Group/Gizmo node whose body this is; None at top level
        # Parser hint: the commands exactly as read (see parser.Layout); the writer replays them
        # when they still describe the graph's connections, else regenerates set/push.
        self.layout = None

    @property
    def owner(self) -> Optional[Node]:
        """The Group/Gizmo node whose body this is (None at top level); held weakly, see
        ``Node.parent``."""
        ref = self._owner
        return None if ref is None else ref()

    @owner.setter
    def owner(self, node: Optional[Node]) -> None:
        self._owner = None if node is None else weakref.ref(node)

    def __getstate__(self) -> dict:  # see Node.__getstate__
        state = self.__dict__.copy()
        state["_owner"] = self.owner
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        owner = state.pop("_owner", None)
        self.__dict__.update(state)
        self.owner = owner

    @property
    def nodes(self) -> List[Node]:
        return [i for i in self.items if isinstance(i, Node)]

    def append(self, item: Union[Node, Directive]) -> Union[Node, Directive]:
        if isinstance(item, Node):
            item.parent = self
        self.items.append(item)
        return item

    def add(
        self,
        cls: str,
        knobs: KnobSpec = None,
        inputs: Optional[Iterable[Optional[Node]]] = None,
        *,
        name: Optional[str] = None,
        mask: Optional[Node] = None,
    ) -> Node:
        """Create a node of ``cls`` with knobs (Python values) and inputs, and append it.

        ``name`` is written first, as Nuke does for most classes only after ``inputs``; pass it in
        ``knobs`` instead to control its position.
        """
        node = Node(cls)
        if name is not None:
            node.set("name", name)
        for k, v in _knob_items(knobs):
            node.set(k, v)
        for i, src in enumerate(inputs or ()):
            node.connect(i, src)
        if mask is not None:
            node.inputs.append(mask)
            node.mask_inputs = 1
        if cls in GROUP_CLASSES:
            node.body = Graph(owner=node)
        self.append(node)
        return node

    def add_clone(self, original: Node, knobs: KnobSpec = None,
                  inputs: Optional[Iterable[Optional[Node]]] = None) -> Node:
        """A ``clone`` of ``original``: shares its knobs; ``knobs`` are the clone's own (xpos, ypos)."""
        node = Node(original.cls, clone_of=original)
        for k, v in _knob_items(knobs):
            node.set(k, v)
        for i, src in enumerate(inputs or ()):
            node.connect(i, src)
        self.append(node)
        return node

    def find(self, name: str) -> Optional[Node]:
        for n in self.nodes:
            if n.name == name:
                return n
        return None

    def walk(self) -> Iterator[Node]:
        """Every node, depth first, group bodies right after their group."""
        for n in self.nodes:
            yield n
            if n.body is not None:
                yield from n.body.walk()

    def decode_knobs(self) -> int:
        """Decode the knobs of every parsed node now (all groups), returning the node count.

        Same result as touching ``node.knobs`` one by one, but with the cyclic garbage collector
        paused: on a script of 100,000+ nodes that is several times faster (see docs/nk-engine.md).
        """
        count = 0
        with collector_paused():
            for node in self.walk():
                node.knobs  # noqa: B018 - decodes
                count += 1
        return count

    def consumers(self, node: Node) -> List[Tuple[Node, int]]:
        """(consumer, input index) pairs inside this graph that take ``node``."""
        return [(n, i) for n in self.nodes for i, s in enumerate(n.inputs) if s is node]

    def signature(self) -> tuple:
        """A comparable summary of the graph: directives, nodes, knobs, values and connections.

        Two graphs with equal signatures are the same Nuke graph, whatever order the nodes were
        written in and whatever the stack variables were called. Nodes are described by class, name,
        knobs (``inputs`` aside: it is derived from connections) and the class and name of each input.
        """

        def ref(n: Optional[Node]) -> object:
            if n is None:
                return None
            if n is PASTE_INPUT:
                return "paste"
            return (n.cls, n.name)

        def sig(graph: Graph) -> tuple:
            directives = tuple(i.text for i in graph.items if isinstance(i, Directive))
            nodes = []
            for item in graph.nodes:
                ins = list(item.inputs)
                m = min(item.mask_inputs, len(ins))
                if not any(ins[len(ins) - m:]):
                    ins = ins[:len(ins) - m]
                    m = 0
                while ins and ins[-1] is None and len(ins) > m:
                    ins.pop()
                nodes.append((
                    item.cls,
                    item.name,
                    _knob_signature(item.knobs),
                    tuple(ref(s) for s in ins),
                    m,
                    ref(item.clone_of) if item.clone_of is not None
                    else item.extra.get("clone_ref"),
                    None if item.body is None else sig(item.body),
                ))
            return directives, tuple(sorted(nodes, key=repr))

        return sig(self)


class Script(Graph):
    """A whole file. ``kind`` is 'script' (File > Save), 'clipboard' (``set cut_paste_input``),
    'gizmo' (a Gizmo/Group file) or 'bare' (a node paste with no header)."""

    def __init__(self, kind: str = "script", path: Optional[str] = None) -> None:
        super().__init__(owner=None)
        self.kind = kind
        self.path = path
        # Parser hints for byte-exact output.
        self.newline = "\n"
        self.trailing_newline = True
        self.extra: dict = {}
        # Problems a lenient parse accepted (NkSyntaxError objects with locations).
        self.warnings: list = []

    @classmethod
    def new(cls, version: str = "15.1 v1", *, root_knobs: KnobSpec = None,
            kind: str = "script") -> Script:
        """A new script as Nuke starts one: ``#!`` line, ``version``, and a ``Root`` (for 'script')."""
        s = cls(kind=kind)
        if kind == "script":
            s.append(Directive("#! nuke -nx"))
            s.append(Directive(f"version {version}"))
            s.add("Root", [("inputs", 0)] + list(_knob_items(root_knobs)))
        elif kind == "clipboard":
            s.append(Directive("set cut_paste_input [stack 0]"))
            s.append(Directive(f"version {version}"))
        elif kind == "gizmo":
            s.append(Directive(f"version {version}"))
        return s

    @property
    def paste_input(self) -> Node:
        """The clipboard paste input (connect a node to it to write ``push $cut_paste_input``)."""
        return PASTE_INPUT

    @property
    def root(self) -> Optional[Node]:
        for n in self.nodes:
            if n.cls == "Root":
                return n
        return None

    @property
    def version(self) -> Optional[str]:
        for d in self.items:
            if isinstance(d, Directive) and d.command == "version":
                return d.text.split(None, 1)[1].strip() if " " in d.text else None
        return None


def _decode_knobs(src: Optional[tuple]) -> List[Knob]:
    """Knobs of a parsed node from its stored text range (already checked by the parser)."""
    text, _start, b0, b1, _end, line, pad_pre = src
    if b1 is None:  # a block in another layout than Nuke's own (b0 is its '{')
        from .parser import decode_block  # the parser's own loop: both read it the same way

        return decode_block(text, b0, line, pad_pre)
    out = []
    append = out.append
    intern = sys.intern
    new = object.__new__
    off = 0  # each knob shares the node's `line` and keeps a small offset (see Knob)
    if b1 - b0 < _BIG_NODE:
        matches = KNOB_FAST.findall(text, b0, b1)
    else:
        # A huge node (tens of thousands of knobs) is read match by match rather than through
        # one list of every knob's pieces, which held ~17x the node's text at once next to its
        # knobs; and its names are not interned but shared within the node, the first 4,096
        # distinct ones (interning 50,000 distinct names grew the interpreter's table by 3x the
        # text, and a resize of that table can cost megabytes at any point).
        matches = (m.groups() for m in KNOB_FAST.finditer(text, b0, b1))
        intern = _bounded_intern({})
    for pre, name, sep, value in matches:
        knob = new(Knob)
        knob.name = intern(name)
        knob.value = value
        knob._line = line
        if pre == pad_pre:
            off += 1
            knob._hint = sep
        else:
            off += pre.count("\n")
            knob._hint = (intern(pre), sep, None)
        knob._off = off
        append(knob)
    return out


#: Text size of a node's knobs from which they are read one match at a time (see _decode_knobs).
_BIG_NODE = 1 << 12


def _bounded_intern(seen: dict, limit: int = 4096):
    """One string per distinct name for the first ``limit`` distinct names (later new names are
    kept as they are), without the interpreter's table of interned strings."""
    get = seen.get

    def bounded(name: str) -> str:
        got = get(name)
        if got is None:
            if len(seen) >= limit:
                return name
            got = seen[name] = name
        return got

    return bounded


def _knob_signature(knobs: List[Knob]) -> tuple:
    # Class knobs are written in the class's order whatever order they were set in, so their order
    # carries no meaning; user knobs (from the first addUserKnob on) keep theirs.
    cut = next((i for i, k in enumerate(knobs) if k.name == "addUserKnob"), len(knobs))
    head = sorted((k.name, k.value) for k in knobs[:cut] if k.name != "inputs")
    return tuple(head) + tuple((k.name, k.value) for k in knobs[cut:])


def _knob_items(knobs: KnobSpec) -> Iterable[Tuple[str, Any]]:
    if knobs is None:
        return ()
    if isinstance(knobs, dict):
        return list(knobs.items())
    return list(knobs)


def unquote(raw: str) -> str:
    """The string a raw TCL word stands for (``"a b"`` -> ``a b``, ``{x}`` -> ``x``), without evaluating."""
    return parse_word(raw)
