"""The operator whitelist an exported TorchScript archive must keep to, so that it loads in the
torch bundled with Nuke 14 (1.12.1).

Current torch scripts some functions to operators older releases do not know (``F.interpolate``
becomes ``aten::upsample_*``/``aten::__interpolate`` overloads 1.12.1 rejects as an unknown builtin;
``F.pad`` becomes ``aten::pad``). Rather than guessing which new overloads are safe, an archive may
only use the operators listed here, all present in torch 1.12.1: convolutions, leaky ReLU / ReLU,
average and max pooling, slicing, flip, concatenation, element-wise arithmetic, exp and log, plus the
TorchScript list/int plumbing they need.

:func:`check_module` walks every node (and nested block) of the inlined graphs of a scripted
module's methods; :func:`check_archive` loads a saved file and does the same, and also reads the
archive's ``code/`` files for ``torch.*`` / ``ops.*`` calls, so an operator hidden in a method the
graph walk did not reach is still caught.
"""
from __future__ import annotations

import re
import zipfile
from typing import Iterable, List, Set

ALLOWED_ATEN = frozenset({
    "conv2d", "conv_transpose2d", "_convolution", "leaky_relu", "relu", "avg_pool2d",
    "max_pool2d", "slice", "select", "cat", "flip", "add", "sub", "mul", "div", "neg", "clamp",
    "sqrt", "exp", "log", "contiguous", "leaky_relu_", "relu_",
    # TorchScript plumbing on ints and lists
    "size", "dim", "len", "__getitem__", "append", "gt", "lt", "ge", "le", "eq", "ne", "__not__",
    "__and__", "__or__", "__is__", "__isnot__", "remainder", "floordiv", "Int", "Float",
    "format", "warn",
})
ALLOWED_PRIM = frozenset({
    "Constant", "GetAttr", "If", "Loop", "ListConstruct", "ListUnpack", "TupleConstruct",
    "TupleUnpack", "min", "max", "RaiseException", "Uninitialized", "unchecked_cast",
    "NumToTensor", "dtype", "device", "isinstance",
})

_CALL = re.compile(r"\b(torch|ops\.aten|ops\.prim)\.([A-Za-z_][A-Za-z_0-9]*)\s*\(")


def _allowed(kind: str) -> bool:
    ns, _, op = kind.partition("::")
    if ns == "aten":
        return op in ALLOWED_ATEN
    if ns == "prim":
        return op in ALLOWED_PRIM
    return False


def _walk(block, found: Set[str]) -> None:
    for node in block.nodes():
        found.add(node.kind())
        for sub in node.blocks():
            _walk(sub, found)


def graph_ops(module) -> Set[str]:
    """Every node kind in the inlined graphs of a scripted module's methods."""
    found: Set[str] = set()
    names = ["forward"] + [m for m in getattr(module._c, "_method_names", lambda: [])()
                           if m != "forward"]
    for name in names:
        try:
            method = getattr(module, name)
        except AttributeError:  # pragma: no cover - a method listed but not exposed
            continue
        graph = getattr(method, "inlined_graph", None) or getattr(method, "graph", None)
        if graph is not None:
            _walk(graph, found)
    return found


def code_ops(path) -> Set[str]:
    """``aten::``/``prim::`` kinds named by calls in the archive's ``code/*.py`` files."""
    found: Set[str] = set()
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if "/code/" not in name or not name.endswith(".py"):
                continue
            text = zf.read(name).decode("utf-8", "replace")
            for ns, op in _CALL.findall(text):
                if ns == "torch" and op in ("nn", "jit"):
                    continue
                found.add(("prim::" if ns == "ops.prim" else "aten::") + op)
    return found


def disallowed(kinds: Iterable[str]) -> List[str]:
    return sorted(k for k in set(kinds) if not _allowed(k))


def check_module(module) -> List[str]:
    """The operators of a scripted module outside the whitelist (empty = portable)."""
    return disallowed(graph_ops(module))


def check_archive(path) -> List[str]:
    """The operators of a saved TorchScript file outside the whitelist (empty = portable)."""
    from .export import jit_load

    module = jit_load(path)
    return disallowed(graph_ops(module) | code_ops(path))
