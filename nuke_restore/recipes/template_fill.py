"""Filling a .nk template for one unit (shot, scene or sequence).

The values come from the recipe: for every unit the recipe builds its own script first (from the
job config, the curation, the alignment and frame data, exactly as ``build`` always does), and each
role of the template takes its knobs from the recipe node of the same role. So a template can never
disagree with the recipe about a path, a frame, a key or a CopyCat setting; it only decides the
graph around them. Nodes without a role, and every knob a role does not fill, keep the template's
bytes.

Templates live beside the YAML procedure templates, in ``procedures/`` of each folder of the
layered search path (``NUKE_RESTORE_TEMPLATE_PATH``); the job config names them with
``template: studio_chroma.nk`` (or a list of them, one per script kind). A template file must stay
inside its folder (symlinks included). Its own content is untrusted input: any code it would run
(callbacks, ``[python ...]``, script buttons) outside the knobs filling replaces refuses the build.
"""
from __future__ import annotations

import copy
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..errors import NkSyntaxError, TemplateError
from ..nk.model import Knob, Node, Script
from ..nk.parser import parse_text
from ..nk.values import parse_word
from . import provenance as pv
from . import template_roles as tr

logger = logging.getLogger(__name__)

FOLDER = "procedures"
ROOT_KNOBS = ("project_directory", "frame", "first_frame", "last_frame", "lock_range", "fps",
              "format", "colorManagement", "OCIO_config", "customOCIOConfigPath",
              "workingSpaceLUT")
MARKER_KNOB = "nuke_restore_recipe"


@dataclass
class LoadedTemplate:
    """A checked template: its name, file, text and the script kind it fills."""

    name: str
    path: Path
    text: str
    kind: str
    stages: List[int]


# -- finding ----------------------------------------------------------------------------------------
def resolve(name: str, search: Sequence[Path]) -> Path:
    """The highest-priority ``procedures/<name>`` on the search path (a plain ``*.nk`` name)."""
    from ..config.templates import check_name

    check_name(name, "template")
    if not name.endswith(".nk"):
        raise TemplateError(f"template {name!r}: a .nk template name ends with .nk")
    for folder in search:
        base = (Path(folder) / FOLDER).resolve()
        cand = base / name
        if not cand.is_file():
            continue
        real = cand.resolve()
        if base not in real.parents:
            raise TemplateError(f"template {name!r} resolves outside its folder ({real})",
                                path=str(cand))
        return real
    found = ", ".join(n for n, _p in find_templates(search)) or "none"
    raise TemplateError(f"no .nk template {name!r} in procedures/ on the template search path "
                        f"({os.pathsep.join(str(f) for f in search)}); found: {found}")


def find_templates(search: Sequence[Path]) -> List[Tuple[str, Path]]:
    """Every ``procedures/*.nk`` on the search path, highest priority first, each name once."""
    out: Dict[str, Path] = {}
    for folder in search:
        base = Path(folder) / FOLDER
        if not base.is_dir():
            continue
        for p in sorted(base.glob("*.nk")):
            if p.name not in out and p.is_file() and base.resolve() in p.resolve().parents:
                out[p.name] = p
    return sorted(out.items())


# -- loading and checking ---------------------------------------------------------------------------
def read_template_text(path: Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TemplateError(f"cannot read template: {exc.strerror}", path=str(path)) from None
    return data.decode("utf-8", errors="surrogateescape")


def load(path: Path, name: Optional[str] = None) -> LoadedTemplate:
    """Read, parse and check a template; refuse bad roles and any code it would run."""
    text = read_template_text(path)
    try:
        script = parse_text(text, str(path))
    except NkSyntaxError as exc:
        raise TemplateError(exc.message, path=exc.path or str(path), line=exc.line,
                            column=exc.column) from None
    report = tr.check(script)
    refuse(report.errors, path)
    untrusted = untrusted_findings(script)
    if untrusted:
        first = untrusted[0]
        more = f" (and {len(untrusted) - 1} more)" if len(untrusted) > 1 else ""
        raise TemplateError(f"refusing the template: {first.node or ''}"
                            f"{'.' + first.knob if first.knob else ''}: {first.message} "
                            f"[{first.code}]{more}; a template is untrusted input and no code in "
                            "it may reach the scripts built from it", path=str(path),
                            line=first.line)
    return LoadedTemplate(name or Path(path).name, Path(path), text, report.kind or "",
                          report.stages())


def refuse(errors: Sequence[tr.Finding], path: os.PathLike) -> None:
    if not errors:
        return
    first = errors[0]
    more = (f" (and {len(errors) - 1} more: `nuke-restore template check {path}` lists them)"
            if len(errors) > 1 else "")
    raise TemplateError(first.message + more, path=str(path), line=first.line)


def filled_knobs(script: Script) -> Set[Tuple[str, str]]:
    """(node name, knob) pairs whose template values filling replaces."""
    out: Set[Tuple[str, str]] = {("Root", k) for k in ROOT_KNOBS}
    for node in script.nodes:
        found = tr.role_of(node)
        spec = tr.ROLE_BY_NAME.get(found[0]) if found else None
        if spec is not None and node.cls in spec.classes:
            out.update((node.name, k) for k in spec.knobs)
            if spec.stack:
                for hold in node.inputs:
                    if hold is not None:
                        out.update({(hold.name, "firstFrame"), (hold.name, "label")})
    return out


def untrusted_findings(script: Script) -> List:
    """What ``validate --untrusted`` reports on the template beyond the trusted checks, except on
    knobs that filling replaces (their template values never reach a built script)."""
    from ..nk.validate import validate_script

    trusted = set(validate_script(script))
    skip = filled_knobs(script)
    out = []
    for d in validate_script(script, untrusted=True):
        if d in trusted:
            continue
        if (d.node, d.knob) in skip:
            continue
        out.append(d)
    return out


# -- filling ----------------------------------------------------------------------------------------
def fill(tpl: LoadedTemplate, built, n_stages: int) -> Tuple[Script, str]:
    """The template filled with the values of ``built`` (the recipe's BuiltScript of the same
    unit and kind). Returns the filled script and its text."""
    from ..nk.writer import write_script

    path = str(tpl.path)
    script = parse_text(tpl.text, path)
    report = tr.check(script)
    refuse(report.errors, tpl.path)
    if report.kind != built.kind:
        raise TemplateError(f"a {report.kind} template cannot fill the {built.kind} script",
                            path=path, line=script.root.line)
    n_stages = max(1, n_stages)
    too_far = [t for t in report.tags if t.stage > n_stages]
    if too_far:
        t = too_far[0]
        raise TemplateError(f"{t.node.name}: role {t.role} {t.stage}, but procedure "
                            f"{built.procedure} has {n_stages} stage(s)", path=path, line=t.line)
    recipe = built.script
    counterparts = tr.recipe_counterparts(recipe, n_stages)
    tagged = {(t.role, t.stage) for t in report.tags}
    for spec in tr.ROLES:
        if not spec.staged or built.kind not in spec.required:
            continue
        for st in range(2, n_stages + 1):
            if (spec.name, st) in counterparts and (spec.name, st) not in tagged:
                raise TemplateError(f"procedure {built.procedure} has {n_stages} stages but the "
                                    f"template has no role {spec.name} {st}: tag stage {st}'s "
                                    "nodes (role value '<role> <stage>')", path=path,
                                    line=script.root.line)
    retime = counterparts.get(("reference_retime", 1))
    if retime is not None and ("reference_retime", 1) not in tagged:
        raise TemplateError(f"the Reference of unit {built.unit} is retimed into source frame "
                            f"numbers ({retime.cls} {retime.name}: reference_offset or frame_map) "
                            "but the template has no reference_retime role to carry it",
                            path=path, line=script.root.line)
    keyed = counterparts.get(("align_transform", 1))
    if keyed is not None and ("align_transform", 1) not in tagged and any(
            keyed.knob(k) is not None for k in ("translate", "rotate", "scale")):
        raise TemplateError(f"the alignment of unit {built.unit} is keyed (alignment.transforms) "
                            "but the template has no align_transform role to carry it", path=path,
                            line=script.root.line)
    for tag in report.tags:
        cp = counterparts.get((tag.role, tag.stage))
        if cp is None:
            raise TemplateError(f"{tag.node.name}: the {built.procedure} {built.kind} recipe for "
                                f"unit {built.unit} has no {tag.role} (e.g. alignment mode none, "
                                "no pre-filter): remove the role or change the job config",
                                path=path, line=tag.line)
        spec = tr.ROLE_BY_NAME[tag.role]
        if cp.cls != tag.node.cls:
            raise TemplateError(f"{tag.node.name}: the recipe uses a {cp.cls} for {tag.role} "
                                f"in unit {built.unit} (the template has a {tag.node.cls}): make "
                                "the template from a shot of the same kind", path=path,
                                line=tag.line)
        if spec.stack:
            _expand_stack(script, tag, cp, path)
        old_frame = _frame_of(tag.node)
        for knob in spec.knobs:
            _copy_knob(tag.node, cp, knob)
        if spec.rename:
            _rename_by_frame(script, tag.node, old_frame, _frame_of(cp))
    _fill_root(script, recipe, tpl.name)
    text = write_script(script)
    return script, text


def _copy_knob(node: Node, source: Node, name: str) -> None:
    value = source.knob(name)
    if value is None:
        if node.has_knob(name):
            node.remove_knob(name)
        return
    set_raw_before_user(node, name, value)


def set_raw_before_user(node: Node, name: str, value: str) -> None:
    """Set a class knob, keeping its place; a new one goes before the user knobs (as Nuke
    writes class knobs first)."""
    knobs = node.knobs
    for k in knobs:
        if k.name == name:
            if k.value != value:
                k.value = value
            return
    at = next((i for i, k in enumerate(knobs) if k.name == "addUserKnob"), len(knobs))
    knobs.insert(at, Knob(name, value))


def _frame_of(node: Node) -> Optional[str]:
    raw = node.knob("firstFrame")
    return None if raw is None else parse_word(raw)


def _renamed(name: str, old: Optional[str], new: str) -> Optional[str]:
    if old and name.endswith("_" + old):
        return name[: len(name) - len(old)] + new
    return None


def _rename_by_frame(script: Script, node: Node, old: Optional[str], new: Optional[str]) -> None:
    name = _renamed(node.name, old, new or "")
    if name and name != node.name and script.find(name) is None:
        node.set("name", name)


def _unique(script: Script, name: str) -> str:
    if script.find(name) is None:
        return name
    k = 2
    while script.find(f"{name}_{k}") is not None:
        k += 1
    return f"{name}_{k}"


def _expand_stack(script: Script, tag: tr.Tag, cp: Node, path: str) -> None:
    """One FrameHold per training frame of the recipe's stack, in its order, on the template's
    shared input; the template's holds are reused (their text kept but for the frame and a
    frame-numbered name), copies of the first one added, extra ones dropped."""
    append = tag.node
    old = [n for n in append.inputs if n is not None]
    recipe_holds = [h for h in cp.inputs if h is not None]
    frames = [_frame_of(h) for h in recipe_holds]
    base = old[0].input(0)
    holds = set(id(h) for h in old)
    for n in script.nodes:
        if n is append or id(n) in holds:
            continue
        if any(id(i) in holds for i in n.inputs if i is not None):
            raise TemplateError(f"{append.name}: its FrameHold feeds {n.name} too; dataset "
                                "FrameHolds may only feed their AppendClip", path=path,
                                line=tag.line)
    xs = [_num(h.knob("xpos")) for h in old]
    step = (xs[-1] - xs[-2]) if len(xs) > 1 and None not in xs[-2:] else 110
    new_nodes: List[Node] = []
    proto = old[0]
    for i, frame in enumerate(frames):
        if i < len(old):
            node = old[i]
            prev = _frame_of(node)
        else:
            node = Node("FrameHold", [Knob(k.name, k.value) for k in proto.knobs
                                      if k.name != "inputs"])
            node.inputs = [base]
            prev = _frame_of(proto)
            if xs and xs[-1] is not None:
                node.set("xpos", int(xs[-1] + step * (i - len(old) + 1)))
        if _frame_of(node) != frame:
            set_raw_before_user(node, "firstFrame", str(frame))
        _copy_knob(node, recipe_holds[i], "label")  # e.g. the reference frame a hold shows
        name = _renamed(node.name if i < len(old) else proto.name, prev, str(frame))
        if i >= len(old):
            node.set("name", _unique(script, name or f"{proto.name}_{frame}"))
        elif name and name != node.name:
            node.set("name", name)
        new_nodes.append(node)
    if len(frames) != len(old):
        # Reused holds keep their place; dropped ones leave; copies follow the last kept one.
        items = script.items
        for h in old[len(frames):]:
            items.remove(h)
        at = items.index(new_nodes[min(len(frames), len(old)) - 1]) + 1
        for j, n in enumerate(new_nodes[len(old):]):
            n.parent = script
            items.insert(at + j, n)
        append.inputs = list(new_nodes)


def _num(raw: Optional[str]) -> Optional[float]:
    try:
        return float(parse_word(raw)) if raw is not None else None
    except ValueError:
        return None


def _fill_root(script: Script, recipe: Script, template_name: str) -> None:
    root, src = script.root, recipe.root
    for name in ROOT_KNOBS:
        _copy_knob(root, src, name)
    mark = src.knob(MARKER_KNOB)
    if mark is None:
        return
    value = parse_word(mark) + f" template={template_name}"
    from ..nk.values import quote

    if root.has_knob(MARKER_KNOB):
        root.set_raw(MARKER_KNOB, quote(value))
    else:
        root.knobs.append(Knob("addUserKnob", "{1 " + MARKER_KNOB + " +INVISIBLE}"))
        root.knobs.append(Knob(MARKER_KNOB, quote(value)))


# -- the build hook ---------------------------------------------------------------------------------
def fill_unit(cfg, proc, built: List, cache: Optional[Dict[Path, LoadedTemplate]] = None) -> List:
    """The unit's BuiltScripts with each kind that has a .nk template filled from it (the kinds
    without one stay as the recipe built them)."""
    names = getattr(proc, "nk_templates", None) or []
    if not names:
        return built
    cache = {} if cache is None else cache
    out = list(built)
    seen_kinds: Dict[str, str] = {}
    for name, line in names:
        try:
            path = resolve(name, cfg.template_path)
        except TemplateError as exc:
            raise TemplateError(f"procedures: template: {exc.message}", cfg.path, line) from None
        tpl = cache.get(path)
        if tpl is None:
            tpl = cache[path] = load(path, name)
        if tpl.kind in seen_kinds:
            raise TemplateError(f"procedures: template: {name} and {seen_kinds[tpl.kind]} both "
                                f"fill the {tpl.kind} script", cfg.path, line)
        seen_kinds[tpl.kind] = name
        idx = next((i for i, b in enumerate(out) if b.kind == tpl.kind), None)
        if idx is None:
            raise TemplateError(f"procedures: template: {name} fills a {tpl.kind} script, but "
                                f"procedure {proc.name} (type {proc.template}) builds "
                                f"{', '.join(proc.scripts)}", cfg.path, line)
        b = out[idx]
        unit_clips = {n.name for n in b.script.nodes if n.cls == "Read" and
                      n.name.startswith("Read_SRC_")}
        if unit_clips:
            raise TemplateError(f"procedures: template: unit {b.unit} has several clips; .nk "
                                "templates fill units of one clip (granularity shot, or scenes "
                                "within one clip)", cfg.path, line)
        script, text = fill(tpl, b, len(proc.stages))
        copycats = [n.name for n in script.nodes if n.cls == "CopyCat"
                    and (tr.role_of(n) or ("",))[0] == "copycat"]
        writes = _writes(script, b)
        meta = _with_template(b.metadata, name)
        sidecars = {rel: (pv.sidecar_json(meta) if rel.endswith("_metadata.json") else body)
                    for rel, body in b.sidecars.items()}
        out[idx] = replace(b, script=script, text=text, copycat_nodes=copycats or
                           list(b.copycat_nodes), write_nodes=writes, metadata=meta,
                           sidecars=sidecars)
        _validate(out[idx], tpl)
        logger.info("%s: filled template %s", b.relpath, path)
    return out


def _validate(b, tpl: LoadedTemplate) -> None:
    """Validate the filled script like any build (schema, then the workflow rules); an error is
    reported at the template line of the node it names, so the TD knows what to change."""
    from .build import validate_built

    errors = validate_built(b)
    if not errors:
        return
    first = errors[0]
    node = parse_text(tpl.text, str(tpl.path)).find(first.node or "") if first.node else None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise TemplateError(f"the {b.kind} script this template gives for {b.unit} does not "
                        f"validate: {first.code} {first.node or ''}: {first.message}{more}",
                        path=str(tpl.path), line=node.line if node is not None else None)


def _writes(script: Script, b) -> List[Tuple[str, str]]:
    out = []
    for n in script.nodes:
        found = tr.role_of(n)
        if n.cls == "Write" and found and found[0] == "write":
            out.append((n.name, parse_word(n.knob("file") or "")))
    return out or list(b.write_nodes)


def _with_template(metadata: Dict, name: str) -> Dict:
    data = copy.deepcopy(metadata)
    data.setdefault("extended", {})["nk_template"] = name
    return data
