"""The .nk engine: read, write and validate Nuke scripts without Nuke. Standard library only.

    lexer      TCL word scanning, source decoding (UTF-8 with byte-exact fallback)
    parser     parse_text / parse_bytes / parse_file -> Script (NkSyntaxError on any problem)
    model      Script / Graph / Node / Knob / Directive, PASTE_INPUT
    values     Python values <-> TCL words
    writer     write_script / write_bytes / write_file
"""
from __future__ import annotations

from .model import PASTE_INPUT, Directive, Graph, Knob, Node, Script
from .parser import parse_bytes, parse_file, parse_text
from .writer import write_bytes, write_file, write_script

__all__ = [
    "PASTE_INPUT",
    "Directive",
    "Graph",
    "Knob",
    "Node",
    "Script",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "write_bytes",
    "write_file",
    "write_script",
]
