"""Restore menu commands for .nk templates (docs/templates.md).

* **Save selection as template...** - the selected nodes -> a small dialog that assigns a role to
  each (suggested from class and name; most stay "(none)": kept as drawn) and says which script the
  template fills -> the selection copied with ``nuke.nodeCopy`` -> roles tagged and a Root added by
  the core (``recipes.template_roles.from_snippet``) -> saved where the artist says (by default in
  ``procedures/`` of the first studio template folder), never over an existing file. The check
  (roles found and missing, code the template would run) is shown at once.
* **Build from studio template...** - the ``procedures/*.nk`` templates on the search path
  (``NUKE_RESTORE_TEMPLATE_PATH``) -> pick one -> the usual setup dialog prefilled from the selected
  Reads -> the same build, validation and paste as the other build commands, with the template.

The dialogs are reached through ``ask_template_roles`` and ``choose_template`` (module attributes
that tests replace). Like every command, these never raise into Nuke.
"""
from __future__ import annotations

import importlib
import logging
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import commands, host
from .commands import Cancelled, CommandError, reported

logger = logging.getLogger(__name__)

KINDS = ("training", "inference", "baseline")


@dataclass
class RoleRow:
    """One selected node in the role dialog."""

    name: str
    cls: str
    role: str = ""  # the suggestion ('' = no role)
    choices: List[str] = field(default_factory=list)


@dataclass
class TemplateEntry:
    """A .nk template found on the search path, as the chooser lists it."""

    name: str
    path: str
    kind: str
    procedure: str


@dataclass
class RoleAnswer:
    """What the role dialog returns."""

    kind: str
    procedure: str
    roles: Dict[str, str]


# -- UI seams (replaced in tests) --------------------------------------------------------------------
def ask_template_roles(rows: List[RoleRow], kind: str, procedure: str) -> Optional[RoleAnswer]:
    """Show the role dialog; None when cancelled."""
    from .template_dialog import run_role_dialog

    return run_role_dialog(rows, kind, procedure)


def choose_template(entries: List[TemplateEntry]) -> Optional[TemplateEntry]:
    """Show the template chooser; None when cancelled."""
    from .template_dialog import run_template_chooser

    return run_template_chooser(entries)


# -- helpers -----------------------------------------------------------------------------------------
def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise CommandError(f"{name} cannot be imported ({exc}); see docs/install.md") from exc


def _roles_module() -> Any:
    return _module("nuke_restore.recipes.template_roles")


def _fill_module() -> Any:
    return _module("nuke_restore.recipes.template_fill")


def search_path() -> List[Any]:
    get = commands._core("nuke_restore.config.templates", "search_path")
    return list(get())


def studio_folder() -> str:
    """``procedures/`` of the first folder on NUKE_RESTORE_TEMPLATE_PATH ('' when none is set)."""
    value = os.environ.get("NUKE_RESTORE_TEMPLATE_PATH", "")
    first = next((p for p in value.split(os.pathsep) if p.strip()), "")
    return os.path.join(first, "procedures").replace("\\", "/") if first else ""


def selection_text(nuke: Any) -> str:
    """The selected nodes as Nuke copies them (``nuke.nodeCopy`` into a temporary file)."""
    fd, tmp = tempfile.mkstemp(suffix=".nk", prefix="nuke_restore_selection_")
    os.close(fd)
    try:
        nuke.nodeCopy(tmp)
        with open(tmp, encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read()
    finally:
        try:
            os.remove(tmp)
        except OSError:
            pass


def _guess_kind(rows: List[RoleRow]) -> str:
    roles = {r.role for r in rows}
    if "copycat" in roles:
        return "training"
    if "matchgrade" in roles:
        return "baseline"
    return "inference" if "inference" in roles else "training"


def _nuke_version(nuke: Any) -> str:
    text = str(getattr(nuke, "NUKE_VERSION_STRING", "") or "")
    major, _, rest = text.partition("v")
    return f"{major} v{rest}" if major and rest else "15.1 v1"


# -- commands ----------------------------------------------------------------------------------------
def save_selection_as_template() -> None:
    """Assign roles to the selected nodes and save them as a .nk template."""
    with reported("Save selection as template"):
        nuke = host.require_nuke()
        nodes = host.selected_nodes()
        if not nodes:
            raise CommandError("select the nodes of your graph first (Reads, CopyCat, Write...)")
        tr = _roles_module()
        rows = [RoleRow(n.name(), n.Class(), tr.guess_role(n.Class(), n.name()),
                        tr.roles_for_class(n.Class())) for n in nodes]
        answer = ask_template_roles(rows, _guess_kind(rows), "chroma")
        if answer is None:
            raise Cancelled()
        roles = {name: role for name, role in answer.roles.items() if role}
        if not roles:
            raise CommandError("no node was given a role: a template needs at least the Source "
                               "Read and the node the job is about (CopyCat, Inference, Write)")
        text = selection_text(nuke)
        template = tr.from_snippet(text, roles, answer.kind, _nuke_version(nuke),
                                   f"type={answer.procedure}")
        folder = studio_folder()
        default = f"{folder}/studio_{answer.procedure}_{answer.kind}.nk" if folder else \
            f"studio_{answer.procedure}_{answer.kind}.nk"
        path = host.ask_filename("Save template", "*.nk", default)
        if not path:
            raise Cancelled()
        if not path.endswith(".nk"):
            path += ".nk"
        write_atomic = commands._core("nuke_restore.fileio", "write_atomic")
        exists = commands._core("nuke_restore.errors", "OutputExistsError")
        try:
            write_atomic(path, template, force=False)
        except exists:
            raise CommandError(f"{path} exists: choose another name (templates are never "
                               "overwritten from here)") from None
        host.message("\n".join([f"Saved template: {path}"] + check_lines(template, path)))


def check_lines(text: str, path: str) -> List[str]:
    """``template check`` for a template's text: roles, what is missing, code it would run."""
    tr = _roles_module()
    tf = _fill_module()
    parse_text = commands._core("nuke_restore.nk.parser", "parse_text")
    script = parse_text(text, path)
    report = tr.check(script)
    lines = tr.format_report(report, os.path.basename(path))[1:]
    for d in tf.untrusted_findings(script):
        lines.append(f"line {d.line}: {d.node}.{d.knob}: {d.message}: builds will refuse it")
    if report.errors:
        lines.append("Builds refuse this template until these are fixed.")
    return lines


def template_entries() -> List[TemplateEntry]:
    """The .nk templates on the search path with the kind and procedure their Root states."""
    tr = _roles_module()
    tf = _fill_module()
    parse_text = commands._core("nuke_restore.nk.parser", "parse_text")
    out = []
    for name, path in tf.find_templates(search_path()):
        try:
            info = tr.template_info(parse_text(tf.read_template_text(path), str(path))) or {}
        except Exception as exc:  # a broken file is listed as such, not a reason to fail
            logger.warning("template %s: %s", path, exc)
            info = {}
        out.append(TemplateEntry(name, str(path), info.get("kind", "?"),
                                 info.get("type", "chroma")))
    return out


def build_from_template() -> None:
    """Build a graph from a studio .nk template and the selected Reads."""
    with reported("Build from studio template"):
        entries = template_entries()
        if not entries:
            raise CommandError("no .nk templates found: save one with Restore > Templates > Save "
                               "selection as template into the procedures/ folder of a folder "
                               "on NUKE_RESTORE_TEMPLATE_PATH")
        entry = choose_template(entries)
        if entry is None:
            raise Cancelled()
        if entry.kind not in KINDS:
            raise CommandError(f"{entry.path} does not say which script it fills; run "
                               f"`nuke-restore template check {entry.path}`")
        stage = entry.kind if entry.kind in ("training", "inference") else "training"
        title = f"{entry.name} ({entry.kind})"
        settings = commands.prefill_settings(entry.procedure, stage,
                                             commands.remembered_settings())
        chosen = commands.ask_job_settings(settings, title)
        if chosen is None:
            raise Cancelled()
        pasted = commands.build_and_paste(chosen, f"Restore {title}", template=entry.name)
        logger.info("%s: pasted %d nodes", title, len(pasted))


def menu_commands() -> List[Tuple[str, Any, str]]:
    """(menu path, command, tooltip) of the template commands, for menus.py."""
    return [
        ("Templates/Save selection as template...", save_selection_as_template,
         "Tag the selected nodes with roles (Source Read, CopyCat, Write...) and save them as a "
         ".nk template that `build` fills per shot."),
        ("Templates/Build from studio template...", build_from_template,
         "Build from a .nk template on the studio template path and the selected Reads."),
    ]
