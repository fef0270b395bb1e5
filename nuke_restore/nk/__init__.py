"""The .nk engine: read, write and validate Nuke scripts without Nuke. Standard library only.

    model      Script / Graph / Node / Knob / Directive
    values     Python values <-> TCL words
    writer     write_script(script) -> str
"""
from __future__ import annotations

from .model import Directive, Graph, Knob, Node, Script
from .writer import write_script

__all__ = ["Directive", "Graph", "Knob", "Node", "Script", "write_script"]
