"""Check a parsed or built script against what Nuke knows: classes, knobs, menus, inputs, names.

Nothing here executes anything: values are compared as text, TCL and Python are only looked at.
Every finding is a ``Diagnostic`` naming file, line, node, knob and value. Codes and severities are
listed in ``CODES`` and documented in docs/validation.md.

    >>> from nuke_restore.nk.model import Script
    >>> s = Script.new()
    >>> m = s.add("Merge2", [("operation", "ovr")], inputs=(), name="Merge1")
    >>> [str(d) for d in validate_script(s)]
    ["<script>: error[bad-enum-value] Merge1.operation=ovr: not a value of Merge2.operation (did you mean 'over'?)"]
"""
from __future__ import annotations

import difflib
import logging
import re
from dataclasses import asdict, dataclass, replace
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from . import model as _model
from .gcpause import collector_paused
from .lexer import LineIndex
from .model import GROUP_CLASSES, Directive, Graph, Node, Script
from .ocio import names_for as ocio_names_for
from .schema import ClassInfo, Schema, is_expression, load_schema
from .untrusted import CALLBACK_KNOBS, scan_text
from .values import parse_word

logger = logging.getLogger(__name__)

__all__ = ["CODES", "UNTRUSTED_CODES", "Diagnostic", "Rule", "diagnostic_from_error", "summarize", "validate_file",
           "validate_script"]

ERROR = "error"
WARNING = "warning"
INFO = "info"

# code -> (default severity, one-line meaning). docs/validation.md mirrors this table.
CODES: Dict[str, Tuple[str, str]] = {
    "syntax-error": (ERROR, "the file cannot be read as a Nuke script (reported by the parser)"),
    "unknown-class": (WARNING, "class not in Nuke 17.0v3 nor in real files: a plugin or gizmo "
                               "that must be installed (error when only the letter case differs "
                               "from a Nuke class)"),
    "unknown-knob": (ERROR, "knob the class does not have (warning/info on corpus-only classes "
                            "and on classes whose knobs depend on state)"),
    "legacy-knob": (INFO, "knob older Nukes wrote that Nuke 17.0v3 no longer lists"),
    "bad-enum-value": (ERROR, "value not in the knob's menu (warning when the menu depends on the "
                              "OCIO config or installed plugins)"),
    "wrong-input-count": (ERROR, "more inputs than the class has"),
    "missing-required-input": (ERROR, "an input the node cannot work without is not connected"),
    "unresolved-variable": (ERROR, "push/clone of a variable never set, or an input outside the "
                                   "node's group level"),
    "unclosed-group": (ERROR, "a Group/Gizmo with no end_group"),
    "unknown-command": (ERROR, "a top-level line that is neither a node block nor a command Nuke "
                               "writes"),
    "stray-brace": (WARNING, "a '}' closing nothing at the top level (a leftover from hand-editing; "
                             "Nuke reports it and loads the rest)"),
    "stack-underflow": (WARNING, "a node takes more inputs than the stack holds; the missing ones "
                                 "stay empty (lenient parse)"),
    "duplicate-name": (ERROR, "two nodes with the same name in one group level"),
    # --untrusted (nk/untrusted.py): code the script would run; always errors.
    "python-callback": (ERROR, "[untrusted] Python that Nuke runs on load, change or render"),
    "python-in-tcl": (ERROR, "[untrusted] [python ...] in a TCL word or a value Nuke evaluates"),
    "python-button": (ERROR, "[untrusted] Python button or Python knob"),
    "tcl-script-button": (ERROR, "[untrusted] TCL script button or command menu"),
    "tcl-command": (ERROR, "[untrusted] a TCL command outside the pure expression commands, in a "
                           "word or a value Nuke evaluates"),
    "tcl-dynamic-command": (ERROR, "[untrusted] a command whose name is only known at run time"),
    "top-level-command": (ERROR, "[untrusted] a top-level command Nuke does not write in scripts "
                                 "(python, eval, knob root.onScriptSave ...)"),
    "tcl-unreadable": (ERROR, "[untrusted] text TCL cannot read: what follows cannot be checked"),
}

#: The codes of the --untrusted analysis (nk/untrusted.py).
UNTRUSTED_CODES = frozenset({"python-callback", "python-in-tcl", "python-button",
                             "tcl-script-button", "tcl-command", "tcl-dynamic-command",
                             "top-level-command", "tcl-unreadable"})

Rule = Callable[[Script], Iterable["Diagnostic"]]


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``str()`` is ``path:line: severity[code] node.knob=value: message``.

    ``column`` is set only for findings that come from the parser.
    """

    code: str
    severity: str
    message: str
    path: Optional[str] = None
    line: Optional[int] = None
    node: Optional[str] = None
    knob: Optional[str] = None
    value: Optional[str] = None
    column: Optional[int] = None

    def __str__(self) -> str:
        where = self.path or "<script>"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        subject = self.node or ""
        if self.knob:
            subject += f".{self.knob}"
        if self.value is not None:
            subject += f"={shorten(self.value)}"
        subject = f" {subject}" if subject else ""
        return f"{where}: {self.severity}[{self.code}]{subject}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def shorten(value: str, limit: int = 60) -> str:
    text = value.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------------------------------
# Evidence tables

#: Findings of one code listed per script; past this, one line says how many more there are.
MAX_FINDINGS_PER_CODE = 1000

# Knob count from which a node's findings get their lines in one pass at the end (resolve_lines).
_HUGE_NODE = 4096

# Did-you-mean hints per file (each costs ~1 ms): past this many unknown knobs, none (linear time).
_MAX_HINTS = 200

# Top-level commands other than node blocks and stack commands (as real Nuke-saved files have them).
_KNOWN_COMMANDS = frozenset({"#", "version", "define_window_layout_xml", "add_layer", "set"})

# Inputs a node cannot do its job without, by class: {class: {index: label}}. Evidence: CopyCat's
# reference page lists Input and Ground Truth; Preview is optional and "only visible when the Input
# and Ground Truth are connected" (learn.foundry.com/nuke/content/reference_guide/air_nodes/copycat.html).
# Most other nodes treat an empty input as black, so they are not listed.
REQUIRED_INPUTS: Dict[str, Dict[int, str]] = {
    "CopyCat": {0: "Input", 1: "Ground Truth"},
}

# Menus whose items come from the OCIO config, the installed plugins or the machine, so the 17.0v3
# scan only shows one installation's list (corpus: Read `colorspace matte_paint`).
_DYNAMIC_MENU_KNOB = re.compile(r"(?i)(colou?rspace|lut$|^view$|^display$|viewerprocess|"
                                r"outputtransform|^file_type$|codec|^gpuName$|^font)")


# OCIO roles (https://opencolorio.readthedocs.io/en/latest/guides/authoring/overview.html#roles):
# a menu holding them lists the config's colourspaces.
_OCIO_ROLES = frozenset({"scene_linear", "color_picking", "compositing_log", "color_timing", "data",
                         "matte_paint", "texture_paint", "reference"})


def _ocio_menu(knob: str, values: Sequence[str]) -> bool:
    """A colourspace menu filled from the OCIO config in OCIO mode (Read/Write ``colorspace``,
    OCIOColorSpace ``in_colorspace``...): its default menu holds roles, or the file LUT list."""
    if knob == "colorspace" and "default" in values and "linear" in values:
        return True
    return any(v in _OCIO_ROLES for v in values)


def _dynamic_menu(knob: str, values: Sequence[str]) -> bool:
    if _DYNAMIC_MENU_KNOB.search(knob):
        return True
    return "scene_linear" in values or any(v.startswith("Colorspaces/") for v in values)


# --------------------------------------------------------------------------------------------------
# The checker

class _Checker:
    def __init__(self, script: Script, schema: Schema, untrusted: bool) -> None:
        self.script = script
        self.schema = schema
        self.untrusted = untrusted
        self.path = script.path
        self.out: List[Diagnostic] = []
        self._lines_of: Optional[Node] = None
        self._lines: Dict[str, int] = {}
        # Findings on knobs of huge nodes whose line is looked up once per node at the end
        # (see emit): (index in out, node, knob).
        self._pending: List[Tuple[int, Node, str]] = []
        self.hints_left = _MAX_HINTS
        self.counts: Dict[str, int] = {}
        self._case_index: Optional[Dict[str, str]] = None
        self._ocio: Optional[Tuple[Optional[FrozenSet[str]], str]] = None

    def ocio(self) -> Tuple[Optional[FrozenSet[str]], str]:
        """(colourspace names, config label) of the script's OCIO config; see ``ocio.names_for``."""
        if self._ocio is None:
            self._ocio = ocio_names_for(self.script)
        return self._ocio

    def emit(self, code: str, message: str, node: Optional[Node] = None, knob: Optional[str] = None,
             value: Optional[str] = None, line: Optional[int] = None,
             severity: Optional[str] = None, node_name: Optional[str] = None) -> None:
        count = self.counts.get(code, 0) + 1
        self.counts[code] = count
        if count > MAX_FINDINGS_PER_CODE:
            return  # counted; one summary line is added at the end (memory stays bounded)
        pending = False
        if line is None and node is not None:
            if knob and len(node.knobs) > _HUGE_NODE:
                pending, line = True, 0  # set by resolve_lines
            else:
                line = self.knob_line(node, knob) if knob else node.line
        if pending:
            self._pending.append((len(self.out), node, knob))
        self.out.append(Diagnostic(
            code=code,
            severity=severity or CODES[code][0],
            message=message,
            path=self.path,
            line=line or None,
            node=node_name if node_name is not None else (_qualified(node) if node else None),
            knob=knob,
            value=value,
        ))

    def knob_line(self, node: Node, knob: str) -> int:
        # One {name: line} map per node (Node.knob_line scans every knob: a node with 50,000
        # unknown knobs made validation quadratic).
        if self._lines_of is not node:
            lines: Dict[str, int] = {}
            for k in node.knobs:
                lines[k.name] = k.line or node.line
            self._lines_of, self._lines = node, lines
        return self._lines.get(knob, node.line)

    def resolve_lines(self) -> None:
        """Fill in the lines of the findings ``emit`` left pending on knobs of huge nodes.

        A {name: line} map of every knob of a node with 50,000 unknown knobs took 5x the file in
        memory (a dict entry and a line number per knob); this looks up only the names asked
        for, in one pass per node, with the same answer (the last knob of that name).
        """
        if not self._pending:
            return
        asked: Dict[int, Tuple[Node, Dict[str, int]]] = {}
        for _i, node, knob in self._pending:
            asked.setdefault(id(node), (node, {}))[1][knob] = 0
        for node, lines in asked.values():
            missing = set(lines)
            for k in reversed(node.knobs):
                if k.name in missing:
                    missing.discard(k.name)
                    lines[k.name] = k.line or node.line
                    if not missing:
                        break
            for name in missing:
                lines[name] = node.line
        for i, node, knob in self._pending:
            self.out[i] = replace(self.out[i], line=asked[id(node)][1][knob] or None)
        self._pending = []

    # -- graph levels ------------------------------------------------------------------------------
    def graph(self, graph: Graph) -> None:
        self.directives(graph)
        members = {id(n) for n in graph.nodes}
        seen: Dict[str, Node] = {}
        for node in graph.nodes:
            name = node.knob("name")
            if name is not None and node.cls != "Root":
                key = _model.unquote(name)
                if key in seen:
                    first = seen[key]
                    self.emit("duplicate-name", f"name also used by the {first.cls} at line "
                              f"{first.line}" if first.line else "name used twice in this group",
                              node, "name", name)
                else:
                    seen[key] = node
            self.node(node, members)
            if node.body is not None:
                self.graph(node.body)

    def directives(self, graph: Graph) -> None:
        for item in graph.items:
            if isinstance(item, Directive) and item.command not in _KNOWN_COMMANDS \
                    and item.text != "}":  # a stray brace: reported by the parser (stray-brace)
                word = item.command or item.text.strip()[:20]
                self.emit("unknown-command", f"{word!r} is not a command Nuke writes in a script "
                          "(not a node block: no '{' on the same line?)", line=item.line or None,
                          value=item.text.strip())

    # -- nodes -------------------------------------------------------------------------------------
    def node(self, node: Node, members: Set[int]) -> None:
        original = node.clone_of
        cls = node.cls
        info = self.schema.class_info(cls)
        self.inputs(node, members, info)
        if info is None:
            self.unknown_class(node)
        user = _user_knobs(node)
        if original is not None:
            user |= _user_knobs(original)
        for knob in node.knobs:
            name = knob.name
            if name == "addUserKnob":
                continue  # code in user knobs: the untrusted analysis (untrusted.py)
            if name == "inputs":
                continue
            if name in user or info is None:
                continue
            self.knob(node, info, name, knob.value)
        if cls in GROUP_CLASSES and original is None and node.body is None:
            self.emit("unclosed-group", f"{cls} has no body (no end_group)", node)

    def unknown_class(self, node: Node) -> None:
        cls = node.cls
        if self._case_index is None:  # built only when a class is unknown (rare)
            self._case_index = {c.lower(): c for c in self.schema.classes()}
        exact = self._case_index.get(cls.lower())
        if exact is not None:
            self.emit("unknown-class", f"unknown class {cls!r}: Nuke class names are case-"
                      f"sensitive, did you mean {exact!r}?", node, severity=ERROR)
        elif cls.endswith(".gizmo"):
            self.emit("unknown-class", f"gizmo instance: needs {cls} on the NUKE_PATH", node)
        elif cls.startswith("OFX"):
            self.emit("unknown-class", "OFX plugin not in the Nuke 17.0v3 scan: needs the plugin "
                      "installed", node)
        else:
            # VectorBlur -> VectorBlur2: Nuke renames a class with a number when it replaces it.
            newer = [c for c in self.schema.classes()
                     if c.startswith(cls) and c[len(cls):].isdigit()]
            extra = f" (Nuke 17.0v3 has {newer[0]!r}: an older version of it?)" if newer else ""
            self.emit("unknown-class", f"class {cls!r} is not a Nuke 17.0v3 node: needs a plugin "
                      f"or gizmo of that name{extra}", node)

    def knob(self, node: Node, info: ClassInfo, name: str, raw: str) -> None:
        k = self.schema.knob(node.cls, name)
        if k is None:
            k = self._derived_knob(node.cls, name)
        if k is None and info.source == "corpus" and name in CALLBACK_KNOBS:
            return  # documented callback knobs (Root's onScriptLoad...) on a corpus-only class
        if k is None:
            if info.source == "corpus":
                self.emit("unknown-knob", f"{name!r} was not seen on {node.cls} in real files "
                          "(the class is known only from them)", node, name, raw, severity=INFO)
            elif info.dynamic:
                self.emit("unknown-knob", f"{name!r} is not a {node.cls} knob in Nuke 17.0v3 "
                          f"({info.dynamic})", node, name, raw, severity=INFO)
            else:
                hint = difflib.get_close_matches(name, self.schema.knob_order(node.cls), n=1,
                                                 cutoff=0.75) if self.hints_left > 0 else []
                self.hints_left -= 1
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.emit("unknown-knob", f"{node.cls} has no knob {name!r}{extra}", node, name,
                          raw)
            return
        if k.source == "corpus" and info.source == "facts" and not self._file_type_knob(node, name):
            self.emit("legacy-knob", f"{name!r} is not a {node.cls} knob in Nuke 17.0v3; older "
                      "Nukes wrote it", node, name, raw)
        if k.enum is not None and k.type == "Enumeration_Knob":
            self.enum(node, name, raw, k.enum)

    def _file_type_knob(self, node: Node, name: str) -> bool:
        """True for a knob of the node's file format (EXR Write ``metadata``), as real files write."""
        file_type = node.knob("file_type")
        if file_type is None:
            return False
        return name in self.schema.file_type_knobs(node.cls, parse_word(file_type).strip())

    def _derived_knob(self, cls: str, name: str):
        # `white_panelDropped` (UI state of a color knob) and `shadows.gamma` (a sub-knob).
        for sep in ("_panelDropped", "."):
            if sep in name:
                base = name.split(sep, 1)[0]
                if base and self.schema.knob(cls, base) is not None:
                    return self.schema.knob(cls, base)
        return None

    def enum(self, node: Node, name: str, raw: str, values: Tuple[str, ...]) -> None:
        text = raw.strip()
        if not text or is_expression(text):
            return
        if text.startswith("{"):
            # `{{0} B}` / `{0} B`: an index followed by the item name (dynamic menus).
            inner = text[1:-1].strip() if text.endswith("}") else text
            parts = inner.split(None, 1)
            if len(parts) != 2 or not re.match(r"^\{?\d+\}?$", parts[0]):
                return
            text = parts[1]
        value = parse_word(text)
        if _ocio_menu(name, values):
            names, label = self.ocio()
            if names is not None:
                if value in names or value == "default" or value.startswith("default (") \
                        or re.fullmatch(r"\d+", value):
                    return
                hint = difflib.get_close_matches(value, sorted(names), n=1, cutoff=0.6)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.emit("bad-enum-value", f"{value!r} is not a colourspace, alias or role of "
                          f"the OCIO config {label}{extra}", node, name, raw, severity=WARNING)
                return
            if label:
                return  # OCIO with a config that cannot be read here: no evidence either way
        if value in values:
            return
        folded = {v.lower(): v for v in values}
        if value.lower() in folded:
            # Older Nukes wrote `filter Impulse`/`Notch` and the files load: menus match any case.
            self.emit("bad-enum-value", f"matches {folded[value.lower()]!r} except for letter "
                      "case (older Nukes wrote it this way)", node, name, raw, severity=INFO)
            return
        if re.fullmatch(r"\d+", value) and int(value) < len(values):
            return  # an item index; Enumeration_Knob reads numbers as indices
        dynamic = _dynamic_menu(name, values)
        hint = difflib.get_close_matches(value, values, n=1, cutoff=0.6)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        if dynamic:
            self.emit("bad-enum-value", f"{value!r} is not in the Nuke 17.0v3 default menu of "
                      f"{node.cls}.{name}; this menu depends on the OCIO config or installed "
                      f"plugins{extra}", node, name, raw, severity=WARNING)
        else:
            self.emit("bad-enum-value", f"not a value of {node.cls}.{name}{extra}", node, name,
                      raw)

    # -- inputs ------------------------------------------------------------------------------------
    def inputs(self, node: Node, members: Set[int], info: Optional[ClassInfo]) -> None:
        paste = getattr(_model, "PASTE_INPUT", None)
        for i, src in enumerate(node.inputs):
            if src is None or src is paste:
                continue
            if id(src) not in members:
                where = "another group level" if src.parent is not None else "no graph"
                self.emit("unresolved-variable", f"input {i} is {src.cls} {src.name!r} from "
                          f"{where}: a .nk file cannot connect it", node)
        # Trailing empty slots do not count: a bare paste with no `inputs` line reads as one empty
        # input, and real files write `inputs 4` after `push 0`s on a group with two Inputs.
        total = max((i + 1 for i, s in enumerate(node.inputs) if s is not None), default=0)
        limit = self._max_inputs(node, info)
        # A parsed node with no `inputs` line got the parser's default count, not the file's.
        implicit = node.line and node.knob("inputs") is None
        if limit is not None and total > limit and not implicit:
            if node.cls in GROUP_CLASSES:
                # Seen in a real file (nested_group.nk): connections past a group's Input nodes.
                self.emit("wrong-input-count", f"the {node.cls} has {limit} Input node(s) but "
                          f"input {total - 1} is connected", node, "inputs", node.knob("inputs"),
                          severity=WARNING)
            else:
                self.emit("wrong-input-count", f"{node.cls} takes at most {limit} input(s) "
                          f"(mask included), input {total - 1} is connected", node,
                          "inputs", node.knob("inputs"))
        required = REQUIRED_INPUTS.get(node.cls)
        if required:
            for i, label in sorted(required.items()):
                if node.input(i) is None:
                    self.emit("missing-required-input", f"input {i} ({label}) is not connected",
                              node)

    def _max_inputs(self, node: Node, info: Optional[ClassInfo]) -> Optional[int]:
        if info is None or info.inputs is None:
            return None
        if node.cls in GROUP_CLASSES:
            group = node.clone_of.body if node.clone_of is not None else node.body
            if group is None:
                return None
            # A group's inputs are its Input nodes (plus a mask input when one is flagged).
            return sum(1 for n in group.nodes if n.cls == "Input") + node.mask_inputs
        return info.inputs[1]


def _qualified(node: Node) -> str:
    names = [node.name or node.cls]
    graph = node.parent
    while graph is not None and graph.owner is not None:
        owner = graph.owner
        names.append(owner.name or owner.cls)
        graph = owner.parent
    return ".".join(reversed(names))


def _user_knob_parts(definition: str) -> Optional[Tuple[int, str]]:
    text = definition.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    words = text.split(None, 2)
    if len(words) < 2 or not words[0].isdigit():
        return None
    return int(words[0]), _model.unquote(words[1])


def _user_knobs(node: Node) -> Set[str]:
    names = set()
    for k in node.knobs:
        if k.name == "addUserKnob":
            parts = _user_knob_parts(k.value)
            if parts is not None:
                names.add(parts[1])
    return names


def validate_script(script: Script, *, untrusted: bool = False, strict: bool = False,
                    rules: Iterable[Rule] = (), schema: Optional[Schema] = None,
                    source: Optional[str] = None) -> List[Diagnostic]:
    """Validate ``script`` and return its findings in file order.

    Args:
        script: a parsed or built script.
        untrusted: also report, as errors, code the script would run (see ``untrusted.py``).
        strict: report warnings as errors.
        rules: extra callables ``rule(script) -> Iterable[Diagnostic]`` (workflow graph rules).
        schema: the schema to check against (default: the packaged one).
        source: the decoded text ``script`` was parsed from. The untrusted analysis reads it with
            TCL's rules; without it, the script is written out (``writer.write_script``) first.
    """
    schema = schema or load_schema()
    checker = _Checker(script, schema, untrusted)
    found = [diagnostic_from_error(err) for err in getattr(script, "warnings", ())]
    # The untrusted analysis reads the source text: done first, while the knobs are still
    # undecoded, its working memory does not add to theirs (a node of 50,000 knobs: 1.5x the file).
    early = untrusted_diagnostics(script, schema, source) if untrusted and source is not None else None
    if source is not None:
        _share_text(script, source)
    # Every knob is decoded: with the collector paused it does not rescan the growing heap of knobs
    # (a 200,000-node script: 6.4-7.6 s -> 5.0-5.6 s CPU).
    with collector_paused():
        checker.graph(script)
        checker.resolve_lines()
    found.extend(checker.out)
    for code, count in sorted(checker.counts.items()):
        if count > MAX_FINDINGS_PER_CODE:
            found.append(_more(code, count, script.path))
    if early is not None:
        found.extend(early)
    elif untrusted:
        found.extend(untrusted_diagnostics(script, schema, source))
    for rule in rules:
        found.extend(rule(script))
    if strict:
        found = [replace(d, severity=ERROR) if d.severity == WARNING else d for d in found]
    order = {id(d): i for i, d in enumerate(found)}
    found.sort(key=lambda d: (d.path or "", d.line or 0, order[id(d)]))
    return found


def _share_text(script: Script, source: str) -> None:
    """Point the undecoded nodes at ``source`` when it is the very text they were parsed from, so
    the parser's copy of the file can go before the knobs are decoded (1x the file less at the peak
    of a huge script; nothing changes in what is read)."""
    nodes = [n for n in script.walk() if n._src is not None]
    if not nodes or nodes[0]._src[0] is source or nodes[0]._src[0] != source:
        return
    text = nodes[0]._src[0]
    if any(n._src[0] is not text for n in nodes):
        return
    for n in nodes:
        n._src = (source,) + n._src[1:]


def _more(code: str, count: int, path: Optional[str]) -> Diagnostic:
    return Diagnostic(code=code, severity=CODES[code][0], path=path, line=None,
                      message=f"... and {count - MAX_FINDINGS_PER_CODE} more {code} findings "
                              f"({count} in all; only the first {MAX_FINDINGS_PER_CODE} are "
                              "listed)")


def untrusted_diagnostics(script: Script, schema: Schema,
                          source: Optional[str] = None) -> List[Diagnostic]:
    """The ``--untrusted`` findings (all errors) of ``script``, read from ``source`` or from the
    script written out."""
    if source is None:
        from .writer import write_script

        source = write_script(script)
    lines = LineIndex(source)
    out: List[Diagnostic] = []
    counts: Dict[str, int] = {}
    for f in scan_text(source, schema):
        counts[f.code] = counts.get(f.code, 0) + 1
        if counts[f.code] <= MAX_FINDINGS_PER_CODE:
            out.append(Diagnostic(code=f.code, severity=CODES[f.code][0], message=f.message,
                                  path=script.path, line=lines.locate(f.offset)[0], node=f.node,
                                  knob=f.knob, value=f.value))
    out.extend(_more(code, n, script.path) for code, n in sorted(counts.items())
               if n > MAX_FINDINGS_PER_CODE)
    return out


def validate_file(path, *, untrusted: bool = False, strict: bool = False,
                  rules: Iterable[Rule] = ()) -> List[Diagnostic]:
    """Parse ``path`` leniently and validate it. Raises NkSyntaxError when it cannot be read."""
    from .lexer import decode, read_script_bytes
    from .parser import parse_bytes

    data = read_script_bytes(path)
    script = parse_bytes(data, path, strict=False)
    return validate_script(script, untrusted=untrusted, strict=strict, rules=rules,
                           source=decode(data)[0] if untrusted else None)


def diagnostic_from_error(err: Exception) -> Diagnostic:
    """A parser error (raised, or kept in ``script.warnings`` by a lenient parse) as a finding."""
    message = getattr(err, "message", None) or str(err)
    if "unknown variable" in message:
        code = "unresolved-variable"
    elif "end_group" in message:
        code = "unclosed-group"
    elif "stack underflow" in message:
        code = "stack-underflow"
    elif message.startswith("unexpected '}' with no open node"):
        code = "stray-brace"
    else:
        code = "syntax-error"
    return Diagnostic(code=code, severity=CODES[code][0], message=message,
                      path=getattr(err, "path", None), line=getattr(err, "line", None),
                      column=getattr(err, "column", None))


def summarize(diagnostics: Iterable[Diagnostic]) -> Dict[str, int]:
    """Counts per severity: ``{"error": n, "warning": n, "info": n}``."""
    counts = {ERROR: 0, WARNING: 0, INFO: 0}
    for d in diagnostics:
        counts[d.severity] = counts.get(d.severity, 0) + 1
    return counts
