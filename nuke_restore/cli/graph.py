"""``nuke-restore graph``: show the node graph of a .nk/.gizmo (text tree or Graphviz).

The text form lists each node as ``Class Name``, then its inputs by index (``mask`` for mask
inputs), with group contents indented under their group. Every node has its own label: a clone,
which shares its original's name in the file, is ``Name(clone1)``; an unnamed node is
``<Class#k>`` (k = its place in its group), so ``0:X 1:X`` always means one node feeding both. ``--dot`` prints a Graphviz digraph
(groups as clusters, clones as dashed edges to their original).
"""
from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional

from ..errors import NkSyntaxError


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("graph", help="print the node graph of a .nk/.gizmo",
                              description=__doc__.split("\n\n", 1)[1],
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", metavar="PATH", help=".nk or .gizmo file")
    p.add_argument("--dot", action="store_true", help="print Graphviz instead of a text tree")
    p.add_argument("--lenient", action="store_true",
                   help="accept what Nuke only warns about (push of an unknown variable, ...)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..nk import parse_file

    try:
        script = parse_file(args.path, strict=not args.lenient)
    except NkSyntaxError as exc:
        print(f"nuke-restore graph: error: {exc}", file=sys.stderr)
        return 2
    for warning in script.warnings:
        print(f"nuke-restore graph: warning: {warning}", file=sys.stderr)
    lines = format_dot(script) if args.dot else format_tree(script)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _label(node) -> str:
    from ..nk import PASTE_INPUT

    if node is None:
        return "-"
    if node is PASTE_INPUT:
        return "<paste input>"
    return node.name or f"<{node.cls}>"


def unique_labels(graph, labels: Optional[Dict[int, str]] = None) -> Dict[int, str]:
    """A label per node that no other node of its group shares, so an input list names each node
    unambiguously (``0:Colorspace1 1:Colorspace1(clone1)`` is an original and its clone, while
    ``0:Read1 1:Read1`` is one node feeding two inputs).

    Clones share their original's name in the file: they are labelled ``Name(cloneN)``, numbered in
    file order. An unnamed node is ``<Class#k>`` and a name used twice is ``Name#k`` (k = the node's
    place in its group, from 1). Names are scoped per group, as in Nuke.
    """
    labels = {} if labels is None else labels
    nodes = list(graph.nodes)
    counts: Dict[str, int] = {}
    for node in nodes:
        if node.name and node.clone_of is None:
            counts[node.name] = counts.get(node.name, 0) + 1
    clones: Dict[int, int] = {}
    for k, node in enumerate(nodes, 1):
        if node.clone_of is not None:
            n = clones[id(node.clone_of)] = clones.get(id(node.clone_of), 0) + 1
            base = labels.get(id(node.clone_of)) or _label(node.clone_of)
            labels[id(node)] = f"{base}(clone{n})"
        elif not node.name:
            labels[id(node)] = f"<{node.cls}#{k}>"
        elif counts[node.name] > 1:
            labels[id(node)] = f"{node.name}#{k}"
        else:
            labels[id(node)] = node.name
        if node.body is not None:
            unique_labels(node.body, labels)
    return labels


def format_tree(graph, depth: int = 0, labels: Optional[Dict[int, str]] = None) -> List[str]:
    """The graph as indented lines: ``Class Name  0:Input  1:Input  mask:Input``.

    Every node has a label no other node shares (``unique_labels``), so when one node feeds two
    inputs both inputs name the same label, and two different nodes never look alike.
    """
    if labels is None:
        labels = unique_labels(graph)

    def label(node) -> str:
        return labels.get(id(node), _label(node)) if node is not None else "-"

    out: List[str] = []
    pad = "  " * depth
    for node in graph.nodes:
        parts = [f"{pad}{node.cls} {label(node)}"]
        if node.clone_of is not None:
            parts.append(f"(clone of {label(node.clone_of)})")
        normal = len(node.inputs) - node.mask_inputs
        ins = []
        for i, src in enumerate(node.inputs):
            if src is None and (i >= normal or all(s is None for s in node.inputs[i:normal])):
                continue  # trailing empty inputs say nothing
            ins.append(f"{'mask' if i >= normal else i}:{label(src)}")
        if ins:
            parts.append(" ".join(ins))
        out.append("  ".join(parts))
        if node.body is not None:
            out.extend(format_tree(node.body, depth + 1, labels))
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_dot(script) -> List[str]:
    """Graphviz ``digraph``: one vertex per node, groups as clusters."""
    from ..nk import PASTE_INPUT

    ids: Dict[int, str] = {}
    for i, node in enumerate(script.walk()):
        ids[id(node)] = f"n{i}"
    out = ["digraph nuke {", "  rankdir=BT;", "  node [shape=box, fontname=Helvetica];"]
    edges: List[str] = []
    uses_paste = [False]

    def ref(src) -> Optional[str]:
        if src is PASTE_INPUT:
            uses_paste[0] = True
            return "paste"
        return ids.get(id(src))

    def emit(graph, indent: str, cluster: List[int]) -> None:
        for node in graph.nodes:
            nid = ids[id(node)]
            out.append(f"{indent}{nid} [label={_quote(_label(node) + chr(10) + node.cls)}];")
            normal = len(node.inputs) - node.mask_inputs
            for i, src in enumerate(node.inputs):
                if src is None:
                    continue
                s = ref(src)
                if s is not None:
                    edges.append(f"  {s} -> {nid} [label={_quote('mask' if i >= normal else str(i))}];")
            if node.clone_of is not None and id(node.clone_of) in ids:
                edges.append(f"  {ids[id(node.clone_of)]} -> {nid} [style=dashed, label=clone];")
            if node.body is not None:
                cluster[0] += 1
                out.append(f"{indent}subgraph cluster_{cluster[0]} {{")
                out.append(f"{indent}  label={_quote(_label(node))};")
                emit(node.body, indent + "  ", cluster)
                out.append(f"{indent}}}")

    emit(script, "  ", [0])
    if uses_paste[0]:
        out.append('  paste [label="<paste input>", shape=ellipse];')
    out.extend(edges)
    out.append("}")
    return out
