"""Write a model back to .nk text in Nuke's style.

Connections are the truth; the stack commands are derived from them. Two modes:

* **Replay** (default, when possible): a parsed script whose ``Graph.layout`` still describes every
  connection (checked by running the recorded commands on the current model) is written with its
  original commands, variable names, indentation and spacing, so an unmodified file comes back byte
  for byte and an edited knob changes only its own line.
* **Regenerate** (built graphs, edited connections, or ``canonical=True`` as ``nuke-restore fmt``
  uses): nodes are written in the graph's item order, each after its inputs (a depth-first order
  that keeps a parsed file's order), with ``push $N`` / ``push 0`` only where the stack does not already
  hold the inputs, ``set N [stack 0]`` after nodes that are pushed again or cloned, ``inputs N`` /
  ``N+M`` recomputed, one space of indentation per nesting level. Variable names keep the parsed ones
  when unique, else are derived deterministically from the node's position and name (``N1a2b3c00``).

Nodes built in code (``line == 0``) have their class knobs ordered as Nuke writes them (``inputs``
first, then the class's knob order from ``schema.load_schema().knob_order(cls)`` when the compiled
schema is installed; otherwise the order given), user knobs last as defined.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import operator
import re
from typing import Dict, List, Optional, Set, Tuple

from ..errors import NukeRestoreError
from .gcpause import collector_paused
from .lexer import encode
from .model import PASTE_INPUT, Directive, Graph, Knob, Node, Script
from .values import parse_word

logger = logging.getLogger(__name__)

__all__ = ["write_bytes", "write_file", "write_script"]

_INPUTS = re.compile(r"^\s*(\d+)(?:\s*\+\s*(\d+))?\s*$")
_SET = re.compile(r"^set\s+\S+\s+\[\s*stack\s+(\d+)\s*\]$")
_HEAD = re.compile(r"^(\S+)[ \t]*\{$")
_CLONE_HEAD = re.compile(r"^clone[ \t]+\$(\S+)[ \t]*\{$")
_REF_CLONE_HEAD = re.compile(r"^clone[ \t]+(\S+)[ \t]+(\S+)[ \t]*\{$")
_PASTE_SET = "set cut_paste_input [stack 0]"
_BARE_NAME = re.compile(r'^[^\s"{}\[\]\\$;]+\Z')
_RAW_NAME = re.compile(r'^[^\s"{}\[\\][^\s{}\[\\]*\Z')


def write_script(script: Graph, *, canonical: bool = False) -> str:
    """The .nk text for ``script`` (a Script, or any Graph written as a top level).

    ``canonical=True`` ignores every layout hint from the parser (what ``nuke-restore fmt`` writes).
    """
    with collector_paused():  # see gcpause: a big script would make it rescan a growing heap
        return _Writer(canonical).write(script)


def write_bytes(script: Script, *, canonical: bool = False) -> bytes:
    """Like ``write_script`` but encoded as the file was (newline style, BOM, non-UTF-8 bytes)."""
    text = write_script(script, canonical=canonical)
    extra = getattr(script, "extra", {})
    newline = getattr(script, "newline", "\n")
    return encode(text, newline, bool(extra.get("bom")) and not canonical)


def write_file(script: Script, path, *, force: bool = False, canonical: bool = False):
    """Write ``script`` to ``path`` atomically; an existing file needs ``force=True``."""
    from ..fileio import write_atomic

    return write_atomic(path, write_bytes(script, canonical=canonical), force=force)


# -- inputs ----------------------------------------------------------------------------------------
def declared_inputs(node: Node) -> Optional[Tuple[int, int]]:
    """(N, M) as the node's own ``inputs`` knob says (no knob: one input; Root: none)."""
    if node.cls == "Root" and node.clone_of is None:
        return 0, 0
    if node.untouched and node.declared is not None:
        return node.declared  # as parsed; the knobs cannot have changed
    raw = node.knob("inputs")
    if raw is None:
        return 1, 0
    m = _INPUTS.match(raw)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


def input_counts(node: Node) -> Tuple[int, int]:
    """(N, M) to write for the node's connections: trailing empty inputs dropped, masks kept whole."""
    ins = node.inputs
    k = len(ins)
    m = node.mask_inputs
    if m:
        if m > k:
            m = k
        n = k - m
        if any(x is not None for x in ins[n:]):
            return n, m
        k = n
    while k and ins[k - 1] is None:
        k -= 1
    return k, 0


def written_counts(node: Node) -> Tuple[int, int]:
    """(N, M) the canonical writer declares.

    A parsed node keeps the length of its input list: Nuke writes an input that was connected to a
    node outside the copied/saved selection as ``push 0`` and still counts it (``push 0`` /
    ``push $cut_paste_input`` / ``Group { inputs 2``). Built nodes drop trailing empty inputs.
    """
    if not node.line:
        return input_counts(node)
    m = min(node.mask_inputs, len(node.inputs))
    return len(node.inputs) - m, m


def _trimmed(seq: List[Optional[Node]]) -> List[Optional[Node]]:
    k = len(seq)
    while k and seq[k - 1] is None:
        k -= 1
    return seq[:k]


# -- knob order for built nodes --------------------------------------------------------------------
@functools.cache
def _class_order(cls: str) -> Optional[Dict[str, int]]:
    try:
        from .schema import load_schema  # written by the schema compiler; optional here
    except ImportError:
        return None
    try:
        order = load_schema().knob_order(cls)
    except Exception as exc:  # a missing/stale schema must not stop writing
        logger.debug("no knob order for %s: %s", cls, exc)
        return None
    if not order:
        return None
    return {name: i for i, name in enumerate(order)}


_PERMUTATIONS: Dict[tuple, Optional[List[int]]] = {}
_NAME = operator.attrgetter("name")
_LINE = operator.attrgetter("line")
_PRE_SEP = operator.attrgetter("pre", "sep")
_NO_LAYOUT = (None, None).__eq__  # a knob with no layout of its own to keep


def _ordered_knobs(node: Node) -> List[Knob]:
    """The knobs in the order to write them (the node's own list when already in order)."""
    knobs = node.knobs
    if node.line or any(map(_LINE, knobs)):
        return knobs
    # Class knobs come before the first user knob definition; user knobs keep their own order.
    names = (node.cls, *map(_NAME, knobs))
    perm = _PERMUTATIONS.get(names, 0)
    if perm == 0:
        perm = _PERMUTATIONS[names] = _permutation(node.cls, names[1:])
    if perm is None:
        return knobs
    return [knobs[i] for i in perm]


def _permutation(cls: str, names: tuple) -> Optional[List[int]]:
    """Indices that put ``names`` in Nuke's order (``inputs``, class order, user knobs); None if
    already in order."""
    cut = next((i for i, name in enumerate(names) if name == "addUserKnob"), len(names))
    order = _class_order(cls)
    big = 1 << 20
    if order is None:
        keys = [(0 if name == "inputs" else 1, i) for i, name in enumerate(names[:cut])]
    else:
        keys = [(0 if name == "inputs" else 1, order.get(name, big), i)
                for i, name in enumerate(names[:cut])]
    perm = [k[-1] for k in sorted(keys)] + list(range(cut, len(names)))
    return None if perm == list(range(len(names))) else perm


def _same_head(node: Node, src: tuple) -> bool:
    """The kept text still starts with this node's class (a script may rename classes)."""
    if node.clone_of is not None or node._extra and "clone_ref" in node._extra:
        return True  # `clone ... {`: checked by the replay simulation
    text, start = src[0], src[1]
    end = start + len(node.cls)
    return text.startswith(node.cls, start) and text[end:end + 1] in (" ", "\t", "{")


@functools.lru_cache(maxsize=4096)
def _knob_name(name: str) -> str:
    if name and _BARE_NAME.match(name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the writer ------------------------------------------------------------------------------------
class _Writer:
    def __init__(self, canonical: bool) -> None:
        self.canonical = canonical
        self.out: List[str] = []
        self.names: Dict[Node, str] = {}
        self.used: Set[str] = set()
        self.needs_var: Dict[Node, Node] = {}  # pushed again: `set N... [stack 0]`
        self.clone_originals: Dict[Node, Node] = {}  # cloned: `set C... [stack 0]`
        self.cnames: Dict[Node, str] = {}

    def write(self, top: Graph) -> str:
        # Only a whole parsed file replays; a group body written on its own is regenerated (its
        # recorded commands end with the `end_group` of its parent).
        state = None if self.canonical or top.owner is not None else _replay_state(top)
        if state is not None:
            # Replay what still fits; regenerate only the group bodies whose connections changed.
            dirty, reserved = state
            plans: Dict[int, list] = {}
            if dirty:
                for graph in self._graphs(top):
                    if id(graph) in dirty and id(graph) not in plans:
                        self._plan_all(graph, plans)
                self.used |= reserved
                self._assign_names(top)
            self._replay(top, 0, dirty, plans)
            self.out.append(top.layout.tail)
            return "".join(self.out)
        plans = {}
        self._plan_all(top, plans, top=True)
        self._assign_names(top)
        self._emit(top, plans, 0)
        trailing = getattr(top, "trailing_newline", True)
        if trailing:
            self.out.append("\n")
        return "".join(self.out)

    # -- replay ------------------------------------------------------------------------------------
    @staticmethod
    def _graphs(top: Graph):
        yield top
        for node in top.walk():
            if node.body is not None:
                yield node.body

    def _replay(self, graph: Graph, depth: int, dirty: Set[int], plans: Dict[int, list]) -> None:
        out = self.out
        append = out.append
        for kind, obj, lead, raw in graph.layout.ops:
            append(lead)
            if kind == "node":
                src = obj._src
                if obj._knobs is None and src is not None and obj.clone_of is None \
                        and src[0].startswith(obj.cls, src[1]) and obj._extra is None:
                    # Untouched since parsed (the common case): its text, verbatim. The class
                    # check catches a renamed class; `clone` heads and other hints go to _node.
                    text, start, end = src[0], src[1], src[4]
                    if text[start + len(obj.cls)] in " \t{":
                        append(text[start:end])
                    else:
                        self._node(obj, depth, obj.clone_var, None, True)
                else:
                    self._node(obj, depth, obj.clone_var, None, True)
                body = obj.body
                if body is not None:
                    if id(body) in dirty:
                        self._emit(body, plans, depth + 1)
                        out.append("\n" + " " * depth + "end_group")
                    else:
                        self._replay(body, depth + 1, dirty, plans)
            elif kind == "dir":
                out.append(obj.text)
            else:
                out.append(raw)

    # -- regenerate: plan ----------------------------------------------------------------------------
    def _plan_all(self, graph: Graph, plans: Dict[int, list], top: bool = False) -> None:
        plans[id(graph)] = self._plan(graph, top)
        for node in graph.nodes:
            if node.body is not None:
                self._plan_all(node.body, plans)

    def _plan(self, graph: Graph, top: bool) -> list:
        """Steps for one graph, in Nuke's order: depth first from each node nothing consumes.

        Every output node (no consumer in this graph), in item order, is written after its inputs,
        highest input first, so input 0 is written right before its consumer. An input written
        earlier is pushed again (``push $N``), an empty one is ``push 0``. Directives stay in front of
        the node that followed them. The simulated stack keeps the result correct in every case.
        """
        nodes = graph.nodes
        members = set(nodes)
        steps: list = []
        consumed: Set[Node] = set()
        for node in nodes:
            consumed.update(node.inputs)
        consumed.discard(None)
        sim: List[Optional[Node]] = []
        free: List[bool] = []  # per sim entry: nobody waits for it
        written: Set[Node] = set()
        active: Set[Node] = set()
        anchored: Dict[Node, List[Directive]] = {}
        pending: List[Directive] = []
        leading: List[Directive] = []  # the header (#!, version, cut_paste_input...) stays on top
        seen_node = False
        for item in graph.items:
            if isinstance(item, Directive):
                # `add_layer` belongs to the node that follows it: Nuke writes it after that
                # node's `push` lines (`push $cut_paste_input` / `add_layer {...}` / `Group {`).
                if seen_node or pending or item.text.lstrip().startswith("add_layer"):
                    pending.append(item)
                else:
                    leading.append(item)
            else:
                seen_node = True
                if pending:
                    anchored[item] = pending
                    pending = []
        steps.extend(("dir", d) for d in leading)
        state = {"paste": False}

        def push(src: Optional[Node]) -> None:
            if src is None:
                steps.append(("push0",))
            elif src is PASTE_INPUT:
                steps.append(("paste",))
                state["paste"] = True
            else:
                steps.append(("push", src))
                self.needs_var[src] = src
            sim.append(src)
            free.append(False)

        def needed_of(node: Node) -> Tuple[List[Optional[Node]], Tuple[int, int]]:
            """The inputs to have on the stack (bottom .. top) and the (N, M) to declare."""
            if node.cls == "Root" and node.clone_of is None:
                return [], (0, 0)
            ins = node.inputs
            if node.line:
                m = node.mask_inputs
                k = len(ins)
                counts = (k - m, m) if m <= k else (0, k)
            else:
                counts = input_counts(node)
            total = counts[0] + counts[1]  # never more than len(ins): see written_counts
            needed = ins[total - 1::-1] if total else []
            if node.line and not sim and needed.count(None) == total:
                # Nothing connected and nothing on the stack: Nuke writes `inputs N` alone (a
                # saved gizmo's `Gizmo { inputs 2`), no `push 0` lines.
                return [], counts
            return needed, counts

        def finish(node: Node, needed: List[Optional[Node]], counts: Tuple[int, int],
                   result_free: bool) -> None:
            total = len(needed)
            if total:
                if total == 1:
                    in_place = bool(sim) and sim[-1] is needed[0]
                else:
                    in_place = len(sim) >= total and all(
                        a is b for a, b in zip(sim[len(sim) - total:], needed))
                if not in_place:
                    for src in needed:  # something landed in between (a clone's original)
                        push(src)
                del sim[len(sim) - total:]
                del free[len(free) - total:]
            implicit = False
            if not total and node._extra and node._extra.get("implicit_empty") and not sim \
                    and not node.has_knob("inputs"):
                implicit = True  # as read: no `inputs` line, nothing on the stack to take
            if anchored:
                for d in anchored.pop(node, ()):
                    steps.append(("dir", d))
            steps.append(("node", node, implicit, counts))
            if node.line and node.stack_var and node.stack_var[0] == "N":
                # Nuke gave this node a variable (it counts dependents the file may not hold,
                # e.g. ones outside the copied selection): keep the `set`, it changes nothing.
                self.needs_var[node] = node
            if node.clone_of is not None:
                self.clone_originals[node.clone_of] = node.clone_of
            if node.cls != "Root" or node.clone_of is not None:
                sim.append(node)
                free.append(result_free)

        def upstream(node: Node, target: Node) -> bool:
            # True when ``target`` is written among ``node``'s own (unwritten) inputs, so the
            # depth-first order reaches it before ``node`` anyway.
            seen: Set[Node] = set()
            todo = [s for s in node.inputs if s is not None]
            while todo:
                cur = todo.pop()
                if cur is target:
                    return True
                if cur in seen or cur in written or cur not in members:
                    continue
                seen.add(cur)
                todo.extend(s for s in cur.inputs if s is not None)
            return False

        def emit(root: Node) -> None:
            # Iterative (a 200,000-node chain must not hit the recursion limit), and the per-node
            # hot path of writing a big script, so kept flat.
            # Entries: [node, needed, counts, next input, free]: ``needed`` is None until the node
            # is entered; ``free`` when nothing waits for the node's output on the stack (an output
            # node, or a clone's original written first); an input is not free.
            work: List[list] = [[root, None, None, 0, True]]
            pop = work.pop
            add = work.append
            while work:
                entry = work[-1]
                node = entry[0]
                needed = entry[1]
                if needed is None:
                    if node in written:
                        pop()
                        continue
                    if node in active:
                        raise NukeRestoreError(
                            f"cycle in the node graph through {node.cls} {node.name!r}")
                    active.add(node)
                    needed, entry[2] = needed_of(node)
                    entry[1] = needed
                    orig = node.clone_of
                    if orig is not None and orig in members and orig not in written \
                            and not upstream(node, orig):
                        add([orig, None, None, 0, True])
                        continue
                k = entry[3]
                if k >= len(needed):
                    pop()
                    finish(node, needed, entry[2], entry[4])
                    written.add(node)
                    active.discard(node)
                    continue
                entry[3] = k + 1
                src = needed[k]
                if src in members and src not in written and src is not PASTE_INPUT:
                    add([src, None, None, 0, False])
                elif src is not None and sim and sim[-1] is src and free[-1]:
                    free[-1] = False  # left on the stack unclaimed: take it as it is
                else:
                    # Written before: pushed again even when it is on top but waiting for another
                    # input, as Nuke does.
                    push(src)

        has_clones = any(n.clone_of is not None for n in nodes)

        def originals_first(root: Node) -> None:
            # A clone's original written in the middle of another node's inputs would sit between
            # them on the stack; write the originals this output needs before starting it.
            seen: Set[Node] = set()
            todo = [root]
            found: List[Node] = []
            while todo:
                cur = todo.pop()
                if cur in seen or cur in written:
                    continue
                seen.add(cur)
                orig = cur.clone_of
                if orig is not None and orig in members and orig not in written:
                    found.append(orig)
                    todo.append(orig)
                todo.extend(s for s in cur.inputs if s is not None and s in members)
            if found and not clone_after_original(root):
                for orig in reversed(found):
                    emit(orig)

        def clone_after_original(root: Node) -> bool:
            # Nuke writes a clone's original where its own order reaches it; only when that order
            # would reach a clone first are the originals written up front.
            order: List[Node] = []
            seen: Set[Node] = set()
            todo: List[Tuple[Node, bool]] = [(root, False)]
            while todo:
                cur, done = todo.pop()
                if done:
                    order.append(cur)
                    continue
                if cur in seen or cur in written:
                    continue
                seen.add(cur)
                todo.append((cur, True))
                n, m = written_counts(cur) if cur.cls != "Root" else (0, 0)
                ins = cur.inputs
                # emit() visits inputs highest first: push them so the highest pops first.
                for i in range(n + m):
                    src = ins[i] if i < len(ins) else None
                    if src is not None and src is not PASTE_INPUT and src in members:
                        todo.append((src, False))
            pos = {x: i for i, x in enumerate(order)}
            for x in order:
                orig = x.clone_of
                if orig is not None and orig in members and orig not in written:
                    if orig not in pos or pos[orig] > pos[x]:
                        return False
            return True

        for item in graph.items:
            if isinstance(item, Node) and item not in consumed:
                if has_clones:
                    originals_first(item)
                emit(item)
        for item in graph.items:  # only cycles or consumed-but-unreached nodes remain
            if isinstance(item, Node) and item not in written:
                emit(item)
        for d in pending:
            steps.append(("dir", d))
        for ds in anchored.values():  # anchors never written (cannot happen; keep the text)
            steps.extend(("dir", d) for d in ds)
        if top and state["paste"] and not any(
                isinstance(i, Directive) and i.text.strip() == _PASTE_SET for i in graph.items):
            steps.insert(0, ("dir", Directive(_PASTE_SET)))
        return steps

    def _assign_names(self, top: Graph) -> None:
        # Deterministic: walk order; parsed names kept when they fit and are unique. A node that is
        # both cloned and pushed again gets both variables, with the same digits (as Nuke writes:
        # ` set C1234 [stack 0]` then `set N1234 [stack 0]`).
        # A parsed name may repeat in graphs that do not nest (two gizmos concatenated in one file
        # each have their own `set N18ed5400`): each body sets it before it pushes it.
        scopes: Dict[str, List[tuple]] = {}

        def free_for(name: str, path: tuple) -> bool:
            if name not in self.used:
                return True
            users = scopes.get(name)
            if not users:
                return False  # reserved by a replayed graph, or generated
            return not any(u[:len(path)] == path or path[:len(u)] == u for u in users)

        def walk(graph: Graph, path: tuple):
            for n in graph.nodes:
                yield n, path
                if n.body is not None:
                    yield from walk(n.body, path + (id(n.body),))

        index = 0
        for node, path in walk(top, (id(top),)):
            index += 1
            key = node
            cloned = key in self.clone_originals
            pushed = key in self.needs_var
            if not cloned and not pushed:
                continue
            hint = node.stack_var
            digits = hint[1:] if hint and hint[0] in "CN" and len(hint) > 1 else None
            for prefix, want, table in (("C", cloned, self.cnames), ("N", pushed, self.names)):
                if not want:
                    continue
                name = prefix + digits if digits else None
                if name is not None and free_for(name, path):
                    scopes.setdefault(name, []).append(path)
                else:
                    seed = f"{index}/{node.cls}/{node.name}"
                    salt = 0
                    while True:
                        digest = hashlib.sha1(f"{seed}/{salt}".encode()).hexdigest()[:6]
                        name = f"{prefix}{digest}00"
                        if name not in self.used:
                            break
                        salt += 1
                    digits = name[1:]
                self.used.add(name)
                table[key] = name
        walk = None  # type: ignore[assignment]  # the closure refers to itself: no cycle left

    # -- regenerate: emit ----------------------------------------------------------------------------
    def _emit(self, graph: Graph, plans: Dict[int, list], depth: int) -> None:
        out = self.out
        pad = " " * depth
        for step in plans[id(graph)]:
            kind = step[0]
            nl = "\n" if out else ""
            # Nuke writes stack commands at column 0 whatever the nesting.
            if kind == "dir":
                out.append(nl + step[1].text)
            elif kind == "push0":
                out.append(nl + "push 0")
            elif kind == "paste":
                out.append(nl + "push $cut_paste_input")
            elif kind == "push":
                out.append(f"{nl}push ${self.names[step[1]]}")
            else:
                node = step[1]
                # A clone's `clone $C... {` line is a stack command too: column 0.
                out.append(nl if node.clone_of is not None else nl + pad)
                clone_var = self.cnames.get(node.clone_of) if node.clone_of is not None else None
                self._node(node, depth, clone_var, self._knobs_for_regen(node, step[2], step[3]),
                           not self.canonical)
                if node.body is not None:
                    self._emit(node.body, plans, depth + 1)
                    out.append(f"\n{pad}end_group")
                # After end_group for a group: the group is on the stack only from there on.
                # The clone variable is indented like the node, the push variable is not.
                cname = self.cnames.get(node)
                if cname is not None:
                    out.append(f"\n{pad}set {cname} [stack 0]")
                name = self.names.get(node)
                if name is not None:
                    out.append(f"\nset {name} [stack 0]")

    def _knobs_for_regen(self, node: Node, implicit: bool, counts: Tuple[int, int]) -> List[Knob]:
        """The knobs to write (never the node's own list altered), ``inputs`` made to fit."""
        knobs = _ordered_knobs(node)
        if node.cls == "Root" and node.clone_of is None:
            return knobs
        n, m = counts
        want = f"{n}+{m}" if m else (None if n == 1 or implicit else str(n))
        if "inputs" in map(_NAME, knobs):
            i = [k.name for k in knobs].index("inputs")
            k = knobs[i]
            have = _INPUTS.match(k.value)
            have_nm = (int(have.group(1)), int(have.group(2) or 0)) if have else None
            if have_nm == ((n, m) if want is not None else (1, 0)):
                return knobs
            knobs = list(knobs)
            if want is None:
                del knobs[i]
            else:
                knobs[i] = Knob("inputs", want, k.line, k.pre, k.sep)
            return knobs
        if want is not None:
            knobs = [Knob("inputs", want)] + knobs
        return knobs

    # -- one node block ------------------------------------------------------------------------------
    def _node(self, node: Node, depth: int, clone_var: Optional[str],
              knobs: Optional[List[Knob]], hints: bool) -> None:
        out = self.out
        if knobs is None:
            src = node._src
            if hints and node.untouched and src is not None and _same_head(node, src):
                out.append(src[0][src[1]:src[4]])  # untouched since parsed: its text, verbatim
                return
            knobs = node.knobs
        pad = " " * depth
        head = node.head if hints else None
        if node.clone_of is not None:
            m = _CLONE_HEAD.match(head) if head else None
            if m is None or m.group(1) != clone_var:
                head = f"clone ${clone_var} {{"
        elif node._extra and node._extra.get("clone_ref"):
            ref = node._extra["clone_ref"]
            m = _REF_CLONE_HEAD.match(head) if head else None
            if m is None or m.group(1) != ref or m.group(2) != node.cls:
                head = f"clone {ref} {node.cls} {{"
        else:
            m = _HEAD.match(head) if head else None
            if m is None or m.group(1) != node.cls:
                head = f"{node.cls} {{"
        out.append(head)
        default_pre = "\n" + pad + " "
        blank_after = node.cls.startswith("Primatte")
        if not blank_after and (not hints or all(map(_NO_LAYOUT, map(_PRE_SEP, knobs)))):
            # Nothing to keep from a parsed layout (built nodes, `fmt`, parsed knobs in Nuke's own
            # layout): the per-node hot path of writing a big script.
            for k in knobs:
                value = k.value
                out.append(f"{default_pre}{_knob_name(k.name)} {value if value != '' else chr(34) * 2}")
            out.append(f"\n{pad}}}" if not hints or node.close is None else node.close)
            return
        after = False  # the previous knob's value ended with its own newline
        blank = "\n"
        for k in knobs:
            value = k.value if k.value != "" else '""'
            if hints and (k.pre is not None or k.sep is not None):
                qname = k.qname
                if qname is None:
                    # Parsed bare: written back as it was, unless an edit made that unsafe.
                    qname = k.name if _RAW_NAME.match(k.name) else _knob_name(k.name)
                elif parse_word(qname) != k.name:
                    qname = _knob_name(k.name)
                out.append(default_pre if k.pre is None else k.pre)
                out.append(qname)
                out.append(k.sep if k.sep else " ")
                out.append(value)
            else:
                out.append(f"{blank if after else ''}{default_pre}{_knob_name(k.name)} {value}")
            # Primatte writes its `data`/`primEdgedata`/`primBodydata` blocks with a newline of
            # their own, so a blank line follows them in every file Nuke saves.
            after = blank_after and value.startswith("{ ") and "\n" in value
        close = node.close if hints and node.close is not None else f"\n{pad}}}"
        if after and not hints:
            close = "\n" + close
        out.append(close)


def _replay_ok(top: Graph) -> bool:
    """True when the recorded commands, run on the current model, give exactly its connections."""
    state = _replay_state(top)
    return state is not None and not state[0]


class _Cross(Exception):
    """A variable crosses graphs (``_replay_state``)."""


def _replay_state(top: Graph) -> Optional[Tuple[Set[int], Set[str]]]:
    """Which graphs still fit their recorded commands.

    Runs each graph's recorded commands on the current model. Returns None when the top level does
    not fit (or a variable crosses graphs, which per-graph output could break): regenerate all.
    Otherwise (ids of graphs to regenerate, variable names the replayed graphs use).
    """
    variables: Dict[str, Optional[Node]] = {}
    owner_of: Dict[str, int] = {}  # variable -> id of the graph that set it
    dirty: Set[int] = set()
    names: Set[str] = set()

    def sim(graph: Graph) -> bool:
        layout = graph.layout
        if layout is None:
            return False
        ops = layout.ops
        objs = [op[1] for op in ops if op[0] == "node" or op[0] == "dir"]
        items = graph.items
        if len(objs) != len(items) or any(a is not b for a, b in zip(objs, items)):
            return False
        gid = id(graph)
        used: List[str] = []
        stack: List[Optional[Node]] = []
        for kind, obj, _lead, raw in ops:
            if kind == "node":
                node = obj
                if node.clone_of is not None:
                    if node.clone_var is None or variables.get(node.clone_var) is not node.clone_of:
                        return False
                    if owner_of.get(node.clone_var, gid) != gid:
                        raise _Cross
                    used.append(node.clone_var)
                elif node.clone_var is not None:
                    return False
                decl = node.declared if node._knobs is None else None
                if decl is None:
                    decl = declared_inputs(node)
                    if decl is None:
                        return False
                total = decl[0] + decl[1]
                if node.mask_inputs != decl[1]:
                    return False
                if decl[1] and len(node.inputs) != total:
                    return False  # masks are the last entries: the list must keep its length
                if total == 1:  # the common case, without building lists
                    t = stack.pop() if stack else None
                    ins = node.inputs
                    if len(ins) == 1:
                        if ins[0] is not t:
                            return False
                    elif ins or t is not None:
                        if _trimmed(list(ins)) != _trimmed([t]):
                            return False
                elif total:
                    taken = stack[len(stack) - total:] if len(stack) >= total else list(stack)
                    del stack[len(stack) - len(taken):]
                    taken.reverse()
                    # Identity comparison: Node has no __eq__.
                    if len(node.inputs) > total or _trimmed(taken) != _trimmed(node.inputs):
                        return False
                elif _trimmed(node.inputs):
                    return False
                if node.body is not None:
                    body_ops = node.body.layout.ops if node.body.layout is not None else []
                    if not body_ops or body_ops[-1][0] != "end" or not sim(node.body):
                        dirty.add(id(node.body))
                if node.cls != "Root" or node.clone_of is not None:
                    stack.append(node)
            elif kind == "dir":
                if obj.text.strip() == _PASTE_SET and not stack:
                    variables["cut_paste_input"] = PASTE_INPUT
            elif kind == "push0":
                stack.append(None)
            elif kind == "push":
                if obj in variables:
                    if owner_of.get(obj, gid) != gid:
                        raise _Cross
                    stack.append(variables[obj])
                    used.append(obj)
                elif obj == "cut_paste_input":
                    stack.append(PASTE_INPUT)
                else:
                    stack.append(None)  # a lenient parse left this input empty; do the same
            elif kind == "set":
                m = _SET.match(raw)
                depth = int(m.group(1)) if m else 0
                variables[obj] = stack[-1 - depth] if depth < len(stack) else None
                owner_of[obj] = gid
                used.append(obj)
        names.update(used)
        return True

    try:
        if not sim(top):
            return None
    except _Cross:
        return None
    finally:
        sim = None  # type: ignore[assignment]  # the closure refers to itself: no cycle left
    return dirty, names
