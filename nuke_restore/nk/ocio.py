"""Colourspace names of the OCIO config a script names (for ``validate``). Nothing is evaluated.

Nuke's colourspace menus (Read/Write ``colorspace``, OCIOColorSpace ``in_colorspace``...) list the
colourspaces, aliases and roles of the script's OCIO config, so a name is right or wrong only
against that config, not against the menu of one installation. The config is found from Root:

* ``colorManagement OCIO`` with ``OCIO_config fn-nuke_<name>``: Nuke 14+'s copies of the ACES
  configs that OpenColorIO 2.2+ builds in (``<name>`` is OCIO's built-in name, e.g.
  ``studio-config-v1.0.0_aces-v1.3_ocio-v2.1``). Their names come from ``data/ocio_builtin.json``
  (``scripts/compile_ocio.py``), so no OpenColorIO is needed here. ``ocio://<name>`` works too.
* ``OCIO_config custom`` with ``customOCIOConfigPath``: the file is loaded with PyOpenColorIO when
  it is installed (Nuke ships it) and the path is a plain path that exists (relative paths are
  taken from the script's folder).
* Anything else (``nuke-default``, ``aces_1.2``, a config only Nuke's install holds, a path built
  by an expression, no OpenColorIO): unknown, and ``names_for`` returns None. The caller then does
  not flag names: a menu it cannot see is no evidence against them.

Standard library only at import; PyOpenColorIO is imported lazily for custom config files.
"""
from __future__ import annotations

import functools
import json
import os
from typing import FrozenSet, Optional, Tuple

try:
    from importlib.resources import files as _resource_files
except ImportError:  # pragma: no cover
    _resource_files = None  # type: ignore[assignment]

NUKE_PREFIX = "fn-nuke_"


@functools.lru_cache(maxsize=1)
def builtin_table() -> dict:
    """``{config name: {"colorspaces": [...], "aliases": [...], "roles": [...], ...}}``."""
    if _resource_files is None:  # pragma: no cover
        return {}
    data = (_resource_files("nuke_restore.nk") / "data" / "ocio_builtin.json").read_bytes()
    return json.loads(data.decode("utf-8"))["configs"]


def _names(entry: dict) -> FrozenSet[str]:
    return frozenset(entry.get("colorspaces", ()) + entry.get("aliases", ()) +
                     entry.get("roles", ()) + entry.get("named_transforms", ()))


@functools.lru_cache(maxsize=64)
def builtin_names(config: str) -> Optional[FrozenSet[str]]:
    """Names of a Nuke/OCIO built-in config (``fn-nuke_<name>``, ``ocio://<name>``, ``<name>``)."""
    name = config
    for prefix in (NUKE_PREFIX, "ocio://"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    entry = builtin_table().get(name)
    return None if entry is None else _names(entry)


@functools.lru_cache(maxsize=16)
def file_names(path: str) -> Optional[FrozenSet[str]]:
    """Names of a config file, read with PyOpenColorIO; None when it cannot be read here."""
    if not os.path.isfile(path):
        return None
    try:
        import PyOpenColorIO as ocio  # noqa: N813 - lazily: only for custom config files
    except ImportError:
        return None
    try:
        config = ocio.Config.CreateFromFile(path)
        spaces = list(config.getColorSpaceNames())
        entry = {"colorspaces": spaces,
                 "aliases": [a for n in spaces for a in config.getColorSpace(n).getAliases()],
                 "roles": [r for r, _s in config.getRoles()],
                 "named_transforms": list(config.getNamedTransformNames())}
    except Exception:  # noqa: BLE001 - any OCIO error: the config is unknown here
        return None
    return _names(entry)


def _word(raw: Optional[str]) -> str:
    from .values import parse_word

    return "" if raw is None else parse_word(raw.strip()).strip()


def names_for(script) -> Tuple[Optional[FrozenSet[str]], str]:
    """(names, label) for the OCIO config ``script``'s Root names.

    ``names`` is None when the script does not use OCIO colour management (label ``""``) or when
    its config cannot be read here (label says which config).
    """
    root = getattr(script, "root", None)
    if root is None or _word(root.knob("colorManagement")) != "OCIO":
        return None, ""
    config = _word(root.knob("OCIO_config"))
    if config == "custom":
        path = _word(root.knob("customOCIOConfigPath"))
        if not path or any(c in path for c in "[$"):
            return None, path or "custom"
        if not os.path.isabs(path) and getattr(script, "path", None):
            path = os.path.join(os.path.dirname(os.path.abspath(str(script.path))), path)
        return file_names(path), path
    if not config:
        return None, "Nuke's default OCIO config"
    return builtin_names(config), config
