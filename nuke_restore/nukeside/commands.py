"""The Restore menu's commands. Each is a plain callable that never raises into Nuke.

A build command: selected Read nodes → (chooser when ambiguous) → setup dialog prefilled from them →
``config_from_dict`` → ``build_scripts`` → ``validate_script`` with ``rules_for`` → paste exactly the
validated ``BuiltScript.text`` (node part only) beside the selection as one undo step. Any failure is
shown with ``nuke.message`` and logged with its traceback.

The dialog and the chooser are reached through ``ask_job_settings`` and ``choose_clips`` (module
attributes), which tests replace; the core (config, recipes, validation) is imported on first use,
so loading the menu costs nothing.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional, Tuple

from . import host, paste
from .progress import progress_task
from .reads import ClipInfo, clip_from_read, guess_source_and_reference
from .settings import ClipSettings, JobSettings, suggest_frames, suggest_preview

logger = logging.getLogger(__name__)


class CommandError(Exception):
    """A command that cannot go on, with the message the artist sees."""


class Cancelled(Exception):
    """The artist closed a dialog: stop quietly."""


# -- UI seams (replaced in tests) --------------------------------------------------------------------


def ask_job_settings(settings: JobSettings, title: str) -> Optional[JobSettings]:
    """Show the setup dialog; None when cancelled."""
    from .dialog import run_setup_dialog

    return run_setup_dialog(settings, title)


def choose_clips(clips: List[ClipInfo], source: Optional[ClipInfo],
                 reference: Optional[ClipInfo]) -> Optional[Tuple[ClipInfo, Optional[ClipInfo]]]:
    """Ask which selected Read is the Source and which the Reference; None when cancelled."""
    from .dialog import run_clip_chooser

    return run_clip_chooser(clips, source, reference)


# -- error reporting ---------------------------------------------------------------------------------


@contextmanager
def reported(title: str) -> Iterator[None]:
    """Run a command body: a clear message in Nuke and a logged traceback on failure."""
    try:
        yield
    except Cancelled:
        logger.info("%s: cancelled", title)
    except CommandError as exc:
        host.error(f"{title}: {exc}")
    except Exception as exc:  # the last line of defence between a bug and the artist's session
        logger.exception("%s failed", title)
        host.error(f"{title} failed: {exc}\n(the Script Editor / terminal has the details)")


def _core(module: str, name: str) -> Any:
    """``name`` from a core module, or a CommandError saying what is missing."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise CommandError(f"{module} cannot be imported ({exc}); see docs/install.md") from exc
    except AttributeError as exc:
        raise CommandError(f"{module}.{name} is not available in this install") from exc


# -- build commands ----------------------------------------------------------------------------------


def prefill_settings(procedure: str, stage: str, base: Optional[JobSettings] = None) -> JobSettings:
    """Settings for the dialog: the remembered ones, overridden by what the selected Reads say."""
    settings = base if base is not None else JobSettings()
    settings.procedure, settings.stage = procedure, stage
    clips = [clip_from_read(n) for n in host.selected_reads()]
    source, reference, ambiguous = guess_source_and_reference(clips)
    if ambiguous:
        picked = choose_clips(clips, source, reference)
        if picked is None:
            raise Cancelled()
        source, reference = picked
    if source is not None:
        settings.source = _clip_settings(source)
        settings.format_name = source.format_name or settings.format_name
        if source.width and source.height:
            settings.format_width, settings.format_height = source.width, source.height
        if not settings.training_frames or not all(
                source.first <= f <= source.last for f in settings.training_frames):
            settings.training_frames = suggest_frames(source.first, source.last)
            settings.preview_frame = suggest_preview(settings.training_frames)
    if source is not None:
        # Reads were selected: never keep a remembered Reference from another shot.
        settings.reference = _clip_settings(reference) if reference is not None else ClipSettings()
    script = host.script_path()
    if script:
        # Building pastes into this script: its folder is where relative paths resolve.
        settings.output_dir = os.path.dirname(os.path.abspath(script)).replace("\\", "/")
    return settings


def _clip_settings(clip: ClipInfo) -> ClipSettings:
    return ClipSettings(path=clip.path, first=clip.first, last=clip.last,
                        colorspace=clip.colorspace)


YAML_NEEDED = ("building needs PyYAML in Nuke's Python here: the JSON twins of the built-in "
               "templates are missing (run scripts/compile_templates.py on the install), or install "
               "PyYAML for Nuke's Python into the pydeps/ folder beside init.py (docs/install.md, "
               "section 3). Menus, gizmos, validation and JSON job files work without it.")


def core_needs_missing_yaml() -> bool:
    """True when the core's templates cannot be read here: no PyYAML in this Python and a package
    template without its JSON twin (scripts/compile_templates.py writes them; they ship)."""
    if importlib.util.find_spec("yaml") is not None:
        return False
    from nuke_restore.config.templates import PACKAGE_TEMPLATES

    return any(not y.with_suffix(".json").is_file() for y in PACKAGE_TEMPLATES.glob("*/*.yaml"))


def config_from_settings(settings: JobSettings, template: Optional[str] = None) -> Any:
    """The core JobConfig for the dialog's values (raises ConfigError naming the field);
    ``template`` is a .nk template on the search path for the procedure (templates.py)."""
    config_from_dict = _core("nuke_restore.config", "config_from_dict")
    if core_needs_missing_yaml():
        raise CommandError(YAML_NEEDED)
    data = settings.to_config_dict()
    if template:
        data["procedures"] = [{"type": settings.procedure, "template": template}]
    return config_from_dict(data)


def _wanted(built: List[Any], settings: JobSettings) -> List[Any]:
    """The built scripts this command pastes: the stage asked for (all of them for combined and
    MatchGrade jobs, or when the recipes do not split by stage)."""
    if settings.procedure in ("combined", "baseline"):
        return list(built)
    picked = [b for b in built if str(getattr(b, "kind", "")).lower() == settings.stage]
    return picked or list(built)


def _is_error(diagnostic: Any) -> bool:
    severity = getattr(diagnostic, "severity", "error")
    name = getattr(severity, "name", None) or getattr(severity, "value", None) or severity
    return str(name).lower() == "error"


def _rules_for(built: Any) -> Any:
    rules_for = _core("nuke_restore.recipes.rules", "rules_for")
    return rules_for(built.script)


def validate_built(built: Any) -> List[Any]:
    """Diagnostics of one BuiltScript under its procedure's rules; errors make the build refuse."""
    validate_script = _core("nuke_restore.nk.validate", "validate_script")
    return list(validate_script(built.script, rules=_rules_for(built)))


def _absolute(path: str, folder: str) -> str:
    """``path`` against ``folder`` unless it is absolute or a TCL expression."""
    if not path or os.path.isabs(path) or path.startswith("["):
        return path
    return os.path.normpath(os.path.join(folder, path)).replace("\\", "/")


def anchored_settings(settings: JobSettings, script_dir: str) -> JobSettings:
    """A copy whose relative clip paths and output folder are resolved against the open script's
    folder (Nuke resolves relative Read paths against the project directory, normally that one)."""
    out = JobSettings.from_dict(settings.to_dict())
    out.source.path = _absolute(out.source.path, script_dir)
    out.reference.path = _absolute(out.reference.path, script_dir)
    out.output_dir = _absolute(out.output_dir or ".", script_dir)
    return out


def build_and_paste(settings: JobSettings, undo_label: str,
                    template: Optional[str] = None) -> List[Any]:
    """Build, validate and paste; returns the pasted nodes. Raises CommandError on refusal.

    The generated nodes use paths relative to the output folder, so the open script must be
    saved: its folder anchors relative inputs, and a note says so when the output folder differs.
    """
    script = host.script_path()
    if not script:
        raise CommandError("save the script first: the generated graph uses paths relative to "
                           "the script's folder (and its output folder)")
    script_dir = os.path.dirname(os.path.abspath(script))
    settings = anchored_settings(settings, script_dir)
    with progress_task(undo_label) as progress:
        progress.update(5, "checking the job settings")
        config = config_from_settings(settings, template) if template else \
            config_from_settings(settings)
        progress.update(20, "building the graph")
        build_scripts = _core("nuke_restore.recipes", "build_scripts")
        built = _wanted(list(build_scripts(config, outdir=settings.output_dir)), settings)
        if not built:
            raise CommandError("the recipes built nothing for these settings")
        for i, item in enumerate(built):
            if progress.cancelled:
                raise Cancelled()
            progress.update(40 + 40 * i // len(built), f"validating {item.name}")
            errors = [d for d in validate_built(item) if _is_error(d)]
            if errors:
                shown = "\n".join(f"  {d}" for d in errors[:8])
                more = f"\n  ... and {len(errors) - 8} more" if len(errors) > 8 else ""
                raise CommandError(f"refusing to paste {item.name}: it does not validate\n"
                                   f"{shown}{more}")
        progress.update(85, "pasting")
        pasted = paste.paste_script_texts([item.text for item in built], undo_label)
        progress.update(100, "done")
    notes = path_notes(settings.output_dir, script_dir)
    if notes:
        host.message("\n".join(notes))
    return pasted


def path_notes(output_dir: str, script_dir: str) -> List[str]:
    """What the artist must know for the pasted relative paths to resolve (empty when fine)."""
    notes = []
    if os.path.normcase(os.path.normpath(output_dir)) != os.path.normcase(script_dir):
        notes.append(f"The new nodes use paths relative to the output folder {output_dir}: save "
                     "this script there, or set Project Settings > project directory to it.")
    elif not host.project_directory():
        notes.append("The new nodes use paths relative to this script's folder: set Project "
                     "Settings > project directory to [python {nuke.script_directory()}] so Nuke "
                     "resolves them from there.")
    return notes


def _build(procedure: str, stage: str, title: str) -> None:
    with reported(title):
        settings = prefill_settings(procedure, stage, remembered_settings())
        chosen = ask_job_settings(settings, title)
        if chosen is None:
            raise Cancelled()
        pasted = build_and_paste(chosen, f"Restore {title}")
        logger.info("%s: pasted %d nodes", title, len(pasted))


def remembered_settings() -> JobSettings:
    """The last dialog values (QSettings), or defaults when Qt/the store is unavailable."""
    try:
        from .dialog import load_remembered

        return load_remembered()
    except Exception:
        logger.debug("no remembered settings", exc_info=True)
        return JobSettings()


def build_chroma_training() -> None:
    """Build the chroma-recovery training graph from the selected Reads."""
    _build("chroma", "training", "chroma training")


def build_chroma_inference() -> None:
    """Build the chroma-recovery inference graph."""
    _build("chroma", "inference", "chroma inference")


def build_spatial_training() -> None:
    """Build the spatial-recovery training graph."""
    _build("spatial", "training", "spatial training")


def build_spatial_inference() -> None:
    """Build the spatial-recovery inference graph."""
    _build("spatial", "inference", "spatial inference")


def build_combined() -> None:
    """Build the combined job: spatial, then chroma on the spatial result."""
    _build("combined", "training", "combined (spatial then chroma)")


def build_matchgrade_baseline() -> None:
    """Build the MatchGrade baseline graph."""
    _build("baseline", "training", "MatchGrade baseline")


# -- other commands ----------------------------------------------------------------------------------


def qc_compare() -> None:
    """Create an RS_Compare wired to up to four selected nodes (A, B, C, D in selection order)."""
    with reported("QC compare"):
        nuke = host.require_nuke()
        chosen = host.selected_nodes()[:4]
        undo = nuke.Undo()
        undo.begin()
        undo.name("Restore QC compare")
        try:
            for node in chosen:
                node.setSelected(False)
            compare = nuke.createNode("RS_Compare")
            for index, node in enumerate(chosen):
                compare.setInput(index, node)
        except Exception:
            undo.cancel()
            raise
        undo.end()


def validate_current_script() -> None:
    """Validate the saved .nk of the open script with the harness and report the findings."""
    with reported("Validate current script"):
        path = host.script_path()
        if not path:
            raise CommandError("save the script first: the saved .nk file is what gets checked")
        parse_text = _core("nuke_restore.nk.parser", "parse_text")
        validate_script = _core("nuke_restore.nk.validate", "validate_script")
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            script = parse_text(fh.read(), path=path)
        diagnostics = list(validate_script(script))
        errors = [d for d in diagnostics if _is_error(d)]
        for d in diagnostics:
            logger.info("%s", d)
        note = " (unsaved changes are not included)" if host.script_modified() else ""
        if not diagnostics:
            host.message(f"{path}: no problems found{note}")
            return
        shown = "\n".join(str(d) for d in diagnostics[:12])
        more = f"\n... {len(diagnostics) - 12} more in the Script Editor" \
            if len(diagnostics) > 12 else ""
        host.message(f"{path}: {len(errors)} error(s), {len(diagnostics) - len(errors)} other "
                     f"finding(s){note}\n{shown}{more}")


def open_job_config() -> None:
    """Open a job config (YAML or JSON), review it in the dialog, then build it."""
    with reported("Open job config"):
        from .jobfile import load_job_file
        from .settings import settings_from_config_dict

        path = host.ask_filename("Open job config", "*.yaml *.yml *.json")
        if not path:
            raise Cancelled()
        job = load_job_file(path)
        shots = job.get("shots") if isinstance(job.get("shots"), list) else []
        clips = job.get("clips") if isinstance(job.get("clips"), dict) else {}
        if len(shots) > 1 or len(clips) > 1:
            raise CommandError(f"{path} has {len(shots)} shots and {len(clips)} clips; the Restore "
                               "menu builds one shot at a time. Build the whole job with "
                               f"`nuke-restore build {os.path.basename(path)}` and open its scripts.")
        settings = settings_from_config_dict(job)
        chosen = ask_job_settings(settings, f"job config {path}")
        if chosen is None:
            raise Cancelled()
        build_and_paste(chosen, f"Restore {chosen.procedure} {chosen.stage}")


def save_job_config() -> None:
    """Fill the dialog (from the selection and the last values) and save it as a job config."""
    with reported("Save job config"):
        from .jobfile import save_job_file, yaml_available

        settings = prefill_settings("chroma", "training", remembered_settings())
        chosen = ask_job_settings(settings, "save job config")
        if chosen is None:
            raise Cancelled()
        config_from_settings(chosen)  # refuse to save a config the command line would reject
        pattern = "*.yaml *.yml *.json" if yaml_available() else "*.json"
        path = host.ask_filename("Save job config", pattern, f"{chosen.shot}.json")
        if not path:
            raise Cancelled()
        written = save_job_file(path, chosen.to_config_dict())
        host.message(f"Saved job config: {written}")


def create_gizmo(name: str) -> Callable[[], None]:
    """A command that creates the RS_ gizmo ``name`` (connected to the selection, as Nuke does)."""

    def command() -> None:
        with reported(f"Create {name}"):
            host.require_nuke().createNode(name)

    command.__name__ = f"create_{name}"
    command.__doc__ = f"Create an {name} gizmo."
    return command
