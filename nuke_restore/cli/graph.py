"""``nuke-restore graph``: show the node graph of a .nk/.gizmo (text tree or Graphviz).

The text form lists each node as ``Class Name``, then its inputs by index (``mask`` for mask
inputs), with group contents indented under their group. ``--dot`` prints a Graphviz digraph
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


def format_tree(graph, depth: int = 0) -> List[str]:
    """The graph as indented lines: ``Class Name  0:Input  1:Input  mask:Input``."""
    out: List[str] = []
    pad = "  " * depth
    for node in graph.nodes:
        parts = [f"{pad}{node.cls} {_label(node)}"]
        if node.clone_of is not None:
            parts.append(f"(clone of {_label(node.clone_of)})")
        normal = len(node.inputs) - node.mask_inputs
        ins = []
        for i, src in enumerate(node.inputs):
            if src is None and (i >= normal or all(s is None for s in node.inputs[i:normal])):
                continue  # trailing empty inputs say nothing
            ins.append(f"{'mask' if i >= normal else i}:{_label(src)}")
        if ins:
            parts.append(" ".join(ins))
        out.append("  ".join(parts))
        if node.body is not None:
            out.extend(format_tree(node.body, depth + 1))
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
