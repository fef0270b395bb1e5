"""Roles in .nk templates: which node of a TD's graph is the Source Read, the CopyCat, the Write...

A template is an ordinary Nuke script. Some of its nodes carry a *role*, stored the way Nuke saves
any invisible user knob (the shape real files write, e.g. ``addUserKnob {1 idHex l INVISIBLE
+INVISIBLE}``, and the one our Root marker uses)::

    CopyCat {
     ...
     addUserKnob {20 nuke_restore +INVISIBLE}
     addUserKnob {1 nuke_restore_role +INVISIBLE}
     nuke_restore_role copycat
    }

The value is ``<role>`` or ``<role> <stage>`` (stage 1, 2... of a multi-stage procedure; 1 when
left out). The Root carries ``nuke_restore_template "<kind> [key=value ...]"`` with the script kind
the template fills (training, inference or baseline).

Everything without a role is kept as the TD saved it. This module reads and writes the tags,
checks a template (roles found, missing, ambiguous, on the wrong class) and turns a script
nuke_restore built into a template (``init``) or a Nuke selection into one (``from_snippet``).
Standard library only: the Nuke side uses it too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..errors import TemplateError
from ..nk.model import PASTE_INPUT, Directive, Knob, Node, Script
from ..nk.parser import parse_text
from ..nk.values import parse_word, quote
from .gizmos import F_ALIGN_CLASS

ROLE_KNOB = "nuke_restore_role"
TEMPLATE_KNOB = "nuke_restore_template"
TAB_KNOB = "nuke_restore"
TAB_DEF = "{20 " + TAB_KNOB + " +INVISIBLE}"
KINDS = ("training", "inference", "baseline")
_READ_KNOBS = ("file_type", "file", "format", "first", "last", "origfirst", "origlast", "origset",
               "colorspace", "raw")


@dataclass(frozen=True)
class Role:
    """One role: the classes it may sit on, the knobs filling replaces, and how the recipe names
    the node that holds the values (a regular expression; ``{p}`` is the stage prefix)."""

    name: str
    classes: Tuple[str, ...]
    knobs: Tuple[str, ...]
    recipe_name: str
    kinds: Tuple[str, ...]
    required: Tuple[str, ...] = ()  # kinds where a template must have it
    staged: bool = False  # one per stage of a multi-stage procedure
    stack: bool = False  # an AppendClip whose FrameHold inputs become one per frame
    rename: bool = False  # the recipe's name ends with a frame number that filling updates
    what: str = ""


ROLES: Tuple[Role, ...] = (
    Role("source_read", ("Read",), _READ_KNOBS, r"Read_SRC", KINDS, KINDS,
         what="the Source Read (file, range, input colourspace)"),
    Role("reference_read", ("Read",), _READ_KNOBS, r"Read_REF", ("training", "baseline"),
         ("training", "baseline"), what="the Reference Read"),
    # The Reference in source frame numbers when the clip has a reference offset or a frame map
    # (``reference_offset`` / ``frame_map``): a TimeOffset, or a FrameHold keyed per frame.
    Role("reference_retime", ("TimeOffset", "FrameHold"), ("time_offset", "firstFrame", "label"),
         r"TimeOffset_REF|FrameHold_REF_MAP", ("training", "baseline"),
         what="the Reference retimed into source frame numbers (offset or frame map)"),
    Role("reference_reformat", ("Reformat",), ("format",), r"Reformat_REF",
         ("training", "baseline"), what="the Reference brought to the project format"),
    Role("auto_align", (F_ALIGN_CLASS,), ("regionBL", "regionTR", "accuracy"), r"F_Align",
         ("training", "baseline"), what="F_Align's analysis region"),
    Role("align_transform", ("Transform",), ("translate", "rotate", "scale", "center"),
         r"Transform_ALIGN", ("training", "baseline"),
         what="the alignment Transform, keyed per frame from `align`"),
    Role("align_switch", ("Dissolve",), ("which",), r"Dissolve_ALIGN", ("training", "baseline"),
         what="the Dissolve choosing F_Align (0) or the Transform (1)"),
    Role("picture_crop", ("Crop",), ("box", "reformat", "crop"), r"Crop_PICTURE",
         ("training", "baseline"), what="the picture crop"),
    Role("live_crop", ("Crop",), ("box", "reformat", "crop"), r"Crop_LIVE_AREA",
         ("inference", "baseline"), what="the live-area crop before the model / render"),
    Role("source_prefilter", ("Median",), ("size", "channels"), r"{p}Median_SRC_PREFILTER",
         ("training", "inference"), staged=True, what="the Source pre-filter"),
    Role("reference_median", ("Median",), ("size", "channels"), r"{p}Median_REF", ("training",),
         staged=True, what="the chroma-safe Reference Median"),
    Role("dataset_source", ("AppendClip",), ("label",), r"{p}AppendClip_SRC",
         ("training", "baseline"), ("training", "baseline"), staged=True, stack=True,
         what="the Source training frames: its FrameHold inputs become one per training frame"),
    Role("dataset_reference", ("AppendClip",), ("label",), r"{p}AppendClip_REF",
         ("training", "baseline"), ("training", "baseline"), staged=True, stack=True,
         what="the Reference training frames (same indices as the Source)"),
    Role("validation_source", ("AppendClip",), ("label",), r"{p}AppendClip_SRC_VAL",
         ("training",), staged=True, stack=True,
         what="the Source hold-out validation frames (shots[].validation)"),
    Role("validation_reference", ("AppendClip",), ("label",), r"{p}AppendClip_REF_VAL",
         ("training",), staged=True, stack=True,
         what="the Reference hold-out validation frames"),
    Role("preview", ("FrameHold",), ("firstFrame",), r"{p}FrameHold_PREVIEW_\d+", ("training",),
         staged=True, rename=True, what="CopyCat's hold-out Preview frame"),
    Role("copycat", ("CopyCat",),
         ("dataDirectory", "epochs", "initialWeights", "modelSize", "batchSizeType", "batchSize",
          "cropSize", "checkpointInterval", "imageInterval", "useMultiResolution",
          "useGPUIfAvailable", "label"),
         r"{p}CopyCat_[A-Z]+", ("training",), ("training",), staged=True,
         what="the CopyCat trainer (data folder, schedule, batch, crop)"),
    Role("inference", ("Inference",), ("modelFile", "halfPrecision"), r"{p}Inference(_[A-Z]+)?",
         ("training", "inference"), ("inference",), staged=True,
         what="an Inference node (model file)"),
    Role("matchgrade", ("MatchGrade",),
         ("matchGradeTask", "analysisType", "output", "transform", "prelut", "lutres",
          "sourceRefFrames", "targetRefFrames"), r"MatchGrade_FIT", ("baseline",), ("baseline",),
         what="the fitted MatchGrade (reference frames 1..N)"),
    Role("metadata", ("ModifyMetaData",), ("metadata",), r"ModifyMetaData_[A-Z]+",
         ("inference", "baseline"), what="the provenance ModifyMetaData before the Write"),
    Role("write", ("Write",),
         ("file", "file_type", "channels", "colorspace", "metadata", "create_directories"),
         r"Write_[A-Z]+", ("inference", "baseline"), ("inference", "baseline"),
         what="the Write (render path with shot, version and checkpoint)"),
    Role("check_read", ("Read",), _READ_KNOBS, r"Read_CHECK_[A-Z]+", ("inference", "baseline"),
         what="the read-back of the render"),
    Role("note", ("StickyNote",), ("label",), r"StickyNote_nuke_restore", KINDS,
         what="the StickyNote summarising the job"),
)
ROLE_BY_NAME: Dict[str, Role] = {r.name: r for r in ROLES}


@dataclass
class Tag:
    """A role found on a node."""

    node: Node
    role: str
    stage: int
    line: int


@dataclass
class Finding:
    """One problem (or note) of ``check``: severity 'error' or 'info', with its line."""

    severity: str
    message: str
    line: Optional[int] = None

    def format(self, path: Optional[str]) -> str:
        where = f"{path or '<template>'}" + (f":{self.line}" if self.line else "")
        return f"{where}: {self.severity}: {self.message}"


@dataclass
class Report:
    """What ``check`` found: the kind, the tags, and findings (errors make a template unusable)."""

    kind: Optional[str]
    tags: List[Tag] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def stages(self) -> List[int]:
        return sorted({t.stage for t in self.tags})


# -- reading tags -----------------------------------------------------------------------------------
def role_of(node: Node) -> Optional[Tuple[str, int, int]]:
    """(role, stage, line) of a tagged node, or None. The stage defaults to 1."""
    raw = node.knob(ROLE_KNOB)
    if raw is None:
        return None
    words = parse_word(raw).split()
    line = node.knob_line(ROLE_KNOB)
    if not words:
        return ("", 1, line)
    stage = 1
    if len(words) > 1:
        stage = int(words[1]) if words[1].isdigit() and int(words[1]) > 0 else 0
    return (words[0], stage if len(words) <= 2 else 0, line)


def template_info(script: Script) -> Optional[Dict[str, str]]:
    """The Root mark ``{kind, key: value...}`` of a template, or None."""
    root = script.root
    raw = root.knob(TEMPLATE_KNOB) if root is not None else None
    if raw is None:
        return None
    words = parse_word(raw).split()
    info = {"kind": words[0] if words else ""}
    for w in words[1:]:
        if "=" in w:
            k, v = w.split("=", 1)
            info[k] = v
    return info


def check(script: Script) -> Report:
    """Roles found, missing and ambiguous, roles on the wrong class, each with its line."""
    info = template_info(script)
    kind = info.get("kind") if info else None
    report = Report(kind=kind)
    if script.root is None:
        report.findings.append(Finding("error", "a template is a whole script with a Root (save "
                                                "it with File > Save, or use `template init`)", 1))
    elif info is None:
        report.findings.append(Finding(
            "error", f"the Root has no {TEMPLATE_KNOB} mark saying which script it fills "
                     f"({', '.join(KINDS)})", script.root.line or 1))
    elif kind not in KINDS:
        report.findings.append(Finding(
            "error", f"{TEMPLATE_KNOB} {kind!r} is not a script kind; allowed: {', '.join(KINDS)}",
            script.root.knob_line(TEMPLATE_KNOB)))
    seen: Dict[Tuple[str, int], Tag] = {}
    for node in script.walk():
        found = role_of(node)
        if found is None:
            continue
        role, stage, line = found
        label = f"{node.name or node.cls} ({node.cls})"
        spec = ROLE_BY_NAME.get(role)
        if spec is None:
            report.findings.append(Finding(
                "error", f"{label}: unknown role {role!r}; roles: {', '.join(ROLE_BY_NAME)}", line))
            continue
        if stage < 1:
            report.findings.append(Finding(
                "error", f"{label}: role value must be '<role>' or '<role> <stage>' with a "
                         "stage number from 1", line))
            continue
        if node.cls not in spec.classes:
            report.findings.append(Finding(
                "error", f"{label}: role {role} belongs on a {' or '.join(spec.classes)} node, "
                         f"not a {node.cls}", line))
            continue
        if node.parent is not script:
            report.findings.append(Finding(
                "error", f"{label}: role {role} inside a group; roles sit on top-level nodes",
                line))
            continue
        if stage > 1 and not spec.staged:
            report.findings.append(Finding(
                "error", f"{label}: role {role} has no stages (found stage {stage})", line))
            continue
        if kind in KINDS and kind not in spec.kinds:
            report.findings.append(Finding(
                "error", f"{label}: role {role} does not occur in a {kind} script", line))
            continue
        other = seen.get((role, stage))
        if other is not None:
            report.findings.append(Finding(
                "error", f"{label}: role {_rs(role, stage)} is claimed twice (also by "
                         f"{other.node.name} at line {other.line}); exactly one node may carry it",
                line))
            continue
        tag = Tag(node, role, stage, line)
        seen[(role, stage)] = tag
        report.tags.append(tag)
        if spec.stack:
            report.findings.extend(_check_stack(node, line))
    # Problems on nodes first (by line), then what is missing (often a consequence of them).
    report.findings.sort(key=lambda f: (f.line or 0))
    if kind in KINDS:
        stages = report.stages() or [1]
        for spec in ROLES:
            if kind not in spec.required:
                continue
            for st in (stages if spec.staged else [1]):
                if (spec.name, st) not in seen:
                    report.missing.append(_rs(spec.name, st))
                    report.findings.append(Finding(
                        "error", f"role {_rs(spec.name, st)} is missing: a {kind} template needs "
                                 f"{spec.what}", script.root.line if script.root else None))
    return report


def _rs(role: str, stage: int) -> str:
    return role if stage == 1 else f"{role} {stage}"


def _check_stack(append: Node, line: int) -> List[Finding]:
    holds = [n for n in append.inputs if n is not None]
    label = append.name or append.cls
    if not holds or any(h.cls != "FrameHold" or h.clone_of is not None for h in holds):
        return [Finding("error", f"{label}: a dataset AppendClip's inputs must all be FrameHolds "
                                 "(one per training frame)", line)]
    if len({id(h.input(0)) for h in holds}) != 1:
        return [Finding("error", f"{label}: the dataset FrameHolds must all hang from one node "
                                 "(e.g. a FrameRange)", line)]
    return []


# -- writing tags -----------------------------------------------------------------------------------
def set_role(node: Node, role: Optional[str], stage: int = 1) -> None:
    """Tag ``node`` with ``role`` (None removes the tag), as an invisible user knob."""
    knobs = node.knobs
    value = None if role is None else (role if stage == 1 else f"{role} {stage}")
    for k in knobs:
        if k.name == ROLE_KNOB:
            if value is None:
                break
            k.value = quote(value)
            return
    if value is None:
        node.knobs = [k for k in knobs if k.name != ROLE_KNOB and not (
            k.name == "addUserKnob" and _user_knob_name(k.value) in (ROLE_KNOB, TAB_KNOB))]
        return
    if not any(k.name == "addUserKnob" and _user_knob_name(k.value) == TAB_KNOB for k in knobs):
        knobs.append(Knob("addUserKnob", TAB_DEF))
    knobs.append(Knob("addUserKnob", "{1 " + ROLE_KNOB + " +INVISIBLE}"))
    knobs.append(Knob(ROLE_KNOB, quote(value)))


def mark_root(root: Node, kind: str, extra: str = "") -> None:
    """Give the Root the template mark (replacing a recipe mark, if any)."""
    value = quote(f"{kind} {extra}".strip())
    knobs = [k for k in root.knobs if k.name != "nuke_restore_recipe" and not (
        k.name == "addUserKnob" and _user_knob_name(k.value) == "nuke_restore_recipe")]
    for k in knobs:
        if k.name == TEMPLATE_KNOB:
            k.value = value
            root.knobs = knobs
            return
    if not any(k.name == "addUserKnob" and _user_knob_name(k.value) == TAB_KNOB for k in knobs):
        knobs.append(Knob("addUserKnob", TAB_DEF))
    knobs.append(Knob("addUserKnob", "{1 " + TEMPLATE_KNOB + " +INVISIBLE}"))
    knobs.append(Knob(TEMPLATE_KNOB, value))
    root.knobs = knobs


def _user_knob_name(definition: str) -> str:
    words = definition.strip().lstrip("{").split()
    return words[1] if len(words) > 1 else ""


# -- making templates -------------------------------------------------------------------------------
def recipe_counterparts(script: Script, stages: int) -> Dict[Tuple[str, int], Node]:
    """The nodes of a recipe-built script that hold each role's values, by (role, stage)."""
    out: Dict[Tuple[str, int], Node] = {}
    multi = stages > 1
    for spec in ROLES:
        for st in (range(1, stages + 1) if spec.staged else [1]):
            prefix = f"S{st}_" if (multi and spec.staged) else ""
            pattern = re.compile("^(?:" + spec.recipe_name.replace("{p}", re.escape(prefix))
                                 + ")$")
            for node in script.nodes:
                if node.clone_of is None and node.cls in spec.classes and pattern.match(node.name):
                    out.setdefault((spec.name, st), node)
                    break
    return out


def stage_count(script: Script) -> int:
    names = {n.name for n in script.nodes}
    k = 1
    while any(name.startswith(f"S{k + 1}_") for name in names):
        k += 1
    return k if any(name.startswith("S1_") for name in names) else 1


def init_from_built(text: str, path: Optional[str] = None, kind: Optional[str] = None,
                    roles: Optional[Dict[str, str]] = None,
                    procedure: Optional[str] = None) -> Tuple[str, Report]:
    """A template (text) from a script: roles tagged, the Root marked.

    A script nuke_restore built is tagged by its node names (kind and procedure from its build
    mark). Any other whole script (a graph drawn by hand and saved from Nuke) needs ``kind`` and
    gets only the ``roles`` given ({node name: "role" or "role stage"}), which also override the
    tags of a built script.
    """
    from .rules import marker

    script = parse_text(text, path)
    if script.root is None:
        raise TemplateError("not a whole script (no Root): save it with File > Save, or use "
                            "Restore > Templates > Save selection as template", path=path, line=1)
    info = marker(script)
    if info is None and kind is None:
        raise TemplateError("not a script nuke_restore built (no nuke_restore_recipe mark on the "
                            "Root): give --kind and --role NODE=ROLE, or tag the roles in Nuke "
                            "with Restore > Templates > Save selection as template", path=path,
                            line=script.root.line or 1)
    kind = kind or info["kind"]
    if kind not in KINDS:
        raise TemplateError(f"unknown script kind {kind!r}; allowed: {', '.join(KINDS)}",
                            path=path)
    extra = ""
    if info is not None:
        n_stages = stage_count(script)
        if _clips_of(script):
            raise TemplateError("the script has several clips (Read_SRC_<clip>); templates fill "
                                "units of one clip: init from a shot's script", path=path)
        for (role, stage), node in recipe_counterparts(script, n_stages).items():
            if kind in ROLE_BY_NAME[role].kinds:
                set_role(node, role, stage)
        extra = (f"type={procedure or _procedure_type(script, info['procedure'])} "
                 f"from={info['unit']} stages={n_stages}")
    elif procedure:
        extra = f"type={procedure}"
    for name, value in (roles or {}).items():
        node = script.find(name)
        if node is None:
            raise TemplateError(f"--role {name}={value}: no top-level node named {name}",
                                path=path)
        words = value.split()
        if not words or words[0] not in ROLE_BY_NAME or (len(words) > 1 and not (
                words[1].isdigit() and int(words[1]) > 0)):
            raise TemplateError(f"--role {name}={value}: roles are {', '.join(ROLE_BY_NAME)} "
                                "(optionally followed by a stage number)", path=path)
        set_role(node, words[0], int(words[1]) if len(words) > 1 else 1)
    mark_root(script.root, kind, extra)
    from ..nk.writer import write_script

    out = write_script(script)
    return out, check(parse_text(out, path))


_NOTE_HEAD = re.compile(r"^nuke_restore \S+: (\S+)(?: \((\S+)\))? \w+ script")


def _procedure_type(script: Script, procedure: str) -> str:
    """The YAML procedure template a built script came from: the StickyNote's first line says
    ``<procedure> (<type>)`` when they differ."""
    note = script.find("StickyNote_nuke_restore")
    m = _NOTE_HEAD.match(parse_word(note.knob("label") or "")) if note is not None else None
    return (m.group(2) or m.group(1)) if m else procedure


def _clips_of(script: Script) -> List[str]:
    return [n.name[len("Read_SRC_"):] for n in script.nodes
            if n.cls == "Read" and n.name.startswith("Read_SRC_") and
            not n.name.startswith("Read_SRC_PRINT")]


def from_snippet(text: str, roles: Dict[str, str], kind: str, version: str = "15.1 v1",
                 extra: str = "") -> str:
    """A template from nodes copied in Nuke (clipboard text, as ``nuke.nodeCopy`` writes it).

    ``roles`` maps node names to ``role`` or ``role stage``. The nodes keep their text; a Root
    with the template mark is added in front (a template is a whole script).
    """
    if kind not in KINDS:
        raise TemplateError(f"unknown script kind {kind!r}; allowed: {', '.join(KINDS)}")
    snippet = parse_text(text)
    unknown = sorted(set(roles) - {n.name for n in snippet.nodes})
    if unknown:
        raise TemplateError(f"no node named {', '.join(unknown)} in the selection")
    for node in snippet.nodes:
        if node.name in roles:
            words = roles[node.name].split()
            if not words:
                continue
            if words[0] not in ROLE_BY_NAME:
                raise TemplateError(f"{node.name}: unknown role {words[0]!r}")
            set_role(node, words[0], int(words[1]) if len(words) > 1 and words[1].isdigit()
                     else 1)
    script = Script.new(snippet.version or version)
    if snippet.root is not None:
        raise TemplateError("the selection holds a Root; select nodes only")
    for item in snippet.items:
        if isinstance(item, Directive):
            if item.command in ("set", "version", "#"):
                continue
            script.append(item)
        else:
            for i, src in enumerate(item.inputs):
                if src is PASTE_INPUT:
                    item.inputs[i] = None
            script.append(item)
    mark_root(script.root, kind, extra)
    from ..nk.writer import write_script

    return write_script(script)


def guess_role(cls: str, name: str) -> str:
    """A likely role for a node of ``cls`` called ``name`` (the dialog's first suggestion)."""
    for spec in ROLES:
        pattern = re.compile("^(?:" + spec.recipe_name.replace("{p}", r"(S\d+_)?") + ")$")
        if cls in spec.classes and pattern.match(name):
            return spec.name
    unique = {"CopyCat": "copycat", "Inference": "inference", "MatchGrade": "matchgrade",
              "Write": "write", "StickyNote": "note", "ModifyMetaData": "metadata",
              F_ALIGN_CLASS: "auto_align"}
    return unique.get(cls, "")


def roles_for_class(cls: str, stages: int = 2) -> List[str]:
    """The roles a node of ``cls`` may carry (the dialog's choices); staged roles also as
    ``<role> 2`` ... up to ``stages`` (multi-stage procedures such as combined)."""
    out = []
    for r in ROLES:
        if cls in r.classes:
            out.append(r.name)
            if r.staged:
                out += [f"{r.name} {k}" for k in range(2, stages + 1)]
    return out


def format_report(report: Report, path: Optional[str]) -> List[str]:
    """``template check`` output lines."""
    lines = [f"{path}: {report.kind or '?'} template, {len(report.tags)} role(s)"]
    for t in sorted(report.tags, key=lambda t: t.line):
        lines.append(f"{path}:{t.line}: role {_rs(t.role, t.stage)} on {t.node.name} "
                     f"({t.node.cls})")
    if report.kind in KINDS:
        tagged = {t.role for t in report.tags}
        optional = [r.name for r in ROLES if report.kind in r.kinds and r.name not in tagged
                    and report.kind not in r.required]
        if optional:
            lines.append(f"{path}: info: optional roles not used (kept as saved): "
                         + ", ".join(optional))
    lines += [f.format(path) for f in report.findings]
    return lines
