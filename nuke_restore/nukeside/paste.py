"""Paste generated .nk text into the open script: one undo step, beside the selection, unwired.

``nuke.nodePaste(path)`` reads a file in the clipboard shape that ``nuke.nodeCopy`` writes
(``set cut_paste_input [stack 0]`` / ``version`` / nodes; the form Nuke's own copy writes). A full script
from the recipes starts with ``#!``, ``version`` and ``Root {...}``: pasting the Root would overwrite
the artist's project settings, so only the node part is kept (``clipboard_text``). The node part is
the harness-validated text byte for byte; only header commands are dropped. Nothing pushes
``$cut_paste_input``, and the selection is cleared first, so the paste never connects to whatever
the artist had selected.
"""
from __future__ import annotations

import logging
import os
import tempfile
from typing import Any, List, Optional, Tuple

from . import host

logger = logging.getLogger(__name__)

#: Top-level commands that belong to a whole script, not to a paste.
_HEADER_COMMANDS = ("version", "define_window_layout_xml", "Root")

#: Horizontal gap (node-graph units) between the selection and what is pasted beside it.
PASTE_GAP_X = 250


def split_commands(text: str) -> List[Tuple[str, str]]:
    """Top-level TCL commands of ``text`` as ``(first word, full text)``, in order.

    Brace groups and ``"..."`` strings (with backslash escapes) may span lines; ``#`` lines at the
    top level are comments (first word ``#``). Nothing is evaluated.
    """
    commands: List[Tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        # skip blank space between commands
        while i < n and text[i] in " \t\r\n;":
            i += 1
        if i >= n:
            break
        start = i
        if text[i] == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            commands.append(("#", text[start:end]))
            i = end
            continue
        depth = 0
        in_quote = False
        while i < n:
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if in_quote:
                if ch == '"':
                    in_quote = False
            elif ch == '"':
                in_quote = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth = max(0, depth - 1)
            elif ch == "\n" and depth == 0:
                break
            i += 1
        chunk = text[start:i].rstrip("\r")
        word = chunk.split(None, 1)[0] if chunk.strip() else ""
        commands.append((word, chunk))
    return commands


def clipboard_text(script_text: str, version: Optional[str] = None) -> str:
    """The node part of ``script_text`` in the clipboard shape ``nuke.nodePaste`` reads.

    Drops ``#!``/``#write_info`` comments, ``version``, ``define_window_layout_xml`` and ``Root``;
    keeps every other command (nodes, ``set``/``push``, ``clone``, ``add_layer``, groups) verbatim.
    """
    kept: List[str] = []
    found_version = version
    for word, chunk in split_commands(script_text):
        if word == "version" and found_version is None:
            found_version = chunk.split(None, 1)[1].strip() if " " in chunk else None
        if word == "#" or word in _HEADER_COMMANDS:
            continue
        if word == "set" and "cut_paste_input" in chunk:
            continue
        kept.append(chunk)
    head = ["set cut_paste_input [stack 0]"]
    if found_version:
        head.append(f"version {found_version}")
    return "\n".join(head + kept) + "\n"


def _bounds(nodes: List[Any]) -> Optional[Tuple[int, int, int, int]]:
    if not nodes:
        return None
    xs = [int(n.xpos()) for n in nodes]
    ys = [int(n.ypos()) for n in nodes]
    return min(xs), min(ys), max(xs), max(ys)


def paste_script_text(script_text: str, undo_label: str) -> List[Any]:
    """Paste the node part of ``script_text`` as one undo step, to the right of the selection."""
    return paste_script_texts([script_text], undo_label)


def paste_script_texts(script_texts: List[str], undo_label: str) -> List[Any]:
    """Paste several scripts side by side as ONE undo step, to the right of the selection.

    Returns the pasted nodes. On any error the undo group is cancelled, so a half-pasted graph
    never stays in the script.
    """
    nuke = host.require_nuke()
    anchor = _bounds(list(nuke.selectedNodes()))
    # An instance works on every Nuke (older ones have instance methods, 17.x class-level ones).
    undo = nuke.Undo()
    undo.begin()
    undo.name(undo_label)
    pasted: List[Any] = []
    try:
        for text in script_texts:
            for node in list(nuke.selectedNodes()):
                node.setSelected(False)
            group = _paste_one(nuke, clipboard_text(text))
            if anchor is not None and group:
                _move_beside(group, anchor)
            box = _bounds(group)
            if box is not None:
                anchor = box if anchor is None else (anchor[0], anchor[1], box[2], anchor[3])
            pasted.extend(group)
    except Exception:
        undo.cancel()
        raise
    undo.end()
    for node in pasted:
        node.setSelected(True)
    logger.info("pasted %d nodes (%s)", len(pasted), undo_label)
    return pasted


def _paste_one(nuke: Any, text: str) -> List[Any]:
    """``nuke.nodePaste`` of ``text`` through a temporary file; the nodes it selected."""
    fd, path = tempfile.mkstemp(prefix="nuke_restore_paste_", suffix=".nk")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        nuke.nodePaste(path)
        return list(nuke.selectedNodes())
    finally:
        try:
            os.unlink(path)
        except OSError:
            logger.debug("could not remove %s", path)


def _move_beside(pasted: List[Any], anchor: Tuple[int, int, int, int]) -> None:
    box = _bounds(pasted)
    if box is None:
        return
    dx = anchor[2] + PASTE_GAP_X - box[0]
    dy = anchor[1] - box[1]
    for node in pasted:
        node.setXYpos(int(node.xpos()) + dx, int(node.ypos()) + dy)
