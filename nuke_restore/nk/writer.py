"""Write a model back to .nk text in Nuke's canonical style.

The stack commands are derived from connections: each node is written after the subtrees of its inputs
(highest input first, so input 0 ends on top of the stack), an input written earlier is brought back with
``push $N...`` (and gets a ``set N... [stack 0]`` after it), an empty input is ``push 0``.
"""
from __future__ import annotations

import hashlib
from typing import Dict, List, Optional, Set

from .model import Directive, Graph, Knob, Node, Script

# Classes that do not take part in the stack (they neither pop nor push).
_NO_STACK = {"Root"}


def write_script(script: Graph) -> str:
    """Return the .nk text for ``script`` (a Script or any Graph)."""
    out: List[str] = []
    _GraphWriter(out, depth=0).write(script)
    nl = getattr(script, "newline", "\n")
    text = nl.join(out)
    if getattr(script, "trailing_newline", True):
        text += nl
    return text


def _var_name(node: Node, prefix: str, used: Set[str]) -> str:
    hint = node.stack_var
    if hint and hint[0] == prefix and hint not in used:
        return hint
    # Deterministic: derived from the node's class, name and position in the file.
    seed = f"{node.cls}/{node.name}/{id(node.parent) and len(used)}"
    digest = hashlib.sha1(seed.encode("utf-8")).hexdigest()[:7]
    name = f"{prefix}{digest}0"
    while name in used:
        digest = hashlib.sha1((seed + name).encode("utf-8")).hexdigest()[:7]
        name = f"{prefix}{digest}0"
    return name


class _GraphWriter:
    def __init__(self, out: List[str], depth: int) -> None:
        self.out = out
        self.depth = depth

    def write(self, graph: Graph) -> None:
        order = self._order(graph)
        # Which nodes are brought back with push $var (or are clone originals): they need a `set`.
        written: Set[int] = set()
        needs_var: Set[int] = set()
        plan: List[tuple] = []
        top: Optional[Node] = None
        for item in order:
            if isinstance(item, Directive):
                plan.append(("directive", item))
                continue
            node = item
            n_in = _input_count(node)
            if node.cls not in _NO_STACK:
                # Pushes needed so that input 0 ends on top: only the last written node can be
                # used without a push, and only as input 0 with nothing pushed after it.
                for i in reversed(range(n_in)):
                    src = node.inputs[i]
                    if src is None:
                        plan.append(("push0",))
                    elif i == 0 and src is top and not _pushed_since(plan):
                        pass
                    else:
                        needs_var.add(id(src))
                        plan.append(("push", src))
            plan.append(("node", node))
            if node.clone_of is not None:
                needs_var.add(id(node.clone_of))
            written.add(id(node))
            top = node if node.cls not in _NO_STACK else top

        used: Set[str] = set()
        names: Dict[int, str] = {}
        nodes_by_id = {id(n): n for n in graph.nodes}
        for nid in sorted(needs_var, key=lambda k: _position(graph, nodes_by_id.get(k))):
            n = nodes_by_id.get(nid)
            if n is None:
                continue
            prefix = "C" if any(m.clone_of is n for m in graph.nodes) else "N"
            names[nid] = _var_name(n, prefix, used)
            used.add(names[nid])

        self._names_live = names
        pad = " " * self.depth
        for step in plan:
            kind = step[0]
            if kind == "directive":
                self.out.append(step[1].text)
            elif kind == "push0":
                self.out.append(f"{pad}push 0")
            elif kind == "push":
                self.out.append(f"{pad}push ${names[id(step[1])]}")
            else:
                node = step[1]
                self._write_node(node)
                if id(node) in names:
                    self.out.append(f"{pad}set {names[id(node)]} [stack 0]")


    def _order(self, graph: Graph) -> List[object]:
        """Items in writing order: directives where they stand, each node after its input subtrees."""
        done: Set[int] = set()
        order: List[object] = []
        members = {id(n) for n in graph.nodes}

        def visit(node: Node) -> None:
            if id(node) in done:
                return
            done.add(id(node))
            for i in reversed(range(_input_count(node))):
                src = node.inputs[i]
                if src is not None and id(src) in members:
                    visit(src)
            if node.clone_of is not None and id(node.clone_of) in members:
                visit(node.clone_of)
            order.append(node)

        for item in graph.items:
            if isinstance(item, Node):
                visit(item)
            else:
                order.append(item)
        return order

    def _write_node(self, node: Node) -> None:
        pad = " " * self.depth
        kpad = pad + " "
        head = f"{pad}clone ${self._clone_var(node)} {{" if node.clone_of is not None else f"{pad}{node.cls} {{"
        self.out.append(head)
        inputs_text = _inputs_text(node)
        knobs = list(node.knobs)
        if not any(k.name == "inputs" for k in knobs) and inputs_text is not None:
            knobs.insert(0, Knob("inputs", inputs_text))
        for k in knobs:
            if k.name == "inputs":
                value = inputs_text if inputs_text is not None else k.value
                if inputs_text is None and node.cls != "Root":
                    continue
                self.out.append(f"{kpad}inputs {value}")
            else:
                self.out.append(f"{kpad}{_knob_name(k.name)} {k.value}" if k.value != "" else f"{kpad}{_knob_name(k.name)}")
        self.out.append(f"{pad}}}")
        if node.body is not None:
            inner = _GraphWriter(self.out, self.depth + 1)
            inner.write(node.body)
            self.out.append(f"{pad}end_group")

    def _clone_var(self, node: Node) -> str:
        return self._names_for_clone.get(id(node.clone_of), "C0")

    @property
    def _names_for_clone(self) -> Dict[int, str]:
        return getattr(self, "_names_live", {})


def _knob_name(name: str) -> str:
    if not name or any(c.isspace() for c in name):
        return '"' + name + '"'
    return name


def _input_count(node: Node) -> int:
    # Trailing empty inputs are not written; a connected mask keeps every normal input slot.
    normal = len(node.inputs) - node.mask_inputs
    k = normal
    while k > 0 and node.inputs[k - 1] is None:
        k -= 1
    if node.mask_inputs and any(node.inputs[normal:]):
        return normal + node.mask_inputs
    return k


def _inputs_text(node: Node) -> Optional[str]:
    if node.cls == "Root":
        return "0"
    normal = len(node.inputs) - node.mask_inputs
    k = _input_count(node)
    if node.mask_inputs and k > normal:
        return f"{normal}+{node.mask_inputs}"
    if k == 1:
        return None
    return str(k)


def _pushed_since(plan: List[tuple]) -> bool:
    """True when something was pushed after the last node written (so it is no longer on top)."""
    for step in reversed(plan):
        if step[0] == "node":
            return False
        if step[0] in ("push", "push0"):
            return True
    return False


def _position(graph: Graph, node: Optional[Node]) -> int:
    if node is None:
        return 1 << 30
    try:
        return graph.items.index(node)
    except ValueError:
        return 1 << 30
