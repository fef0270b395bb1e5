"""Templates as data, found on a layered search path.

Two kinds live in a template folder:

* ``procedures/<name>.yaml`` - topology: which scripts a procedure builds and its chain of stages
  (e.g. ``combined`` = spatial stage, then a chroma stage whose Source is the first stage's output).
  The highest-priority file of that name wins whole.
* ``presets/<name>.yaml`` - knob presets per node role (CopyCat, Write, Read, MatchGrade...). Every
  file of that name on the path is merged, lowest priority first, so a studio file that sets one
  knob overrides just that knob without forking the package preset.

Search path, highest priority first: folders from the job config (``templates:``, relative to the
config file - the show or shot level), then ``NUKE_RESTORE_TEMPLATE_PATH`` (``os.pathsep``-separated,
first listed wins - the studio level), then the package defaults in ``nuke_restore/templates_data``.
Template names are plain names: ``..``, separators and absolute paths are rejected, and a resolved
file must stay inside its folder (symlinks included).
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..errors import TemplateError

logger = logging.getLogger(__name__)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates_data"
ENV_VAR = "NUKE_RESTORE_TEMPLATE_PATH"
KINDS = ("procedures", "presets")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def search_path(extra: Sequence[os.PathLike] = (), env: Optional[str] = None) -> List[Path]:
    """Template folders, highest priority first (config folders, env folders, package defaults)."""
    folders: List[Path] = [Path(p) for p in extra]
    value = os.environ.get(ENV_VAR, "") if env is None else env
    folders += [Path(p) for p in value.split(os.pathsep) if p.strip()]
    folders.append(PACKAGE_TEMPLATES)
    out: List[Path] = []
    for f in folders:
        if f not in out:
            out.append(f)
    return out


def check_name(name: str, kind: str = "template") -> str:
    """Reject names that could leave the search path (``..``, separators, absolute paths)."""
    if (not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name
            or os.path.isabs(name)):
        raise TemplateError(f"{kind} name {name!r} is not a plain name (letters, digits, _ . -; "
                            "no '..', no path separators)")
    return name


def _candidates(kind: str, name: str, path: Iterable[Path]) -> List[Path]:
    """Existing files for ``kind/name`` along ``path``, highest priority first."""
    if kind not in KINDS:
        raise TemplateError(f"unknown template kind {kind!r}; allowed: {', '.join(KINDS)}")
    check_name(name, kind[:-1])
    found = []
    for folder in path:
        base = (Path(folder) / kind).resolve()
        cand = _template_file(base, name)
        if cand is None:
            continue
        real = cand.resolve()
        if base not in real.parents:
            raise TemplateError(f"{kind[:-1]} {name!r} resolves outside its folder ({real})",
                                path=str(cand))
        found.append(real)
    return found


def _template_file(base: Path, name: str) -> Optional[Path]:
    """``name.yaml`` in ``base``; without PyYAML (inside Nuke) its compiled ``name.json`` twin."""
    from .yamlio import yaml_available

    yaml_file = base / f"{name}.yaml"
    json_file = base / f"{name}.json"
    if yaml_file.is_file() and (yaml_available() or not json_file.is_file()):
        return yaml_file
    return json_file if json_file.is_file() else None


def _read(path: Path) -> Dict[str, Any]:
    from .yamlio import decode_text, load_yaml_text

    try:
        text = decode_text(path.read_bytes(), str(path))
    except OSError as exc:
        raise TemplateError(f"cannot read template: {exc.strerror}", path=str(path)) from None
    data = load_yaml_text(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TemplateError("a template must be a YAML mapping", path=str(path), line=1)
    return data


def deep_merge(low: Dict[str, Any], high: Dict[str, Any]) -> Dict[str, Any]:
    """``high`` over ``low``: mappings merge key by key, anything else is replaced."""
    out = dict(low)
    for k, v in high.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_procedure(name: str, path: Sequence[Path]) -> Tuple[Dict[str, Any], Path]:
    """The highest-priority procedure template called ``name`` and the file it came from."""
    found = _candidates("procedures", name, path)
    if not found:
        raise TemplateError(f"no procedure template {name!r}; available: "
                            f"{', '.join(list_names('procedures', path)) or 'none'}")
    return _read(found[0]), found[0]


def load_preset(name: str, path: Sequence[Path]) -> Tuple[Dict[str, Any], List[Path]]:
    """Preset ``name`` merged over every layer (package first, highest priority last)."""
    found = _candidates("presets", name, path)
    if not found:
        raise TemplateError(f"no preset {name!r}; available: "
                            f"{', '.join(list_names('presets', path)) or 'none'}")
    merged: Dict[str, Any] = {}
    for f in reversed(found):
        merged = deep_merge(merged, _plain(_read(f)))
    logger.debug("preset %s from %s", name, [str(f) for f in found])
    return merged, list(reversed(found))


def list_names(kind: str, path: Sequence[Path]) -> List[str]:
    names = set()
    for folder in path:
        d = Path(folder) / kind
        if d.is_dir():
            names.update(p.stem for p in d.iterdir()
                         if p.suffix in (".yaml", ".json") and _NAME_RE.match(p.stem))
    return sorted(names)


def list_templates(path: Sequence[Path]) -> List[Tuple[str, str, List[Path]]]:
    """(kind, name, files highest priority first) for every template on the path."""
    rows = []
    for kind in KINDS:
        for name in list_names(kind, path):
            rows.append((kind, name, _candidates(kind, name, path)))
    return rows


def _plain(data: Any) -> Any:
    """Strip the line-number wrappers (LineDict/LineList) so merged presets are plain data."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data
